"""``--dtype float32``: every array a claim makes is float32 and rounding-derived tolerances follow."""

import dataclasses
import json

import numpy as np
import pytest

from theory import certificates
import theory.conv_seeds
import theory.descent
import theory.deep_fc
import theory.linear
import theory.linear_descent
import theory.single_layer
from theory import linear as lin
from theory.errors import InputError
from verify import cli
from verify.runner import run


def _leaves(obj, out):
    """Every array reachable from a trainer's parameters (tuples, lists, dataclasses)."""
    if hasattr(obj, "dtype") and hasattr(obj, "shape"):
        out.append(obj)
    elif isinstance(obj, (tuple, list)):
        for o in obj:
            _leaves(o, out)
    elif dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            _leaves(getattr(obj, f.name), out)
    return out


@pytest.mark.parametrize("claim", ["linear-min-norm", "thm1-adaptive-step", "sec5-early-stopping",
                                   "tab2-heuristic-depth-memorizes", "appg-downsampling-memorizes",
                                   "thm4-single-filter-full-rank"])
def test_float32_run_trains_in_float32(claim, monkeypatch):
    """Spy on the one descent loop: the parameters every trainer starts from and ends with are float32."""
    seen = []
    real = theory.descent.descend

    def spy(params, step, **kw):
        res = real(params, step, **kw)
        seen.append({str(a.dtype) for a in _leaves(params, []) + _leaves(res.params, []) if a.ndim and "int" not in str(a.dtype)})
        return res

    for mod in (theory.linear_descent, theory.single_layer, theory.deep_fc, theory.conv_seeds):
        monkeypatch.setattr(mod, "descend", spy)
    monkeypatch.setattr(theory.descent, "descend", spy)  # the conv trainers import it at call time
    report = run([claim], profile="quick", backend="numpy", dtype="float32")
    assert seen, "the claim trained nothing"
    assert set().union(*seen) == {"float32"}, seen
    assert report.provenance["dtype"] == "float32"


def test_linear_claims_hold_in_float32():
    """The convergence target of the linear claims rises to the float32 certificate floor (derived, not tuned)."""
    report = run(["linear-min-norm", "linear-span-projection", "init-perturbation", "linear-gd-trajectory"],
                 profile="quick", backend="numpy", dtype="float32")
    assert [e.verdict for e in report.evidence] == ["holds"] * 4
    assert all(e.control_rejected for e in report.evidence)


def test_certificate_floor_by_dtype():
    X = np.random.default_rng(0).standard_normal((6, 48))
    svd = lin.data_svd(X)
    assert certificates.certificate_floor(svd, np.finfo(np.float64).eps / 2) < 1e-12
    assert certificates.certificate_floor(lin.data_svd(X.astype(np.float32)), np.finfo(np.float32).eps / 2) > 1e-7


def test_unknown_dtype_is_refused():
    with pytest.raises(InputError, match="unknown dtype 'float16'"):
        run(["linear-min-norm"], profile="quick", backend="numpy", dtype="float16")


def test_cli_dtype_flag(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert cli.main(["--claim", "linear-min-norm", "--profile", "quick", "--backend", "numpy", "--dtype", "float32",
                     "--json", str(out), "--quiet"]) == 0
    assert json.loads(out.read_text())["provenance"]["dtype"] == "float32"
    with pytest.raises(SystemExit) as exc:
        cli.main(["--dtype", "float16"])
    assert exc.value.code == 2
    assert "float16" in capsys.readouterr().err


def test_compare_refuses_another_dtype(tmp_path, capsys):
    base = tmp_path / "b.json"
    assert cli.main(["--claim", "linear-min-norm", "--profile", "quick", "--backend", "numpy",
                     "--save-baseline", str(base), "--quiet"]) == 0
    assert cli.main(["--compare", str(base), "--dtype", "float32", "--backend", "numpy", "--quiet"]) == 2
    assert "--dtype float64" in capsys.readouterr().err


def test_jax_in_float32_trains_in_float32_and_agrees_with_numpy():
    """--backend jax --dtype float32: JAX arrays of float32 throughout, and NumPy's verdicts."""
    pytest.importorskip("jax", reason="JAX is in the test extra")
    claims = ["linear-min-norm", "linear-span-projection", "thm2-attractor-criterion", "lemma-forced-zero",
              "cor-two-layer-conv", "thm3-homogeneity"]
    ref = run(claims, profile="quick", backend="numpy", dtype="float32")
    got = run(claims, profile="quick", backend="jax", dtype="float32")
    assert got.provenance["dtype"] == "float32" and got.provenance["backend"] == "jax"
    assert got.provenance["versions"]["jax"]
    assert [(e.verdict, e.control_rejected) for e in got.evidence] == [(e.verdict, e.control_rejected) for e in ref.evidence]
