"""theory.activations: accuracy of inverses and derivatives, and the Assumption 1 checker."""

import numpy as np
import pytest
from hypothesis import find, given
from hypothesis import strategies as st

from gpu import to_backend, to_numpy
from theory import activations as A
from theory.errors import InputError
from verify.strategies import assumption1_sets, violating_sets, violation_parts

NAMES = list(A.ACTIVATIONS)


@pytest.mark.parametrize("name", NAMES)
def test_derivatives_match_finite_differences(name, xp):
    act = A.get(name)
    z = np.linspace(-4.0, 4.0, 41)
    h = 1e-6
    fd1 = (act(z + h) - act(z - h)) / (2 * h)
    fd2 = (act.d1(z + h) - act.d1(z - h)) / (2 * h)
    np.testing.assert_allclose(act.d1(z), fd1, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(act.d2(z), fd2, rtol=1e-6, atol=1e-8)
    zb = to_backend(z, xp)  # the same functions on every namespace
    np.testing.assert_allclose(to_numpy(act.d1(zb)), act.d1(z), rtol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_inverse_round_trip_over_the_range(name):
    act = A.get(name)
    z = np.linspace(-30.0, 30.0, 601)
    x = act(z)
    ok = (x > act.range[0]) & (x < act.range[1])
    # relative accuracy in z wherever phi(z) is not saturated to within a few ulps of its range end
    back = act.inverse(x[ok])
    cond = np.abs(x[ok] / act.d1(z[ok]))  # |x| / |phi'(z)|: the conditioning of phi^{-1} at x
    assert np.all(np.abs(back - z[ok]) <= 4 * np.finfo(float).eps * (cond + np.abs(z[ok])))


def test_inverses_accurate_near_the_range_ends():
    sig, tanh, sp, en = A.get("sigmoid"), A.get("tanh"), A.get("softplus"), A.get("exp_neg")
    # sigmoid^{-1}(x) = log(x) - log1p(-x): exact references from the series
    assert sig.inverse(np.array([1e-300]))[0] == pytest.approx(np.log(1e-300), rel=1e-15)
    assert sig.inverse(np.array([1 - 2.0**-40]))[0] == pytest.approx(40 * np.log(2), rel=1e-12)
    assert tanh.inverse(np.array([1 - 2.0**-50]))[0] == pytest.approx(0.5 * np.log(2.0**51 - 1), rel=1e-12)
    assert sp.inverse(np.array([1e-300]))[0] == pytest.approx(np.log(1e-300), rel=1e-15)  # log(expm1(x)) ~ log x
    assert sp.inverse(np.array([700.0]))[0] == pytest.approx(700.0, rel=1e-15)
    assert sp.inverse(np.array([1e-8]))[0] == pytest.approx(np.log(np.expm1(1e-8)), rel=1e-14)
    assert en.inverse(np.array([1e-300]))[0] == pytest.approx(-np.log(1e-300), rel=1e-15)


def test_out_of_range_is_a_clear_error():
    with pytest.raises(InputError, match=r"outside the range \(0, 1\) of sigmoid.*scale_into") as info:
        A.check_assumption1(np.array([[0.2, 1.0]]), A.get("sigmoid"))
    assert "\n" not in str(info.value)
    with pytest.raises(InputError, match="unknown activation"):
        A.get("relu6")


@pytest.mark.parametrize(
    "name, column, case",
    [
        ("exp_neg", [0.3, 0.8], 1),     # pre-images > 0, convex decreasing
        ("sigmoid", [0.6, 0.9], 2),     # pre-images > 0, concave increasing
        ("tanh", [0.1, 0.5], 2),
        ("sigmoid", [0.1, 0.4], 3),     # pre-images < 0, convex increasing
        ("softplus", [0.2, 0.6], 3),
        ("neg_tanh", [0.1, 0.5], 4),    # pre-images < 0, concave decreasing
    ],
)
def test_each_case_is_identified(name, column, case):
    X = np.array(column)[:, None] * np.ones((1, 3))
    report = A.check_assumption1(X, A.get(name))
    assert report.ok and report.cases == [case] * 3


@pytest.mark.parametrize(
    "name, column, part, words",
    [
        ("tanh", [-0.5, 0.3], "a", "negative data"),
        ("sigmoid", [0.3, 0.7], "b", "both signs"),
        ("softplus", [1.0, 1.5], "c", "convex and increasing"),
        ("exp_neg", [1.2, 1.5], "c", "convex and decreasing"),  # pre-images < 0 need case 3 or 4
    ],
)
def test_each_failing_part_is_named(name, column, part, words):
    X = np.array([column, column]).T  # 2 examples, 2 coordinates
    X = np.column_stack([X[:, 0], np.full(2, A.get(name).safe_interval[0])])  # coordinate 1 is fine
    report = A.check_assumption1(X, A.get(name))
    assert not report.ok and report.cases[1] != 0 and report.cases[0] == 0
    (j, got, why), = report.failures
    assert (j, got) == (0, part) and words in why
    assert f"Assumption 1({part}) fails for {name} at 1 coordinates" in report.summary()[0]


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_strategy_data_meet_assumption1(name, data):
    X = data.draw(assumption1_sets(name))
    report = A.check_assumption1(X, A.get(name))
    assert report.ok and set(report.cases) == {A.get(name).safe_case}


@pytest.mark.parametrize("name, part", [(n, p) for n in NAMES for p in violation_parts(n)])
@given(data=st.data())
def test_violating_strategies_violate_the_named_part(name, part, data):
    X = data.draw(violating_sets(name, part))
    report = A.check_assumption1(X, A.get(name))
    assert (0, part) in {(j, p) for j, p, _ in report.failures}
    if part != "b":  # data straddling phi(0) can also break (c) in coordinates lying wholly on one side
        assert {p for _, p, _ in report.failures} == {part}


def test_impossible_violation_is_refused():
    with pytest.raises(ValueError, match="sigmoid data inside its range cannot violate only part"):
        find(violating_sets("sigmoid", "a"), lambda X: True)
