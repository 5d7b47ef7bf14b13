"""Empirical claims about nonlinear convolutional autoencoders (paper Appendix H): single-filter
leaky-ReLU stacks (:mod:`theory.conv_nonlinear`) trained over the family's ``seeds`` initialisations.

The paper judged Figure 9 "by visual inspection", having no spectrum for a nonlinear network.
Here the Jacobian at the training image supplies one: memorization is read as for the linear
Table 2, an eigenvalue near 1 and the rest small, and outputs for new inputs that point along the
training image.  A bias-free leaky-ReLU network is positively homogeneous (``f(c x) = c f(x)`` for
``c > 0``), so ``J(x) x = f(x)``: at an interpolated image the eigenvalue 1 along ``x`` is exact,
and the other eigenvalues decide.
"""

from __future__ import annotations

import math

import numpy as np

from gpu import to_numpy
from theory import conv_nets
from theory import conv_nonlinear as cn
from theory import dynamics, stats
from theory.conv_seeds import train_seeds

from ..evidence import Comparison, Measurement, Scope, Tolerance
from .. import rules as R
from ..claim import Claim, register
from . import training
from .common import no_data, random_images
from .conv import FAMILY


# an output is the training image's direction when nearer it than its orthogonal complement (the
# midpoint angle of 45 degrees: verify.rules.IN_SPAN), the same reading as Appendix G's eigenvectors
COSINE = math.sqrt(1.0 - R.IN_SPAN.value ** 2)


def _init(ctx, p, seed: int, control: bool, stream: str = "apph-init", filters: int = 1, draw: int = 0):
    """Kaiming-scaled N(0, 2/((1 + a^2) fan_in)) weights (the variance-preserving scale for a leaky
    ReLU; the paper's 'as close to 0 as possible' does not train 29 layers: the product vanishes,
    measured); the control is the identity filter in every layer (the identity map)."""
    s, depth = p["size"], p["depth"]
    gain = math.sqrt(2.0 / (1.0 + cn.LEAKY_SLOPE**2))
    net = conv_nets.linear_conv_net(s, depth, filters=filters, scheme="near_zero", scale=gain,
                               rng=ctx.rng(f"{stream}-{seed}" + (f"-draw{draw}" if draw else "")), xp=ctx.xp, dtype=ctx.float)
    if control:
        ident = []
        for W in net.weights:
            w = np.zeros(tuple(W.shape))
            w.reshape(-1)[w.size // 2] = 1.0
            ident.append(ctx.asarray(w))
        net = net.with_weights(ident)
    return cn.ConvAutoencoder(net)


def check_apph(data, ctx, *, control: bool = False) -> Measurement:
    """Appendix H, Figure 9: per seed, train on one s x s image, then the Jacobian spectrum at the
    image (|lambda_1| near 1, |lambda_2| small) and the cosine between f(z) and the image over new
    inputs z; medians over seeds, the share of seeds that memorize with its Wilson interval."""
    p = ctx.sizes(FAMILY)
    s, depth = p["size"], p["depth"]
    x = ctx.asarray(random_images(ctx, "apph-image", 1, s * s))
    Z = ctx.asarray(random_images(ctx, "apph-new", p["inputs"], s * s))
    xh = to_numpy(x)[0]
    per_seed, inconclusive = [], []

    @training.memoized
    def measure(trained):
        J = to_numpy(cn.jacobian_at(trained, x[0, :]))
        lam = np.sort(np.abs(np.linalg.eigvals(J)))[::-1]
        out = to_numpy(trained(Z))
        cos = out @ xh / (np.linalg.norm(out, axis=1) * np.linalg.norm(xh) + np.finfo(float).tiny)
        homog = float(np.linalg.norm(J @ xh - to_numpy(trained(x))[0]) / np.linalg.norm(xh))
        row = {"top_eigenvalues": lam[:4].tolist(), "eig_one": float(abs(lam[0] - 1.0)),
               "second_eigenvalue": float(lam[1]) if lam.shape[0] > 1 else 0.0,
               "median_cosine": float(np.median(cos)), "min_cosine": float(np.min(cos)), "homogeneity_residual": homog}
        row["memorizes"] = bool(row["eig_one"] <= R.NEARER_ONE.value and row["second_eigenvalue"] <= R.NEARER_ONE.value
                                and row["median_cosine"] >= COSINE)
        return row

    def judge(trained):
        row = measure(trained)
        return {"memorizes": row["memorizes"]}, round(row["second_eigenvalue"], 4)

    if control:
        from theory.descent import DescentResult

        first = [DescentResult((_init(ctx, p, seed, True), None), 0, 0.0, True, "loss_tol") for seed in range(p["seeds"])]
    else:  # the seeds' first draws trained together (one uniform single-filter stack)
        first = train_seeds([_init(ctx, p, seed, False).net for seed in range(p["seeds"])], x, slope=cn.LEAKY_SLOPE,
                            lr=p["lr"], max_steps=p["steps"], loss_tol=p["loss_tol"], **training.protocol(p))

    def again(seed, draw):
        return cn.train(_init(ctx, p, seed, False, draw=draw), x, optimizer="adam", lr=p["lr"],
                        max_steps=p["steps"], loss_tol=p["loss_tol"], **training.protocol(p))

    for seed, (res, rd, restarts) in enumerate(training.decide_seeds(first, again, judge, p=p)):
        if not control:
            inconclusive += training.inconclusive(f"seed {seed}", rd)
        per_seed.append({"seed": seed, **training.record(res, rd, restarts), **measure(res.params[0])})
    per_seed_all, per_seed = per_seed, [r for r in per_seed if r["decided"]]
    if not per_seed:
        return Measurement([], {"size": s, "depth": depth}, None, key="size", inconclusive=inconclusive,
                           statistics={"seeds": p["seeds"], "per_seed": per_seed_all, "confidence": 0.95})
    med = {k: float(np.median([r[k] for r in per_seed])) for k in ("eig_one", "second_eigenvalue", "median_cosine")}
    memo = stats.fraction(sum(r["memorizes"] for r in per_seed), len(per_seed))
    comps = [Comparison(f"runs that decide and memorize (Jacobian spectrum and outputs), of {len(per_seed)}",
                        float(memo["k"]), R.ONE_RUN.value, ">=", gate=R.ONE_RUN.name)]
    metrics = {"size": s, "depth": depth, **{f"median_{k}": v for k, v in med.items()},
               "max_homogeneity_residual": max(r["homogeneity_residual"] for r in per_seed)}
    scope = Scope(f"{s} x {s} image, {depth} single-filter leaky-ReLU layers", f"{p['seeds']} seeds",
                  f"memorizing seeds {memo['k']}/{memo['n']}")
    tol = Tolerance(R.NEARER_ONE.value, f"memorizes: the Jacobian at the training image has lambda_1 counting as 1 "
                                   f"and lambda_2 as 0 (each by the nearer of 0 and 1: Table 2's criterion, the linear "
                                   f"operator's spectrum), and outputs for {p['inputs']} new uniform inputs point "
                                   f"nearer the image's direction than its complement (median cosine >= 1/sqrt(2)); one "
                                   f"run that decides and memorizes is the claim ('can memorize'); medians reported; a "
                                   f"run decides at the loss target {p['loss_tol']:g}, or where memorizes "
                                   f"stays the same over the last two loss decades); trained with Adam (lr "
                                   f"{p['lr']:g}, halved on plateaus) for at most {p['steps']} steps, then at "
                                   f"most {p['finish_iter']} L-BFGS iterations")
    notes = [f"medians over the runs that decide: |lambda_1 - 1| {med['eig_one']:.3g}, |lambda_2| "
             f"{med['second_eigenvalue']:.3g}, cosine {med['median_cosine']:.6g}; strict reading (every run "
             f"memorizes): {memo['k']}/{memo['n']}",
             f"J(x) x = f(x) exactly for a bias-free leaky-ReLU network (positive homogeneity): measured "
             f"||J(x) x - f(x)|| / ||x|| <= {metrics['max_homogeneity_residual']:.2g}, so at an interpolated image the "
             "eigenvalue 1 along it is exact and Theorem 2's strict criterion rho < 1 cannot hold"]
    return Measurement(comps, metrics, tol, key="median_second_eigenvalue", notes=notes,
                       inconclusive=[] if control else inconclusive, scope=scope,
                       statistics={"seeds": p["seeds"], "per_seed": per_seed_all, "memorizing_seeds": memo,
                                   "confidence": 0.95})


# apph-nonlinear-single-filter-memorizes's own sizes per profile (its family's shared ones are in verify.profiles)
APPH_SIZES = {
    "quick": dict(size=3, depth=9, lr=0.001, inputs=20, steps=3000),
    "default": dict(size=4, depth=29, lr=0.001, inputs=50, steps=10000),
    "paper": dict(size=4, depth=29, lr=0.001, inputs=100, steps=20000),
    "large": dict(size=4, depth=29, lr=0.001, inputs=100, steps=20000),
}


register(Claim(
    id="apph-nonlinear-single-filter-memorizes",
    family="conv",
    sizes=APPH_SIZES,
    rule=R.Rule(
        quote="Figure 9 shows that also the corresponding nonlinear network with 29 layers can memorize",
        where="Appendix H, Figure 9",
        reading=R.EXISTS,
        decides="one run that decides whose Jacobian at the training image has one eigenvalue counting as 1 and the "
                "next as 0 (as Table 2 reads a spectrum) and whose outputs for new inputs point along the image (nearer "
                "its direction than its complement)",
        gates=(R.ONE_RUN, R.NEARER_ONE, R.IN_SPAN),
        readings=("'can memorize': one run (the verdict); every run (reported)",
                  "'by visual inspection' (the paper): outputs for new uniform inputs against the image"),
        sweeps=(R.adam_eps_sweep(),)),
    regime=R.Regime("one 4 x 4 image, 29 single-filter 3 x 3 leaky-ReLU layers, init as close to 0 as possible",
                    {"n/d": 1 / 16}, lambda p: {"n": 1, "d": p["size"] ** 2, "layers": p["depth"], "params": 9 * p["depth"]},
                    breaks={"quick": "3 x 3 image, 9 layers (the tests' size)"}),
    paper_ref="Appendix H, Figure 9",
    statement="A deep single-filter leaky-ReLU convolutional autoencoder at Table 2's depth (29 layers on 4 x 4 images) memorizes its training image: outputs for new inputs are the image.",
    hypotheses=("one training image", "trained to a small loss (Adam)", "no biases (the paper's linear counterpart has none)"),
    make_data=no_data,
    check=check_apph,
    negative_control=lambda data, ctx: check_apph(data, ctx, control=True),
    control_description="the identity filter in every layer (the identity map: every eigenvalue 1, outputs are the inputs)",
    data_keys=(),
    empirical=True,
))


# ----------------------------------------------------------------------------- Figure 10

def check_fig10(data, ctx, *, control: bool = False) -> Measurement:
    """Appendix H, Figure 10: per seed, train the same network with its ``filters`` filters a
    layer (the paper's counts are not recoverable; one filter does not fit several images here,
    measured: loss above 0.07 after 10,000 steps on 3 images) on its ``images`` images, then
    classify its outputs for new inputs (:func:`theory.dynamics.composition`): an individual
    training example, a combination of them, or neither.  The claim: most outputs are individual
    examples (the Wilson lower bound of the pooled share at least 1/2, :data:`verify.rules.MOST`).  The control
    replaces the trained network by the projection onto the span of the images (what a memorizing
    linear network outputs: combinations)."""
    p = ctx.sizes(FAMILY)
    s, depth, n = p["size"], p["depth"], p["images"]
    X = ctx.asarray(random_images(ctx, "fig10-images", n, s * s))
    Z = ctx.asarray(random_images(ctx, "fig10-new", p["inputs"], s * s))
    per_seed, inconclusive, counts = [], [], {"individual": 0, "combination": 0, "neither": 0}
    m = int(Z.shape[0])

    @training.memoized
    def classify(model):
        return dynamics.composition(model(Z), X, R.INDIVIDUAL.value)

    def judge(model):
        k = classify(model)["classes"].count("individual")
        return k, k  # the count of individual outputs

    for seed in range(p["seeds"]):
        if control:
            Q, _ = ctx.xp.linalg.qr(X.T)
            comp = dynamics.composition(Z @ Q @ Q.T, X, R.INDIVIDUAL.value)
            rec = {"loss": 0.0, "steps": 0, "converged": True, "decided": True, "status": "at-target"}
        else:
            res, rd, restarts = training.decide(
                lambda draw: cn.train(_init(ctx, p, seed, False, stream="fig10-init", filters=p["filters"], draw=draw),
                                      X, optimizer="adam", lr=p["lr"], max_steps=p["steps"],
                                      loss_tol=p["loss_tol"], **training.protocol(p)), judge, p=p, same=training.same_fraction(m))
            comp, rec = classify(res.params[0]), training.record(res, rd, restarts)
            inconclusive += training.inconclusive(f"seed {seed}", rd)
        k = {c: comp["classes"].count(c) for c in counts}
        sep = comp["separation"]
        k["curve"] = {f: sum(v <= f * sep for v in comp["sine_nearest"]) for f in R.CURVE}
        if rec["decided"]:
            for c in counts:
                counts[c] += k[c]
        per_seed.append({"seed": seed, **rec, **k, "median_sine_nearest": float(np.median(comp["sine_nearest"])),
                         "median_sine_span": float(np.median(comp["sine_span"]))})
    if not sum(counts.values()):
        return Measurement([], {"size": s, "depth": depth, "images": n}, None, key="size", inconclusive=inconclusive,
                           statistics={"seeds": p["seeds"], "per_seed": per_seed, "confidence": 0.95})
    total = sum(counts.values())
    share = stats.fraction(counts["individual"], total)
    comb = stats.fraction(counts["combination"], total)
    sep = comp["separation"]
    comps = [Comparison("Wilson 95% lower bound of the share of outputs that are individual training examples",
                        share["wilson95"][0], R.MOST.value, ">=", gate=R.MOST.name)]
    decided = [r for r in per_seed if r["decided"]]
    curve = {f: stats.fraction(sum(r["curve"][f] for r in decided), total) for f in R.CURVE}
    region = "individual outputs " + R.curve_region({f: c["value"] for f, c in curve.items()},
                                                    {f: c["wilson95"][0] >= R.MOST.value for f, c in curve.items()},
                                                    "x the smallest sine between two images")
    metrics = {"size": s, "depth": depth, "images": n, "filters": p["filters"], "individual_share": share["value"],
               "combination_share": comb["value"], "separation": sep,
               "median_sine_nearest": float(np.median([r["median_sine_nearest"] for r in per_seed if r["decided"]]))}
    tol = Tolerance(R.MOST.value, f"an output is an individual training example when the sine of its angle to "
                                         f"the nearest one is at most a quarter of the smallest sine between "
                                         f"two training images ({sep:.3g}); a combination when it is that close to "
                                         f"their span but not to any one; the share of individual outputs over "
                                         f"{p['inputs']} new uniform inputs x {p['seeds']} seeds, with its "
                                         f"Wilson 95% interval, over the seeds that decide (at the loss target "
                                         f"{p['loss_tol']:g}, or where the count of individual outputs stays within "
                                         f"its Wilson interval over the last two loss decades); trained with Adam (lr "
                                         f"{p['lr']:g}, halved on plateaus) for at most {p['steps']} steps, "
                                         f"then at most {p['finish_iter']} L-BFGS iterations")
    scope = Scope(f"{n} images of {s} x {s}, {depth} leaky-ReLU layers of {p['filters']} filters", f"{p['seeds']} seeds",
                  f"individual outputs {share['k']}/{share['n']}, combinations {comb['k']}/{comb['n']}")
    return Measurement(comps, metrics, tol, key="individual_share", inconclusive=inconclusive, scope=scope,
                       region=region, statistics={"seeds": p["seeds"], "per_seed": per_seed, "individual": share,
                                                  "combination": comb, "confidence": 0.95})


# fig10-outputs-are-examples's own sizes per profile (its family's shared ones are in verify.profiles)
FIG10_SIZES = {
    "quick": dict(size=3, depth=9, lr=0.001, inputs=20, images=2, filters=2, steps=3000),
    "default": dict(size=4, depth=29, lr=0.001, inputs=50, images=3, filters=4,
                    steps=3000),
    "paper": dict(size=4, depth=29, lr=0.001, inputs=100, images=5, filters=8,
                  steps=20000),
    "large": dict(size=4, depth=29, lr=0.001, inputs=100, images=5, filters=8,
                  steps=20000),
}


register(Claim(
    id="fig10-outputs-are-examples",
    family="conv",
    sizes=FIG10_SIZES,
    rule=R.Rule(
        quote="We see that given new test examples, a nonlinear convolutional autoencoder with ... layers trained on "
              "... images outputs individual training examples instead of combinations of training examples.",
        where="Appendix H, Figure 10",
        reading=R.TYPICAL,
        decides="most outputs for new inputs, pooled over the runs that decide (Wilson 95% lower bound at least 1/2), "
                "are individual training examples: the sine of the angle to the nearest example at most a quarter of "
                "the smallest sine between two training images (nearer that example than its even mixture with any "
                "other)",
        gates=(R.MOST, R.INDIVIDUAL),
        curve="the share of individual outputs within 0.05, 0.1, 0.25 and 0.5 x the smallest sine between two images",
        readings=("'outputs individual training examples': most outputs (the verdict), every output (reported)",
                  "'instead of combinations': the share of combinations reported beside it"),
        sweeps=(R.adam_eps_sweep(),)),
    regime=R.Regime("4 x 4 images, 29 leaky-ReLU layers; the number of images and filters is not stated", {"n/d": None},
                    lambda p: {"n": p["images"], "d": p["size"] ** 2, "layers": p["depth"], "filters": p["filters"]},
                    breaks={"quick": "3 x 3 images, 9 layers (the tests' size)"}),
    paper_ref="Appendix H, Figure 10",
    statement="A deep leaky-ReLU convolutional autoencoder (29 layers on 4 x 4 images) trained on several images maps new inputs to individual training examples, not to combinations of them.",
    hypotheses=("several training images", "trained to a small loss (Adam)", "no biases", "a few filters a layer (the paper's count is not recoverable)"),
    make_data=no_data,
    check=check_fig10,
    negative_control=lambda data, ctx: check_fig10(data, ctx, control=True),
    control_description="the projection onto the span of the training images (a memorizing linear map: its outputs are combinations)",
    data_keys=(),
    empirical=True,
))
