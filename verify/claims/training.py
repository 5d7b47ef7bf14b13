"""The training protocol every trained claim shares, and what a run records.

A claim's networks train under the profile's protocol (Adam with decay on plateau, then at most
``finish_iter`` L-BFGS iterations where Adam stopped above the loss target: the trainers'
``schedule``, ``finish_iter`` and ``levels`` arguments) and are judged by
:func:`theory.convergence.judge_run`: a run decides its claim at its target (where a finishing
phase moved the decision on the way, both are recorded), or at the loss it reached where the
claim's decision is stable over the last two loss decades and no finishing phase moved it.  A run that stops at a stationary point above its target is
restarted from a new draw (at most ``restarts`` times) and the stop is recorded.
"""

from __future__ import annotations

from theory.convergence import RunDecision, judge_run
from theory.descent import Plateau
from theory.finishing import DECADES
from theory.stats import wilson


def protocol(p: dict, *, finish: bool = True, finish_iter: int | None = None) -> dict:
    """The trainers' keyword arguments of the profile family ``p``: the plateau schedule (Adam),
    the finishing phase's budget (the family's ``finish_iter`` unless a claim gives its own), the
    loss levels a run is followed through and Adam's eps (``adam_eps``; None: the dtype's
    :func:`theory.descent.adam_eps`)."""
    budget = p["finish_iter"] if finish_iter is None else finish_iter
    return {"schedule": Plateau(**p["plateau"]), "finish_iter": budget if finish else 0, "levels": DECADES,
            "adam_eps": p.get("adam_eps")}


def decide(train, judge, *, p: dict, same=None) -> tuple:
    """Train (``train(draw)``, draw 0 first) and judge one run; a run that stopped at a stationary
    point above its target is trained again from draw 1, 2, ... (at most ``p["restarts"]`` times).
    Returns ``(result, decision, restarts)`` with one line per abandoned draw."""
    restarts = []
    for draw in range(p["restarts"] + 1):
        res = train(draw)
        rd = judge_run(res, judge, loss_tol=p["loss_tol"], same=same)
        if rd.status != "stationary" or draw == p["restarts"]:
            return res, rd, restarts
        restarts.append(f"draw {draw}: {rd.reason}; restarted from a new draw")
    raise AssertionError("unreachable")


def decide_seeds(first: list, again, judge, *, p: dict, same=None) -> list:
    """:func:`decide` for several seeds whose first draws were trained together (``first``: one
    result per seed, :func:`theory.conv_seeds.train_seeds`); a restart trains ``again(seed, draw)``
    on its own.  Returns ``[(result, decision, restarts)]`` in the seeds' order."""
    return [decide(lambda draw, s=s, res=res: res if draw == 0 else again(s, draw), judge, p=p, same=same)
            for s, res in enumerate(first)]


def memoized(judge):
    """``judge`` evaluated once per model object (a run's final model is judged by
    :func:`decide` and again by the claim, which reads more off the same evaluation)."""
    memo = {}

    def once(model):
        if id(model) not in memo:
            memo[id(model)] = (model, judge(model))  # the model is kept so that its id stays its own
        return memo[id(model)][1]

    return once


def record(res, rd: RunDecision, restarts=()) -> dict:
    """The JSON record of one run: loss, steps, whether it reached its target, whether (and why
    not) it decides, the finishing phase and the decision's history over the loss levels."""
    fin = getattr(res, "finish", None)
    out = {"loss": float(res.loss), "steps": int(res.steps), "converged": bool(res.converged), "decided": rd.decided,
           "status": rd.status, "finish": None if fin is None else fin.to_dict(),
           "protocol_loss": None if res.protocol is None else float(res.protocol[2]),
           "history": rd.to_dict()["history"]}
    if rd.reason:
        out["inconclusive"] = rd.reason
    if rd.moved:
        out["finish_moved"] = rd.moved
    if restarts:
        out["restarts"] = list(restarts)
    return out


def same_fraction(n: int):
    """Decisions that are counts out of ``n`` agree when each lies in the other's 95% Wilson
    interval (a change the fraction's own sampling error cannot tell apart)."""
    def same(a, b) -> bool:
        if a == b:
            return True
        ka, kb = _count(a), _count(b)
        if ka is None or kb is None:
            return False
        lo, hi = wilson(ka, n)
        lo2, hi2 = wilson(kb, n)
        return lo <= kb / n <= hi and lo2 <= ka / n <= hi2

    return same


def _count(x):
    return x if isinstance(x, int) and not isinstance(x, bool) else None


def same_within(rel: float):
    """Real-valued decisions agree when they differ by at most ``rel`` of the larger magnitude."""
    def same(a, b) -> bool:
        if a == b:
            return True
        if isinstance(a, tuple) and isinstance(b, tuple):
            return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
        if isinstance(a, bool) or isinstance(b, bool) or not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
            return False
        return abs(a - b) <= rel * max(abs(a), abs(b))

    return same


def inconclusive(label: str, rd: RunDecision) -> list:
    """The one-line entry of a run that does not decide (empty when it does)."""
    return [] if rd.decided else [f"{label}: {rd.reason}"]
