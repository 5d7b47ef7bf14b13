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
    with pytest.raises(AssertionError, match=r"thm3-stable-fixed-points: refuted \(proof: relu is positively homogeneous"):
        assert_claim_holds("thm3-stable-fixed-points")


def _bad_api_calls():
    import numpy as np

    X = np.random.default_rng(0).random((5, 20))
    one = ["linear-min-norm"]
    return [
        (dict(claims="linear-min-norm"), "list of names, got the string"),
        (dict(claims=one, activations="sigmoid"), "activations must be a list"),
        (dict(claims=[1]), "must be names"),
        (dict(claims=one + one), "named more than once"),
        (dict(claims=one, seed=-1), "seed must be a non-negative integer"),
        (dict(claims=one, seed="abc"), "seed must be a non-negative integer"),
        (dict(claims=one, seed=None), "seed must be a non-negative integer"),
        (dict(claims=one, seed=1.7), "seed must be a non-negative integer"),
        (dict(claims=one, seed=True), "seed must be a non-negative integer"),
        (dict(claims=one, step_factor=float("nan")), "step_factor must be a finite number"),
        (dict(claims=one, step_factor=0), "step_factor must be a finite number"),
        (dict(claims=one, data={"x": X}), "unknown key 'x'"),
        (dict(claims=one, data=[X]), "data must be a dict"),
        (dict(claims=one, data={"X": X + 1j}), "complex entries"),
        (dict(claims=one, data={"X": X > 0.5}), "boolean entries"),
        (dict(claims=one, data={"X": X.astype(str)}), "text entries"),
        (dict(claims=one, data={"X": X.astype(object)}), "object entries"),
        (dict(claims=one, data={"X": np.ma.masked_array(X)}), "masked array"),
        (dict(claims=one, data={"X": None}), "must be a 2-D real array"),
        (dict(claims=one, data={"X": {}}), "must be a 2-D real array"),
        (dict(claims=["thm2-attractor-criterion"], data={"X": X}), "none of the claims run takes data"),
    ]


@pytest.mark.parametrize("kwargs, fragment", _bad_api_calls())
def test_bad_api_calls_raise_input_error_naming_the_problem(kwargs, fragment):
    import verify
    from theory.errors import InputError

    with pytest.raises(InputError, match=fragment):
        verify.run(profile="quick", **kwargs)


def test_the_report_says_which_claims_used_the_data():
    import numpy as np

    import verify

    X = np.random.default_rng(0).random((4, 24))
    report = verify.run(["linear-min-norm", "thm2-attractor-criterion"], profile="quick", data={"X": X})
    assert report.provenance["data_used_by"] == ["linear-min-norm"]
