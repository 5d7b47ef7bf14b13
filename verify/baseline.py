"""Regression baselines: save what a run measured, re-run, and diff.

A baseline (JSON, ``"kind": "memverify-baseline"``, versioned by ``"schema"``) stores per claim
its verdict, whether its negative control was rejected, and every comparison's measured value
with the drift it is allowed.  The allowed drift of a quantity is the larger of its claim's stated
tolerance and ``RTOL = 1e-6`` of its magnitude: same code, seed and profile reproduce every
number to rounding (checked by the tests), so anything beyond that is a change of behaviour.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from theory.errors import InputError

BASELINE_SCHEMA = 2  # 2: verdicts refuted / not-reproduced and a reason per claim (1 had "fails")
KIND = "memverify-baseline"
RTOL = 1e-6


def make_baseline(report) -> dict:
    from .report import _jsonable

    claims = {}
    for e in report.evidence:
        m = e.measurement
        tol = 0.0 if m.tolerance is None else abs(float(m.tolerance.value))
        claims[e.id] = {
            "verdict": e.verdict,
            "reason": e.reason,
            "control_rejected": e.control_rejected,
            "quantities": {c.name: {"measured": float(c.measured), "bound": float(c.bound), "op": c.op,
                                    "allowed_drift": max(tol, RTOL * abs(float(c.measured)))}
                           for c in m.comparisons},
        }
    return _jsonable({"kind": KIND, "schema": BASELINE_SCHEMA, "provenance": report.provenance, "claims": claims})


def baseline_text(report) -> str:
    """The baseline file's text for ``report``."""
    return json.dumps(make_baseline(report), indent=2, allow_nan=False) + "\n"


def save_baseline(report, path) -> None:
    from .report import write_atomic

    write_atomic(path, baseline_text(report))


def load_baseline(path) -> dict:
    """Read and validate a baseline file; one-line :class:`InputError` otherwise."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"baseline {str(p)!r} does not exist; create one with --save-baseline FILE")
    try:
        doc = json.loads(p.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read baseline {p.name}: {str(exc).splitlines()[0]}") from None
    if not isinstance(doc, dict) or doc.get("kind") != KIND:
        raise InputError(f"{p.name} is not a memverify baseline (a --json report is not a baseline; "
                         "use --save-baseline FILE)")
    if doc.get("schema") == 1:
        raise InputError(f"{p.name} is a schema-1 baseline, whose verdict 'fails' does not say refuted or "
                         "not-reproduced; re-save it with this version (--save-baseline FILE)")
    if doc.get("schema") != BASELINE_SCHEMA:
        raise InputError(f"{p.name} has baseline schema {doc.get('schema')!r}; this memverify reads schema "
                         f"{BASELINE_SCHEMA}: re-save the baseline with this version")
    if not isinstance(doc.get("claims"), dict) or not doc["claims"]:
        raise InputError(f"{p.name} holds no claims")
    return doc


@dataclass(frozen=True)
class Diff:
    claim: str
    what: str
    baseline: object
    now: object
    allowed: object
    regression: bool


def _num(x):
    if isinstance(x, str):
        return float(x)  # "inf", "nan" as written by the JSON report
    return x


def compare(baseline: dict, report) -> list:
    """One :class:`Diff` per verdict, control and quantity that changed (``regression`` marks the
    ones beyond their allowance); claims missing from the run are regressions too."""
    now = make_baseline(report)["claims"]
    out = []
    for cid, old in baseline["claims"].items():
        new = now.get(cid)
        if new is None:
            out.append(Diff(cid, "claim", "present", "not run", "-", True))
            continue
        if new["verdict"] != old["verdict"]:
            out.append(Diff(cid, "verdict", old["verdict"], new["verdict"], "-", True))
        if new["control_rejected"] != old["control_rejected"]:
            out.append(Diff(cid, "negative control rejected", old["control_rejected"], new["control_rejected"], "-", True))
        for name, q in old["quantities"].items():
            if name not in new["quantities"]:
                out.append(Diff(cid, name, _num(q["measured"]), "missing", "-", True))
                continue
            a, b = _num(q["measured"]), _num(new["quantities"][name]["measured"])
            allowed = _num(q["allowed_drift"])
            same = (a == b) or (math.isnan(a) and math.isnan(b))
            if not same:
                drift = abs(b - a) if math.isfinite(a) and math.isfinite(b) else math.inf
                out.append(Diff(cid, name, a, b, allowed, drift > allowed))
    return out


def diff_table(diffs: list) -> str:
    from .report import _fmt, table

    rows = [[d.claim, d.what, _fmt(d.baseline), _fmt(d.now), _fmt(d.allowed), "REGRESSION" if d.regression else "ok"]
            for d in diffs]
    return table(rows, ["claim", "changed", "baseline", "now", "allowed drift", "status"])
