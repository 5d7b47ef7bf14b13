r"""A trained linear operator against the operators that fix the span of the training examples
exactly: how far it is from one, and which eigenvalue counts that distance certifies.

Rows of ``X`` (n, d) are the examples; ``Q`` (d, n) is an orthonormal basis of their span and
``Q_c`` (d, d - n) of its complement.  A linear autoencoder is a matrix ``A`` (d x d).  Write
``E = (A - I) Q``: the training residual in that basis (``A X^T - X^T = E R`` with ``X^T = Q R``, so
``||E||_2 <= sqrt(2 n L) / s_min(X)`` at loss ``L = ||A X^T - X^T||_F^2 / 2n``).  Then

    ``A_0 = A - E Q^T``  fixes every example exactly (``A_0 Q = Q``) and ``||A - A_0||_2 = ||E||_2``;

in the basis ``[Q, Q_c]`` it is block upper triangular, ``[[I, Q^T A Q_c], [0, B]]`` with
``B = Q_c^T A Q_c``, so its eigenvalues are exactly 1 (n times) and those of ``B``.  Memorization in
the paper's sense (Tables 1-2, Appendix G: n eigenvalues near 1, the rest small) is, for ``A_0``,
``rho(B) < small``; ``B`` is *not* controlled by the loss (training moves it along the way: a claim
tracks it over the loss levels a run passes).

Which of ``A_0``'s eigenvalue counts does ``A`` share?  On a circle ``|z - c| = r`` on which
``sigma_min(A_0 - z I) > ||E||_2``, no matrix ``A_0 + t (A - A_0)``, ``0 <= t <= 1``, has an
eigenvalue (``||t (A - A_0)||_2 < sigma_min(A_0 - z I)``), so by continuity ``A`` and ``A_0`` have
the same number of eigenvalues inside (with multiplicity): a pseudospectral certificate that
holds for non-normal operators, where Bauer-Fike's ``kappa(V) ||E||`` is useless (the trained
operators' eigenvector matrices ``V`` are badly conditioned).  ``sigma_min(A_0 - z I)`` is 1-Lipschitz in
``z``, so ``K`` samples of the circle, spaced ``h = 2 pi r / K``, certify it when their minimum
exceeds ``||E||_2 + h / 2``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gpu.fallbacks import eigvals

from .common import array_namespace, check_matrix
from .errors import InputError

__all__ = ["CountCertificate", "SpanFixer", "count_certificate", "memorization", "span_fixer"]

# the dense pseudospectral check takes K singular value decompositions of d x d complex matrices
MAX_DENSE_D = 1024


@dataclass(frozen=True)
class SpanFixer:
    """``A`` split against the span of the examples (see the module): ``eps = ||(A - I) Q||_2``,
    ``eps_from_loss = sqrt(2 n L) / s_min(X)`` (the bound the loss alone gives), the complement
    block's eigenvalues (by decreasing modulus) and spectral radius ``rho(B)``, and ``A_0``."""

    eps: float
    eps_from_loss: float
    complement_eigenvalues: object
    complement_radius: float
    A0: object
    n: int


def span_fixer(A, X) -> SpanFixer:
    """:class:`SpanFixer` of the operator ``A`` (d, d) and the examples ``X`` (n, d), ``n < d``, rank n."""
    xp = check_matrix(A, "A")
    check_matrix(X, "X")
    n, d = X.shape
    if A.shape != (d, d):
        raise InputError(f"A must be {d} x {d} to act on the examples' space, got shape {tuple(A.shape)}")
    if n >= d:
        raise InputError(f"the span of the examples must be a proper subspace: n = {n} examples, d = {d}")
    Qf, R = xp.linalg.qr(X.T, mode="complete")
    Q, Qc = Qf[:, :n], Qf[:, n:]
    s = xp.linalg.svdvals(R[:n, :])
    if float(xp.min(s)) <= float(xp.max(s)) * d * float(xp.finfo(X.dtype).eps):
        raise InputError("the examples are linearly dependent (rank < n); give linearly independent examples")
    E = A @ Q - Q
    eps = float(xp.max(xp.linalg.svdvals(E)))
    resid = A @ X.T - X.T
    loss = float(xp.sum(resid * resid)) / (2 * n)
    B = Qc.T @ A @ Qc
    lam = eigvals(B)
    radius = float(xp.max(xp.abs(lam))) if lam.shape[0] else 0.0
    return SpanFixer(eps, math.sqrt(2 * n * loss) / float(xp.min(s)), lam, radius, A - E @ Q.T, n)


@dataclass(frozen=True)
class CountCertificate:
    """The count of ``A_0``'s eigenvalues inside ``|z - center| < radius`` and whether ``A``
    provably has as many: ``margin = min_k sigma_min(A_0 - z_k I) - h/2 - eps`` over ``samples``
    points (certified when ``margin > 0``)."""

    center: float
    radius: float
    count: int
    margin: float
    samples: int

    @property
    def certified(self) -> bool:
        return self.margin > 0


def count_certificate(fixer: SpanFixer, center: float, radius: float, *, samples: int = 64,
                      max_samples: int = 1024) -> CountCertificate:
    """Certify the number of ``A``'s eigenvalues inside ``|z - center| < radius`` from ``A_0``'s
    (``n`` ones and the complement block's), sampling the circle ``samples`` times and doubling the
    samples (up to ``max_samples``) while the minimum alone would certify but the Lipschitz
    allowance ``h/2`` does not.  Dense: ``d <= MAX_DENSE_D``."""
    if not (radius > 0) or not math.isfinite(center) or not math.isfinite(radius):
        raise InputError(f"a circle needs a finite center and a radius > 0, got {center!r}, {radius!r}")
    A0 = fixer.A0
    xp = array_namespace(A0)
    d = A0.shape[0]
    if d > MAX_DENSE_D:
        raise InputError(f"the dense pseudospectral check is for d <= {MAX_DENSE_D}, got d = {d}")
    lam = fixer.complement_eigenvalues
    count = int(xp.sum(xp.astype(xp.abs(lam - center) < radius, xp.int64))) + (fixer.n if abs(1.0 - center) < radius else 0)
    Ac = xp.astype(A0, xp.complex128)
    eye = xp.eye(d, dtype=xp.complex128)
    k, done = int(samples), {}
    while True:
        for j in range(k):
            theta = 2 * math.pi * j / k
            key = round(theta, 12)
            if key not in done:
                z = complex(center + radius * math.cos(theta), radius * math.sin(theta))
                done[key] = float(xp.min(xp.linalg.svdvals(Ac - z * eye)))
        low = min(done.values())
        h = 2 * math.pi * radius / k
        margin = low - h / 2 - fixer.eps
        if margin > 0 or low <= fixer.eps or 2 * k > max_samples:
            return CountCertificate(float(center), float(radius), count, float(margin), k)
        k *= 2


def memorization(A, X, *, near_one: float, small: float) -> dict:
    """Does the operator ``A`` memorize the examples ``X`` in the paper's sense (``n`` eigenvalues
    within ``near_one`` of 1, the other ``d - n`` below ``small`` in modulus), read off the exact
    fixer ``A_0`` and certified for ``A``?

    ``memorizes`` is ``rho(B) < small`` (with ``small <= 1 - near_one``, ``A_0`` then has exactly
    that spectrum); ``certified`` says whether ``A`` provably agrees (:func:`count_certificate`;
    not attempted above ``MAX_DENSE_D``, where ``certified`` is None): where ``A_0`` memorizes,
    ``A`` must share both counts (``n`` in ``|z - 1| < near_one``, ``d - n`` in ``|z| < small``);
    where it does not, one certified count that differs from those shows that ``A`` does not either.
    Also returned: ``eps``, ``eps_from_loss``, ``complement_radius``, the counts and margins."""
    if not (0 < small <= 1 - near_one) or not (near_one > 0):
        raise InputError(f"memorization needs 0 < near_one and 0 < small <= 1 - near_one, got {near_one!r}, {small!r}")
    fx = span_fixer(A, X)
    out = {"memorizes": fx.complement_radius < small, "complement_radius": fx.complement_radius, "eps": fx.eps,
           "eps_from_loss": fx.eps_from_loss, "certified": None}
    if A.shape[0] <= MAX_DENSE_D:
        d, n = A.shape[0], fx.n
        ones, rest = count_certificate(fx, 1.0, near_one), count_certificate(fx, 0.0, small)
        if out["memorizes"]:
            certified = ones.certified and rest.certified
        else:
            certified = (rest.certified and rest.count != d - n) or (ones.certified and ones.count != n)
        out.update(certified=bool(certified), count_near_one=ones.count, count_small=rest.count,
                   margin_near_one=ones.margin, margin_small=rest.margin)
    return out
