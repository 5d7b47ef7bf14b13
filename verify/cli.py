"""Command line: ``python -m verify`` / ``memverify``.

Exit status (the largest that applies, 1 first):

* 0: every claim holds or its hypotheses are not met, and every applicable negative control was rejected;
* 1: a negative control was accepted (a check could not tell a wrong prediction from a right one);
* 3: a claim was not reproduced (and none refuted);
* 4: a claim was refuted;
* 7: no run could decide a claim (none refuted or not reproduced): it is inconclusive;
* 6: nothing was verified: every claim's hypotheses were not met (on the data given);
* 2: usage or input errors (one line on stderr, no traceback); 130: interrupted (Ctrl-C), 143:
  terminated (SIGTERM); either way no output is written and earlier outputs are left as they were;
* 5: an internal error (a bug in memverify: one line naming it and where to report it; set
  ``MEMVERIFY_DEBUG=1`` for the traceback).

With ``--compare`` the status is 1 when the run regressed against the baseline, else 0; with
``--save-baseline`` it is 0 once the baseline is saved (the baseline records the verdicts as
measured, whatever they are).
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
import warnings
from pathlib import Path

from theory.errors import InputError, MemverifyError

from . import report as rep
from .escape import TerminalStream, plain, raw_stream
from .arguments import OneLineParser, check_targets, positive_float, seed, wrap, write_outputs
from .outputs import Outputs, terminate_as_interrupt
from .profiles import PROFILES

PROG = "memverify"
DEFAULT_REPORT = "memverify-report"
INTERNAL_ERROR = 5
# the modules whose RuntimeWarnings (overflow, invalid values on a diverging map or step) the CLI
# handles itself: every such case ends in a verdict or a one-line error; a user's model's are shown
OWN_MODULES = r"(theory|verify|gpu|numpy|scipy)(\.|$)"
EXIT_CODES = ("exit status: 0 every claim holds or its hypotheses are not met and every negative control was "
              "rejected; 1 a negative control was accepted; 3 a claim was not reproduced; 4 a claim was refuted; "
              "7 no run could decide a claim (the most severe that applies: 1, 4, 3, 7); 6 nothing verified (every claim's hypotheses not met); 2 usage or input error; 5 internal error; 130 interrupted, 143 terminated (no output written). "
              "--compare: 1 on a regression, else 0; --save-baseline: 0 once saved.")


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(
        prog=PROG,
        description="Verify the claims of 'Memorization in Overparameterized Autoencoders' numerically: "
        "closed form vs. explicit gradient descent, with a negative control per claim. Your own trained "
        "autoencoder: memverify analyze --model MODULE:ATTR --data X.npy (see: python -m verify analyze --help).",
        epilog=EXIT_CODES,
    )
    p.add_argument("--list", action="store_true", help="print the claims table (Markdown) and exit")
    p.add_argument("--claim", action="append", metavar="ID", help="run only this claim (repeatable)")
    p.add_argument("--profile", default=None, choices=list(PROFILES), help="problem sizes (default: default)")
    p.add_argument("--backend", default=None,
                   help="numpy | cupy | jax | dask | auto | array_api_strict (default: $MEMVERIFY_BACKEND or auto; auto: cupy where a GPU is usable, else numpy)")
    p.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="dask scheduler address (tcp://host:port) for --backend dask (default: "
                   "$MEMVERIFY_DASK_SCHEDULER, else a LocalCluster started here)")
    p.add_argument("--dtype", default=None, choices=["float64", "float32"],
                   help="floating type of every array (default float64; tolerances follow its rounding unit)")
    p.add_argument("--seed", type=seed, default=None, help="seed of all generated data (default 0)")
    p.add_argument("--step-factor", type=positive_float, default=1.0, metavar="F",
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
    p.add_argument("--figure-format", choices=("png", "svg", "both"), default="png",
                   help="the figures' format for --figures and --report: png (default), svg, or both (SVG beside PNG)")
    p.add_argument("--report", metavar="DIR", help="write the human report: DIR/report.html (self-contained, "
                   f"figures embedded) and DIR/report.md; the bare main job writes it to {DEFAULT_REPORT}/")
    p.add_argument("--save-baseline", metavar="FILE", help="save the measured quantities and verdicts as a "
                   "regression baseline (JSON, atomically)")
    p.add_argument("--compare", metavar="FILE", help="re-run the baseline's claims with its profile and seed and "
                   "exit 1 with a diff table when a verdict changes or a quantity moves beyond its allowance")
    p.add_argument("--quiet", action="store_true", help="print only the summary line")
    return p


def _settings(args):
    """Profile, seed and claims of the run: the flags, or those of the baseline given to --compare."""
    from .baseline import load_baseline

    base = load_baseline(args.compare) if args.compare else None
    profile, seed, claims = args.profile or "default", 0 if args.seed is None else args.seed, args.claim
    dtype = args.dtype or "float64"
    if base is not None:
        prov = base.get("provenance", {})
        for flag, given, saved in (("--profile", args.profile, prov.get("profile")), ("--seed", args.seed, prov.get("seed")),
                                   ("--dtype", args.dtype, prov.get("dtype", "float64"))):
            if given is not None and given != saved:
                raise InputError(f"the baseline was saved with {flag} {saved}; compare like with like (drop {flag} "
                                 f"or pass {flag} {saved})")
        profile, seed, dtype = prov.get("profile", profile), prov.get("seed", seed), prov.get("dtype", "float64")
        claims = claims or list(base["claims"])
    return base, profile, seed, claims, dtype


def _stdout_broken() -> bool:
    """Whether standard output refuses to take text (a full device, a closed pipe)."""
    try:
        sys.stdout.write("\n")
        sys.stdout.flush()
    except OSError:
        try:  # leave nothing buffered that would fail again at exit
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return True
    return False


def main(argv=None) -> int:
    from gpu.kernels import retain_freed_memory

    retain_freed_memory()  # the trainers' fresh arrays reuse freed memory instead of page-faulting
    for stream in (sys.stdout, sys.stderr):  # a path the terminal's encoding cannot show is printed escaped
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError, OSError):
            pass
    terminate_as_interrupt()  # SIGTERM unwinds as Ctrl-C does: staged outputs removed, earlier ones intact
    streams = sys.stdout, sys.stderr  # no control character a name carries reaches the terminal raw
    sys.stdout, sys.stderr = TerminalStream(sys.stdout), TerminalStream(sys.stderr)
    try:
        with warnings.catch_warnings():  # our own arithmetic's overflow on a diverging map is handled, not printed
            warnings.filterwarnings("ignore", category=RuntimeWarning, module=OWN_MODULES)
            return _main(argv)
    except (MemverifyError, KeyboardInterrupt, SystemExit):
        raise
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EPIPE, errno.EIO, errno.EBADF) and _stdout_broken():
            # the terminal or pipe could not take the text; the output files, if any, are written
            print(f"{PROG}: error: cannot write to standard output ({exc.strerror}); the output files given were "
                  "written; redirect the output elsewhere", file=sys.stderr)
            return 2
        raise
    except Exception as exc:  # a bug: one line, its own status, the traceback on request
        import os

        if os.environ.get("MEMVERIFY_DEBUG"):
            raise
        where = exc.__traceback__
        while where is not None and where.tb_next is not None:
            where = where.tb_next
        at = f" at {where.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{where.tb_lineno}" if where else ""
        print(f"{PROG}: internal error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}{at}; "
              "this is a bug in memverify: please report it with the command line (MEMVERIFY_DEBUG=1 shows the "
              "traceback)", file=sys.stderr)
        return INTERNAL_ERROR
    finally:
        sys.stdout = raw_stream(sys.stdout) if sys.stdout is not None else streams[0]
        sys.stderr = raw_stream(sys.stderr) if sys.stderr is not None else streams[1]


def _main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["analyze"]:  # memverify analyze: your own model (verify/analyze_cli.py)
        from .analyze_cli import main as analyze_main

        return _guarded(lambda: analyze_main(argv[1:]), None, f"{PROG} analyze")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.report is not None and not args.report.strip():
        parser.error("--report names no directory (an empty string); give one or drop --report")
    report_dir = args.report or (DEFAULT_REPORT if not argv else None)
    outputs = Outputs()
    if args.list:
        others = [f for f, v in (("--claim", args.claim), ("--json", args.json), ("--report", args.report),
                                 ("--figures", args.figures), ("--save-baseline", args.save_baseline),
                                 ("--compare", args.compare), ("--data", args.data)) if v]
        if others:
            parser.error(f"--list prints the claims table and runs nothing; drop {', '.join(others)}")
        print(rep.claims_markdown())
        print()
        print(rep.rules_markdown())
        print()
        print(rep.gates_markdown())
        return 0

    def work():
        from .datasets import load_matrix
        from .runner import run

        data = None if args.data is None else {"X": load_matrix(args.data)}
        base, profile, seed, claims, dtype = _settings(args)
        check_targets(args, report_dir)
        progress = _progress(args.quiet)
        try:
            report = run(claims, profile=profile, backend=args.backend, seed=seed, on_start=progress.start,
                         on_evidence=progress.done, on_progress=progress.step,
                         step_factor=args.step_factor, activations=args.activation, data=data,
                         data_dir=args.data_dir, dtype=dtype, scheduler=args.scheduler)
        except KeyboardInterrupt as exc:
            progress.close()
            _keep_partial(args, getattr(exc, "partial", None))
            raise
        progress.close()
        return base, report, write_outputs(args, report, report_dir, outputs)

    done = _guarded(work, outputs, PROG)
    if isinstance(done, int):
        return done
    base, report, (figures, written) = done
    if not args.quiet:
        prov = report.provenance
        print(f"profile {prov['profile']}, backend {prov['backend']} ({prov['device']}), seed {prov['seed']}")
        import shutil

        width = shutil.get_terminal_size((160, 24)).columns
        print(rep.table([rep.evidence_row(e) for e in report.evidence], width=width))
        for e in report.evidence:
            for v in e.measurement.violations:
                print(wrap(f"  {e.id}: hypothesis not met: {v}", width))
        if args.json:
            print(f"JSON report: {plain(args.json)}")
        for path in figures:
            print(f"figure: {plain(path)}")
        if written:
            print(f"report: {plain(written)} (and {plain(written.with_suffix('.md'))})")
        else:
            print(wrap("no HTML/Markdown report written (add --report DIR; the bare `python -m verify` writes "
                        f"{DEFAULT_REPORT}/)", width))
    regressions = False
    if base is not None:
        from .baseline import compare, diff_table

        diffs = compare(base, report)
        regressions = any(d.regression for d in diffs)
        if diffs:
            print(diff_table(diffs))
        better = sum(d.status == "improvement" for d in diffs)
        within = len(diffs) - better - sum(d.regression for d in diffs)
        print(f"baseline {args.compare}: " + (f"REGRESSIONS: {sum(d.regression for d in diffs)}" if regressions
                                              else "no regression") +
              f" ({better} improvements, {within} quantities moved within their allowance)")
    if args.save_baseline:
        print(f"baseline saved: {plain(args.save_baseline)}")
    import shutil

    print(wrap(rep.summary(report), shutil.get_terminal_size((160, 24)).columns))
    if base is not None:
        return 1 if regressions else 0
    if args.save_baseline:
        return 0  # saved: the baseline holds the verdicts as measured
    return report.exit_status


def partial_path(target) -> Path:
    """Where an interrupted run keeps the claims that finished: beside ``target``, named as partial
    (``report.json`` -> ``report.partial.json``), never over ``target`` itself."""
    target = Path(target)
    return target.with_name(f"{target.stem}.partial{target.suffix or '.json'}")


def _keep_partial(args, report) -> None:
    """On Ctrl-C or SIGTERM: print the rows of the claims that finished and, where a JSON report was
    asked for, write them beside it as a partial report (the previous outputs stay untouched)."""
    if report is None or not report.evidence:
        return
    import shutil

    width = shutil.get_terminal_size((160, 24)).columns
    print(f"interrupted after {len(report.evidence)} claim(s); the ones that finished:", file=sys.stderr)
    print(rep.table([rep.evidence_row(e) for e in report.evidence], width=width), file=sys.stderr)
    if args.json:
        from .outputs import deferred_signals

        report.provenance["partial"] = f"interrupted after {len(report.evidence)} claim(s)"
        path = partial_path(args.json)
        try:
            with deferred_signals():
                rep.write_json(report, path)
            print(f"partial JSON report: {plain(path)}", file=sys.stderr)
        except (OSError, MemverifyError) as exc:
            print(f"{PROG}: the partial JSON report could not be written: {plain(exc)}", file=sys.stderr)


def _guarded(work, outputs, prog: str):
    """``work()``, with a user error as one line and exit 2, and Ctrl-C or SIGTERM as 130 or 143
    (outputs staged so far removed, earlier ones intact)."""
    try:
        return work()
    except MemverifyError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        how = "SIGTERM" if str(exc) == "SIGTERM" else "interrupted"
        if outputs is not None and outputs.written:  # the signal came during the final renames, finished first
            print(f"{prog}: {how} after the outputs were written", file=sys.stderr)
        else:
            print(f"{prog}: {how}; no output written (earlier outputs are as they were)", file=sys.stderr)
        return 143 if how == "SIGTERM" else 130


class _progress:
    """A progress bar over the claims (tqdm) naming the claim being checked; silent when output is
    not a terminal or under --quiet."""

    def __init__(self, quiet: bool):
        self.bar, self.shown = None, 0.0
        if not quiet and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=None, unit="claim", leave=False, file=raw_stream(sys.stderr))

    def start(self, claim, total: int) -> None:
        if self.bar is not None:
            self.bar.total = total
            self.bar.set_description(claim.id)
            self.bar.refresh()

    def done(self, evidence) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str("")
            self.bar.update(1)

    def step(self, text: str) -> None:
        """What the claim being checked is drawing now (its run's seed, size, data set)."""
        if self.bar is not None:
            import time

            now = time.monotonic()
            if now - self.shown >= 0.5:  # a claim may open hundreds of streams a second: at most two redraws
                self.shown = now
                self.bar.set_postfix_str(plain(text)[:40])

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
