"""Memorization analysis of a map the user trained: ``verify.analyze(f, X)`` (this module's ``analyze``).

The questions the paper asks of its own networks, asked of any autoencoder ``f`` on row batches
``(m, d) -> (m, d)``: are the training examples fixed points; are they attractors (Theorem 2:
``rho(J(x_i)) < 1``); does iterating from other starts recover them; are there spurious
attractors; are they superattractors (``R(1)`` near 1, ``rho`` near 0); and, for a linear map, its
rank, its eigenvalues near 1 and how far their eigenvectors lie from the span of the examples.

The mathematics is theory/'s (:mod:`theory.dynamics`, :mod:`theory.jacobians`, :mod:`theory.stats`).
This module is the one per-network memorization pipeline: :func:`classify_examples` (Theorem 2 at
each example's fixed point, certified within the Jacobian's error) and :func:`settle_starts`
(iteration until settled) are what the deep and convolutional claims call on their trained networks
(with the exact Jacobian and Newton's fixed point near each example), and what :func:`analyze`
composes for a user's model, after :mod:`verify.models` has picked the Jacobian's source:

1. ``jacobian=`` given by the user (rows ``(m, d)`` to an ``(m, d, d)`` stack);
2. JAX's ``jax.jacfwd`` when ``f`` maps JAX arrays to JAX arrays;
3. ``torch.func.jacrev`` when ``f`` is a ``torch.nn.Module`` (torch optional);
4. central differences with a measured error bound (:func:`theory.jacobians.fd_jacobian`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from gpu.host import to_numpy
from theory import linear as lin
from theory import dynamics as dyn
from theory.common import array_namespace
from theory import jacobians as jac
from theory import pseudospectra
from theory import stats
from theory.errors import InputError

from .datasets import USER_STARTS, labelled_user_starts
from .models import host_matrix, resolve

__all__ = ["Analysis", "Ensemble", "ExampleClasses", "NOT_FIXED", "analyze", "classify_examples", "settle_starts"]

NOT_FIXED = "not-a-fixed-point"


@dataclass(frozen=True)
class ExampleClasses:
    """Theorem 2 at each training example (host lists, one entry per example)."""

    classes: tuple   # attractor, repeller, undecided, or NOT_FIXED (the caller's word for it)
    rho: list        # rho(J) at the example's fixed point
    moved: list      # how far that fixed point lies from the example (||f(x_i) - x_i|| when it is the example)
    margin: list     # the certificate's slack (inf for an exact Jacobian; theory.pseudospectra.classify_within)
    why: list = field(default_factory=list)  # why an undecided example is undecided ("" where decided)


def classify_examples(f, X, jacobian, *, tol: float, band: float, newton: bool = False, error_norm=None,
                      moved=None, radius=None, not_fixed: str = NOT_FIXED) -> ExampleClasses:
    """The one per-network test of Theorem 2 at the training examples ``X`` (rows, any namespace), for
    :func:`analyze` and the deep claims alike.

    The fixed point of an example is the example itself, or with ``newton`` the fixed point nearest it
    (:func:`theory.dynamics.fixed_points_near`: a trained network interpolates only up to its loss);
    an example whose fixed point lies farther than ``tol`` from it (or where Newton did not converge)
    is ``not_fixed``.  Elsewhere the class of ``rho(J)`` at the fixed point, ``jacobian`` mapping rows
    to an (m, d, d) stack, or a stack already computed at ``X``; where ``error_norm`` bounds each
    Jacobian's error (finite differences), the class is kept only where every Jacobian within the
    bound has it (:func:`theory.pseudospectra.classify_within`), else ``undecided``.  ``moved``:
    ``||f(x_i) - x_i||`` where the caller has measured it already (without ``newton``); ``radius``:
    a model's own ``rho`` at rows (a host list; matrix-free,
    :func:`theory.conv_nonlinear.spectral_radius`) in place of the stack's spectrum."""
    if newton and moved is not None:
        raise InputError("classify_examples: with newton the distances are Newton's; give no moved")
    if newton:
        fp = dyn.fixed_points_near(f, jacobian, X)
        points, moved = fp.points, [float(v) for v in fp.moved]
        fixed = [bool(fp.converged[i]) and moved[i] <= tol for i in range(X.shape[0])]
    else:
        points = X
        if moved is None:
            xp = array_namespace(X)
            moved = to_numpy(xp.linalg.vector_norm(f(X) - X, axis=1))
        moved = [float(v) for v in moved]
        fixed = [v <= tol for v in moved]
    if radius is not None:
        if error_norm is not None:
            raise InputError("classify_examples: a Jacobian error bound needs the Jacobians, not a radius")
        J, rho = None, [float(v) for v in radius(points)]
    else:
        J = jacobian(points) if callable(jacobian) else jacobian
        rho = [float(v) for v in to_numpy(dyn.spectral_radius(J))]
    errs = [0.0] * len(rho) if error_norm is None else list(error_norm)
    decided = [pseudospectra.classify_within(J[i], errs[i], band) if errs[i] > 0 else _exact(rho[i], band)
               for i in range(len(rho))]
    return ExampleClasses(tuple(c.cls if fixed[i] else not_fixed for i, c in enumerate(decided)), rho, moved,
                          [float(c.margin) for c in decided], [c.why if fixed[i] else "" for i, c in enumerate(decided)])


def _exact(rho: float, band: float) -> pseudospectra.Certificate:
    """Theorem 2's class of an exact Jacobian's ``rho`` (undecided only within the band)."""
    cls = dyn.classify(rho, band)
    return pseudospectra.Certificate(cls, np.inf, pseudospectra.WHY_BAND.format(band=band) if cls == "undecided" else "")


def settle_starts(f, X, starts, *, recover_frac: float, move_frac: float, cap: int) -> dyn.Settled:
    """Iterate ``f`` from ``starts`` until each settles (it moves less than ``move_frac`` x the examples'
    smallest spacing) or ``cap`` steps; recovered when within ``recover_frac`` x that spacing of an
    example (:func:`theory.dynamics.settle`)."""
    spacing = dyn.min_spacing(to_numpy(X))
    return dyn.settle(f, starts, X, tol=recover_frac * spacing, move_tol=move_frac * spacing, cap=cap)


@dataclass
class Analysis:
    """Per-example answers and their aggregates (``to_dict`` for JSON)."""

    fixed_point_residual: list    # per example: ||f(x_i) - x_i||
    spectral_radius: list         # per example: rho(J) at its nearby fixed point
    classification: list          # per example: attractor, repeller, undecided, or not-a-fixed-point
    attractor_fraction: dict      # k/n with its Wilson interval
    recovery: dict                # starts iterated until settled: outcome counts, R(t) curve
    spurious_attractors: list  # settled end points away from every example that attract (Theorem 2, certified)
    superattraction: dict         # R(1) and the examples with rho <= rho_small
    jacobian_source: str
    jacobian_error: list = field(default_factory=list)  # per example: the bound on each entry (finite differences)
    jacobian_error_norm: list = field(default_factory=list)  # per example: d x that, a bound on ||E||_2
    certificate_margin: list = field(default_factory=list)  # per example: theory.pseudospectra.classify_within's slack
    undecided_why: list = field(default_factory=list)  # per example: why it is undecided ("" where decided)
    fixed_point_distance: list = field(default_factory=list)  # per example: ||x* - x_i|| to its nearby fixed point (inf: none found)
    spurious_fixed_points: list = field(default_factory=list)  # settled end points away from the examples that do not attract
    linear: dict | None = None
    settings: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)  # seconds per question (its own steps, not a share of the total)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Ensemble:
    """Several trained copies of one model (seeds): each one's :class:`Analysis` and the pooled
    statistics (fractions over every example of every copy, and the share of copies in which every
    example attracts)."""

    members: list
    attractor_fraction: dict
    all_attract: dict
    recovered: dict
    rho: dict

    def to_dict(self) -> dict:
        return {"members": [m.to_dict() for m in self.members], "attractor_fraction": self.attractor_fraction,
                "all_attract": self.all_attract, "recovered": self.recovered, "rho": self.rho}


def _linear_report(A: np.ndarray, X: np.ndarray, margin: float) -> dict:
    s = np.linalg.svd(A, compute_uv=False)
    rank = int(np.sum(s > s[0] * max(A.shape) * np.finfo(np.float64).eps)) if s.size and s[0] > 0 else 0
    lam, vecs = np.linalg.eig(A)
    near = np.flatnonzero(np.abs(lam - 1.0) <= margin)
    Q, _ = np.linalg.qr(X.T)
    E = vecs[:, near] / np.linalg.norm(vecs[:, near], axis=0, keepdims=True)
    dist = [float(v) for v in lin.span_distances(E, Q)]
    return {"rank": rank, "eigenvalues_near_one": [[float(lam[j].real), float(lam[j].imag)] for j in near],
            "eigenvector_span_distance": dist, "n_examples": int(X.shape[0])}


def _spurious_classes(call, J_of, source: str, points: list, band: float) -> tuple:
    """The settled end points away from every example, split by Theorem 2 at each: ``(attracting,
    others)``. A start that stops where the map does not move it (the identity map stops every start
    where it began) has found a fixed point, not an attractor: it counts as a spurious attractor only
    where every Jacobian within the error bound there has rho < 1 - band."""
    if not points:
        return [], []
    P = np.asarray(points, dtype=np.float64)
    J, _, errors = _jacobians(call, J_of, source, P)
    ex = classify_examples(call, P, J, tol=np.inf, band=band, error_norm=errors, moved=[0.0] * len(points))
    return ([p for p, c in zip(points, ex.classes) if c == "attractor"],
            [p for p, c in zip(points, ex.classes) if c != "attractor"])


def _jacobians(call, J_of, source: str, P) -> tuple:
    """The Jacobians at the rows of ``P`` from the model's source, with what bounds each one's error:
    ``(J, per-entry errors, ||E||_2 bounds)``. Central differences measure their per-entry error
    (``||E||_2 <= ||E||_F <= d max|E_ij|``); an autodiff Jacobian computed in a lower precision gets a
    rounding allowance ``d u ||J||_F``; a float64 autodiff or user Jacobian counts as exact (0)."""
    m, d = P.shape
    errors = []
    if J_of is None:
        fd = jac.fd_jacobian(call, P)
        J, errors = np.asarray(fd.J), list(fd.error)
    else:
        J = np.asarray(J_of(P))
    err_norm = [d * float(e) for e in errors] if errors else [0.0] * m
    low = next((t for t in ("bfloat16", "float16", "float32") if t in source), None)
    if low is not None:
        u = {"float32": 2.0**-24, "float16": 2.0**-11, "bfloat16": 2.0**-8}[low]
        err_norm = [d * u * float(np.linalg.norm(J[i])) for i in range(m)]
    return J, errors, err_norm


def _check_memory(n: int, d: int, m: int) -> None:
    """Refuse, before the model runs, an analysis that cannot fit: central differences keep about 6
    (n, d, d) arrays (the differences at two steps, their error, the eigenvalue work); the outputs,
    residuals and fixed points a few (n, d); the starts a few (m, d) and their distances to every
    example a few (m, n); the examples' spacing one block (theory.dynamics.SPACING_BLOCK_BYTES);
    and the interpreter with its libraries (verify.plan.BASE)."""
    from theory.dynamics import SPACING_BLOCK_BYTES

    from .plan import BASE, available

    m = max(m, 1)
    need = BASE + SPACING_BLOCK_BYTES + 8 * (6 * n * d * d + 6 * n * d + 8 * m * d + 3 * m * n)
    room, source = available(None)
    if need > room:
        raise InputError(f"the analysis needs about {need / 2**30:.3g} GiB (the Jacobians of {n} examples of d = {d}, "
                         f"{m} starts) but {room / 2**30:.3g} GiB is available ({source}); analyse fewer examples at once")


def _check_settings(**kw) -> None:
    """The analysis settings, refused in one line when out of range."""
    import numbers

    for name in ("band", "recover_frac", "move_frac", "margin", "rho_small"):
        v = kw[name]
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not np.isfinite(v) or v < 0 \
                or (v == 0 and name != "band"):
            raise InputError(f"{name} must be a finite number {'>= 0' if name == 'band' else '> 0'}, got {v!r}")
    for name, least in (("settle_cap", 1), ("n_starts", 1), ("seed", 0)):
        v = kw[name]
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < least:
            raise InputError(f"{name} must be an integer >= {least}, got {v!r}")


def analyze(f, X, *, jacobian=None, starts=None, band: float = 1e-6, margin: float = 0.05,
            recover_frac: float = 0.1, move_frac: float = 1e-6, settle_cap: int = 2000, rho_small: float = 0.1,
            curve=(1, 2, 5, 10, 20, 50, 100), n_starts: int = 40, seed: int = 0, progress=None):
    """Analyse the map ``f`` at its training examples ``X`` (rows); a list of maps gives an
    :class:`Ensemble`.  Each example is classified by Theorem 2 with an undecided band
    ``|rho - 1| <= band``, after checking it is a fixed point (``||f(x) - x||`` within
    ``recover_frac`` of the examples' smallest spacing).  Starts (default ``n_starts`` drawn as the
    deep claims draw them, seeded) are iterated until they settle or ``settle_cap`` steps.
    ``progress(text)`` (optional) is told each question as the analysis reaches it."""
    say = progress if progress is not None else (lambda text: None)
    if isinstance(f, (list, tuple)):
        if not f:
            raise InputError("an ensemble needs at least one model")
        members = [analyze(g, X, jacobian=jacobian, starts=starts, band=band, margin=margin, recover_frac=recover_frac,
                           move_frac=move_frac, settle_cap=settle_cap, rho_small=rho_small, curve=curve,
                           n_starts=n_starts, seed=seed) for g in f]
        n_ex = sum(len(m.spectral_radius) for m in members)
        k_att = sum(m.attractor_fraction["k"] for m in members)
        rec = sum(m.recovery["recovered"] for m in members)
        tot = sum(m.recovery["starts"] for m in members)
        return Ensemble(members, stats.fraction(k_att, n_ex),
                        stats.fraction(sum(m.attractor_fraction["k"] == len(m.spectral_radius) for m in members),
                                       len(members)),
                        stats.fraction(rec, tot), stats.rho_classes([r for m in members for r in m.spectral_radius],
                                                                    margin))
    _check_settings(band=band, margin=margin, recover_frac=recover_frac, move_frac=move_frac, settle_cap=settle_cap,
                    rho_small=rho_small, n_starts=n_starts, seed=seed)
    Xh = host_matrix(X, "X")
    n, d = Xh.shape
    if n < 2:
        raise InputError("X needs at least 2 examples (recovery is judged against their spacing)")
    _check_memory(n, d, n_starts if starts is None else int(np.shape(starts)[0]))
    call, J_of, source, A = resolve(f, Xh, jacobian)
    out = call(Xh[:1])
    if np.shape(out) != (1, d):
        raise InputError(f"the model returned shape {np.shape(out)} for one input of d = {d}; it must map (m, d) rows to "
                         "(m, d) rows")
    clock = time.perf_counter()
    FX = call(Xh)
    if np.iscomplexobj(FX):
        raise InputError("the model returned complex values; it must map real (m, d) rows to real (m, d) rows")
    if not np.all(np.isfinite(FX)):
        raise InputError("the model returned non-finite outputs at the training examples")
    say(f"fixed points: the one near each of {n} examples (Newton)")
    spacing = dyn.min_spacing(Xh)
    tol = recover_frac * spacing
    residual = np.linalg.norm(FX - Xh, axis=1)
    # Theorem 2 speaks of a fixed point: the one near each example (Newton, falling back to iteration),
    # classified there; an example whose fixed point lies farther than tol from it is not memorized
    jac_at = J_of if J_of is not None else (lambda P: np.asarray(jac.fd_jacobian(call, P).J))
    fp = dyn.fixed_points_near(call, jac_at, Xh, iterate=settle_cap)
    P = np.asarray(fp.points, dtype=np.float64)
    distance = [float(v) if c and np.isfinite(v) else float("inf") for v, c in zip(fp.moved, fp.converged)]
    timings = {"fixed-points": time.perf_counter() - clock}
    clock = time.perf_counter()
    say(f"attractors: Jacobians at {n} fixed points ({source})")
    J, errors, err_norm = _jacobians(call, J_of, source, P)
    bad = np.flatnonzero(~np.all(np.isfinite(J), axis=(1, 2)))
    if bad.size:
        whose = "your jacobian" if jacobian is not None else (f"the {source} Jacobian of the model")
        raise InputError(f"{whose} has non-finite entries at example(s) {', '.join(map(str, bad[:5]))}")
    ex = classify_examples(call, P, J, tol=tol, band=band, error_norm=err_norm, moved=distance)
    rho, classes = np.asarray(ex.rho), list(ex.classes)
    timings["attractors"] = time.perf_counter() - clock
    clock = time.perf_counter()
    if starts is not None:
        S = host_matrix(starts, "starts")
        kinds, origins = ["given"] * S.shape[0], None
    else:  # default starts as the deep claims draw them for a user's data (datasets.user_starts)
        S, kinds, origins = labelled_user_starts(Xh, n_starts, np.random.default_rng(seed))
    if S.shape[1] != d:
        raise InputError(f"starts have {S.shape[1]} columns but the data have d = {d}")
    if origins is None:  # the example each given start begins nearest
        origins = [int(i) for i in dyn.nearest(S, Xh)[0]]
    say(f"recovery: {S.shape[0]} starts iterated until they settle (at most {settle_cap} steps)")
    st = settle_starts(call, Xh, S, recover_frac=recover_frac, move_frac=move_frac, cap=settle_cap)
    attracting, still = _spurious_classes(call, J_of, source, st.spurious_points, band)
    timings["recovery"] = time.perf_counter() - clock
    clock = time.perf_counter()
    say("superattraction: R(t) along the recovery curve")
    ts = [t for t in curve if t <= settle_cap]
    R = dyn.recovery_probability(call, S, Xh, ts, tol) if ts else []
    n_att = sum(c == "attractor" for c in classes)
    own = [st.example[j] == origins[j] for j in range(len(kinds)) if origins[j] >= 0 and st.outcome[j] == "recovered"]
    tracked = sum(1 for j in range(len(kinds)) if origins[j] >= 0)
    r1 = {}
    if ts and ts[0] == 1:
        for kind in sorted(set(kinds)):
            rows = [j for j, k in enumerate(kinds) if k == kind]
            r1[kind] = float(dyn.recovery_probability(call, S[rows], Xh, [1], tol)[0])
    timings["superattraction"] = time.perf_counter() - clock
    return Analysis(
        fixed_point_residual=residual.tolist(), fixed_point_distance=distance, spectral_radius=rho.tolist(),
        classification=classes,
        attractor_fraction=stats.fraction(n_att, n),
        recovery={"starts": len(st.outcome), "recovered": st.outcome.count("recovered"),
                  "spurious": st.outcome.count("spurious"), "unsettled": st.outcome.count("unsettled"),
                  "fraction_recovered": stats.fraction(st.outcome.count("recovered"), len(st.outcome)),
                  "curve": [[t, float(r)] for t, r in zip(ts, R)], "cap": settle_cap, "tol": tol,
                  "own_example": stats.fraction(sum(own), tracked) if tracked else None,
                  "examples_reached": len({st.example[j] for j in range(len(kinds)) if st.outcome[j] == "recovered"}),
                  "reached_counts": [sum(1 for j in range(len(kinds)) if st.outcome[j] == "recovered" and st.example[j] == i)
                                     for i in range(n)],
                  "kinds": {k: kinds.count(k) for k in sorted(set(kinds))},
                  "starts_drawn": USER_STARTS if starts is None else "given by the user"},
        spurious_attractors=attracting, spurious_fixed_points=still,
        superattraction={"R1": float(R[0]) if ts and ts[0] == 1 else None, "R1_by_kind": r1, "rho_small": rho_small,
                         "superattractors": int(np.sum(rho <= rho_small))},
        jacobian_source=source, jacobian_error=list(errors), jacobian_error_norm=err_norm,
        certificate_margin=ex.margin, undecided_why=list(ex.why),
        linear=_linear_report(A, Xh, margin) if A is not None else None,
        timings=timings,
        settings={"band": band, "margin": margin, "recover_frac": recover_frac, "move_frac": move_frac,
                  "settle_cap": settle_cap, "seed": seed, "spacing": spacing})
