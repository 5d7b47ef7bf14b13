"""Claim definitions; importing this package registers them all (in this order)."""

from . import linear  # noqa: F401
