"""Run claims and collect their evidence with the run's provenance."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import gpu

from .context import Context
from theory.errors import DivergenceError, InputError, RangeError

from .evidence import ANSWERS, NOT_MET, SEVERITY, VERDICTS, Comparison, Evidence, Measurement
from .rules import run_sweeps
from .profiles import get_profile
from .claim import Claim
from .registry import all_claims, get
from .inputs import check_data, check_options, magnitude

SCHEMA = 3  # 3: the verdict inconclusive, rules, regimes, regions, sensitivity (2: refuted / not-reproduced with a reason; 1 had 'fails')
DTYPES = ("float64", "float32")


def dask_claims() -> tuple:
    """The claims that run on --backend dask (their records list it: the linear and Theorem 1 closed
    forms with their blockwise descent, and Theorem 3's features; the others iterate maps or train
    networks step by step with a readout per step, which a scheduler would turn into thousands of
    round trips)."""
    return tuple(c.id for c in all_claims() if "dask" in c.backends)


@dataclass
class Report:
    """The result of a run: provenance and one :class:`Evidence` per claim."""

    provenance: dict
    evidence: list

    @property
    def ok(self) -> bool:
        """No claim was refuted, not reproduced or left undecided, and every applicable negative control was
        rejected."""
        return all(e.ok for e in self.evidence)

    @property
    def exit_status(self) -> int:
        """1 when a negative control was accepted (the verifier cannot be trusted), else 4 when a
        claim was refuted, else 3 when one was not reproduced, else 7 when no run could decide one,
        else 6 when nothing was verified (every claim's hypotheses not met), else 0 (see
        :data:`verify.evidence.EXIT_STATUS` and :data:`verify.evidence.SEVERITY`)."""
        codes = {e.exit_status for e in self.evidence}
        if self.evidence and all(e.verdict == NOT_MET for e in self.evidence):
            return 1 if 1 in codes else NOTHING_VERIFIED
        return next((c for c in SEVERITY if c in codes), 0)

    def counts(self) -> dict:
        c = dict.fromkeys(VERDICTS + ANSWERS, 0)
        for e in self.evidence:
            c[e.verdict] += 1
        applicable = [e for e in self.evidence if e.control_rejected is not None]
        c["controls_rejected"] = sum(1 for e in applicable if e.control_rejected)
        c["controls_applicable"] = len(applicable)
        return c

    def to_dict(self) -> dict:
        return {"schema": SCHEMA, "provenance": self.provenance, "claims": [e.to_dict() for e in self.evidence]}


def _blas():
    """The BLAS NumPy was built against (name and version), or None where NumPy does not say."""
    try:
        import numpy

        cfg = numpy.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{cfg.get('name')} {cfg.get('version')}"
    except Exception:  # older NumPy: no dict mode
        return None


def _versions() -> dict:
    import array_api_compat
    import numpy
    import scipy

    versions = {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "array_api_compat": array_api_compat.__version__,
        "cupy": None,
    }
    cp = sys.modules.get("cupy")
    if cp is None:
        try:
            import importlib.metadata as md

            for dist in ("cupy", "cupy-cuda12x", "cupy-cuda13x", "cupy-cuda11x"):
                try:
                    versions["cupy"] = md.version(dist)
                    break
                except md.PackageNotFoundError:
                    continue
        except Exception:
            pass
    else:
        versions["cupy"] = getattr(cp, "__version__", None)
    jax = sys.modules.get("jax")  # recorded when a run imported it (the jax backend)
    versions["jax"] = getattr(jax, "__version__", None) if jax is not None else None
    return versions


def _commit() -> str | None:
    root = Path(__file__).resolve().parents[1]
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def _modified() -> bool | None:
    """Whether the code that ran (theory/, gpu/, verify/) differs from the commit: a recording made
    from a working tree with changes says so beside its commit (None outside a git checkout)."""
    root = Path(__file__).resolve().parents[1]
    try:
        out = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "theory", "gpu", "verify"],
                             capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return bool(out.stdout.strip()) if out.returncode == 0 else None


def host_provenance() -> dict:
    """What any run records of the machine and the code: versions, commit, time, host, BLAS."""
    return {"versions": _versions(), "commit": _commit(), "code_modified": _modified(),
            "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"), "host": platform.node(),
            "cpu_count": os.cpu_count(), "blas": _blas()}


def provenance(ctx: Context) -> dict:
    return {
        "seed": ctx.seed,
        "backend": ctx.backend.name,
        "device": ctx.backend.device,
        "profile": ctx.profile.name,
        "dtype": ctx.dtype,
        "step_factor": ctx.step_factor,
        "activations": list(ctx.activations) or "profile default",
        "versions": _versions(),
        "commit": _commit(),
        "code_modified": _modified(),
        "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "host": platform.node(),
        "cpu_count": os.cpu_count(),
        "data_dir": None if ctx.data_dir is None else str(ctx.data_dir),
        "blas": _blas(),
        "command": " ".join(["python -m verify", *sys.argv[1:]]) if sys.argv and sys.argv[0].endswith(("verify", "__main__.py")) else None,
    }


def _could_not_check(claim: Claim, start: float, what: str, note: str) -> Evidence:
    """A claim whose check could not finish is not reproduced, with the reason as a note and in its
    reason (no control is run)."""
    key = what.replace(" ", "_")
    measured = Measurement([Comparison(f"could not finish: {what}", 1.0, 0.0)], {key: 1.0}, None, key, notes=[note], empirical=True,
                           scope=f"the check could not finish: {note}")
    return Evidence(claim.id, claim.paper_ref, claim.statement, claim.hypotheses, measured,
                    claim.control_description, None, time.perf_counter() - start)


def run_claim(claim: Claim, ctx: Context, data: dict | None = None) -> Evidence:
    """Check one claim (on ``data``, else its default data) and run its negative control."""
    import numpy as np

    start = time.perf_counter()
    ctx = dataclasses.replace(ctx, claim=claim)  # its own sizes over its family's (the cache is the run's)
    profile = ctx.profile.base or ctx.profile.name
    if data is None and claim.regime is not None and profile in claim.regime.not_run:
        why = claim.regime.not_run[profile]
        measured = Measurement([], {}, None, "not_run", not_run=why, scope=f"not run at this profile: {why}")
        _settle(claim, measured)
        return Evidence(claim.id, claim.paper_ref, claim.statement, claim.hypotheses, measured,
                        claim.control_description, None, time.perf_counter() - start, rule=claim.rule.to_dict(),
                        regime=claim.regime.at(ctx.profile.for_claim(claim), profile))
    data = claim.make_data(ctx) if data is None else data
    try:
        measured = claim.check(data, ctx)
    except DivergenceError as exc:
        if ctx.step_factor != 1.0:
            raise  # the user's --step-factor: a usage error (exit 2)
        # the claim's own, profile-chosen step diverged: that claim fails, the run goes on
        return _could_not_check(claim, start, "training diverged", f"training diverged with the profile's own step: {exc}")
    except np.linalg.LinAlgError as exc:  # LAPACK, or cuSOLVER under Backend.errors(): the check could not compute
        return _could_not_check(claim, start, "linear algebra failed", f"a factorization failed on {ctx.backend.name}: {exc}")
    _returned(claim, measured, "check")
    _settle(claim, measured)
    if claim.rule is not None and claim.rule.sweeps and not measured.violations:
        run_sweeps(claim, ctx, data, measured, _settle)
    skip = measured.violations and not claim.control_always
    control = None if skip else claim.negative_control(data, ctx)
    if control is not None:
        _returned(claim, control, "negative control")
        _settle(claim, control)
    return Evidence(
        claim.id, claim.paper_ref, claim.statement, claim.hypotheses, measured,
        claim.control_description, control, time.perf_counter() - start,
        rule=None if claim.rule is None else claim.rule.to_dict(),
        regime=None if claim.regime is None else claim.regime.at(ctx.profile.for_claim(claim), profile),
    )


def _returned(claim: Claim, m, what: str) -> None:
    """What a claim's check or control returned is a :class:`Measurement` of :class:`Comparison` s
    (a third-party claim that returns anything else is named, in one line, before a verdict is read)."""
    if not isinstance(m, Measurement):
        raise InputError(f"its {what} returned {type(m).__name__}, not a verify.evidence.Measurement")
    bad = [c for c in m.comparisons if not isinstance(c, Comparison)]
    if not isinstance(m.comparisons, (list, tuple)) or bad:
        raise InputError(f"its {what}'s comparisons must be a list of verify.evidence.Comparison, got "
                         f"{type(bad[0] if bad else m.comparisons).__name__}")


def _settle(claim: Claim, m: Measurement) -> None:
    """What the claim's record says of every measurement it makes: empirical or exact, and its
    rule's reading of the sentence (an existence reading holds on the run that shows it)."""
    m.empirical = claim.empirical
    m.reading = claim.rule.reading if claim.rule is not None else ""


NOTHING_VERIFIED = 6  # every claim's hypotheses were not met: the run verified nothing


def run(
    claims=None,
    *,
    profile: str = "quick",
    backend: str | None = None,
    seed: int = 0,
    step_factor: float = 1.0,
    activations=(),
    data: dict | None = None,
    data_dir=None,
    dtype: str = "float64",
    scheduler: str | None = None,
    on_start=None,
    on_evidence=None,
    on_progress=None,
) -> Report:
    """Run ``claims`` (ids; default all) and return a :class:`Report`.

    ``data`` (a dict such as ``{"X": array}``) replaces the default data of every claim that
    takes those keys; ``activations`` (names) restricts the nonlinear claims; ``on_evidence(evidence)``
    is called as each claim finishes (``on_start(claim, total)`` before it starts; ``on_progress(text)``
    with what the claim is drawing, its run's seed and size, as it goes); ``data_dir`` (else ``$MEMVERIFY_DATA_DIR``) holds MNIST (IDX)
    and CIFAR-10 (python batches) for the claims the paper ran on them.  ``dtype`` (``float64`` or
    ``float32``) is the floating type of every array the claims make.  ``scheduler`` is the address of
    a dask scheduler for ``backend="dask"`` (default: a LocalCluster); that backend runs
    :func:`dask_claims` only.
    """
    if dtype not in DTYPES:
        raise InputError(f"unknown dtype {dtype!r}; choose one of {', '.join(DTYPES)}")
    if backend is not None and not isinstance(backend, str):
        raise InputError(f"backend must be a name (numpy, cupy, jax, dask, auto) or None, got {type(backend).__name__}")
    if data_dir is not None and not isinstance(data_dir, (str, os.PathLike)):
        raise InputError(f"data_dir must be a path (str or os.PathLike) or None, got {type(data_dir).__name__}")
    ids, seed, step_factor, activations = check_options(claims, seed, step_factor, activations)
    chosen = [get(c) for c in ids] if ids else all_claims()
    data = check_data(data, chosen)
    be = gpu.resolve(backend, scheduler=scheduler)
    if scheduler and be.name != "dask":
        raise InputError("--scheduler names a dask scheduler; use it with --backend dask")
    chosen = on_backend(chosen, bool(ids), be.name)
    ctx = dataclasses.replace(build_context(chosen, profile, be, seed, step_factor, activations, data_dir, dtype),
                              progress=on_progress)
    from . import plan

    plans = plan.check(chosen, ctx, data)  # refuses, before anything runs, claims that cannot fit the device
    report = Report(provenance(ctx), [])
    report.provenance["memory_plan_bytes"] = {p.claim: p.bytes for p in plans}
    if ctx.activations:
        report.provenance["activations_used_by"] = [c.id for c in chosen if "activations" in c.options]
    if data is not None:
        report.provenance["data_used_by"] = [c.id for c in chosen if _takes(c, data)]
    try:
        for claim in chosen:
            if on_start is not None:
                on_start(claim, len(chosen))
            ev = _run_one(claim, ctx, data)
            report.evidence.append(ev)
            if on_evidence is not None:
                on_evidence(ev)
    except KeyboardInterrupt as exc:
        exc.partial = report  # the claims that finished, for the caller to keep (verify.cli)
        raise
    return report


def on_backend(chosen: list, named: bool, backend_name: str) -> list:
    """The claims of ``chosen`` a run checks on its backend: those whose records list it
    (:attr:`verify.claim.Claim.backends`; every other one is left out of a run that named no claim,
    an error naming them when one was ``named``)."""
    runs = [c for c in chosen if backend_name in c.backends]
    if not named or len(runs) == len(chosen):
        return runs
    others = [c.id for c in chosen if backend_name not in c.backends]
    where = ", ".join(c.id for c in all_claims() if backend_name in c.backends) or "no claim"
    raise InputError(f"the {backend_name} backend runs {where}; not {', '.join(others)} (their records list the "
                     "backends they run on: use --backend numpy for those)")


def build_context(chosen, profile, be, seed, step_factor, activations, data_dir, dtype) -> Context:
    """The run's :class:`Context`, after checking that ``activations`` (names) apply to a chosen claim."""
    from theory.activations import get as get_activation

    from .datasets import data_dir as _data_dir

    names = tuple(get_activation(a).name for a in (activations or ()))
    if names and not any("activations" in c.options for c in chosen):
        takes = [c.id for c in all_claims() if "activations" in c.options]
        raise InputError(f"--activation applies to {', '.join(takes)}; none of the claims run uses it (drop "
                         "--activation or add one of them)")
    return Context(get_profile(profile), be, int(seed), float(step_factor), names, _data_dir(data_dir), dtype)


def _takes(claim, data) -> bool:
    return bool(claim.data_keys) and set(claim.data_keys) <= set(data)


def user_data(claim, data, ctx) -> tuple[dict | None, int | None]:
    """The user's ``data`` as ``claim`` takes it, on the run's backend (``None`` where it takes none of
    it), and the power of two its ``X`` was scaled by (scale-invariant claims; ``None`` otherwise)."""
    if data is None or not _takes(claim, data):
        return None, None
    host = {k: gpu.to_numpy(data[k]) for k in claim.data_keys}
    host["X"], scaled = magnitude(claim, host["X"], ctx.dtype)
    return {k: ctx.asarray(v) for k, v in host.items()}, scaled


def _run_one(claim, ctx, data) -> Evidence:
    """One claim of the loop: on the user's data where it takes them; errors named by the claim."""
    own, scaled = user_data(claim, data, ctx)
    try:
        with ctx.backend.errors():  # cuSOLVER errors raised, not ignored
            ev = run_claim(claim, ctx, own)
    except InputError as exc:  # name the claim; for a range error, the flag that picks activations
        hint = ""
        if isinstance(exc, RangeError) and not ctx.activations:
            hint = "; or restrict the claim to activations whose range holds your data with --activation NAME"
        raise type(exc)(f"{claim.id}: {exc}{hint}") from None
    if scaled:
        ev.measurement.notes.append(f"your X was multiplied by 2^{scaled} (exact) to bring max |X| into [0.5, 1): "
                                    "the claim is invariant under scaling")
    return ev
