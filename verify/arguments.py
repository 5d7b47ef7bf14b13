"""What the two command lines (``python -m verify`` and ``memverify analyze``) share: a parser that
fails in one line, the argument types, the output targets checked before anything runs, and the
outputs staged and renamed together."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from theory.errors import InputError

from .outputs import Outputs, check_dir_target, check_file_target


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (``PROG: error: ... (see --help)``) and exit 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def positive_float(text: str) -> float:
    """An argument that must be a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text!r}")
    return value


def seed(text: str) -> int:
    """An argument that must be a non-negative integer (a seed)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed must be a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"seed must be a non-negative integer, got {text!r}")
    return value


def check_targets(args, report_dir) -> None:
    """Every output path is checked before anything runs (one line, exit 2)."""
    files = [(flag, path) for flag, path in (("--json", args.json), ("--save-baseline", args.save_baseline)) if path]
    for flag, path in files:
        check_file_target(path, flag)
    if len(files) == 2 and Path(files[0][1]).resolve() == Path(files[1][1]).resolve():
        raise InputError(f"--json and --save-baseline name the same file {files[0][1]!r}; give each its own")
    if args.figures:
        check_dir_target(args.figures, "--figures")
    if report_dir:
        d = check_dir_target(report_dir, "--report")
        for name in ("report.html", "report.md"):
            if (d / name).exists() or (d / name).is_symlink():
                check_file_target(d / name, "--report")
        sub = d / "figures"
        if sub.is_symlink() or (sub.exists() and not sub.is_dir()):
            raise InputError(f"--report {str(d)!r}: {str(sub)!r} is a link or a file, where the report keeps its "
                             "figures; move it away or choose another directory")


def write_outputs(args, report, report_dir, outputs: Outputs):
    """Stage every output beside its target, then rename them all into place (signals deferred)."""
    from .registry import all_claims
    from .report import json_text

    ours = {f"{c.id}.png" for c in all_claims()}
    figures, written = [], None
    with outputs:
        if args.json:
            outputs.file(args.json, json_text(report))
        if args.save_baseline:
            from .baseline import baseline_text

            outputs.file(args.save_baseline, baseline_text(report))
        if args.figures:
            from .figures import write_figures

            staged = outputs.directory(args.figures, stale=lambda t, new: sorted(ours - set(new)))
            draw = {c.id: c.figure for c in all_claims() if c.figure is not None}
            figures = [Path(args.figures) / p.name for p in write_figures(report, staged, draw)]
        if report_dir:
            from .human import write_report

            write_report(report, outputs.directory(report_dir))
            written = Path(report_dir) / "report.html"
        outputs.commit()
    return figures, written
