"""Helpers for a user's own pytest suite: assert that the paper's claims hold on their data.

    from verify.testing import assert_claim_holds
    def test_my_data_is_memorized():
        assert_claim_holds("linear-min-norm", X=my_training_set, profile="quick")
"""

from __future__ import annotations

from .evidence import HOLDS


def assert_claim_holds(claim_id: str, *, X=None, profile: str = "quick", backend: str | None = "numpy", seed: int = 0,
                       require_control: bool = True):
    """Run ``claim_id`` (on ``X`` if given) and raise ``AssertionError`` with the failing
    comparisons unless it holds and (with ``require_control``) its negative control is rejected.
    Returns the :class:`verify.evidence.Evidence`."""
    from . import check, run

    ev = check(claim_id, X=X, profile=profile, backend=backend, seed=seed) if X is not None else \
        run([claim_id], profile=profile, backend=backend, seed=seed).evidence[0]
    if ev.verdict != HOLDS:
        failing = [f"{c.name}: {c.measured:.6g} {c.op} {c.bound:.6g} is false" for c in ev.measurement.comparisons
                   if not c.passed]
        detail = "; ".join(failing) or "; ".join(ev.measurement.violations)
        raise AssertionError(f"{claim_id}: {ev.verdict} ({ev.reason})" + (f"; {detail}" if detail not in ev.reason else ""))
    if require_control and ev.control_rejected is not True:
        raise AssertionError(f"{claim_id}: the negative control ({ev.control_description}) was not rejected; "
                             "the check could not tell a wrong prediction from a right one")
    return ev
