"""Memory plan: before a run starts, the peak memory each claim will need at the profile's sizes,
against what the device has, so that a run that cannot fit is refused with a clear message
instead of dying out of memory half-way.

The estimates count the arrays each family's code keeps alive at its peak (element counts below,
times the dtype's size), from the sizes in :mod:`verify.profiles`; they are upper estimates of the
large arrays plus a fixed 0.5 GiB for the interpreter and its libraries (measured: the large
profile's Theorem 3 claims peaked at 12.7 GiB resident against a plan of 12.9 GiB; benchmarks/RESULTS.md).
``MEMVERIFY_MEMORY_LIMIT`` (GiB) overrides the
available memory read from the device (for shared machines, and for the tests).
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass

import numpy as np

from theory.errors import InputError

ENV_VAR = "MEMVERIFY_MEMORY_LIMIT"
GIB = 2**30
BASE = GIB // 2  # the interpreter, NumPy/SciPy and BLAS themselves, added to every estimate


class MemoryPlanError(InputError):
    """The selected claims cannot fit the device's memory at this profile."""


@dataclass(frozen=True)
class Plan:
    claim: str
    bytes: int
    detail: str  # the largest terms, in words


def _linear(p: dict, b: int, nonlinear: bool = False) -> tuple[int, str]:
    n, d = p["n"], p["d"]
    # X; thin SVD (U, Vt, LAPACK work ~ n d + 4 n^2); factored trainer: G, X W0^T, M, M's update, residual and
    # its transpose (5 n d); the nonlinear trainer adds phi(Z), phi'(Z) and E (3 n d); a factored distance
    # stacks two n-column right factors and their QR's Q (4 n d)
    nd = 1 + 2 + 5 + 4 + (3 if nonlinear else 0)
    elems = nd * n * d + 6 * n * n + 2 * d * (p.get("init_rank") or 0) + p.get("n_probe", 0) * d
    detail = f"{nd} arrays of n x d = {n} x {d}"
    if not p.get("factored"):
        elems += 4 * d * d  # W, its update, the gradient, the dense closed form
        detail += f" and 4 of d x d = {d} x {d} (dense trainer)"
    return elems * b, detail


def _two_layer(p: dict, b: int) -> tuple[int, str]:
    n, d, k = max(p["n"], p.get("digits_n") or 0, 2), p["d"], max(p["widths"])
    # W1 (k x d) twice (the previous model is alive while the next first layer is drawn); Pre, Phi, C, the SVD's
    # Vt of Phi, W1 X^T, C * mask (n x k each); 2n iterated rows (two k-wide temporaries); a d x d Jacobian
    elems = 2 * k * d + 6 * n * k + 4 * n * k + 2 * d * d
    return elems * b, f"two first layers of k x d = {k} x {d} and 10 arrays of n x k = {n} x {k}"


def _conv(p: dict, b: int) -> tuple[int, str]:
    """A convolutional claim: the dense operators it forms, of its images (Appendix G's ``s x s x 3``,
    the patterns of the Lemma's ``sizes`` and of Theorem 5's ``max_s``; small stacks otherwise)."""
    if "d" in p:  # the user's images (the Lemma, Theorem 4): d x d projections and operators of them
        d = p["d"]
        return 4 * d * d * b, f"4 dense matrices of d x d = {d} x {d} (your images)"
    if "s" in p:  # Appendix G: s x s x 3 operators, their spectra and the pseudospectral check
        d = 3 * p["s"] ** 2
        return 6 * d * d * b, f"6 dense operators of {d} x {d} ({p['s']} x {p['s']} x 3 images)"
    side = max([*p.get("sizes", ()), p.get("max_s", 0), p.get("size", 0), 8])
    s2 = side * side if "sets" not in p else 3 * side * side
    return 4 * s2 * s2 * b, f"4 dense matrices of {s2} x {s2} (images of side {side})"


def _deep(p: dict, b: int) -> tuple[int, str]:
    """A deep claim: its widest and deepest network (its own sweep, if it has one, or the family's
    width and depth), with Adam's state, and the Jacobians at its starts."""
    w = max([p["width"], *p.get("sweep_widths", ()), *p.get("super_widths", ()), *p.get("contraction_widths", ()),
             *p.get("swiss_widths", ())])
    depth = max([p["depth"], *p.get("sweep_depths", ()), p.get("super_depth", 0)])
    d, starts = p.get("d", 64), max(p["grid"] ** 2, p["held_out"])
    elems = 4 * depth * w * w + 8 * d * w + 4 * starts * w * depth + starts * d * d
    return elems * b, f"{depth} layers of {w} x {w} (weights and Adam state) and {starts} Jacobians of {d} x {d}"


def _construction(p: dict, b: int) -> tuple[int, str]:
    elems = 4 * p["samples"] * p["d"]
    return elems * b, f"4 arrays of samples x d = {p['samples']} x {p['d']}"


def _dynamics(p: dict, b: int) -> tuple[int, str]:
    return 4 * p["starts"] * p["d"] * p["d"] * b, f"{p['starts']} starts in d = {p['d']}"


# each family's estimate, for the claims whose record gives none of its own (``Claim.memory``)
ESTIMATES = {
    "linear": _linear,
    "single_layer": lambda p, b: _linear(p, b, nonlinear=True),
    "two_layer": _two_layer,
    "conv": _conv,
    "deep": _deep,
    "construction": _construction,
    "dynamics": _dynamics,
}


def plan(claim, ctx, data=None) -> Plan:
    """The peak-memory estimate of one claim at the run's profile and dtype; on the user's ``data``
    (``{"X": (n, d) array}``) where the claim takes it, at that data's n and d."""
    itemsize = 4 if ctx.dtype == "float32" else 8
    estimate = claim.memory or ESTIMATES.get(claim.family)
    if estimate is None:  # a claim registered from outside memverify's families, with no estimate of its own
        return Plan(claim.id, 0, f"no memory estimate for claims of family {claim.family!r}")
    sizes = dataclasses.replace(ctx, claim=claim).sizes()  # its own sizes over its family's
    if data is not None and claim.data_keys and set(claim.data_keys) <= set(data):
        shape = tuple(getattr(data["X"], "shape", None) or np.shape(data["X"]))
        if len(shape) == 2:
            sizes.update(n=int(shape[0]), d=int(shape[1]), digits_n=0)
    nbytes, detail = estimate(sizes, itemsize)
    return Plan(claim.id, int(nbytes) + BASE, detail)


def available(backend) -> tuple[int, str]:
    """Bytes the run may use on ``backend`` (``None``: the host) and where that figure comes from."""
    limit = os.environ.get(ENV_VAR)
    if limit:
        try:
            value = float(limit)
        except ValueError:
            raise InputError(f"{ENV_VAR}={limit!r} is not a number of GiB; set it like {ENV_VAR}=16") from None
        if not (value > 0 and math.isfinite(value) and value * GIB < 2**62):
            raise InputError(f"{ENV_VAR}={limit!r} must be a finite positive number of GiB (below 2^32 GiB)")
        return int(value * GIB), f"{ENV_VAR}={limit}"
    name = None if backend is None else backend.name  # None: the host
    if name == "cupy":
        import cupy

        free, total = cupy.cuda.runtime.memGetInfo()
        pool = cupy.get_default_memory_pool()
        return int(free + pool.free_bytes()), f"free GPU memory of {backend.device} ({total / GIB:.1f} GiB in all)"
    if name == "jax":
        import jax

        stats = jax.devices()[0].memory_stats() or {}  # an accelerator's allocator reports; the CPU's does not
        if "bytes_limit" in stats:
            free = int(stats["bytes_limit"]) - int(stats.get("bytes_in_use", 0))
            return free, f"free memory of JAX's {backend.device} ({int(stats['bytes_limit']) / GIB:.1f} GiB in all)"
    return host_available()


def host_available() -> tuple[int, str]:
    """Bytes the process may still take on the host: the least of MemAvailable (/proc/meminfo), the
    process's address-space limit (RLIMIT_AS) and its cgroup's memory.max less memory.current."""
    found = []
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    found.append((int(line.split()[1]) * 1024, "MemAvailable in /proc/meminfo"))
    except OSError:
        pass
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            found.append((int(soft), "the process's address-space limit (RLIMIT_AS)"))
    except (ImportError, OSError, ValueError):
        pass
    try:
        with open("/sys/fs/cgroup/memory.max") as fh:
            top = fh.read().strip()
        if top != "max":
            with open("/sys/fs/cgroup/memory.current") as fh:
                used = int(fh.read().strip())
            found.append((max(0, int(top) - used), "the cgroup's memory.max less memory.current"))
    except (OSError, ValueError):
        pass
    if found:
        return min(found)
    pages, size = os.sysconf("SC_AVPHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    return int(pages * size), "available physical pages"


def check(claims, ctx, data=None) -> list:
    """Plan every claim (on the user's ``data`` where it takes it); raise :class:`MemoryPlanError`
    naming those that cannot fit.  Returns the plans."""
    plans = [plan(c, ctx, data) for c in claims]
    room, source = available(ctx.backend)
    too_big = [p for p in plans if p.bytes > room]
    if too_big:
        worst = max(too_big, key=lambda p: p.bytes)
        names = ", ".join(p.claim for p in too_big)
        raise MemoryPlanError(
            f"{len(too_big)} claim(s) need more memory than {ctx.backend.name} has at profile {ctx.profile.name} "
            f"({ctx.dtype}): {worst.claim} needs about {worst.bytes / GIB:.1f} GiB ({worst.detail}) but "
            f"{room / GIB:.1f} GiB is available ({source}); refused before starting: {names}. Use a smaller "
            f"--profile, smaller --data, --dtype float32, a device with more memory, or leave those claims out "
            f"with --claim"
        )
    return plans
