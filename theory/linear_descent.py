r"""Explicit gradient descent for the linear (and single-layer) autoencoders, written out.

The linear loss ``L(W) = 1/2 ||X W^T - Y||_F^2`` (rows are examples, :mod:`theory.linear`) is
descended by ``W <- W - eta (X W^T - Y)^T X``.  :func:`gd_train` is that loop on a dense ``W``;
:func:`row_space_descent` holds ``W = W0 + M X`` (``M`` of size d_out x n, never d x d): every
gradient ``E^T X`` has its rows in the span of the examples, so the update is ``M <- M - eta E^T``
with pre-activations ``P = X W0^T + G M^T`` and ``G = X X^T`` (n x n), which also serves any loss
of the pre-activations (``outer(P, T) -> (E, loss)``: Theorem 1's nonlinear layer).  On dask the
output coordinates are split into blocks that descend independently (:func:`_dask_blocks`).
"""

from __future__ import annotations

import math

from array_api_compat import is_dask_array

from .common import array_namespace, check_matrix, check_training_set, sq_norm
from .descent import DescentResult, descend
from .errors import InputError
from .linear import FactoredMap, check_w0, step_hint, targets, gram, lambda_max, loss

__all__ = ["gd_train", "gd_train_factored", "row_space_descent"]


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
    T = targets(X, Y)
    d_out, d_in = T.shape[1], X.shape[1]
    if W0 is None:
        W0 = xp.zeros((d_out, d_in), dtype=X.dtype)
    else:
        W0 = W0.dense() if isinstance(W0, FactoredMap) else W0
        check_w0(W0, d_out, d_in)
    hint = step_hint(eta, lambda_max(X))

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
    T = targets(X, Y)

    def outer(P, Tb):
        R = P - Tb
        return R, 0.5 * sq_norm(R)

    G, lam = gram(X)
    return row_space_descent(X, W0, T, outer, eta=eta, max_steps=max_steps, loss_tol=loss_tol,
                             checkpoints=checkpoints, callback=callback, divergence_hint=step_hint(eta, lam), G=G)
