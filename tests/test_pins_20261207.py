"""Pins written after the fresh mutation seed 20261207 (benchmarks/MUTATION.md): what its survivors in
theory/forced_zero.py and theory/pseudospectra.py changed, held to the values the mathematics gives."""

import math

import numpy as np

from theory.forced_zero import forced_zero_log_distance
from theory.pseudospectra import circle_free, classify_within

EPS = np.finfo(np.float64).eps


def test_the_lemmas_error_bound_is_the_stated_formula():
    """delta = eps (4 L + 2 ln m + d + 8) with m = 1 forced entry for the single forced zero."""
    x = np.array([0.5, 0.25, 0.75, 0.125])  # max |x| already in [0.5, 1): u = x
    L = abs(math.log(0.125))
    got = forced_zero_log_distance(x)
    assert got.relative_error == math.expm1(EPS * (4 * L + 2 * math.log(1) + 4 + 8))
    assert got.log10 == (2 * math.log(0.125) - math.log(float(x @ x))) / math.log(10)


def test_the_norm_shortcut_and_its_margin():
    """||J||_2 + error < 1 - band certifies an attractor with margin 1 - band - ||J||_2 - error (the
    spectral norm: the Frobenius norm, 0.51 here, would give 0.48)."""
    c = classify_within(np.diag([0.5, 0.1]), 0.01)
    assert c.cls == "attractor" and abs(c.margin - 0.49) < 1e-15


def test_the_budget_counts_each_evaluation_once():
    """This non-normal J (an eigenvalue 1e-3 inside the circle) needs 78 evaluations of sigma_min:
    the 64 first samples and 14 bisections."""
    J = np.array([[1 - 1e-3, 1.0], [0.0, 0.5]])
    assert not circle_free(J, 1e-6, 1.0, budget=77)[0]
    assert circle_free(J, 1e-6, 1.0, budget=78)[0]


def test_small_contracts_the_survivors_named():
    """One assertion per survivor of the seed whose change a user would see."""
    import pytest

    from theory import deep_fc as D
    from theory import dynamics as dyn
    from theory.common import check_training_set
    from theory.construction import piecewise_1d
    from theory.errors import InputError
    from theory.stats import trend_test

    with pytest.raises(InputError, match="X is float64 but Y is float32; convert both to the same dtype"):
        check_training_set(np.ones((2, 3)), np.ones((2, 3), dtype=np.float32))
    g = piecewise_1d([0.5], slope=0.5, radius=0.1)  # one training value: no gap to respect
    assert g(np.array([0.5]))[0] == 0.5 and g.derivative(np.array([0.5]))[0] == 0.5
    assert {W.dtype for W in D.identity_network(3, 2, dtype=np.float32).weights} == {np.dtype(np.float32)}
    assert D.init_network((3, 1, 3), rng=0).widths == (3, 1, 3)  # a hidden width of 1 is a network
    with pytest.raises(InputError, match="X has 4 features but the network's input width is 5"):
        D.train(D.init_network((5, 7, 5), rng=0), np.ones((2, 4)), lr=1e-3, max_steps=1)
    X = np.array([[0.0, 0.0], [1.0, 0.0]])
    with pytest.raises(InputError, match="integer cap >= 1"):
        dyn.settle(lambda Z: Z, X, X, tol=0.1, move_tol=1e-6, cap=0)
    st = dyn.settle(lambda Z: Z, np.array([[0.0, 0.01], [0.5, 0.5]]), X, tol=0.1, move_tol=1e-6, cap=3)
    assert st.fraction("recovered") == 0.5 and st.fraction("spurious") == 0.5
    flat = trend_test([1, 2, 3, 4], [5.0, 5.0, 5.0, 5.0], resamples=99)
    assert flat["direction"] == "none" and flat["p_increasing"] == 1.0 == flat["p_decreasing"]
