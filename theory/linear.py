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

from array_api_compat import array_namespace

from gpu.fallbacks import eigvals

from .common import check_matrix, check_training_set, eps, fro
from .descent import DescentResult, descend
from .errors import InputError

__all__ = [
    "DataSVD",
    "FactoredMap",
    "data_svd",
    "gd_contraction",
    "gd_error_bound",
    "gd_iterate",
    "gd_limit",
    "gd_rounding_allowance",
    "gd_steps_needed",
    "gd_train",
    "largest_stable_step",
    "loss",
    "min_norm_solution",
    "out_of_span",
    "projection_diagnostics",
    "span_projection",
    "weyl_bounds",
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
    """A matrix held as ``W = base + left @ right.T`` (``base`` may be ``None``, meaning 0).

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
        if self.base is not None:
            out = out + Z @ self.base.T
        return out

    def dense(self):
        """The full ``(d_out, d_in)`` matrix (forms it: use only for moderate sizes)."""
        low = self.left @ self.right.T
        return low if self.base is None else self.base + low

    def fro(self) -> float:
        """Frobenius norm without forming the matrix when ``base`` is ``None``."""
        if self.base is not None:
            return fro(self.dense())
        xp = array_namespace(self.left)
        gram = (self.left.T @ self.left) * (self.right.T @ self.right)
        return float(xp.sqrt(xp.abs(xp.sum(gram))))


def _targets(X, Y):
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
    T = _targets(X, Y)
    left = (T.T @ svd.U) * g
    if W0 is None:
        return FactoredMap(left, svd.V)
    _check_w0(W0, T.shape[1], X.shape[1])
    return FactoredMap(left - (W0 @ svd.V) * c, svd.V, W0)


def gd_limit(X, Y=None, *, W0=None, svd: DataSVD | None = None) -> FactoredMap:
    """``W^(inf) = Y X^+ + W0 (I - X X^+)``, the limit of gradient descent from ``W0`` (Appendix I.2)."""
    svd = data_svd(X) if svd is None else svd
    return gd_iterate(X, Y, eta=1.0 / svd.s_max**2, t=math.inf, W0=W0, svd=svd)


def _check_w0(W0, d_out: int, d_in: int) -> None:
    check_matrix(W0, "W0")
    if tuple(W0.shape) != (d_out, d_in):
        raise InputError(f"W0 has shape {tuple(W0.shape)} but the model needs ({d_out}, {d_in})")


def loss(W, X, Y=None) -> float:
    """``1/2 ||X W^T - Y||_F^2`` (the paper's ``1/2 ||W X - Y||_F^2``)."""
    R = X @ W.T - _targets(X, Y)
    xp = array_namespace(R)
    return 0.5 * float(xp.sum(R * R))


def gd_train(
    X,
    Y=None,
    *,
    eta: float,
    W0=None,
    max_steps: int,
    loss_tol: float = 0.0,
    checkpoints=(),
    record_every: int = 0,
    callback=None,
) -> DescentResult:
    """Explicit gradient descent on ``1/2 ||X W^T - Y||_F^2`` from ``W0`` (default 0), through :func:`descend`.

    Each step costs two ``(n, d) x (d, d_out)`` products; ``W`` is dense ``(d_out, d)``.

    Raises
    ------
    DivergenceError
        naming the largest stable step ``2 / lambda_max(X X^T)`` when the loss blows up.
    """
    xp = check_training_set(X, Y)
    if not (eta > 0) or not math.isfinite(eta):
        raise InputError(f"step size eta must be a finite number > 0, got {eta!r}")
    T = _targets(X, Y)
    d_out, d_in = T.shape[1], X.shape[1]
    if W0 is None:
        W0 = xp.zeros((d_out, d_in), dtype=X.dtype)
    else:
        _check_w0(W0, d_out, d_in)
    smax = float(xp.linalg.matrix_norm(X, ord=2))

    def step(W):
        R = X @ W.T - T
        return W - eta * (R.T @ X), 0.5 * float(xp.sum(R * R))

    hint = (
        f"the step eta={eta:.4g} is at or above the largest stable step 2/lambda_max(X X^T) = "
        f"{2.0 / smax**2:.4g}; use a smaller step (1/lambda_max = {1.0 / smax**2:.4g} is safe)"
    )
    return descend(
        W0,
        step,
        max_steps=max_steps,
        loss_tol=loss_tol,
        loss=lambda W: loss(W, X, Y),
        checkpoints=checkpoints,
        record_every=record_every,
        callback=callback,
        divergence_hint=hint,
    )


def gd_error_bound(loss_value: float, svd: DataSVD) -> float:
    """Bound on ``||W^(t) - W^(inf)||_F`` from the loss at step ``t`` alone: ``sqrt(2 L) / s_min``.

    Valid when X has rank n (so ``W^(inf) X = Y``): the difference ``E = W^(t) - W^(inf)``
    has its rows in the span of the examples (``E = E V V^T``), hence
    ``sqrt(2 L) = ||E X||_F = ||E V S||_F >= s_min ||E||_F``.  Exact arithmetic; add a
    rounding allowance separately.
    """
    return math.sqrt(2.0 * max(loss_value, 0.0)) / svd.s_min


def weyl_bounds(W0, rank: int):
    """Weyl's bounds on the singular values of ``W^(inf) = X X^+ + W0 (I - X X^+)`` (Appendix I.2).

    ``|sigma_i(W^(inf)) - sigma_i(X X^+)| <= sigma_1(W0)``, where ``sigma_i(X X^+)`` is 1 for
    ``i < rank`` and 0 after.  Returns ``(lower, upper, sigma_1(W0))`` with arrays of length d.
    """
    xp = check_matrix(W0, "W0")
    s1 = float(xp.linalg.matrix_norm(W0, ord=2))
    proj = xp.concat([xp.ones(rank, dtype=W0.dtype), xp.zeros(min(W0.shape) - rank, dtype=W0.dtype)])
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
    xp = check_matrix(W, "W")
    if W.shape[0] != W.shape[1]:
        raise InputError(f"W must be square to be a projection, got shape {tuple(W.shape)}")
    r = basis.shape[1]
    lam = eigvals(W)
    mod_one = xp.abs(lam[:r] - 1.0)
    rest = xp.abs(lam[r:])
    outs = Z @ W.T
    res = out_of_span(outs, basis)
    zn = xp.sqrt(xp.sum(Z * Z, axis=1))
    rn = xp.sqrt(xp.sum(res * res, axis=1))
    return {
        "idempotency": fro(W @ W - W),
        "symmetry": fro(W - W.T),
        "eig_one": float(xp.max(mod_one)) if r else 0.0,
        "eig_zero": float(xp.max(rest)) if rest.shape[0] else 0.0,
        "out_of_span": float(xp.max(rn / zn)),
        "projection_error": fro(W - basis @ basis.T),
    }


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
