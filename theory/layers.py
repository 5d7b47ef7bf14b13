"""What the model families share: the leaky ReLU and its slope, and the initialisation schemes.

The deep fully connected autoencoders (:mod:`theory.deep_fc`) and the convolutional ones
(:mod:`theory.conv_nets`, :mod:`theory.conv_nonlinear`) use these one definitions, so a scheme or
the slope means the same thing in every family.

Initialisers, for a weight array of ``shape`` with ``fan_in``/``fan_out`` (a dense layer: its
input/output widths; a convolution: channels times ``k^2``): ``near_zero`` (``scale * N(0,1) /
sqrt(fan_in)``), ``xavier`` (uniform, bound ``sqrt(6/(fan_in+fan_out))``), ``kaiming`` (normal, std
``sqrt(2/fan_in)``), ``pytorch`` (``torch.nn.Linear``'s and ``Conv2d``'s default: uniform in
``+-1/sqrt(fan_in)``).  Draws are made on the host from a seeded NumPy generator.
"""

from __future__ import annotations

import math

from .common import array_namespace
from .errors import InputError

LEAKY_SLOPE = 0.01  # PyTorch's default negative slope
SCHEMES = ("near_zero", "xavier", "kaiming", "pytorch")


def leaky_relu(z, slope: float = LEAKY_SLOPE):
    """``z`` where positive, ``slope * z`` elsewhere."""
    return array_namespace(z).where(z > 0, z, slope * z)


def leaky_relu_derivative(z, slope: float = LEAKY_SLOPE):
    """phi'(z): 1 where ``z > 0``, ``slope`` elsewhere."""
    xp = array_namespace(z)
    return xp.where(z > 0, xp.ones_like(z), slope * xp.ones_like(z))


def leaky_relu_vjp(z, g, slope: float = LEAKY_SLOPE):
    """``g * phi'(z)`` without forming phi'(z): ``g`` where ``z > 0``, else ``slope * g`` (the same
    products, bit for bit, as multiplying by the derivative)."""
    return array_namespace(z).where(z > 0, g, slope * g)


def check_scheme(scheme: str) -> None:
    if scheme not in SCHEMES:
        raise InputError(f"unknown initialisation {scheme!r}; choose one of {', '.join(SCHEMES)}")


def init_weights(rng, scheme: str, shape, fan_in: int, fan_out: int, scale: float = 1e-2):
    """One weight array of ``shape`` drawn by ``scheme`` from the NumPy generator ``rng``."""
    check_scheme(scheme)
    if scheme == "near_zero":
        return scale * rng.standard_normal(shape) / math.sqrt(fan_in)
    if scheme == "xavier":
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-bound, bound, shape)
    if scheme == "kaiming":
        return rng.standard_normal(shape) * math.sqrt(2.0 / fan_in)
    return rng.uniform(-1.0, 1.0, shape) / math.sqrt(fan_in)


def init_bias(rng, scheme: str, fan_in: int, fan_out: int):
    """A dense layer's bias: PyTorch's ``U(+-1/sqrt(fan_in))`` for ``pytorch``, zeros otherwise."""
    import numpy as np

    return rng.uniform(-1.0, 1.0, fan_out) / math.sqrt(fan_in) if scheme == "pytorch" else np.zeros(fan_out)
