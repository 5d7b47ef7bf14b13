"""The README and docs stay true: the claims table, the commands, the examples, the recorded
numbers, the links and the README's length."""

import re
from pathlib import Path

from verify.report import claims_markdown, gates_markdown, rules_markdown

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
DOCS = ROOT / "docs"


def test_claims_table_matches_registry():
    block = re.search(r"<!-- claims:start -->\n(.*?)\n<!-- claims:end -->", (DOCS / "coverage.md").read_text(), re.S)
    assert block, "claims markers missing from docs/coverage.md"
    assert block.group(1).strip() == claims_markdown().strip(), "regenerate with: python -m verify --list"


def test_rules_table_matches_registry():
    """docs/coverage.md quotes every empirical claim's rule as its record states it (issue 34)."""
    block = re.search(r"<!-- rules:start -->\n(.*?)\n<!-- rules:end -->", (DOCS / "coverage.md").read_text(), re.S)
    assert block, "rules markers missing from docs/coverage.md"
    assert block.group(1).strip() == rules_markdown().strip(), "regenerate with: python -m verify --list"
    block = re.search(r"<!-- gates:start -->\n(.*?)\n<!-- gates:end -->", (DOCS / "tolerances.md").read_text(), re.S)
    assert block, "gates markers missing from docs/tolerances.md"
    assert block.group(1).strip() == gates_markdown().strip(), "regenerate with: python -m verify --list"


def test_ci_runs_the_readme_test_command():
    command = 'python -m pip install ".[test]" && python -m pytest'
    assert command in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.strip().splitlines()[-1] == command


def test_readme_main_command():
    assert "python -m pip install . && python -m verify" in README


def test_readme_python_examples_run():
    """Every ```python block of the API guide (docs/api.md) runs, in order, in one namespace."""
    blocks = re.findall(r"```python\n(.*?)```", (DOCS / "api.md").read_text(), re.S)
    assert blocks
    namespace: dict = {}
    for code in blocks:
        exec(compile(code, "<docs/api.md>", "exec"), namespace)  # noqa: S102
    assert namespace["report"].evidence[0].id == "linear-span-projection"


def test_findings_block_is_rendered_from_the_recorded_run():
    """The README's findings table is exactly what verify.findings renders from the committed main-job
    JSON; regenerate with: python -m verify.findings docs/results/default.json README.md"""
    from verify import findings

    block = findings.block_of(README)
    assert block is not None, "findings markers missing from README"
    doc = findings.load(ROOT / "docs" / "results" / "default.json")
    assert block == findings.render(doc, "docs/results/default.json")


def test_recorded_run_comes_from_this_claim_registry():
    """The recorded results were produced by the claims registered now: every recorded claim is
    registered with the same statement, in registration order, under the same schema. A claim added
    since the recording is allowed (adding one touches its module and docs/coverage.md, not the
    recording), and named in a warning; after rewording a claim, re-record:
    python -m verify --json docs/results/default.json"""
    import warnings

    from verify import findings
    from verify.registry import all_claims
    from verify.runner import SCHEMA

    doc = findings.load(ROOT / "docs" / "results" / "default.json")
    assert doc["schema"] == SCHEMA and doc["provenance"]["profile"] == "default"
    registered = [(c.id, c.statement) for c in all_claims()]
    recorded = [(c["id"], c["statement"]) for c in doc["claims"]]
    assert recorded == [r for r in registered if r[0] in {c for c, _ in recorded}], "re-record the main job"
    missing = [c for c, _ in registered if c not in {r for r, _ in recorded}]
    if missing:
        warnings.warn(f"claims not in the recorded main job yet: {', '.join(missing)}", stacklevel=1)


def test_findings_cli_refuses_bad_files(tmp_path, capsys):
    from verify import findings

    bad = tmp_path / "x.json"
    bad.write_text("{")
    readme = tmp_path / "R.md"
    readme.write_text("no markers\n")
    assert findings.main([str(bad), str(readme)]) == 2
    assert "cannot read recorded results" in capsys.readouterr().err
    assert findings.main([str(ROOT / "docs" / "results" / "default.json"), str(readme)]) == 2
    assert "has no <!-- findings:start -->" in capsys.readouterr().err
    assert readme.read_text() == "no markers\n"


def test_readme_is_short_and_its_links_resolve():
    """Under 200 lines, a virtual environment before the install, and every relative link of the
    README and the docs names a file that exists."""
    assert len(README.splitlines()) < 200
    assert "python -m venv" in README and README.index("python -m venv") < README.index("pip install .")
    for page in [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text()):
            assert (page.parent / target).exists(), (page.name, target)


def test_sweep_tables_in_the_docs_are_rendered_from_their_recorded_runs():
    """Every ``<!-- sweep PATH -->`` and ``<!-- screens PATH -->`` block of docs/findings.md is what
    verify.findings renders from PATH; regenerate with: python -m verify.findings --sweeps docs/findings.md"""
    from verify import findings

    blocks = findings.sweep_blocks((DOCS / "findings.md").read_text())
    assert blocks and {k for k, _, _ in blocks} == {"sweep", "screens"}
    for kind, path, block in blocks:
        assert block == findings.render_block(kind, findings.load(ROOT / path), path), path


def test_every_empirical_claim_has_its_screen_in_the_findings():
    """One screen per empirical claim of the recorded main job: its quoted rule, verdict, region,
    sweep and regime (issue 34)."""
    from verify import findings
    from verify.registry import all_claims

    screens = [b for k, p, b in findings.sweep_blocks((DOCS / "findings.md").read_text())
               if k == "screens" and p == "docs/results/default.json"]
    assert screens
    for c in all_claims():
        if c.empirical:
            at = screens[0].index(f"#### `{c.id}`: ")
            screen = screens[0][at:].split("\n#### ", 1)[0]
            assert "> " in screen and "Read as **" in screen and "Setup: the paper:" in screen, c.id


def test_the_recorded_paper_sweep_is_the_one_issue_14_asks_for():
    """The paper profile's deep sweep: widths to 1024 and depths to 8 on the digits and the Swiss
    roll, at least 5 seeds (15 where the trend decides: issue 26), both optimizers, with the
    command that made it. (Issue 14 asked for it under an hour; 15 seeds and the L-BFGS finish of
    issue 26 take about two hours on two cores: the time is reported in docs/findings.md, not bounded.)"""
    import json

    doc = json.loads((ROOT / "docs/results/paper-sec3-sweep.json").read_text())
    prov = doc["provenance"]
    assert prov["profile"] == "paper" and prov["command"].startswith("python -m verify --profile paper")
    assert {c["id"] for c in doc["claims"]} == {"sec3-contraction", "sec3-recovery-width-depth"}
    assert all(float(c["seconds"]) > 0 for c in doc["claims"])
    rows = next(c for c in doc["claims"] if c["id"] == "sec3-recovery-width-depth")["statistics"]["rows"]
    for data in ("digits", "swiss-roll"):
        for opt in ("adam", "gd"):
            mine = [r for r in rows.values() if r["data"] == data and r["optimizer"] == opt]
            assert max(r["width"] for r in mine) >= 1024 and max(r["depth"] for r in mine) >= 8, (data, opt)
            assert all(len(r["per_seed"]) >= (15 if (data, opt) == ("digits", "adam") else 5) for r in mine)


# protocol constants the prose may name (steps, levels, targets, the ray's 1.01 x_m); a measured
# number belongs in a rendered block or a recorded file, not typed into the prose
PROTOCOL_CONSTANTS = {"1e-10", "1e-9", "1e-8", "1e-12", "1e-6", "1e-3", "0.05", "0.1", "1.01", "0.5", "0.99", "0.25",
                      "1e-2", "1e-4", "1e-5",  # the gates, the tolerance curve, loss decades, the plateau's threshold
                      "1810.10333", "3.10"}  # and the arXiv id, the Python version


def test_prose_types_no_measured_numbers():
    """Outside the rendered blocks, the README and the hand-written docs quote no decimal that is
    not a stated protocol constant: measured numbers come from recorded runs (rendered and
    tested) or benchmarks/RESULTS.md (recorded outputs with their commands)."""
    from verify import findings

    pages = ["findings.md", "tolerances.md", "scale.md", "api.md", "cli.md", "architecture.md", "contributing.md"]
    for page in [ROOT / "README.md", *(DOCS / name for name in pages)]:
        text = page.read_text()
        text = re.sub(re.escape(findings.START) + r".*?" + re.escape(findings.END), "", text, flags=re.S)
        text = findings.SWEEP.sub("", text)
        text = re.sub(r"<!-- (rules|gates):start -->.*?<!-- \1:end -->", "", text, flags=re.S)  # generated
        text = re.sub(r"```.*?```", "", text, flags=re.S)
        found = set(re.findall(r"(?<![\w.])(\d+\.\d+|\d+e-?\d+)(?![\w.])", text))
        assert found <= PROTOCOL_CONSTANTS, (page.name, sorted(found - PROTOCOL_CONSTANTS))


def test_readme_layout_names_every_module():
    """Each module of theory/, gpu/ and verify/ has its line in the README's layout."""
    layout = README[README.index("## Layout"):README.index("## Documentation")]
    for folder in ("theory", "gpu", "verify"):
        for path in sorted((ROOT / folder).glob("*.py")):
            if path.name in ("__init__.py", "__main__.py"):
                continue
            assert f"{folder}/{path.name}" in layout, f"{folder}/{path.name} missing from the README's layout"


def test_coverage_table_names_every_claim_and_only_claims():
    """docs/coverage.md: every registered claim checks some statement there, and every id it names
    is registered."""
    from verify.registry import all_claims

    text = (DOCS / "coverage.md").read_text()
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| section")]
    named = set(re.findall(r"`([a-z0-9][a-z0-9-]+[a-z0-9])`", "\n".join(rows)))
    ids = {c.id for c in all_claims()}
    assert ids <= named, sorted(ids - named)
    assert {n for n in named if "-" in n} <= ids, sorted({n for n in named if "-" in n} - ids)


def test_the_recorded_reasons_are_one_line():
    """Issue 27: every reason of the recorded main job (and so of the README's table) is one line of
    at most 120 characters; the evidence keeps the rest (scope, comparisons, inconclusive runs)."""
    from verify import findings
    from verify.evidence import REASON_LIMIT

    doc = findings.load(ROOT / "docs" / "results" / "default.json")
    for c in doc["claims"]:
        assert c["reason"] is None or (len(c["reason"]) <= REASON_LIMIT and "\n" not in c["reason"]), c["id"]
