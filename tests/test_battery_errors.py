"""Issue 35, item 5: a full disk is an input error (one line, exit 2, nothing staged left, earlier
outputs intact), a step factor at the stability limit is a usage error, and the program's own
arithmetic warnings on a diverging step or map are handled, not printed."""

import errno
import os

import numpy as np
import pytest

from verify.cli import main

ONE = ["--claim", "linear-min-norm", "--profile", "quick"]
DRAWN = ["--claim", "thm6-attractors", "--profile", "quick"]  # an exact claim with a figure


def _full_disk(monkeypatch):
    def fail(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("verify.outputs.os.fsync", fail)  # every staged file
    monkeypatch.setattr("matplotlib.figure.Figure.savefig", fail)  # every figure


@pytest.mark.parametrize("flag", ["--json", "--save-baseline", "--report", "--figures"])
def test_a_full_disk_is_one_line_and_exit_2(flag, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    target = "out" if flag in ("--report", "--figures") else "out.json"
    one = DRAWN if flag == "--figures" else ONE
    assert main([*one, "--quiet", flag, target]) == 0
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    digests = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    capsys.readouterr()
    _full_disk(monkeypatch)
    assert main([*one, "--quiet", flag, target]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No space left on device" in err and "Traceback" not in err
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before  # nothing staged is left
    assert all(p.read_bytes() == b for p, b in digests.items())  # the earlier outputs as they were


def test_a_full_disk_under_analyze(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    np.save("X.npy", np.random.default_rng(0).uniform(0.1, 0.9, (4, 6)))
    (tmp_path / "m.py").write_text("def f(Z):\n    return 0.5 * Z\n")
    _full_disk(monkeypatch)
    assert main(["analyze", "--model", "m.py:f", "--data", "X.npy", "--quiet", "--json", "a.json"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No space left" in err
    assert sorted(os.listdir(tmp_path)) == ["X.npy", "m.py"]


@pytest.mark.parametrize("factor", ["2", "2.5"])
def test_a_step_factor_at_the_stability_limit_is_a_usage_error(factor, capsys):
    assert main([*ONE, "--quiet", "--step-factor", factor]) == 2
    err = capsys.readouterr().err
    assert "stability limit" in err and "below 2" in err and err.count("\n") == 1


def test_own_arithmetic_warnings_are_not_printed(tmp_path, monkeypatch, capsys):
    assert main(["--claim", "thm1-adaptive-step", "--profile", "quick", "--quiet", "--step-factor", "1e300"]) == 2
    err = capsys.readouterr().err
    assert "RuntimeWarning" not in err and err.count("\n") == 1
    monkeypatch.chdir(tmp_path)
    np.save("X.npy", np.random.default_rng(0).uniform(0.1, 0.9, (5, 8)))
    (tmp_path / "m.py").write_text("def f(Z):\n    return Z * 1e200\n")  # a map that blows up as it is iterated
    with np.errstate(over="ignore"):  # the user's own map's overflow is the user's to see or silence
        main(["analyze", "--model", "m.py:f", "--data", "X.npy", "--quiet"])
    err = capsys.readouterr().err
    assert "theory" not in err and "RuntimeWarning" not in err
