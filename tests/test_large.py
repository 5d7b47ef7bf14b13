"""The large profile's code paths at small sizes: factored descent (no d x d matrix), the memory plan."""

import dataclasses
import tracemalloc

import numpy as np
import pytest

import gpu
from theory import linear_descent
from theory import certificates
from theory import activations as acts
from theory import linear as lin
from theory import single_layer as sl
from verify import cli, plan
from verify.context import Context
from verify.datasets import scale_into, synthetic
from verify.profiles import PROFILES, Profile
from verify.registry import get
from verify.runner import run, run_claim


def _mini_large(**linear):
    big = PROFILES["large"].sizes
    sizes = dict(PROFILES["quick"].sizes)
    sizes["linear"] = {**big["linear"], **dict(n=6, d=48, max_steps=50_000, init_rank=4, n_probe=8), **linear}
    sizes["single_layer"] = dict(big["single_layer"], n=4, d=24, activations=("tanh", "sigmoid"), target=1e-5,
                                 init_rank=4, n_probe=8)
    return Profile("mini-large", "the large profile's switches at quick sizes", sizes, base="quick")


def test_large_profile_sizes():
    p = PROFILES["large"].sizes
    assert (p["linear"]["d"], p["linear"]["n"]) == (65536, 8192) and p["linear"]["factored"]
    assert p["single_layer"]["d"] == 65536 and p["single_layer"]["factored"]
    assert max(p["two_layer"]["widths"]) == 1_000_000
    assert PROFILES["large"].for_claim(get("appg-downsampling-memorizes"))["s"] == 32
    assert 32 in PROFILES["large"].for_claim(get("lemma-forced-zero"))["sizes"]


@pytest.mark.parametrize("claim", ["linear-min-norm", "linear-gd-trajectory", "linear-span-projection",
                                   "init-perturbation", "thm1-adaptive-step", "cor-phi-eigenvectors",
                                   "cor-phi-span"])
def test_factored_claims_hold_and_reject_controls(claim, backend):
    """On every backend of the suite: array_api_strict stands in for CuPy where no GPU is lent."""
    ctx = Context(_mini_large(), backend)
    ev = run_claim(get(claim), ctx)
    assert ev.verdict == "holds", ev.measurement.comparisons
    assert ev.control_rejected


def test_factored_constant_step_claim():
    """The constant-step conjecture, factored (numpy only: thousands of steps, the same loop as above)."""
    ev = run_claim(get("thm1-constant-step"), Context(_mini_large(), gpu.resolve("numpy")))
    assert ev.verdict == "holds" and ev.control_rejected


def test_factored_claims_never_form_a_d_by_d_matrix():
    """At d = 12,000 one d x d float64 matrix is 1.15 GB; the factored claims peak far below it."""
    profile = _mini_large(d=12_000, cond=2.0)
    ctx = Context(profile, gpu.resolve("numpy"))
    tracemalloc.start()
    try:
        for claim in ("linear-min-norm", "linear-span-projection", "init-perturbation"):
            ev = run_claim(get(claim), ctx)
            assert ev.verdict == "holds" and ev.control_rejected, claim
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 0.05 * 12_000**2 * 8, f"peak {peak / 2**20:.0f} MiB"


@pytest.mark.parametrize("start", ["zero", "dense", "factored"])
def test_factored_descent_equals_dense_descent(start):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((5, 30))  # numpy here; the backend-parametrized claims above run it on each backend
    svd = lin.data_svd(X)
    F = lin.FactoredMap(0.1 * rng.standard_normal((30, 3)), rng.standard_normal((30, 3)))
    W0 = {"zero": None, "dense": F.dense(), "factored": F}[start]
    dense = linear_descent.gd_train(X, eta=1 / svd.s_max**2, W0=None if W0 is None else F.dense(), max_steps=40)
    fact = linear_descent.gd_train_factored(X, eta=1 / svd.s_max**2, W0=W0, max_steps=40, checkpoints=[7])
    assert isinstance(fact.params, lin.FactoredMap)
    assert np.max(np.abs(fact.params.dense() - dense.params)) < 1e-13
    assert fact.loss == pytest.approx(dense.loss, rel=1e-10)
    assert lin.distance(fact.params, dense.params) < 1e-13
    assert set(fact.checkpoints) == {7}


@pytest.mark.parametrize("adaptive", [True, False])
def test_factored_theorem1_descent_equals_dense(adaptive):
    act = acts.get("sigmoid")
    X = scale_into(synthetic(4, 20, cond=2.0, rng=1), act.safe_interval)
    step = sl.default_step(X, act, adaptive=adaptive)
    a = sl.gd_train(X, act, step=step, adaptive=adaptive, max_steps=60)
    b = sl.gd_train(X, act, step=step, adaptive=adaptive, max_steps=60, factored=True)
    assert np.max(np.abs(b.params.dense() - a.params)) < 1e-13


def test_factored_helpers_match_dense():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((4, 25))
    svd = lin.data_svd(X)
    W0 = lin.FactoredMap(0.2 * rng.standard_normal((25, 2)), rng.standard_normal((25, 2)))
    W = linear_descent.gd_train_factored(X, eta=1 / svd.s_max**2, W0=W0, max_steps=30).params
    Z = rng.standard_normal((3, 25))
    dense = certificates.projection_diagnostics(W.dense(), svd.V, Z)
    fact = certificates.projection_diagnostics(W, svd.V, Z)
    for key in dense:
        assert fact[key] == pytest.approx(dense[key], rel=1e-9, abs=1e-12), key
    sv = certificates.svdvals(W)
    assert np.allclose(sv, np.linalg.svd(W.dense(), compute_uv=False)[: sv.shape[0]], atol=1e-12)
    assert lin.distance(W, None) == pytest.approx(np.linalg.norm(W.dense()), rel=1e-12)
    P = lin.span_projection(X, svd=svd)
    assert lin.distance(W, P) == pytest.approx(np.linalg.norm(W.dense() - P.dense()), rel=1e-10)
    lo, hi, s1 = certificates.weyl_bounds(W0, svd.rank, length=6)
    assert s1 == pytest.approx(np.linalg.norm(W0.dense(), 2), rel=1e-12) and lo.shape == (6,)


def test_memory_plan_refuses_before_running(monkeypatch):
    monkeypatch.setenv(plan.ENV_VAR, "0.000001")
    with pytest.raises(plan.MemoryPlanError, match=r"linear-min-norm needs about .* GiB .* refused before starting"):
        run(["linear-min-norm"], profile="quick", backend="numpy")


def test_memory_plan_in_cli_and_provenance(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv(plan.ENV_VAR, "0.000001")
    assert cli.main(["--claim", "linear-min-norm", "--profile", "quick", "--backend", "numpy", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "refused before starting" in err and "Traceback" not in err
    monkeypatch.setenv(plan.ENV_VAR, "lots")
    assert cli.main(["--claim", "linear-min-norm", "--profile", "quick", "--backend", "numpy", "--quiet"]) == 2
    assert "MEMVERIFY_MEMORY_LIMIT" in capsys.readouterr().err
    monkeypatch.delenv(plan.ENV_VAR)
    report = run(["linear-min-norm"], profile="quick", backend="numpy")
    assert report.provenance["memory_plan_bytes"]["linear-min-norm"] > 0


def test_large_linear_plan_needs_a_big_device():
    """52 GiB in float64 (fits an 80 GB H100), half of it in float32; the dense trainer would need 128 GiB more."""
    ctx = Context(PROFILES["large"], gpu.resolve("numpy"))
    p64 = plan.plan(get("linear-min-norm"), ctx).bytes
    p32 = plan.plan(get("linear-min-norm"), dataclasses.replace(ctx, dtype="float32")).bytes
    assert 45 * plan.GIB < p64 < 60 * plan.GIB and (p32 - plan.BASE) * 2 == p64 - plan.BASE
    dense = dataclasses.replace(ctx, profile=Profile("x", "", {**PROFILES["large"].sizes, "linear": dict(
        PROFILES["large"].sizes["linear"], factored=False)}, base="large"))
    assert plan.plan(get("linear-min-norm"), dense).bytes - p64 == 4 * 65536**2 * 8
