"""Claims of the nonlinear single-layer autoencoder: Theorem 1 and its corollary (Section 2, Appendix B).

Each check composes :mod:`theory.single_layer` and :mod:`theory.activations`; it runs over every
(data set, activation) pair of the profile and holds when every pair passes.
"""

from __future__ import annotations

import math

from theory import certificates
from theory import activations as acts
from theory import linear as lin
from theory import single_layer as sl
from theory.common import eps
from theory.errors import InputError

from ..datasets import digits, scale_into, synthetic
from ..evidence import Comparison, Measurement, Tolerance
from ..claim import BACKENDS, Claim, register
from .common import random_init, shape_violations

FAMILY = "single_layer"
HYPOTHESES = (
    "X has n < d examples and rank n",
    "Assumption 1 (a)-(c) holds for every coordinate (checked per coordinate)",
    "gradient descent on loss (1) starts from A = 0",
)


# ---------------------------------------------------------------- data

def make_data(ctx) -> dict:
    """The profile's training sets with pixels in [0, 1]; each claim scales them into phi's safe interval."""
    p = ctx.sizes(FAMILY)
    sets = {}
    if "synthetic" in p["datasets"]:
        raw = synthetic(p["n"], p["d"], cond=p["cond"], rng=ctx.rng("single-layer-data"))
        sets["synthetic"] = scale_into(raw, (0.0, 1.0))
    if "digits" in p["datasets"]:
        sets["digits"] = digits(p["digits_n"])
    return {"unit_sets": sets}


def make_violating_data(ctx) -> dict:
    """Data inside phi's range that violate Assumption 1: (b) for sigmoid and exp_neg, (c) for softplus, (a) for tanh."""
    p = ctx.sizes(FAMILY)
    raw = scale_into(synthetic(p["n"], p["d"], cond=p["cond"], rng=ctx.rng("single-layer-violating")), (0.0, 1.0))
    return {"fixed_sets": {
        ("straddles phi(0)", "sigmoid"): scale_into(raw, (0.3, 0.7)),       # pre-images of both signs: (b)
        ("straddles phi(0)", "exp_neg"): scale_into(raw, (0.6, 1.4)),       # (b)
        ("above log 2", "softplus"): scale_into(raw, (0.9, 1.6)),           # convex increasing, pre-images > 0: (c)
        ("negative", "tanh"): scale_into(raw, (-0.7, -0.1)),                # negative data: (a)
    }}


def pairs(data, ctx):
    """``(label, activation, X)`` for every (data set, activation) pair to check; an
    ``--activation`` that selects none of them is a one-line InputError."""
    found = list(_pairs(data, ctx))
    if not found:
        covered = sorted({name for _, name in data.get("fixed_sets", {})})
        raise InputError(f"--activation {', '.join(ctx.activations)} selects none of this claim's cases (it covers "
                         f"{', '.join(covered)}); choose one of those or leave --activation out")
    return found


def _pairs(data, ctx):
    names = ctx.activations or ctx.sizes(FAMILY)["activations"]
    if "X" in data:  # the user's data, used as given
        for name in names:
            yield f"user/{name}", acts.get(name), data["X"]
    elif "fixed_sets" in data:
        for (label, name), X in data["fixed_sets"].items():
            if not ctx.activations or name in ctx.activations:
                yield f"{label}/{name}", acts.get(name), ctx.asarray(X)
    else:
        for set_name, unit in data["unit_sets"].items():
            for name in names:
                act = acts.get(name)
                yield f"{set_name}/{name}", act, ctx.asarray(scale_into(unit, act.safe_interval))


def violations(X, act, svd) -> list:
    return shape_violations(X, svd) + acts.check_assumption1(X, act).summary()


# ---------------------------------------------------------------- training (shared through ctx.cache)

def train(label, act, X, svd, ctx, *, adaptive: bool, A0=None):
    """Descent on loss (1) until the certificate reaches the profile's target (or the budget).

    Step: :func:`theory.single_layer.default_step` times ``ctx.step_factor``; budget: the
    profile's ``max_steps``; checkpoints on a geometric grid for the error-vs-steps record.
    """
    key = ("single-layer", label, adaptive, A0 is not None, ctx.step_factor)
    if key in ctx.cache:
        return ctx.cache[key]
    p = ctx.sizes(FAMILY)
    step = sl.default_step(X, act, adaptive=adaptive, svd=svd, factor=ctx.step_factor)
    target = sl.closed_form(X, act, svd=svd)
    # stop when the pre-image residual certifies ||A - A*|| <= target * ||A*||; loss (1) <= the
    # pre-image residual times max|phi'|^2, so stop on the loss at that level and certify afterwards
    m, M = acts.derivative_bounds(act, sl.preimages(X, act))
    loss_tol = 0.5 * (p["target"] * svd.s_min * target.fro() * m) ** 2
    checkpoints = sorted({0, *[int(round(10 ** (k / 2))) for k in range(0, 2 * int(math.log10(p["max_steps"])) + 1)]})
    estimate = sl.steps_estimate(X, act, step=step, adaptive=adaptive, reduction=p["target"] / 10, svd=svd)
    budget = min(p["max_steps"], 3 * estimate + 1000)
    res = sl.gd_train(X, act, step=step, adaptive=adaptive, A0=A0, max_steps=budget, loss_tol=loss_tol,
                      checkpoints=checkpoints, factored=ctx.factored(FAMILY))
    history = {t: lin.distance(A, target) / target.fro() for t, A in sorted(res.checkpoints.items())}
    out = dict(result=res, step=step, target=target, history=history, M=M, budget=budget, estimate=estimate)
    ctx.cache[key] = out
    return out


def _allowance(svd, steps, X) -> float:
    return certificates.gd_rounding_allowance(svd, steps, eps(X) / 2)


# ---------------------------------------------------------------- thm1-adaptive-step / thm1-constant-step

# a pre-image where |phi'| is below this share of its maximum: descent there is saturation-bound
SATURATED = 1e-6

def check_limit(data, ctx, *, adaptive: bool, control: str | None = None) -> Measurement:
    """Trained A vs A* = phi^{-1}(X) X^+ for every pair; ``control`` picks a wrong prediction or start."""
    comps, metrics, notes, viol, inconclusive = [], {}, [], [], []
    worst, worst_tol = -1.0, None
    required = 10 * ctx.sizes(FAMILY)["target"]
    for label, act, X in pairs(data, ctx):
        svd = lin.data_svd(X)
        viol.extend(f"{label}: {v}" for v in violations(X, act, svd))
        A0 = random_init(ctx, FAMILY, X.shape[1], 0.1, "thm1-init") if control == "nonzero-start" else None
        run = train(label, act, X, svd, ctx, adaptive=adaptive, A0=A0)
        res, target = run["result"], run["target"]
        predicted = target
        if control == "phi-not-inverse":
            predicted = lin.min_norm_solution(X, act(X), svd=svd)  # phi where phi^{-1} belongs
        scale = predicted.fro()
        rel = lin.distance(res.params, predicted) / scale
        certified = sl.distance_bound(res.params, X, act, svd) / target.fro()
        tol = Tolerance(certified + _allowance(svd, res.steps, X),
                        "certified ||A - A*||/||A*|| = ||X A^T - phi^{-1}(X)||_F / (s_min ||A*||) from the final "
                        "pre-image residual (rows of A - A* lie in span(X)) + rounding u (kappa^2 + t) sqrt(d)")
        comps.append(Comparison(f"rel_error[{label}]", rel, tol.value))
        comps.append(Comparison(f"certified_rel_distance[{label}]", certified, required))
        metrics[label] = {
            "rel_error": rel, "certified_rel_distance": certified, "final_loss": res.loss, "steps": res.steps,
            "converged": res.converged, "step": run["step"], "cond": svd.cond, "budget": run["budget"],
            "steps_estimate": run["estimate"],
            "rel_error_vs_steps": {str(t): e for t, e in run["history"].items()},
        }
        if certified > required:
            inconclusive.append(f"{label}: {res.steps} steps, final loss {res.loss:.3g}, certified distance {certified:.3g} "
                               f"> {required:g}")
            m, M = acts.derivative_bounds(act, sl.preimages(X, act))
            why = (f"the data sit where {act.name} saturates: |phi'| at the pre-images falls to {m:.3g} (its "
                   f"maximum there is {M:.3g}), so the gradient vanishes there; min-max scale X away from the ends of the range "
                   f"(e.g. into {act.safe_interval})" if m < SATURATED * M else
                   f"saturating activations stall rather than diverge when the step is too large (step_factor = "
                   f"{ctx.step_factor:g}) and converge slowly when X is ill-conditioned (kappa = {svd.cond:.3g})")
            notes.append(f"{label}: descent did not converge ({res.steps} steps, final loss {res.loss:.3g}, certified "
                         f"distance {certified:.3g}); {why}")
        if rel / tol.value > worst:
            worst, worst_tol = rel / tol.value, tol
            metrics["rel_error"], metrics["worst_pair"] = rel, label
    notes.append(f"step = {'gamma' if adaptive else 'eta'} = step_factor / (lambda_max(X X^T) max|phi'|"
                 f"{'' if adaptive else '^2'}) over [0, pre-images]; budget min(max_steps = {ctx.sizes(FAMILY)['max_steps']}, 3 x the linearised estimate + 1000) steps; "
                 f"convergence required: certified relative distance <= {required:g}")
    notes.append("any descent from A = 0 keeps A = C X^T, and an interpolating A = C X^T equals Y X^+: "
                 "the limit does not depend on the step rule, only convergence does")
    return Measurement(comps, metrics, worst_tol, key="rel_error", violations=viol, notes=notes,
                       inconclusive=[] if control else inconclusive)


register(Claim(
    id="thm1-adaptive-step",
    family="single_layer",
    options=("activations",),
    backends=BACKENDS + ("dask",),
    paper_ref="Section 2, Theorem 1; Appendix B",
    statement="Under Assumption 1, gradient descent from A = 0 on loss (1) with the adaptive step gamma/|phi'(a x_i)| converges to A* = phi^{-1}(X) X^+.",
    hypotheses=HYPOTHESES,
    make_data=make_data,
    check=lambda data, ctx: check_limit(data, ctx, adaptive=True),
    negative_control=lambda data, ctx: check_limit(data, ctx, adaptive=True, control="phi-not-inverse"),
    control_description="predict phi(X) X^+ (phi applied where phi^{-1} belongs)",
))

register(Claim(
    id="thm1-constant-step",
    family="single_layer",
    options=("activations",),
    paper_ref="Section 2, remark after Theorem 1 (conjecture)",
    statement="Conjecture (the authors'): with a constant step, gradient descent from A = 0 converges to the same A* = phi^{-1}(X) X^+.",
    hypotheses=HYPOTHESES,
    make_data=make_data,
    check=lambda data, ctx: check_limit(data, ctx, adaptive=False),
    negative_control=lambda data, ctx: check_limit(data, ctx, adaptive=False, control="nonzero-start"),
    control_description="start the constant-step descent from a random A0 (scale 0.1): its limit keeps A0's component outside span(X)",
))

register(Claim(
    id="thm1-beyond-assumptions",
    family="single_layer",
    options=("activations",),
    expect="hypotheses-not-met",
    paper_ref="Section 2, Theorem 1 (outside Assumption 1)",
    statement="On data in phi's range that violate Assumption 1 the theorem does not apply (verdict hypotheses-not-met); the evidence reports whether adaptive descent still reaches phi^{-1}(X) X^+.",
    hypotheses=HYPOTHESES,
    make_data=make_violating_data,
    check=lambda data, ctx: check_limit(data, ctx, adaptive=True),
    negative_control=lambda data, ctx: check_limit(data, ctx, adaptive=True, control="phi-not-inverse"),
    control_description="predict phi(X) X^+ on the same violating data",
    control_always=True,
))


# ---------------------------------------------------------------- cor-phi-eigenvectors

def check_eigenvectors(data, ctx, *, wrong: bool = False) -> Measurement:
    """phi(A x_i) = 1 * x_i for A* and for the adaptively trained A."""
    comps, metrics, viol = [], {}, []
    worst, worst_tol = -1.0, None
    for label, act, X in pairs(data, ctx):
        svd = lin.data_svd(X)
        viol.extend(f"{label}: {v}" for v in violations(X, act, svd))
        run = train(label, act, X, svd, ctx, adaptive=True)
        res, target = run["result"], run["target"]
        rounding = _allowance(svd, res.steps, X) * target.fro()
        for which, A, delta in (("closed_form", target, 0.0),
                                ("trained", res.params, sl.distance_bound(res.params, X, act, svd))):
            if wrong:
                A = lin.min_norm_solution(X, act(X), svd=svd)
            lam, resid = sl.phi_eigen(A, X, act)
            xp = ctx.xp
            dev = float(xp.max(xp.abs(lam - 1.0)))
            worst_res = float(xp.max(resid))
            tol = Tolerance(run["M"] * (delta + rounding),
                            "max|phi'| (delta + rounding): ||phi(A x) - x|| <= max|phi'| ||A - A*|| ||x|| with delta the "
                            "certified ||A - A*||_F (0 for A*) and rounding u (kappa^2 + t) sqrt(d) ||A*||_F")
            comps.append(Comparison(f"max|lambda-1|[{label}/{which}]", dev, tol.value))
            comps.append(Comparison(f"max_residual[{label}/{which}]", worst_res, tol.value))
            metrics[f"{label}/{which}"] = {"max_abs_lambda_minus_1": dev, "max_residual": worst_res}
            if max(dev, worst_res) / tol.value > worst:
                worst, worst_tol = max(dev, worst_res) / tol.value, tol
                worst_value, worst_label = max(dev, worst_res), f"{label}/{which}"
    metrics["residual"], metrics["worst_pair"] = worst_value, worst_label
    return Measurement(comps, metrics, worst_tol, key="residual", violations=viol)


register(Claim(
    id="cor-phi-eigenvectors",
    family="single_layer",
    options=("activations",),
    backends=BACKENDS + ("dask",),
    paper_ref="Section 2, Corollary",
    statement="Every training example is a phi-eigenvector with phi-eigenvalue 1, phi(A x_i) = x_i, of A* and of the trained A.",
    hypotheses=HYPOTHESES,
    make_data=make_data,
    check=check_eigenvectors,
    negative_control=lambda data, ctx: check_eigenvectors(data, ctx, wrong=True),
    control_description="the same test for phi(X) X^+ (phi applied where phi^{-1} belongs)",
))


# ---------------------------------------------------------------- cor-phi-span

def check_phi_span(data, ctx, *, linear_span: bool = False) -> Measurement:
    """phi^{-1}(f(z)) lies in span(phi^{-1}(X)) for arbitrary inputs z in the data's box."""
    comps, metrics, viol = [], {}, []
    xp = ctx.xp
    worst, worst_tol = -1.0, None
    for label, act, X in pairs(data, ctx):
        svd = lin.data_svd(X)
        viol.extend(f"{label}: {v}" for v in violations(X, act, svd))
        run = train(label, act, X, svd, ctx, adaptive=True)
        res = run["result"]
        lo, hi = float(xp.min(X)), float(xp.max(X))
        Z = ctx.asarray(lo + (hi - lo) * ctx.rng("phi-span-probe").random((ctx.sizes(FAMILY)["n_probe"], X.shape[1])))
        A = res.params
        if linear_span:  # the wrong notion of span: f(z) in the linear span of the examples
            F = sl.forward(A, Z, act)
            R = lin.out_of_span(F, svd.V)
            resid = xp.sqrt(xp.sum(R * R, axis=1) / xp.sum(F * F, axis=1))
        else:
            resid = sl.phi_span_residual(A, Z, X, act)
        W = sl.apply(A, Z)
        delta = sl.distance_bound(A, X, act, svd) + _allowance(svd, res.steps, X) * run["target"].fro()
        zn = xp.sqrt(xp.sum(Z * Z, axis=1))
        wn = xp.sqrt(xp.sum(W * W, axis=1))
        bound = (delta * zn + sl.inverse_rounding(act(W), act, eps(X) / 2)) / wn
        ratio = float(xp.max(resid / bound))
        comps.append(Comparison(f"max_residual/bound[{label}]", ratio, 1.0))
        metrics[label] = {"max_residual": float(xp.max(resid)), "max_bound": float(xp.max(bound)), "ratio": ratio}
        if ratio > worst:
            metrics["residual/bound"], metrics["worst_pair"] = ratio, label
            worst, worst_tol = ratio, Tolerance(
                1.0,
                "residual / bound <= 1, with per input z the bound (delta ||z|| + u |phi(w)|/|phi'(w)|) / ||w|| with w = A z and delta the certified "
                "||A - A*||_F: A* z lies in span(phi^{-1}(X)) exactly, the rest is (A - A*) z and the rounding "
                "of phi^{-1}(phi(w))")
    return Measurement(comps, metrics, worst_tol, key="residual/bound", violations=viol)


register(Claim(
    id="cor-phi-span",
    family="single_layer",
    options=("activations",),
    backends=BACKENDS + ("dask",),
    paper_ref="Section 2, Corollary; Definition (phi-span)",
    statement="For arbitrary inputs x the trained map's output phi(A x) lies in the phi-span of the training examples.",
    hypotheses=HYPOTHESES,
    make_data=make_data,
    check=check_phi_span,
    negative_control=lambda data, ctx: check_phi_span(data, ctx, linear_span=True),
    control_description="test the outputs against the linear span of the examples instead of the phi-span",
))


# ---------------------------------------------------------------- thm1-proof-monotone-path

def check_monotone(data, ctx, *, control: bool = False) -> Measurement:
    """Appendix B's proof of Theorem 1 rests on a step stated as a general fact: under the adaptive
    step the entries of each row of A increase monotonically from 0 to their least upper bound,
    A* = phi^{-1}(X) X^+.  Per size in ``mono_sizes``, seed and activation: adaptive descent from
    0 on fresh data (Assumption 1 checked), the first ``mono_rows`` rows of every iterate against
    those of A* (:func:`theory.single_layer.monotone_path`).  Exact (a deterministic path): any
    step back beyond rounding is a counterexample.  The control replaces the path by
    A_t = (1 - (-1/2)^t) A*, which overshoots and oscillates."""
    p = ctx.sizes(FAMILY)
    comps, metrics, viol, inconclusive = [], {}, [], []
    for n, d in p["mono_sizes"]:
        for seed in range(p["mono_seeds"]):
            unit = scale_into(synthetic(n, d, cond=p["cond"], rng=ctx.rng(f"thm1-monotone-{n}-{d}-{seed}")), (0.0, 1.0))
            for name in ctx.activations or p["mono_activations"]:
                act = acts.get(name)
                X = ctx.asarray(scale_into(unit, act.safe_interval))
                svd = lin.data_svd(X)
                label = f"n={n} d={d} seed {seed} {name}"
                viol.extend(f"{label}: {v}" for v in violations(X, act, svd))
                star = sl.closed_form(X, act, svd=svd).dense()[: p["mono_rows"], :]
                rows = [ctx.xp.zeros_like(star)]
                step = sl.default_step(X, act, adaptive=True, svd=svd)
                res = sl.gd_train(X, act, step=step, adaptive=True, max_steps=p["mono_max_steps"],
                                  loss_tol=p["mono_loss_tol"], callback=lambda t, v, A: rows.append(A[: p["mono_rows"], :]))
                if control:
                    rows = [(1.0 - (-0.5) ** t) * star for t in range(len(rows) + 1)]
                else:
                    rows.append(res.params[: p["mono_rows"], :])
                scale = float(ctx.xp.max(ctx.xp.abs(star)))
                tol = 64 * eps(X) * scale
                m = sl.monotone_path(ctx.xp.stack(rows), star, tol=tol)
                if not res.converged and not control and m["steps_back"] == 0:
                    # a step back is a counterexample wherever it happens; a monotone path certifies the
                    # claim only if it reached the limit
                    inconclusive.append(f"{label}: {res.steps} steps, loss {res.loss:.3g} > {p['mono_loss_tol']:g}")
                metrics[label] = {**m, "steps": res.steps, "tol": tol, "largest_step_back_rel": m["largest_step_back"] / scale}
                comps.append(Comparison(f"steps back against sign(A*) [{label}]", float(m["steps_back"]), 0.0))
    worst = max(metrics.values(), key=lambda r: r["share_back"])
    metrics["worst_share_back"] = worst["share_back"]
    metrics["runs_with_steps_back"] = sum(1 for k, r in metrics.items() if isinstance(r, dict) and r["steps_back"] > 0)
    tol = Tolerance(0.0, "no increment of an entry of A's first rows goes against the sign of A*'s entry by more than "
                         "64 eps max|A*| (the rounding of one update), at every step of adaptive descent from 0 to a "
                         f"loss of {p['mono_loss_tol']:g}")
    return Measurement(comps, metrics, tol, key="worst_share_back", violations=viol,
                       inconclusive=[] if control else inconclusive,
                       notes=["the claim concerns the proof's intermediate step; Theorem 1's conclusion (the limit) is "
                              "thm1-adaptive-step"])


MONO_SIZES = {
    "quick": dict(mono_sizes=((4, 12), (6, 24)), mono_seeds=2, mono_activations=("sigmoid", "tanh"), mono_rows=4,
                  mono_max_steps=20000, mono_loss_tol=1e-12),
    "default": dict(mono_sizes=((4, 12), (8, 32), (16, 64)), mono_seeds=5, mono_activations=("sigmoid", "tanh"),
                    mono_rows=4, mono_max_steps=10000, mono_loss_tol=1e-12),
    "paper": dict(mono_sizes=((4, 12), (16, 64), (32, 128)), mono_seeds=5, mono_activations=("sigmoid", "tanh"),
                  mono_rows=4, mono_max_steps=200000, mono_loss_tol=1e-12),
    "large": dict(mono_sizes=((4, 12), (16, 64), (32, 128)), mono_seeds=5, mono_activations=("sigmoid", "tanh"),
                  mono_rows=4, mono_max_steps=200000, mono_loss_tol=1e-12),
}


register(Claim(
    id="thm1-proof-monotone-path",
    family="single_layer",
    sizes=MONO_SIZES,
    options=("activations",),
    expect="refuted",
    paper_ref="Appendix B, proof of Theorem 1",
    statement="Under the adaptive step, the entries of each row of A increase monotonically from 0 to their least upper bound, the corresponding entries of A* = phi^{-1}(X) X^+ (a step of the proof stated as a general fact).",
    hypotheses=HYPOTHESES + ("the adaptive step of Theorem 1",),
    make_data=lambda ctx: {},
    check=check_monotone,
    negative_control=lambda data, ctx: check_monotone(data, ctx, control=True),
    control_description="the path A_t = (1 - (-1/2)^t) A*, which overshoots A* and oscillates (not monotone)",
    data_keys=(),
))
