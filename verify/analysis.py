"""Memorization analysis of a map the user trained: ``verify.analyze(f, X)`` (this module's ``analyze``).

The questions the paper asks of its own networks, asked of any autoencoder ``f`` on row batches
``(m, d) -> (m, d)``: are the training examples fixed points; are they attractors (Theorem 2:
``rho(J(x_i)) < 1``); does iterating from other starts recover them; are there spurious
attractors; are they superattractors (``R(1)`` near 1, ``rho`` near 0); and, for a linear map, its
rank, its eigenvalues near 1 and how far their eigenvectors lie from the span of the examples.

The mathematics is theory/'s (:mod:`theory.dynamics`, :mod:`theory.jacobians`, :mod:`theory.stats`);
this module picks the Jacobian's source and assembles the answers:

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
from theory import jacobians as jac
from theory import pseudospectra
from theory import stats
from theory.common import check_matrix
from theory.errors import InputError

from .datasets import USER_STARTS, labelled_user_starts

__all__ = ["Analysis", "Ensemble", "analyze"]


@dataclass
class Analysis:
    """Per-example answers and their aggregates (``to_dict`` for JSON)."""

    fixed_point_residual: list
    spectral_radius: list
    classification: list          # per example: attractor, repeller, undecided, or not-a-fixed-point
    attractor_fraction: dict      # k/n with its Wilson interval
    recovery: dict                # starts iterated until settled: outcome counts, R(t) curve
    spurious_attractors: list
    superattraction: dict         # R(1) and the examples with rho <= rho_small
    jacobian_source: str
    jacobian_error: list = field(default_factory=list)  # per example: the bound on each entry (finite differences)
    jacobian_error_norm: list = field(default_factory=list)  # per example: d x that, a bound on ||E||_2
    certificate_margin: list = field(default_factory=list)  # per example: theory.pseudospectra.classify_within's slack
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


def _host_matrix(X, name: str) -> np.ndarray:
    """``X`` on the host in float64, validated as every array of theory/ is (:func:`check_matrix`)."""
    try:
        A = np.asarray(to_numpy(X))
    except (AttributeError, TypeError, ValueError):
        A = X  # not an array of any namespace: check_matrix names it
    check_matrix(A, name)
    A = np.asarray(A, dtype=np.float64)
    dyn.check_distances_fit(A, name)
    return A


def _linear_matrix(f):
    """The d x d matrix of a linear model (a matrix, a SciPy LinearOperator, a network with
    ``operator()``), or None."""
    if hasattr(f, "operator") and callable(f.operator):
        return np.asarray(to_numpy(f.operator()), dtype=np.float64)
    try:
        from scipy.sparse.linalg import LinearOperator
    except ImportError:  # pragma: no cover - scipy is a dependency
        LinearOperator = ()
    if isinstance(f, LinearOperator):
        return np.asarray(f @ np.eye(f.shape[1]), dtype=np.float64)
    if hasattr(f, "shape") and not callable(f):
        A = np.asarray(to_numpy(f), dtype=np.float64)
        if A.ndim == 2 and A.shape[0] == A.shape[1]:
            return A
        raise InputError(f"a matrix model must be square (d x d), got shape {A.shape}")
    return None


def _torch_map(f):
    """``(call, jacobian, dtype name)`` for a ``torch.nn.Module``, called in its own parameters' dtype
    (PyTorch's default float32 too) on copies; ``None`` for other models."""
    try:
        import torch
    except ImportError:
        return None
    if not isinstance(f, torch.nn.Module):
        return None
    params = list(f.parameters())
    dtype = params[0].dtype if params and params[0].is_floating_point() else torch.float64

    def call(Z):
        with torch.no_grad():
            out = f(torch.tensor(np.array(Z), dtype=dtype))  # a copy, in the model's dtype
        return out.detach().cpu().numpy().astype(np.float64)

    def jacobian(Z):
        g = torch.func.vmap(torch.func.jacrev(lambda z: f(z[None, :])[0]))
        return g(torch.tensor(np.array(Z), dtype=dtype)).detach().cpu().numpy().astype(np.float64)

    return call, jacobian, str(dtype).replace("torch.", "")


def _jax_map(f, X):
    """``(call, jacobian)`` when ``f`` is a JAX model (it returns a JAX array for NumPy rows), else
    None; JAX then runs in float64 (``jax_enable_x64``)."""
    import sys

    if "jax" not in sys.modules:  # a JAX model has imported JAX
        return None
    import jax

    try:
        probe = f(np.array(X[:1]))  # a copy: a model may edit its input
    except Exception:
        return None
    if not isinstance(probe, jax.Array):
        return None
    jax.config.update("jax_enable_x64", True)

    def call(Z):
        return np.asarray(f(jax.numpy.asarray(Z)))

    def jacobian(Z):
        g = jax.vmap(jax.jacfwd(lambda z: f(z[None, :])[0]))
        return np.asarray(g(jax.numpy.asarray(Z)))

    return call, jacobian


def _resolve(f, X, jacobian):
    """``(call on host rows, jacobian on host rows or None, source name, linear matrix or None)``."""
    A = _linear_matrix(f)
    if A is not None:
        if A.shape[0] != X.shape[1]:
            raise InputError(f"the linear model is {A.shape[0]} x {A.shape[1]} but the data have d = {X.shape[1]}")
        return (lambda Z: Z @ A.T), (lambda Z: np.broadcast_to(A, (Z.shape[0],) + A.shape).copy()), "exact (linear)", A
    if not callable(f) and callable(getattr(f, "predict", None)):
        f = f.predict  # a scikit-learn estimator (an MLPRegressor trained as an autoencoder, say)
    if not callable(f):
        raise InputError(f"the model must be callable on row batches (m, d) -> (m, d), a d x d matrix or a "
                         f"LinearOperator; got {type(f).__name__}")
    torch_pair = _torch_map(f)
    if torch_pair is not None:
        call, auto, dtype = torch_pair
        auto_name = "torch.func.jacrev" + ("" if dtype == "float64" else f" (the model's {dtype})")
        return call, (_user_jacobian(jacobian) if jacobian is not None else auto), \
            ("user" if jacobian is not None else auto_name), None
    jax_pair = _jax_map(f, X)
    if jax_pair is not None:
        call, auto = jax_pair
        return call, (_user_jacobian(jacobian) if jacobian is not None else auto), \
            ("user" if jacobian is not None else "jax.jacfwd"), None

    def call(Z):
        out = np.asarray(to_numpy(f(np.array(Z))))  # a copy: a model may edit its input
        if np.iscomplexobj(out):
            raise InputError("the model returned complex values; it must map real (m, d) rows to real (m, d) rows")
        if not (np.issubdtype(out.dtype, np.number) or out.dtype == bool):
            raise InputError(f"the model returned {out.dtype} values, not numbers; it must map (m, d) rows to real "
                             "(m, d) rows")
        return out.astype(np.float64)

    return call, (_user_jacobian(jacobian) if jacobian is not None else None), \
        ("user" if jacobian is not None else "central differences"), None


def _user_jacobian(jacobian):
    def J(Z):
        raw = jacobian(np.array(Z))  # on a copy, as the model
        try:
            out = np.asarray(to_numpy(raw))
        except Exception:
            raise InputError(f"jacobian returned {type(raw).__name__}, not an array; it must return an (m, d, d) stack") from None
        if np.iscomplexobj(out) or not np.issubdtype(out.dtype, np.number):
            raise InputError(f"jacobian returned {out.dtype} entries; it must return a real (m, d, d) stack")
        out = out.astype(np.float64)
        if out.shape != (Z.shape[0], Z.shape[1], Z.shape[1]):
            raise InputError(f"jacobian returned shape {out.shape} for {Z.shape[0]} rows of d = {Z.shape[1]}; it must "
                             "return an (m, d, d) stack")
        return out
    return J


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


def _check_memory(n: int, d: int, m: int) -> None:
    """Refuse, before the model runs, an analysis whose Jacobian stacks cannot fit: central differences
    keep about 6 (n, d, d) arrays (the differences at two steps, their error, the eigenvalue work),
    the starts a few (m, d)."""
    from .plan import available

    need = 8 * (6 * n * d * d + 8 * max(m, 1) * d)
    room, source = available(None)
    if need > room:
        raise InputError(f"the analysis needs about {need / 2**30:.3g} GiB (the Jacobians of {n} examples of d = {d}) "
                         f"but {room / 2**30:.3g} GiB is available ({source}); analyse fewer examples at once")


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
            curve=(1, 2, 5, 10, 20, 50, 100), n_starts: int = 40, seed: int = 0):
    """Analyse the map ``f`` at its training examples ``X`` (rows); a list of maps gives an
    :class:`Ensemble`.  Each example is classified by Theorem 2 with an undecided band
    ``|rho - 1| <= band``, after checking it is a fixed point (``||f(x) - x||`` within
    ``recover_frac`` of the examples' smallest spacing).  Starts (default ``n_starts`` drawn as the
    deep claims draw them, seeded) are iterated until they settle or ``settle_cap`` steps."""
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
    Xh = _host_matrix(X, "X")
    n, d = Xh.shape
    if n < 2:
        raise InputError("X needs at least 2 examples (recovery is judged against their spacing)")
    _check_memory(n, d, 0 if starts is None else int(np.shape(starts)[0]) or n_starts)
    call, J_of, source, A = _resolve(f, Xh, jacobian)
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
    spacing = dyn.min_spacing(Xh)
    tol = recover_frac * spacing
    residual = np.linalg.norm(FX - Xh, axis=1)
    timings = {"fixed-points": time.perf_counter() - clock}
    clock = time.perf_counter()
    errors = []
    if J_of is None:
        fd = jac.fd_jacobian(call, Xh)
        J, errors = np.asarray(fd.J), fd.error
    else:
        J = J_of(Xh)
    bad = np.flatnonzero(~np.all(np.isfinite(J), axis=(1, 2)))
    if bad.size:
        whose = "your jacobian" if jacobian is not None else (f"the {source} Jacobian of the model")
        raise InputError(f"{whose} has non-finite entries at example(s) {', '.join(map(str, bad[:5]))}")
    rho = np.max(np.abs(np.linalg.eigvals(J)), axis=1)
    # ||E||_2 <= ||E||_F <= d max|E_ij|: the finite-difference error as a bound on the matrix's (0: exact)
    err_norm = [d * float(e) for e in errors] if errors else [0.0] * n
    if "float32" in source or "float16" in source or "bfloat16" in source:
        # an autodiff Jacobian computed in a lower precision: a rounding allowance d u ||J||_F per example
        u = {"float32": 2.0**-24, "float16": 2.0**-11, "bfloat16": 2.0**-8}[next(t for t in ("bfloat16", "float16", "float32")
                                                                              if t in source)]
        err_norm = [d * u * float(np.linalg.norm(J[i])) for i in range(n)]
    decided = [pseudospectra.classify_within(J[i], err_norm[i], band) for i in range(n)]
    classes = ["not-a-fixed-point" if residual[i] > tol else decided[i][0] for i in range(n)]
    timings["attractors"] = time.perf_counter() - clock
    clock = time.perf_counter()
    if starts is not None:
        S = _host_matrix(starts, "starts")
        kinds, origins = ["given"] * S.shape[0], None
    else:  # default starts as the deep claims draw them for a user's data (datasets.user_starts)
        S, kinds, origins = labelled_user_starts(Xh, n_starts, np.random.default_rng(seed))
    if S.shape[1] != d:
        raise InputError(f"starts have {S.shape[1]} columns but the data have d = {d}")
    if origins is None:  # the example each given start begins nearest
        origins = [int(i) for i in dyn.nearest(S, Xh)[0]]
    st = dyn.settle(call, S, Xh, tol=tol, move_tol=move_frac * spacing, cap=settle_cap)
    timings["recovery"] = time.perf_counter() - clock
    clock = time.perf_counter()
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
        fixed_point_residual=residual.tolist(), spectral_radius=rho.tolist(), classification=classes,
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
        spurious_attractors=st.spurious_points,
        superattraction={"R1": float(R[0]) if ts and ts[0] == 1 else None, "R1_by_kind": r1, "rho_small": rho_small,
                         "superattractors": int(np.sum(rho <= rho_small))},
        jacobian_source=source, jacobian_error=list(errors), jacobian_error_norm=err_norm,
        certificate_margin=[float(m) for _, m in decided],
        linear=_linear_report(A, Xh, margin) if A is not None else None,
        timings=timings,
        settings={"band": band, "margin": margin, "recover_frac": recover_frac, "move_frac": move_frac,
                  "settle_cap": settle_cap, "seed": seed, "spacing": spacing})
