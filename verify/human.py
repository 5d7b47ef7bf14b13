"""The report people read: a self-contained HTML page (figures embedded, no JavaScript) and a
Markdown version, written by ``python -m verify --report DIR``.

Layout: a summary table (claim, paper reference, verdict, decisive comparison, time), then per claim its
statement, hypotheses, the measured comparisons with the tolerance and its derivation, notes, the
negative control and its outcome, and its figure; provenance at the end.  Every file is written
atomically after the run has finished, so a failed or interrupted run leaves the previous report
as it was.
"""

from __future__ import annotations

import base64
from pathlib import Path

from .escape import anchor, html_text, markdown
from .formatting import fmt
from .report import decisive, provenance_text, summary, write_atomic

CSS = """body{font-family:system-ui,sans-serif;max-width:70em;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #bbb;padding:.25em .5em;text-align:left;
vertical-align:top}th{background:#eee}.holds{color:#176317;font-weight:bold}.refuted{color:#a00;font-weight:bold}.not-reproduced{color:#a05000;font-weight:bold}.inconclusive{color:#555;font-weight:bold}
.hypotheses-not-met{color:#8a5a00;font-weight:bold}.yes{color:#176317;font-weight:bold}.no{color:#a05000;font-weight:bold}img{max-width:100%}code{background:#f4f4f4}
section{border-top:2px solid #ddd;margin-top:2em}td.num{white-space:nowrap;text-align:right}"""


def _verdict_html(v: str) -> str:
    return f'<span class="{anchor(v)}">{html_text(v)}</span>'


def _control(e) -> str:
    return {True: "rejected (the check caught it)", False: "ACCEPTED: the check could not tell",
            None: "not applicable (hypotheses not met)"}[e.control_rejected]


def _key(e) -> str:
    return decisive(e.measurement)


def _scalars(metrics: dict, limit: int = 40) -> list:
    """The metrics worth a table row: numbers, strings and short lists (nested dicts flattened one level)."""
    rows = []
    for k, v in metrics.items():
        if isinstance(v, dict):
            for k2, v2 in v.items():
                if isinstance(v2, (int, float, str, bool)) or (isinstance(v2, list) and len(v2) <= 8
                                                             and all(not isinstance(x, (list, dict)) for x in v2)):
                    rows.append((f"{k}.{k2}", v2))
        elif isinstance(v, (int, float, str, bool)) or (isinstance(v, list) and len(v) <= 8
                                                        and all(not isinstance(x, (list, dict)) for x in v)):
            rows.append((k, v))
    return rows[:limit]


def _show(v) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(fmt(x) for x in v) + "]"
    return fmt(v)


def _title(report) -> str:
    """The report's heading: the paper's claims, or (memverify analyze) the user's model and data."""
    prov = report.provenance
    if prov.get("kind") == "analysis":
        return f"memverify analyze: {prov.get('model')} on {prov.get('data')}"
    return "memverify: Memorization in Overparameterized Autoencoders"


PAPER = ('A. Radhakrishnan, K. Yang, M. Belkin, C. Uhler, "Memorization in Overparameterized Autoencoders", '
         "arXiv:1810.10333")
LEGEND = (("holds", "the claim's prediction and what was measured agree within a derived tolerance"),
          ("refuted", "a counterexample within the claim's hypotheses that persists, or a proof"),
          ("not-reproduced", "an empirical claim falls short at the sizes and protocols tried"),
          ("inconclusive", "no run could decide: the comparisons pass on the runs that decide, but some run did not"),
          ("hypotheses-not-met", "the data break the claim's hypotheses: it does not apply"))
ANSWER_LEGEND = (("yes", "your model has the property the question asks of it, within the stated tolerance"),
                 ("no", "it does not; the reason says how far, in the question's own words"))


def _words(report) -> tuple:
    """The legend's title, the legend, and the names of the summary's first and third columns: the
    paper's claims get verdicts, the questions of memverify analyze answers."""
    if report.provenance.get("kind") == "analysis":
        return "Answers", ANSWER_LEGEND, "question", "answer"
    return "Verdicts", LEGEND, "claim", "verdict"


def _preamble(report) -> list:
    """What a reader needs before the verdicts: the paper, the run (profile, seed, backend), the legend."""
    prov = report.provenance
    analysis = prov.get("kind") == "analysis"
    run = (f"model {prov.get('model')} on {prov.get('data')}, seed {prov.get('seed')}, Jacobian {prov.get('jacobian')}"
           if analysis else f"profile {prov.get('profile')}, seed {prov.get('seed')}, backend {prov.get('backend')}, "
                            f"dtype {prov.get('dtype')}")
    lines = [("Paper", PAPER), ("Run", run)]
    if not analysis and prov.get("profile") == "quick":
        lines.append(("Note", "the quick profile's sizes are the tests' (seconds): its empirical verdicts are not the "
                              "paper's sizes; the default profile is the main job"))
    return lines


def _rule_lines(e) -> list:
    """What an empirical claim's record says beside its numbers: the paper's words, how they are read,
    where the finding holds along the curve and the swept settings, and the setup beside the paper's."""
    out = []
    if e.rule:
        r = e.rule
        out += [("The paper", f"\u201c{r['quote']}\u201d ({r['where']})"), ("Read as", f"{r['reading']}: {r['decides']}")]
    if e.measurement.region:
        out.append(("Where it holds", e.measurement.region))
    for s in e.measurement.sensitivity:
        value = "sqrt(tiny)" if s["value"] is None else str(s["value"])
        out.append(("Swept", f"{s['setting']} {value}{' (the verdict)' if s['primary'] else ''}: {s['verdict']}"
                             + (f" ({s['reason']})" if s["reason"] else "")))
    if e.regime:
        ours = "; ".join(f"{k} {provenance_text(v)}" for k, v in e.regime["ours"].items())
        out.append(("Setup", f"the paper: {e.regime['paper']}; ours: {ours}"
                             + (f"; breaks the regime: {e.regime['breaks']}" if e.regime.get("breaks") else "")))
    return out


def to_html(report, figures: dict) -> str:
    out = ["<!DOCTYPE html><html><head><meta charset='utf-8'><title>memverify report</title>",
           f"<style>{CSS}</style></head><body>",
           f"<h1>{html_text(_title(report))}</h1>"]
    out += [f"<p><b>{html_text(k)}:</b> {html_text(v)}</p>" for k, v in _preamble(report)]
    title, legend, row, verdict = _words(report)
    out.append(f"<p><b>{title}:</b> " + "; ".join(f"{_verdict_html(v)}: {html_text(t)}" for v, t in legend) + ".</p>")
    out += [f"<p>{html_text(summary(report))}</p>",
           f"<table><tr><th>{row}</th><th>paper</th><th>{verdict}</th><th>reason</th><th>decisive comparison</th>"
           "<th>negative control</th><th>time</th></tr>"]
    for e in report.evidence:
        out.append(f"<tr><td><a href='#{anchor(e.id)}'>{html_text(e.id)}</a></td><td>{html_text(e.paper_ref)}</td>"
                   f"<td>{_verdict_html(e.verdict)}</td><td>{html_text(e.reason or '')}</td><td>{html_text(_key(e))}</td>"
                   f"<td>{'rejected' if e.control_rejected else ('n/a' if e.control_rejected is None else 'ACCEPTED')}</td>"
                   f"<td class='num'>{e.seconds:.1f}&nbsp;s</td></tr>")
    out.append("</table>")
    for e in report.evidence:
        m = e.measurement
        out.append(f"<section id='{anchor(e.id)}'><h2>{html_text(e.id)}: {_verdict_html(e.verdict)}</h2>")
        out.append(f"<p><b>{html_text(e.paper_ref)}.</b> {html_text(e.statement)}</p>")
        if e.reason:
            out.append(f"<p><b>Reason:</b> {html_text(e.reason)}</p>")
        out += [f"<p><b>{html_text(k)}:</b> {html_text(v)}</p>" for k, v in _rule_lines(e)]
        if e.hypotheses:
            out.append("<p>Hypotheses: " + "; ".join(html_text(h) for h in e.hypotheses) + "</p>")
        if m.violations:
            out.append("<p><b>Hypotheses not met:</b></p><ul>" +
                       "".join(f"<li>{html_text(v)}</li>" for v in m.violations) + "</ul>")
        out.append("<table><tr><th>measured quantity</th><th>value</th><th></th><th>bound</th><th>passed</th></tr>")
        for c in m.comparisons:
            out.append(f"<tr><td>{html_text(c.name)}</td><td>{fmt(c.measured)}</td><td>{html_text(c.relation)}</td>"
                       f"<td>{fmt(c.bound)}</td><td>{'yes' if c.passed else f'<b>no</b> (needs {html_text(c.op)} {fmt(c.bound)})'}</td></tr>")
        out.append("</table>")
        if m.tolerance is not None:
            out.append(f"<p>Tolerance {fmt(m.tolerance.value)}: {html_text(m.tolerance.derivation)}</p>")
        for note in m.notes:
            out.append(f"<p>Note: {html_text(note)}</p>")
        rows = _scalars(m.metrics)
        if rows:
            out.append("<details><summary>other measured numbers</summary><table>" +
                       "".join(f"<tr><td>{html_text(k)}</td><td>{html_text(_show(v))}</td></tr>" for k, v in rows) +
                       "</table></details>")
        out.append(f"<p>Negative control: {html_text(e.control_description)}: <b>{_control(e)}</b>"
                   + ("" if e.control is None else
                      " (" + "; ".join(f"{html_text(c.name)} = {html_text(c.shown())}"
                                       for c in e.control.comparisons[:6]) + ")") + "</p>")
        if e.id in figures:
            data = base64.b64encode(Path(figures[e.id]).read_bytes()).decode("ascii")
            kind = "svg+xml" if Path(figures[e.id]).suffix == ".svg" else "png"
            out.append(f"<p><img alt='figure for {html_text(e.id)}' src='data:image/{kind};base64,{data}'></p>")
        out.append("</section>")
    out.append("<section><h2>Provenance</h2><table>")
    for k, v in report.provenance.items():
        out.append(f"<tr><td>{html_text(str(k))}</td><td>{html_text(provenance_text(v))}</td></tr>")
    out.append("</table></section></body></html>")
    return "\n".join(out)


def to_markdown(report, figures: dict) -> str:
    md = markdown  # every string a user or a claim controls: one line, its markup escaped (verify.escape)
    title, legend, row, verdict = _words(report)
    out = [f"# {md(_title(report))}", "", *[f"**{md(k)}:** {md(v)}  " for k, v in _preamble(report)],
           f"**{title}:** " + "; ".join(f"**{v}**: {md(t)}" for v, t in legend) + ".", "", md(summary(report), at_line_start=True), "",
           f"| {row} | paper | {verdict} | reason | decisive comparison | negative control | time |",
           "| --- | --- | --- | --- | --- | --- | --- |"]
    for e in report.evidence:
        out.append(f"| [{md(e.id)}](#{anchor(e.id)}) | {md(e.paper_ref)} | **{md(e.verdict)}** | {md(e.reason or '')} | "
                   f"{md(_key(e))} | "
                   f"{'rejected' if e.control_rejected else ('n/a' if e.control_rejected is None else 'ACCEPTED')} | "
                   f"{e.seconds:.1f}&nbsp;s |")
    for e in report.evidence:
        m = e.measurement
        out += ["", f"## {md(e.id)}", "", f"**{md(e.verdict)}**. {md(e.paper_ref)}. {md(e.statement)}", ""]
        if e.reason:
            out += [f"Reason: {md(e.reason)}", ""]
        out += [line for k, v in _rule_lines(e) for line in (f"**{md(k)}:** {md(v)}", "")]
        out += ["Hypotheses: " + "; ".join(md(h) for h in e.hypotheses)] if e.hypotheses else []
        for v in m.violations:
            out.append(f"- hypothesis not met: {md(v)}")
        out += ["", "| measured quantity | value | | bound | passed |", "| --- | --- | --- | --- | --- |"]
        out += [f"| {md(c.name)} | {md(fmt(c.measured))} | {md(c.relation)} | {md(fmt(c.bound))} | "
                f"{'yes' if c.passed else '**no** (needs ' + md(c.op + ' ' + fmt(c.bound)) + ')'} |" for c in m.comparisons]
        if m.tolerance is not None:
            out += ["", f"Tolerance {md(fmt(m.tolerance.value))}: {md(m.tolerance.derivation)}"]
        out += ["", *[f"Note: {md(n)}" for n in m.notes]]
        rows = _scalars(m.metrics)
        if rows:
            out += ["", "Other measured numbers:", "", "| quantity | value |", "| --- | --- |"]
            out += [f"| {md(k)} | {md(_show(v))} |" for k, v in rows]
        out += ["", f"Negative control: {md(e.control_description)}: **{_control(e)}**"]
        if e.id in figures:
            out += ["", f"![figure for {md(e.id)}](figures/{anchor(Path(figures[e.id]).stem)}{Path(figures[e.id]).suffix})"]
    out += ["", "## Provenance", "", "| | |", "| --- | --- |"]
    out += [f"| {md(k)} | {md(provenance_text(v))} |" for k, v in report.provenance.items()]
    return "\n".join(out) + "\n"


def write_report(report, directory, formats=("png",)) -> Path:
    """Write ``report.html`` (self-contained) and ``report.md`` (figures in ``figures/``) into ``directory``."""
    from .figures import write_figures
    from .registry import all_claims

    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    from .figures import ANALYSIS_FIGURES

    analysis = report.provenance.get("kind") == "analysis"
    draw = ANALYSIS_FIGURES if analysis else {c.id: c.figure for c in all_claims() if c.figure is not None}
    written = write_figures(report, d / "figures", draw, formats)
    # the page embeds one picture a claim: its PNG where one was written, else its SVG
    paths = {p.stem: p for p in sorted(written, key=lambda p: p.suffix != ".svg")}
    figures = {e.id: paths[anchor(e.id)] for e in report.evidence if anchor(e.id) in paths}
    write_atomic(d / "report.md", to_markdown(report, figures))
    write_atomic(d / "report.html", to_html(report, figures))
    return d / "report.html"
