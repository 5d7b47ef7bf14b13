r"""Theorem 6 (Appendix I, Theorem 7): an explicit two-layer ReLU autoencoder that reconstructs
the data to within eps on average and has every training example as an attractor.

One dimension: for distinct training values ``v_1 < ... < v_m`` and a radius ``r`` below half
the smallest gap, ``g`` is the identity except on ``[v_i - r - h, v_i + r + h]``, where

* on ``[v_i - r, v_i + r]`` it is ``v_i + s (x - v_i)`` (slope ``s < 1``: contraction),
* on ``[v_i + r, v_i + r + h]`` it rises from ``v_i + s r`` back to ``v_i + r + h`` (slope
  ``1 + r (1 - s) / h > 1``), symmetrically on the left.

So ``|g(x) - x| <= r (1 - s)`` everywhere and ``g'(v_i) = s``.  With breakpoints ``t_j`` and
slope changes ``c_j``, ``g(x) = relu(x) - relu(-x) + sum_j c_j relu(x - t_j)``: a two-layer ReLU
network with ``2 + 4 m`` hidden units.  In d dimensions g acts on each coordinate
(``O(n d)`` hidden units); its Jacobian at a training example is ``diag(s, ..., s)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .common import array_namespace, check_matrix
from .errors import InputError

__all__ = ["Construction", "PiecewiseLinear", "breakpoints_and_changes", "build", "piecewise_1d"]


@dataclass(frozen=True)
class PiecewiseLinear:
    """``g(x) = relu(x) - relu(-x) + sum_j c_j relu(x - t_j)`` on one coordinate (host NumPy floats)."""

    breakpoints: np.ndarray
    changes: np.ndarray
    values: np.ndarray  # the distinct training values
    slope: float
    radius: float
    ramp: float

    def _tc(self, x):
        xp = array_namespace(x)
        return xp, xp.asarray(self.breakpoints, dtype=x.dtype), xp.asarray(self.changes, dtype=x.dtype)

    def _local(self, x):
        """For each point of ``x``: the four breakpoints and slope changes of the value whose piece it
        lies in or after, and whether it lies past that piece's end. A finished piece adds nothing
        (its four changes sum to zero and it returns to the identity), so ``g`` and ``g'`` read four
        terms a point: O(m log n) time and O(m) memory, where the sum over every breakpoint took
        an (m, 4n) array, and exact identity between the pieces."""
        xp, t, c = self._tc(x)
        n = t.shape[0] // 4
        k = xp.searchsorted(t[0::4], x, side="right") - 1  # the last piece starting at or before x
        k = xp.where(k < 0, xp.zeros_like(k), k)
        idx = xp.reshape(4 * k[:, None] + xp.arange(4, dtype=k.dtype)[None, :], (-1,))
        tk = xp.reshape(xp.take(t, idx, axis=0), (x.shape[0], 4))
        ck = xp.reshape(xp.take(c, idx, axis=0), (x.shape[0], 4))
        past = x > tk[:, 3] if n else xp.ones_like(x, dtype=xp.bool)
        return xp, tk, ck, past

    def __call__(self, x):
        """``g`` at the points of a 1-D array ``x``."""
        xp, tk, ck, past = self._local(x)
        inside = x + xp.sum(ck * xp.clip(x[:, None] - tk, min=0.0), axis=1)
        return xp.where(past, x, inside)

    @property
    def resolved(self) -> bool:
        """Whether float64 holds the recipe: its breakpoints strictly increasing (training values closer
        than a few units in their last place, or a radius below one unit of a large value, collapse
        them, and the map computed is then not the construction)."""
        return bool(np.all(np.diff(np.asarray(self.breakpoints, dtype=np.float64)) > 0))

    def derivative(self, x):
        """``g'`` at the points of a 1-D array ``x`` (right derivative at breakpoints)."""
        xp, tk, ck, past = self._local(x)
        inside = 1.0 + xp.sum(ck * xp.astype(x[:, None] > tk, x.dtype), axis=1)
        return xp.where(past, xp.ones_like(x), inside)


def breakpoints_and_changes(values, slope, radius, ramp):
    """The recipe, in any number type (floats, or ``fractions.Fraction`` for exact verification).

    ``values`` sorted and distinct; returns ``(breakpoints, slope_changes)`` as lists: slopes
    from left to right around each value are ``1 | steep | slope | steep | 1`` with
    ``steep = 1 + radius (1 - slope) / ramp``.
    """
    steep = 1 + radius * (1 - slope) / ramp
    ts, cs = [], []
    for x in values:
        ts += [x - radius - ramp, x - radius, x + radius, x + radius + ramp]
        cs += [steep - 1, slope - steep, steep - slope, 1 - steep]
    return ts, cs


def piecewise_1d(values, *, slope: float, radius: float, ramp: float | None = None) -> PiecewiseLinear:
    """The one-dimensional construction for training values ``values`` (duplicates merged).

    ``ramp`` (h) defaults to ``radius``; ``radius + ramp`` must be below half the smallest gap
    between distinct values so that the pieces do not overlap.
    """
    v = np.unique(np.asarray(values, dtype=np.float64))
    h = radius if ramp is None else ramp
    if not (0.0 <= slope < 1.0):
        raise InputError(f"slope must be in [0, 1) for contraction, got {slope}")
    if not (radius > 0 and h > 0):
        raise InputError(f"radius and ramp must be > 0, got {radius}, {h}")
    if v.size > 1 and radius + h >= 0.5 * float(np.min(np.diff(v))):
        raise InputError(f"radius + ramp = {radius + h:.3g} must be below half the smallest gap "
                         f"{0.5 * float(np.min(np.diff(v))):.3g} between training values; use a smaller radius")
    ts, cs = breakpoints_and_changes(v.tolist(), float(slope), float(radius), float(h))
    return PiecewiseLinear(np.array(ts), np.array(cs), v, slope, radius, h)


@dataclass(frozen=True)
class Construction:
    """The d-dimensional network: one :class:`PiecewiseLinear` per coordinate.

    As a two-layer ReLU network ``f(x) = W2 relu(W1 x + b1)``: see :meth:`weights`.
    """

    pieces: tuple

    def __call__(self, X):
        xp = array_namespace(X)
        return xp.stack([g(X[:, j]) for j, g in enumerate(self.pieces)], axis=1)

    def jacobian_diagonal(self, X):
        """The diagonals of the Jacobians at the rows of ``X`` (m, d): the map acts coordinate by coordinate."""
        xp = array_namespace(X)
        return xp.stack([g.derivative(X[:, j]) for j, g in enumerate(self.pieces)], axis=1)

    @property
    def unresolved(self) -> list:
        """The coordinates whose piece float64 cannot hold (:attr:`PiecewiseLinear.resolved`)."""
        return [j for j, g in enumerate(self.pieces) if not g.resolved]

    @property
    def hidden_units(self) -> int:
        return sum(2 + g.breakpoints.size for g in self.pieces)

    def weights(self):
        """``(W1, b1, W2)`` as host arrays: ``f(x) = W2 relu(W1 x + b1)``."""
        d = len(self.pieces)
        rows, bias, out = [], [], []
        for j, g in enumerate(self.pieces):
            e = np.zeros(d)
            e[j] = 1.0
            for sign, c in ((1.0, 1.0), (-1.0, -1.0)):  # x = relu(x) - relu(-x)
                rows.append(sign * e), bias.append(0.0), out.append((j, c))
            for t, c in zip(g.breakpoints, g.changes):
                rows.append(e), bias.append(-t), out.append((j, c))
        W2 = np.zeros((d, len(rows)))
        for col, (j, c) in enumerate(out):
            W2[j, col] = c
        return np.array(rows), np.array(bias), W2


def jacobian(net: Construction, X):
    """Input-Jacobians at the rows of ``X``: an (m, d, d) stack of diagonal matrices, as every model
    family's ``jacobian(model, X)`` returns (the claims use :meth:`Construction.jacobian_diagonal`,
    which forms no d x d matrix)."""
    xp = array_namespace(X)
    return net.jacobian_diagonal(X)[:, :, None] * xp.eye(X.shape[1], dtype=X.dtype)[None, :, :]


def build(X, *, eps: float, slope: float = 0.5, spread: float = float("inf")) -> Construction:
    """Theorem 6's network for training rows ``X`` with expected squared error below ``eps``.

    On each coordinate ``|g(x) - x| <= r (1 - s)``, so ``||f(x) - x||^2 <= d r^2 (1 - s)^2`` for
    every x: choosing ``r (1 - s) = sqrt(eps / (2 d))`` bounds the error by ``eps / 2`` under any
    data distribution.  r is also capped at a fifth of the smallest gap per coordinate
    (``r + h < gap/2`` with ``h = r``) and at ``spread`` (``float("inf")``: no extra cap).
    """
    check_matrix(X, "X")
    if not eps > 0:
        raise InputError(f"eps must be > 0, got {eps}")
    from gpu.host import to_numpy

    Xh = to_numpy(X)
    d = Xh.shape[1]
    r_eps = float(np.sqrt(eps / (2.0 * d))) / (1.0 - slope)
    pieces = []
    for j in range(d):
        v = np.unique(Xh[:, j])
        gap = float(np.min(np.diff(v))) if v.size > 1 else np.inf
        r = min(r_eps, spread, gap / 5.0 if np.isfinite(gap) else r_eps)
        pieces.append(piecewise_1d(v, slope=slope, radius=r))
    return Construction(tuple(pieces))
