"""Run claims and collect their evidence with the run's provenance."""

from __future__ import annotations

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
from theory.errors import DivergenceError, InputError

from .evidence import VERDICTS, Comparison, Evidence, Measurement
from .profiles import get_profile
from .registry import Claim, all_claims, get

SCHEMA = 2  # 2: verdicts refuted / not-reproduced with a reason (1 had 'fails')
DTYPES = ("float64", "float32")
# the claims that run on --backend dask: the linear and Theorem 1 closed forms with their (blockwise) descent,
# and Theorem 3's features; the others iterate maps or train networks step by step with a readout per step,
# which a distributed scheduler would turn into thousands of round trips
DASK_CLAIMS = ("linear-min-norm", "linear-span-projection", "thm1-adaptive-step", "cor-phi-eigenvectors",
               "cor-phi-span", "thm3-homogeneity")


@dataclass
class Report:
    """The result of a run: provenance and one :class:`Evidence` per claim."""

    provenance: dict
    evidence: list

    @property
    def ok(self) -> bool:
        """No claim was refuted or not reproduced and every applicable negative control was rejected."""
        return all(e.ok for e in self.evidence)

    @property
    def exit_status(self) -> int:
        """1 when a negative control was accepted (the verifier cannot be trusted), else 4 when a
        claim was refuted, else 3 when one was not reproduced, else 0 (see :data:`verify.evidence.EXIT_STATUS`)."""
        codes = {e.exit_status for e in self.evidence}
        return 1 if 1 in codes else max(codes, default=0)

    def counts(self) -> dict:
        c = dict.fromkeys(VERDICTS, 0)
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
    measured = Measurement([Comparison(what, 1.0, 0.0)], {key: 1.0}, None, key, notes=[note], empirical=True,
                           scope=f"the check could not finish: {note}")
    return Evidence(claim.id, claim.paper_ref, claim.statement, claim.hypotheses, measured,
                    claim.control_description, None, time.perf_counter() - start)


def run_claim(claim: Claim, ctx: Context, data: dict | None = None) -> Evidence:
    """Check one claim (on ``data``, else its default data) and run its negative control."""
    import numpy as np

    start = time.perf_counter()
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
    measured.empirical = claim.empirical
    skip = measured.violations and not claim.control_always
    control = None if skip else claim.negative_control(data, ctx)
    if control is not None:
        control.empirical = claim.empirical
    return Evidence(
        claim.id, claim.paper_ref, claim.statement, claim.hypotheses, measured,
        claim.control_description, control, time.perf_counter() - start,
    )


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
) -> Report:
    """Run ``claims`` (ids; default all) and return a :class:`Report`.

    ``data`` (a dict such as ``{"X": array}``) replaces the default data of every claim that
    takes those keys; ``activations`` (names) restricts the nonlinear claims; ``on_evidence(evidence)``
    is called as each claim finishes (``on_start(claim, total)`` before it starts); ``data_dir`` (else ``$MEMVERIFY_DATA_DIR``) holds MNIST (IDX)
    and CIFAR-10 (python batches) for the claims the paper ran on them.  ``dtype`` (``float64`` or
    ``float32``) is the floating type of every array the claims make.  ``scheduler`` is the address of
    a dask scheduler for ``backend="dask"`` (default: a LocalCluster); that backend runs
    :data:`DASK_CLAIMS` only.
    """
    from .datasets import data_dir as _data_dir

    from theory.activations import get as get_activation

    if dtype not in DTYPES:
        raise InputError(f"unknown dtype {dtype!r}; choose one of {', '.join(DTYPES)}")
    chosen = all_claims() if not claims else [get(c) for c in claims]
    be = gpu.resolve(backend, scheduler=scheduler)
    if scheduler and be.name != "dask":
        raise InputError("--scheduler names a dask scheduler; use it with --backend dask")
    if be.name == "dask":
        if not claims:
            chosen = [get(c) for c in DASK_CLAIMS]
        elif any(c.id not in DASK_CLAIMS for c in chosen):
            others = ", ".join(c.id for c in chosen if c.id not in DASK_CLAIMS)
            raise InputError(f"the dask backend runs {', '.join(DASK_CLAIMS)}; not {others} (use --backend numpy "
                             "or cupy for those)")
    names = tuple(get_activation(a).name for a in (activations or ()))
    ctx = Context(get_profile(profile), be, int(seed), float(step_factor), names, _data_dir(data_dir),
                  dtype)
    from . import plan

    plans = plan.check(chosen, ctx)  # refuses, before anything runs, claims that cannot fit the device
    report = Report(provenance(ctx), [])
    report.provenance["memory_plan_bytes"] = {p.claim: p.bytes for p in plans}
    for claim in chosen:
        if on_start is not None:
            on_start(claim, len(chosen))
        own = None
        if data is not None and claim.data_keys and set(claim.data_keys) <= set(data):
            own = {k: ctx.asarray(gpu.to_numpy(data[k])) for k in claim.data_keys}
        with ctx.backend.errors():  # cuSOLVER errors raised, not ignored
            ev = run_claim(claim, ctx, own)
        report.evidence.append(ev)
        if on_evidence is not None:
            on_evidence(ev)
    return report
