r"""Certificates for the linear autoencoder: what a finished descent provably achieved, and how far
floating point lets it go.

* :func:`gd_error_bound`: ``||W^(t) - W^(inf)||_F <= sqrt(2 L(W^(t))) / s_min`` when X has rank n
  (the error's rows lie in the span of the examples);
* :func:`gd_contraction` and :func:`gd_steps_needed`: the error shrinks by
  ``rho = max_i |1 - eta s_i^2|`` a step, so ``log(reduction) / log(rho)`` steps suffice;
* :func:`certificate_floor` and :func:`gd_rounding_allowance`: the rounding levels
  ``sqrt(n d) u kappa`` and ``u (kappa^2 + t) sqrt(d)`` below which no certificate can go;
* :func:`weyl_bounds`: ``|sigma_i(W^(inf)) - sigma_i(X X^+)| <= sigma_1(W0)`` (Appendix I.2);
* :func:`projection_diagnostics`: how far a trained map is from the projection onto the span.
"""

from __future__ import annotations

import math

from gpu.fallbacks import eigvals

from .common import array_namespace, check_matrix, fro
from .errors import InputError
from .linear import DataSVD, FactoredMap, terms_fro, factored_svdvals, out_of_span

__all__ = ["certificate_floor", "gd_contraction", "gd_error_bound", "gd_rounding_allowance", "gd_steps_needed",
           "projection_diagnostics", "svdvals", "weyl_bounds"]


def gd_error_bound(loss_value: float, svd: DataSVD) -> float:
    """Bound on ``||W^(t) - W^(inf)||_F`` from the loss at step ``t`` alone: ``sqrt(2 L) / s_min``.

    Valid when X has rank n (so ``W^(inf) X = Y``): the difference ``E = W^(t) - W^(inf)``
    has its rows in the span of the examples (``E = E V V^T``), hence
    ``sqrt(2 L) = ||E X||_F = ||E V S||_F >= s_min ||E||_F``.  Exact arithmetic; add a
    rounding allowance separately.
    """
    return math.sqrt(2.0 * max(loss_value, 0.0)) / svd.s_min


def certificate_floor(svd: DataSVD, unit_roundoff: float) -> float:
    """The smallest relative distance the loss certificate :func:`gd_error_bound` can prove in a dtype.

    The residual ``X W^T - Y`` is computed with an error of about ``sqrt(d) u ||X||_F ||W||_F``
    (inner products of length d, random-walk estimate), so ``sqrt(2L)/(s_min ||W||_F)`` cannot
    fall below ``sqrt(d) u ||X||_F / s_min <= sqrt(n d) u kappa``; returns that bound.  In float64
    it is far below any useful target; in float32 it is about 1e-6 for n = 6, d = 48, kappa = 4.
    """
    n, d = svd.shape
    return math.sqrt(n * d) * unit_roundoff * svd.cond


def svdvals(W):
    """Singular values of a dense matrix, or of a factored one (:func:`factored_svdvals`: only the
    ``rank_bound()`` largest; all others are exactly 0)."""
    if isinstance(W, FactoredMap):
        return factored_svdvals(W) if W.factored else svdvals(W.dense())
    return array_namespace(W).linalg.svdvals(W)


def weyl_bounds(W0, rank: int, length: int | None = None):
    """Weyl's bounds on the singular values of ``W^(inf) = X X^+ + W0 (I - X X^+)`` (Appendix I.2).

    ``|sigma_i(W^(inf)) - sigma_i(X X^+)| <= sigma_1(W0)``, where ``sigma_i(X X^+)`` is 1 for
    ``i < rank`` and 0 after.  Returns ``(lower, upper, sigma_1(W0))`` with arrays of length
    ``length`` (default d).  ``W0`` may be a :class:`FactoredMap`.
    """
    if isinstance(W0, FactoredMap):
        sv = svdvals(W0)
        xp, dtype = array_namespace(sv), sv.dtype
    else:
        xp = check_matrix(W0, "W0")
        sv, dtype = xp.linalg.svdvals(W0), W0.dtype
    s1 = float(xp.max(sv))
    length = min(W0.shape) if length is None else length
    proj = xp.concat([xp.ones(rank, dtype=dtype), xp.zeros(length - rank, dtype=dtype)])
    lower = xp.clip(proj - s1, min=0.0)
    return lower, proj + s1, s1


def projection_diagnostics(W, basis, Z) -> dict:
    """How far a square matrix ``W`` is from the orthogonal projection onto ``span(basis)``.

    ``basis`` is (d, r) orthonormal; ``Z`` (m, d) are arbitrary row inputs.  Returns absolute
    Frobenius/modulus defects (all 0 for ``W = basis basis^T``):

    * ``idempotency``: ``||W W - W||_F``;  ``symmetry``: ``||W - W^T||_F``;
    * ``eig_one``: ``max_{i<r} |lambda_i - 1|`` and ``eig_zero``: ``max_{i>=r} |lambda_i|`` over
      the eigenvalues sorted by decreasing modulus;
    * ``out_of_span``: ``max_j ||(I - P) W z_j|| / ||z_j||`` over the inputs;
    * ``projection_error``: ``||W - basis basis^T||_F``.
    """
    if isinstance(W, FactoredMap):
        if W.factored:
            return _factored_projection_diagnostics(W, basis, Z)
        W = W.dense()
    check_matrix(W, "W")
    if W.shape[0] != W.shape[1]:
        raise InputError(f"W must be square to be a projection, got shape {tuple(W.shape)}")
    return _diagnostics(eigvals(W), Z @ W.T, basis, Z, idempotency=fro(W @ W - W), symmetry=fro(W - W.T),
                        projection_error=fro(W - basis @ basis.T))


def _diagnostics(lam, outs, basis, Z, **defects) -> dict:
    """The spectral and out-of-span parts of :func:`projection_diagnostics` from the eigenvalues
    ``lam`` (by decreasing modulus) and the outputs ``outs`` for ``Z``; ``defects`` are the rest."""
    xp = array_namespace(outs)
    r = basis.shape[1]
    rest = xp.abs(lam[r:])
    res = out_of_span(outs, basis)
    zn = xp.sqrt(xp.sum(Z * Z, axis=1))
    rn = xp.sqrt(xp.sum(res * res, axis=1))
    return {
        "idempotency": defects["idempotency"],
        "symmetry": defects["symmetry"],
        "eig_one": float(xp.max(xp.abs(lam[:r] - 1.0))) if r else 0.0,
        "eig_zero": float(xp.max(rest)) if rest.shape[0] else 0.0,
        "out_of_span": float(xp.max(rn / zn)),
        "projection_error": defects["projection_error"],
    }


def _factored_projection_diagnostics(W: FactoredMap, basis, Z) -> dict:
    """:func:`projection_diagnostics` for ``W = sum L_i R_i^T`` without a d x d matrix: the non-zero
    eigenvalues of ``L R^T`` are those of the small ``R^T L`` (the other d - r are exactly 0)."""
    xp = array_namespace(basis)
    terms = W.terms()
    L = xp.concat([t[0] for t in terms], axis=1)
    R = xp.concat([t[1] for t in terms], axis=1)
    if W.shape[0] != W.shape[1]:
        raise InputError(f"W must be square to be a projection, got shape {tuple(W.shape)}")
    small = R.T @ L  # (q, q): W W = L (R^T L) R^T; its eigenvalues are W's non-zero ones
    return _diagnostics(eigvals(small), W.apply(Z), basis, Z, idempotency=terms_fro([(L @ small, R), (-L, R)]),
                        symmetry=terms_fro([(L, R), (-R, L)]), projection_error=terms_fro([(L, R), (-basis, basis)]))


def gd_contraction(svd: DataSVD, eta: float) -> float:
    """Per-step contraction ``rho = max_i |1 - eta s_i^2|`` of the error of gradient descent.

    The error ``W^(t) - W^(inf)`` shrinks by at least ``rho`` per step (its component along
    each right singular vector ``v_i`` is multiplied by ``1 - eta s_i^2``); ``rho < 1`` iff
    ``0 < eta < 2 / s_max^2``.
    """
    a = [eta * svd.s_min**2, eta * svd.s_max**2]
    return max(abs(1.0 - a[0]), abs(1.0 - a[1]))


def gd_steps_needed(svd: DataSVD, eta: float, reduction: float) -> int:
    """Steps after which the error of gradient descent has shrunk by ``reduction`` (< 1): ``log(reduction)/log(rho)``.

    Returns 0 if ``reduction >= 1`` and raises :class:`InputError` when ``rho >= 1`` (no convergence).
    """
    if reduction >= 1.0:
        return 0
    rho = gd_contraction(svd, eta)
    if rho >= 1.0:
        raise InputError(
            f"gradient descent with eta={eta:.4g} does not converge (contraction factor {rho:.4g} >= 1); "
            f"use eta < 2/lambda_max(X X^T) = {2.0 / svd.s_max**2:.4g}"
        )
    if rho == 0.0:
        return 1
    return int(math.ceil(math.log(reduction) / math.log(rho)))


def gd_rounding_allowance(svd: DataSVD, steps: int, unit_roundoff: float) -> float:
    """Relative allowance for floating-point error in ``steps`` steps of gradient descent.

    ``u (kappa^2 + t) sqrt(d)``, with ``u`` the dtype's unit roundoff, ``kappa = s_max/s_min``
    and ``d`` the input dimension: one step commits a rounding error of about
    ``sqrt(d) u ||W||`` (inner products of length <= d, random-walk estimate); the part of it
    in the span of the examples contracts by ``1 - eta s_min^2`` per step, so at most
    ``kappa^2`` steps' worth accumulates (with ``eta = 1/s_max^2``); the part orthogonal to
    the span never contracts, at most ``t`` steps' worth.
    """
    return unit_roundoff * (svd.cond**2 + steps) * math.sqrt(svd.shape[1])
