"""Issue 28: no output ever replaces an input, and no output lies inside another. Each case exits 2
before anything runs, with a message naming both, and leaves every input file as it was."""

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from verify.cli import main

ONE = ["--claim", "linear-min-norm", "--profile", "quick", "--quiet"]


def _digests(tmp: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(tmp.rglob("*")) if p.is_file()}


@pytest.fixture
def inputs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    np.save(tmp_path / "X.npy", np.random.default_rng(0).uniform(0.1, 0.9, (3, 12)))
    (tmp_path / "m.py").write_text("def f(Z):\n    return Z\n")
    (tmp_path / "rep").mkdir()
    (tmp_path / "rep" / "report.md").write_text("an earlier report\n")
    os.symlink(tmp_path / "X.npy", tmp_path / "link.npy")
    assert main([*ONE, "--save-baseline", "B.json"]) == 0
    return tmp_path


@pytest.mark.parametrize("argv, says", [
    ([*ONE, "--data", "X.npy", "--json", "X.npy"], "is the --data file"),
    ([*ONE, "--data", "X.npy", "--save-baseline", "X.npy"], "is the --data file"),
    ([*ONE, "--data", "link.npy", "--json", "X.npy"], "is the --data file"),  # through a link
    (["--compare", "B.json", "--json", "B.json", "--quiet"], "is the --compare file"),
    ([*ONE, "--report", "rep", "--json", "rep"], "is a directory"),
    ([*ONE, "--report", "new", "--json", "new"], "is the --report directory"),
    ([*ONE, "--report", "rep", "--json", "rep/report.md"], "is where --report writes"),
    ([*ONE, "--figures", "x", "--save-baseline", "x"], "is the --figures directory"),
    ([*ONE, "--figures", "figs", "--report", "figs"], "overlap"),
    (["analyze", "--model", "m.py:f", "--data", "X.npy", "--json", "m.py"], "is the --model file"),
    (["analyze", "--model", "m.py:f", "--data", "X.npy", "--json", "X.npy"], "is the --data file"),
    (["analyze", "--model", "m.py:f", "--data", "X.npy", "--save-baseline", "m.py"], "is the --model file"),
])
def test_an_output_that_is_an_input_is_refused(inputs, capsys, argv, says):
    before = _digests(inputs)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert _digests(inputs) == before


def test_a_model_that_changes_directory_does_not_move_the_outputs(inputs, tmp_path, capsys):
    """Targets are made absolute before the model is imported."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (inputs / "cd.py").write_text(f"import os\nos.chdir({str(elsewhere)!r})\n\ndef f(Z):\n    return Z\n")
    assert main(["analyze", "--model", "cd.py:f", "--data", "X.npy", "--json", "out.json", "--quiet"]) in (0, 1, 3, 4)
    os.chdir(inputs)
    assert (inputs / "out.json").is_file() and not (elsewhere / "out.json").exists()


ROOT = Path(__file__).resolve().parents[1]


def _cli(args, cwd, **env):
    import subprocess
    import sys

    full = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    return subprocess.run([sys.executable, "-m", "verify", *args], cwd=cwd, env=full, capture_output=True)


def test_odd_environments_are_not_bugs(tmp_path):
    """Issue 28: a nonsense MPLBACKEND with --figures, an ASCII terminal and a non-ASCII report path,
    a report path that is no valid UTF-8, a full standard output, a legal 245-character --json name
    (and a name too long for the file system, refused in one line): never exit 5."""
    one = ["--claim", "linear-min-norm", "--profile", "quick"]
    p = _cli([*one, "--quiet", "--figures", "figs"], tmp_path, MPLBACKEND="nonsense")
    assert p.returncode == 0 and (tmp_path / "figs").is_dir(), p.stderr
    p = _cli([*one, "--report", "rép"], tmp_path, PYTHONIOENCODING="ascii")
    assert p.returncode == 0 and b"r\\xe9p" in p.stdout, p.stderr
    p = _cli([*one, "--quiet", "--report", os.fsdecode(b"r\xff")], tmp_path)
    assert p.returncode == 0 and (tmp_path / os.fsdecode(b"r\xff") / "report.html").is_file(), p.stderr
    with open("/dev/full", "w") as full:
        import subprocess
        import sys

        q = subprocess.run([sys.executable, "-m", "verify", *one], cwd=tmp_path, stdout=full, stderr=subprocess.PIPE,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert q.returncode == 2 and b"cannot write to standard output" in q.stderr
    p = _cli([*one, "--quiet", "--json", "a" * 245 + ".json"], tmp_path)
    assert p.returncode == 0 and (tmp_path / ("a" * 245 + ".json")).is_file(), p.stderr
    p = _cli([*one, "--quiet", "--json", "a" * 300 + ".json"], tmp_path)
    assert p.returncode == 2 and b"bytes long" in p.stderr and b"Traceback" not in p.stderr
