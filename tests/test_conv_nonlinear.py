"""Nonlinear (leaky-ReLU) convolutional autoencoders: forward, backprop and the input-Jacobian
against finite differences and each other; the matrix-free spectrum against the dense one."""

import numpy as np
import pytest

from theory import conv_nets
from theory import conv
from theory import conv_nonlinear as cn
from theory.errors import InputError


def model(size=5, depth=4, filters=2, slope=0.1, seed=0):
    net = conv_nets.linear_conv_net(size, depth, filters=filters, scheme="pytorch", rng=seed)
    return cn.ConvAutoencoder(net, slope)


def data(n=3, d=25, seed=1):
    return np.random.default_rng(seed).random((n, d))


def test_slope_one_is_the_linear_network():
    m, X = model(slope=1.0), data()
    assert np.allclose(m(X), m.net(X), rtol=1e-13, atol=1e-15)
    assert not np.allclose(model(slope=0.0)(X), m.net(X))


def test_gradients_match_finite_differences():
    m, X = model(), data()
    value, grads = cn.gradients(m, X)
    assert value == pytest.approx(cn.loss(m, X))
    rng = np.random.default_rng(2)
    for l, W in enumerate(m.net.weights):
        V = rng.standard_normal(W.shape)
        h = 1e-6
        Ws = list(m.net.weights)
        Ws[l] = W + h * V
        up = cn.loss(m.with_weights(Ws), X)
        Ws[l] = W - h * V
        down = cn.loss(m.with_weights(Ws), X)
        fd = (up - down) / (2 * h)
        assert np.sum(grads[l] * V) == pytest.approx(fd, rel=1e-6, abs=1e-12), l


def test_jvp_matches_finite_differences_and_vjp_is_its_adjoint():
    m = model()
    x = data(1)[0]
    rng = np.random.default_rng(3)
    v, u = rng.standard_normal(25), rng.standard_normal(25)
    h = 1e-7
    fd = (m((x + h * v)[None, :])[0] - m((x - h * v)[None, :])[0]) / (2 * h)
    Jv = cn.jvp(m, x, v)
    assert np.allclose(Jv, fd, rtol=1e-6, atol=1e-9)
    assert np.dot(u, Jv) == pytest.approx(np.dot(cn.vjp(m, x, u), v), rel=1e-12)
    J = cn.jacobian_at(m, x)
    assert np.array_equal(np.asarray(cn.jacobian(m, x[None, :])[0]), np.asarray(J))  # the (m, d, d) stack
    assert J.shape == (25, 25) and np.allclose(J @ v, Jv, rtol=1e-12, atol=1e-14)
    V = rng.standard_normal((25, 4))
    assert np.allclose(cn.jvp(m, x, V), J @ V) and np.allclose(cn.vjp(m, x, V), J.T @ V)


def test_matrix_free_spectral_radius_agrees_with_the_dense_one(monkeypatch):
    m, X = model(size=6), data(2, 36)
    dense = cn.spectral_radius(m, X)
    monkeypatch.setattr(cn, "DENSE_D", 10)  # force ARPACK on the LinearOperator
    free = cn.spectral_radius(m, X)
    assert np.allclose(dense, free, rtol=1e-8)


def test_training_lowers_the_loss_and_bad_models_are_refused():
    m, X = model(), data()
    res = cn.train(m, X, lr=1e-2, max_steps=200)
    assert res.loss < 0.5 * cn.loss(m, X)
    assert isinstance(res.params[0], cn.ConvAutoencoder)
    with pytest.raises(InputError, match="no skip connections"):
        cn.ConvAutoencoder(conv_nets.linear_conv_net(3, 4, filters=1, skip_every=2, rng=0))
    with pytest.raises(InputError, match="slope"):
        cn.ConvAutoencoder(m.net, 2.0)
    with pytest.raises(InputError, match="features"):
        cn.gradients(m, data(2, 16))


def test_array_api_strict_gives_the_numpy_numbers():
    import array_api_strict as xps

    m_np, X = model(), data()
    net = conv_nets.linear_conv_net(5, 4, filters=2, scheme="pytorch", rng=0, xp=xps, dtype=xps.float64)
    m_x = cn.ConvAutoencoder(net, 0.1)
    Xx = xps.asarray(X)
    assert np.allclose(np.asarray(m_x(Xx)), m_np(X), rtol=1e-12, atol=1e-14)
    v_np, g_np = cn.gradients(m_np, X)
    v_x, g_x = cn.gradients(m_x, Xx)
    assert v_x == pytest.approx(v_np, rel=1e-12)
    assert all(np.allclose(np.asarray(a), b, rtol=1e-10, atol=1e-14) for a, b in zip(g_x, g_np))
    x = Xx[0, :]
    assert np.allclose(np.asarray(cn.jvp(m_x, x, x)), cn.jvp(m_np, X[0], X[0]), rtol=1e-12, atol=1e-14)


def _claim_run(monkeypatch, make_net, converged=True):
    """The Appendix H claim at the quick profile with ``cn.train`` replaced by ``make_net(x)``."""
    import gpu
    from theory.descent import DescentResult
    from verify.claims import conv_nonlinear as claim
    from verify.context import Context
    from verify.profiles import get_profile
    from verify.registry import get
    from verify.runner import run_claim

    def fake_train(model, X, **kw):
        net = make_net(np.asarray(X)[0])
        return DescentResult((net, None), 10, 0.0 if converged else 1.0, converged, "loss_tol")

    monkeypatch.setattr(claim.cn, "train", fake_train)
    monkeypatch.setattr(claim, "train_seeds", lambda nets, X, **kw: [fake_train(None, X) for _ in nets])
    return run_claim(get("apph-nonlinear-single-filter-memorizes"), Context(get_profile("quick"), gpu.resolve("numpy"), 0))


def _projection(x):
    """f(z) = (x x^T / ||x||^2) z as one fixed layer: J = the projection, outputs along x."""
    from theory.conv_nets import LinearConvNet

    P = np.outer(x, x) / np.dot(x, x)
    return cn.ConvAutoencoder(LinearConvNet((None,), (None,), (P,)))


def _identity(x):
    from theory.conv_nets import LinearConvNet

    return cn.ConvAutoencoder(LinearConvNet((None,), (None,), (np.eye(x.size),)))


def test_appendix_h_claim_holds_on_a_memorizing_map_and_not_on_the_identity(monkeypatch):
    from verify.evidence import HOLDS, INCONCLUSIVE, NOT_REPRODUCED

    ev = _claim_run(monkeypatch, _projection)
    assert ev.verdict == HOLDS, ev.reason
    assert ev.control_rejected is True
    st = ev.to_dict()["statistics"]
    assert st["memorizing_seeds"]["k"] == st["memorizing_seeds"]["n"] == 2
    assert _claim_run(monkeypatch, _identity).verdict == NOT_REPRODUCED
    assert _claim_run(monkeypatch, _projection, converged=False).verdict == INCONCLUSIVE


def biased_model(seed=0):
    """Multi-channel input (3 channels of 4 x 4), 2 filters, random biases per channel."""
    net = conv_nets.linear_conv_net(4, 3, filters=2, channels=3, scheme="pytorch", rng=seed)
    rng = np.random.default_rng(seed + 10)
    m = cn.ConvAutoencoder.zero_biases(net, 0.1)
    return m.with_biases([rng.standard_normal(b.shape) * 0.3 for b in m.biases])


def test_biases_enter_per_channel_and_their_gradients_match_finite_differences():
    """z_l = C_l h + b_l repeated over each output channel's pixels; dL/db_l (channel sums of the
    backpropagated gradient) and dL/dW_l against central differences; the Jacobian products with
    biases against differences of f; training with biases lowers the loss and moves them."""
    m, X = biased_model(), data(3, 48)
    zero = m.with_biases([0.0 * b for b in m.biases])
    assert np.allclose(zero(X), cn.ConvAutoencoder(m.net, 0.1)(X), rtol=0, atol=1e-15)
    value, grads = cn.gradients(m, X)
    L = len(m.net.weights)
    assert len(grads) == 2 * L and value == pytest.approx(cn.loss(m, X))
    rng, h = np.random.default_rng(4), 1e-6
    for l, b in enumerate(m.biases):
        v = rng.standard_normal(b.shape)
        bs = list(m.biases)
        bs[l] = b + h * v
        up = cn.loss(m.with_biases(bs), X)
        bs[l] = b - h * v
        fd = (up - cn.loss(m.with_biases(bs), X)) / (2 * h)
        assert np.dot(grads[L + l], v) == pytest.approx(fd, rel=1e-6, abs=1e-12), l
    for l, W in enumerate(m.net.weights):
        V = rng.standard_normal(W.shape)
        Ws = list(m.net.weights)
        Ws[l] = W + h * V
        up = cn.loss(m.with_weights(Ws), X)
        Ws[l] = W - h * V
        fd = (up - cn.loss(m.with_weights(Ws), X)) / (2 * h)
        assert np.sum(grads[l] * V) == pytest.approx(fd, rel=1e-6, abs=1e-12), l
    x, v = X[0], rng.standard_normal(48)
    fd = (m((x + 1e-7 * v)[None, :])[0] - m((x - 1e-7 * v)[None, :])[0]) / 2e-7
    assert np.allclose(cn.jvp(m, x, v), fd, rtol=1e-6, atol=1e-9)
    res = cn.train(m, X, lr=1e-2, max_steps=100)
    assert res.loss < value and not all(np.array_equal(a, b) for a, b in zip(res.params[0].biases, m.biases))
    with pytest.raises(InputError, match="one \\(c_out,\\) vector per convolution"):
        m.with_biases([np.zeros(5)] * L)
