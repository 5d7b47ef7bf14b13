"""theory.construction (Theorem 6): the 1-D piece exactly (sympy, rationals) and the d-D network."""

from fractions import Fraction

import numpy as np
import pytest
import sympy

from gpu import to_backend, to_numpy
from theory import construction as con
from theory.errors import InputError


def symbolic(ts, cs):
    """x + sum_j c_j max(x - t_j, 0) as an exact sympy expression (identity = relu(x) - relu(-x))."""
    x = sympy.Symbol("x", real=True)
    expr = x
    for t, c in zip(ts, cs):
        expr += sympy.Rational(c) * sympy.Max(x - sympy.Rational(t), 0)
    return x, expr


def test_one_dimensional_construction_exactly():
    """The recipe of theory.construction evaluated in rationals: exact values and slopes."""
    values = [Fraction(1, 10), Fraction(2, 5), Fraction(3, 4)]
    s, r, h = Fraction(1, 2), Fraction(1, 25), Fraction(1, 50)
    ts, cs = con.breakpoints_and_changes(values, s, r, h)
    x, expr = symbolic(ts, cs)
    s, r, h = sympy.Rational(s), sympy.Rational(r), sympy.Rational(h)
    deriv = sympy.diff(expr, x)
    for v in values:
        v = sympy.Rational(v)
        assert sympy.simplify(expr.subs(x, v) - v) == 0                     # a fixed point
        for dx in (-r / 2, r / 3):                                          # slope s around it
            assert sympy.simplify(deriv.subs(x, v + dx) - s) == 0
        for edge in (v - r - h, v + r + h):                                 # back on the identity
            assert sympy.simplify(expr.subs(x, edge) - edge) == 0
        assert sympy.simplify(expr.subs(x, v + r) - (v + s * r)) == 0      # the corner of the contraction
        for dx in (r + h / 2, -(r + h / 2)):                               # the ramp is steeper than 1
            assert deriv.subs(x, v + dx) == 1 + r * (1 - s) / h
    # |g(x) - x| <= r (1 - s) everywhere: the maximum of a piecewise-linear |g - x| is at a breakpoint
    worst = max(abs(expr.subs(x, sympy.Rational(t)) - sympy.Rational(t)) for t in ts)
    assert worst == r * (1 - s)
    assert deriv.subs(x, -5) == 1 and deriv.subs(x, 5) == 1                # identity far away


def test_float_construction_matches_the_exact_recipe():
    g = con.piecewise_1d([0.1, 0.4, 0.75], slope=0.5, radius=0.04, ramp=0.02)
    ts, cs = con.breakpoints_and_changes([Fraction(0.1), Fraction(0.4), Fraction(0.75)], Fraction(0.5),
                                         Fraction(0.04), Fraction(0.02))
    np.testing.assert_allclose(g.breakpoints, [float(t) for t in ts], rtol=1e-15)
    np.testing.assert_allclose(g.changes, [float(c) for c in cs], rtol=1e-13)


def test_network_weights_reproduce_the_construction(xp):
    X = np.random.default_rng(0).random((4, 5))
    net = con.build(to_backend(X, xp), eps=1e-4)
    W1, b1, W2 = net.weights()
    assert W1.shape == (net.hidden_units, 5) and net.hidden_units == 5 * (2 + 4 * 4)  # O(n d)
    Z = np.random.default_rng(1).uniform(-0.5, 1.5, (200, 5))
    relu_form = np.maximum(Z @ W1.T + b1, 0) @ W2.T
    np.testing.assert_allclose(to_numpy(net(to_backend(Z, xp))), relu_form, atol=1e-12)


def test_fixed_points_slopes_and_error_bound():
    X = np.random.default_rng(2).random((6, 8))
    eps = 1e-4
    net = con.build(X, eps=eps, slope=0.25)
    np.testing.assert_allclose(net(X), X, atol=1e-15)
    np.testing.assert_allclose(net.jacobian_diagonal(X), 0.25)
    Z = np.random.default_rng(3).random((50_000, 8))
    assert np.max(np.sum((net(Z) - Z) ** 2, axis=1)) <= eps / 2 + 1e-15  # the deterministic bound


def test_duplicate_values_are_merged_and_gaps_respected():
    X = np.array([[0.0, 0.5], [0.0, 0.52], [1.0, 0.9]])
    net = con.build(X, eps=1.0)  # eps asks for a huge radius; the gaps cap it
    assert net.pieces[0].values.tolist() == [0.0, 1.0]
    assert net.pieces[1].radius <= 0.02 / 5 + 1e-15
    np.testing.assert_allclose(net(X), X, atol=1e-15)


def test_bad_arguments():
    with pytest.raises(InputError, match="slope must be in"):
        con.piecewise_1d([0.0, 1.0], slope=1.0, radius=0.1)
    with pytest.raises(InputError, match="half the smallest gap"):
        con.piecewise_1d([0.0, 0.1], slope=0.5, radius=0.04, ramp=0.02)
    with pytest.raises(InputError, match="eps must be"):
        con.build(np.ones((2, 2)), eps=0.0)
    with pytest.raises(InputError, match="non-finite"):
        con.build(np.array([[np.nan, 1.0]]), eps=1e-3)
