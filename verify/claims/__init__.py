"""Claim definitions; importing this package registers them all (in module import order)."""

from . import linear, single_layer, dynamics, deep, deep_training, two_layer, conv, conv_training, conv_nonlinear, conv_init, construction  # noqa: F401  (paper order)
