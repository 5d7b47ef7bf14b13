"""Claims about deep fully connected autoencoders as dynamical systems (paper Sections 3.2-3.3,
Figures 2-4): contraction at the training examples, recovery by iteration, superattractors.

Every claim trains networks with :func:`theory.deep_fc.train` (written out, through the one
descent loop) over ``seeds`` seeds and under both protocols the paper leaves open: Adam (the
profile's ``optimizer``, on which the verdict rests) and plain gradient descent, each its own row
of evidence in the claim's ``statistics``.  The negative control is the identity network (every
point a fixed point, ``J = I``): it reproduces the training set exactly but is not contractive.

Shared protocol (profile family ``deep``): a start is *recovered* when, iterated until it
settles (:func:`theory.dynamics.settle`, at most ``settle_cap`` steps), it lies within
``recover_frac`` (10%) of the smallest distance between two training examples of one of them;
one that settles elsewhere is a *spurious* attractor.  A fixed point with ``|rho - 1| <= margin``
is *marginal*, kept apart from clear attractors and repellers.
"""

from __future__ import annotations

import numpy as np

from theory import deep_fc as D
from theory import dynamics as dyn
from theory import stats
from theory.common import check_training_set

from ..evidence import Comparison, Measurement, Tolerance
from .. import figures
from ..claim import Claim, register
from . import deep_common as dc
from . import training
from .deep_common import FAMILY, digits_only, host, make_data, recovery_tol, runs, scope_line, sets, settle, spectral


def _row(ctx, name, X, starts, *, width, depth, optimizer, control, hidden=None, seeds=None) -> dict:
    """One (optimizer, data set, size) row over the seeds: per-seed numbers and the fractions pooled
    over the runs that decide (:mod:`theory.convergence`; the others are listed as inconclusive).

    A run's decision is what its row pools: the number of examples that attract (Theorem 2 at each
    example's nearest fixed point, :func:`.deep_common.example_classes`) and the number of starts
    recovered when iterated until settled; it is stable when each count lies in the other's 95%
    Wilson interval (a change its own sampling error cannot tell apart)."""
    p = ctx.sizes(FAMILY)
    tol = recovery_tol(X, p)
    m, n = int(starts.shape[0]), int(X.shape[0])

    def judge(net):
        classes, rho, moved = dc.example_classes(net, X, p)
        st = settle(net, X, starts, p)
        decision = {"attractors": classes.count("attractor"), "recovered": st.outcome.count("recovered")}
        return decision, {"rho": rho, "moved": moved, "settled": st, "classes": classes}

    def same(a, b):
        return training.same_fraction(n)(a["attractors"], b["attractors"]) and \
            training.same_fraction(m)(a["recovered"], b["recovered"])

    judged = training.memoized(judge)

    per_seed, rhos, inconclusive = [], [], []
    for s, net, res, rd, restarts in runs(ctx, name, X, width=width, depth=depth, optimizer=optimizer, control=control,
                                          hidden=hidden, judge=lambda n: _strip(judged(n)), same=same, seeds=seeds):
        _, info = judged(net)
        classes = info["classes"]
        st = info["settled"]
        r1 = dyn.recovery_probability(net, starts, X, [1], tol)[0]  # one iteration (superattraction)
        fixed = float(np.max(np.linalg.norm(host(net(X) - X), axis=1)))
        per_seed.append({"seed": s, **training.record(res, rd, restarts), "R1": r1, "rho": info["rho"],
                         "classes": list(classes), "attractors": classes.count("attractor"),
                         "no_fixed_point": classes.count("no fixed point"),
                         "fixed_point_moved": max(info["moved"], default=0.0), "fixed_point_residual": fixed,
                         "recovered": st.outcome.count("recovered"), "spurious": st.outcome.count("spurious"),
                         "unsettled": st.outcome.count("unsettled"), "starts": len(st.outcome),
                         "recovered_at": sorted(t for t, o in zip(st.steps, st.outcome) if o == "recovered")})
        if rd.decided:
            rhos += info["rho"]
        inconclusive += training.inconclusive(f"{name} {width}x{depth} {optimizer} seed {s}", rd)
    decided = [r for r in per_seed if r["decided"]]
    n_ex = sum(len(r["classes"]) for r in decided)
    n_st = sum(r["starts"] for r in decided)
    spectra = {} if not n_ex else {
        "attractor_fraction": stats.fraction(sum(r["attractors"] for r in decided), n_ex),
        "all_attract_runs": stats.fraction(sum(r["attractors"] == len(r["classes"]) for r in decided), len(decided)),
        "rho": stats.rho_classes(rhos, p["margin"])}
    pooled = {} if not n_st else {
        "recovered": stats.fraction(sum(r["recovered"] for r in decided), n_st),
        "R1": stats.fraction(sum(round(r["R1"] * r["starts"]) for r in decided), n_st),
        "spurious": stats.fraction(sum(r["spurious"] for r in decided), n_st),
        "unsettled": stats.fraction(sum(r["unsettled"] for r in decided), n_st),
        "max_fixed_point_moved": max(r["fixed_point_moved"] for r in decided)}
    return {"optimizer": optimizer, "data": name, "width": width, "depth": depth, "recover_tol": tol,
            "per_seed": per_seed, "decided": len(decided), "inconclusive": inconclusive, **spectra, **pooled}


def _strip(judged):
    """``judge``'s ``(decision, info)`` with the value kept small for the record (the radii)."""
    decision, info = judged
    return decision, [round(v, 4) for v in info["rho"]]


def _key(r) -> str:
    return f"{r['optimizer']}/{r['data']}/{r['width']}x{r['depth']}"


def _summary(r) -> str:
    if "attractor_fraction" not in r:
        return f"{_key(r)}: no run decided ({len(r['inconclusive'])} inconclusive)"
    a = r["attractor_fraction"]
    return (f"{_key(r)}: attractor fraction {a['value']:.3g} [{a['wilson95'][0]:.2f}, {a['wilson95'][1]:.2f}], "
            f"every example in {r['all_attract_runs']['k']}/{r['all_attract_runs']['n']} runs, recovered "
            f"{r['recovered']['value']:.3g}, spurious {r['spurious']['value']:.3g}, clear repellers "
            f"{r['rho']['clear_repellers']}/{r['rho']['n']}" +
            (f"; {len(r['inconclusive'])} runs inconclusive" if r["inconclusive"] else ""))


# ----------------------------------------------------------------------------- sec3-contraction

def check_contraction(data, ctx, *, control: bool = False) -> Measurement:
    """At every training example the nearest fixed point is within the recovery tolerance and
    ``rho(J) < 1`` there (Theorem 2: an attractor), in every seed that decides; iterated until
    settled, at least ``recover_min`` of the starts reach a training example.  The comparisons are
    those of the primary optimizer at the widest network; the attractor fraction's trend over the
    widths (``contraction_widths`` for images, ``swiss_widths`` for the Swiss roll) is tested over
    seeds."""
    p = ctx.sizes(FAMILY)
    primary = p["optimizer"]
    comps, metrics, rows, trends, inconclusive, notes = [], {}, {}, {}, [], []
    refuted_sets, largest = [], []
    for name, X, starts in sets(data, ctx):
        check_training_set(X)
        widths = tuple(p["swiss_widths"] if name == "swiss-roll" else p["contraction_widths"])
        largest.append(f"{name} width {widths[-1]} x depth {p['depth']}")
        for opt in p["optimizers"]:
            sweep = [_row(ctx, name, X, starts, width=w, depth=p["depth"], optimizer=opt, control=control)
                     for w in widths]
            for r in sweep:
                rows[_key(r)] = r
            xs = [r["width"] for r in sweep for s in r["per_seed"] if s["decided"] and s["classes"]]
            ys = [s["attractors"] / len(s["classes"]) for r in sweep for s in r["per_seed"] if s["decided"] and s["classes"]]
            trend = stats.trend_test(xs, ys, alpha=p["alpha"], resamples=p["resamples"]) if len(set(xs)) >= 2 and len(xs) >= 3 else None
            trends[f"{opt}/{name}"] = trend
            top = sweep[-1]
            if opt == primary:
                inconclusive += [u for r in sweep for u in r["inconclusive"]]
                tag = f"[{name}, {opt}, {top['width']}x{top['depth']}]"
                if "recovered" in top:
                    comps.append(Comparison(f"recovered when settled{tag}", top["recovered"]["value"], p["recover_min"], ">="))
                if "attractor_fraction" in top:
                    comps += [Comparison(f"attractor fraction{tag}", top["attractor_fraction"]["value"], 1.0, ">="),
                              Comparison(f"max distance of a fixed point from its example{tag}",
                                         top["max_fixed_point_moved"], top["recover_tol"])]
                decided = [s for r in sweep for s in r["per_seed"] if s["decided"]]
                every_seed_repels = bool(decided) and all(any(v > 1.0 + p["margin"] for v in s["rho"]) for s in decided)
                if every_seed_repels and len(decided) == sum(len(r["per_seed"]) for r in sweep) and \
                        (trend is None or trend["direction"] != "increasing"):
                    refuted_sets.append(name)
            else:
                notes.append(f"{opt} (lr {p['gd_lr']:g}, not the verdict's protocol): " + _summary(top))
        top_rho = rows[f"{primary}/{name}/{widths[-1]}x{p['depth']}"].get("rho")
        metrics[name] = {"n": int(X.shape[0]), "d": int(X.shape[1]), "starts": int(starts.shape[0]),
                         "max_spectral_radius": top_rho["quantiles"]["1"] if top_rho else None,
                         "train": host(X).tolist() if X.shape[1] == 2 else None,
                         "trajectory_sample": _trajectories(dc.train_autoencoder(
                             ctx, name, X, width=widths[-1], depth=p["depth"]).params[0], starts, p)
                         if X.shape[1] == 2 and not control else None}
    radii = [m["max_spectral_radius"] for m in metrics.values() if m["max_spectral_radius"] is not None]
    metrics["max_spectral_radius"] = max(radii) if radii else float("nan")
    metrics["rows"] = {k: {"attractor_fraction": r["attractor_fraction"]["value"] if "attractor_fraction" in r else None,
                           "recovered": r["recovered"]["value"] if "recovered" in r else None,
                           "spurious": r["spurious"]["value"] if "spurious" in r else None,
                           "max_rho": r["rho"]["quantiles"]["1"] if "rho" in r else None,
                           "decided": r["decided"], "runs": len(r["per_seed"])}
                       for k, r in rows.items()}
    primary_trends = {k: t for k, t in trends.items() if k.startswith(primary + "/")}
    scope = scope_line(", ".join(largest), p["seeds"], primary,
                       {k.split("/", 1)[1]: t for k, t in primary_trends.items()}, "attractor fraction vs width")
    refutation = None
    if refuted_sets and not control:
        refutation = (f"{', '.join(refuted_sets)}: an example repels (rho > 1 + {p['margin']:g}) in every seed and width "
                      f"({primary}); no growth with width")
    tol = Tolerance(p["band"], f"attractor: at the fixed point nearest each example (Newton's method, within "
                               f"{p['recover_frac']:g} x the smallest distance between two training examples) "
                               f"rho(J) < 1 - {p['band']:g} (Theorem 2), for every example of every seed that decides; "
                               f"recovered when settled (at most {p['settle_cap']} iterations) >= "
                               f"{p['recover_min']:g}; marginal: |rho - 1| <= {p['margin']:g}; a run decides at its "
                               f"loss target or where its classes are stable over the last two loss decades it reached")
    statistics = {"seeds": p["seeds"], "rests_on": primary, "optimizers": list(p["optimizers"]), "rows": rows,
                  "trend": trends, "confidence": 0.95}
    return Measurement(comps, metrics, tol, key="max_spectral_radius", notes=notes,
                       inconclusive=[] if control else inconclusive, refutation=refutation, scope=scope,
                       statistics=statistics)


def _trajectories(net, starts, p, m: int = 60):
    """A few full trajectories (for the Figure 2-style picture): every k-th start."""
    sel = starts[:: max(1, starts.shape[0] // m), :]
    out = [host(sel).tolist()]
    Z = sel
    for _ in range(p["iterations"]):
        Z = net(Z)
        out.append(host(Z).tolist())
    return out


CONTRACTION_SIZES = {
    "quick": dict(contraction_widths=(16, 32), swiss_widths=(16, 32)),
    "default": dict(contraction_widths=(128, 512), swiss_widths=(64, 128)),
    "paper": dict(contraction_widths=(128, 512, 1024), swiss_widths=(128, 512, 1024)),
    "large": dict(contraction_widths=(128, 512, 1024), swiss_widths=(128, 512, 1024)),
}


register(Claim(
    id="sec3-contraction",
    family="deep",
    sizes=CONTRACTION_SIZES,
    options=("data_dir",),
    figure=figures.contraction,
    paper_ref="Section 3.2, Figures 2 and 3a",
    statement="A deep autoencoder trained by gradient descent (Adam) is contractive at every training example (rho(J) < 1) and iterating it from held-out or arbitrary inputs converges to training examples (Swiss roll, digits).",
    hypotheses=("trained to (near) zero loss", "overparameterized network, PyTorch-default initialisation"),
    make_data=make_data,
    check=check_contraction,
    negative_control=lambda data, ctx: check_contraction(data, ctx, control=True),
    control_description="the identity network (reconstructs every input exactly, J = I): not contractive",
    empirical=True,
))


# ----------------------------------------------------------------------------- sec3-recovery-width-depth

def check_width_depth(data, ctx, *, control: bool = False) -> Measurement:
    """Figure 4: the share of starts that settle at a training example grows along a width sweep and
    along a depth sweep, decided per axis by a one-sided rank-correlation permutation test over
    (size, seed) pairs of the runs that decide, at level ``alpha`` (the primary optimizer over
    ``trend_seeds`` seeds; the other is reported over ``seeds``)."""
    p = ctx.sizes(FAMILY)
    primary = p["optimizer"]
    # the verdict rests on the images (the paper's Figure 4: MNIST); the other sets of
    # ``sweep_sets`` (the paper profile: the Swiss roll) are measured and reported beside it
    main = digits_only(data, ctx)
    extra = [s for s in sets(data, ctx) if s[0] != main[0] and s[0] in p.get("sweep_sets", ())]
    sweeps = {"width": [(w, p["sweep_depth"]) for w in p["sweep_widths"]],
              "depth": [(p["sweep_width"], L) for L in p["sweep_depths"]]}
    comps, metrics, rows, trends, inconclusive, notes, falling = [], {}, {}, {}, [], [], []
    for name, X, starts in [main] + extra:
        check_training_set(X)
        tag = "" if name == main[0] else f"{name}/"
        for opt in p["optimizers"]:
            verdict_rows = opt == primary and not tag
            for axis, configs in sweeps.items():
                sweep = [_row(ctx, name, X, starts, width=w, depth=L, optimizer=opt, control=control,
                              seeds=p["trend_seeds"] if verdict_rows else p["seeds"]) for w, L in configs]
                pairs = [(r[axis], s["recovered"] / s["starts"]) for r in sweep for s in r["per_seed"] if s["decided"]]
                trend = stats.trend_test([x for x, _ in pairs], [y for _, y in pairs], alpha=p["alpha"],
                                         resamples=p["resamples"]) if len({x for x, _ in pairs}) >= 2 and len(pairs) >= 3 \
                    else None
                key = f"{tag}{opt}/{axis}"
                trends[key] = trend
                for r in sweep:
                    rows[f"{axis}/{_key(r)}"] = r
                metrics[key] = {"configs": [f"{w}x{L}" for w, L in configs],
                                "recovered": [r["recovered"]["value"] if "recovered" in r else None for r in sweep],
                                "spurious": [r["spurious"]["value"] if "spurious" in r else None for r in sweep],
                                "attractor_fraction": [r["attractor_fraction"]["value"] if "attractor_fraction" in r
                                                       else None for r in sweep],
                                "decided": [r["decided"] for r in sweep]}
                stalled = sum(len(r["inconclusive"]) for r in sweep)
                if verdict_rows:
                    inconclusive += [u for r in sweep for u in r["inconclusive"]]
                    if trend is not None:
                        comps.append(Comparison(f"p-value, recovery grows with {axis} ({opt})", trend["p_increasing"],
                                                p["alpha"]))
                        if trend["direction"] == "decreasing":
                            falling.append(f"{axis} (Spearman {trend['spearman']:.2f}, p = {trend['p_decreasing']:.3g})")
                else:
                    notes.append(f"{name}, {opt} along {axis} (reported, not the verdict's basis): recovered "
                                 f"{metrics[key]['recovered']} at {metrics[key]['configs']}, trend "
                                 + (f"{trend['direction']} (p_increasing = {trend['p_increasing']:.3g})" if trend
                                    else "not tested (fewer than two sizes decided)")
                                 + (f"; {stalled} runs inconclusive" if stalled else ""))
    t_width = trends.get(f"{primary}/width")
    metrics["p_width"] = t_width["p_increasing"] if t_width else float("nan")
    largest = f"{main[0]} width {max(p['sweep_widths'])} x depth {p['sweep_depth']}, width {p['sweep_width']} x depth " \
              f"{max(p['sweep_depths'])}"
    scope = scope_line(largest, p["trend_seeds"], primary, {a: trends[f"{primary}/{a}"] for a in sweeps},
                       "recovered vs size")
    refutation = None
    if falling and not control:
        refutation = f"recovery falls significantly with {' and '.join(falling)} over {p['trend_seeds']} seeds ({primary})"
    tol = Tolerance(p["alpha"], f"trend: one-sided Spearman permutation test over (size, seed) pairs of the runs that "
                                f"decide, {p['trend_seeds']} seeds a size, p < {p['alpha']:g} along each axis; recovered: "
                                f"settled within {p['recover_frac']:g} x the spacing of the examples after at most "
                                f"{p['settle_cap']} iterations")
    statistics = {"seeds": p["trend_seeds"], "rests_on": primary, "optimizers": list(p["optimizers"]), "rows": rows,
                  "trend": trends, "confidence": 0.95}
    return Measurement(comps, metrics, tol, key="p_width", notes=notes, inconclusive=[] if control else inconclusive,
                       refutation=refutation, scope=scope, statistics=statistics)


RECOVERY_SIZES = {
    "quick": dict(sweep_widths=(8, 16, 64), sweep_depths=(1, 2, 3), sweep_width=32, sweep_depth=2,
                  sweep_sets=("digits",), trend_seeds=3),
    "default": dict(sweep_widths=(32, 128, 512), sweep_depths=(1, 3, 5), sweep_width=128, sweep_depth=3,
                    sweep_sets=("digits",), trend_seeds=15),
    "paper": dict(sweep_widths=(128, 256, 512, 1024), sweep_depths=(2, 4, 6, 8), sweep_width=256, sweep_depth=3,
                  sweep_sets=("digits", "swiss-roll"), trend_seeds=15),
    "large": dict(sweep_widths=(128, 256, 512, 1024), sweep_depths=(2, 4, 6, 8), sweep_width=256, sweep_depth=3,
                  sweep_sets=("digits", "swiss-roll"), trend_seeds=15),
}


register(Claim(
    id="sec3-recovery-width-depth",
    family="deep",
    sizes=RECOVERY_SIZES,
    options=("data_dir",),
    figure=figures.recovery_width_depth,
    paper_ref="Section 3.3, Figure 4",
    statement="The recovery probability R(t) of training examples grows with the width and with the depth of the autoencoder.",
    hypotheses=("trained to (near) zero loss", "the same training set and initial states for every size"),
    make_data=make_data,
    check=check_width_depth,
    negative_control=lambda data, ctx: check_width_depth(data, ctx, control=True),
    control_description="identity networks of the same depths (recover nothing): no trend",
    empirical=True,
))


# ----------------------------------------------------------------------------- sec3-superattractor

def check_superattractor(data, ctx, *, control: bool = False) -> Measurement:
    """Figure 3b: a large network maps arbitrary inputs to a training example in one iteration:
    R(1) pooled over seeds at the largest of ``super_widths`` (primary optimizer)."""
    p = ctx.sizes(FAMILY)
    name, X, starts = digits_only(data, ctx)
    if name != "user":
        X = X[: p["super_n"], :]  # the profile's number of training images for this claim
    tol = recovery_tol(X, p)
    primary, depth = p["optimizer"], p["super_depth"]
    rows, trends, comps, notes, inconclusive, metrics = {}, {}, [], [], [], {}
    m = int(starts.shape[0])

    @training.memoized
    def classes_of(net):
        """Per example: a superattractor (its nearest fixed point within the tolerance, rho <= rho_small)
        or Theorem 2's class; and the number of starts within the tolerance of an example after one step."""
        classes, rho, _ = dc.example_classes(net, X, p)
        supers = tuple("superattractor" if c == "attractor" and r <= p["rho_small"] else c for c, r in zip(classes, rho))
        r1 = dyn.recovery_probability(net, starts, X, [1], tol)[0]
        return supers, [round(v, 4) for v in rho], int(round(r1 * m))

    def judge(net):
        supers, rho, k1 = classes_of(net)
        return {"superattractors": supers.count("superattractor"), "recovered in one step": k1}, rho

    def same(a, b):
        return training.same_fraction(int(X.shape[0]))(a["superattractors"], b["superattractors"]) and \
            training.same_fraction(m)(a["recovered in one step"], b["recovered in one step"])

    for opt in p["optimizers"]:
        sweep = []
        for width in p["super_widths"]:
            per_seed = []
            for s, net, res, rd, restarts in runs(ctx, name, X, width=width, depth=depth, optimizer=opt,
                                                  control=control, hidden=p["super_hidden"], judge=judge, same=same):
                supers, rho, k1 = classes_of(net)
                per_seed.append({"seed": s, **training.record(res, rd, restarts), "R1": k1 / m, "rho": rho,
                                 "classes": list(supers), "superattractors": supers.count("superattractor")})
                if opt == primary:
                    inconclusive += training.inconclusive(f"{name} {width}x{depth} {opt} seed {s}", rd)
                if s == 0 and width == max(p["super_widths"]) and opt == primary:
                    metrics["strip"] = {"inputs": host(starts[: p["strip"], :]).tolist(),
                                        "outputs": host(net(starts[: p["strip"], :])).tolist()}
            decided = [r for r in per_seed if r["decided"]]
            row = {"optimizer": opt, "width": width, "depth": depth, "per_seed": per_seed, "decided": len(decided)}
            if decided:
                row.update(R1=stats.fraction(sum(round(r["R1"] * m) for r in decided), m * len(decided)),
                           superattractor_fraction=stats.fraction(sum(r["superattractors"] for r in decided),
                                                                  sum(len(r["rho"]) for r in decided)),
                           rho=stats.rho_classes([v for r in decided for v in r["rho"]], p["margin"]))
            rows[f"{opt}/{width}x{depth}"] = row
            sweep.append(row)
        pairs = [(r["width"], s["R1"]) for r in sweep for s in r["per_seed"] if s["decided"]]
        trends[opt] = stats.trend_test([x for x, _ in pairs], [y for _, y in pairs], alpha=p["alpha"],
                                       resamples=p["resamples"]) if len({x for x, _ in pairs}) >= 2 and len(pairs) >= 3 else None
        top = sweep[-1]
        if opt == primary:
            if "R1" in top:
                comps.append(Comparison(f"R(1) [{opt}, {top['width']}x{depth}]", top["R1"]["value"], p["recover_min"], ">="))
            metrics["R(1)"] = top["R1"]["value"] if "R1" in top else float("nan")
        elif "R1" in top:
            stuck = [r for r in top["per_seed"] if not r["decided"]]
            notes.append(f"{opt} (lr {p['gd_lr']:g}, not the verdict's protocol): R(1) = {top['R1']['value']:.3g} "
                         f"[{top['R1']['wilson95'][0]:.2f}, {top['R1']['wilson95'][1]:.2f}] at {top['width']}x{depth}, "
                         f"superattractors {top['superattractor_fraction']['k']}/{top['superattractor_fraction']['n']}"
                         + (f"; {len(stuck)}/{len(top['per_seed'])} runs inconclusive (loss up to "
                            f"{max(r['loss'] for r in stuck):.3g}: an untrained network is flat, so rho ~ 0 there "
                            "says nothing)" if stuck else ""))
        else:
            notes.append(f"{opt} (lr {p['gd_lr']:g}, not the verdict's protocol): no run decided at {top['width']}x{depth}")
    metrics.update({"data": name, "rho_small": p["rho_small"], "hidden": p["super_hidden"],
                    "rows": {k: {"R1": r["R1"]["value"] if "R1" in r else None,
                                 "superattractor_fraction": r["superattractor_fraction"]["value"]
                                 if "superattractor_fraction" in r else None, "decided": r["decided"]}
                             for k, r in rows.items()}})
    scope = scope_line(f"{p['super_hidden']} width {max(p['super_widths'])} x depth {depth}", p["seeds"], primary,
                       {"R(1)": trends[primary]}, "R(1) vs width")
    tol_ = Tolerance(tol, f"recovered in one step: within {p['recover_frac']:g} x the smallest distance between two "
                          f"training examples; R(1) pooled over the seeds that decide >= {p['recover_min']:g}; rho <= "
                          f"{p['rho_small']:g} at an example's nearest fixed point is reported as a superattractor "
                          "(rho ~ 0)")
    statistics = {"seeds": p["seeds"], "rests_on": primary, "optimizers": list(p["optimizers"]), "rows": rows,
                  "trend": trends, "confidence": 0.95}
    return Measurement(comps, metrics, tol_, key="R(1)", notes=notes, inconclusive=[] if control else inconclusive,
                       scope=scope, statistics=statistics)


SUPER_SIZES = {
    "quick": dict(super_n=3, super_widths=(32, 64), super_depth=3, super_hidden="sigmoid", super_gd_max_steps=500,
                  rho_small=0.1, strip=6),
    "default": dict(super_n=5, super_widths=(64, 256), super_depth=6, super_hidden="sigmoid",
                    super_gd_max_steps=500, rho_small=0.1, strip=6),
    "paper": dict(super_n=10, super_widths=(256, 512), super_depth=6, super_hidden="sigmoid",
                  super_gd_max_steps=5000, rho_small=0.1, strip=6),
    "large": dict(super_n=10, super_widths=(256, 512), super_depth=6, super_hidden="sigmoid",
                  super_gd_max_steps=5000, rho_small=0.1, strip=6),
}


register(Claim(
    id="sec3-superattractor",
    family="deep",
    sizes=SUPER_SIZES,
    options=("data_dir",),
    figure=figures.superattractor_strip,
    paper_ref="Section 3.3, Figure 3b",
    statement="A large enough deep autoencoder maps arbitrary inputs to a training example in a single iteration (the examples are superattractors).",
    hypotheses=("trained to (near) zero loss", "a large network"),
    make_data=make_data,
    check=check_superattractor,
    negative_control=lambda data, ctx: check_superattractor(data, ctx, control=True),
    control_description="the identity network: one iteration leaves every input where it was",
    empirical=True,
))
