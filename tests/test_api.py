"""The Python API for researchers: verify.check on one's own data, verify.testing in one's own suite."""

import numpy as np
import pytest

import verify
from theory.errors import InputError
from verify.testing import assert_claim_holds


def test_check_runs_a_claim_on_user_data():
    X = np.random.default_rng(0).standard_normal((6, 80))
    ev = verify.check("linear-min-norm", X=X, backend="numpy")
    assert ev.verdict == verify.HOLDS and ev.control_rejected is True


def test_check_refuses_claims_without_data():
    with pytest.raises(InputError, match="takes no data"):
        verify.check("thm5-depth-lower-bound", X=np.ones((2, 9)))
    with pytest.raises(InputError, match="square images"):
        verify.check("thm4-single-filter-full-rank", X=np.ones((1, 10)))


def test_assert_claim_holds_passes_and_explains_failures():
    X = np.random.default_rng(1).standard_normal((4, 50))
    assert assert_claim_holds("linear-span-projection", X=X).verdict == verify.HOLDS
    with pytest.raises(AssertionError, match="hypotheses-not-met .*not overparameterized"):
        assert_claim_holds("linear-min-norm", X=np.random.default_rng(2).standard_normal((60, 50)))
    with pytest.raises(AssertionError, match=r"thm3-stable-fixed-points: refuted \(proof: relu is 1-homogeneous"):
        assert_claim_holds("thm3-stable-fixed-points")


def test_the_report_says_which_claims_used_the_data():
    import numpy as np

    import verify

    X = np.random.default_rng(0).random((4, 24))
    report = verify.run(["linear-min-norm", "thm2-attractor-criterion"], profile="quick", data={"X": X})
    assert report.provenance["data_used_by"] == ["linear-min-norm"]


@pytest.mark.parametrize("scale", [1e300, 1e-300, 1e-200, 1e-320])
def test_scale_invariant_claims_take_any_finite_magnitude(scale):
    """The linear claims are invariant under X -> c X: a user's X is brought to max |X| in [0.5, 1)
    by an exact power of two (recorded in a note), so 1e300, 1e-300 and subnormal data verify."""
    import numpy as np

    import verify

    X = np.random.default_rng(0).random((5, 24))
    for cid in ("linear-min-norm", "init-perturbation"):
        ev = verify.run([cid], profile="quick", data={"X": X * scale}).evidence[0]
        assert ev.verdict == verify.HOLDS, ev.reason
        assert any("multiplied by 2^" in n and "(exact)" in n for n in ev.measurement.notes)


def test_a_power_of_two_rescaling_changes_no_bit():
    import numpy as np

    import verify

    X = np.random.default_rng(1).random((5, 24))
    a = verify.run(["linear-min-norm"], profile="quick", data={"X": X}).evidence[0]
    b = verify.run(["linear-min-norm"], profile="quick", data={"X": X * 2.0**700}).evidence[0]
    assert [c.measured for c in a.measurement.comparisons] == [c.measured for c in b.measurement.comparisons]


@pytest.mark.parametrize("scale, cid", [(1e300, "thm3-stable-fixed-points"), (1e-300, "thm6-attractors"),
                                        (1e200, "sec3-contraction"), (1e-160, "thm1-adaptive-step")])
def test_other_claims_refuse_magnitudes_they_cannot_square(scale, cid):
    """Not scale-invariant: outside [sqrt(tiny / eps), sqrt(max / 16 n d)] a one-line InputError
    naming the claim and the range (Theorem 6 at 1e300 used to be 'refuted')."""
    import numpy as np

    import verify
    from theory.errors import InputError

    X = np.random.default_rng(0).random((5, 24))
    with pytest.raises(InputError, match=rf"largest entry is .*; {cid} squares .* needs it within \["):
        verify.run([cid], profile="quick", data={"X": X * scale})
    with pytest.raises(InputError, match="all zeros"):
        verify.run([cid], profile="quick", data={"X": 0 * X})


def test_data_at_phi_of_zero_everywhere_is_refused():
    import numpy as np

    import verify
    from theory.errors import InputError

    X = np.ones((5, 24))  # exp_neg(0) = 1: the target map is 0
    with pytest.raises(InputError, match=r"exp_neg\(0\) = 1 .* relative errors are undefined"):
        verify.run(["cor-phi-span"], profile="quick", data={"X": X}, activations=["exp_neg"])


def test_activation_flags_that_select_nothing_are_refused():
    import verify
    from theory.errors import InputError

    with pytest.raises(InputError, match="none of the claims run uses it"):
        verify.run(["linear-min-norm"], profile="quick", activations=["tanh"])
    with pytest.raises(InputError, match="selects none of this claim's cases"):
        verify.run(["thm1-beyond-assumptions"], profile="quick", activations=["neg_tanh"])
    report = verify.run(["linear-min-norm", "cor-phi-span"], profile="quick", activations=["tanh"])
    assert report.provenance["activations_used_by"] == ["cor-phi-span"]


def test_a_measurement_with_nothing_compared_never_holds():
    from verify.evidence import INCONCLUSIVE, Measurement

    m = Measurement([], {}, None, key="x")
    assert m.verdict == INCONCLUSIVE and "nothing was compared" in m.reason


def test_strategies_name_the_extra_when_hypothesis_is_missing(monkeypatch):
    import builtins
    import importlib
    import sys

    real = builtins.__import__

    def no_hypothesis(name, *args, **kwargs):
        if name == "hypothesis" or name.startswith("hypothesis."):
            raise ImportError("No module named 'hypothesis'")
        return real(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "verify.strategies", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_hypothesis)
    with pytest.raises(ImportError, match=r"memverify\[test\]"):
        importlib.import_module("verify.strategies")
    monkeypatch.undo()
    importlib.import_module("verify.strategies")


def test_user_data_on_another_namespace_is_read():
    """An array_api_strict X (whose dtype object is not NumPy's) verifies like the NumPy one."""
    import array_api_strict as xps

    X = np.random.default_rng(0).random((5, 24))
    a = verify.run(["linear-min-norm"], profile="quick", data={"X": xps.asarray(X)}).evidence[0]
    b = verify.run(["linear-min-norm"], profile="quick", data={"X": X}).evidence[0]
    assert a.verdict == verify.HOLDS and [c.measured for c in a.measurement.comparisons] == \
        [c.measured for c in b.measurement.comparisons]
