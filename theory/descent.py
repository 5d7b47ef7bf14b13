"""The one gradient-descent loop that every trainer in ``theory/`` uses.

A trainer supplies a ``step`` function ``params -> (new_params, loss_at_params)``: computing
the loss at the current parameters shares the residual with the gradient, so the loop gets it
for free.  The loop owns everything else: the stopping rule (loss threshold or step budget),
divergence detection, checkpoints and a progress callback.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from array_api_compat import is_numpy_namespace

from .common import array_namespace
from .errors import DivergenceError, InputError

__all__ = ["DescentResult", "Optimizer", "OuterGradient", "descend", "optimizer"]

# the fused Adam loop over the cores beats NumPy's expressions from this many elements (recorded on
# 2 cores, bench_deep_fc.py --adam-sizes: 1.8x at 2^12, 3.2x at 2^14, 4-5x from 2^16: benchmarks/RESULTS.md)
FUSE_MIN = 4096


@dataclass
class DescentResult:
    """Outcome of :func:`descend`.

    Attributes
    ----------
    params : the parameters after ``steps`` updates
    steps : number of updates applied
    loss : loss at ``params``
    converged : whether ``loss <= loss_tol`` was reached within the budget
    stop_reason : ``"loss_tol"`` or ``"max_steps"``
    checkpoints : ``{step: params}`` for the requested steps that were reached
    losses : ``[(step, loss)]`` recorded every ``record_every`` steps (and at the end)
    """

    params: Any
    steps: int
    loss: float
    converged: bool
    stop_reason: str
    checkpoints: dict = field(default_factory=dict)
    losses: list = field(default_factory=list)


def descend(
    params,
    step: Callable[[Any], tuple[Any, float]],
    *,
    max_steps: int,
    loss_tol: float = 0.0,
    loss: Callable[[Any], float] | None = None,
    checkpoints: Iterable[int] = (),
    record_every: int = 0,
    callback: Callable[[int, float, Any], None] | None = None,
    divergence_factor: float = 1e8,
    divergence_hint: str = "reduce the step size",
) -> DescentResult:
    """Run ``params <- step(params)`` until the loss is at most ``loss_tol`` or ``max_steps`` updates.

    Parameters
    ----------
    params : initial parameters (any object; the loop never inspects it)
    step : ``params -> (new_params, loss_at_params)``
    max_steps : step budget (non-negative)
    loss_tol : stop as soon as the loss at the current parameters is ``<= loss_tol``
    loss : ``params -> float``; used once at the end when the budget runs out (the step
        function only reports the loss *before* its update).  Required if ``max_steps > 0``
        and the budget may run out.
    checkpoints : steps ``t`` at which to keep the iterate (``t = 0`` is the initial point)
    record_every : record ``(t, loss)`` every so many steps (0: only at the end)
    callback : ``callback(t, loss, params)`` after each loss evaluation, for progress display
    divergence_factor : the loss growing beyond this factor of its initial value (or becoming
        non-finite) raises :class:`DivergenceError`
    divergence_hint : appended to the divergence message; name the largest stable step here

    Raises
    ------
    DivergenceError
        with a one-line message that includes ``divergence_hint``.
    """
    if max_steps < 0 or int(max_steps) != max_steps:
        raise InputError(f"max_steps must be a non-negative integer, got {max_steps!r}")
    if not (loss_tol >= 0.0):
        raise InputError(f"loss_tol must be >= 0, got {loss_tol!r}")
    wanted = {int(t) for t in checkpoints}
    kept: dict = {}
    losses: list = []
    initial = None
    t = 0
    while True:
        if t in wanted:
            kept[t] = params
        if t == max_steps:
            final = float(loss(params)) if loss is not None else float("nan")
            _check_finite(final, t, initial, divergence_factor, divergence_hint)
            losses.append((t, final))
            converged = final <= loss_tol
            return DescentResult(params, t, final, converged, "loss_tol" if converged else "max_steps", kept, losses)
        new_params, current = step(params)
        current = float(current)
        if initial is None:
            initial = current
        _check_finite(current, t, initial, divergence_factor, divergence_hint)
        if callback is not None:
            callback(t, current, params)
        if record_every and t % record_every == 0:
            losses.append((t, current))
        if current <= loss_tol:
            losses.append((t, current))
            return DescentResult(params, t, current, True, "loss_tol", kept, losses)
        params = new_params
        t += 1


def _check_finite(value: float, t: int, initial, factor: float, hint: str) -> None:
    if not math.isfinite(value):
        raise DivergenceError(f"gradient descent diverged at step {t} (loss is {value}); {hint}")
    if initial is not None and initial > 0 and value > factor * initial:
        raise DivergenceError(
            f"gradient descent diverged at step {t} (loss grew from {initial:.3g} to {value:.3g}); {hint}"
        )


@dataclass(frozen=True)
class OuterGradient:
    """A weight gradient given by its factors, ``left^T @ right`` (``left`` n x out, ``right``
    n x in: backprop's ``G_z^T H`` over a batch of n rows).  The fused Adam loop forms it a row at
    a time as it updates and never stores it; every other rule takes :meth:`dense`."""

    left: Any
    right: Any

    def dense(self):
        return self.left.T @ self.right


def _dense(g):
    return g.dense() if isinstance(g, OuterGradient) else g


@dataclass(frozen=True)
class Optimizer:
    """A first-order update rule on a list of parameter arrays, written out (no autodiff):
    ``state = init(params)``; ``params, state = update(params, grads, state)``; a gradient may be
    an array or an :class:`OuterGradient`."""

    name: str
    init: Callable
    update: Callable


def optimizer(kind: str, lr: float, *, betas=(0.9, 0.999), eps: float = 1e-8, fused: bool | None = None,
              parallel: bool = False, moments_in_place: bool = False) -> Optimizer:
    """Plain gradient descent (``p <- p - lr g``) or Adam:
    ``m <- b1 m + (1-b1) g``, ``v <- b2 v + (1-b2) g^2``,
    ``p <- p - lr (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)``.

    Adam's update is a dozen element-wise operations: as whole-array NumPy expressions a dozen
    passes over memory, on one core.  With ``parallel`` (for small batches, whose matrix products
    leave the cores idle) NumPy float32/float64 parameters of at least ``FUSE_MIN`` elements run it
    as one compiled loop over the cores (:func:`gpu.kernels.adam_update`, numba): the same
    operations in the same order, so the same numbers bit for bit, 1.8-4.9x faster (recorded:
    ``benchmarks/RESULTS.md``).  On one core the compiled loop is no faster than NumPy's below 2^20
    elements, so it is used there only when asked (``fused=True``); ``fused=False``, other
    namespaces (a GPU's whole-array kernels) and mixed dtypes get the expressions as written.

    With ``moments_in_place`` the fused loop overwrites the state's moment arrays (which ``init``
    made and the optimizer owns) instead of writing fresh ones: the same numbers, less memory
    traffic; a state passed to ``update`` is then spent, and only the one it returns is current.

    A gradient may be an :class:`OuterGradient` (``left^T right``): the fused loop forms it a row
    at a time (summing the batch rows in order), the other rules take its dense product.
    """
    if kind not in ("gd", "adam"):
        raise InputError(f"unknown optimizer {kind!r}; choose gd or adam")
    if not (lr > 0) or not math.isfinite(lr):
        raise InputError(f"learning rate must be a finite number > 0, got {lr!r}")
    if fused not in (None, True, False):
        raise InputError(f"fused must be None, True or False, got {fused!r}")
    if kind == "gd":
        return Optimizer("gd", lambda ps: None,
                         lambda ps, gs, state: ([p - lr * _dense(g) for p, g in zip(ps, gs)], state))
    b1, b2 = betas
    if fused:
        from gpu.kernels import fused_available

        if not fused_available():
            raise InputError("fused=True needs numba; pip install numba, or pass fused=None")

    def init(ps):
        return (0, [array_namespace(p).zeros_like(p) for p in ps], [array_namespace(p).zeros_like(p) for p in ps])

    def rule(xp, p, g, m, v, c1, c2):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        return p - (lr / c1) * m / (xp.sqrt(v / c2) + eps), m, v

    def update(ps, gs, state):
        t, ms, vs = state
        t += 1
        c1, c2 = 1 - b1**t, 1 - b2**t
        if not ps:
            return [], (t, [], [])
        xp = array_namespace(*ps)
        out = []
        for p, g, m, v in zip(ps, gs, ms, vs):
            outer = isinstance(g, OuterGradient)
            if _fusable(xp, (p, g.left, g.right, m, v) if outer else (p, g, m, v), fused, parallel):
                from gpu.kernels import adam_update

                out.append(adam_update(p, None if outer else g, m, v, b1=b1, b2=b2, step=lr / c1, c2=c2, eps=eps,
                                       parallel=parallel, moments_in_place=moments_in_place,
                                       g_factors=(g.left, g.right) if outer else None))
            else:
                out.append(rule(xp, p, _dense(g), m, v, c1, c2))
        new, ms, vs = (list(col) for col in zip(*out))
        return new, (t, ms, vs)

    return Optimizer("adam", init, update)


def _fusable(xp, arrays, fused, parallel) -> bool:
    """Whether one parameter's Adam update runs as the fused host kernel."""
    if fused is False or not is_numpy_namespace(xp):
        return False
    dtype = arrays[0].dtype
    if dtype.kind != "f" or dtype.itemsize not in (4, 8) or any(a.dtype != dtype for a in arrays):
        return False
    if fused is None:
        if not parallel or math.prod(arrays[0].shape) < FUSE_MIN:
            return False
        from gpu.kernels import fused_available

        return fused_available()
    return True
