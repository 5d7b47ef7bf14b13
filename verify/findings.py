"""The findings table of the README, rendered from a recorded run (a ``--json`` report), so that
no verdict, reason, key number or time in the docs is typed by hand.

    python -m verify --json docs/results/default.json          # the main job, recorded
    python -m verify.findings docs/results/default.json README.md   # rewrite the README's block

The README holds the rendered block between ``<!-- findings:start -->`` and
``<!-- findings:end -->``; ``tests/test_readme.py`` fails when the block differs from what this
module renders from the committed results, or when those results were produced by another claim
registry (other claim ids or statements).

Recorded sweeps of single empirical claims (the paper profile's) are rendered the same way into
docs/findings.md, one block each between ``<!-- sweep PATH -->`` and ``<!-- sweep end -->``: a row
per (optimizer, data set, size) with every statistic over seeds (:func:`render_sweep`)::

    python -m verify.findings --sweeps docs/findings.md   # re-render every sweep block from its PATH
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from theory.errors import InputError

from .formatting import fmt

START, END = "<!-- findings:start -->", "<!-- findings:end -->"


def _cell(text) -> str:
    """A recorded string in Markdown: one line, its markup escaped (verify.escape: the same rule as the
    reports, so a claim's reason cannot inject a link, inline HTML or a table cell)."""
    from .escape import markdown

    return markdown(text)


def render(doc: dict, source: str) -> str:
    """The Markdown block: the run's settings and counts, then one row per claim."""
    prov = doc["provenance"]
    claims = doc["claims"]
    counts: dict = {}
    for c in claims:
        counts[c["verdict"]] = counts.get(c["verdict"], 0) + 1
    rejected = sum(1 for c in claims if c["negative_control"]["rejected"])
    applicable = sum(1 for c in claims if c["negative_control"]["rejected"] is not None)
    total = sum(float(c["seconds"]) for c in claims)
    lines = [f"Recorded run `{source}`: `{prov.get('command') or 'python -m verify'}` (profile {prov['profile']}, "
             f"seed {prov['seed']}, backend {prov['backend']}, {prov.get('cpu_count')} cores, commit "
             f"{(prov.get('commit') or 'unknown')[:10]}{' with uncommitted changes' if prov.get('code_modified') else ''}, started {prov.get('started')}): {len(claims)} claims in "
             f"{total / 60:.1f} min; " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) +
             f"; negative controls rejected {rejected}/{applicable}.", "",
             "| claim | verdict | reason (every verdict but holds) | key number | seeds | time |",
             "| --- | --- | --- | --- | --- | --- |"]
    for c in claims:
        key = c["key_metric"]
        seeds = (c.get("statistics") or {}).get("seeds", "")
        number = f"{_cell(key)} = {_cell(fmt(c['metrics'].get(key)))}" if key in c["metrics"] else ""
        lines.append(f"| `{c['id']}` | {c['verdict']} | {_cell(c['reason'] or '')} | {number} | {seeds} | "
                     f"{float(c['seconds']):.0f} s |")
    return "\n".join(lines)


def _frac(f) -> str:
    if not isinstance(f, dict):
        return ""
    lo, hi = f.get("wilson95", (None, None))
    return f"{f['k']}/{f['n']} = {f['value']:.2f} [{lo:.2f}, {hi:.2f}]"


def render_sweep(doc: dict, source: str) -> str:
    """One recorded claim's rows over seeds: the runs that decide (and how many of them at the loss
    target), attractor fraction, runs in which every example attracts, rho's median and maximum, and
    the shares of starts recovered and spurious (fractions with their 95% Wilson intervals, over the
    runs that decide), then the verdict and its reason."""
    prov = doc["provenance"]
    lines = []
    if len(doc["claims"]) > 1:
        total = sum(float(c["seconds"]) for c in doc["claims"])
        lines += [f"One run of {len(doc['claims'])} claims, {total / 60:.1f} min in all (the claims share the networks "
                  "they train on the same data, size and seed).", ""]
    for c in doc["claims"]:
        st = c.get("statistics") or {}
        lines += [f"Recorded `{source}`: `{prov.get('command')}` (profile {prov['profile']}, {prov.get('cpu_count')} cores, "
                  f"commit {(prov.get('commit') or 'unknown')[:10]}, started {prov.get('started')}): `{c['id']}` "
                  f"{c['verdict']} in {float(c['seconds']) / 60:.1f} min, {st.get('seeds')} seeds, verdict on "
                  f"{st.get('rests_on')}.", "",
                  "| row | runs deciding (at the target) | attractor fraction | every example attracts | rho median / max "
                  "| recovered | spurious |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        for key, r in (st.get("rows") or {}).items():
            seeds = r.get("per_seed") or []
            done = sum(1 for x in seeds if x.get("converged"))
            decided = sum(1 for x in seeds if x.get("decided", x.get("converged")))
            q = (r.get("rho") or {}).get("quantiles") or {}
            rho = f"{q['0.5']:.3f} / {q['1']:.3f}" if q else ""
            lines.append(f"| {_cell(key)} | {decided}/{len(seeds)} ({done}) | {_frac(r.get('attractor_fraction'))} | "
                         f"{_frac(r.get('all_attract_runs'))} | {rho} | {_frac(r.get('recovered'))} | "
                         f"{_frac(r.get('spurious'))} |")
        lines += ["", f"Verdict: **{c['verdict']}**" + (f": {_cell(c['reason'])}" if c.get("reason") else "") + "."]
    return "\n".join(lines)


def _plain(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, list):
        return "[" + ", ".join(_plain(x) for x in v) + "]"
    return "null" if v is None else str(v)


def render_screens(doc: dict, source: str) -> str:
    """One screen per empirical claim of a recorded run (issue 34): the paper's words and how they
    are read, the verdict and its reason, where along the tolerance curve and the swept settings the
    finding holds, each swept setting's verdict, and the setup beside the paper's."""
    prov = doc["provenance"]
    lines = [f"Rendered from `{source}` (`{prov.get('command')}`, profile {prov['profile']}, commit "
             f"{(prov.get('commit') or 'unknown')[:10]}) by `python -m verify.findings --sweeps docs/findings.md`."]
    for c in doc["claims"]:
        rule, regime = c.get("rule"), c.get("regime")
        if not rule:
            continue
        lines += ["", f"#### `{c['id']}`: {c['verdict']}", "",
                  f"> {_cell(rule['quote'])} ({_cell(rule['where'])})", "",
                  f"Read as **{_cell(rule['reading'])}**: {_cell(rule['decides'])}. Gates: "
                  + "; ".join(f"{_cell(g['name'])} {g['value']:g}" for g in rule["gates"]) + ".", ""]
        lines.append(f"Verdict: **{c['verdict']}**" + (f": {_cell(c['reason'])}" if c.get("reason") else "") + ".")
        if c.get("region"):
            lines += ["", f"Where it holds: {_cell(c['region'])}."]
        if c.get("sensitivity"):
            lines += ["", "| setting | verdict | key number | reason |", "| --- | --- | --- | --- |"]
            for s in c["sensitivity"]:
                val = "sqrt(tiny)" if s["value"] is None else _plain(s["value"])
                lines.append(f"| {_cell(s['setting'])} {val}{' (the verdict)' if s['primary'] else ''} | {s['verdict']} | "
                             f"{_cell(s['key_metric'])} = {_cell(fmt(s['key_value']))} | {_cell(s['reason'] or '')} |")
        if regime:
            ours = "; ".join(f"{k} {_plain(v)}" for k, v in regime["ours"].items())
            paper = "; ".join(f"{k} {_plain(v)}" for k, v in regime["paper_ratios"].items())
            lines += ["", f"Setup: the paper: {_cell(regime['paper'])}" + (f" ({_cell(paper)})" if paper else "")
                      + f"; ours: {_cell(ours)}" + (f". Breaks the regime: {_cell(regime['breaks'])}"
                                                   if regime.get("breaks") else "") + "."]
    return "\n".join(lines)


SWEEP = re.compile(r"<!-- (sweep|screens) (\S+) -->\n(.*?)<!-- \1 end -->", re.S)


def sweep_blocks(text: str) -> list:
    """``[(kind, path, block)]`` of every sweep or screens block in ``text``."""
    return [(m.group(1), m.group(2), m.group(3).removesuffix("\n")) for m in SWEEP.finditer(text)]


def render_block(kind: str, doc: dict, source: str) -> str:
    return render_screens(doc, source) if kind == "screens" else render_sweep(doc, source)


def write_sweeps(page, root=".") -> None:
    from .report import write_atomic

    text = Path(page).read_text()
    if not sweep_blocks(text):
        raise InputError(f"{page} has no <!-- sweep PATH --> ... <!-- sweep end --> block")
    new = SWEEP.sub(lambda m: f"<!-- {m.group(1)} {m.group(2)} -->\n"
                              f"{render_block(m.group(1), load(Path(root) / m.group(2)), m.group(2))}"
                              f"\n<!-- {m.group(1)} end -->", text)
    write_atomic(page, new)


def load(path) -> dict:
    p = Path(path)
    try:
        doc = json.loads(p.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read recorded results {str(p)!r}: {str(exc).splitlines()[0]}") from None
    if not isinstance(doc, dict) or "claims" not in doc or "provenance" not in doc:
        raise InputError(f"{p.name} is not a memverify --json report")
    return doc


def block_of(text: str) -> str | None:
    m = re.search(re.escape(START) + r"\n(.*?)" + re.escape(END), text, re.S)
    return None if m is None else m.group(1).removesuffix("\n")


def write_readme(results, readme) -> None:
    from .report import write_atomic

    doc = load(results)
    text = Path(readme).read_text()
    if block_of(text) is None:
        raise InputError(f"{readme} has no {START} ... {END} block")
    new = re.sub(re.escape(START) + r"\n.*?" + re.escape(END),
                 lambda _: f"{START}\n{render(doc, str(results))}\n{END}", text, flags=re.S)
    write_atomic(readme, new)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    sweeps = len(argv) == 2 and argv[0] == "--sweeps"
    if len(argv) != 2:
        print("usage: python -m verify.findings RESULTS.json README.md | --sweeps PAGE.md", file=sys.stderr)
        return 2
    try:
        write_sweeps(argv[1]) if sweeps else write_readme(*argv)
    except InputError as exc:
        print(f"memverify: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
