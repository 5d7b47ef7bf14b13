"""Command line: ``python -m verify`` / ``memverify``.

Exit status: 0 when no claim fails and every negative control is rejected, 1 otherwise,
2 for usage or input errors (one line on stderr, no traceback), 130 when interrupted.
"""

from __future__ import annotations

import argparse
import math
import sys

from pathlib import Path

from theory.errors import InputError, MemverifyError

from . import report as rep
from .profiles import PROFILES

PROG = "memverify"


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        self.exit(2, f"{PROG}: error: {message} (see --help)\n")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed must be a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"seed must be a non-negative integer, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog=PROG,
        description="Verify the claims of 'Memorization in Overparameterized Autoencoders' numerically: "
        "closed form vs. explicit gradient descent, with a negative control per claim.",
    )
    p.add_argument("--list", action="store_true", help="print the claims table (Markdown) and exit")
    p.add_argument("--claim", action="append", metavar="ID", help="run only this claim (repeatable)")
    p.add_argument("--profile", default="default", choices=list(PROFILES), help="problem sizes (default: default)")
    p.add_argument("--backend", default=None,
                   help="numpy | cupy | auto | array_api_strict (default: $MEMVERIFY_BACKEND or auto)")
    p.add_argument("--seed", type=_seed, default=0, help="seed of all generated data (default 0)")
    p.add_argument("--step-factor", type=_positive_float, default=1.0, metavar="F",
                   help="scale every gradient-descent step by F (linear: eta = F / lambda_max; F >= 2 diverges)")
    p.add_argument("--activation", action="append", metavar="NAME",
                   help="restrict the nonlinear claims to this activation (repeatable): "
                   "sigmoid, tanh, softplus, exp_neg, neg_tanh")
    p.add_argument("--data", metavar="FILE", help="your training set (.npy/.npz/.csv, one example per row) "
                   "for the claims that take data")
    p.add_argument("--data-dir", metavar="DIR", help="directory with MNIST (IDX files) and/or CIFAR-10 (python "
                   "batches), used by the claims the paper ran on them (default: $MEMVERIFY_DATA_DIR, else the "
                   "bundled scikit-learn digits)")
    p.add_argument("--json", metavar="PATH", help="write the JSON report here (atomically)")
    p.add_argument("--figures", metavar="DIR", help="write the claims' figures (PNG) into this directory")
    p.add_argument("--quiet", action="store_true", help="print only the summary line")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.list:
            print(rep.claims_markdown())
            return 0
        from .datasets import load_matrix
        from .runner import run

        data = None if args.data is None else {"X": load_matrix(args.data)}
        if args.json:
            _check_writable(args.json)
        if args.figures and Path(args.figures).exists() and not Path(args.figures).is_dir():
            raise InputError(f"--figures {args.figures!r} is a file; give a directory")
        report = run(args.claim, profile=args.profile, backend=args.backend, seed=args.seed,
                     step_factor=args.step_factor, activations=args.activation, data=data, data_dir=args.data_dir)
        if args.json:
            rep.write_json(report, args.json)
        figures = []
        if args.figures:
            from .figures import write_figures

            figures = write_figures(report, args.figures)
    except MemverifyError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; no report written", file=sys.stderr)
        return 130
    if not args.quiet:
        prov = report.provenance
        print(f"profile {prov['profile']}, backend {prov['backend']} ({prov['device']}), seed {prov['seed']}")
        print(rep.table([rep.evidence_row(e) for e in report.evidence]))
        for e in report.evidence:
            for v in e.measurement.violations:
                print(f"  {e.id}: hypothesis not met: {v}")
        if args.json:
            print(f"JSON report: {args.json}")
        for path in figures:
            print(f"figure: {path}")
    print(rep.summary(report))
    return 0 if report.ok else 1


def _check_writable(path) -> None:
    parent = Path(path).resolve().parent
    if not parent.is_dir():
        raise InputError(f"cannot write the JSON report: directory {str(parent)!r} does not exist")
    if Path(path).is_dir():
        raise InputError(f"cannot write the JSON report: {path!r} is a directory; give a file name")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
