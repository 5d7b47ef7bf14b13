"""Outputs are all-or-nothing: targets checked before the run, staged beside them, renamed together
with SIGINT and SIGTERM held off; an interrupt before that leaves earlier outputs as they were and
no staged file behind."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from theory.errors import InputError
from verify import cli
from verify.outputs import Outputs, check_dir_target, check_file_target, deferred_signals

CLAIM = ["--claim", "cor-phi-span", "--profile", "quick"]


@pytest.fixture(autouse=True)
def interactive_sigint():
    """Python's own SIGINT handler, as in a terminal: a suite started in the background (``cmd &``,
    nohup) inherits SIGINT ignored, and a process that inherits an ignored SIGINT rightly keeps
    ignoring it, which is not what these tests model."""
    before = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def leftovers(directory: Path) -> list:
    return sorted(p.name for p in directory.rglob(".*") if p.name.endswith((".tmp", ".old", ".probe", ".png")))


def run_cli(capsys, *argv):
    status = cli.main(list(argv))
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return status, err


@pytest.mark.parametrize("flag", ["--json", "--save-baseline"])
def test_a_link_target_is_refused_and_left_alone(tmp_path, capsys, flag):
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    status, err = run_cli(capsys, *CLAIM, flag, str(link))
    assert status == 2 and "symbolic link" in err and flag in err
    assert link.is_symlink() and real.read_text() == "old"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("flag", ["--figures", "--report"])
def test_a_link_directory_is_refused(tmp_path, capsys, flag):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "linked"
    link.symlink_to(real)
    status, err = run_cli(capsys, *CLAIM, flag, str(link))
    assert status == 2 and "symbolic link" in err
    assert link.is_symlink() and list(real.iterdir()) == []


def test_a_fifo_or_device_target_is_refused(tmp_path, capsys):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    status, err = run_cli(capsys, *CLAIM, "--json", str(fifo))
    assert status == 2 and "not a regular file" in err
    if Path("/dev/null").exists():
        status, err = run_cli(capsys, *CLAIM, "--save-baseline", "/dev/null")
        assert status == 2 and "not a regular file" in err
        assert Path("/dev/null").is_char_device()


def test_unwritable_or_missing_places_are_refused_before_the_run(tmp_path, capsys):
    cases = [("--json", str(tmp_path / "missing" / "r.json"), "does not exist"),
             ("--save-baseline", str(tmp_path), "is a directory"),
             ("--figures", str(tmp_path / "f.txt"), "is a file")]
    (tmp_path / "f.txt").write_text("x")
    if Path("/proc/self").is_dir():  # writable by no one, root included
        cases += [("--json", "/proc/memverify.json", "cannot write"), ("--report", "/proc/memverify-report", "cannot write")]
    for flag, path, fragment in cases:
        t = time.perf_counter()
        status, err = run_cli(capsys, "--claim", "thm1-constant-step", "--profile", "default", flag, path)
        assert status == 2 and fragment in err and flag in err, (flag, path, err)
        assert time.perf_counter() - t < 10  # refused before the 30-second claim ran


def test_json_and_baseline_on_one_path_are_refused(tmp_path, capsys):
    path = tmp_path / "same.json"
    status, err = run_cli(capsys, *CLAIM, "--json", str(path), "--save-baseline", str(tmp_path / "." / "same.json"))
    assert status == 2 and "same file" in err and not path.exists()


def test_report_replaces_its_figures_and_keeps_the_users_files(tmp_path, capsys):
    d = tmp_path / "rep"
    (d / "figures").mkdir(parents=True)
    (d / "figures" / "stale-claim.png").write_bytes(b"old")
    (d / "notes.txt").write_text("mine")
    figs = tmp_path / "figs"
    figs.mkdir()
    (figs / "sec3-contraction.png").write_bytes(b"an earlier run's")  # ours, not produced now: removed
    (figs / "holiday.png").write_bytes(b"the user's")  # not ours: kept
    status, _ = run_cli(capsys, "--claim", "thm3-stable-fixed-points", "--profile", "quick", "--report", str(d),
                        "--figures", str(figs))
    assert status in (0, 3, 4)
    assert (d / "report.html").is_file() and (d / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in (d / "figures").iterdir()) == ["thm3-stable-fixed-points.png"]
    assert sorted(p.name for p in figs.iterdir()) == ["holiday.png", "thm3-stable-fixed-points.png"]
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_in_the_writing_phase_leaves_the_earlier_outputs(tmp_path, capsys, monkeypatch, sig):
    """A real signal (os.kill) while the report is being staged: exit 130 / 143, the earlier JSON,
    baseline, figures and report exactly as they were, no staged file behind."""
    import verify.human as human

    paths = {"--json": tmp_path / "r.json", "--save-baseline": tmp_path / "b.json"}
    for p in paths.values():
        p.write_text("earlier")
    rep = tmp_path / "rep"
    rep.mkdir()
    (rep / "report.html").write_text("earlier")
    real = human.write_report

    def interrupted(report, directory, *formats):
        real(report, directory, *formats)  # the staged report is complete ...
        os.kill(os.getpid(), sig)  # ... when the signal comes, before the renames
        time.sleep(1)

    monkeypatch.setattr(human, "write_report", interrupted)
    argv = [*CLAIM, "--report", str(rep)] + [x for flag, p in paths.items() for x in (flag, str(p))]
    status, err = run_cli(capsys, *argv)
    assert status == (130 if sig == signal.SIGINT else 143), err
    assert "no output written" in err
    assert all(p.read_text() == "earlier" for p in paths.values())
    assert sorted(p.name for p in rep.iterdir()) == ["report.html"] and (rep / "report.html").read_text() == "earlier"
    assert leftovers(tmp_path) == []


def test_signals_during_the_commit_wait_for_it():
    """deferred_signals holds SIGTERM and SIGINT until its block is done, then raises once."""
    done = []
    with pytest.raises(KeyboardInterrupt, match="SIGTERM"):
        with deferred_signals():
            os.kill(os.getpid(), signal.SIGTERM)
            os.kill(os.getpid(), signal.SIGINT)
            done.append(1)
    assert done == [1]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_staged_outputs_commit_together_or_not_at_all(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("old a")
    with Outputs() as out:
        out.file(a, "new a")
        out.file(b, b"new b")
        d = out.directory(tmp_path / "d")
        (d / "x.png").write_bytes(b"x")
        assert a.read_text() == "old a" and not b.exists()
    assert a.read_text() == "old a" and not b.exists() and not (tmp_path / "d").exists()  # left without a commit
    assert leftovers(tmp_path) == []
    with Outputs() as out:
        out.file(a, "new a")
        out.file(b, b"new b")
        (out.directory(tmp_path / "d") / "x.png").write_bytes(b"x")
        out.commit()
    assert a.read_text() == "new a" and b.read_text() == "new b" and (tmp_path / "d" / "x.png").is_file()
    assert leftovers(tmp_path) == []


def test_target_checks_name_the_problem(tmp_path):
    with pytest.raises(InputError, match="--json 'nowhere/x.json': directory 'nowhere' does not exist"):
        check_file_target("nowhere/x.json", "--json")
    (tmp_path / "f").write_text("")
    with pytest.raises(InputError, match="is a file; give a directory"):
        check_dir_target(tmp_path / "f", "--report")
    assert check_file_target(tmp_path / "new.json", "--json") == tmp_path / "new.json"
    assert leftovers(tmp_path) == []


def test_sigterm_to_a_real_run_leaves_a_complete_file_or_the_old_one(tmp_path):
    """A SIGTERM at an arbitrary moment of a real run (a subprocess): the JSON is the old text or
    a complete new report, and no staged file is left behind."""
    target = tmp_path / "r.json"
    target.write_text("old")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    proc = subprocess.Popen([sys.executable, "-m", "verify", *CLAIM, "--quiet", "--json", str(target)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.0)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert "Traceback" not in err
    text = target.read_text()
    assert text == "old" and proc.returncode == 143 or json.loads(text)["claims"]
    assert leftovers(tmp_path) == []


def test_the_api_writer_refuses_links_too(tmp_path):
    from verify.report import write_atomic

    real = tmp_path / "real.txt"
    real.write_text("old")
    (tmp_path / "link.txt").symlink_to(real)
    with pytest.raises(InputError, match="symbolic link"):
        write_atomic(tmp_path / "link.txt", "new")
    assert real.read_text() == "old"
    write_atomic(tmp_path / "plain.txt", "new")
    assert (tmp_path / "plain.txt").read_text() == "new" and leftovers(tmp_path) == []
