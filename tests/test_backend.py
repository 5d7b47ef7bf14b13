"""gpu: backend selection, the GPU-usability probe, host transfers and fallbacks."""

import sys
import types

import numpy as np
import pytest

import gpu
from gpu import backend as be
from gpu.fallbacks import eigvals


def test_numpy_and_strict_resolve():
    assert gpu.resolve("numpy").name == "numpy"
    assert gpu.resolve("array-api-strict").name == "array_api_strict"


def test_unknown_backend_is_one_line():
    with pytest.raises(gpu.BackendError, match="unknown backend 'tpu'") as info:
        gpu.resolve("tpu")
    assert "\n" not in str(info.value)


def test_env_var_is_read(monkeypatch):
    monkeypatch.setenv("MEMVERIFY_BACKEND", "array_api_strict")
    assert gpu.resolve().name == "array_api_strict"
    monkeypatch.setenv("MEMVERIFY_BACKEND", "nonsense")
    with pytest.raises(gpu.BackendError, match="MEMVERIFY_BACKEND"):
        gpu.resolve()


def test_auto_and_cupy_without_gpu(monkeypatch):
    monkeypatch.setattr(be, "cupy_status", lambda: (False, "CuPy is not importable (test)"))
    assert gpu.resolve("auto").name == "numpy"
    with pytest.raises(gpu.BackendError, match="backend 'cupy' requested but CuPy is not importable"):
        gpu.resolve("cupy")


def test_cupy_that_imports_but_cannot_allocate(monkeypatch):
    """CuPy can import on a machine without a GPU and fail at the first allocation."""
    fake = types.ModuleType("cupy")

    class Runtime:
        @staticmethod
        def getDeviceCount():
            raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected\nmore")

    fake.cuda = types.SimpleNamespace(runtime=Runtime())
    monkeypatch.setitem(sys.modules, "cupy", fake)
    usable, why = be.cupy_status()
    assert not usable and "no GPU is usable" in why and "\n" not in why


def test_cupy_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)
    usable, why = be.cupy_status()
    assert not usable and "not importable" in why


def test_host_round_trip(xp):
    a = np.arange(6.0).reshape(2, 3)
    b = gpu.to_backend(a, xp)
    np.testing.assert_array_equal(gpu.to_numpy(b), a)


def test_eigvals_fallback_sorted_by_modulus(xp):
    A = gpu.to_backend(np.array([[0.0, -2.0], [2.0, 0.0]]) + np.diag([0.5, 0.5]), xp)  # 0.5 +- 2i
    lam = gpu.to_numpy(eigvals(A))
    np.testing.assert_allclose(sorted(lam, key=lambda z: z.imag), [0.5 - 2j, 0.5 + 2j], atol=1e-12)
    B = gpu.to_backend(np.diag([0.1, -3.0, 2.0]), xp)
    np.testing.assert_allclose(np.abs(gpu.to_numpy(eigvals(B))), [3.0, 2.0, 0.1])


def test_cached_array_namespace_is_array_api_compats():
    """theory.common.array_namespace remembers the namespace per tuple of array types (the descent
    loops ask every step); it gives what array_api_compat gives and refuses what it refuses."""
    import array_api_compat
    import array_api_strict
    import numpy as np
    import pytest

    from theory.common import array_namespace

    a, s = np.ones(2), array_api_strict.ones(2)
    for arrays in ((a,), (s,), (a, a), (s, s)):
        for _ in range(2):  # the second call comes from the cache
            assert array_namespace(*arrays) is array_api_compat.array_namespace(*arrays)
    for bad in ((1.0,), (a, s), ("x",)):
        for _ in range(2):
            with pytest.raises(TypeError):
                array_namespace(*bad)


def test_gpu_imports_nothing_from_theory_or_verify():
    """The floors: gpu/ at the bottom imports neither theory/ nor verify/."""
    import ast
    from pathlib import Path

    for path in sorted((Path(__file__).resolve().parents[1] / "gpu").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            assert not any(n.split(".")[0] in ("theory", "verify") for n in names), (path.name, names)


def test_every_theory_and_gpu_module_imports_on_its_own():
    """Each module in a fresh interpreter, first of its package: no import cycle hides behind the
    order in which the rest of the suite happens to import them."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    names = [f"{folder}.{p.stem}" for folder in ("theory", "gpu") for p in sorted((root / folder).glob("*.py"))
             if p.stem != "__init__"]
    code = "import importlib, sys\nfor n in sys.argv[1:]:\n    importlib.import_module(n)"
    for name in names:
        proc = subprocess.run([sys.executable, "-c", code, name], cwd=root, capture_output=True, text=True)
        assert proc.returncode == 0, (name, proc.stderr.strip().splitlines()[-1:])


def test_jax_backend_is_float64_jax_numpy_and_names_its_device():
    pytest.importorskip("jax", reason="JAX is in the test extra")
    b = gpu.resolve("jax")
    import jax

    assert b.name == "jax" and b.xp is jax.numpy
    assert jax.config.read("jax_enable_x64") is True
    assert b.xp.asarray([1.0]).dtype == b.xp.float64
    assert f"jax {jax.__version__}" in b.device and b.device.startswith(jax.devices()[0].platform)


def test_jax_missing_is_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "jax", None)
    with pytest.raises(gpu.BackendError, match="backend 'jax' needs JAX: pip install jax") as info:
        gpu.resolve("jax")
    assert "\n" not in str(info.value)
