"""``memverify analyze``: the paper's questions asked of your own trained autoencoder.

    memverify analyze --model MODULE:ATTR --data X.npy [--starts S.npy] [--jacobian MODULE:ATTR]
                      [--json PATH] [--report DIR] [--save-baseline FILE | --compare FILE]

``MODULE`` is a module importable from the current directory (``pkg.models``) or a path to a
Python file (``models/ae.py``); ``ATTR`` names, within it, the model: a callable on row batches
``(m, d) -> (m, d)`` (NumPy, JAX or a ``torch.nn.Module``), a ``d x d`` matrix or a SciPy
``LinearOperator``.  ``--jacobian`` names a callable returning the ``(m, d, d)`` Jacobians.  The
analysis is :func:`verify.analyze`; its answers are reported as the claims are
(:mod:`verify.analysis_report`), with the same exit status, and a baseline saved here catches a
changed model on ``--compare``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np

from theory.errors import InputError

from .escape import plain
from .arguments import OneLineParser, absolute_targets, check_targets, positive_float, seed, wrap, write_outputs

PROG = "memverify analyze"


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog=PROG, description="Analyse your own autoencoder: fixed points, attractors (Theorem 2), "
                "recovery until settled, spurious attractors, superattraction; rank and eigenvectors of a linear one.")
    p.add_argument("--model", required=True, metavar="MODULE:ATTR", help="the model (module or .py file, then its attribute)")
    p.add_argument("--data", required=True, metavar="FILE", help="its training examples (.npy/.npz/.csv, one per row)")
    p.add_argument("--starts", metavar="FILE", help="starts to iterate (default: drawn as the deep claims draw them)")
    p.add_argument("--jacobian", metavar="MODULE:ATTR", help="a callable returning the (m, d, d) Jacobians")
    p.add_argument("--seed", type=seed, default=None, help="seed of the default starts (default 0)")
    p.add_argument("--band", type=positive_float, default=None, help="undecided band around rho = 1 (default 1e-6)")
    p.add_argument("--recover-min", type=positive_float, default=None, metavar="F",
                   help="share of starts that must be recovered (default 0.9)")
    p.add_argument("--settle-cap", type=int, default=None, metavar="N", help="most iterations per start (default 2000)")
    p.add_argument("--json", metavar="PATH", help="write the JSON report here (atomically)")
    p.add_argument("--report", metavar="DIR", help="write DIR/report.html and DIR/report.md")
    p.add_argument("--save-baseline", metavar="FILE", help="save this analysis as a regression baseline")
    p.add_argument("--compare", metavar="FILE", help="analyse again with the baseline's settings and exit 1 on a regression")
    p.add_argument("--quiet", action="store_true", help="print only the summary line")
    return p


def load_object(spec: str, flag: str):
    """``MODULE:ATTR`` (dotted attribute allowed) from an importable module or a .py file."""
    if spec.count(":") != 1 or not all(spec.split(":")):
        raise InputError(f"{flag} {spec!r} must be MODULE:ATTR (e.g. mymodels:autoencoder or models/ae.py:net)")
    mod_name, attr = spec.split(":")
    try:
        if mod_name.endswith(".py"):
            path = Path(mod_name)
            if not path.is_file():
                raise InputError(f"{flag}: no file {mod_name!r}; give the path of the Python file that defines the model")
            spec_ = importlib.util.spec_from_file_location(path.stem, path)
            module = importlib.util.module_from_spec(spec_)
            spec_.loader.exec_module(module)
        else:
            if "" not in sys.path and str(Path.cwd()) not in sys.path:
                sys.path.insert(0, str(Path.cwd()))
            module = importlib.import_module(mod_name)
    except InputError:
        raise
    except SystemExit as exc:  # sys.exit at import: a usage error naming the model, never memverify's status
        raise InputError(f"{flag}: importing {mod_name!r} called sys.exit({exc.code!r}); a model module must define the "
                         "model, not exit") from None
    except Exception as exc:  # the user's module failed to import: name it, in one line
        raise InputError(f"{flag}: importing {mod_name!r} failed: {type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''}") from None
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise InputError(f"{flag}: {mod_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    return obj


def _digest(A: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(A, dtype=np.float64).tobytes()).hexdigest()


def _settings(args, base) -> dict:
    """The analysis settings: the flags, or those the baseline was saved with (a conflicting flag is refused)."""
    given = {"seed": args.seed, "band": args.band, "recover_min": args.recover_min, "settle_cap": args.settle_cap}
    defaults = {"seed": 0, "band": 1e-6, "recover_min": 0.9, "settle_cap": 2000}
    if base is None:
        return {k: defaults[k] if v is None else v for k, v in given.items()}
    saved = base["provenance"].get("analysis_settings", {})
    for k, v in given.items():
        if v is not None and v != saved.get(k):
            flag = "--" + k.replace("_", "-")
            raise InputError(f"the baseline was saved with {flag} {saved.get(k)}; compare like with like (drop {flag} "
                             f"or pass {flag} {saved.get(k)})")
    return {k: saved.get(k, defaults[k]) for k in defaults}


def _given(args, name: str):
    """A path as the user typed it (before :func:`verify.arguments.absolute_targets`)."""
    return getattr(args, "given", {}).get(name) or getattr(args, name)


def run(args) -> tuple:
    """``(report, base)`` for parsed ``args``: the analysis as a :class:`verify.runner.Report`."""
    from . import analyze
    from .analysis_report import evidence, far_map
    from .baseline import load_baseline
    from .datasets import load_matrix
    from .runner import Report

    base = load_baseline(args.compare, analysis=True) if args.compare else None
    settings = _settings(args, base)
    if settings["settle_cap"] < 1:
        raise InputError(f"--settle-cap must be an integer >= 1, got {settings['settle_cap']}")
    if not 0.0 < settings["recover_min"] <= 1.0:
        raise InputError(f"--recover-min is a fraction of the starts, in (0, 1]; got {settings['recover_min']:g}")
    X = load_matrix(args.data)
    S = None if args.starts is None else load_matrix(args.starts)
    digests = {"data_sha256": _digest(X), "starts_sha256": None if S is None else _digest(S)}  # before any model runs
    f = load_object(args.model, "--model")
    if isinstance(f, (list, tuple)):
        raise InputError(f"--model {args.model!r} is a {type(f).__name__} of {len(f)} models (an ensemble); the command "
                         "analyses one model: name one, or pass the list to verify.analyze from Python")
    J = None if args.jacobian is None else load_object(args.jacobian, "--jacobian")
    if J is not None and not callable(J):
        raise InputError(f"--jacobian {args.jacobian!r} is not callable (it is {type(J).__name__}); name a function of (m, d) rows")
    if base is not None:
        prov = base["provenance"]
        for what, now in digests.items():
            if prov.get(what) != now:
                name = "--data" if what == "data_sha256" else "--starts"
                raise InputError(f"{name} differs from the one the baseline analysed; compare the same data")
    opts = dict(starts=S, band=settings["band"], settle_cap=settings["settle_cap"], seed=settings["seed"])
    start = time.perf_counter()
    status = _status(args.quiet)
    try:
        a = analyze(f, X, jacobian=J, progress=status, **opts)
    except InputError:
        raise
    except SystemExit as exc:  # sys.exit inside the model: a usage error, never memverify's own status
        raise InputError(f"the model called sys.exit({exc.code!r}) while it was analysed; it must return its outputs") from None
    except Exception as exc:  # the user's model raised: one line naming it
        raise InputError(f"the model raised {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}; "
                         "it must map (m, d) rows to (m, d) rows") from None
    status("negative controls: the same questions of a far constant map")
    control = analyze(far_map(X), X, **opts)
    zero = analyze(np.zeros((X.shape[1],) * 2), X, **opts) if a.linear is not None else None
    status(None)
    rows = evidence(a, control, recover_min=settings["recover_min"], model=args.model,
                    seconds=time.perf_counter() - start, linear_control=zero)
    from .runner import host_provenance

    prov = {**host_provenance(), "kind": "analysis", "profile": "analyze", "seed": settings["seed"], "dtype": "float64",
            "model": args.model, "data": str(_given(args, "data")), "data_sha256": digests["data_sha256"],
            "starts": None if S is None else str(_given(args, "starts")), "starts_sha256": digests["starts_sha256"],
            "jacobian": a.jacobian_source, "analysis_settings": settings,
            "command": "memverify analyze " + " ".join(sys.argv[2:] if sys.argv[1:2] == ["analyze"] else [])}
    return Report(prov, rows), base


def main(argv) -> int:
    """``memverify analyze`` (called by :func:`verify.cli.main` after its signal and error set-up)."""
    from . import report as rep
    from .outputs import Outputs

    args = build_parser().parse_args(argv)
    if args.compare and args.save_baseline:
        raise InputError("--compare re-analyses against a saved baseline and --save-baseline saves one; give one of them")
    args.figures = None
    absolute_targets(args)  # before the model is imported: its import may change the working directory
    check_targets(args, args.report)
    report, base = run(args)
    outputs = Outputs()
    write_outputs(args, report, args.report, outputs)
    if not args.quiet:
        import shutil

        prov = report.provenance
        width = shutil.get_terminal_size((160, 24)).columns
        print(wrap(f"model {plain(prov['model'])} on {plain(prov['data'])} ({len(report.evidence[0].measurement.metrics['residuals'])} "
                   f"examples), Jacobian: {prov['jacobian']}", width))
        print(rep.table([rep.evidence_row(e) for e in report.evidence], rep.ANSWER_HEADER, width=width))
        for e in report.evidence:  # how the starts were drawn; the Jacobian's error where it decides a class
            if e.id in ("recovery", "attractors"):
                for note in e.measurement.notes:
                    if note.startswith(("starts:", "Jacobian error bound")):
                        print(wrap(f"  {e.id}: {note}", width))
        for flag, path in (("JSON report", _given(args, "json")),
                           ("report", args.report and Path(_given(args, "report")) / "report.html")):
            if path:
                print(f"{flag}: {plain(path)}")
    if args.save_baseline:
        print(f"baseline saved: {plain(_given(args, 'save_baseline'))}")
    import shutil

    print(wrap(rep.summary(report), shutil.get_terminal_size((160, 24)).columns))
    if base is not None:
        from .baseline import compare, diff_table

        diffs = compare(base, report)
        bad = sum(d.regression for d in diffs)
        if diffs:
            print(diff_table(diffs))
        print(f"baseline {args.compare}: " + (f"REGRESSIONS: {bad}" if bad else "no regression"))
        return 1 if bad else 0
    return 0 if args.save_baseline else report.exit_status


def _status(quiet: bool):
    """A one-line status on a terminal (the question being answered), cleared with ``None``; nothing
    when the output is a pipe or under --quiet."""
    if quiet or not sys.stderr.isatty():
        return lambda text: None
    from .escape import raw_stream

    stream, width = raw_stream(sys.stderr), [0]

    def show(text):
        line = "" if text is None else f"analyze: {plain(text)}"[:100]
        stream.write("\r" + line.ljust(width[0]) + ("\r" if text is None else ""))
        stream.flush()
        width[0] = len(line)

    return show
