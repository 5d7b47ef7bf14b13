"""Backend selection: ``numpy | cupy | jax | dask | auto`` (and ``array_api_strict`` for testing).

The backend is chosen once, where data is created; everything downstream infers the
namespace from its input arrays.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from types import ModuleType

from .errors import BackendError
from .probe import cupy_status

ENV_VAR = "MEMVERIFY_BACKEND"
BACKENDS = ("auto", "numpy", "cupy", "jax", "dask", "array_api_strict")


@dataclass(frozen=True)
class Backend:
    """A chosen backend: its ``name``, its array-API namespace ``xp`` and a ``device`` description."""

    name: str
    xp: ModuleType
    device: str

    def errors(self):
        """The context in which claims run: on CuPy, cuSOLVER failures raise ``LinAlgError``
        (``cupyx.errstate(linalg="raise")``; CuPy's default is to ignore them and return garbage);
        NumPy and SciPy raise already."""
        if self.name == "cupy":
            import cupyx

            return cupyx.errstate(linalg="raise")
        import contextlib

        return contextlib.nullcontext()


def _numpy_backend() -> Backend:
    import platform

    import array_api_compat.numpy as xp

    return Backend("numpy", xp, f"cpu ({platform.processor() or platform.machine()})")


def _jax_backend() -> Backend:
    """JAX's ``jax.numpy`` (an array-API namespace) in float64 (``jax_enable_x64``), on JAX's default
    device: a GPU when the installed JAX build sees one, else the CPU."""
    try:
        import jax
    except ImportError as exc:
        raise BackendError("backend 'jax' needs JAX: pip install jax (the test extra has it; a GPU build of "
                           "JAX is yours to install)") from exc
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as xp

    dev = jax.devices()[0]
    return Backend("jax", xp, f"{dev.platform}:{dev.id} {getattr(dev, 'device_kind', '')} (jax {jax.__version__})".strip())


def resolve(name: str | None = None, *, scheduler: str | None = None) -> Backend:
    """Return the :class:`Backend` called ``name`` (default: ``$MEMVERIFY_BACKEND`` or ``auto``).

    ``auto`` is CuPy when :func:`cupy_status` says a GPU is usable, else NumPy.  ``dask`` connects to
    ``scheduler`` (or ``$MEMVERIFY_DASK_SCHEDULER``), else starts a LocalCluster (:mod:`gpu.dask_cluster`).

    Raises
    ------
    BackendError
        for an unknown name, or ``cupy`` where no GPU is usable.
    """
    source = "--backend"
    if name is None:
        name = os.environ.get(ENV_VAR) or "auto"
        source = ENV_VAR if os.environ.get(ENV_VAR) else "default"
    key = name.strip().lower().replace("-", "_")
    if key not in BACKENDS:
        raise BackendError(f"unknown backend {name!r} (from {source}); choose one of {', '.join(BACKENDS)}")
    if key == "numpy":
        return _numpy_backend()
    if key == "dask":
        from . import dask_cluster

        client = dask_cluster.connect(scheduler)
        import array_api_compat.dask.array as xp

        return Backend("dask", xp, dask_cluster.describe(client))
    if key == "jax":
        return _jax_backend()
    if key == "array_api_strict":
        try:
            import array_api_strict as xp
        except ImportError as exc:
            raise BackendError("backend 'array_api_strict' needs the package: pip install array-api-strict") from exc
        return Backend("array_api_strict", xp, "cpu (array_api_strict)")
    usable, info = cupy_status()
    if key == "cupy":
        if not usable:
            raise BackendError(f"backend 'cupy' requested but {info}; use --backend numpy or auto")
        import array_api_compat.cupy as xp

        return Backend("cupy", xp, info)
    # auto
    if usable:
        import array_api_compat.cupy as xp

        return Backend("cupy", xp, info)
    return _numpy_backend()
