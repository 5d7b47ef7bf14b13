"""Pseudospectral certificates: whether a matrix known only up to a perturbation of bounded norm
keeps a property of its eigenvalues.

``sigma_min(J - z I)`` is the distance from ``J`` to the nearest matrix with eigenvalue ``z``; if it
exceeds ``error`` at every ``z`` on a circle, no ``J + E`` with ``||E||_2 <= error`` has an eigenvalue
on that circle, and by continuity (along ``J + t E``) every such matrix has as many eigenvalues
inside it as ``J``.  ``sigma_min(J - z I)`` is 1-Lipschitz in ``z``, so on an arc of length ``L`` whose
ends have values ``a`` and ``b`` it stays above ``(a + b - L) / 2``: arcs where that bound does not
clear ``error`` are bisected, so the samples gather where an eigenvalue comes close to the circle,
and no fixed sampling caps the closeness a certificate can resolve (:func:`circle_free`).  (The same argument
certifies a trained linear operator's eigenvalue counts against the exact fixers of the examples'
span, :mod:`theory.span_fixer`.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .common import array_namespace
from gpu.fallbacks import eigvals

from .dynamics import classify

__all__ = ["Certificate", "circle_free", "classify_within"]

BUDGET = 4096  # evaluations of sigma_min per circle: bisection puts them where the eigenvalues come close

# why an example stays undecided, in the report's words
WHY_BAND = "rho within the undecided band |rho - 1| <= {band:g}"
WHY_ERROR = ("a matrix within the Jacobian's error bound {error:.3g} has an eigenvalue on |z| = {radius:.6g}: "
             "the error could change the class")
WHY_BUDGET = ("not settled in {budget} evaluations of sigma_min on |z| = {radius:.6g}: an eigenvalue lies within "
              "about {gap:.3g} of that circle, finer than the sampling reached")


@dataclass(frozen=True)
class Certificate:
    """Theorem 2's class of every matrix within ``error`` of ``J``: ``cls`` (attractor, repeller or
    undecided), ``margin`` (the certificate's slack: positive when certified, ``inf`` for an exact
    ``J``) and, when undecided, ``why`` (the band, the Jacobian's error, or the sampling budget)."""

    cls: str
    margin: float
    why: str = ""

    def __iter__(self):  # (class, margin), as callers unpack it
        return iter((self.cls, self.margin))

    def __getitem__(self, i):
        return (self.cls, self.margin)[i]


def circle_free(J, error: float, radius: float, *, budget: int = BUDGET) -> tuple:
    """Whether no ``J + E`` with ``||E||_2 <= error`` has an eigenvalue on the circle ``|z| = radius``:
    ``(free, margin, why)``. ``f(theta) = sigma_min(J - radius e^{i theta} I)`` is ``radius``-Lipschitz
    in ``theta``, so on an arc of length ``L`` with end values ``a, b`` it is at least
    ``(a + b - L) / 2``; arcs where that bound does not exceed ``error`` are bisected (starting from 64),
    a sample at or below ``error`` proves a perturbation with an eigenvalue on the circle (``why``
    ``"error"``), and more than ``budget`` samples end it undecided (``why`` ``"budget"``)."""
    xp = array_namespace(J)
    d = J.shape[0]
    Jc, eye = xp.astype(J, xp.complex128), xp.eye(d, dtype=xp.complex128)

    def f(theta):
        z = radius * complex(math.cos(theta), math.sin(theta))
        return float(xp.min(xp.linalg.svdvals(Jc - z * eye)))

    k = 64
    thetas = [2 * math.pi * j / k for j in range(k + 1)]
    values = [f(t) for t in thetas[:-1]]
    values.append(values[0])
    arcs = list(zip(thetas[:-1], thetas[1:], values[:-1], values[1:]))
    used, margin = k, math.inf
    while arcs:
        t0, t1, a, b = arcs.pop()
        if min(a, b) <= error:
            return False, min(a, b) - error, "error"
        low = 0.5 * (a + b - radius * (t1 - t0))
        if low > error:
            margin = min(margin, low - error)
            continue
        if used >= budget:
            return False, low - error, "budget"
        mid = 0.5 * (t0 + t1)
        m = f(mid)
        used += 1
        arcs += [(t0, mid, a, m), (mid, t1, m, b)]
    return True, margin, ""


def classify_within(J, error: float, band: float = 0.0, *, budget: int = BUDGET) -> Certificate:
    """Theorem 2's class of a Jacobian ``J`` (d, d) known only up to ``||E||_2 <= error`` (a finite-
    difference Jacobian, say), with the undecided band ``|rho - 1| <= band`` applied to every such
    matrix, not to ``J`` alone.

    * attractor: every ``J + E`` has ``rho < 1 - band``: ``||J||_2 + error < 1 - band``, or ``J`` has all
      its eigenvalues inside ``|z| = 1 - band`` and no ``J + tE`` (``0 <= t <= 1``) has one on that
      circle (:func:`circle_free`; by continuity all keep them inside);
    * repeller: every ``J + E`` has an eigenvalue beyond ``1 + band``: for some ``k``, ``J`` has ``k``
      eigenvalues outside a circle of radius ``R >= 1 + band`` drawn between the ``k``-th and the next
      modulus, and no ``J + tE`` has one on it (so ``k`` stay outside). One eigenvalue robustly outside
      suffices, whatever the others do;
    * else undecided, with the reason (:class:`Certificate`)."""
    xp = array_namespace(J)
    moduli = sorted((float(v) for v in xp.abs(eigvals(J))), reverse=True)
    rho = moduli[0]
    base = classify(rho, band)
    if base == "undecided":
        return Certificate("undecided", 0.0 if error > 0 else math.inf, WHY_BAND.format(band=band))
    if not error > 0:
        return Certificate(base, math.inf)
    if base == "attractor":
        radius = 1.0 - band
        norm = float(xp.linalg.matrix_norm(J, ord=2))
        if norm + error < radius:
            return Certificate(base, radius - norm - error)
        candidates = [radius]
    else:  # between each modulus beyond 1 + band and the next one down (or 1 + band), widest gap first
        floor = 1.0 + band
        gaps = [(moduli[k], max(moduli[k + 1] if k + 1 < len(moduli) else 0.0, floor))
                for k in range(len(moduli)) if moduli[k] > floor]
        candidates = [0.5 * (hi + lo) for hi, lo in sorted(gaps, key=lambda g: g[1] - g[0]) if hi > lo]
    best = None
    for radius in candidates:
        free, margin, why = circle_free(J, error, radius, budget=budget)
        if free:
            return Certificate(base, margin)
        gap = min(abs(m - radius) for m in moduli)
        text = (WHY_ERROR.format(error=error, radius=radius) if why == "error"
                else WHY_BUDGET.format(budget=budget, radius=radius, gap=gap))
        if best is None or margin > best.margin:
            best = Certificate("undecided", margin, text)
    return best
