"""Pseudospectral certificates: whether a matrix known only up to a perturbation of bounded norm
keeps a property of its eigenvalues.

``sigma_min(J - z I)`` is the distance from ``J`` to the nearest matrix with eigenvalue ``z``; if it
exceeds ``error`` at every ``z`` on a circle, no ``J + E`` with ``||E||_2 <= error`` has an eigenvalue
on that circle, and by continuity (along ``J + t E``) every such matrix has as many eigenvalues
inside it as ``J``.  ``sigma_min(J - z I)`` is 1-Lipschitz in ``z``, so ``K`` samples spaced ``h``
along the circle certify it when their minimum exceeds ``error + h / 2``.  (The same argument
certifies a trained linear operator's eigenvalue counts against the exact fixers of the examples'
span, :mod:`theory.span_fixer`.)
"""

from __future__ import annotations

import math

from .common import array_namespace
from gpu.fallbacks import eigvals

from .dynamics import classify

__all__ = ["classify_within"]


def classify_within(J, error: float, band: float = 0.0, *, samples: int = 64, max_samples: int = 512) -> tuple:
    """Theorem 2's class of a Jacobian ``J`` (d, d) known only up to ``||E||_2 <= error`` (a finite-
    difference Jacobian, say): ``(class, margin)``.

    The class of ``J`` itself (:func:`classify`) stands only if every ``J + E`` has it.  When
    ``||J||_2 + error < 1`` every such matrix contracts.  Otherwise a pseudospectral check: if
    ``sigma_min(J - z I) > error`` on the unit circle, no ``J + tE`` (``0 <= t <= 1``) has an
    eigenvalue on it, so all have as many eigenvalues inside the unit disk as ``J`` (all of them for an
    attractor, fewer than d for a repeller).  ``sigma_min(J - z I)`` is 1-Lipschitz in ``z``: ``K``
    samples spaced ``h = 2 pi / K`` certify when their minimum exceeds ``error + h / 2`` (``K``
    doubled up to ``max_samples`` while it might).  Uncertified: ``undecided``.  ``margin`` is the
    certificate's slack (positive when certified; ``inf`` for an exact ``J``)."""
    xp = array_namespace(J)
    rho = float(xp.max(xp.abs(eigvals(J))))
    base = classify(rho, band)
    if not error > 0 or base == "undecided":
        return base, (math.inf if not error > 0 else 0.0)
    norm = float(xp.linalg.matrix_norm(J, ord=2))
    if base == "attractor" and norm + error < 1.0:
        return base, 1.0 - norm - error
    d = J.shape[0]
    Jc, eye = xp.astype(J, xp.complex128), xp.eye(d, dtype=xp.complex128)
    k, seen = int(samples), {}
    while True:
        for j in range(k):
            key = round(2 * math.pi * j / k, 12)
            if key not in seen:
                z = complex(math.cos(key), math.sin(key))
                seen[key] = float(xp.min(xp.linalg.svdvals(Jc - z * eye)))
        low = min(seen.values())
        margin = low - math.pi / k - error
        if margin > 0:
            return base, margin
        if low <= error or 2 * k > max_samples:
            return "undecided", margin
        k *= 2
