"""The command line: exit codes, one-line errors without tracebacks, the JSON report, atomic writes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gpu
import verify
from verify import cli
from verify.registry import all_claims as _all
from verify.report import write_atomic

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args, env=None):
    full_env = {**os.environ, **(env or {})}
    full_env.pop("MEMVERIFY_BACKEND", None) if env is None else None
    return subprocess.run([sys.executable, "-m", "verify", *args], capture_output=True, text=True,
                          cwd=ROOT, env=full_env, timeout=300)


def assert_user_error(proc, *needles):
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for n in needles:
        assert n in lines[0]


SIZE_DEPENDENT = {c.id for c in _all() if c.empirical}  # every empirical claim (tests/test_claims.py's set)


def test_quick_profile_passes_and_writes_json(tmp_path):
    out = tmp_path / "report.json"
    proc = run_cli("--profile", "quick", "--backend", "numpy", "--seed", "7", "--json", str(out))
    assert proc.returncode == 4, proc.stdout + proc.stderr  # thm3-stable-fixed-points is refuted, as measured
    from verify.registry import all_claims

    total = len(all_claims())
    assert f"negative controls rejected: {total}/{total}" in proc.stdout
    doc = json.loads(out.read_text())
    assert doc["schema"] == 3
    prov = doc["provenance"]
    for key in ("seed", "backend", "device", "profile", "versions", "commit", "started"):
        assert key in prov
    assert prov["seed"] == 7 and prov["backend"] == "numpy" and prov["profile"] == "quick"
    assert {"python", "numpy", "scipy", "cupy"} <= set(prov["versions"])
    ids = [c["id"] for c in doc["claims"]]
    assert ids == [c.id for c in all_claims()]  # every claim, in the registry's order (a new claim breaks no pin)
    for c in doc["claims"]:
        for key in ("id", "paper_ref", "statement", "verdict", "metrics", "tolerance", "negative_control", "seconds"):
            assert key in c
        expected = {"thm1-beyond-assumptions": "hypotheses-not-met", "thm3-stable-fixed-points": "refuted",
                    "thm1-proof-monotone-path": "refuted"}
        assert (c["reason"] is None) == (c["verdict"] == "holds")
        if c["id"] in SIZE_DEPENDENT:  # measured on trained deep networks: see tests/test_deep_claims.py
            assert c["verdict"] in ("holds", "refuted", "not-reproduced", "inconclusive")
            assert c["statistics"]["seeds"] >= 2
        else:
            assert c["verdict"] == expected.get(c["id"], "holds")
        assert set(c["tolerance"]) == {"value", "derivation"} and c["tolerance"]["derivation"]
        assert c["negative_control"]["rejected"] is True and c["negative_control"]["description"]
    assert not [p for p in tmp_path.iterdir() if p.name != "report.json"]  # no temporary files left


def test_claim_selection_and_list():
    proc = run_cli("--profile", "quick", "--claim", "linear-gd-trajectory", "--claim", "linear-min-norm", "--quiet")
    assert proc.returncode == 0 and proc.stdout.startswith("2 claims: 2 hold")
    listing = run_cli("--list")
    assert listing.returncode == 0 and "| `init-perturbation` |" in listing.stdout


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--claim", "no-such-claim"], "unknown claim id 'no-such-claim'"),
        (["--bogus-flag"], "unrecognized arguments: --bogus-flag"),
        (["--profile", "huge"], "invalid choice: 'huge'"),
        (["--seed", "abc"], "seed must be a non-negative integer"),
        (["--step-factor", "0"], "must be a finite number > 0"),
        (["--backend", "tpu"], "unknown backend 'tpu'"),
        (["--profile", "quick", "--step-factor", "3"], "largest stable step 2/lambda_max(X X^T)"),
        (["--json", "/no/such/dir/r.json"], "does not exist"),
        (["--data", "/no/such/file.npy"], "does not exist"),
    ],
)
def test_user_errors_exit_2_with_one_line(args, needle):
    assert_user_error(run_cli(*args), needle)


def test_backend_env_var_error():
    assert_user_error(run_cli("--profile", "quick", env={"MEMVERIFY_BACKEND": "tpu"}), "MEMVERIFY_BACKEND")


@pytest.mark.skipif(gpu.cupy_status()[0], reason="a GPU is usable here: cupy is a valid choice")
def test_cupy_without_gpu_exits_2():
    assert_user_error(run_cli("--backend", "cupy", "--profile", "quick"), "backend 'cupy' requested but")


@pytest.mark.parametrize(
    "make, needle",
    [
        (lambda p: np.save(p, np.array([[1.0, np.nan, 2.0]])), "non-finite"),
        (lambda p: np.save(p, np.ones(4)), "must be 2-D"),
        (lambda p: p.write_bytes(b"\x93NUMPY garbage"), "cannot read"),
    ],
)
def test_bad_data_files_exit_2(tmp_path, make, needle):
    path = tmp_path / "X.npy"
    make(path)
    assert_user_error(run_cli("--profile", "quick", "--data", str(path)), needle)


def test_user_data_that_violates_hypotheses_is_reported(tmp_path):
    path = tmp_path / "X.csv"
    np.savetxt(path, np.random.default_rng(0).standard_normal((12, 8)), delimiter=",")  # n >= d
    linear = [a for c in ("linear-min-norm", "linear-gd-trajectory", "linear-span-projection", "init-perturbation")
              for a in ("--claim", c)]
    proc = run_cli("--profile", "quick", "--data", str(path), *linear)
    assert proc.returncode == 6  # nothing verified
    assert "4 hypotheses not met" in proc.stdout and "not overparameterized" in proc.stdout


def test_failed_write_leaves_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "r.json"
    path.write_text("old")

    def boom(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_interrupt_exits_130_without_report(tmp_path, monkeypatch, capsys):
    import verify.runner

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(verify.runner, "run", interrupted)
    out = tmp_path / "r.json"
    assert cli.main(["--profile", "quick", "--json", str(out)]) == 130
    assert not out.exists() and "interrupted" in capsys.readouterr().err


def test_refuted_claim_exits_4_with_its_reason(monkeypatch, capsys):
    from theory import linear as lin

    monkeypatch.setattr(lin, "data_svd", _wrong_svd(lin.data_svd))
    assert cli.main(["--profile", "quick", "--claim", "linear-min-norm", "--backend", "numpy"]) == 4
    out = capsys.readouterr().out
    assert "1 refuted" in out and "counterexample: rel_error = " in out


def test_exit_status_per_verdict(monkeypatch, capsys):
    """3 for a claim not reproduced, 1 when a negative control is accepted (it outranks the verdicts)."""
    from verify import evidence

    def measurement(passed, **kw):
        return evidence.Measurement([evidence.Comparison("q", 0.0 if passed else 2.0, 1.0)], {"q": 0.0}, None, "q", **kw)

    from verify import rules

    cli_claim = verify.get("thm6-attractors")
    claim = verify.Claim(**{**cli_claim.__dict__, "expect": None, "empirical": True,
                            "rule": rules.Rule("q", "w", rules.TYPICAL, "d"), "regime": rules.Regime("p", {}, dict)})
    monkeypatch.setitem(verify.registry.REGISTRY, "thm6-attractors", verify.Claim(**{
        **claim.__dict__, "check": lambda d, c: measurement(False, scope="largest size tried: 1"),
        "negative_control": lambda d, c: measurement(False)}))
    assert cli.main(["--profile", "quick", "--claim", "thm6-attractors", "--backend", "numpy"]) == 3
    assert "not-reproduced" in capsys.readouterr().out
    monkeypatch.setitem(verify.registry.REGISTRY, "thm6-attractors", verify.Claim(**{
        **claim.__dict__, "empirical": True, "check": lambda d, c: measurement(True, inconclusive=["seed 1: budget"]),
        "negative_control": lambda d, c: measurement(False)}))
    assert cli.main(["--profile", "quick", "--claim", "thm6-attractors", "--backend", "numpy"]) == 7
    out = capsys.readouterr().out
    assert "inconclusive" in out and "undecided: seed 1: budget" in out and "1 inconclusive" in out
    monkeypatch.setitem(verify.registry.REGISTRY, "thm6-attractors", verify.Claim(**{
        **cli_claim.__dict__, "check": lambda d, c: measurement(True), "negative_control": lambda d, c: measurement(True)}))
    assert cli.main(["--profile", "quick", "--claim", "thm6-attractors", "--backend", "numpy"]) == 1
    assert "ACCEPTED" in capsys.readouterr().out


def test_terminal_reason_column_fits_the_width(monkeypatch):
    env = {**os.environ, "COLUMNS": "140"}
    proc = subprocess.run([sys.executable, "-m", "verify", "--profile", "quick", "--claim", "thm3-stable-fixed-points"],
                          capture_output=True, text=True, env=env, cwd=ROOT)
    lines = proc.stdout.splitlines()
    assert lines and all(len(line) <= 140 for line in lines)
    at = next(i for i, line in enumerate(lines) if line.startswith("thm3-"))
    assert lines[at + 1].strip().startswith("proof: relu") and not any(line.endswith("...") for line in lines)


def _wrong_svd(real):
    """An SVD whose basis is slightly rotated: the predicted projection is then wrong."""
    from theory import linear as lin

    def wrong(X, **kw):
        s = real(X, **kw)
        Vt = s.Vt + 1e-3 * s.Vt[::-1, :]
        return lin.DataSVD(s.U, s.s, Vt, s.rank, s.shape)

    return wrong


def test_console_script_is_declared():
    text = (ROOT / "pyproject.toml").read_text()
    assert 'memverify = "verify.cli:main"' in text


def test_activation_flag_and_user_data_in_range(tmp_path):
    path = tmp_path / "X.npy"
    rng = np.random.default_rng(0)
    np.save(path, 0.1 + 0.3 * rng.random((3, 12)))  # in (0, 0.5): Assumption 1 holds for every activation
    proc = run_cli("--profile", "quick", "--data", str(path), "--claim", "thm1-adaptive-step",
                   "--activation", "sigmoid", "--activation", "tanh")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 claims: 1 hold" in proc.stdout
    assert_user_error(run_cli("--profile", "quick", "--activation", "relu6"), "unknown activation 'relu6'")


def test_user_data_outside_the_activation_range_exits_2(tmp_path):
    path = tmp_path / "X.npy"
    np.save(path, np.random.default_rng(0).standard_normal((3, 12)))
    assert_user_error(run_cli("--profile", "quick", "--data", str(path), "--claim", "cor-phi-span"),
                      "outside the range")


def test_figures_are_written_as_png(tmp_path):
    out = tmp_path / "figs"
    proc = run_cli("--profile", "quick", "--claim", "thm3-stable-fixed-points", "--claim", "thm6-attractors",
                   "--figures", str(out))
    assert proc.returncode == 4  # thm3 is refuted, as measured
    names = sorted(p.name for p in out.iterdir())
    assert names == ["thm3-stable-fixed-points.png", "thm6-attractors.png"]
    for p in out.iterdir():
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 10_000
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert_user_error(run_cli("--profile", "quick", "--claim", "thm6-attractors", "--figures", str(blocker)),
                      "is a file")


def test_an_internal_error_is_one_line_and_status_5(monkeypatch, capsys):
    def boom(*args, **kwargs):
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr("verify.runner.run", boom)
    monkeypatch.delenv("MEMVERIFY_DEBUG", raising=False)
    assert cli.main(["--profile", "quick", "--claim", "linear-min-norm"]) == 5
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "internal error: ZeroDivisionError" in err and "please report it" in err
    monkeypatch.setenv("MEMVERIFY_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        cli.main(["--profile", "quick", "--claim", "linear-min-norm"])


def test_help_documents_every_exit_status():
    proc = run_cli("--help")
    text = " ".join(proc.stdout.split())
    for code in ("0 every claim holds", "1 a negative control was accepted", "3 a claim was not reproduced",
                 "4 a claim was refuted", "7 no run could decide a claim", "2 usage or input error", "5 internal error", "130 interrupted"):
        assert code in text


def test_the_memory_plan_uses_the_users_data(tmp_path, capsys):
    """A (3, 200000) training set: the dense linear trainer's d x d matrices (298 GiB each) are
    refused before anything runs, from the data's own d, not the profile's."""
    import numpy as np

    path = tmp_path / "wide.npy"
    np.save(path, np.random.default_rng(0).random((3, 200_000)))
    from verify.cli import main

    status = main(["--claim", "linear-min-norm", "--profile", "quick", "--data", str(path), "--quiet"])
    err = capsys.readouterr().err
    assert status == 2 and "need more memory" in err and "200000 x 200000" in err and "Traceback" not in err


def test_a_run_that_verifies_nothing_exits_6(tmp_path, capsys):
    """Every claim's hypotheses not met (tanh on negative data, beyond Assumption 1): exit 6 and a
    summary that says nothing was verified, not a silent 0."""
    import numpy as np

    from verify.cli import main

    path = tmp_path / "neg.npy"
    np.save(path, -0.5 * np.random.default_rng(0).random((6, 48)))
    status = main(["--claim", "thm1-beyond-assumptions", "--profile", "quick", "--data", str(path), "--activation",
                   "tanh", "--quiet"])
    assert status == 6 and "NOTHING VERIFIED" in capsys.readouterr().out


def test_terminal_lines_fit_the_terminal_and_a_missing_report_is_named(tmp_path, capsys, monkeypatch):
    import numpy as np

    from verify.cli import main

    monkeypatch.setenv("COLUMNS", "100")
    path = tmp_path / "neg.npy"
    np.save(path, -0.5 * np.random.default_rng(0).random((6, 48)))  # long hypothesis-not-met lines
    main(["--claim", "thm1-beyond-assumptions", "--claim", "linear-min-norm", "--profile", "quick", "--data",
          str(path), "--activation", "tanh"])
    out = capsys.readouterr().out
    assert max(len(l) for l in out.splitlines() if "hypothesis not met:" in l) <= 100
    assert "no HTML/Markdown report written (add --report DIR" in out


def test_the_terminal_fits_80_columns_and_shows_every_reason(monkeypatch, capsys):
    """Issue 30: at COLUMNS=80 no line is wider than 80, and each reason is shown whole (wrapped
    under its row, not cut), also where the hypotheses are not met."""
    from verify.cli import main

    monkeypatch.setenv("COLUMNS", "80")
    claims = ["linear-min-norm", "thm1-beyond-assumptions", "thm3-stable-fixed-points"]
    main(["--profile", "quick", *[a for c in claims for a in ("--claim", c)]])
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 80
    import verify

    joined = " ".join(line.strip() for line in out.splitlines())
    for ev in verify.run(claims, profile="quick").evidence:
        if ev.reason:
            assert ev.reason in joined, ev.reason
