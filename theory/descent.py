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

__all__ = ["DescentResult", "Optimizer", "OuterGradient", "Plateau", "adam_eps", "descend", "optimizer"]

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
    levels : ``{level: (step, loss, params)}``: the first parameters at which the loss was at or
        below each requested loss level (:class:`theory.finishing.Levels`), over every phase
    finish : the :class:`theory.finishing.Finish` record of a finishing phase, or ``None``
    protocol : ``(params, steps, loss)`` where the trainer's own rule stopped, before a finishing
        phase (``None`` when none ran)
    """

    params: Any
    steps: int
    loss: float
    converged: bool
    stop_reason: str
    checkpoints: dict = field(default_factory=dict)
    losses: list = field(default_factory=list)
    levels: dict = field(default_factory=dict)
    finish: Any = None
    protocol: Any = None


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
    ``state = init(params)``; ``params, state = update(params, grads, state, loss=None)``; a
    gradient may be an array or an :class:`OuterGradient`.  ``loss`` (the loss at ``params``)
    drives a :class:`Plateau` schedule where the optimizer has one."""

    name: str
    init: Callable
    update: Callable


@dataclass(frozen=True)
class Plateau:
    """Decay on plateau in the converging phase (PyTorch's ``ReduceLROnPlateau``, mode ``min``,
    relative threshold, once the loss is below ``below`` times its first value): the step is
    multiplied by ``factor`` once the loss has not fallen below ``(1 - threshold)`` times its best
    for ``patience`` consecutive steps, down to ``min_scale`` times the initial step.

    Adam at a fixed step stops descending where its step outgrows the valley (the loss then
    oscillates); halving it there lets it go on down (on the deep claims' digit networks it reached
    the loss target in a few hundred steps where it had not in thousands at a fixed step).  Early
    on a flat loss is a plateau to escape, not a valley to settle in: a Kaiming-initialised
    leaky-ReLU convolutional stack sits on one for thousands of steps before it falls, and decaying
    there kept it stuck, so nothing decays above ``below`` (1e-2 of the first loss: both that stack
    and Appendix H's 29-layer one escaped their plateaus, and Table 2's 29-layer linear stack
    reached the target several times sooner than with 1e-3; ``benchmarks/bench_time_to_target.py``)."""

    factor: float = 0.5
    patience: int = 200
    threshold: float = 1e-2
    min_scale: float = 1e-6
    below: float = 1e-2

    def __post_init__(self):
        if not (0.0 < self.factor < 1.0) or not (0.0 <= self.threshold < 1.0) or not (0.0 < self.min_scale <= 1.0):
            raise InputError(f"a plateau schedule needs 0 < factor < 1, 0 <= threshold < 1 and 0 < min_scale <= 1, "
                             f"got {self.factor!r}, {self.threshold!r}, {self.min_scale!r}")
        if int(self.patience) != self.patience or self.patience < 1:
            raise InputError(f"a plateau schedule needs an integer patience >= 1, got {self.patience!r}")
        if not (0.0 < self.below <= 1.0):
            raise InputError(f"a plateau schedule needs 0 < below <= 1, got {self.below!r}")

    def start(self) -> tuple:
        """``(first loss, best loss, steps since it fell, scale)`` before the first step."""
        return (None, math.inf, 0, 1.0)

    def observe(self, state: tuple, loss) -> tuple:
        """The schedule's state after seeing the loss at the current parameters."""
        first, best, since, scale = state
        if loss is None:
            return state
        loss = float(loss)
        first = loss if first is None else first
        if loss < best * (1.0 - self.threshold):
            return (first, loss, 0, scale)
        if loss > self.below * first:
            return (first, best, 0, scale)  # not converging yet: a plateau to escape
        since += 1
        if since > self.patience:
            return (first, best, 0, max(scale * self.factor, self.min_scale))
        return (first, best, since, scale)


def adam_eps(dtype) -> float:
    """Adam's default ``eps`` here: ``sqrt`` of the dtype's smallest normal number (1.5e-154 in
    float64, 1.1e-19 in float32), below any gradient a loss of these problems produces.

    The usual 1e-8 swamps gradients below it and stalls a run (Appendix H's 29-layer network stayed
    at its initial loss, its gradients far below 1e-8); and ``sqrt(tiny)`` is the
    smallest ``eps`` at which a gradient whose square underflows still gives a step of at most
    ``lr`` (``|m| / eps <= 1``)."""
    import numpy as np

    name = next((k for k in ("float16", "float32", "float64") if k in str(dtype)), "float64")  # any namespace's dtype
    return math.sqrt(float(np.finfo(np.dtype(name)).tiny))


def optimizer(kind: str, lr: float, *, betas=(0.9, 0.999), eps: float | None = None, fused: bool | None = None,
              parallel: bool = False, moments_in_place: bool = False, schedule: Plateau | None = None) -> Optimizer:
    """Plain gradient descent (``p <- p - lr g``) or Adam:
    ``m <- b1 m + (1-b1) g``, ``v <- b2 v + (1-b2) g^2``,
    ``p <- p - lr (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)``; ``eps`` defaults to
    :func:`adam_eps` of the parameters' dtype.  With a ``schedule`` (:class:`Plateau`) ``lr`` is
    scaled by the schedule, which sees the loss that ``update`` is given.

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
    if eps is not None and not (eps >= 0 and math.isfinite(eps)):
        raise InputError(f"Adam's eps must be a finite number >= 0, got {eps!r}")
    if schedule is not None and not isinstance(schedule, Plateau):
        raise InputError(f"schedule must be a theory.descent.Plateau or None, got {type(schedule).__name__}")
    sched = schedule

    def scaled(state, loss):
        """The schedule's state after ``loss`` and the step it gives."""
        if sched is None:
            return None, lr
        st = sched.observe(state, loss)
        return st, lr * st[3]

    if kind == "gd":
        def gd_update(ps, gs, state, loss=None):
            st, step = scaled(state, loss)
            return [p - step * _dense(g) for p, g in zip(ps, gs)], st

        return Optimizer("gd", lambda ps: None if sched is None else sched.start(), gd_update)
    b1, b2 = betas
    if fused:
        from gpu.kernels import fused_available

        if not fused_available():
            raise InputError("fused=True needs numba; pip install numba, or pass fused=None")

    def init(ps):
        zeros = ([array_namespace(p).zeros_like(p) for p in ps], [array_namespace(p).zeros_like(p) for p in ps])
        return (0, *zeros) + (() if sched is None else (sched.start(),))

    def rule(xp, p, g, m, v, c1, c2, step, e):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        return p - (step / c1) * m / (xp.sqrt(v / c2) + e), m, v

    def update(ps, gs, state, loss=None):
        t, ms, vs = state[:3]
        st, step = scaled(state[3] if sched is not None else None, loss)
        tail = () if sched is None else (st,)
        t += 1
        c1, c2 = 1 - b1**t, 1 - b2**t
        if not ps:
            return [], (t, [], []) + tail
        xp = array_namespace(*ps)
        e = adam_eps(ps[0].dtype) if eps is None else eps
        out = []
        for p, g, m, v in zip(ps, gs, ms, vs):
            outer = isinstance(g, OuterGradient)
            if _fusable(xp, (p, g.left, g.right, m, v) if outer else (p, g, m, v), fused, parallel):
                from gpu.kernels import adam_update

                out.append(adam_update(p, None if outer else g, m, v, b1=b1, b2=b2, step=step / c1, c2=c2, eps=e,
                                       parallel=parallel, moments_in_place=moments_in_place,
                                       g_factors=(g.left, g.right) if outer else None))
            else:
                out.append(rule(xp, p, _dense(g), m, v, c1, c2, step, e))
        new, ms, vs = (list(col) for col in zip(*out))
        return new, (t, ms, vs) + tail

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
