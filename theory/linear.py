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

from array_api_compat import is_dask_array

from gpu.fallbacks import eigvals, qr_r

from .common import array_namespace, check_matrix, check_training_set, eps, fro, sq_norm
from .descent import DescentResult, descend
from .errors import InputError

__all__ = [
    "DataSVD",
    "FactoredMap",
    "factored_svdvals",
    "data_svd",
    "distance",
    "gd_train_factored",
    "gram",
    "lambda_max",
    "certificate_floor",
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
    "row_space_descent",
    "span_projection",
    "svdvals",
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


def _terms_fro(terms, chunk_elements: int = 2**25) -> float:
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
        return _terms_fro(terms) if terms else 0.0
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


def _step_hint(eta: float, lam: float) -> str:
    return (f"the step eta={eta:.4g} is at or above the largest stable step 2/lambda_max(X X^T) = "
            f"{2.0 / lam:.4g}; use a smaller step (1/lambda_max = {1.0 / lam:.4g} is safe)")


def _check_w0(W0, d_out: int, d_in: int) -> None:
    if not isinstance(W0, FactoredMap):
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
        W0 = W0.dense() if isinstance(W0, FactoredMap) else W0
        _check_w0(W0, d_out, d_in)
    hint = _step_hint(eta, lambda_max(X))

    def step(W):
        R = X @ W.T - T
        # eta scales the n x d residual, not the d x d product: one d x d pass fewer per step
        return W - (eta * R).T @ X, 0.5 * sq_norm(R)

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


def _block_descent(Ge, S, T, outer, max_steps: int, loss_tol: float, checkpoints=(), callback=None,
                   record_every: int = 0, hint: str = "", N0=None):
    """:func:`descend` on one block of output coordinates, held as ``N = M^T / eta`` (n, b) with
    ``Ge = eta G``: the pre-activations are ``S + Ge N`` (``S`` = the block of ``X W0^T``, or
    ``None``), the targets ``T`` (n, b), and the update is ``N - E``.  Two savings over updating
    ``M`` (b, n) by ``M - eta E^T``, measured at n = 256, d = 2048: every operand has one layout
    (the transposed operand cost 3 ms of a 15 ms step), and the step scales nothing (eta sits in
    the n x n ``Ge``, scaled once), one n x b pass and allocation fewer."""
    xp = array_namespace(Ge, T)

    def pre(N):
        P = Ge @ N
        return P if S is None else P + S

    def step(N):
        E, value = outer(pre(N), T)
        return N - E, value

    N0 = xp.zeros((Ge.shape[0], T.shape[1]), dtype=Ge.dtype) if N0 is None else N0
    return descend(N0, step, max_steps=max_steps,
                   loss_tol=loss_tol, loss=lambda N: outer(pre(N), T)[1], checkpoints=checkpoints,
                   record_every=record_every, callback=callback, divergence_hint=hint)


def row_space_descent(X, W0, T, outer, *, eta: float, max_steps: int, loss_tol: float = 0.0,
                      checkpoints=(), callback=None, divergence_hint: str = "reduce the step size",
                      G=None) -> DescentResult:
    """Explicit gradient descent on a loss of the pre-activations ``P = X W^T`` (n, d_out), with
    ``W`` held as ``W0 + M X`` (never d x d).

    ``outer(P, T) -> (E, loss)`` gives the loss and the n x d_out matrix ``E`` whose gradient is
    ``E^T X``, from the pre-activations and the targets ``T`` (n, d_out) (linear: ``E = P - T``;
    Theorem 1: ``E = (phi(P) - X) * phi'(P)`` or its sign); it must act column by column.  Every
    such gradient has its rows in the row space of X, so from ``W0`` the iterate is exactly
    ``W0 + M X`` with ``M`` (d_out, n), and the step ``W <- W - eta E^T X`` is ``M <- M - eta E^T``
    with ``P = X W0^T + G M^T`` and ``G = X X^T``: the same iterates as the dense trainers, in the
    coordinates the gradient lives in, at ``n^2 d_out`` work and ``n (d + d_out)`` memory per step
    instead of ``n d d_out`` and ``d d_out``.  ``W0`` is ``None``, dense, or a :class:`FactoredMap`.
    ``result.params`` (and each checkpoint) is the :class:`FactoredMap` ``W0 + M X``;
    ``callback(t, loss, W)`` receives it too.

    On dask arrays the rows of ``M`` (output coordinates) are independent given ``G``, so each
    chunk of output columns descends on its own worker with no communication per step: a first
    pass records every block's loss, the summed loss fixes the stopping step exactly as one loop
    would, and a second pass stops every block there (checkpoints and callbacks need the whole
    iterate at every step and is refused; checkpoints are kept per block and joined).
    """
    check_matrix(X, "X")
    n, d = X.shape
    d_out = T.shape[1]
    if W0 is not None:
        if not isinstance(W0, FactoredMap):
            check_matrix(W0, "W0")
        if tuple(W0.shape) != (d_out, d):
            raise InputError(f"W0 has shape {tuple(W0.shape)} but the model needs ({d_out}, {d})")
    G = X @ X.T if G is None else G  # the caller's Gram, when it has one
    start = None if W0 is None else (W0.apply(X) if isinstance(W0, FactoredMap) else X @ W0.T)
    Ge = eta * G
    XT = X.T

    def wrap(N):  # M = eta N^T; scaled when wrapped (an n x d_out pass), not every step
        return FactoredMap((eta * N).T, XT, W0)

    if is_dask_array(X):
        if callback is not None:
            raise InputError("a descent callback needs the whole iterate at every step, which the dask backend "
                             "does not gather; use --backend numpy or cupy for this check")
        N, res = _dask_blocks(Ge, start, T, outer, max_steps, loss_tol, checkpoints, divergence_hint)
        res.params = wrap(N)
        res.checkpoints = {t: wrap(N) for t, N in res.checkpoints.items()}
        return res
    res = _block_descent(Ge, start, T, outer, max_steps, loss_tol, checkpoints,
                         None if callback is None else (lambda t, value, N: callback(t, value, wrap(N))),
                         hint=divergence_hint)
    res.params = wrap(res.params)
    res.checkpoints = {t: wrap(N) for t, N in res.checkpoints.items()}
    return res


def _dask_blocks(Ge, start, T, outer, max_steps, loss_tol, checkpoints, hint):
    """:func:`row_space_descent` on dask.  Rounds of 64, 128, ... steps: every block descends from
    where it stood (kept on the cluster) and returns its losses; only the losses travel.  The first
    step at which the summed loss reaches ``loss_tol`` (or the budget) is where one loop would stop;
    the blocks are re-run to exactly that step from the start of its round."""
    import dask
    import dask.array as da
    import numpy as np

    Ge = Ge.compute()
    if start is not None:
        start = start.rechunk({0: -1, 1: T.chunks[1]})
    T = T.rechunk({0: -1})
    t_blocks = T.to_delayed().ravel()
    s_blocks = [None] * len(t_blocks) if start is None else start.to_delayed().ravel()
    wanted = sorted({int(t) for t in checkpoints})

    def run(Sb, Tb, Nb, steps, t0):
        res = _block_descent(Ge, Sb, Tb, outer, steps, 0.0, record_every=1, hint=hint, N0=Nb,
                             checkpoints=[t - t0 for t in wanted if t0 <= t <= t0 + steps])
        values = [value for _, value in res.losses][: steps + 1]
        values += [values[-1]] * (steps + 1 - len(values))  # a block at loss 0 stays there
        return res.params, values, res.checkpoints

    current = [None] * len(t_blocks)
    kept: dict = {}
    t0, size = 0, 64
    while True:
        steps = min(size, max_steps - t0)
        rounds = dask.persist(*[dask.delayed(run, nout=3)(Sb, Tb, Nb, steps, t0)
                                for Sb, Tb, Nb in zip(s_blocks, t_blocks, current)])
        total = np.sum(np.asarray(dask.compute(*[r[1] for r in rounds]), dtype=float), axis=0)
        reached = np.nonzero(total <= loss_tol)[0]
        if reached.size or t0 + steps >= max_steps:
            stop = t0 + (int(reached[0]) if reached.size else steps)
            break
        for t in wanted:
            if t0 <= t < t0 + steps:
                kept[t] = [r[2][t - t0] for r in rounds]
        current = [r[0] for r in rounds]
        t0, size = t0 + steps, 2 * size
    last = dask.persist(*[dask.delayed(run, nout=3)(Sb, Tb, Nb, stop - t0, t0)
                          for Sb, Tb, Nb in zip(s_blocks, t_blocks, current)])
    for t in wanted:
        if t0 <= t <= stop:
            kept[t] = [r[2][t - t0] for r in last]

    def joined(parts):
        return da.concatenate([da.from_delayed(p, shape=(Ge.shape[0], width), dtype=Ge.dtype, meta=Ge[:0, :0])
                               for p, width in zip(parts, T.chunks[1])], axis=1)

    value = float(total[stop - t0])
    converged = bool(value <= loss_tol)
    result = DescentResult(None, stop, value, converged, "loss_tol" if converged else "max_steps",
                           {t: joined(parts) for t, parts in sorted(kept.items())}, [(stop, value)])
    return joined([r[0] for r in last]), result


def gd_train_factored(X, Y=None, *, eta: float, W0=None, max_steps: int, loss_tol: float = 0.0, checkpoints=(),
                      callback=None) -> DescentResult:
    """:func:`gd_train` held as ``W0 + M X`` (:func:`row_space_descent` with ``E = X W^T - Y``):
    the same iterates without a d x d matrix; ``result.params`` is a :class:`FactoredMap`."""
    check_training_set(X, Y)
    if not (eta > 0) or not math.isfinite(eta):
        raise InputError(f"step size eta must be a finite number > 0, got {eta!r}")
    T = _targets(X, Y)

    def outer(P, Tb):
        R = P - Tb
        return R, 0.5 * sq_norm(R)

    G, lam = gram(X)
    return row_space_descent(X, W0, T, outer, eta=eta, max_steps=max_steps, loss_tol=loss_tol,
                             checkpoints=checkpoints, callback=callback, divergence_hint=_step_hint(eta, lam), G=G)


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
    return _diagnostics(eigvals(small), W.apply(Z), basis, Z, idempotency=_terms_fro([(L @ small, R), (-L, R)]),
                        symmetry=_terms_fro([(L, R), (-R, L)]), projection_error=_terms_fro([(L, R), (-basis, basis)]))


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
