r"""When a trained run may decide a claim: at its loss target, or at the loss it reached where the
quantity that decides is stable, and never across a finishing phase that moved it.

A claim reads a *decision* off a trained model (``judge(model) -> (decision, value)``: a class per
example, whether an operator memorizes, ...; ``value`` is the number behind it, for the record).
:func:`judge_run` evaluates it where the run ended and, where needed, at the first models at or
below the last loss levels the run passed (``result.levels``, :class:`theory.finishing.Levels`)
and where the trainer's own rule stopped before a finishing phase (``result.protocol``).  The run
is *decided* when

* it reached its loss target: it decides there, also where a finishing phase moved the decision on
  the way (L-BFGS is gradient-based training too; both decisions are recorded, ``moved``), or
* no finishing phase moved the decision (the decision where the rule stopped equals the one at
  the end: a finisher that stopped short of the target may only complete a descent, not change
  its answer) and the decision at the last ``last`` loss levels reached equals the one at the end
  (stable over the last two decades: the claim is decided at the loss reached).

Otherwise it is *inconclusive*, with a one-line reason: ``crossed`` (the finishing phase moved
the decision), ``stationary`` (the descent stopped at a stationary point above its target: a
local minimum or a saddle, which a claim restarts from a new draw), ``unstable`` (the decision
changed between the last levels) or ``too few levels`` (the run passed fewer than ``last``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .errors import InputError

__all__ = ["RunDecision", "judge_run"]


@dataclass(frozen=True)
class RunDecision:
    """The verdict-readiness of one trained run.

    ``decided``: whether a claim may rest on it; ``status``: ``at-target``, ``stable``,
    ``crossed``, ``stationary``, ``unstable`` or ``too-few-levels``; ``decision`` and ``value``: at
    the end of the run; ``history``: ``[(where, loss, decision, value)]`` where it was evaluated
    (``protocol``, ``level 1e-k``, ``end``); ``reason``: one line when not decided; ``moved``: one
    line when a finishing phase that reached the target moved the decision (the run decides at the
    target; the trainer's own decision is kept beside it)."""

    decided: bool
    status: str
    decision: Any
    value: Any
    loss: float
    history: list = field(default_factory=list)
    reason: str | None = None
    moved: str | None = None

    def to_dict(self) -> dict:
        return {"decided": self.decided, "status": self.status, "loss": self.loss, "reason": self.reason,
                **({"moved": self.moved} if self.moved else {}),
                "history": [{"at": w, "loss": l, "decision": _plain(d), "value": _plain(v)} for w, l, d, v in self.history]}


def _plain(x):
    """JSON-ready: tuples to lists, NumPy scalars to Python numbers."""
    if isinstance(x, (tuple, list)):
        return [_plain(v) for v in x]
    if hasattr(x, "item") and not isinstance(x, (str, bytes)):
        try:
            return x.item()
        except (ValueError, TypeError):
            return x
    return x


def _short(v) -> str:
    if isinstance(v, dict):
        return ", ".join(f"{k} {_short(x)}" for k, x in v.items())
    if isinstance(v, float):
        return f"{v:.3g}"
    if isinstance(v, (tuple, list)) and len(v) > 6:
        return "[" + ", ".join(_short(x) for x in v[:6]) + ", ...]"
    if isinstance(v, (tuple, list)):
        return "[" + ", ".join(_short(x) for x in v) + "]"
    return str(v)


def judge_run(result, judge: Callable, *, loss_tol: float, last: int = 2, same: Callable | None = None,
              end=None) -> RunDecision:
    """Whether a trained run (a :class:`theory.descent.DescentResult` whose ``params[0]`` is the
    model) may decide its claim, by the rules of this module.

    ``judge(model) -> (decision, value)``; ``same(a, b)`` compares two decisions (default ``==``);
    ``end`` is the judgement at the end when the caller has it already.  A run at its target with
    no finishing phase is decided without evaluating the levels.
    """
    if int(last) != last or last < 1:
        raise InputError(f"last must be an integer >= 1, got {last!r}")
    same = same or (lambda a, b: a == b)
    model = result.params[0]
    dec, val = judge(model) if end is None else end
    loss = float(result.loss)
    history = []
    at_target = bool(result.converged) and loss <= loss_tol
    if result.protocol is not None:
        p_model, p_steps, p_loss = result.protocol
        p_dec, p_val = judge(p_model)
        history.append((f"protocol (step {p_steps})", float(p_loss), p_dec, p_val))
        if not same(p_dec, dec):
            history.append(("end", loss, dec, val))
            why = (f"the finishing phase moved the decision from {_short(p_dec)} ({_short(p_val)}) at loss {p_loss:.2g} "
                   f"to {_short(dec)} ({_short(val)}) at loss {loss:.2g}")
            if at_target:  # decided at the target; the trainer's own decision is recorded beside it
                return RunDecision(True, "at-target", dec, val, loss, history, moved=why)
            return RunDecision(False, "crossed", dec, val, loss, history, why)
    if at_target and result.protocol is None:
        history.append(("end", loss, dec, val))
        return RunDecision(True, "at-target", dec, val, loss, history)
    reached = sorted(result.levels.items())[:last]  # the smallest levels reached
    for level, (step, lv_loss, lv_model) in sorted(reached, reverse=True):
        d, v = judge(lv_model)
        history.append((f"level {level:.0e} (step {step})", float(lv_loss), d, v))
    history.append(("end", loss, dec, val))
    if at_target:
        return RunDecision(True, "at-target", dec, val, loss, history)
    finish = getattr(result, "finish", None)
    why = _why(result, finish)
    if finish is not None and finish.stop == "stationary":
        return RunDecision(False, "stationary", dec, val, loss, history,
                           f"stopped at a stationary point above the target: loss {loss:.3g}, gradient norm "
                           f"{finish.grad_norm:.2g} (a local minimum or a saddle)")
    if len(reached) < last:
        return RunDecision(False, "too-few-levels", dec, val, loss, history,
                           f"stopped at loss {loss:.3g} ({why}), having passed {len(reached)} of the {last} loss "
                           "levels a decision above the target needs")
    changed = [(w, v, d) for w, _, d, v in history[:-1] if not same(d, dec)]
    if changed:
        return RunDecision(False, "unstable", dec, val, loss, history,
                           f"the decision changed between {changed[0][0]} and the end (loss {loss:.3g}, {why}): "
                           f"{_short(changed[0][2])} ({_short(changed[0][1])}) -> {_short(dec)} ({_short(val)})")
    return RunDecision(True, "stable", dec, val, loss, history)


def _why(result, finish) -> str:
    """Why a run stopped above its target, in words: the budget or the optimizer."""
    if finish is None:
        return f"budget: {result.steps} steps"
    if finish.stop == "no progress":
        return (f"optimizer: L-BFGS found no descent step after {finish.iterations} iterations, gradient norm "
                f"{finish.grad_norm:.2g}")
    if finish.stop == "max_iter":
        return f"budget: {result.steps} steps, then {finish.iterations} L-BFGS iterations"
    return f"{result.steps} steps, then L-BFGS ({finish.stop})"
