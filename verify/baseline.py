"""Regression baselines: save what a run measured, re-run, and diff.

A baseline (JSON, ``"kind": "memverify-baseline"``, versioned by ``"schema"``) stores per claim
its verdict, whether its negative control was rejected, its tolerance, and every comparison's
measured value, bound and operator with the drift the value is allowed.  The same code, seed and
profile reproduce every number (checked by the tests), so the allowance is a rounding level:
``EXACT_ULPS`` units in the last place of the value for an exact claim, and a stated relative change
``TRAINED_RTOL`` for an empirical one (trained networks: a step more or less of a long descent).
A bound or tolerance that is loosened, or an operator that changes, is a weakened check: a
regression even when every value is the same.  A claim that starts to hold, a control that starts
to be rejected, or a bound that is tightened is reported as an improvement.
"""

from __future__ import annotations

import json
import math
import numbers
from dataclasses import dataclass
from pathlib import Path

from theory.errors import InputError

BASELINE_SCHEMA = 3  # 3: bounds, operators and tolerances compared; drift by rounding level (2: max(tol, 1e-6))
KIND = "memverify-baseline"
EXACT_ULPS = 64
TRAINED_RTOL = 1e-6
_EPS = {"float64": 2.0**-52, "float32": 2.0**-23}


def allowed_drift(value: float, *, empirical: bool, dtype: str = "float64") -> float:
    """The drift a re-run may show in ``value``: rounding for exact claims, ``TRAINED_RTOL`` relative
    for empirical ones; never below the smallest normal number (a 0 stays exactly 0)."""
    rel = TRAINED_RTOL if empirical else EXACT_ULPS * _EPS.get(dtype, _EPS["float64"])
    mag = abs(float(value)) if math.isfinite(float(value)) else 0.0
    return max(rel * mag, 2.2250738585072014e-308)


def make_baseline(report) -> dict:
    from .formatting import jsonable

    dtype = report.provenance.get("dtype", "float64")
    claims = {}
    for e in report.evidence:
        m = e.measurement
        empirical = bool(getattr(m, "empirical", False))
        claims[e.id] = {
            "verdict": e.verdict,
            "reason": e.reason,
            "control_rejected": e.control_rejected,
            "empirical": empirical,
            "tolerance": None if m.tolerance is None else float(m.tolerance.value),
            "quantities": {c.name: {"measured": float(c.measured), "bound": float(c.bound), "op": c.op,
                                    "allowed_drift": allowed_drift(c.measured, empirical=empirical, dtype=dtype)}
                           for c in m.comparisons},
        }
    return jsonable({"kind": KIND, "schema": BASELINE_SCHEMA, "provenance": report.provenance, "claims": claims})


def baseline_text(report) -> str:
    """The baseline file's text for ``report``."""
    return json.dumps(make_baseline(report), indent=2, allow_nan=False) + "\n"


def save_baseline(report, path) -> None:
    from .report import write_atomic

    write_atomic(path, baseline_text(report))


def load_baseline(path, *, analysis: bool = False) -> dict:
    """Read and validate a baseline file (of the claims, or with ``analysis`` of ``memverify
    analyze``); one-line :class:`InputError` otherwise."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"baseline {str(p)!r} does not exist; create one with --save-baseline FILE")
    try:
        doc = json.loads(p.read_text())
    except RecursionError:
        raise InputError(f"cannot read baseline {p.name}: its JSON is nested too deeply to be a baseline") from None
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
                         f"{BASELINE_SCHEMA}: re-save the baseline with this version (--save-baseline FILE)")
    is_analysis = isinstance(doc.get("provenance"), dict) and doc["provenance"].get("kind") == "analysis"
    if is_analysis != analysis:
        raise InputError(f"{p.name} is a baseline of " + ("memverify analyze; compare it with memverify analyze --compare"
                         if is_analysis else "the paper's claims; compare it with python -m verify --compare"))
    _validate(doc, p.name, analysis=analysis)
    return doc


def _number(x) -> bool:
    if isinstance(x, str):
        return x in ("inf", "-inf", "nan")
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        return False
    try:
        float(x)  # an integer beyond float's range is no measured number
    except OverflowError:
        return False
    return True


def _finite(x) -> bool:
    """A number a re-run can be held to: finite (no "inf", no 1e400 that JSON reads as infinity)."""
    return _number(x) and not isinstance(x, str) and math.isfinite(float(x))


def _validate(doc: dict, name: str, *, analysis: bool = False) -> None:
    """The whole file, before anything runs: one line naming the first bad field."""
    from .evidence import ANSWERS, VERDICTS
    from .profiles import PROFILES
    from .registry import all_claims
    from .runner import DTYPES

    def bad(where: str, what: str):
        raise InputError(f"{name}: {where} {what}; re-save the baseline (--save-baseline FILE)")

    prov = doc.get("provenance")
    if not isinstance(prov, dict):
        bad("provenance", "is missing or not an object (it names the profile and seed to re-run)")
    if not analysis and prov.get("profile") not in PROFILES:
        bad("provenance.profile", f"is {prov.get('profile')!r}, not one of {', '.join(PROFILES)}")
    seed = prov.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        bad("provenance.seed", f"is {seed!r}, not a non-negative integer")
    if prov.get("dtype", "float64") not in DTYPES:
        bad("provenance.dtype", f"is {prov.get('dtype')!r}, not one of {', '.join(DTYPES)}")
    if analysis:
        settings = prov.get("analysis_settings")
        if not isinstance(settings, dict):
            bad("provenance.analysis_settings", f"is {type(settings).__name__}, not an object of the analysis's settings")
        checks = {"seed": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
                  "settle_cap": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1,
                  "band": lambda v: _finite(v) and float(v) >= 0,
                  "recover_min": lambda v: _finite(v) and 0 < float(v) <= 1}
        for key, ok in checks.items():
            if key in settings and not ok(settings[key]):
                bad(f"provenance.analysis_settings.{key}", f"is {settings[key]!r}, out of its range")
    claims = doc.get("claims")
    if not isinstance(claims, dict) or not claims:
        raise InputError(f"{name} holds no claims")
    if analysis:
        from .analysis_report import ANALYSIS_IDS as known
    else:
        known = {c.id for c in all_claims()}
    for cid, entry in claims.items():
        if cid not in known:
            bad(f"claim {cid!r}", "is not " + ("a row of memverify analyze" if analysis else
                                              "a claim of this memverify (see --list)"))
        if not isinstance(entry, dict):
            bad(f"claim {cid!r}", "is not an object")
        words = ANSWERS if analysis else VERDICTS  # an analysis's rows are answered yes or no
        if entry.get("verdict") not in words:
            bad(f"claims.{cid}.verdict", f"is {entry.get('verdict')!r}, not one of {', '.join(words)}")
        if entry.get("control_rejected") not in (True, False, None):
            bad(f"claims.{cid}.control_rejected", f"is {entry.get('control_rejected')!r}, not true, false or null")
        if not isinstance(entry.get("empirical"), bool):
            bad(f"claims.{cid}.empirical", f"is {entry.get('empirical')!r}, not true or false")
        if entry.get("tolerance") is not None and not _finite(entry["tolerance"]):
            bad(f"claims.{cid}.tolerance", f"is {entry['tolerance']!r}, not a finite number or null")
        quantities = entry.get("quantities")
        if not isinstance(quantities, dict):
            bad(f"claims.{cid}.quantities", "is missing or not an object")
        for qname, q in quantities.items():
            where = f"claims.{cid}.quantities[{qname!r}]"
            if not isinstance(q, dict):
                bad(where, "is not an object")
            for field in ("measured", "bound", "allowed_drift"):
                if not _number(q.get(field)):
                    bad(f"{where}.{field}", f"is {q.get(field)!r}, not a number")
            if q.get("op") not in ("<=", ">="):
                bad(f"{where}.op", f"is {q.get('op')!r}, not <= or >=")
            if not (_finite(q["allowed_drift"]) and float(q["allowed_drift"]) >= 0):
                bad(f"{where}.allowed_drift", f"is {q['allowed_drift']!r}, not a finite number >= 0")


REGRESSION, IMPROVEMENT, OK = "REGRESSION", "improvement", "ok"


@dataclass(frozen=True)
class Diff:
    claim: str
    what: str
    baseline: object
    now: object
    allowed: object
    status: str

    @property
    def regression(self) -> bool:
        return self.status == REGRESSION


def _num(x):
    if isinstance(x, str):
        return float(x)  # "inf", "nan" as written by the JSON report
    return x


def _loosened(op: str, old: float, new: float) -> bool:
    """Whether moving a bound from ``old`` to ``new`` lets more values pass under ``op``."""
    return new > old if op == "<=" else new < old


def compare(baseline: dict, report) -> list:
    """One :class:`Diff` per verdict, control, tolerance, bound and quantity that changed, with its
    status: a weakened or changed check and a value beyond its allowance are regressions, a claim
    that starts to hold, a control that starts to be rejected and a tightened bound improvements;
    claims missing from the run are regressions too."""
    from .evidence import HOLDS, YES

    now = make_baseline(report)["claims"]
    out = []
    for cid, old in baseline["claims"].items():
        new = now.get(cid)
        if new is None:
            out.append(Diff(cid, "claim", "present", "not run", "-", REGRESSION))
            continue
        if new["verdict"] != old["verdict"]:
            out.append(Diff(cid, "verdict", old["verdict"], new["verdict"], "-",
                            IMPROVEMENT if new["verdict"] in (HOLDS, YES) else REGRESSION))
        if new["control_rejected"] != old["control_rejected"]:
            out.append(Diff(cid, "negative control rejected", old["control_rejected"], new["control_rejected"], "-",
                            IMPROVEMENT if new["control_rejected"] is True else REGRESSION))
        t_old, t_new = old.get("tolerance"), new.get("tolerance")
        if t_old != t_new:
            looser = t_old is not None and t_new is not None and abs(_num(t_new)) > abs(_num(t_old))
            out.append(Diff(cid, "tolerance", t_old, t_new, "-", REGRESSION if looser or t_new is None else IMPROVEMENT))
        for name, q in old["quantities"].items():
            if name not in new["quantities"]:
                out.append(Diff(cid, name, _num(q["measured"]), "missing", "-", REGRESSION))
                continue
            nq = new["quantities"][name]
            if nq["op"] != q["op"]:
                out.append(Diff(cid, f"{name}: operator", q["op"], nq["op"], "-", REGRESSION))
            elif _num(nq["bound"]) != _num(q["bound"]):
                b_old, b_new = _num(q["bound"]), _num(nq["bound"])
                out.append(Diff(cid, f"{name}: bound", f"{q['op']} {b_old:.6g}", f"{nq['op']} {b_new:.6g}", "-",
                                REGRESSION if _loosened(q["op"], b_old, b_new) else IMPROVEMENT))
            a, b = _num(q["measured"]), _num(nq["measured"])
            allowed = _num(q["allowed_drift"])
            same = (a == b) or (math.isnan(a) and math.isnan(b))
            if not same:
                drift = abs(b - a) if math.isfinite(a) and math.isfinite(b) else math.inf
                out.append(Diff(cid, name, a, b, allowed, REGRESSION if drift > allowed else OK))
    return out


def diff_table(diffs: list) -> str:
    from .formatting import fmt
    from .report import table

    rows = [[d.claim, d.what, fmt(d.baseline), fmt(d.now), fmt(d.allowed), d.status] for d in diffs]
    return table(rows, ["claim", "changed", "baseline", "now", "allowed drift", "status"])
