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
