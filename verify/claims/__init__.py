"""Claim definitions; importing this package registers them all (in module import order)."""

from . import linear, single_layer, dynamics, two_layer, construction  # noqa: F401  (paper order)
