"""theory.stats (intervals against scipy.stats, the trend test on flat and monotone sweeps) and the
verdict rules of verify.evidence (refuted / not-reproduced / unconverged, reasons, exit status)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest

from theory import dynamics as dyn
from theory import stats
from theory.errors import InputError
from verify.evidence import (EXIT_STATUS, HOLDS, INCONCLUSIVE, NOT_MET, NOT_REPRODUCED, REFUTED, Comparison, Evidence,
                             Measurement)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 400), data=st.data(), confidence=st.sampled_from([0.9, 0.95, 0.99]))
def test_intervals_match_scipy(n, data, confidence):
    k = data.draw(st.integers(0, n))
    ref = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    assert stats.wilson(k, n, confidence) == pytest.approx((ref.low, ref.high), abs=1e-12)
    ref = binomtest(k, n).proportion_ci(confidence_level=confidence, method="exact")
    assert stats.clopper_pearson(k, n, confidence) == pytest.approx((ref.low, ref.high), abs=1e-9)
    lo, hi = stats.wilson(k, n, confidence)
    assert 0.0 <= lo <= k / n <= hi <= 1.0


@pytest.mark.parametrize("k, n", [(-1, 5), (6, 5), (1, 0), (1.5, 3), (True, 3)])
def test_fractions_refuse_impossible_counts(k, n):
    with pytest.raises(InputError, match="0 <= k <= n|integer counts"):
        stats.wilson(k, n)


def test_trend_test_accepts_a_monotone_sweep_and_rejects_a_flat_one():
    sizes = [32, 32, 32, 128, 128, 128, 512, 512, 512]
    rising = [0.1, 0.2, 0.15, 0.5, 0.45, 0.6, 0.9, 0.95, 0.85]
    up = stats.trend_test(sizes, rising)
    assert up["direction"] == "increasing" and up["p_increasing"] < 0.01 and up["spearman"] > 0.9
    down = stats.trend_test(sizes, rising[::-1])
    assert down["direction"] == "decreasing" and down["p_decreasing"] < 0.01
    flat = stats.trend_test(sizes, [0.5] * 9)
    assert flat["direction"] == "none" and flat["p_increasing"] == 1.0
    noise = stats.trend_test(sizes, np.random.default_rng(0).random(9))
    assert noise["direction"] == "none"
    assert stats.trend_test(sizes, rising, seed=3)["p_increasing"] == stats.trend_test(sizes, rising, seed=3)["p_increasing"]


def test_trend_test_p_value_matches_the_exact_permutation_distribution():
    """Six distinct values: 720 permutations; the resampled p-value is within sampling error of the exact one."""
    from itertools import permutations

    x, y = np.arange(6.0), np.array([0.1, 0.3, 0.2, 0.5, 0.4, 0.6])
    obs = stats.trend_test(x, y)["spearman"]
    exact = np.mean([stats.trend_test(x, np.array(p), resamples=1)["spearman"] >= obs - 1e-12
                     for p in permutations(y)])
    got = stats.trend_test(x, y, resamples=20000)["p_increasing"]
    assert got == pytest.approx(exact, abs=4 * np.sqrt(exact * (1 - exact) / 20000) + 1e-3)


@pytest.mark.parametrize("bad", [([1, 2], [1, 2]), ([1, 2, 3], [1, 2]), ([1, 2, np.nan], [1, 2, 3])])
def test_trend_test_refuses_bad_input(bad):
    with pytest.raises(InputError):
        stats.trend_test(*bad)


def test_rho_classes_keep_marginal_apart():
    c = stats.rho_classes([0.5, 0.96, 0.999, 1.0, 1.04, 1.2], margin=0.05)
    assert (c["clear_attractors"], c["marginal_attractors"], c["marginal_repellers"], c["clear_repellers"]) == (1, 2, 2, 1)


def test_settle_separates_recovered_spurious_and_unsettled():
    """A map pulling points within 0.3 of an example halfway to it, leaving others still, and one row
    drifting slowly: recovered, spurious (settled away from the examples) and unsettled."""
    X = np.array([[0.0, 0.0], [1.0, 0.0]])

    def f(Z):
        idx, dist = dyn.nearest(Z, X)
        out = np.where((dist < 0.3)[:, None], 0.5 * (Z + X[idx]), Z)
        return out + np.where((Z[:, 1] > 5)[:, None], np.array([[0.0, 1.0]]), 0.0)  # rows above y = 5 drift

    starts = np.array([[0.1, 0.1], [0.5, 0.5], [0.0, 6.0]])
    s = dyn.settle(f, starts, X, tol=0.01, move_tol=1e-9, cap=200)
    assert s.outcome == ["recovered", "spurious", "unsettled"]
    assert s.spurious_points == [[0.5, 0.5]] and s.steps[1] == 1 and s.steps[2] == 200
    with pytest.raises(InputError):
        dyn.settle(f, starts, X, tol=0.0, move_tol=1e-9, cap=10)


def _m(passed: bool, **kw) -> Measurement:
    return Measurement([Comparison("q", 0.0 if passed else 2.0, 1.0)], {"q": 0.0}, None, "q", **kw)


@pytest.mark.parametrize("kw, verdict", [
    (dict(passed=True), HOLDS),
    (dict(passed=False), REFUTED),                                       # exact claim: a counterexample
    (dict(passed=False, empirical=True), NOT_REPRODUCED),                # empirical: underpowered unless refuted
    (dict(passed=False, empirical=True, refutation="persists"), REFUTED),
    (dict(passed=True, inconclusive=["seed 0: loss 1e-3"]), INCONCLUSIVE),  # never holds short of what it needs
    (dict(passed=True, empirical=True, inconclusive=["seed 0"]), INCONCLUSIVE),  # nor is it folded into a failure
    (dict(passed=True, empirical=True, inconclusive=["seed 0"], reading="exists"), HOLDS),  # one run shows it
    (dict(passed=False, empirical=True, inconclusive=["seed 0"], reading="exists"), NOT_REPRODUCED),
    (dict(passed=False, empirical=True, inconclusive=["seed 0"]), NOT_REPRODUCED),  # decided on the other runs
    (dict(passed=False, inconclusive=["descent stopped"]), INCONCLUSIVE),  # an exact claim's unfinished descent
    (dict(passed=False, empirical=True, refutation="persists", inconclusive=["seed 4"]), REFUTED),
    (dict(passed=False, violations=["n >= d"]), NOT_MET),
])
def test_verdict_rules(kw, verdict):
    m = _m(**kw)
    assert m.verdict == verdict
    assert (m.reason is None) == (verdict == HOLDS)
    if m.reason:
        assert "\n" not in m.reason
    ev = Evidence("x", "ref", "s", (), m, "ctl", _m(False), 0.0)
    assert ev.exit_status == EXIT_STATUS[verdict]
    assert ev.to_dict()["reason"] == m.reason


def test_reasons_say_what_failed_and_the_scope():
    from verify.evidence import REASON_LIMIT, Scope

    m = _m(False, empirical=True, scope=Scope("width 512", "5 seeds", "trend of R: none (p = 0.7)"))
    assert m.reason == "q = 2, needs <= 1; largest size tried: width 512"
    ev = Evidence("x", "ref", "s", (), m, "ctl", _m(False), 0.0).to_dict()
    assert ev["scope"] == "largest size tried: width 512, 5 seeds; trend of R: none (p = 0.7)"  # in full
    # one line of at most REASON_LIMIT characters, whatever the claim's lines are: cut at a word, the
    # count of the others kept; the scope only where it fits
    long = _m(False, empirical=True, scope=Scope("w" * 200, "5 seeds"))
    assert long.reason == "q = 2, needs <= 1"
    many = Measurement([Comparison("a very long name " * 20, 2.0, 1.0)] * 3, {}, None, "q", violations=[])
    assert len(many.reason) <= REASON_LIMIT and many.reason.endswith("... = 2, needs <= 1 (and 2 more failing)")
    assert len(_m(True, violations=["x " * 300]).reason) <= REASON_LIMIT
    assert _m(True, inconclusive=["a", "b"]).reason == "undecided: a (and 1 more runs)"
    # the failing comparison on the runs that decide is the reason, not the runs that did not
    assert _m(False, empirical=True, inconclusive=["a"]).reason == "q = 2, needs <= 1"
    # an exact claim whose descent stopped short is no counterexample: the unfinished descent is the reason
    assert _m(False, inconclusive=["descent stopped"]).reason == "undecided: descent stopped"
    empty = Measurement([], {}, None, "q", inconclusive=["seed 0: stationary"])
    assert empty.verdict == INCONCLUSIVE and empty.reason == "no run decided: seed 0: stationary"


def test_an_accepted_control_is_exit_status_1():
    ev = Evidence("x", "ref", "s", (), _m(True), "ctl", _m(True), 0.0)
    assert ev.control_rejected is False and ev.exit_status == 1


def test_settle_lets_escaping_rows_go_without_overflow():
    """A repeller x -> 3 x: every start but the fixed point escapes; no overflow warning, no NaN."""
    import warnings

    X = np.array([[0.0, 0.0], [1.0, 1.0]])
    starts = np.array([[0.0, 0.0], [0.5, 0.1], [2.0, -1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = dyn.settle(lambda Z: 3.0 * Z, starts, X, tol=1e-3, move_tol=1e-9, cap=5000)
    assert s.outcome == ["recovered", "unsettled", "unsettled"]
    assert np.all(np.isfinite(s.distance))


def test_exit_status_precedence_with_inconclusive():
    """An accepted control outranks a refutation, which outranks a claim not reproduced, which
    outranks one no run could decide (7), which outranks success; all hypotheses not met is 6."""
    from verify.runner import Report

    def ev(m, control=None):
        return Evidence("x", "ref", "s", (), m, "ctl", _m(False) if control is None else control, 0.0)

    undecided = ev(_m(True, empirical=True, inconclusive=["seed 0"]))
    assert undecided.verdict == INCONCLUSIVE and undecided.exit_status == 7 and not undecided.ok
    assert Report({}, [ev(_m(True)), undecided]).exit_status == 7
    assert Report({}, [undecided, ev(_m(False, empirical=True))]).exit_status == 3
    assert Report({}, [undecided, ev(_m(False))]).exit_status == 4
    assert Report({}, [undecided, ev(_m(True), control=_m(True))]).exit_status == 1
    assert Report({}, [ev(_m(True, violations=["n >= d"]))]).exit_status == 6
    assert Report({}, [ev(_m(True))]).exit_status == 0
