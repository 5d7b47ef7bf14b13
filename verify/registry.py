"""The claims registry: every claim the verifier knows, by id."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Callable

from theory.errors import InputError


class UnknownClaimError(InputError):
    """A claim id that is not registered."""


@dataclass(frozen=True)
class Claim:
    """A claim of the paper and how to check it.

    Attributes
    ----------
    id : short stable identifier (``linear-min-norm``)
    paper_ref : where the paper states it (``Section 2; Appendix A``)
    statement : the claim in one line
    hypotheses : the hypotheses, in words
    make_data : ``ctx -> dict`` of backend arrays; the default data for ``ctx.profile``
    check : ``(data, ctx) -> Measurement``: prediction vs. what training does
    negative_control : ``(data, ctx) -> Measurement``: a deliberately wrong prediction or a
        hypothesis-violating input, on which at least one of ``check``'s comparisons must fail
    control_description : the negative control in one line
    data_keys : the keys of ``data`` a user may supply (empty: the claim takes no data)
    control_always : run the negative control also when the data violate the hypotheses
        (for claims whose point is what happens beyond them)
    empirical : the evidence comes from trained networks or random draws (a statistic over seeds):
        a failure is ``not-reproduced`` unless the check establishes a refutation; an exact claim's
        failing comparison is a counterexample (``refuted``)
    scale_invariant : the claim's mathematics is unchanged when ``X`` is multiplied by a positive
        number (the linear claims: ``X^+ X`` and a step of ``F / lambda_max(X X^T)``); a user's ``X``
        is then brought to ``max |X|`` in [0.5, 1) by an exact power of two before the check, so any
        finite magnitude works; other claims refuse an ``X`` outside a stated range
    """

    id: str
    paper_ref: str
    statement: str
    hypotheses: tuple
    make_data: Callable
    check: Callable
    negative_control: Callable
    control_description: str
    data_keys: tuple = ("X",)
    control_always: bool = False
    empirical: bool = False
    scale_invariant: bool = False


REGISTRY: dict[str, Claim] = {}


def register(claim: Claim) -> Claim:
    """Add ``claim`` to the registry (ids are unique)."""
    if claim.id in REGISTRY:
        raise ValueError(f"claim id {claim.id!r} is registered twice")
    REGISTRY[claim.id] = claim
    return claim


def all_claims() -> list[Claim]:
    """Every registered claim, in registration order."""
    _load()
    return list(REGISTRY.values())


def get(claim_id: str) -> Claim:
    """The claim called ``claim_id``; an :class:`UnknownClaimError` names close matches."""
    _load()
    try:
        return REGISTRY[claim_id]
    except KeyError:
        close = difflib.get_close_matches(claim_id, REGISTRY, n=3)
        hint = f"did you mean {', '.join(close)}?" if close else "see --list for the ids"
        raise UnknownClaimError(f"unknown claim id {claim_id!r}; {hint}") from None


def _load() -> None:
    from . import claims  # noqa: F401  (importing registers the claims)
