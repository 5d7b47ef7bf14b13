"""theory.linear: closed forms against explicit gradient descent and against NumPy's pinv."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpu import to_backend, to_numpy
from theory import linear_descent
from theory import certificates
from theory import linear as lin
from theory.common import fro
from theory.errors import DivergenceError, InputError
from verify.datasets import gaussian_init, synthetic
from verify.strategies import training_sets

U = np.finfo(np.float64).eps / 2


def _put(xp, a):
    return to_backend(a, xp)


def test_min_norm_equals_pinv_general_targets(xp):
    rng = np.random.default_rng(1)
    X = synthetic(5, 30, cond=20.0, rng=rng)
    Y = rng.standard_normal((5, 7))
    W = to_numpy(lin.min_norm_solution(_put(xp, X), _put(xp, Y)).dense())
    expected = Y.T @ np.linalg.pinv(X.T)  # paper: W* = Y X^+ with columns as examples
    np.testing.assert_allclose(W, expected, atol=1e-12 * np.linalg.norm(expected))


def test_projection_is_x_xplus(xp):
    X = synthetic(4, 25, cond=5.0, rng=2)
    P = to_numpy(lin.span_projection(_put(xp, X)).dense())
    np.testing.assert_allclose(P, np.linalg.pinv(X) @ X, atol=1e-13)  # rows: X^+ X
    np.testing.assert_allclose(P @ P, P, atol=1e-13)
    np.testing.assert_allclose(P, P.T, atol=1e-13)


@given(training_sets(d=st.integers(20, 200), cond=st.floats(1.0, 30.0)), st.integers(0, 60), st.booleans())
def test_closed_form_iterate_equals_explicit_gd(X, t, from_random):
    """Appendix A's iterate at step t, from 0 or a random W0, is what explicit GD computes."""
    import array_api_compat.numpy as xp

    Xa = xp.asarray(X)
    svd = lin.data_svd(Xa)
    eta = 1.0 / svd.s_max**2
    W0 = xp.asarray(gaussian_init(X.shape[1], X.shape[1], 0.3, rng=t)) if from_random else None
    res = linear_descent.gd_train(Xa, eta=eta, W0=W0, max_steps=t)
    closed = lin.gd_iterate(Xa, eta=eta, t=t, W0=W0, svd=svd).dense()
    scale = max(lin.gd_limit(Xa, W0=W0, svd=svd).fro(), 1.0)
    assert fro(res.params - closed) / scale <= certificates.gd_rounding_allowance(svd, t, U)


def test_closed_form_with_large_step_branch(xp):
    """eta s^2 in (1, 2): the factor (1 - eta s^2)^t has a negative base; both branches agree with GD."""
    X = _put(xp, synthetic(3, 12, cond=1.5, rng=3))
    svd = lin.data_svd(X)
    eta = 1.9 / svd.s_max**2  # eta s_max^2 = 1.9, eta s_min^2 = 0.84: mixed branches
    res = linear_descent.gd_train(X, eta=eta, max_steps=7)
    closed = lin.gd_iterate(X, eta=eta, t=7, svd=svd).dense()
    assert fro(res.params - closed) < 1e-13


def test_t_zero_and_t_infinity(xp):
    X = _put(xp, synthetic(4, 16, cond=3.0, rng=4))
    W0 = _put(xp, gaussian_init(16, 16, 0.5, rng=5))
    svd = lin.data_svd(X)
    assert fro(lin.gd_iterate(X, eta=0.5, t=0, W0=W0, svd=svd).dense() - W0) < 1e-15
    assert lin.gd_iterate(X, eta=0.5, t=0, svd=svd).fro() == 0.0
    lim = lin.gd_limit(X, W0=W0, svd=svd).dense()
    P = lin.span_projection(X, svd=svd).dense()
    d = X.shape[1]
    expected = P + W0 @ (xp.eye(d, dtype=X.dtype) - P)  # X X^+ + W0 (I - X X^+)
    assert fro(lim - expected) < 1e-13


@given(training_sets(n=st.integers(1, 8), d=st.integers(10, 80), cond=st.floats(1.0, 10.0)), st.integers(1, 400))
def test_loss_bound_certifies_distance_to_limit(X, t):
    """||W(t) - W(inf)||_F <= sqrt(2 L(t)) / s_min (plus rounding) at every t."""
    import array_api_compat.numpy as xp

    Xa = xp.asarray(X)
    svd = lin.data_svd(Xa)
    res = linear_descent.gd_train(Xa, eta=1.0 / svd.s_max**2, max_steps=t)
    P = lin.span_projection(Xa, svd=svd)
    err = fro(res.params - P.dense())
    assert err <= certificates.gd_error_bound(res.loss, svd) + certificates.gd_rounding_allowance(svd, t, U) * P.fro()


def test_bound_is_not_vacuous():
    """The certificate is tight: for a one-mode error it equals the error itself."""
    X = np.diag([2.0, 1.0, 0.0, 0.0])[:2]  # rows e1*2, e2*1 in R^4
    svd = lin.data_svd(X)
    res = linear_descent.gd_train(X, eta=0.25, max_steps=30)  # the s=2 mode converges in one step
    err = np.linalg.norm(res.params - svd.V @ svd.V.T)
    assert err == pytest.approx(certificates.gd_error_bound(res.loss, svd), rel=1e-9)


def test_weyl_bounds_hold_and_are_attained_in_the_limit(xp):
    X = _put(xp, synthetic(5, 30, cond=4.0, rng=6))
    for scale in (1e-3, 0.1, 2.0):
        W0 = _put(xp, gaussian_init(30, 30, scale, rng=7))
        lim = lin.gd_limit(X, W0=W0).dense()
        lower, upper, s1 = certificates.weyl_bounds(W0, 5)
        sv = xp.linalg.svdvals(lim)
        assert bool(xp.all(sv <= upper + 1e-12)) and bool(xp.all(sv >= lower - 1e-12))
        assert s1 == pytest.approx(float(np.linalg.norm(to_numpy(W0), 2)))


def test_distance_from_projection_is_linear_in_scale(xp):
    X = _put(xp, synthetic(5, 30, cond=4.0, rng=8))
    P = lin.span_projection(X).dense()
    dist = [fro(lin.gd_limit(X, W0=_put(xp, gaussian_init(30, 30, s, rng=9))).dense() - P) for s in (0.1, 0.2, 0.4)]
    assert dist[1] == pytest.approx(2 * dist[0], rel=1e-10) and dist[2] == pytest.approx(4 * dist[0], rel=1e-10)


def test_factored_map_apply_and_fro_match_dense(xp):
    rng = np.random.default_rng(10)
    left, right = _put(xp, rng.standard_normal((7, 3))), _put(xp, rng.standard_normal((9, 3)))
    base = _put(xp, rng.standard_normal((7, 9)))
    Z = _put(xp, rng.standard_normal((4, 9)))
    for f in (lin.FactoredMap(left, right), lin.FactoredMap(left, right, base)):
        dense = f.dense()
        assert f.shape == (7, 9)
        assert fro(f.apply(Z) - Z @ dense.T) < 1e-12
        assert f.fro() == pytest.approx(fro(dense), rel=1e-12)


def test_rank_detection():
    X = synthetic(6, 20, rank=4, cond=10.0, rng=11)
    svd = lin.data_svd(X)
    assert svd.rank == 4 and not svd.full_rank
    assert svd.cond == pytest.approx(10.0, rel=1e-9)


def test_projection_diagnostics_zero_for_projection_and_large_otherwise(xp):
    X = _put(xp, synthetic(4, 20, cond=3.0, rng=12))
    svd = lin.data_svd(X)
    Z = _put(xp, np.random.default_rng(13).standard_normal((6, 20)))
    good = certificates.projection_diagnostics(lin.span_projection(X, svd=svd).dense(), svd.V, Z)
    assert max(good.values()) < 1e-13
    bad = certificates.projection_diagnostics(xp.eye(20, dtype=X.dtype), svd.V, Z)  # identity: idempotent, symmetric
    assert bad["idempotency"] < 1e-14 and bad["symmetry"] == 0.0
    assert bad["eig_zero"] == pytest.approx(1.0) and bad["out_of_span"] > 0.5


def test_divergence_names_the_largest_stable_step(xp):
    X = _put(xp, synthetic(4, 20, cond=2.0, rng=14))
    stable = lin.largest_stable_step(X)
    with pytest.raises(DivergenceError, match=r"largest stable step 2/lambda_max\(X X\^T\) = 2") as info:
        linear_descent.gd_train(X, eta=1.2 * stable, max_steps=10_000)
    assert "\n" not in str(info.value)
    with pytest.raises(InputError, match="does not converge"):
        certificates.gd_steps_needed(lin.data_svd(X), 1.01 * stable, 1e-6)
    with pytest.raises(InputError, match="largest stable step"):
        lin.gd_iterate(X, eta=stable, t=math.inf)


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.array([[1.0, np.nan, 0.0]]), "non-finite"),
        (np.array([[1.0, np.inf, 0.0]]), "non-finite"),
        (np.ones(5), "must be 2-D"),
        (np.ones((2, 3, 4)), "must be 2-D"),
        (np.ones((0, 4)), "empty"),
        (np.ones((2, 4), dtype=np.int64), "dtype"),
        (np.zeros((2, 4)), "all zeros"),
    ],
)
def test_bad_data_gives_one_line_errors(bad, match):
    with pytest.raises(InputError, match=match) as info:
        lin.min_norm_solution(bad)
    assert "\n" not in str(info.value)


def test_bad_arguments():
    X = synthetic(3, 10, rng=15)
    with pytest.raises(InputError, match="examples but Y has"):
        lin.min_norm_solution(X, np.ones((4, 10)))
    with pytest.raises(InputError, match="W0 has shape"):
        linear_descent.gd_train(X, eta=0.5, W0=np.zeros((9, 10)), max_steps=1)
    with pytest.raises(InputError, match="eta must be"):
        linear_descent.gd_train(X, eta=-1.0, max_steps=1)
    with pytest.raises(InputError, match="non-negative integer"):
        lin.gd_iterate(X, eta=0.5, t=-1)
    with pytest.raises(InputError, match="not an array"):
        lin.min_norm_solution([[1.0, 2.0]])


def test_step_limit_uses_the_smaller_gram():
    """The divergence hint's lambda_max(X X^T) comes from the smaller Gram: a tall X (n >> d, which
    gd_train accepts) must not make an n x n matrix (288 MB here)."""
    import tracemalloc

    rng = np.random.default_rng(0)
    for shape in ((7, 40), (40, 7)):
        X = rng.standard_normal(shape)
        assert lin.lambda_max(X) == pytest.approx(np.linalg.norm(X, 2) ** 2, rel=1e-12)
    X = rng.standard_normal((6000, 4))
    tracemalloc.start()
    try:
        linear_descent.gd_train(X, X[:, :2], eta=1e-5, max_steps=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20, peak


@pytest.mark.parametrize("c", [1e-8, 1e8, 2.0**-300, 2.0**300])
def test_data_svd_rank_is_scale_invariant_on_rank_deficient_data(c):
    """The rank threshold is relative to s_max (``rtol * s_max``): scaling X keeps the rank of a
    rank-deficient X (the mutant ``* smax`` -> ``/ smax`` fails this)."""
    import numpy as np

    from theory.linear import data_svd

    rng = np.random.default_rng(3)
    X = rng.standard_normal((8, 3)) @ rng.standard_normal((3, 40))  # rank 3 of 8 rows
    assert data_svd(X).rank == 3
    assert data_svd(c * X).rank == 3


def test_span_distances_of_vectors_in_and_out_of_the_span(xp):
    """theory.linear.span_distances: 0 for a vector of the span, 1 for a unit vector orthogonal to
    it, and a complex eigenvector's distance the same as its real part's when it is real up to phase."""
    import numpy as np

    Q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((6, 2)))
    inside, outside = Q @ np.array([0.6, 0.8]), np.linalg.qr(np.hstack([Q, np.eye(6)[:, :1]]))[0][:, 2]
    E = np.stack([inside, outside], axis=1)
    d = np.asarray(lin.span_distances(xp.asarray(E), xp.asarray(Q)))
    assert d[0] < 1e-15 and abs(d[1] - 1.0) < 1e-15
    phased = np.asarray(lin.span_distances((1j * E).astype(np.complex128), Q))
    assert np.allclose(phased, d, atol=1e-15)
