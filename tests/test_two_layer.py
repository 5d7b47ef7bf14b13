"""theory.two_layer_relu: closed form vs GD, Jacobians, and the pinned reason Theorem 3 fails."""

import numpy as np
import pytest

from gpu import to_backend, to_numpy
from theory import linear_descent
from theory import linear as lin
from theory import two_layer_relu as tl
from theory.errors import InputError


def model_for(xp, k=500, law="gaussian", bias=False, n=4, d=10, seed=0):
    X = to_backend(np.random.default_rng(seed).random((n, d)), xp)
    W1, b1 = tl.first_layer(d, k, law=law, bias=bias, rng=seed + 1, xp=xp)
    return X, tl.fit(X, W1, b1)


def test_closed_form_last_layer_equals_gradient_descent():
    X, model = model_for(np, k=300)
    Phi = np.maximum(to_numpy(model.Pre), 0.0)
    svd = lin.data_svd(Phi)
    res = linear_descent.gd_train(Phi, X, eta=1.0 / svd.s_max**2, max_steps=100_000, loss_tol=1e-28)
    np.testing.assert_allclose(res.params, model.W2(), atol=1e-12)
    np.testing.assert_allclose(model(X), X, atol=1e-12)  # interpolation


@pytest.mark.parametrize("bias", [False, True])
def test_jacobian_and_reduced_spectrum(bias, xp):
    X, model = model_for(xp, bias=bias)
    z = X[1, :] + 0.01
    J = to_numpy(tl.jacobian_dense(model, z))
    h = 1e-6
    zn = to_numpy(z)
    f = lambda v: to_numpy(model(to_backend(v[None, :], xp)))[0]  # noqa: E731
    fd = np.stack([(f(zn + h * e) - f(zn - h * e)) / (2 * h) for e in np.eye(10)], axis=1)
    np.testing.assert_allclose(J, fd, atol=1e-6)
    mods, trace = tl.jacobian_spectrum(model, z)
    dense = np.sort(np.abs(np.linalg.eigvals(J)))[::-1][: mods.shape[0]]
    np.testing.assert_allclose(to_numpy(mods), dense, atol=1e-10)
    assert trace == pytest.approx(np.trace(J), abs=1e-10)


@pytest.mark.parametrize("law", tl.LAWS)
@pytest.mark.parametrize("k", [50, 2000])
def test_examples_are_eigenvectors_with_eigenvalue_one_without_bias(law, k, xp):
    """The reason Theorem 3 fails: positive homogeneity gives J(x_m) x_m = x_m at every width."""
    X, model = model_for(xp, k=k, law=law)
    for m in range(X.shape[0]):
        x = X[m, :]
        np.testing.assert_allclose(to_numpy(tl.jacobian_dense(model, x) @ x), to_numpy(x), atol=1e-11)
        np.testing.assert_allclose(to_numpy(model(3.0 * x[None, :])[0, :]), 3.0 * to_numpy(x), atol=1e-11)
        mods, _ = tl.jacobian_spectrum(model, x)
        assert float(mods[0]) >= 1.0 - 1e-12  # so rho(J(x_m)) < 1 is impossible


def test_the_bias_breaks_homogeneity_and_the_eigenvalue_one():
    X, model = model_for(np, k=2000, bias=True)
    x = X[0]
    assert np.linalg.norm(tl.jacobian_dense(model, x) @ x - x) > 1e-2
    assert float(tl.jacobian_spectrum(model, x)[0][0]) < 1.0


def test_antipodal_pair_meets_assumption_b_exactly_and_still_has_rho_one():
    u = np.random.default_rng(3).standard_normal(8)
    X = np.stack([u, -u])
    W1, _ = tl.first_layer(8, 1000, rng=4)
    model = tl.fit(X, W1)
    assert np.max(tl.feature_cosines(model)) == 0.0
    mods, trace = tl.jacobian_spectrum(model, X[0])
    assert trace == pytest.approx(1.0, abs=1e-12)  # rank one with trace 1: Appendix C's "< 1" fails
    assert float(mods[0]) == pytest.approx(1.0, abs=1e-12) and float(mods[1]) < 1e-12


def test_points_on_the_ray_stay_put():
    X, model = model_for(np, k=1000)
    x = X[0]
    z = 1.05 * x
    for _ in range(100):
        z = model(z[None, :])[0]
    assert np.linalg.norm(z - x) == pytest.approx(0.05 * np.linalg.norm(x), rel=1e-9)


def test_bad_inputs():
    X = np.random.default_rng(0).random((5, 4))
    W1, _ = tl.first_layer(4, 3, rng=0)
    with pytest.raises(InputError, match="width k = 3 < n = 5"):
        tl.fit(X, W1)
    with pytest.raises(InputError, match="non-finite"):
        tl.fit(np.full((2, 4), np.nan), tl.first_layer(4, 10, rng=0)[0])
    with pytest.raises(InputError, match="empty"):
        tl.fit(np.ones((0, 4)), tl.first_layer(4, 10, rng=0)[0])
    with pytest.raises(InputError, match="unknown law"):
        tl.first_layer(4, 10, law="cauchy")
    with pytest.raises(InputError, match="columns"):
        tl.fit(X, tl.first_layer(3, 10, rng=0)[0])


def test_appendix_c_limit_is_exactly_one():
    X, model = model_for(np, k=800)
    assert [tl.appendix_c_limit(model, m) for m in range(X.shape[0])] == pytest.approx([1.0] * X.shape[0], abs=1e-15)


def test_theorem3_notes_state_the_measured_numbers():
    """Issue 30: the notes of thm3-stable-fixed-points are composed from its measurements (the bias
    variant's largest rho per width, the feature cosine, the trace), not typed text."""
    import verify

    ev = verify.run(["thm3-stable-fixed-points"], profile="quick").evidence[0]
    notes, metrics = ev.measurement.notes, ev.measurement.metrics
    for name, m in metrics.items():
        if isinstance(m, dict) and "bias_variant_max_rho_by_width" in m:
            line = next(n for n in notes if n.startswith(f"{name}: "))
            for k, v in m["bias_variant_max_rho_by_width"].items():
                assert f"{v:.3g} at k = {k}" in line
            assert f"{max(m['max_trace_by_width'].values()):.3g}" in line
