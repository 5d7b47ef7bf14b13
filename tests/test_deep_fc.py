"""theory.deep_fc and theory.dynamics: backprop and Jacobians against finite differences and sympy."""

import math

import numpy as np
import pytest
import sympy

from gpu import to_backend, to_numpy
from theory import deep_fc as D
from theory import dynamics as dyn
from theory.errors import InputError

ACTS = ["relu", "leaky_relu", "tanh", "sigmoid", "identity"]


def _net(hidden, xp, bias=True, seed=0):
    net = D.init_network((3, 6, 5, 3), hidden=hidden, scheme="xavier", bias=bias, rng=seed)
    return D.Network(tuple(to_backend(to_numpy(W), xp) for W in net.weights),
                     tuple(None if b is None else to_backend(to_numpy(b) + 0.1, xp) for b in net.biases),
                     net.activations)


@pytest.mark.parametrize("hidden", ACTS)
@pytest.mark.parametrize("bias", [True, False])
def test_jacobian_matches_finite_differences(hidden, bias, xp):
    net = _net(hidden, xp, bias)
    X = to_backend(np.random.default_rng(1).standard_normal((4, 3)), xp)
    J = to_numpy(D.jacobian(net, X))
    h = 1e-6
    Xn = to_numpy(X)
    f = lambda Z: to_numpy(net(to_backend(Z, xp)))  # noqa: E731
    fd = np.stack([(f(Xn + h * np.eye(3)[k]) - f(Xn - h * np.eye(3)[k])) / (2 * h) for k in range(3)], axis=2)
    np.testing.assert_allclose(J, fd, atol=1e-7)


@pytest.mark.parametrize("hidden", ACTS)
def test_gradients_match_finite_differences(hidden):
    net = _net(hidden, np)
    X = np.random.default_rng(2).standard_normal((5, 3))
    value, dWs, dbs = D.gradients(net, X)
    assert value == pytest.approx(D.loss(net, X))
    h = 1e-6
    for l in range(3):
        for (i, j) in [(0, 0), (1, 2)]:
            Ws = [W.copy() for W in net.weights]
            Ws[l][i, j] += h
            up = D.loss(D.Network(tuple(Ws), net.biases, net.activations), X)
            Ws[l][i, j] -= 2 * h
            down = D.loss(D.Network(tuple(Ws), net.biases, net.activations), X)
            assert dWs[l][i, j] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-9)
        bs = [b.copy() for b in net.biases]
        bs[l][0] += h
        up = D.loss(D.Network(net.weights, tuple(bs), net.activations), X)
        bs[l][0] -= 2 * h
        down = D.loss(D.Network(net.weights, tuple(bs), net.activations), X)
        assert dbs[l][0] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-9)


def test_jacobian_matches_sympy_for_a_tiny_network():
    """Exact symbolic Jacobian of a 2-3-2 tanh network, evaluated at a point."""
    rng = np.random.default_rng(3)
    net = D.init_network((2, 3, 2), hidden="tanh", scheme="xavier", rng=4)
    net = D.Network(net.weights, tuple(b + 0.2 for b in net.biases), net.activations)
    x = sympy.symbols("x0 x1")
    W1, W2 = (sympy.Matrix(W.tolist()) for W in net.weights)
    b1, b2 = (sympy.Matrix(b.tolist()) for b in net.biases)
    h = (W1 * sympy.Matrix(x) + b1).applyfunc(sympy.tanh)
    f = W2 * h + b2
    point = rng.standard_normal(2)
    J_sym = np.array(f.jacobian(x).subs(dict(zip(x, point))).evalf(30).tolist(), dtype=float)
    J = D.jacobian(net, point[None, :])[0]
    np.testing.assert_allclose(J, J_sym, rtol=1e-13, atol=1e-15)


def test_initialiser_statistics():
    widths = (400, 300, 200)
    for scheme, std in [("kaiming", math.sqrt(2 / 400)), ("xavier", math.sqrt(2 / 700)),
                        ("pytorch", 1 / math.sqrt(3 * 400)), ("near_zero", 1e-2 / math.sqrt(400))]:
        W = D.init_network(widths, scheme=scheme, rng=5).weights[0]
        assert float(np.std(W)) == pytest.approx(std, rel=0.03), scheme
    net = D.init_network(widths, scheme="pytorch", rng=6)
    assert np.max(np.abs(net.biases[0])) <= 1 / math.sqrt(400) and np.std(net.biases[0]) > 0
    assert np.all(D.init_network(widths, scheme="kaiming", rng=6).biases[0] == 0)


@pytest.mark.parametrize("optimizer, lr", [("gd", 0.5), ("adam", 1e-2)])
def test_training_reduces_loss_to_near_zero(optimizer, lr):
    X = np.random.default_rng(7).uniform(-1, 1, (3, 4))
    net = D.init_network((4, 32, 32, 4), hidden="relu", scheme="pytorch", rng=8)
    res = D.train(net, X, optimizer=optimizer, lr=lr, max_steps=20_000, loss_tol=1e-10)
    assert res.converged and D.loss(res.params[0], X) <= 1e-10


def test_bad_arguments():
    with pytest.raises(InputError, match="unknown layer activation"):
        D.init_network((2, 3, 2), hidden="swish")
    with pytest.raises(InputError, match="unknown initialisation"):
        D.init_network((2, 3, 2), scheme="orthogonal")
    net = D.init_network((2, 3, 2))
    with pytest.raises(InputError, match="input width"):
        D.train(net, np.ones((2, 5)), max_steps=1)
    with pytest.raises(InputError, match="unknown optimizer"):
        D.train(net, np.ones((2, 2)), optimizer="sgd", max_steps=1)


def test_theorem2_classification_and_iteration(xp):
    assert dyn.classify(0.5) == "attractor" and dyn.classify(1.5) == "repeller"
    assert dyn.classify(1.0 + 1e-9, band=1e-6) == "undecided"
    # f(x) = x - 0.5 sin(x): fixed points k pi, f'(0) = 0.5 (attractor), f'(pi) = 1.5 (repeller)
    f = lambda Z: Z - 0.5 * xp.sin(Z)  # noqa: E731
    X0 = to_backend(np.array([[0.3], [math.pi + 0.01]]), xp)
    it = dyn.iterate(f, X0, 60, train=to_backend(np.array([[0.0], [math.pi]]), xp), tol=1e-6)
    final = to_numpy(it.final)[:, 0]
    assert abs(final[0]) < 1e-9 and abs(final[1] - math.pi) > 0.5
    assert it.recovered[0] == 0.0 and it.recovered[-1] == 0.5


def test_spectral_radius_of_a_non_normal_stack(xp):
    M = np.array([[[0.5, 10.0], [0.0, 0.4]], [[0.0, 2.0], [-2.0, 0.0]]])
    rho = to_numpy(dyn.spectral_radius(to_backend(M, xp)))
    np.testing.assert_allclose(rho, [0.5, 2.0])


def test_nearest(xp):
    train = to_backend(np.array([[0.0, 0.0], [3.0, 4.0]]), xp)
    idx, dist = dyn.nearest(to_backend(np.array([[0.1, 0.0], [3.0, 3.0]]), xp), train)
    assert to_numpy(idx).tolist() == [0, 1]
    np.testing.assert_allclose(to_numpy(dist), [0.1, 1.0], atol=1e-12)


def test_known_maps_have_their_fixed_points_and_jacobians(xp):
    for m in dyn.known_maps(xp, 3, rng=0):
        p = m.fixed_point
        assert float(xp.max(xp.abs(m.f(p[None, :])[0, :] - p))) < 1e-12
        h = 1e-6
        cols = [(m.f(p[None, :] + h * e) - m.f(p[None, :] - h * e))[0, :] / (2 * h)
                for e in [to_backend(row, xp) for row in np.eye(p.shape[0])]]
        J = np.stack([to_numpy(c) for c in cols], axis=1)
        np.testing.assert_allclose(J, to_numpy(m.jacobian), atol=1e-7)
