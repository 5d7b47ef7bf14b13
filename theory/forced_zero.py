r"""The Lemma of Section 4 in logarithms: how far a matrix with forced zeros is from memorizing one
image, computed to full relative precision at every scale of the image.

For one image ``x`` the memorizing map is the projection ``P = x x^T / ||x||^2``; the nearest matrix
that vanishes where a pattern forces zeros is ``P`` with those entries set to zero, at Frobenius
distance ``D = ||P on the forced zeros||_F`` (one forced zero at ``(i, j)``: ``|x_i x_j| / ||x||^2``).
``D`` is zero exactly when every forced entry has a zero factor, so what a check must certify is
``D > 0``, a question of relative, not absolute, accuracy: a pixel of 1e-9 beside pixels near one
gives ``D`` near 1e-19, which is certainly non-zero although it lies far below ``eps``, and a pixel
of 1e-300 gives a ``D`` that no float64 can hold.

So ``ln D`` is computed from ``ln |x_i|`` (``x`` first brought to ``max |x|`` in [0.5, 1) by an
exact power of two, so that ``||x||^2`` neither overflows nor underflows) and a log-sum-exp over
the forced entries. Each logarithm is correct to about one unit in its last place, so the computed
``ln D`` is within ``delta = eps (4 L + 2 ln m + d + 8)`` of the exact one (``L`` the largest
``|ln |x_i||`` used, ``m`` the number of forced entries, ``d`` the terms of ``||x||^2``), and the
computed ``D`` within a relative ``expm1(delta)`` of the exact ``D``: below one, ``D`` is certainly
positive. A zero factor everywhere gives ``ln D = -inf`` and an infinite relative error.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["ForcedZeroDistance", "forced_zero_log_distance"]


class ForcedZeroDistance(tuple):
    """``(log10 D, relative error bound of D)``; ``certified`` when the bound is below one."""

    __slots__ = ()

    def __new__(cls, log10: float, relative_error: float):
        return super().__new__(cls, (float(log10), float(relative_error)))

    @property
    def log10(self) -> float:
        return self[0]

    @property
    def relative_error(self) -> float:
        return self[1]

    @property
    def value(self) -> float:
        """``D`` as a float (0.0 where it lies below the smallest positive double)."""
        return 0.0 if self.log10 == -math.inf else float(10.0 ** self.log10) if self.log10 > -330 else 0.0

    @property
    def certified(self) -> bool:
        return self.relative_error < 1.0


def forced_zero_log_distance(x, pattern=None) -> ForcedZeroDistance:
    """``D`` for the image ``x`` (host vector of ``d`` pixels) against the forced zeros where the
    host boolean ``d x d`` ``pattern`` is False; ``pattern`` None: a single forced zero at the worst
    position, ``D = min |P_ij|``. See the module for the error bound."""
    x = np.asarray(x, dtype=np.float64).ravel()
    d = x.size
    top = float(np.max(np.abs(x))) if d else 0.0
    if top == 0.0 or not math.isfinite(top):
        return ForcedZeroDistance(-math.inf, math.inf)
    u = np.ldexp(x, -math.frexp(top)[1])  # exact: max |u| in [0.5, 1)
    with np.errstate(divide="ignore"):
        logs = np.log(np.abs(u))  # -inf at a zero pixel (or one the scaling took below the subnormals)
    ln_norm2 = math.log(float(u @ u))
    if pattern is None:
        ln_d = 2.0 * float(np.min(logs)) - ln_norm2
        used, m = float(np.min(logs)), 1
    else:
        forced = ~np.asarray(pattern, dtype=bool)
        m = int(forced.sum())
        if m == 0:
            return ForcedZeroDistance(-math.inf, math.inf)  # nothing is forced: no distance to certify
        rows, cols = np.nonzero(forced)
        terms = 2.0 * (logs[rows] + logs[cols])  # ln of P_ij^2 ||x||^4
        top_term = float(np.max(terms))
        if top_term == -math.inf:
            return ForcedZeroDistance(-math.inf, math.inf)
        ln_d = 0.5 * (top_term + math.log(float(np.sum(np.exp(terms - top_term))))) - ln_norm2
        finite = np.abs(logs[np.isfinite(logs)])
        used = float(np.max(finite)) if finite.size else 0.0
    if not math.isfinite(ln_d):
        return ForcedZeroDistance(-math.inf, math.inf)
    delta = np.finfo(np.float64).eps * (4.0 * abs(used) + 2.0 * math.log(m) + d + 8.0)
    return ForcedZeroDistance(ln_d / math.log(10.0), math.expm1(delta))
