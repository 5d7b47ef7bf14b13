"""Claim definitions; importing this package registers them all (in this order)."""

from . import linear, single_layer  # noqa: F401
