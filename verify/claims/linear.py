"""Claims of the linear autoencoder: Section 2, Appendix A, Appendix I.2.

Each check composes :mod:`theory.linear`; the mathematics lives there.
"""

from __future__ import annotations

import math

from theory import linear_descent
from theory import certificates
from theory import linear as lin
from theory.common import eps
from theory.errors import DivergenceError, InputError

from ..datasets import synthetic
from ..evidence import Comparison, Measurement, Tolerance
from ..claim import BACKENDS, Claim, register
from .common import random_init, shape_violations

FAMILY = "linear"
HYPOTHESES = (
    "X has n < d examples (overparameterized)",
    "X has rank n",
    "gradient descent starts from W = 0 with a step 0 < eta < 2 / lambda_max(X X^T)",
)


# ---------------------------------------------------------------- shared pieces

def make_data(ctx) -> dict:
    """The profile's synthetic training set: n x d rows with condition number ``cond``."""
    p = ctx.sizes(FAMILY)
    return {"X": ctx.asarray(synthetic(p["n"], p["d"], cond=p["cond"], rng=ctx.rng("linear-data")))}


violations = shape_violations


def train(X, svd, ctx, *, W0=None, scale: float, checkpoints=()):
    """GD until the loss certifies ``||W - W_inf||_F <= target * scale`` (or the budget runs out).

    Returns ``(result, eta, bound, allowance)``: ``bound`` is the absolute error bound from the
    final loss and ``allowance`` the relative rounding allowance for the steps taken.
    """
    p = ctx.sizes(FAMILY)
    eta = ctx.step_factor / svd.s_max**2
    goal = target(ctx, svd)
    loss_tol = 0.5 * (goal * svd.s_min * scale) ** 2
    try:
        needed = certificates.gd_steps_needed(svd, eta, goal / 10)
    except InputError:  # at or past 2 / lambda_max the top mode never contracts (at 2 it oscillates)
        raise DivergenceError(f"step factor {ctx.step_factor:g} is at or past the stability limit: eta = {eta:.4g} "
                              f"does not contract the top mode; the largest stable step 2/lambda_max(X X^T) = "
                              f"{2.0 / svd.s_max**2:.4g} is step factor 2: use a step factor below 2") from None
    budget = min(p["max_steps"], 2 * needed + 100)
    res = trainer(ctx)(X, eta=eta, W0=W0, max_steps=budget, loss_tol=loss_tol, checkpoints=checkpoints)
    bound = certificates.gd_error_bound(res.loss, svd)
    allowance = certificates.gd_rounding_allowance(svd, res.steps, eps(X) / 2)
    return res, eta, bound, allowance


def trainer(ctx):
    """Dense explicit GD (``W`` a d x d array), or, where the profile says ``factored`` (the large
    profile), the same descent held as ``W0 + M X`` (:func:`theory.linear_descent.gd_train_factored`)."""
    return linear_descent.gd_train_factored if ctx.factored(FAMILY) else linear_descent.gd_train


def tolerance_for(bound: float, allowance: float, scale: float) -> Tolerance:
    value = bound / scale + allowance
    return Tolerance(
        value,
        f"sqrt(2 L)/(s_min ||W_inf||_F) = {bound / scale:.3g} (exact error bound from the final loss L, "
        f"Appendix A) + rounding u (kappa^2 + t) sqrt(d) = {allowance:.3g}",
    )


def target(ctx, svd) -> float:
    """The profile's target relative distance, or the dtype's certificate floor where that is larger
    (float32: :func:`theory.certificates.certificate_floor`; in float64 the profile's target always wins)."""
    return max(ctx.sizes(FAMILY)["target"], certificates.certificate_floor(svd, eps(svd.s) / 2))


def convergence_required(ctx, svd) -> float:
    """The stated convergence requirement: the certificate must reach 10x the target."""
    return 10 * target(ctx, svd)


def compare_to_limit(W, predicted: lin.FactoredMap, tol: Tolerance, certified: float, required: float,
                     **metrics) -> Measurement:
    """``W`` vs the predicted limit, plus the requirement that descent actually converged.

    The certificate ``sqrt(2L)/s_min`` bounds the distance of *any* iterate from 0 to its limit,
    so ``rel_error <= tolerance`` alone would pass a run that stopped early; the second
    comparison demands that the certified relative distance is below ``required``.
    """
    scale = predicted.fro()
    absolute = lin.distance(W, predicted)
    rel = absolute / scale
    metrics = {"rel_error": rel, "abs_error": absolute, "certified_rel_distance": certified, **metrics}
    comps = [Comparison("rel_error", rel, tol.value), Comparison("certified_rel_distance", certified, required)]
    inconclusive = []
    if certified > required:  # descent stopped before it could certify the limit: nothing is refuted
        inconclusive.append(f"descent stopped after {metrics.get('steps')} steps at loss {metrics.get('final_loss', float('nan')):.3g} "
                           f"with certified relative distance {certified:.3g} > {required:g}")
    return Measurement(comps, metrics, tol, key="rel_error", inconclusive=inconclusive)


# ---------------------------------------------------------------- linear-min-norm

def check_min_norm(data, ctx, *, W0_scale: float = 0.0) -> Measurement:
    X = data["X"]
    svd = lin.data_svd(X)
    solution = lin.min_norm_solution(X, svd=svd)
    W0 = random_init(ctx, FAMILY, X.shape[1], W0_scale, "linear-min-norm-control") if W0_scale else None
    res, eta, bound, allowance = train(X, svd, ctx, W0=W0, scale=solution.fro())
    tol = tolerance_for(bound, allowance, solution.fro())
    m = compare_to_limit(
        res.params, solution, tol, bound / solution.fro(), convergence_required(ctx, svd),
        steps=res.steps, final_loss=res.loss, eta=eta, cond=svd.cond, rank=svd.rank, converged=res.converged,
    )
    m.violations = violations(X, svd)
    return m


register(Claim(
    id="linear-min-norm",
    family="linear",
    backends=BACKENDS + ("dask",),
    scale_invariant=True,
    paper_ref="Section 2; Appendix A",
    statement="Gradient descent from W = 0 on 1/2||WX - X||^2 converges to the minimum-norm solution W* = X X^+ (Y X^+ in general).",
    hypotheses=HYPOTHESES,
    make_data=make_data,
    check=check_min_norm,
    negative_control=lambda data, ctx: check_min_norm(data, ctx, W0_scale=0.1),
    control_description="start gradient descent from a random W0 (scale 0.1) instead of 0: its limit is not X X^+",
))


# ---------------------------------------------------------------- linear-gd-trajectory

def _checked_steps(total: int) -> list:
    steps = {0, 1, 2, 3, 5, total}
    t = 10
    while t < total:
        steps.add(t)
        t *= 3
    return sorted(s for s in steps if s <= total)


def check_trajectory(data, ctx, *, offset: int = 0) -> Measurement:
    """Closed-form iterate at step t vs explicit GD at step t + offset, from 0 and from a random W0."""
    X = data["X"]
    svd = lin.data_svd(X)
    p = ctx.sizes(FAMILY)
    eta = ctx.step_factor / svd.s_max**2
    total = min(p["max_steps"], certificates.gd_steps_needed(svd, eta, target(ctx, svd)))
    steps = _checked_steps(total)
    worst, worst_step = 0.0, 0
    per_start = {}
    for label, W0 in (("zero", None), ("random", random_init(ctx, FAMILY, X.shape[1], 0.1, "linear-trajectory-init"))):
        scale = lin.gd_limit(X, W0=W0, svd=svd).fro()
        errs = {}

        def compare(t, _loss, W, W0=W0, errs=errs, scale=scale):  # at each checked step, as descent passes it
            if t - offset in steps:
                closed = lin.gd_iterate(X, eta=eta, t=t - offset, W0=W0, svd=svd)
                errs[t - offset] = lin.distance(W, closed) / scale

        res = trainer(ctx)(X, eta=eta, W0=W0, max_steps=total + offset, callback=compare)
        compare(res.steps, res.loss, res.params)  # the callback sees steps before the last update only
        for t, rel in errs.items():
            if rel > worst:
                worst, worst_step = rel, t
        per_start[label] = max(errs.values())
    allowance = certificates.gd_rounding_allowance(svd, total + offset, eps(X) / 2)
    tol = Tolerance(allowance, f"{X.dtype} rounding u (kappa^2 + t) sqrt(d) at the last checked step; the closed form is exact")
    metrics = {
        "max_rel_error": worst, "worst_step": worst_step, "checked_steps": steps,
        "max_rel_error_from_zero": per_start["zero"], "max_rel_error_from_random": per_start["random"],
        "eta": eta, "cond": svd.cond,
    }
    m = Measurement([Comparison("max_rel_error", worst, tol.value)], metrics, tol, key="max_rel_error")
    m.violations = violations(X, svd)
    return m


register(Claim(
    id="linear-gd-trajectory",
    family="linear",
    scale_invariant=True,
    paper_ref="Appendix A",
    statement="The closed-form iterate W(t) = W0 + [X^T U g_t - W0 V c_t] V^T equals explicit gradient descent at every checked step.",
    hypotheses=HYPOTHESES[:2] + ("step 0 < eta < 2 / lambda_max(X X^T); any W0",),
    make_data=make_data,
    check=check_trajectory,
    negative_control=lambda data, ctx: check_trajectory(data, ctx, offset=1),
    control_description="compare the closed form at step t with gradient descent at step t + 1 (off by one step)",
))


# ---------------------------------------------------------------- linear-span-projection

def check_span_projection(data, ctx, *, W0_scale: float = 0.0) -> Measurement:
    X = data["X"]
    svd = lin.data_svd(X)
    W0 = random_init(ctx, FAMILY, X.shape[1], W0_scale, "linear-span-control") if W0_scale else None
    res, eta, bound, allowance = train(X, svd, ctx, W0=W0, scale=math.sqrt(svd.rank))
    Z = ctx.asarray(ctx.rng("linear-span-probe").standard_normal((ctx.sizes(FAMILY)["n_probe"], X.shape[1])))
    diag = certificates.projection_diagnostics(res.params, svd.V, Z)
    delta = bound + allowance * math.sqrt(svd.rank)
    d = X.shape[1]
    value = 3 * delta + delta**2 + d * eps(X)
    tol = Tolerance(
        value,
        f"3 delta + delta^2 + d u with delta = {delta:.3g} >= ||W - X X^+||_F (loss bound sqrt(2L)/s_min + rounding): "
        "idempotency <= 3 delta + delta^2, symmetry <= 2 delta, eigenvalues (Bauer-Fike, normal P) and out-of-span <= delta",
    )
    comps = [Comparison(k, diag[k], value) for k in ("idempotency", "symmetry", "eig_one", "eig_zero", "out_of_span")]
    comps.append(Comparison("certified_rel_distance", bound / math.sqrt(svd.rank), convergence_required(ctx, svd)))
    key_value = max(c.measured for c in comps)
    metrics = {"max_defect": key_value, **diag, "steps": res.steps, "final_loss": res.loss, "n": X.shape[0], "d": d,
               "rank": svd.rank}
    m = Measurement(comps, metrics, tol, key="max_defect")
    m.violations = violations(X, svd)
    return m


register(Claim(
    id="linear-span-projection",
    family="linear",
    backends=BACKENDS + ("dask",),
    scale_invariant=True,
    paper_ref="Section 2",
    statement="The trained linear autoencoder is the orthogonal projection onto span(X): idempotent, symmetric, n eigenvalues 1 and d - n eigenvalues 0, outputs in span(X).",
    hypotheses=HYPOTHESES,
    make_data=make_data,
    check=check_span_projection,
    negative_control=lambda data, ctx: check_span_projection(data, ctx, W0_scale=0.1),
    control_description="the map trained from a random W0 (scale 0.1): not a projection, outputs leave span(X)",
))


# ---------------------------------------------------------------- init-perturbation

def check_init(data, ctx, *, against_zero_start: bool = False) -> Measurement:
    X = data["X"]
    xp = ctx.xp
    svd = lin.data_svd(X)
    P = lin.span_projection(X, svd=svd)
    scales = ctx.sizes(FAMILY)["init_scales"]
    comps, errors, distances, weyl_excess, tols = [], [], [], [], []
    for scale in scales:
        W0 = random_init(ctx, FAMILY, X.shape[1], scale, "linear-init")  # one G, several scales
        predicted = P if against_zero_start else lin.gd_limit(X, W0=W0, svd=svd)
        res, _, bound, allowance = train(X, svd, ctx, W0=W0, scale=predicted.fro())
        tol = tolerance_for(bound, allowance, predicted.fro())
        tols.append(tol)
        rel = lin.distance(res.params, predicted) / predicted.fro()
        comps.append(Comparison(f"rel_error[scale={scale:g}]", rel, tol.value))
        comps.append(Comparison(f"certified_rel_distance[scale={scale:g}]", bound / predicted.fro(),
                                convergence_required(ctx, svd)))
        errors.append(rel)
        distances.append(lin.distance(res.params, P))
        sv = certificates.svdvals(res.params)  # factored: the largest ones only, the rest are 0 (and so are their lower bounds)
        lower, upper, _ = certificates.weyl_bounds(W0, svd.rank, length=sv.shape[0])
        excess = max(float(xp.max(sv - upper)), float(xp.max(lower - sv)))
        weyl_excess.append(excess)
        comps.append(Comparison(f"weyl_excess[scale={scale:g}]", excess, bound + allowance * predicted.fro()))
    growth = min(b / a for a, b in zip(distances, distances[1:])) if len(distances) > 1 else float("inf")
    comps.append(Comparison("min_distance_growth", growth, 1.0, op=">="))
    metrics = {
        "max_rel_error": max(errors), "init_scales": list(scales), "rel_errors": errors,
        "distance_from_projection": distances, "weyl_excess": weyl_excess, "min_distance_growth": growth,
    }
    worst = max(range(len(scales)), key=lambda i: errors[i] / tols[i].value)
    m = Measurement(comps, metrics, tols[worst], key="max_rel_error")
    metrics["max_rel_error"] = errors[worst]
    metrics["worst_scale"] = scales[worst]
    m.violations = violations(X, svd)
    return m


register(Claim(
    id="init-perturbation",
    family="linear",
    scale_invariant=True,
    paper_ref="Section 5 (Effect of Initialization); Appendix I.2",
    statement="From a random W0, gradient descent reaches X X^+ + W0 (I - X X^+); Weyl's bounds |s_i(W) - s_i(X X^+)| <= s_1(W0) hold; the distance from X X^+ grows with the initialisation scale.",
    hypotheses=HYPOTHESES[:2] + ("gradient descent from W0 = scale * G / sqrt(d), G standard Gaussian",),
    make_data=make_data,
    check=check_init,
    negative_control=lambda data, ctx: check_init(data, ctx, against_zero_start=True),
    control_description="predict the zero-start limit X X^+ for the runs from non-zero W0",
))
