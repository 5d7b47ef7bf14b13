"""What the two command lines (``python -m verify`` and ``memverify analyze``) share: a parser that
fails in one line, the argument types, the output targets checked before anything runs, and the
outputs staged and renamed together."""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

from theory.errors import InputError

from .outputs import Outputs, check_dir_target, check_file_target


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (``PROG: error: ... (see --help)``) and exit 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def wrap(text: str, width: int) -> str:
    """``text`` wrapped to the terminal's ``width`` (continuation lines indented), never cut."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width=max(40, width), subsequent_indent="    ")) or text


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


INPUT_FLAGS = ("data", "starts", "compare", "model", "jacobian")  # the arguments that name files a run reads
OUTPUT_FLAGS = ("json", "save_baseline", "figures", "report")


def absolute_targets(args) -> None:
    """Every input and output path of ``args`` made absolute, so that a model whose import changes
    the working directory reads and writes where the user meant (``args.given`` keeps the paths as
    typed, for the reports)."""
    args.given = {name: getattr(args, name, None) for name in INPUT_FLAGS + OUTPUT_FLAGS}
    for name in ("data", "starts", "compare", "json", "save_baseline", "figures", "report"):
        value = getattr(args, name, None)
        if value:
            setattr(args, name, os.path.abspath(value))


def _input_files(args) -> list:
    """``(flag, path)`` of the existing files ``args`` reads (a model's or Jacobian's ``.py`` file too)."""
    out = []
    for name in INPUT_FLAGS:
        value = getattr(args, name, None)
        if not value:
            continue
        path = value.rsplit(":", 1)[0] if name in ("model", "jacobian") else value
        if os.path.isfile(path):
            out.append(("--" + name.replace("_", "-"), Path(path)))
    return out


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)  # through links and hard links
    except OSError:
        return False


def _inside(path: Path, directory: Path) -> bool:
    path, directory = Path(os.path.realpath(path)), Path(os.path.realpath(directory))
    return path == directory or directory in path.parents


def check_targets(args, report_dir) -> None:
    """Every output path is checked before anything runs (one line, exit 2): a target that cannot be
    written, one output inside another, and any output that is also an input (the same file, through
    links too, or an input inside an output directory) are refused."""
    for flag, path in (("--json", args.json), ("--save-baseline", args.save_baseline), ("--report", report_dir),
                       ("--figures", args.figures)):
        if path is not None and not str(path).strip():
            raise InputError(f"{flag} names no path (an empty string); give one or drop {flag}")
    files = [(flag, path) for flag, path in (("--json", args.json), ("--save-baseline", args.save_baseline)) if path]
    for flag, path in files:
        if str(path).endswith(("/", os.sep)):
            raise InputError(f"{flag} {path!r} ends in a separator (a directory); give a file name")
        check_file_target(path, flag)
    if len(files) == 2 and Path(files[0][1]).resolve() == Path(files[1][1]).resolve():
        raise InputError(f"--json and --save-baseline name the same file {files[0][1]!r}; give each its own")
    dirs = [(flag, d) for flag, d in (("--figures", args.figures), ("--report", report_dir)) if d]
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
    if len(dirs) == 2 and (_inside(dirs[0][1], dirs[1][1]) or _inside(dirs[1][1], dirs[0][1])):
        raise InputError(f"--figures {dirs[0][1]!r} and --report {dirs[1][1]!r} overlap; give each its own directory")
    replaced = [(flag, w) for flag, d in dirs for w in _replaced(flag, Path(d))]
    for flag, path in files:
        for dflag, d in dirs:
            if os.path.realpath(path) == os.path.realpath(d):
                raise InputError(f"{flag} {path!r} is the {dflag} directory; write {flag} elsewhere")
        for dflag, w in replaced:
            if _inside(Path(path), w):
                raise InputError(f"{flag} {path!r} is where {dflag} writes {str(w)!r}; write {flag} elsewhere")
    for iflag, source in _input_files(args):
        for flag, path in files:
            if _same_file(source, Path(path)):
                raise InputError(f"{flag} {path!r} is the {iflag} file this run reads; write {flag} elsewhere")
        for dflag, w in replaced:
            if _inside(source, w):
                raise InputError(f"{iflag} {str(source)!r} lies where {dflag} writes {str(w)!r}, which is replaced "
                                 f"whole; move it or write {dflag} elsewhere")


def _replaced(flag: str, d: Path) -> list:
    """What an output directory's writing replaces: all of --figures; --report's two reports and figures/."""
    return [d] if flag == "--figures" else [d / "report.html", d / "report.md", d / "figures"]


def write_outputs(args, report, report_dir, outputs: Outputs):
    """Stage every output beside its target, then rename them all into place (signals deferred)."""
    from .registry import all_claims
    from .report import json_text

    from .escape import anchor

    from .figures import FORMATS

    formats = FORMATS[getattr(args, "figure_format", None) or "png"]
    ours = {f"{anchor(c.id)}.{fmt}" for c in all_claims() for fmt in ("png", "svg")}
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
            figures = [Path(args.figures) / p.name for p in write_figures(report, staged, draw, formats)]
        if report_dir:
            from .human import write_report

            write_report(report, outputs.directory(report_dir), formats)
            written = Path(report_dir) / "report.html"
        outputs.commit()
    return figures, written
