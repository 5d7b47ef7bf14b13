"""Reports: the terminal table, the claims table for the README, and the JSON file."""

from __future__ import annotations

import json

from .escape import markdown, plain
from .evidence import ANSWERS
from .formatting import fmt, jsonable
from .registry import all_claims
from .runner import Report


def key_comparison(m):
    """The comparison the terminal shows for a claim: the first failing one, else the one on the
    claim's key metric, else the first (``None`` when nothing was compared)."""
    if not m.comparisons:
        return None
    failing = m.failing
    if failing:
        return failing[0]
    named = [c for c in m.comparisons if c.name == m.key or c.name.startswith(f"{m.key}[")]
    return (named or m.comparisons)[0]


def decisive(m) -> str:
    """The decisive comparison as ``name = value relation bound``: the relation that holds, a failing
    one marked with what it needed (:meth:`verify.evidence.Comparison.shown`), enough digits to tell
    close values apart."""
    c = key_comparison(m)
    if c is None:
        return "-"
    value, bound = fmt(c.measured), fmt(c.bound)
    if value == bound and c.measured != c.bound:
        value, bound = f"{c.measured:.6g}", f"{c.bound:.6g}"
    return f"{c.name} = {c.shown(value, bound)}"


def provenance_text(v) -> str:
    """A provenance value for people: nested mappings as ``key: value`` pairs, bytes decoded."""
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, dict):
        return "; ".join(f"{k}: {provenance_text(x)}" for k, x in v.items()) or "-"
    if isinstance(v, (list, tuple)):
        return ", ".join(provenance_text(x) for x in v) or "-"
    return "-" if v is None else str(v)


def evidence_row(e) -> list:
    """One terminal row: the claim, its verdict, its control, its time, and last its reason (the
    decisive comparison, :func:`decisive`, when it holds)."""
    ctl = {True: "rejected", False: "ACCEPTED", None: "n/a"}[e.control_rejected]
    return [e.id, e.verdict, ctl, f"{e.seconds:.1f}s", e.reason or "ok: " + decisive(e.measurement)]


HEADER = ["claim", "verdict", "neg. control", "time", "reason (when it holds: the decisive comparison)"]
ANSWER_HEADER = ["question", "answer", "neg. control", "time", "reason (when yes: the decisive comparison)"]


def table(rows: list, header: list = HEADER, width: int | None = None) -> str:
    """A plain-text table.  With ``width``, no line is longer than ``width``: where the columns do not
    fit side by side, the last one (the reason) goes under its row, indented and wrapped, never cut."""
    import textwrap

    header, rows = [plain(c) for c in header], [[plain(c) for c in r] for r in rows]  # one line, no control characters
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r, ws: "  ".join(str(c).ljust(w) for c, w in zip(r, ws)).rstrip()  # noqa: E731
    if width is None or sum(w + 2 for w in widths) - 2 <= width:
        return "\n".join([line(header, widths), line(["-" * w for w in widths], widths), *(line(r, widths) for r in rows)])
    head = widths[:-1]
    out = [line(header[:-1], head), "    " + header[-1], line(["-" * w for w in head], head)]
    for r in rows:
        first = line(r[:-1], head)
        out.append(first if len(first) <= width else first[: max(1, width - 3)] + "...")
        out += textwrap.wrap(str(r[-1]), width=max(20, width - 4), initial_indent="    ", subsequent_indent="    ") or []
    return "\n".join(out)


def summary(report: Report) -> str:
    c = report.counts()
    if report.evidence and all(e.measurement.question for e in report.evidence):  # memverify analyze
        said = {a: [e.id for e in report.evidence if e.verdict == a] for a in ANSWERS}
        return (f"{len(report.evidence)} questions: " + ", ".join(f"{len(ids)} {a}" + (f" ({', '.join(ids)})" if ids else "")
                                                                for a, ids in said.items())
                + f"; negative controls rejected: {c['controls_rejected']}/{c['controls_applicable']}")
    line = (
        f"{len(report.evidence)} claims: {c['holds']} hold, {c['refuted']} refuted, {c['not-reproduced']} not "
        f"reproduced, {c['inconclusive']} inconclusive, {c['hypotheses-not-met']} hypotheses not met; negative "
        f"controls rejected: "
        f"{c['controls_rejected']}/{c['controls_applicable']}"
    )
    if report.evidence and c["hypotheses-not-met"] == len(report.evidence):
        line += "; NOTHING VERIFIED: no claim's hypotheses were met (exit 6)"
    return line


def claims_markdown() -> str:
    """The claims table of the README, generated from the registry (``python -m verify --list``)."""
    lines = ["| id | paper | statement | negative control |", "| --- | --- | --- | --- |"]
    for c in all_claims():
        lines.append(f"| `{c.id}` | {markdown(c.paper_ref)} | {markdown(c.statement)} | {markdown(c.control_description)} |")
    return "\n".join(lines)


def rules_markdown() -> str:
    """The empirical claims' decision rules, generated from their records (``python -m verify --list``
    prints it after the claims table; docs/coverage.md holds a copy a test compares): the paper's
    words, the reading of their quantifier, what decides, the gates, the readings tested at the
    quantifier's extremes, the swept settings and the regime."""
    cell = markdown  # one line, its markup escaped (verify.escape)
    lines = ["| id | the paper's words | reading: what decides | gates | readings tested | swept | paper's setup |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for c in all_claims():
        r = c.rule
        if r is None:
            continue
        gates = "; ".join(f"{g.name} ({g.value:g})" for g in r.gates)
        swept = "; ".join(f"{s.label} {', '.join('sqrt(tiny)' if v is None else f'{v:g}' for v in s.values)} "
                          f"({'/'.join(s.profiles)})" for s in r.sweeps) or "none"
        lines.append(f"| `{c.id}` | {cell(r.where)}: \"{cell(r.quote)}\" | **{cell(r.reading)}**: {cell(r.decides)} | "
                     f"{cell(gates)} | {cell('; '.join(r.readings))} | {cell(swept)} | {cell(c.regime.paper)} |")
    return "\n".join(lines)


def gates_markdown() -> str:
    """Every gate the empirical claims' rules use, with its derivation (docs/tolerances.md holds a copy)."""
    seen = {}
    for c in all_claims():
        for g in (c.rule.gates if c.rule is not None else ()):
            seen.setdefault(g.name, (g, []))[1].append(c.id)
    lines = ["| gate | value | derived from the paper's words | used by |", "| --- | --- | --- | --- |"]
    for name, (g, ids) in seen.items():
        lines.append(f"| {markdown(name)} | {g.value:g} | {markdown(g.derivation)} | {', '.join(f'`{i}`' for i in ids)} |")
    return "\n".join(lines)


def write_atomic(path, text: str) -> None:
    """Write ``text`` to ``path`` so that the file is either the old one or the complete new one:
    one staged file of :class:`verify.outputs.Outputs`, renamed over ``path`` (removed on any
    error or interrupt).  A ``path`` that is a symbolic link or not a regular file is refused
    (:class:`InputError`)."""
    from .outputs import Outputs, check_file_target

    check_file_target(path, "output")  # never through a link, never over a device
    with Outputs() as out:
        out.file(path, text)
        out.commit()


def json_text(report: Report) -> str:
    """The JSON report's text."""
    return json.dumps(jsonable(report.to_dict()), indent=2, allow_nan=False) + "\n"


def write_json(report: Report, path) -> None:
    write_atomic(path, json_text(report))
