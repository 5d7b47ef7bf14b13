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
from theory import conv
from theory import conv_nonlinear as cn
from theory import dynamics, stats
from theory.conv_seeds import train_seeds

from .. import analysis
from ..evidence import Comparison, Measurement, Scope, Tolerance
from ..claim import Claim, register
from . import training
from .common import no_data, random_images
from .conv import FAMILY


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
        row["memorizes"] = bool(row["eig_one"] <= p["near_one"] and row["second_eigenvalue"] <= p["small"]
                                and row["median_cosine"] >= p["cosine"])
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
    comps = [Comparison("median |lambda_1 - 1| of J at the image", med["eig_one"], p["near_one"]),
             Comparison("median |lambda_2| of J at the image", med["second_eigenvalue"], p["small"]),
             Comparison("median cosine(f(z), image) over new inputs", med["median_cosine"], p["cosine"], ">=")]
    memo = stats.fraction(sum(r["memorizes"] for r in per_seed), len(per_seed))
    metrics = {"size": s, "depth": depth, **{f"median_{k}": v for k, v in med.items()},
               "max_homogeneity_residual": max(r["homogeneity_residual"] for r in per_seed)}
    scope = Scope(f"{s} x {s} image, {depth} single-filter leaky-ReLU layers", f"{p['seeds']} seeds",
                  f"memorizing seeds {memo['k']}/{memo['n']}")
    tol = Tolerance(p["near_one"], f"memorizes: the Jacobian at the training image has |lambda_1| within "
                                   f"{p['near_one']:g} of 1 and |lambda_2| <= {p['small']:g} (Table 2's criterion, "
                                   f"the linear operator's spectrum), and outputs for {p['inputs']} new uniform "
                                   f"inputs have median cosine >= {p['cosine']:g} with the image; medians over the "
                                   f"seeds that decide (at the loss target {p['loss_tol']:g}, or where memorizes "
                                   f"stays the same over the last two loss decades); trained with Adam (lr "
                                   f"{p['lr']:g}, halved on plateaus) for at most {p['steps']} steps, then at "
                                   f"most {p['finish_iter']} L-BFGS iterations")
    notes = [f"J(x) x = f(x) exactly for a bias-free leaky-ReLU network (positive homogeneity): measured "
             f"||J(x) x - f(x)|| / ||x|| <= {metrics['max_homogeneity_residual']:.2g}, so at an interpolated image the "
             "eigenvalue 1 along it is exact and Theorem 2's strict criterion rho < 1 cannot hold"]
    return Measurement(comps, metrics, tol, key="median_second_eigenvalue", notes=notes,
                       inconclusive=[] if control else inconclusive, scope=scope,
                       statistics={"seeds": p["seeds"], "per_seed": per_seed_all, "memorizing_seeds": memo,
                                   "confidence": 0.95})


# apph-nonlinear-single-filter-memorizes's own sizes per profile (its family's shared ones are in verify.profiles)
APPH_SIZES = {
    "quick": dict(size=3, depth=9, lr=0.001, inputs=20, steps=3000, cosine=0.99),
    "default": dict(size=4, depth=29, lr=0.001, inputs=50, steps=10000, cosine=0.99),
    "paper": dict(size=4, depth=29, lr=0.001, inputs=100, steps=20000, cosine=0.99),
    "large": dict(size=4, depth=29, lr=0.001, inputs=100, steps=20000, cosine=0.99),
}


register(Claim(
    id="apph-nonlinear-single-filter-memorizes",
    family="conv",
    sizes=APPH_SIZES,
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
    examples (the Wilson lower bound of the pooled share at least its ``majority``).  The control
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
        return dynamics.composition(model(Z), X, p["margin"])

    def judge(model):
        k = classify(model)["classes"].count("individual")
        return k, k  # the count of individual outputs

    for seed in range(p["seeds"]):
        if control:
            Q, _ = ctx.xp.linalg.qr(X.T)
            comp = dynamics.composition(Z @ Q @ Q.T, X, p["margin"])
            rec = {"loss": 0.0, "steps": 0, "converged": True, "decided": True, "status": "at-target"}
        else:
            res, rd, restarts = training.decide(
                lambda draw: cn.train(_init(ctx, p, seed, False, stream="fig10-init", filters=p["filters"], draw=draw),
                                      X, optimizer="adam", lr=p["lr"], max_steps=p["steps"],
                                      loss_tol=p["loss_tol"], **training.protocol(p)), judge, p=p, same=training.same_fraction(m))
            comp, rec = classify(res.params[0]), training.record(res, rd, restarts)
            inconclusive += training.inconclusive(f"seed {seed}", rd)
        k = {c: comp["classes"].count(c) for c in counts}
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
                        share["wilson95"][0], p["majority"], ">=")]
    metrics = {"size": s, "depth": depth, "images": n, "filters": p["filters"], "individual_share": share["value"],
               "combination_share": comb["value"], "separation": sep,
               "median_sine_nearest": float(np.median([r["median_sine_nearest"] for r in per_seed if r["decided"]]))}
    tol = Tolerance(p["majority"], f"an output is an individual training example when the sine of its angle to "
                                         f"the nearest one is at most {p['margin']:g} x the smallest sine between "
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
                       statistics={"seeds": p["seeds"], "per_seed": per_seed, "individual": share,
                                   "combination": comb, "confidence": 0.95})


# fig10-outputs-are-examples's own sizes per profile (its family's shared ones are in verify.profiles)
FIG10_SIZES = {
    "quick": dict(size=3, depth=9, lr=0.001, inputs=20, images=2, filters=2, margin=0.1, majority=0.5, steps=3000),
    "default": dict(size=4, depth=29, lr=0.001, inputs=50, images=3, filters=4, margin=0.1, majority=0.5,
                    steps=3000),
    "paper": dict(size=4, depth=29, lr=0.001, inputs=100, images=5, filters=8, margin=0.1, majority=0.5,
                  steps=20000),
    "large": dict(size=4, depth=29, lr=0.001, inputs=100, images=5, filters=8, margin=0.1, majority=0.5,
                  steps=20000),
}


register(Claim(
    id="fig10-outputs-are-examples",
    family="conv",
    sizes=FIG10_SIZES,
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


# ----------------------------------------------------------------------------- Figure 5

def _fig5_run(ctx, p, X, S, seed: int, control: bool) -> dict:
    """One network of Figure 5's kind trained on ``X``: strided convolutions down to 1 x 1 and back
    (:func:`theory.conv_nets.downsampling_net`) with leaky ReLUs and per-channel biases (without biases
    the network is homogeneous and an interpolated example has the eigenvalue 1 exactly); Theorem
    2's class at each example's nearest fixed point (Newton's method, within the recovery tolerance),
    the starts ``S`` iterated until settled, and R(1).  The run's decision is what the claim pools:
    the number of examples that attract and of starts recovered (stable when each count lies in the
    other's 95% Wilson interval)."""
    s, n, m = p["size"], X.shape[0], int(S.shape[0])
    spacing = dynamics.min_spacing(to_numpy(X))
    tol = p["recover_frac"] * spacing

    @training.memoized
    def measure(trained):
        ex = analysis.classify_examples(trained, X, lambda Z: cn.jacobian(trained, Z), tol=tol, band=p["band"],
                                        newton=True, radius=lambda Z: cn.spectral_radius(trained, Z),
                                        not_fixed="no fixed point")
        st = analysis.settle_starts(trained, X, S, recover_frac=p["recover_frac"], move_frac=1e-6, cap=p["cap"])
        return ex.classes, ex.rho, ex, st

    def judge(trained):
        classes, rho, _, st = measure(trained)
        return {"attractors": classes.count("attractor"), "recovered": st.outcome.count("recovered")}, \
            [round(v, 4) for v in rho]

    def same(a, b):
        return training.same_fraction(n)(a["attractors"], b["attractors"]) and \
            training.same_fraction(m)(a["recovered"], b["recovered"])

    if control:  # the identity map: every point fixed, rho = 1
        from theory.conv_nets import LinearConvNet
        from theory.descent import DescentResult

        ident = cn.ConvAutoencoder(LinearConvNet((None,), (None,), (ctx.xp.eye(X.shape[1], dtype=X.dtype),)))
        fixed = DescentResult((ident, None), 0, 0.0, True, "loss_tol")
        res, rd, restarts = training.decide(lambda draw: fixed, judge, p=p, same=same)
    else:
        def train(draw):
            net = conv_nets.downsampling_net(s, width=p["width"], mid_layers=p["mid"], scheme="pytorch",
                                        rng=ctx.rng(f"fig5-init-{n}-{seed}" + (f"-draw{draw}" if draw else "")),
                                        xp=ctx.xp, dtype=ctx.float)
            return cn.train(cn.ConvAutoencoder.zero_biases(net), X, optimizer="adam", lr=p["lr"],
                            max_steps=p["steps"], loss_tol=p["loss_tol"],
                            **training.protocol(p, finish_iter=p["finish"]))

        res, rd, restarts = training.decide(train, judge, p=p, same=same)
    trained = res.params[0]
    classes, rho, fp, st = measure(trained)
    R1 = dynamics.recovery_probability(trained, S, X, [1], tol)[0]
    return {"seed": seed, **training.record(res, rd, restarts), "rho": rho, "classes": list(classes),
            "fixed_point_moved": max(fp.moved), "recover_tol": tol, "attractors": classes.count("attractor"),
            "recovered": st.outcome.count("recovered"), "spurious": st.outcome.count("spurious"),
            "unsettled": st.outcome.count("unsettled"), "starts": len(st.outcome), "R1": float(R1)}, rd


def check_fig5(data, ctx, *, control: bool = False) -> Measurement:
    """Figure 5: per training-set size in its ``sets`` (the paper: 10 and 100 CIFAR-10 images;
    here natural-image patches) and per seed, a trained network of :func:`_fig5_run`.  The claim:
    every example attracts (Theorem 2, pooled over seeds), iterating held-out patches and uniform
    noise until settled recovers at least ``recover_min`` of them, and on the smallest set one
    iteration does (R(1), superattraction)."""
    p = ctx.sizes(FAMILY)
    from .. import datasets

    s = p["size"]
    comps, rows, inconclusive, sets = [], {}, [], []
    cifar = datasets.has_cifar10(ctx.data_dir)
    ignored = [f"CIFAR-10 images block-averaged to {s} x {s} x 3"] if cifar and s != 32 else []
    for n in p["sets"]:
        if cifar:  # the paper's data: CIFAR-10 images, the first ones training, the next ones starts
            patches = datasets.block_average(datasets.load_cifar10(ctx.data_dir, n=n + p["starts"])[0], s)
            where = [f"cifar10[{i}]" for i in range(n + p["starts"])]
        else:
            patches, where = datasets.natural_patches(n + p["starts"], s, rng=ctx.rng(f"fig5-patches-{n}"))
        X = ctx.asarray(patches[:n])
        S = ctx.asarray(np.vstack([patches[n:], ctx.rng(f"fig5-noise-{n}").random((p["starts"], 3 * s * s))]))
        judged = [_fig5_run(ctx, p, X, S, seed, control) for seed in range(p["seeds"])]
        inconclusive += [line for r, rd in judged for line in training.inconclusive(f"{n} images, seed {r['seed']}", rd)]
        everyone = [r for r, _ in judged]
        runs = [r for r in everyone if r["decided"]]
        sets.append(n)
        if not runs:
            rows[str(n)] = {"per_seed": everyone, "decided": 0, "images": where[:n]}
            continue
        att = stats.fraction(sum(r["attractors"] for r in runs), n * len(runs))
        rec = stats.fraction(sum(r["recovered"] for r in runs), sum(r["starts"] for r in runs))
        one = stats.fraction(round(sum(r["R1"] * r["starts"] for r in runs)), sum(r["starts"] for r in runs))
        rows[str(n)] = {"attractor_fraction": att, "recovered": rec, "R1": one, "decided": len(runs),
                        "all_attract_runs": stats.fraction(sum(r["attractors"] == n for r in runs), len(runs)),
                        "spurious": sum(r["spurious"] for r in runs), "unsettled": sum(r["unsettled"] for r in runs),
                        "rho": stats.rho_classes([v for r in runs for v in r["rho"]]), "per_seed": everyone}
        comps += [Comparison(f"attractor fraction [{n} images]", att["value"], 1.0, ">="),
                  Comparison(f"recovered when settled [{n} images]", rec["value"], p["recover_min"], ">=")]
        rows[str(n)]["images"] = where[:n]  # provenance: which sample image and window each training patch is
    smallest = rows[str(min(sets))]
    if "R1" in smallest:
        comps.append(Comparison(f"R(1) [{min(sets)} images]", smallest["R1"]["value"], p["recover_min"], ">="))

    def value(n, k):
        return rows[str(n)][k]["value"] if k in rows[str(n)] else float("nan")

    metrics = {"size": s, "sets": sets, "width": p["width"], "mid_layers": p["mid"],
               "data": ("CIFAR-10" if cifar else "scikit-learn sample-image patches") +
                       " (statistics.sets[n].images)",
               **{f"attractor_fraction_{n}": value(n, "attractor_fraction") for n in sets},
               **{f"recovered_{n}": value(n, "recovered") for n in sets},
               "R1_smallest": value(min(sets), "R1")}
    tol = Tolerance(p["recover_min"], f"every training example has a fixed point within {p['recover_frac']:g} of "
                                      f"the examples' spacing (Newton's method) with rho(J) < 1 - {p['band']:g} "
                                      f"there, pooled over the seeds that decide; of {p['starts']} held-out "
                                      f"patches and {p['starts']} uniform inputs at least {p['recover_min']:g} end "
                                      f"within that distance of an example when iterated until settled (cap "
                                      f"{p['cap']}), and after one step on the smallest set; trained with Adam (lr "
                                      f"{p['lr']:g}, halved on plateaus) for at most {p['steps']} steps, then "
                                      f"at most {p['finish']} L-BFGS iterations; a run decides at the loss target "
                                      f"{p['loss_tol']:g} or where its classes and recovered count are stable over "
                                      "the last two loss decades")

    def tally(n):
        r = rows[str(n)]
        if "attractor_fraction" not in r:
            return f"{n} images: no run decided"
        return (f"{n} images: attractors {r['attractor_fraction']['k']}/{r['attractor_fraction']['n']}, "
                f"recovered {r['recovered']['k']}/{r['recovered']['n']}")

    scope = Scope(f"{max(sets)} natural-image patches of {s} x {s} x 3, a downsampling network of width {p['width']} "
                  "with biases", f"{p['seeds']} seeds", "; ".join(tally(n) for n in sets))
    return Measurement(comps, metrics, tol, key=f"attractor_fraction_{max(sets)}",
                       notes=ignored + ["training images: " + ("CIFAR-10" if cifar else
                                                              "scikit-learn sample-image patches") + ", listed per set in "
                                        "statistics.sets[n].images; starts: held-out images and uniform noise"],
                       inconclusive=[] if control else inconclusive, scope=scope,
                       statistics={"seeds": p["seeds"], "sets": rows, "confidence": 0.95})


# fig5-conv-contraction's own sizes per profile (its family's shared ones are in verify.profiles)
FIG5_SIZES = {
    "quick": dict(size=4, sets=(4, 8), width=8, mid=0, lr=0.001, steps=300, finish=200, starts=6, cap=200,
                  recover_frac=0.1, band=1e-06, recover_min=0.9),
    "default": dict(size=4, sets=(10, 40), width=32, mid=0, lr=0.001, steps=2000, finish=1500, starts=20, cap=500,
                    recover_frac=0.1, band=1e-06, recover_min=0.9),
    "paper": dict(size=8, sets=(10, 100), width=32, mid=2, lr=0.001, steps=10000, finish=3000, starts=50, cap=2000,
                  recover_frac=0.1, band=1e-06, recover_min=0.9),
    "large": dict(size=8, sets=(10, 100), width=32, mid=2, lr=0.001, steps=10000, finish=3000, starts=50, cap=2000,
                  recover_frac=0.1, band=1e-06, recover_min=0.9),
}


register(Claim(
    id="fig5-conv-contraction",
    family="conv",
    sizes=FIG5_SIZES,
    options=("data_dir",),
    paper_ref="Section 4, Figure 5",
    statement="Deep nonlinear convolutional autoencoders trained on 10 and on 100 natural images are contractive at the training examples, and iterating them yields individual training examples; with 10 images one iteration suffices (superattractors).",
    hypotheses=("natural images (CIFAR-10 in the paper)", "trained to a small loss (Adam)", "leaky-ReLU downsampling network with biases (the paper's architecture is not recoverable)"),
    make_data=no_data,
    check=check_fig5,
    negative_control=lambda data, ctx: check_fig5(data, ctx, control=True),
    control_description="the identity map (every point fixed, rho = 1: nothing attracts, iterating recovers nothing)",
    data_keys=(),
    empirical=True,
))
