r"""Linear single-layer autoencoder ``f(x) = W x`` (paper Section 2, Appendix A, Appendix I.2).

Row convention: ``X`` is ``(n, d)`` with one example per row, the transpose of the paper's
``X in R^{d x n}``; ``W`` is ``(d_out, d)`` and acts on columns, so the outputs for row data
are ``X @ W.T``.  Targets ``Y`` are ``(n, d_out)``; ``Y = None`` means ``Y = X`` (autoencoding).

Mathematics (paper's column form, with its row form):

* loss ``L(W) = 1/2 ||W X - Y||_F^2``  (rows: ``1/2 ||X W^T - Y||_F^2``);
* gradient descent ``W <- W + eta (Y - W X) X^T``  (rows: ``W <- W - eta (X W^T - Y)^T X``);
* with the thin SVD of the row data ``X = U S V^T`` (``U`` n x r, ``V`` d x r), the iterate
  from ``W^(0)`` is, for every step ``t``,

  ``W^(t) = W^(0) + [Y^T U diag(g_t) - W^(0) V diag(c_t)] V^T``,
  ``c_t(s) = 1 - (1 - eta s^2)^t``,  ``g_t(s) = c_t(s) / s``,

  which is Appendix A's ``eta Y X^T sum_{s<t} (I - eta X X^T)^s`` when ``W^(0) = 0``;
* for ``0 < eta < 2 / s_max^2`` (``s_max^2 = lambda_max(X X^T)``) it converges to
  ``W^(inf) = Y X^+ + W^(0) (I - X X^+)``, the minimum-norm solution ``Y X^+`` from zero, and
  with ``Y = X`` the orthogonal projection ``X X^+ = V V^T`` onto the span of the examples.

Nothing here forms a ``d x d`` matrix unless asked (:meth:`FactoredMap.dense`) or given one
(a dense ``W^(0)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gpu.fallbacks import qr_r

from .common import array_namespace, check_matrix, check_training_set, eps, fro
from .errors import InputError

__all__ = [
    "DataSVD",
    "FactoredMap",
    "factored_svdvals",
    "data_svd",
    "distance",
    "gram",
    "lambda_max",
    "gd_iterate",
    "gd_limit",
    "largest_stable_step",
    "loss",
    "min_norm_solution",
    "out_of_span",
    "span_projection",
]


@dataclass(frozen=True)
class DataSVD:
    """Thin SVD of row data ``X = U diag(s) Vt`` truncated to its numerical rank.

    ``U`` is (n, r), ``s`` (r,) decreasing, ``Vt`` (r, d); ``rank`` is r and ``shape`` is (n, d).
    """

    U: object
    s: object
    Vt: object
    rank: int
    shape: tuple

    @property
    def V(self):
        """Orthonormal basis of span of the examples, (d, r)."""
        return self.Vt.T

    @property
    def s_max(self) -> float:
        return float(self.s[0])

    @property
    def s_min(self) -> float:
        return float(self.s[self.rank - 1])

    @property
    def cond(self) -> float:
        """Condition number ``s_max / s_min`` of X restricted to its numerical rank."""
        return self.s_max / self.s_min

    @property
    def full_rank(self) -> bool:
        """Whether rank equals the number of examples (the paper's hypothesis 'rank n')."""
        return self.rank == self.shape[0]


def data_svd(X, *, rtol: float | None = None) -> DataSVD:
    """Thin SVD of ``X`` (n, d) truncated at the numerical rank.

    The rank counts singular values above ``rtol * s_max`` with ``rtol = max(n, d) * eps`` by
    default (NumPy's ``matrix_rank`` convention).
    """
    xp = check_matrix(X, "X")
    n, d = X.shape
    U, s, Vt = xp.linalg.svd(X, full_matrices=False)
    smax = float(s[0])
    if smax == 0.0:
        raise InputError("X is all zeros; pass examples with at least one non-zero entry")
    tol = (max(n, d) * eps(X) if rtol is None else rtol) * smax
    r = int(xp.sum(xp.astype(s > tol, xp.int64)))
    return DataSVD(U[:, :r], s[:r], Vt[:r, :], r, (n, d))


@dataclass(frozen=True)
class FactoredMap:
    """A matrix held as ``W = base + left @ right.T``; ``base`` is ``None`` (0), a dense matrix or
    another :class:`FactoredMap`.

    ``left`` is (d_out, r) and ``right`` (d_in, r); with ``r << d`` this stores a rank-r map
    of a large space without forming it.
    """

    left: object
    right: object
    base: object = None

    @property
    def shape(self) -> tuple:
        return (self.left.shape[0], self.right.shape[0])

    def apply(self, Z):
        """Outputs for row inputs ``Z`` (m, d_in): ``Z @ W.T``, shape (m, d_out)."""
        out = (Z @ self.right) @ self.left.T
        if isinstance(self.base, FactoredMap):
            out = out + self.base.apply(Z)
        elif self.base is not None:
            out = out + Z @ self.base.T
        return out

    def dense(self):
        """The full ``(d_out, d_in)`` matrix (forms it: use only for moderate sizes)."""
        low = self.left @ self.right.T
        if self.base is None:
            return low
        return low + (self.base.dense() if isinstance(self.base, FactoredMap) else self.base)

    @property
    def factored(self) -> bool:
        """Whether no dense base is involved (then nothing d x d is ever formed)."""
        return self.base is None or (isinstance(self.base, FactoredMap) and self.base.factored)

    def terms(self) -> list:
        """``[(left, right), ...]`` with ``W = sum left @ right.T`` (only when :attr:`factored`)."""
        own = [(self.left, self.right)]
        return own if self.base is None else own + self.base.terms()

    def fro(self) -> float:
        """Frobenius norm, without forming the matrix when :attr:`factored`."""
        return distance(self, None)

    def rank_bound(self) -> int:
        return sum(L.shape[1] for L, _ in self.terms()) if self.factored else min(self.shape)


def terms_fro(terms, chunk_elements: int = 2**25) -> float:
    """``||sum_i L_i R_i^T||_F`` without a d x d matrix, accurate for a difference of nearly equal maps.

    The stacked right factors ``[R_1 ... R_m] = Q T`` (Householder QR, ``Q`` orthonormal d x q), so
    the norm is ``||sum_i L_i T_i^T||_F``, summed directly (in row chunks of ``chunk_elements``):
    the cancellation between terms happens in that sum with errors ~ u ||L|| ||R||.  (The Gram form
    ``sum_ij (L_i^T L_j) * (R_i^T R_j)`` is cheaper but loses half the digits: ||A - B||^2 is then
    ``||A||^2 + ||B||^2 - 2 <A, B>``, accurate to u ||A||^2 only, i.e. sqrt(u) ||A|| in the norm.)"""
    xp = array_namespace(terms[0][0])
    T = qr_r(xp.concat([t[1] for t in terms], axis=1))
    offsets = [0]
    for L, _ in terms:
        offsets.append(offsets[-1] + L.shape[1])
    rows = terms[0][0].shape[0]
    step = max(1, chunk_elements // max(1, T.shape[0]))
    total = 0.0
    for start in range(0, rows, step):
        stop = min(rows, start + step)
        acc = None
        for (L, _), a, b in zip(terms, offsets[:-1], offsets[1:]):
            part = L[start:stop, :] @ T[:, a:b].T
            acc = part if acc is None else acc + part
        total += float(xp.sum(acc * acc))
    return math.sqrt(total)


def distance(A, B) -> float:
    """``||A - B||_F`` for dense matrices, :class:`FactoredMap` or ``None`` (0), without forming a
    d x d matrix when both are factored (a base shared by ``A`` and ``B`` cancels exactly)."""
    if isinstance(A, FactoredMap) and isinstance(B, FactoredMap) and A.base is not None and A.base is B.base:
        A, B = FactoredMap(A.left, A.right), FactoredMap(B.left, B.right)
    fa = A is None or (isinstance(A, FactoredMap) and A.factored)
    fb = B is None or (isinstance(B, FactoredMap) and B.factored)
    if fa and fb:
        terms = ([] if A is None else A.terms()) + ([] if B is None else [(-L, R) for L, R in B.terms()])
        return terms_fro(terms) if terms else 0.0
    dA, dB = (m.dense() if isinstance(m, FactoredMap) else m for m in (A, B))
    if dA is None or dB is None:
        return fro(dB if dA is None else dA)
    return fro(dA - dB)


def factored_svdvals(W: FactoredMap):
    """Singular values of a factored ``W`` (its ``rank_bound()`` largest; the rest are 0), from the
    thin QR of the stacked factors: ``W = Q_L (T_L T_R^T) Q_R^T``."""
    terms = W.terms()
    xp = array_namespace(terms[0][0])
    L = xp.concat([t[0] for t in terms], axis=1)
    R = xp.concat([t[1] for t in terms], axis=1)
    _, TL = xp.linalg.qr(L)
    _, TR = xp.linalg.qr(R)
    return xp.linalg.svdvals(TL @ TR.T)


def targets(X, Y):
    """The regression targets: ``Y``, or the inputs themselves for an autoencoder (``Y`` None)."""
    return X if Y is None else Y


def min_norm_solution(X, Y=None, *, svd: DataSVD | None = None) -> FactoredMap:
    """Minimum-norm solution ``W* = Y X^+`` of ``W X = Y`` (paper's columns), factored.

    Row form: ``W* = Y^T (X^T)^+ = (Y^T U S^{-1}) V^T``.  With ``Y = None`` (autoencoding)
    this is the orthogonal projection ``X X^+ = V V^T`` onto the span of the examples.
    """
    check_training_set(X, Y)
    svd = data_svd(X) if svd is None else svd
    if Y is None:
        return FactoredMap(svd.V, svd.V)
    return FactoredMap(Y.T @ (svd.U / svd.s), svd.V)


def span_projection(X, *, svd: DataSVD | None = None) -> FactoredMap:
    """The orthogonal projection ``X X^+`` onto the span of the examples (factored ``V V^T``)."""
    return min_norm_solution(X, None, svd=svd)


def out_of_span(Z, basis):
    """Component of row vectors ``Z`` (m, d) orthogonal to the span of ``basis`` (d, r, orthonormal)."""
    return Z - (Z @ basis) @ basis.T


def span_distances(E, basis):
    """The distance of each column of ``E`` (d, k; unit vectors, such as an operator's eigenvectors,
    real or complex) from the span of ``basis`` (d, r, orthonormal): ``||e - B B^H e||`` per column."""
    xp = array_namespace(E, basis)
    R = E - basis @ (xp.conj(basis).T @ E) if xp.isdtype(basis.dtype, "complex floating") else E - basis @ (basis.T @ E)
    if xp.isdtype(R.dtype, "complex floating"):
        return xp.sqrt(xp.sum(xp.real(R * xp.conj(R)), axis=0))
    return xp.sqrt(xp.sum(R * R, axis=0))


def largest_stable_step(X, *, svd: DataSVD | None = None) -> float:
    """``2 / lambda_max(X X^T)``: gradient descent on the linear loss converges iff ``eta`` is below it."""
    svd = data_svd(X) if svd is None else svd
    return 2.0 / svd.s_max**2


def _step_factors(svd: DataSVD, eta: float, t):
    """``(c_t, g_t)`` of the module docstring, stably: ``c = -expm1(t log1p(-eta s^2))`` when ``eta s^2 < 1``."""
    xp = array_namespace(svd.s)
    a = eta * svd.s * svd.s
    if t == math.inf:
        c = xp.ones_like(a)
    else:
        safe = xp.where(a < 1.0, a, xp.zeros_like(a))
        smooth = -xp.expm1(float(t) * xp.log1p(-safe))
        rough = 1.0 - (1.0 - a) ** float(t)
        c = xp.where(a < 1.0, smooth, rough)
    return c, c / svd.s


def gd_iterate(X, Y=None, *, eta: float, t, W0=None, svd: DataSVD | None = None) -> FactoredMap:
    """Closed form of the gradient-descent iterate ``W^(t)`` (Appendix A), any step ``t`` or ``math.inf``.

    ``W^(t) = W0 + [Y^T U diag(g_t) - W0 V diag(c_t)] V^T`` (see the module docstring).  With
    ``t = math.inf`` and ``0 < eta < 2/s_max^2`` this is ``Y X^+ + W0 (I - X X^+)``.

    Raises
    ------
    InputError
        for ``t < 0``, a non-positive ``eta``, or ``t = inf`` with ``eta`` at or above the largest stable step.
    """
    check_training_set(X, Y)
    if not (eta > 0):
        raise InputError(f"step size eta must be > 0, got {eta!r}")
    if t != math.inf and (t < 0 or int(t) != t):
        raise InputError(f"step t must be a non-negative integer or math.inf, got {t!r}")
    svd = data_svd(X) if svd is None else svd
    if t == math.inf and eta >= 2.0 / svd.s_max**2:
        raise InputError(
            f"gradient descent with eta={eta:.4g} does not converge: the largest stable step is "
            f"2/lambda_max(X X^T) = {2.0 / svd.s_max**2:.4g}; use a smaller eta"
        )
    c, g = _step_factors(svd, eta, t)
    T = targets(X, Y)
    left = (T.T @ svd.U) * g
    if W0 is None:
        return FactoredMap(left, svd.V)
    check_w0(W0, T.shape[1], X.shape[1])
    W0V = W0.apply(svd.Vt).T if isinstance(W0, FactoredMap) else W0 @ svd.V
    return FactoredMap(left - W0V * c, svd.V, W0)


def gd_limit(X, Y=None, *, W0=None, svd: DataSVD | None = None) -> FactoredMap:
    """``W^(inf) = Y X^+ + W0 (I - X X^+)``, the limit of gradient descent from ``W0`` (Appendix I.2)."""
    svd = data_svd(X) if svd is None else svd
    return gd_iterate(X, Y, eta=1.0 / svd.s_max**2, t=math.inf, W0=W0, svd=svd)


def gram(X):
    """``(G, lambda_max)``: the n x n Gram ``X X^T`` (what factored descent runs on) and its
    largest eigenvalue ``||X||_2^2``."""
    G = X @ X.T
    return G, _largest_eigenvalue(G)


def lambda_max(X) -> float:
    """``||X||_2^2``, the largest eigenvalue of the smaller of ``X X^T`` and ``X^T X`` (min(n, d)^2
    max(n, d) work and min(n, d)^2 memory, where an SVD of X costs several times that)."""
    n, d = X.shape
    return _largest_eigenvalue(X @ X.T if n <= d else X.T @ X)


def _largest_eigenvalue(G) -> float:
    import numpy as np

    from gpu.host import to_numpy

    return float(np.linalg.eigvalsh(to_numpy(G))[-1])  # a symmetric Gram, on the host


def step_hint(eta: float, lam: float) -> str:
    """The one-line advice of a step at or above the largest stable one ``2 / lambda_max``."""
    return (f"the step eta={eta:.4g} is at or above the largest stable step 2/lambda_max(X X^T) = "
            f"{2.0 / lam:.4g}; use a smaller step (1/lambda_max = {1.0 / lam:.4g} is safe)")


def check_w0(W0, d_out: int, d_in: int) -> None:
    """Refuse an initial map ``W0`` (dense or :class:`FactoredMap`) that is not ``d_out x d_in``."""
    if not isinstance(W0, FactoredMap):
        check_matrix(W0, "W0")
    if tuple(W0.shape) != (d_out, d_in):
        raise InputError(f"W0 has shape {tuple(W0.shape)} but the model needs ({d_out}, {d_in})")


def loss(W, X, Y=None) -> float:
    """``1/2 ||X W^T - Y||_F^2`` (the paper's ``1/2 ||W X - Y||_F^2``)."""
    R = X @ W.T - targets(X, Y)
    xp = array_namespace(R)
    return 0.5 * float(xp.sum(R * R))
