"""The human report: self-contained HTML and Markdown, written atomically after the run."""

import re

import pytest

import verify
from verify import cli


def test_report_pages_follow_every_verdict_to_numbers_and_pictures(tmp_path, capsys):
    out = tmp_path / "rep"
    code = cli.main(["--profile", "quick", "--backend", "numpy", "--claim", "thm6-attractors", "--claim",
                     "thm3-stable-fixed-points", "--claim", "linear-min-norm", "--report", str(out)])
    assert code == 4  # thm3 is refuted, as measured
    assert f"report: {out / 'report.html'}" in capsys.readouterr().out
    page = (out / "report.html").read_text()
    assert "<script" not in page and not re.search(r"(src|href)=['\"]https?:", page)  # offline, no JavaScript
    assert page.count("data:image/png;base64,") == 2  # thm6 and thm3 have figures, embedded
    for needle in ("thm3-stable-fixed-points", "Tolerance", "Negative control", "Provenance", "blas", "seed",
                   "<th>reason</th>", "Reason:</b> proof: relu is 1-homogeneous"):
        assert needle in page
    assert "| **refuted** | proof: relu is 1-homogeneous" in (out / "report.md").read_text()
    md = (out / "report.md").read_text()
    assert "| linear-min-norm |" not in md and "[linear-min-norm](#linear-min-norm)" in md
    assert "![figure for thm6-attractors](figures/thm6-attractors.png)" in md
    assert (out / "figures" / "thm6-attractors.png").stat().st_size > 1000


def test_a_failed_run_leaves_the_previous_report_intact(tmp_path, monkeypatch, capsys):
    out = tmp_path / "rep"
    assert cli.main(["--profile", "quick", "--claim", "linear-min-norm", "--report", str(out), "--quiet"]) == 0
    before = (out / "report.html").read_text()

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("verify.runner.run", boom)
    assert cli.main(["--profile", "quick", "--claim", "linear-min-norm", "--report", str(out)]) == 130
    assert (out / "report.html").read_text() == before
    assert sorted(p.name for p in out.iterdir()) == ["figures", "report.html", "report.md"]  # no temporary files


def test_the_bare_main_job_writes_the_default_report(tmp_path, monkeypatch, capsys):
    small = verify.run(["linear-min-norm"], profile="quick", backend="numpy")
    seen = {}

    def fake_run(claims, **kw):
        seen.update(kw, claims=claims)
        return small

    monkeypatch.setattr("verify.runner.run", fake_run)
    monkeypatch.chdir(tmp_path)
    assert cli.main([]) == 0
    out = capsys.readouterr().out
    assert seen["profile"] == "default" and seen["claims"] is None
    assert (tmp_path / cli.DEFAULT_REPORT / "report.html").is_file()
    assert "report:" in out and out.strip().splitlines()[-1].startswith("1 claims: 1 hold")


def test_progress_is_silent_off_a_terminal():
    assert cli._progress(quiet=True).bar is None
    assert cli._progress(quiet=False).bar is None  # pytest captures stderr: not a terminal


def _diverged():
    from theory.errors import DivergenceError

    return DivergenceError("gradient descent diverged at step 3 (loss is inf); lower the step")


def _lapack_failed():
    import numpy as np

    return np.linalg.LinAlgError("SVD did not converge")


@pytest.mark.parametrize("error, note", [(_diverged, "diverged"), (_lapack_failed, "SVD did not converge")])
def test_a_claim_that_cannot_finish_fails_and_the_run_goes_on(monkeypatch, error, note):
    """A claim whose own training diverges, or whose factorization fails (LAPACK, or cuSOLVER raised
    under Backend.errors()), fails with a note; no control is run and the next claim still runs."""
    def failing(data, ctx, **kw):
        raise error()

    claim = verify.get("lemma-forced-zero")
    monkeypatch.setitem(verify.registry.REGISTRY, "lemma-forced-zero",
                        verify.Claim(**{**claim.__dict__, "check": failing}))
    report = verify.run(["lemma-forced-zero", "thm5-depth-lower-bound"], profile="quick", backend="numpy")
    first, second = report.evidence
    assert first.verdict == verify.NOT_REPRODUCED and note in first.measurement.notes[0]
    assert first.reason.startswith("could not finish") or "could not finish" in first.reason
    assert first.control is None and not report.ok
    assert second.verdict == verify.HOLDS


def test_backend_error_context():
    import contextlib

    import numpy as np

    import gpu

    assert isinstance(gpu.resolve("numpy").errors(), contextlib.nullcontext)
    if gpu.cupy_status()[0]:  # on the device: cuSOLVER failures raise
        import cupy

        with gpu.resolve("cupy").errors():
            with pytest.raises(np.linalg.LinAlgError):
                cupy.linalg.cholesky(cupy.asarray([[1.0, 2.0], [2.0, 1.0]]))


def test_report_reads_like_a_report(tmp_path, capsys):
    """The decisive comparison with its operator in the summaries, the other measured numbers in the
    Markdown too, provenance without raw dicts or bytes, no '-0', the time on one line."""
    out = tmp_path / "rep"
    cli.main(["--profile", "quick", "--claim", "linear-min-norm", "--claim", "thm2-attractor-criterion",
              "--report", str(out), "--quiet"])
    md, page = (out / "report.md").read_text(), (out / "report.html").read_text()
    assert re.search(r"\| rel\\_error = [0-9.e+-]+ \\<= [0-9.e+-]+ \|", md)  # escaped Markdown (verify.escape)
    assert md.count("Other measured numbers:") == 2 and page.count("other measured numbers") == 2
    prov = md[md.index("## Provenance"):]
    assert "{'" not in prov and "b'" not in prov and "versions | python: " in prov
    assert not re.search(r"(?<![\w.])-0(?![\w.])", md + page)
    assert "<td class='num'>" in page and "td.num{white-space:nowrap" in page


def test_fmt_never_prints_minus_zero():
    from verify.formatting import fmt

    assert fmt(-0.0) == "0" and fmt(0.0) == "0" and fmt(-1e-300) != "-0"


def test_figure_6_joins_only_evaluated_checkpoints_and_legends_sit_outside():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from verify.registry import get

    rows = {str(t): {"step": t, "max_rho": 0.5 + 0.01 * t, "evaluated": t >= 30} for t in (1, 10, 30, 100)}

    class Ev:
        class measurement:
            statistics = {"per_seed": [{"seed": 0, "checkpoints": rows}]}

    fig = get("sec5-early-stopping").figure(Ev, plt)
    ax = fig.axes[0]
    joined = [l for l in ax.get_lines() if l.get_linestyle() == "-" and l.get_marker() == "o"]
    assert [list(l.get_xdata()) for l in joined] == [[30, 100]]
    legend = ax.get_legend()
    fig.canvas.draw()
    assert legend.get_window_extent().x0 >= ax.get_window_extent().x1  # right of the axes
    plt.close(fig)


def test_numbers_next_to_an_integer_print_as_the_integer_and_the_difference():
    """Issue 30: a bound 1 - 4u reads '1 - 8.9e-16', not 0.99999999999999911; 1.0037 keeps its digits."""
    from verify.formatting import fmt

    assert fmt(1.0 - 4 * 2.0**-52) == "1 - 8.9e-16" and fmt(1.0000000000000051) == "1 + 5.1e-15"
    assert fmt(1.0037) == "1.0037" and fmt(0.5) == "0.5"


def test_an_empirical_claim_shows_the_papers_words_its_reading_region_and_setup(tmp_path):
    """Beside its numbers, an empirical claim's section quotes the paper, says how its words are read,
    where the finding holds (Figure 1: the swept Adam eps) and the setup beside the paper's (issue 34)."""
    from verify.human import to_html, to_markdown

    report = verify.run(["fig1-init-scale"], profile="quick", backend="numpy")
    html, md = to_html(report, {}), to_markdown(report, {})
    for text in (html, md):
        assert "The paper:" in text and "Read as:" in text and "Setup:" in text and "Swept:" in text
        assert "Where it holds:" in text and "the latter is contractive around the training examples" in text
    assert report.evidence[0].to_dict()["sensitivity"][0]["primary"]


def test_a_failing_comparison_reads_as_failing():
    """Issue 36, item 2: `recovered = 0.865 >= 0.9` read as a true statement; the relation printed is
    the one that holds, and a failure says so and what it needed (terminal, HTML, Markdown alike)."""
    from verify.evidence import Comparison, Evidence, Measurement
    from verify.human import to_html, to_markdown
    from verify.report import decisive
    from verify.runner import Report

    fails = Comparison("recovered", 0.865, 0.9, ">=")
    assert fails.relation == "<" and fails.shown() == "0.865 < 0.9 (FAILS: needs >= 0.9)"
    assert Comparison("steps back", 6.32e4, 0.0).shown() == "6.32e+04 > 0 (FAILS: needs <= 0)"
    assert Comparison("x", float("nan"), 1.0).relation == "?"
    assert Comparison("ok", 0.5, 0.9).shown() == "0.5 <= 0.9"
    m = Measurement([fails], {"recovered": 0.865}, None, "recovered", empirical=True)
    assert decisive(m) == "recovered = 0.865 < 0.9 (FAILS: needs >= 0.9)"
    report = Report({"profile": "quick"}, [Evidence("x-claim", "ref", "statement", (), m, "control", None, 0.0)])
    assert "0.865 &lt; 0.9 (FAILS: needs &gt;= 0.9)" in to_html(report, {})
    md = to_markdown(report, {})
    assert "0.865 \\< 0.9 (FAILS: needs \\>= 0.9)" in md and "| 0.865 | \\< | 0.9 | **no** (needs \\>= 0.9) |" in md


def test_figure_defects_seen_are_fixed():
    """Issue 36, item 4: Theorem 6's panels both have x labels and do not overlap (constrained layout);
    Table 1's index axis has integer ticks only."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from verify import figures

    ev = verify.run(["thm6-attractors"], profile="quick").evidence[0]
    fig = figures.thm6_construction(ev, plt)
    assert all(ax.get_xlabel() == "x" for ax in fig.axes) and fig.get_layout_engine() is not None
    plt.close(fig)
    rows = {"1 filter": {"top_eigenvalues": [1.0, 0.9, 0.4, 0.1, 0.05]}}
    fake = type("E", (), {"measurement": type("M", (), {"metrics": {"rows": rows}})()})()
    fig = figures.tab1_spectra(fake, plt)
    fig.canvas.draw()
    ticks = [t for t in fig.axes[0].get_xticks() if 1 <= t <= 5]
    assert ticks and all(float(t).is_integer() for t in ticks)
    plt.close(fig)


def test_figures_as_svg_beside_png(tmp_path):
    """Issue 36, item 4: --figure-format svg or both writes SVG (beside PNG); the HTML embeds the PNG
    where there is one, the SVG otherwise; a stale figure of the other format is replaced."""
    from verify.cli import main

    figs, rep = tmp_path / "figs", tmp_path / "rep"
    assert main(["--claim", "thm6-attractors", "--profile", "quick", "--quiet", "--figure-format", "both",
                 "--figures", str(figs), "--report", str(rep)]) == 0
    assert sorted(p.name for p in figs.iterdir()) == ["thm6-attractors.png", "thm6-attractors.svg"]
    assert (figs / "thm6-attractors.svg").read_text().lstrip().startswith("<?xml")
    assert "data:image/png;base64" in (rep / "report.html").read_text()
    assert main(["--claim", "thm6-attractors", "--profile", "quick", "--quiet", "--figure-format", "svg",
                 "--figures", str(figs), "--report", str(rep)]) == 0
    assert sorted(p.name for p in figs.iterdir()) == ["thm6-attractors.svg"]  # the PNG of the last run is stale
    assert "data:image/svg+xml;base64" in (rep / "report.html").read_text()
    assert "](figures/thm6-attractors.svg)" in (rep / "report.md").read_text()
