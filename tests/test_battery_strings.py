"""Issue 35, items 3 and 6: every string a user or a third-party claim controls is escaped where it
lands (HTML, Markdown, the terminal) and validated where it names a path; a claim record is checked
at ``register``; a claim that misbehaves at run time is named in one line, never crashed on."""

import re

import numpy as np
import pytest

import verify
from theory.errors import InputError
from verify.claim import REGISTRY, Claim, register
from verify.cli import main
from verify.escape import anchor, html_text, markdown, plain
from verify.evidence import HOLDS, Comparison, Measurement, Tolerance

HOSTILE = ("<script>alert(1)</script>", "'\"><img src=x onerror=alert(1)>", "[x](javascript:alert(1))",
           "line\n# injected heading", "esc \x1b[31mred\x1b[0m", "cr \r over", "bidi \u202e txet")
CONTROL = ("\x1b", "\r", "\u202e")  # what a terminal must not get raw
HTML_RAW = ("<script>", "<img src=x", "'\"><", *CONTROL)  # markup a browser would run
RAW = ("[x](javascript:", "\n# injected", *HTML_RAW)  # and Markdown's links and headings
ID = "hostile-strings"


def _text(tag: str) -> str:
    return f"{tag}: " + " ".join(HOSTILE)


def _data(ctx):
    return {"X": ctx.asarray(np.eye(2, 4))}


def _check(data, ctx, *, wrong=False):
    return Measurement([Comparison(_text("comparison"), 1.0 if wrong else 0.0, 0.5)],
                       {_text("metric"): 1.0, "text": _text("value")}, Tolerance(0.5, _text("derivation")),
                       key="text", notes=[_text("note")])


@pytest.fixture
def hostile():
    claim = register(Claim(
        id=ID, family="linear", paper_ref=_text("paper_ref"), statement=_text("statement"),
        hypotheses=(_text("hypothesis"),), make_data=_data, check=_check,
        negative_control=lambda data, ctx: _check(data, ctx, wrong=True), control_description=_text("control"),
        backends=("numpy",), expect=HOLDS))
    try:
        yield claim
    finally:
        del REGISTRY[ID]


def _assert_clean(text: str, where: str, raws=RAW) -> None:
    """No ``raws`` in ``text`` outside a backslash escape (Markdown renders ``\\<`` as a literal ``<``)."""
    text = re.sub(r"\\[^\w\s]", "", text) if raws is RAW else text
    for raw in raws:
        assert raw not in text, f"{raw!r} reached {where} raw"


def test_every_claim_string_is_escaped_in_html_markdown_and_terminal(hostile, tmp_path, capsys):
    report = verify.run([ID])
    assert report.evidence[0].verdict == HOLDS
    from verify.human import to_html, to_markdown

    html = to_html(report, {})
    md = to_markdown(report, {})
    _assert_clean(html, "the HTML report", HTML_RAW)
    _assert_clean(md, "the Markdown report")
    assert "&lt;script&gt;" in html and "\\<script\\>" in md  # shown as the text it is, not dropped
    capsys.readouterr()
    assert main(["--claim", ID, "--report", str(tmp_path / "rep"), "--json", str(tmp_path / "r.json")]) == 0
    out = capsys.readouterr()
    _assert_clean(out.out + out.err, "the terminal", CONTROL)
    _assert_clean((tmp_path / "rep" / "report.md").read_text(), "report.md")
    _assert_clean((tmp_path / "rep" / "report.html").read_text(), "report.html", HTML_RAW)


def test_the_escapes_themselves():
    for text in HOSTILE:
        _assert_clean(html_text(text), "html_text", HTML_RAW)
        _assert_clean(markdown(text), "markdown")
        assert "\x1b" not in plain(text) and "\n" not in plain(text)
    assert markdown("# heading") == "\\# heading" and markdown("0.865") == "0.865"
    assert markdown("1. item", at_line_start=True) == "1\\. item" and markdown("- x", at_line_start=True) == "\\- x"
    assert anchor("../../victim") == "victim" and anchor("a/b") == "a-b" and len(anchor("x" * 300)) == 64


@pytest.mark.parametrize("bad", ["x'><img src=x onerror=alert(1)>", "../victim", "a/b", "x" * 300, "Upper", "-lead", "",
                                 "a b", "a\nb"])
def test_a_claim_id_is_a_slug(bad):
    with pytest.raises(InputError, match="is not a slug"):
        Claim(id=bad, family="linear", paper_ref="p", statement="s", hypotheses=(), make_data=_data, check=_check,
              negative_control=_check, control_description="c")


@pytest.mark.parametrize("field, value, message", [
    ("backends", ("numpy", "tpu"), "backends must be"),
    ("backends", (), "backends must be"),
    ("expect", "passes", "expect must be one of"),
    ("check", "not a function", "check must be a function"),
    ("figure", 3, "figure must be a function or None"),
    ("hypotheses", ["a list"], "hypotheses must be a tuple"),
    ("statement", "", "statement must be a non-empty string"),
    ("data_keys", ("X", "bad key"), "data_keys must be"),
])
def test_every_field_of_a_record_is_checked(field, value, message):
    base = dict(id="fine-id", family="linear", paper_ref="p", statement="s", hypotheses=(), make_data=_data,
                check=_check, negative_control=_check, control_description="c")
    with pytest.raises(InputError, match=message):
        Claim(**{**base, field: value})


def test_register_refuses_an_unknown_family_and_a_non_claim():
    with pytest.raises(InputError, match="unknown profile family 'linaer'"):
        register(Claim(id="fine-id", family="linaer", paper_ref="p", statement="s", hypotheses=(), make_data=_data,
                       check=_check, negative_control=_check, control_description="c"))
    with pytest.raises(InputError, match="takes a verify.claim.Claim"):
        register({"id": "x"})
    assert "fine-id" not in REGISTRY


def test_a_comparison_is_checked_when_it_is_made():
    with pytest.raises(InputError, match="op must be '<=' or '>='"):
        Comparison("x", 3.0, 1.0, "==")
    with pytest.raises(InputError, match="measured must be a number, got '3.0'"):
        Comparison("x", "3.0", 1.0)
    with pytest.raises(InputError, match="bound must be a number, got None"):
        Comparison("x", 3.0, None)
    c = Comparison("x", np.float32(2.0), np.int64(3))
    assert type(c.measured) is float and c.passed


@pytest.mark.parametrize("returns, message", [
    (lambda data, ctx: None, "its check returned NoneType, not a verify.evidence.Measurement"),
    (lambda data, ctx: Measurement([("x", 1.0, 2.0)], {}, None, "x"), "comparisons must be a list of"),
    (lambda data, ctx: Measurement([Comparison("x", "1.0", 2.0)], {}, None, "x"), "measured must be a number"),
    (lambda data, ctx: Measurement([Comparison("x", 3.0, 1.0, "==")], {}, None, "x"), "op must be"),
])
def test_a_misbehaving_claim_is_named_in_one_line(returns, message, capsys):
    claim = register(Claim(id="misbehaves", family="linear", paper_ref="p", statement="s", hypotheses=(),
                           make_data=_data, check=returns, negative_control=returns, control_description="c",
                           backends=("numpy",)))
    try:
        with pytest.raises(InputError, match=f"^misbehaves: .*{message}"):
            verify.run([claim.id])
        assert main(["--claim", claim.id]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "misbehaves" in err and "Traceback" not in err
    finally:
        del REGISTRY[claim.id]


def test_the_runner_honours_a_claims_backends(hostile):
    with pytest.raises(InputError, match=f"the array_api_strict backend runs .*not {ID}"):
        verify.run([ID], backend="array_api_strict")
    report = verify.run(["linear-min-norm"], backend="array_api_strict")
    assert [e.id for e in report.evidence] == ["linear-min-norm"]


def test_the_stale_figure_clean_up_never_leaves_its_directory(tmp_path):
    from verify.outputs import Outputs

    (tmp_path / "victim.png").write_bytes(b"keep")
    target = tmp_path / "figs"
    target.mkdir()
    with Outputs() as out:
        staged = out.directory(target, stale=lambda t, new: ["../victim.png", "..", "ok.png"])
        (staged / "new.png").write_bytes(b"new")
        (target / "ok.png").write_bytes(b"old")
        out.commit()
    assert (tmp_path / "victim.png").read_bytes() == b"keep"
    assert not (target / "ok.png").exists() and (target / "new.png").exists()


def test_the_findings_renderer_escapes_what_a_recorded_run_holds():
    """docs/findings.md and the README's block are rendered from a JSON a user may supply: its
    strings get the reports' Markdown escaping (verify.escape), not only their '|'."""
    from verify.findings import render, render_screens

    claim = {"id": "x", "verdict": "not-reproduced", "reason": HOSTILE[2] + " " + HOSTILE[0], "metrics": {"k": 1.0},
             "negative_control": {"rejected": True}, "key_metric": "k",
             "key": "k", "seconds": 1.0, "statistics": {},
             "rule": {"quote": HOSTILE[1], "where": HOSTILE[3], "reading": "typical", "decides": HOSTILE[0],
                      "gates": [{"name": "<b>", "value": 0.5}]}, "region": HOSTILE[2], "sensitivity": [],
             "regime": {"paper": HOSTILE[0], "paper_ratios": {}, "ours": {}, "breaks": ""}}
    doc = {"schema": 3, "provenance": {"profile": "default", "command": "c", "commit": "abc", "seed": 0,
                                       "backend": "numpy", "started": "t", "cpu_count": 2}, "claims": [claim]}
    for text in (render(doc, "run.json"), render_screens(doc, "run.json")):
        _assert_clean(text, "the findings page")
