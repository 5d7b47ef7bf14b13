"""Issue 36, item 5: progress within a claim (every random stream a claim opens is named for its run)
and, on Ctrl-C, the claims that finished are not lost: their rows are printed and a partial JSON is
written beside the target, under a name that says so; the previous outputs stay untouched."""

import json

import pytest

import verify
from verify import runner
from verify.cli import main, partial_path


def test_a_claim_reports_what_it_is_drawing():
    seen = []
    verify.run(["thm6-attractors"], on_progress=seen.append)
    assert "thm6-data" in seen and any(s.startswith("thm6-near-") for s in seen)


def test_an_interrupt_keeps_the_claims_that_finished(tmp_path, monkeypatch, capsys):
    target = tmp_path / "out.json"
    target.write_text('{"earlier": true}\n')
    real = runner._run_one
    calls = []

    def second_interrupts(claim, ctx, data):
        calls.append(claim.id)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(claim, ctx, data)

    monkeypatch.setattr(runner, "_run_one", second_interrupts)
    code = main(["--claim", "linear-min-norm", "--claim", "thm6-attractors", "--profile", "quick", "--json", str(target)])
    assert code == 130
    err = capsys.readouterr().err
    assert "interrupted after 1 claim(s)" in err and "linear-min-norm" in err
    assert target.read_text() == '{"earlier": true}\n'  # the previous output, untouched
    partial = json.loads(partial_path(target).read_text())
    assert [c["id"] for c in partial["claims"]] == ["linear-min-norm"]
    assert partial["provenance"]["partial"] == "interrupted after 1 claim(s)"
    assert partial_path(target).name == "out.partial.json"


def test_an_interrupt_before_any_claim_finished_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runner, "_run_one", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    assert main(["--claim", "linear-min-norm", "--profile", "quick", "--json", str(tmp_path / "o.json")]) == 130
    assert list(tmp_path.iterdir()) == []
    assert "no output written" in capsys.readouterr().err


@pytest.mark.parametrize("name, partial", [("r.json", "r.partial.json"), ("dir/run", "run.partial.json")])
def test_partial_names(name, partial):
    assert partial_path(name).name == partial


def test_analyze_says_which_question_it_is_answering():
    import numpy as np

    X = np.random.default_rng(0).uniform(0.1, 0.9, (4, 3))
    seen = []
    verify.analyze(lambda Z: 0.5 * Z + 0.25, X, progress=seen.append)
    assert [s.split(":")[0] for s in seen] == ["fixed points", "attractors", "recovery", "superattraction"]


def test_analyze_prints_no_status_into_a_pipe(tmp_path, monkeypatch, capsys):
    import numpy as np

    monkeypatch.chdir(tmp_path)
    np.save("X.npy", np.random.default_rng(0).uniform(0.1, 0.9, (4, 3)))
    (tmp_path / "m.py").write_text("def f(Z):\n    return 0.5 * Z + 0.25\n")
    main(["analyze", "--model", "m.py:f", "--data", "X.npy", "--quiet"])
    out = capsys.readouterr()
    assert "\r" not in out.err and "analyze:" not in out.err
