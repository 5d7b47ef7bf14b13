"""One protocol for the model families (issue 27): each model is called on rows and returns rows,
and each family's ``jacobian(model, X)`` returns the (m, d, d) stack of input-Jacobians at the rows
of ``X``, which agrees with central differences within their measured error."""

import numpy as np
import pytest

from theory import construction as con
from theory import conv_nets
from theory import conv_nonlinear as cn
from theory import deep_fc as D
from theory import jacobians as jac
from theory import two_layer_relu as tl


def _deep(X):
    return D.init_network((X.shape[1], 12, 12, X.shape[1]), hidden="leaky_relu", scheme="pytorch", rng=0), D


def _conv(X):
    net = conv_nets.linear_conv_net(3, 3, scheme="pytorch", rng=0)
    return cn.ConvAutoencoder.zero_biases(net), cn


def _two_layer(X):
    W1 = np.random.default_rng(0).standard_normal((50, X.shape[1]))
    return tl.fit(X, W1), tl


def _construction(X):
    return con.build(X, eps=1e-4, slope=0.5), con


@pytest.mark.parametrize("make", [_deep, _conv, _two_layer, _construction], ids=["deep_fc", "conv_nonlinear",
                                                                                  "two_layer_relu", "construction"])
def test_each_family_takes_rows_and_returns_a_jacobian_stack(make):
    X = np.random.default_rng(1).uniform(0.1, 0.9, (3, 9))
    model, family = make(X)
    Y = model(X)
    assert Y.shape == X.shape  # rows in, rows out
    J = np.asarray(family.jacobian(model, X + 0.013))  # off the examples (the construction is flat there)
    assert J.shape == (3, 9, 9)
    fd = jac.fd_jacobian(lambda Z: np.asarray(model(Z)), X + 0.013)
    for i in range(3):
        assert np.max(np.abs(J[i] - np.asarray(fd.J[i]))) <= 10 * float(np.max(fd.error[i])) + 1e-9, i


def test_a_linear_conv_net_takes_rows_too():
    """LinearConvNet: called on rows, returns rows, X A^T with A its end-to-end operator (columns)."""
    net = conv_nets.linear_conv_net(3, 2, scheme="pytorch", rng=0)
    X = np.random.default_rng(2).random((4, 9))
    assert np.allclose(np.asarray(net(X)), X @ np.asarray(net.operator()).T, rtol=1e-13, atol=1e-15)
