r"""Finishing a descent: a full-batch quasi-Newton phase after a trainer's own rule has stopped,
and the loss levels a run passed on its way down.

The paper's claims are about the solution that gradient-based training finds; Adam at a fixed
step stalls far above a small loss on many of its networks (it oscillates in the valley it has
found), while a few dozen to a few hundred L-BFGS iterations from the same point finish the
descent (measured: the deep networks of Section 3 and the convolutional ones of Appendices F-H).
A claim may let its verdict rest on a finished run only where the quantity that decides it did not
move across its decision line during the finish: :class:`Finish` records the loss before and
after, the iterations, the gradient norm at the end and the parameter distance travelled.

* :func:`lbfgs`: scipy's L-BFGS-B (no bounds) on the flattened parameters, with the trainer's own
  written-out gradient (no autodiff); it stops at the loss target, at its iteration budget, or
  where it can make no more progress (a stationary point above the target: ``stop ==
  "stationary"``: a local minimum or a saddle, which a claim restarts from a new draw).  The
  parameters travel to the host as one float64 vector per evaluation (a vector of the parameter
  count: these are small networks) and back in their own dtype and namespace.
* :class:`Levels`: the first parameters at which the loss reached each of a set of levels
  (``1e-4, 1e-5, ..., 1e-10``), over every phase of a run: a claim reads its decisive quantity at
  the last levels a run reached and decides only when it is stable there.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .common import array_namespace
from .errors import InputError

__all__ = ["DECADES", "Finish", "Levels", "finish_descent", "lbfgs"]

# the loss levels a run is followed through: every decade from 1e-2 to 1e-12
DECADES = tuple(10.0 ** -k for k in range(2, 13))


@dataclass
class Levels:
    """The first parameters at which the loss was at or below each of ``levels``.

    ``seen(step, loss, model, make=None)`` is called with every loss a run evaluates (from a
    :func:`theory.descent.descend` callback and from :func:`lbfgs`'s); ``reached`` maps a level
    to ``(step, loss, model)``, where ``model`` is what was given, or ``make(model)`` when a
    ``make`` is given (called only when a new level is reached).  The models are kept as given:
    the trainers' updates make new arrays, never write into the old ones."""

    levels: tuple = DECADES
    reached: dict = field(default_factory=dict)

    def __post_init__(self):
        if any(not (lv > 0 and math.isfinite(lv)) for lv in self.levels):
            raise InputError(f"loss levels must be finite numbers > 0, got {self.levels!r}")
        self.levels = tuple(sorted(set(float(lv) for lv in self.levels), reverse=True))

    def seen(self, step: int, loss: float, model, make: Callable | None = None) -> None:
        loss = float(loss)
        new = [lv for lv in self.levels if lv not in self.reached and loss <= lv]
        if new:
            kept = model if make is None else make(model)
            for lv in new:
                self.reached[lv] = (int(step), loss, kept)


@dataclass(frozen=True)
class Finish:
    """What a finishing phase did.

    ``loss_before``/``loss``: the loss where it started and where it stopped; ``iterations`` and
    ``evaluations``: L-BFGS iterations and loss-and-gradient evaluations; ``grad_norm``: the
    gradient's 2-norm at the end; ``distance`` and ``relative_distance``: how far the parameters
    travelled (``||theta_end - theta_start||``, and that over ``||theta_start||``); ``stop``:
    ``"loss_tol"`` (reached the target), ``"max_iter"`` (budget), ``"stationary"`` (no further
    progress above the target, at a point where ``||grad||^2 <= sqrt(u) L``: a gradient step could
    lower the loss by a relative ``sqrt(u)`` at most, a local minimum or a saddle) or ``"no
    progress"`` (the line search failed elsewhere); ``seconds``: its wall time."""

    method: str
    loss_before: float
    loss: float
    iterations: int
    evaluations: int
    grad_norm: float
    distance: float
    relative_distance: float
    stop: str
    seconds: float

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("method", "loss_before", "loss", "iterations", "evaluations", "grad_norm",
                                              "distance", "relative_distance", "stop", "seconds")}

    def describe(self) -> str:
        return (f"{self.method} {self.loss_before:.3g} -> {self.loss:.3g} in {self.iterations} iterations "
                f"({self.stop}), moved {self.relative_distance:.2g} of the weights' norm")


class _Reached(Exception):
    pass


def lbfgs(params: list, value_and_grads: Callable[[list], tuple], *, loss_tol: float, max_iter: int,
          history: int = 10, callback: Callable | None = None, step0: int = 0) -> tuple[list, Finish]:
    """Minimise the loss from ``params`` (a list of arrays) with L-BFGS until ``loss <= loss_tol``,
    ``max_iter`` iterations, or no further progress.

    ``value_and_grads(params) -> (loss, grads)`` (grads a list shaped as ``params``; a ``None``
    parameter stays fixed); ``callback(step, loss, params)`` sees every evaluation (numbered from
    ``step0``).  Returns the
    final parameters (the evaluated point of smallest loss, in the namespace and dtypes of
    ``params``) and the :class:`Finish` record.

    It runs with one BLAS thread: L-BFGS-B's own update (``setulb``, O(history x parameters) a
    step in small BLAS calls) was several times slower with the machine's BLAS threads spinning
    between its calls; ``history`` is scipy's default 10 (30 cost more an iteration and took no
    fewer iterations on the deep claims' networks).
    """
    if not (loss_tol >= 0.0) or int(max_iter) != max_iter or max_iter < 0:
        raise InputError(f"lbfgs needs loss_tol >= 0 and an integer max_iter >= 0, got {loss_tol!r}, {max_iter!r}")
    from scipy.optimize import minimize

    from gpu.host import to_numpy

    live = [i for i, p in enumerate(params) if p is not None]
    if not live:
        raise InputError("lbfgs needs at least one trainable parameter array")
    xp = array_namespace(*[params[i] for i in live])
    shapes = [tuple(params[i].shape) for i in live]
    dtypes = [params[i].dtype for i in live]
    sizes = [math.prod(s) for s in shapes]

    def unpack(v):
        out, k = list(params), 0
        for i, shape, dt, n in zip(live, shapes, dtypes, sizes):
            out[i] = xp.asarray(np.reshape(v[k:k + n], shape), dtype=dt)
            k += n
        return out

    def pack(arrays) -> np.ndarray:
        return np.concatenate([np.ravel(to_numpy(arrays[i])).astype(np.float64) for i in live])

    x0 = pack(params)
    best = {"loss": math.inf, "x": x0, "g": math.nan}
    count, iters = [0], [0]
    start = time.perf_counter()

    def fun(v):
        ps = unpack(v)
        value, grads = value_and_grads(ps)
        value = float(value)
        g = pack(grads)
        count[0] += 1
        if not math.isfinite(value):
            return math.inf, np.zeros_like(g)  # the line search backs off
        if callback is not None:
            callback(step0 + count[0], value, ps)
        if value < best["loss"]:
            best.update(loss=value, x=np.array(v, copy=True), g=float(np.linalg.norm(g)), params=ps)
        if value <= loss_tol:
            raise _Reached
        return value, g

    from gpu.kernels import blas_threads

    loss_before = None
    with blas_threads(1):
        try:
            value0, grads0 = value_and_grads(params)
            loss_before = float(value0)
            if max_iter == 0 or loss_before <= loss_tol:
                stop = "loss_tol" if loss_before <= loss_tol else "max_iter"
                best.update(loss=loss_before, params=list(params), g=float(np.linalg.norm(pack(grads0))))
            else:
                res = minimize(fun, x0, jac=True, method="L-BFGS-B",
                               callback=lambda *_: iters.__setitem__(0, iters[0] + 1),
                               options={"maxiter": int(max_iter), "maxfun": 4 * int(max_iter) + 20,
                                        "maxcor": int(history), "ftol": 0.0, "gtol": 0.0})
                stop = "max_iter" if res.nit >= max_iter or res.nfev >= 4 * int(max_iter) + 20 else "no progress"
        except _Reached:
            stop = "loss_tol"
    if stop == "no progress" and best["g"] ** 2 <= math.sqrt(np.finfo(np.float64).eps) * best["loss"]:
        stop = "stationary"  # no first-order progress is left: ||g||^2 <= sqrt(u) L
    x = best["x"]
    dist = float(np.linalg.norm(x - x0))
    norm0 = float(np.linalg.norm(x0))
    out = best.get("params") or unpack(x)
    finish = Finish("L-BFGS", loss_before, float(best["loss"]), iters[0], count[0],
                    float(best["g"]), dist, dist / norm0 if norm0 > 0 else math.inf, stop,
                    time.perf_counter() - start)
    return out, finish


def finish_descent(res, *, weights: Callable, rebuild: Callable, value_and_grads: Callable, loss_tol: float,
                   max_iter: int, levels: Levels | None = None):
    """Finish a :class:`theory.descent.DescentResult` whose rule stopped above ``loss_tol``: L-BFGS
    (:func:`lbfgs`) from its model for at most ``max_iter`` iterations.

    ``res.params`` is ``(model, state)``; ``weights(model)`` lists its arrays (``None`` for fixed
    ones), ``rebuild(model, arrays)`` makes a model of them, ``value_and_grads(model)`` gives
    ``(loss, grads)`` in the order of ``weights``.  The result is ``res`` with the finished model
    (``params = (model, None)``), its loss, ``converged``, ``stop_reason`` ``"finished"`` (target
    reached) or ``"finish_" + stop``, ``finish`` (the :class:`Finish` record) and ``protocol``
    (``(model, steps, loss)`` where the trainer's rule stopped).  A converged ``res``, or
    ``max_iter == 0``, is returned as it is.
    """
    if res.converged or max_iter == 0:
        return res
    model = res.params[0]

    def vg(ps):
        value, grads = value_and_grads(rebuild(model, ps))
        return value, grads

    track = None if levels is None else (lambda t, loss, ps: levels.seen(t, loss, ps, lambda q: rebuild(model, q)))
    out, fin = lbfgs(list(weights(model)), vg, loss_tol=loss_tol, max_iter=max_iter, callback=track, step0=res.steps)
    res.protocol = (model, res.steps, res.loss)
    res.params = (rebuild(model, out), None)
    res.loss = fin.loss
    res.converged = fin.loss <= loss_tol
    res.stop_reason = "finished" if res.converged else "finish_" + fin.stop
    res.finish = fin
    if levels is not None:
        res.levels = dict(levels.reached)
    return res
