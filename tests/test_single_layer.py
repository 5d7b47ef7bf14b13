"""theory.single_layer: Theorem 1's limit against explicit descent, the gradient, phi-eigenvectors, phi-span."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpu import to_backend
from theory import activations as A
from theory import linear as lin
from theory import single_layer as sl
from theory.common import fro
from theory.errors import DivergenceError, InputError
from verify.datasets import scale_into, synthetic
from verify.strategies import assumption1_sets

NAMES = list(A.ACTIVATIONS)


def data_for(name, n=4, d=20, cond=2.0, seed=0):
    return scale_into(synthetic(n, d, cond=cond, rng=seed), A.get(name).safe_interval)


@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_finite_differences(name):
    act = A.get(name)
    X = data_for(name, n=3, d=6)
    rng = np.random.default_rng(1)
    A0 = 0.1 * rng.standard_normal((6, 6))
    step = 1e-3
    res = sl.gd_train(X, act, step=step, adaptive=False, A0=A0, max_steps=1)
    grad = (A0 - res.params) / step
    h = 1e-6
    for (i, j) in [(0, 0), (2, 5), (5, 1)]:
        E = np.zeros_like(A0)
        E[i, j] = h
        fd = (sl.loss(A0 + E, X, act) - sl.loss(A0 - E, X, act)) / (2 * h)
        assert grad[i, j] == pytest.approx(fd, rel=1e-6, abs=1e-10)


@pytest.mark.parametrize("name", NAMES)
def test_adaptive_step_moves_downhill_for_decreasing_phi(name):
    """The adaptive update (phi' replaced by its sign) decreases the loss for increasing and decreasing phi."""
    act = A.get(name)
    X = data_for(name)
    step = sl.default_step(X, act, adaptive=True)
    res = sl.gd_train(X, act, step=step, adaptive=True, max_steps=50)
    assert res.loss < sl.loss(np.zeros((20, 20)), X, act)


@settings(max_examples=10)
@given(name=st.sampled_from(NAMES), adaptive=st.booleans(), data=st.data())
def test_descent_converges_to_theorem1_limit(name, adaptive, data):
    act = A.get(name)
    X = data.draw(assumption1_sets(act, n=st.integers(1, 5), d=st.integers(8, 40), cond=st.floats(1.0, 2.0)))
    svd = lin.data_svd(X)
    step = sl.default_step(X, act, adaptive=adaptive, svd=svd)
    res = sl.gd_train(X, act, step=step, adaptive=adaptive, max_steps=100_000, loss_tol=1e-22)
    target = sl.closed_form(X, act, svd=svd)
    err = fro(res.params - target.dense())
    bound = sl.distance_bound(res.params, X, act, svd)
    assert err <= bound + 1e-10 * target.fro()
    assert bound <= 1e-6 * target.fro(), (res.steps, res.loss)


def test_closed_form_is_linear_solution_on_preimages(xp):
    act = A.get("sigmoid")
    X = to_backend(data_for("sigmoid"), xp)
    Y = act.inverse(X)
    assert fro(sl.closed_form(X, act).dense() - lin.min_norm_solution(X, Y).dense()) == 0.0


@pytest.mark.parametrize("name", NAMES)
def test_examples_are_phi_eigenvectors_of_closed_form(name, xp):
    act = A.get(name)
    X = to_backend(data_for(name), xp)
    lam, res = sl.phi_eigen(sl.closed_form(X, act), X, act)
    assert float(xp.max(xp.abs(lam - 1.0))) < 1e-12 and float(xp.max(res)) < 1e-12


@pytest.mark.parametrize("name", NAMES)
def test_phi_span_membership_and_non_membership(name, xp):
    act = A.get(name)
    X = to_backend(data_for(name), xp)
    lo, hi = act.safe_interval
    Z = to_backend(lo + (hi - lo) * np.random.default_rng(2).random((5, 20)), xp)
    inside = sl.phi_span_residual(sl.closed_form(X, act), Z, X, act)
    assert float(xp.max(inside)) < 1e-12
    rng = np.random.default_rng(3)
    other = to_backend(0.05 * rng.standard_normal((20, 20)), xp)  # a random map's outputs leave the phi-span
    assert float(xp.min(sl.phi_span_residual(other, Z, X, act))) > 1e-3


def test_oversized_step_stalls_instead_of_diverging():
    """Saturating activations keep the loss bounded: a 50x step stalls at a non-zero loss, it does not blow up."""
    for name in ("tanh", "softplus", "exp_neg"):
        act = A.get(name)
        X = data_for(name)
        res = sl.gd_train(X, act, step=50 * sl.default_step(X, act, adaptive=False), adaptive=False, max_steps=3000)
        assert math.isfinite(res.loss) and res.loss > 1e-3


def test_oversized_step_fails_the_claim_with_a_reason():
    import gpu
    from verify.context import Context
    from verify.evidence import INCONCLUSIVE
    from verify.profiles import get_profile
    from verify.registry import get
    from verify.runner import run_claim

    ev = run_claim(get("thm1-constant-step"), Context(get_profile("quick"), gpu.resolve("numpy"), 0, 50.0))
    assert ev.verdict == INCONCLUSIVE and ev.reason.startswith("undecided: ")
    assert any("did not converge" in n and "stall" in n for n in ev.measurement.notes)


def test_nonfinite_loss_is_divergence():
    act = A.get("exp_neg")
    X = data_for("exp_neg")
    with np.errstate(over="ignore", invalid="ignore"), pytest.raises(DivergenceError, match="diverged"):
        sl.gd_train(X, act, step=1.0, adaptive=False, A0=np.full((20, 20), -40.0), max_steps=5)


def test_bad_inputs():
    act = A.get("tanh")
    X = data_for("tanh")
    with pytest.raises(InputError, match="outside the range"):
        sl.gd_train(X + 1.0, act, step=0.1, adaptive=True, max_steps=1)
    with pytest.raises(InputError, match="A0 has shape"):
        sl.gd_train(X, act, step=0.1, adaptive=True, max_steps=1, A0=np.zeros((3, 3)))
    with pytest.raises(InputError, match="step must be"):
        sl.gd_train(X, act, step=math.nan, adaptive=True, max_steps=1)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("factored", [False, True])
def test_adaptive_rule_uses_the_constant_sign_of_phi_prime(name, factored):
    """Every activation here has phi' of one sign (no critical points), so the adaptive update
    sign(phi') R is +-R and phi' is not evaluated; the iterates are exactly those of the general
    rule (an activation with a critical point far away takes that path)."""
    import dataclasses

    act = A.get(name)
    z = np.linspace(-30.0, 30.0, 601)
    assert np.all(np.sign(act.d1(z)) == act.d1_sign)
    general = dataclasses.replace(act, criticals=(1e9,))
    assert general.d1_sign is None
    X = data_for(name, n=3, d=8)
    step = sl.default_step(X, act, adaptive=True)
    runs = [sl.gd_train(X, a, step=step, adaptive=True, max_steps=25, factored=factored) for a in (act, general)]
    params = [r.params.dense() if factored else r.params for r in runs]
    assert np.array_equal(params[0], params[1]) and runs[0].loss == runs[1].loss
