r"""Autoencoders as discrete dynamical systems ``x_{t+1} = f(x_t)`` (paper Section 3).

* Theorem 2: a fixed point ``x* = f(x*)`` is an attractor if the spectral radius of the Jacobian
  ``rho(J_f(x*)) < 1`` and a repeller if it is ``> 1``; :func:`classify` applies this with a
  stated undecided band around 1.
* Recovery probability (Section 3.3): the fraction of initial states ``x0`` in a set S whose
  t-th iterate lies within ``tol`` of a training example,
  ``R(t) = P_{x0 in S}[ min_i ||f^t(x0) - x_i|| <= tol ]``.
* Iterated *until settled* (:func:`settle`), each start ends recovered (within ``tol`` of a
  training example), at a spurious attractor (it stopped moving, ``||f(x) - x|| <= move_tol``,
  away from every example), or unsettled (still moving at the cap).
* A superattractor contracts faster than geometrically (``rho ~ 0``); in practice arbitrary
  inputs reach a training example in one iteration (``R(1) ~ 1``).

Maps are Python callables on row batches ``(m, d) -> (m, d)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gpu.fallbacks import eigvals

from .common import array_namespace
from .errors import InputError

__all__ = ["FixedPoints", "Iteration", "KnownMap", "Settled", "Superattraction", "check_distances_fit", "classify",
           "composition", "escape_ratio", "fixed_points_near", "iterate", "known_maps", "min_spacing", "nearest",
           "recovery_probability", "settle", "spectral_radius", "superattraction"]


def spectral_radius(J):
    """``max |lambda|`` of each Jacobian in an (m, k, k) stack (or of one (k, k) matrix)."""
    xp = array_namespace(J)
    lam = eigvals(J)
    return xp.abs(lam[..., 0])


def classify(rho: float, band: float = 0.0) -> str:
    """Theorem 2: ``attractor`` if ``rho < 1 - band``, ``repeller`` if ``rho > 1 + band``, else ``undecided``."""
    if rho < 1.0 - band:
        return "attractor"
    if rho > 1.0 + band:
        return "repeller"
    return "undecided"


def check_distances_fit(X, name: str = "X") -> None:
    """Refuse data whose squared distances would overflow the dtype (entries beyond
    ``sqrt(max / (16 d))``): every recovery and settling test measures them."""
    xp = array_namespace(X)
    limit = math.sqrt(float(xp.finfo(X.dtype).max) / (16 * X.shape[1]))
    top = float(xp.max(xp.abs(X)))
    if top > limit:
        raise InputError(f"{name} has entries up to {top:.3g}, beyond {limit:.3g}, where squared distances overflow "
                         f"{X.dtype}; rescale {name} (the paper's data lie in [0, 1])")


SPACING_BLOCK_BYTES = 2**26  # the differences min_spacing holds at once (64 MiB), whatever n


def min_spacing(train) -> float:
    """The smallest distance between two distinct training examples (the scale of "recovered"),
    from the differences themselves (exact for near-duplicates, unlike the Gram expansion), a block
    of rows at a time: at most :data:`SPACING_BLOCK_BYTES` of differences, never an (n, n, d) array."""
    xp = array_namespace(train)
    n, d = train.shape
    rows = max(1, SPACING_BLOCK_BYTES // max(1, 8 * n * d))
    best = math.inf
    for start in range(0, n, rows):
        block = train[start:min(start + rows, n), :]
        diff = block[:, None, :] - train[None, :, :]
        dist = xp.sqrt(xp.sum(diff * diff, axis=-1))
        positive = dist[dist > 0]
        if positive.shape[0]:
            best = min(best, float(xp.min(positive)))
    if best == math.inf:
        raise InputError(f"the {n} training example(s) have no two distinct rows; recovery needs at "
                         "least two distinct examples")
    return best


def nearest(Z, train):
    """Index of, and distance to, the nearest training example for each row of ``Z``.

    The candidates come from the Gram expansion ``|z|^2 - 2 z.x + |x|^2`` on data centred at the
    examples' mean (distances do not change under a shift; centring keeps the expansion from
    cancelling on offset data such as ``1e9 + U[0, 1)``), and the distance to the one chosen is
    computed from the difference itself."""
    xp = array_namespace(Z)
    centre = xp.mean(train, axis=0)
    Zc, Tc = Z - centre, train - centre
    d2 = xp.sum(Zc * Zc, axis=1)[:, None] - 2.0 * (Zc @ Tc.T) + xp.sum(Tc * Tc, axis=1)[None, :]
    idx = xp.argmin(d2, axis=1)
    diff = Z - xp.take(train, idx, axis=0)
    return idx, xp.sqrt(xp.sum(diff * diff, axis=1))


@dataclass(frozen=True)
class FixedPoints:
    """Result of :func:`fixed_points_near`, one entry per start (host lists): the refined points
    ``points`` (backend array, (m, d)), their residuals ``||f(x*) - x*||``, their distances from the
    starts, the Newton steps taken and whether each converged (residual at most
    ``sqrt(u) max(1, ||x*||)``, working accuracy for Newton's method)."""

    points: object
    residual: list
    moved: list
    steps: list
    converged: list


def fixed_points_near(f, jacobian, X0, *, max_steps: int = 30, halvings: int = 30, iterate: int = 0) -> FixedPoints:
    """Newton's method for a fixed point ``x* = f(x*)`` from each row of ``X0``:
    ``x <- x - (J(x) - I)^{-1} (f(x) - x)``, damped (the step halved until the residual falls, at most
    ``halvings`` times), until the residual stops falling or reaches rounding level
    (``8 d u max(1, ||x||)``) or ``max_steps``.

    A trained autoencoder interpolates its examples only up to its loss, so the fixed point that
    Theorem 2 speaks of lies near, not at, each example: the claims classify ``rho(J(x*))`` there
    and ask that ``x*`` lie within the recovery tolerance of the example.  ``jacobian`` maps rows to
    an (m, d, d) stack.  A singular ``J - I`` (a fixed point with the eigenvalue 1) stops the row
    where it is.  With ``iterate``, a row Newton leaves unconverged is iterated ``x <- f(x)`` that many
    times from its start, and takes the end point where the residual there is at working accuracy (an
    attracting fixed point that Newton's local model missed)."""
    xp = array_namespace(X0)
    m, d = X0.shape
    u = float(xp.finfo(X0.dtype).eps)
    X = X0
    steps = [0] * m

    def res(Z):
        R = f(Z) - Z
        return R, xp.sqrt(xp.sum(R * R, axis=1))

    R, r = res(X)
    active = [True] * m
    eye = xp.eye(d, dtype=X0.dtype)
    for _ in range(int(max_steps)):
        scale = xp.maximum(xp.sqrt(xp.sum(X * X, axis=1)), xp.ones_like(r))
        floor = 8 * d * u * scale
        active = [a and float(r[i]) > float(floor[i]) for i, a in enumerate(active)]
        if not any(active):
            break
        idx = [i for i, a in enumerate(active) if a]
        take = xp.asarray(idx)
        Xa, Ra, ra = xp.take(X, take, axis=0), xp.take(R, take, axis=0), xp.take(r, take, axis=0)
        M = jacobian(Xa) - eye[None, :, :]
        try:
            delta = -xp.linalg.solve(M, Ra[:, :, None])[:, :, 0]
        except Exception:  # a singular J - I somewhere: those rows stay
            delta = xp.zeros_like(Xa)
            for j in range(len(idx)):
                try:
                    delta_j = -xp.linalg.solve(M[j, ...], Ra[j, :])
                    delta = xp.concat([delta[:j, :], delta_j[None, :], delta[j + 1:, :]], axis=0)
                except Exception:
                    active[idx[j]] = False
        t = xp.ones_like(ra)
        improved = [False] * len(idx)
        best_X, best_R, best_r = Xa, Ra, ra
        for _h in range(int(halvings) + 1):
            cand = Xa + t[:, None] * delta
            Rc, rc = res(cand)
            better = xp.logical_and(xp.isfinite(rc), rc < best_r)
            new = [bool(better[j]) and not improved[j] for j in range(len(idx))]
            if any(new):
                sel = xp.asarray(new)
                best_X = xp.where(sel[:, None], cand, best_X)
                best_R = xp.where(sel[:, None], Rc, best_R)
                best_r = xp.where(sel, rc, best_r)
                improved = [a or b for a, b in zip(improved, new)]
            if all(improved):
                break
            t = xp.where(xp.asarray(improved), t, t / 2)
        rows = list(range(m))
        pos = {i: j for j, i in enumerate(idx)}
        X = xp.stack([best_X[pos[i], :] if i in pos else X[i, :] for i in rows], axis=0)
        R = xp.stack([best_R[pos[i], :] if i in pos else R[i, :] for i in rows], axis=0)
        r = xp.stack([best_r[pos[i]] if i in pos else r[i] for i in rows], axis=0)
        for j, i in enumerate(idx):
            if improved[j]:
                steps[i] += 1
            else:
                active[i] = False  # no step lowers the residual: as far as Newton gets
    scale = xp.maximum(xp.sqrt(xp.sum(X * X, axis=1)), xp.ones_like(r))
    conv = [float(r[i]) <= math.sqrt(u) * float(scale[i]) for i in range(m)]
    if iterate and not all(conv):  # the fallback: x <- f(x) from the start, for the rows Newton left
        rows = [i for i in range(m) if not conv[i]]
        Z = xp.take(X0, xp.asarray(rows), axis=0)
        for _ in range(int(iterate)):
            Z = f(Z)
        Rz = f(Z) - Z
        rz = xp.sqrt(xp.sum(Rz * Rz, axis=1))
        zs = xp.maximum(xp.sqrt(xp.sum(Z * Z, axis=1)), xp.ones_like(rz))
        fixed = {i: j for j, i in enumerate(rows) if float(rz[j]) <= math.sqrt(u) * float(zs[j])}
        if fixed:
            X = xp.stack([Z[fixed[i], :] if i in fixed else X[i, :] for i in range(m)], axis=0)
            r = xp.stack([rz[fixed[i]] if i in fixed else r[i] for i in range(m)], axis=0)
            conv = [c or i in fixed for i, c in enumerate(conv)]
    moved = xp.sqrt(xp.sum((X - X0) ** 2, axis=1))
    return FixedPoints(X, [float(v) for v in r], [float(v) for v in moved], steps, conv)


@dataclass
class Iteration:
    """Result of :func:`iterate`: final states, per-step movement and recovery fractions."""

    final: object
    steps: int
    movement: list       # max_i ||x_{t+1} - x_t|| per step
    recovered: list      # R(t) for t = 0..steps (when training examples were given)
    settled: bool        # the last movement was below the tolerance


def composition(F, train, margin: float) -> dict:
    """Are the outputs ``F`` (m, d) individual training examples or combinations of them (paper
    Appendix H, Figure 10)?  Directions only (a bias-free ReLU-type network is positively
    homogeneous, so ``f(c z) = c f(z)``): for each output, the sine of its angle to the nearest
    example, ``s_near = min_i sin(F_j, x_i)``, and to the span of the examples,
    ``s_span = ||(I - P) F_j|| / ||F_j||`` (an output at an obtuse angle to every example has
    ``s_near = 1``; with one example ``sep`` is 1).  With ``sep`` the smallest sine between two examples,
    an output is ``individual`` when ``s_near <= margin * sep``, a ``combination`` when it is not
    but ``s_span <= margin * sep``, else ``neither``.  Returns the per-output sines, the classes and
    ``sep``."""
    xp = array_namespace(F, train)
    if F.ndim != 2 or train.ndim != 2 or F.shape[1] != train.shape[1] or train.shape[0] < 1:
        raise InputError(f"composition needs outputs (m, d) and training examples (n, d) of one d, got "
                         f"{tuple(F.shape)} and {tuple(train.shape)}")
    tiny = xp.finfo(F.dtype).smallest_normal
    U = train / xp.sqrt(xp.sum(train * train, axis=1, keepdims=True))
    G = xp.clip(xp.abs(U @ U.T), 0.0, 1.0)
    n = train.shape[0]
    off = [float(G[i, j]) for i in range(n) for j in range(i + 1, n)]
    sep = math.sqrt(max(0.0, 1.0 - max(off) ** 2)) if off else 1.0  # one example: no pair, sep = 1
    Fn = F / (xp.sqrt(xp.sum(F * F, axis=1, keepdims=True)) + tiny)
    cos_near = xp.clip(xp.max(Fn @ U.T, axis=1), 0.0, 1.0)  # signed: -x_i is not the example x_i
    s_near = xp.sqrt(xp.clip(1.0 - cos_near * cos_near, 0.0, 1.0))
    Q, _ = xp.linalg.qr(train.T)  # (d, n): an orthonormal basis of the span
    R = Fn - (Fn @ Q) @ Q.T
    s_span = xp.sqrt(xp.sum(R * R, axis=1))
    classes = ["individual" if float(a) <= margin * sep else "combination" if float(b) <= margin * sep else "neither"
               for a, b in zip(s_near, s_span)]
    return {"sine_nearest": [float(v) for v in s_near], "sine_span": [float(v) for v in s_span], "classes": classes,
            "separation": sep}


def iterate(f, X0, steps: int, *, train=None, tol: float = 1e-6, stop_when_settled: bool = False) -> Iteration:
    """Iterate ``x <- f(x)`` from the rows of ``X0`` for ``steps`` steps.

    With ``train`` given, records ``R(t)``: the fraction of rows within ``tol`` of a training example.
    """
    xp = array_namespace(X0)
    X, moves, rec = X0, [], []

    def r(X):
        _, dist = nearest(X, train)
        return float(xp.mean(xp.astype(dist <= tol, X.dtype)))

    if train is not None:
        rec.append(r(X))
    t = 0
    for t in range(1, steps + 1):
        Xn = f(X)
        moves.append(float(xp.max(xp.sqrt(xp.sum((Xn - X) ** 2, axis=1)))))
        X = Xn
        if train is not None:
            rec.append(r(X))
        if stop_when_settled and moves[-1] <= tol:
            break
    return Iteration(X, t, moves, rec, bool(moves) and moves[-1] <= tol)


@dataclass(frozen=True)
class Settled:
    """Result of :func:`settle`: per start, where it ended (host lists, one entry per row of ``X0``)."""

    outcome: list       # "recovered" | "spurious" | "unsettled"
    example: list       # index of the nearest training example at the end
    distance: list      # distance to it at the end
    steps: list         # steps until the start settled (the cap when it did not)
    spurious_points: list  # the settled end points away from every example (rows, host lists)
    cap: int

    def fraction(self, what: str) -> float:
        return self.outcome.count(what) / len(self.outcome) if self.outcome else 0.0


def settle(f, X0, train, *, tol: float, move_tol: float, cap: int, escape: float | None = None) -> Settled:
    """Iterate ``x <- f(x)`` from each row of ``X0`` until it stops moving (``||f(x) - x|| <= move_tol``)
    or ``cap`` steps; rows that settled leave the batch.  A row then counts as ``recovered`` when
    it lies within ``tol`` of a training example, ``spurious`` when it settled elsewhere, and
    ``unsettled`` when it was still moving at the cap (its end point is judged as recovered or not
    all the same: a row within ``tol`` of an example at the cap is recovered).  A row whose state
    leaves the cube of half-width ``escape`` around the origin (or stops being finite) leaves the
    batch at once as ``unsettled`` (it escapes: iterating it on would overflow).  The default is
    ``sqrt(max / (16 d))`` of the dtype, the largest at which a squared step length cannot overflow."""
    xp = array_namespace(X0)
    if not (tol > 0 and move_tol > 0) or int(cap) != cap or cap < 1:
        raise InputError(f"settle needs tol > 0, move_tol > 0 and an integer cap >= 1, got {tol!r}, {move_tol!r}, {cap!r}")
    m = X0.shape[0]
    limit = math.sqrt(float(xp.finfo(X0.dtype).max) / (16 * X0.shape[1]))
    escape = limit if escape is None else min(float(escape), limit)
    done_at = [int(cap)] * m
    final = [None] * m
    active = list(range(m))
    X = X0
    escaped: set = set()
    for t in range(1, int(cap) + 1):
        Xn = f(X)
        size = xp.max(xp.abs(Xn), axis=1)
        inside = xp.logical_and(xp.isfinite(size), size <= escape)
        diff = xp.where(inside[:, None], Xn - X, xp.zeros_like(Xn))
        move = xp.sqrt(xp.sum(diff * diff, axis=1))
        moving = xp.logical_and(inside, xp.logical_not(move <= move_tol))
        if int(xp.sum(xp.astype(moving, xp.int32))) == len(active):
            X = Xn  # nothing settled or escaped this step (one readout, not one per row)
            continue
        out = [not bool(inside[j]) for j in range(move.shape[0])]
        still = [not out[j] and not float(move[j]) <= move_tol for j in range(move.shape[0])]
        for j, row in enumerate(active):
            if out[j]:
                escaped.add(row)
                final[row] = X[j, :]  # its last state inside the ball
            elif not still[j]:
                done_at[row] = t
                final[row] = Xn[j, :]
        keep = [j for j, s in enumerate(still) if s]
        active = [active[j] for j in keep]
        if not active:
            break
        X = xp.take(Xn, xp.asarray(keep), axis=0) if len(keep) < Xn.shape[0] else Xn
    for j, row in enumerate(active):
        final[row] = X[j, :]  # still moving at the cap: its state after ``cap`` steps
    F = xp.stack(final, axis=0)
    idx, dist = nearest(F, train)
    idx, dist = [int(i) for i in idx], [float(v) for v in dist]
    outcome, spurious, moving = [], [], set(active) | escaped
    for row in range(m):
        if row in escaped:
            outcome.append("unsettled")
        elif dist[row] <= tol:
            outcome.append("recovered")
        elif row not in moving:
            outcome.append("spurious")
            spurious.append([float(v) for v in F[row, :]])
        else:
            outcome.append("unsettled")
    return Settled(outcome, idx, dist, done_at, spurious, int(cap))


def recovery_probability(f, X0, train, ts, tol: float):
    """``R(t)`` for each t in ``ts``: fraction of ``X0``'s rows whose t-th iterate is within ``tol`` of a training example."""
    it = iterate(f, X0, max(ts), train=train, tol=tol)
    return [it.recovered[t] for t in ts]


@dataclass(frozen=True)
class Superattraction:
    """Result of :func:`superattraction`: one-step recovery and the spectral radii at the examples."""

    one_step_recovery: float   # R(1) over the initial states
    spectral_radius: object    # (n,) rho(J) at each training example
    rho_small: float           # the bound below which rho counts as ~0
    superattractors: object    # (n,) bool: rho(J(x_i)) <= rho_small

    @property
    def all_superattractors(self) -> bool:
        return bool(array_namespace(self.superattractors).all(self.superattractors))


def superattraction(f, jacobian, train, X0, *, tol: float, rho_small: float) -> Superattraction:
    """Superattractor detection (Section 3.3): ``R(1)`` from ``X0`` (one iteration lands within
    ``tol`` of a training example) and ``rho(J(x_i)) <= rho_small`` at each example
    (contraction faster than geometric: ``rho ~ 0``).  ``jacobian`` maps rows to an (m, d, d) stack."""
    rho = spectral_radius(jacobian(train))
    r1 = recovery_probability(f, X0, train, [1], tol)[0]
    return Superattraction(r1, rho, rho_small, rho <= rho_small)


@dataclass(frozen=True)
class KnownMap:
    """A map with a known fixed point and its Jacobian there (for testing Theorem 2)."""

    name: str
    f: object          # rows -> rows
    fixed_point: object  # (d,)
    jacobian: object   # (d, d) at the fixed point


def known_maps(xp, d: int = 4, rng=None, dtype=None) -> list:
    """Maps with known fixed points and Jacobians, attracting and repelling:

    * ``x - c sin x`` (1-D) at 0 and pi: ``f'(0) = 1 - c``, ``f'(pi) = 1 + c`` with ``c = 0.5``;
    * affine ``p + M (x - p)`` with a non-normal ``M = Q T Q^T`` (one 2 x 2 block
      ``[[lambda, 3], [0, mu]]``, the rest diagonal): spectral radius 0.8 but ``||M||_2 > 1``
      (attractor although not a contraction in norm), and eigenvalues {1.2, 0.5, ...} (repeller
      although most eigenvalues are < 1);
    * ``p + M tanh(x - p)``: nonlinear, Jacobian ``M`` at ``p``.
    """
    import numpy as np

    rng = np.random.default_rng(rng)
    dtype = xp.float64 if dtype is None else dtype
    c = 0.5
    maps = [
        KnownMap("x - 0.5 sin x at 0", lambda Z: Z - c * xp.sin(Z), xp.asarray([0.0], dtype=dtype), xp.asarray([[1.0 - c]], dtype=dtype)),
        KnownMap("x - 0.5 sin x at pi", lambda Z: Z - c * xp.sin(Z), xp.asarray([math.pi], dtype=dtype), xp.asarray([[1.0 + c]], dtype=dtype)),
    ]
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))

    def block(top, second, rest, coupling):
        """Q T Q^T with T = [[top, coupling], [0, second]] (+) rest * I: non-normal in one 2 x 2 block only,
        so eigenvalues stay well-conditioned and transient growth bounded at any d."""
        T = np.diag([top, second] + [rest] * (d - 2))[:d, :d]
        if d >= 2:
            T[0, 1] = coupling
        return Q @ T @ Q.T

    for label, M in (("affine, rho 0.8, ||M|| > 1", block(0.8, 0.3, 0.3, 3.0)),
                     ("affine, eigenvalues 0.5 and 1.2", block(1.2, 0.5, 0.5, 3.0))):
        p = rng.standard_normal(d)
        Mx, px = xp.asarray(M, dtype=dtype), xp.asarray(p, dtype=dtype)
        maps.append(KnownMap(label, (lambda Mx, px: lambda Z: px + (Z - px) @ Mx.T)(Mx, px), px, Mx))
    M = block(0.9, 0.2, 0.2, 1.0)
    p = rng.standard_normal(d)
    Mx, px = xp.asarray(M, dtype=dtype), xp.asarray(p, dtype=dtype)
    maps.append(KnownMap("p + M tanh(x - p), rho 0.9", (lambda Mx, px: lambda Z: px + xp.tanh(Z - px) @ Mx.T)(Mx, px),
                         px, Mx))
    return maps


def escape_ratio(f, x_star, radius: float, steps: int, m: int, rng=None):
    """Iterate from ``m`` random points at distance ``radius`` of ``x_star``; return the ratios
    ``||f^steps(x0) - x*|| / radius`` (an array of length m; < 1 converging, > 1 leaving).

    Iteration stops early once every start is farther than 1 from ``x_star`` (absolute distance,
    a ratio of ``1/radius``): they have left.
    """
    import numpy as np

    xp = array_namespace(x_star)
    rng = np.random.default_rng(rng)
    d = x_star.shape[0]
    U = rng.standard_normal((m, d))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    X = x_star[None, :] + radius * xp.asarray(U)
    for _ in range(steps):
        X = f(X)
        dist = xp.sqrt(xp.sum((X - x_star[None, :]) ** 2, axis=1))
        if bool(xp.all(dist > 1.0)):
            break
    return dist / radius
