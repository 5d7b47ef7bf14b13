"""The claims registry: every claim the verifier knows, by id (the claims register themselves
through :func:`verify.claim.register` when :mod:`verify.claims` is imported)."""

from __future__ import annotations

import difflib

from theory.errors import InputError

from .claim import REGISTRY, Claim


class UnknownClaimError(InputError):
    """A claim id that is not registered."""


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
