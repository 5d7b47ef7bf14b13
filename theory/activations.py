r"""Element-wise activations phi with inverse and derivatives, and the Assumption 1 checker.

Assumption 1 (paper Section 2), for every coordinate j of the training data:

(a) ``x_j^(i) >= 0`` for all i;
(b) the pre-images ``phi^{-1}(x_j^(i))`` are all > 0 or all < 0;
(c) on the interval between 0 and the extreme pre-image, phi is
    (1) strictly convex and decreasing (pre-images > 0), or
    (2) strictly concave and increasing (pre-images > 0), or
    (3) strictly convex and increasing (pre-images < 0), or
    (4) strictly concave and decreasing (pre-images < 0).

The activations here cover every case: sigmoid (2 above phi(0) = 1/2, 3 below), tanh (2),
softplus (3), ``exp_neg(z) = exp(-z)`` (1), ``neg_tanh(z) = -tanh(z)`` (4).  Inverses use
``log1p``/``atanh``-style forms that stay accurate near the ends of the range.

Each activation also records where its curvature changes sign (``inflections``) and where
``phi'`` vanishes (``criticals``), which makes the case analysis of (c) exact rather than
sampled, and a ``safe_interval`` of data values that meets Assumption 1 (used to min-max scale
data into the range).  For every activation here ``|phi'|`` is monotone on each side of 0 or
peaks at 0, so on any interval its minimum is at an endpoint (:func:`derivative_bounds` uses this).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from .common import array_namespace, check_matrix
from .errors import InputError, RangeError

__all__ = ["ACTIVATIONS", "Activation", "Assumption1", "check_assumption1", "check_in_range", "derivative_bounds", "get"]


@dataclass(frozen=True)
class Activation:
    """An element-wise activation with ``forward``, ``inverse``, ``d1 = phi'``, ``d2 = phi''``.

    ``range`` is the open interval of values; ``safe_interval`` a closed sub-interval of data
    values for which Assumption 1 holds (with the case ``safe_case``).
    """

    name: str
    forward: Callable
    inverse: Callable
    d1: Callable
    d2: Callable
    range: tuple
    inflections: tuple
    criticals: tuple
    safe_interval: tuple
    safe_case: int

    def __call__(self, z):
        return self.forward(z)

    @property
    def d1_sign(self) -> float | None:
        """The sign of ``phi'`` (+1.0 or -1.0) when it is constant, i.e. when ``phi'`` vanishes
        nowhere (no ``criticals``: every activation here); ``None`` otherwise."""
        if self.criticals:
            return None
        import numpy as np

        return float(np.sign(self.d1(np.asarray(0.0))))


def _sigmoid(z):
    xp = array_namespace(z)
    e = xp.exp(-xp.abs(z))
    return xp.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _sigmoid_inv(x):
    xp = array_namespace(x)
    return xp.log(x) - xp.log1p(-x)


def _sigmoid_d1(z):
    xp = array_namespace(z)
    e = xp.exp(-xp.abs(z))
    return e / ((1.0 + e) * (1.0 + e))  # s (1 - s) without cancellation


def _sigmoid_d2(z):
    s = _sigmoid(z)
    return _sigmoid_d1(z) * (1.0 - 2.0 * s)


def _tanh(z):
    return array_namespace(z).tanh(z)


def _tanh_inv(x):
    return array_namespace(x).atanh(x)


def _tanh_d1(z):
    xp = array_namespace(z)
    c = xp.cosh(xp.clip(z, min=-350.0, max=350.0))
    return 1.0 / (c * c)  # 1 - tanh^2 without cancellation


def _tanh_d2(z):
    return -2.0 * _tanh(z) * _tanh_d1(z)


def _softplus(z):
    xp = array_namespace(z)
    return xp.logaddexp(xp.zeros_like(z), z)


def _softplus_inv(x):
    xp = array_namespace(x)
    return x + xp.log(-xp.expm1(-x))  # log(exp(x) - 1), accurate for small and large x


def _softplus_d2(z):
    return _sigmoid_d1(z)


def _exp_neg(z):
    return array_namespace(z).exp(-z)


def _exp_neg_inv(x):
    return -array_namespace(x).log(x)


def _exp_neg_d1(z):
    return -_exp_neg(z)


def _neg(f):
    return lambda z: -f(z)


ACTIVATIONS = {
    a.name: a
    for a in (
        Activation("sigmoid", _sigmoid, _sigmoid_inv, _sigmoid_d1, _sigmoid_d2, (0.0, 1.0), (0.0,), (), (0.52, 0.8), 2),
        Activation("tanh", _tanh, _tanh_inv, _tanh_d1, _tanh_d2, (-1.0, 1.0), (0.0,), (), (0.05, 0.7), 2),
        Activation("softplus", _softplus, _softplus_inv, _sigmoid, _softplus_d2, (0.0, math.inf), (), (), (0.3, 0.65), 3),
        Activation("exp_neg", _exp_neg, _exp_neg_inv, _exp_neg_d1, _exp_neg, (0.0, math.inf), (), (), (0.5, 0.95), 1),
        Activation("neg_tanh", _neg(_tanh), lambda x: -_tanh_inv(x), _neg(_tanh_d1), _neg(_tanh_d2), (-1.0, 1.0), (0.0,), (),
                   (0.05, 0.7), 4),
    )
}


def get(name: str) -> Activation:
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise InputError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}") from None


def check_in_range(X, act: Activation, name: str = "X") -> None:
    """Raise :class:`InputError` when an entry of ``X`` lies outside ``act``'s open range."""
    xp = check_matrix(X, name)
    lo, hi = act.range
    bad = (X <= lo) | (X >= hi)
    if bool(xp.any(bad)):
        count = int(xp.sum(xp.astype(bad, xp.int64)))
        raise RangeError(
            f"{name} has {count} entries outside the range ({lo:g}, {hi:g}) of {act.name} "
            f"(min {float(xp.min(X)):.4g}, max {float(xp.max(X)):.4g}); min-max scale the data into the range, "
            f"e.g. into {act.safe_interval} with verify.datasets.scale_into"
        )


def derivative_bounds(act: Activation, *arrays) -> tuple[float, float]:
    """``(min, max)`` of ``|phi'|`` over every segment between 0 and an entry of the arrays.

    Exact for the activations here: ``|phi'|`` attains its extremes on such a segment at its
    endpoints (it is monotone on each side of 0 or peaks at 0).
    """
    xp = array_namespace(arrays[0])
    lo = hi = float(xp.abs(act.d1(xp.zeros(1, dtype=arrays[0].dtype)))[0])
    for a in arrays:
        g = xp.abs(act.d1(a))
        lo = min(lo, float(xp.min(g)))
        hi = max(hi, float(xp.max(g)))
    return lo, hi


@dataclass
class Assumption1:
    """Result of :func:`check_assumption1`.

    ``cases[j]`` is the case (1-4) that coordinate j meets, or 0 when it fails; ``failures``
    lists ``(j, part, reason)`` for failing coordinates; ``ok`` is True when none fail.
    """

    activation: str
    cases: list
    failures: list

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self, limit: int = 3) -> list:
        """One line per failing part (a), (b), (c): how many coordinates, and the first few reasons."""
        out = []
        for part in ("a", "b", "c"):
            hits = [f for f in self.failures if f[1] == part]
            if hits:
                first = "; ".join(f"coordinate {j}: {why}" for j, _, why in hits[:limit])
                more = f" (and {len(hits) - limit} more)" if len(hits) > limit else ""
                out.append(f"Assumption 1({part}) fails for {self.activation} at {len(hits)} coordinates: {first}{more}")
        return out


def check_assumption1(X, act: Activation) -> Assumption1:
    """Check Assumption 1 for row data ``X`` (n, d) and activation ``act``, per coordinate.

    Raises :class:`InputError` when ``X`` leaves the activation's range (then ``phi^{-1}`` is undefined).
    """
    import numpy as np

    from gpu.host import to_numpy

    check_in_range(X, act)
    x = to_numpy(X)
    y = to_numpy(act.inverse(X))
    d = x.shape[1]
    cases = [0] * d
    failures = []
    for j in range(d):
        col, pre = x[:, j], y[:, j]
        if np.any(col < 0):
            failures.append((j, "a", f"negative data (min {col.min():.4g})"))
            continue
        if np.all(pre > 0):
            sign = 1
        elif np.all(pre < 0):
            sign = -1
        else:
            failures.append((j, "b", f"pre-images of both signs or zero (min {pre.min():.4g}, max {pre.max():.4g})"))
            continue
        p = float(pre.max() if sign > 0 else pre.min())
        lo, hi = min(0.0, p), max(0.0, p)
        inside = [q for q in act.inflections if lo < q < hi]
        crit = [q for q in act.criticals if lo < q < hi]
        mid = np.array([0.5 * p])
        curv = float(act.d2(mid)[0])
        slope = float(act.d1(mid)[0])
        if inside or curv == 0.0:
            failures.append((j, "c", f"{act.name} changes curvature on ({lo:.4g}, {hi:.4g})"))
            continue
        if crit or slope == 0.0:
            failures.append((j, "c", f"{act.name} is not monotone on ({lo:.4g}, {hi:.4g})"))
            continue
        convex, increasing = curv > 0, slope > 0
        case = {(1, True, False): 1, (1, False, True): 2, (-1, True, True): 3, (-1, False, False): 4}.get(
            (sign, convex, increasing), 0)
        if case == 0:
            shape = f"{'convex' if convex else 'concave'} and {'increasing' if increasing else 'decreasing'}"
            need = "concave increasing (2) or convex decreasing (1)" if sign > 0 else "convex increasing (3) or concave decreasing (4)"
            failures.append((j, "c", f"{act.name} is {shape} on ({lo:.4g}, {hi:.4g}) but pre-images "
                                     f"{'> 0' if sign > 0 else '< 0'} need {need}"))
            continue
        cases[j] = case
    return Assumption1(act.name, cases, failures)
