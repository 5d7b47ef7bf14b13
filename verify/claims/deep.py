"""Claims about deep fully connected autoencoders as dynamical systems (paper Sections 3.2-3.3,
Figures 2-4): contraction at the training examples, recovery by iteration, superattractors.

Every claim trains networks with :func:`theory.deep_fc.train` (written out, through the one
descent loop) over ``seeds`` seeds and under both protocols the paper leaves open: Adam (the
profile's ``optimizer``, on which the verdict rests) and plain gradient descent, each its own row
of evidence in the claim's ``statistics``.  The negative control is the identity network (every
point a fixed point, ``J = I``): it reproduces the training set exactly but is not contractive.

Shared protocol (profile family ``deep``): a start is *recovered* when, iterated until it
settles (:func:`theory.dynamics.settle`, at most ``settle_cap`` steps), it lies within half the
smallest distance between two training examples of one of them (:data:`verify.rules.NEAREST_EXAMPLE`:
then the example it reached is defined); the closer fractions of :data:`verify.rules.CURVE` are
reported as a curve.  One that settles elsewhere is a *spurious* attractor.  A fixed point with
``|rho - 1| <= margin`` is *marginal*, kept apart from clear attractors and repellers.  Each claim's
decision rule, quoted from the paper with its gates, is its record's ``rule``.
"""

from __future__ import annotations

import numpy as np

from theory import dynamics as dyn
from theory import stats
from theory.common import check_training_set

from ..evidence import Comparison, Measurement, Tolerance
from .. import figures
from .. import rules as R
from ..claim import Claim, register
from . import deep_common as dc
from . import training
from .deep_common import (FAMILY, digits_only, fc_regime, host, make_data, recovery_tol, runs, scope_line, sets,
                          settle)


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
        spacing = tol / R.NEAREST_EXAMPLE.value
        per_seed.append({"seed": s, **training.record(res, rd, restarts), "R1": r1, "rho": info["rho"],
                         "classes": list(classes), "attractors": classes.count("attractor"),
                         "no_fixed_point": classes.count("no fixed point"),
                         "fixed_point_moved": max(info["moved"], default=0.0), "fixed_point_residual": fixed,
                         "recovered": st.outcome.count("recovered"), "spurious": st.outcome.count("spurious"),
                         "unsettled": st.outcome.count("unsettled"), "starts": len(st.outcome),
                         "curve": R.curve_counts(st.distance, spacing),
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
        "curve": {f: stats.fraction(sum(r["curve"][f] for r in decided), n_st) for f in R.CURVE},
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
    refuted_sets, largest, regions = [], [], []
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
                    comps.append(Comparison(f"Wilson 95% lower bound of the starts recovered when settled{tag}",
                                            top["recovered"]["wilson95"][0], R.MOST.value, ">=", gate=R.MOST.name))
                    regions.append(f"{name}: " + recovery_region(top["curve"]))
                if "all_attract_runs" in top:
                    k, n = top["all_attract_runs"]["k"], top["all_attract_runs"]["n"]
                    comps.append(Comparison(f"runs in which every example attracts{tag}, of {n}", float(k),
                                            float(R.majority(n)), ">=", gate=R.MOST_RUNS.name))
                    notes.append(f"strict reading{tag}: every example of every run attracts: "
                                 f"{top['attractor_fraction']['k']}/{top['attractor_fraction']['n']} examples, "
                                 f"{k}/{n} runs; every start recovered: {top['recovered']['k']}/{top['recovered']['n']}")
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
    tol = Tolerance(p["band"], f"attractor: at the fixed point nearest each example (Newton's method, within half "
                               f"the smallest distance between two training examples) rho(J) < 1 - {p['band']:g} "
                               f"(Theorem 2), every example in most runs that decide; recovered when settled (at most "
                               f"{p['settle_cap']} iterations, within half the spacing): most starts (Wilson 95% lower "
                               f"bound >= 1/2); marginal: |rho - 1| <= {p['margin']:g}; a run decides at its loss "
                               f"target or where its classes are stable over the last two loss decades it reached")
    statistics = {"seeds": p["seeds"], "rests_on": primary, "optimizers": list(p["optimizers"]), "rows": rows,
                  "trend": trends, "confidence": 0.95}
    return Measurement(comps, metrics, tol, key="max_spectral_radius", notes=notes,
                       inconclusive=[] if control else inconclusive, refutation=refutation, scope=scope,
                       statistics=statistics, region="; ".join(regions) or None)


def recovery_region(curve: dict) -> str:
    """Where along the tolerance curve most starts are recovered (Wilson 95% lower bound >= 1/2)."""
    return "recovered " + R.curve_region({f: c["value"] for f, c in curve.items()},
                                         {f: c["wilson95"][0] >= R.MOST.value for f, c in curve.items()})


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
    rule=R.Rule(
        quote="As shown in Figure 2, trajectories from various points on the grid (shown as green points) converge to "
              "the training points (shown as red points). ... As shown in Figure 3a, the trajectories converge almost "
              "exclusively to the training examples. ... the training examples are not only fixed points, but also "
              "attractors.",
        where="Section 3.2, Figures 2 and 3a",
        reading=R.TYPICAL,
        decides="at the widest network, on each data set: every training example attracts (Theorem 2 at its fixed "
                "point) in most runs that decide, and most starts, iterated until they settle, end at a training "
                "example (the Wilson 95% lower bound of the pooled share at least 1/2)",
        gates=(R.MOST_RUNS, R.MOST, R.NEAREST_EXAMPLE, R.THEOREM2),
        curve="the share recovered within 0.05, 0.1, 0.25 and 0.5 x the spacing of the examples",
        readings=("typical: every example attracts in most runs (the verdict)",
                  "strict: every example of every run attracts, every start recovered (reported in the notes)",
                  "'almost exclusively': most starts (the verdict), all starts (reported)"),
        sweeps=(R.adam_eps_sweep(),)),
    regime=fc_regime("Swiss roll (a grid of 1000 starts) and MNIST", "digits_n", "contraction_widths"),
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
    comps, metrics, rows, trends, inconclusive, notes, falling, regions = [], {}, {}, {}, [], [], [], []
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
                                                R.ALPHA.value, gate=R.ALPHA.name))
                        curve = _trend_curve(sweep, axis, p)
                        metrics[key]["p_increasing_curve"] = curve
                        regions.append(f"{axis} trend " + R.curve_region(curve, {f: v <= R.ALPHA.value
                                                                               for f, v in curve.items()}))
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
    tol = Tolerance(R.ALPHA.value, f"trend: one-sided Spearman permutation test over (size, seed) pairs of the runs "
                                   f"that decide, {p['trend_seeds']} seeds a size, p <= {R.ALPHA.value:g} along each "
                                   f"axis; recovered: settled within half the spacing of the examples after at most "
                                   f"{p['settle_cap']} iterations (the p-values at closer tolerances are reported)")
    statistics = {"seeds": p["trend_seeds"], "rests_on": primary, "optimizers": list(p["optimizers"]), "rows": rows,
                  "trend": trends, "confidence": 0.95}
    return Measurement(comps, metrics, tol, key="p_width", notes=notes, inconclusive=[] if control else inconclusive,
                       refutation=refutation, scope=scope, statistics=statistics, region="; ".join(regions) or None)


def _trend_curve(sweep: list, axis: str, p) -> dict:
    """The one-sided trend test's p-value along ``axis`` with recovery counted within each fraction of
    :data:`verify.rules.CURVE` of the spacing (the verdict's is the largest)."""
    out = {}
    for f in R.CURVE:
        pairs = [(r[axis], s["curve"][f] / s["starts"]) for r in sweep for s in r["per_seed"] if s["decided"]]
        t = stats.trend_test([x for x, _ in pairs], [y for _, y in pairs], alpha=R.ALPHA.value,
                             resamples=p["resamples"]) if len({x for x, _ in pairs}) >= 2 and len(pairs) >= 3 else None
        out[f] = t["p_increasing"] if t else float("nan")
    return out


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
    rule=R.Rule(
        quote="Interestingly, we found that increasing width and depth both increase the recovery rate (Figure 4).",
        where="Section 3.3, Figure 4",
        reading=R.TREND,
        decides="along a width sweep and along a depth sweep (digits, Adam), the share of starts recovered when "
                "settled grows: a one-sided Spearman permutation test over (size, seed) pairs of the runs that "
                "decide, p <= 0.05 on each axis",
        gates=(R.ALPHA, R.NEAREST_EXAMPLE),
        curve="the trend's p-value with recovery counted within 0.05, 0.1, 0.25 and 0.5 x the spacing",
        readings=("'both': width and depth each tested on its own", "plain gradient descent reported beside Adam"),
        sweeps=(R.adam_eps_sweep(),)),
    regime=fc_regime("MNIST (Figure 4)", "digits_n", "sweep_widths", "sweep_depths"),
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
