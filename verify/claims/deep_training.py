"""Claims about how training shapes a deep autoencoder's dynamics (paper Section 5, Figures 1
and 6; Appendix I.2): contraction throughout training, the initialisation's scale and scheme.

Shared protocol and data with :mod:`.deep` (:mod:`.deep_common`); every number per seed is in
the claim's ``statistics``.
"""

from __future__ import annotations

import numpy as np

from theory import deep_fc as D
from theory import dynamics as dyn
from theory import stats

from ..evidence import Comparison, Measurement, Scope, Tolerance
from .. import figures
from .. import rules as R
from ..claim import Claim, register
from . import deep_common as dc
from . import training
from .deep_common import (FAMILY, digits_only, digits_regime, host, initial_network, make_data, recovery_tol, settle,
                          spectral)


# ----------------------------------------------------------------------------- sec5-early-stopping

def _checkpoint_nets(ctx, name, X, p, seed: int) -> tuple:
    """Networks along one seeded run: at ``checkpoint_fractions`` of its length, at the first step
    whose loss is at or below each of ``loss_levels`` (training continues towards the smallest, for
    at most twice the steps the run took to its own target), and at the end; with the final result."""
    base = dc.train_autoencoder(ctx, name, X, width=p["width"], depth=p["depth"], seed=seed)
    marks = sorted({max(1, round(f * base.steps)) for f in p["checkpoint_fractions"]} - {base.steps})
    levels = sorted(p["loss_levels"], reverse=True)
    first: dict = {}

    def at_level(t, loss, params):
        for lv in levels:
            if lv not in first and loss <= lv:
                first[lv] = (t, params[0])

    res = dc.train_autoencoder(ctx, name, X, width=p["width"], depth=p["depth"], seed=seed, checkpoints=marks,
                               loss_tol=min(levels), callback=at_level, max_steps=2 * base.steps + 10, finish=False)
    nets = {f"step {t}": (t, st[0]) for t, st in sorted(res.checkpoints.items()) if t > 0}
    nets.update({f"loss <= {lv:g}": first[lv] for lv in levels if lv in first})
    nets[f"end (step {base.steps})"] = (base.steps, base.params[0])
    return nets, base, res, [lv for lv in levels if lv not in first]


def check_early_stopping(data, ctx, *, control: bool = False) -> Measurement:
    """Figure 6: memorization is present at checkpoints throughout training, not only at the end: at
    every evaluated checkpoint most starts iterate to a training example, and at least as many
    examples attract (rho(J) < 1 there) as at the end; in most runs.  A checkpoint is evaluated only
    where its largest reconstruction error is below the recovery tolerance (else R = 1 would be
    granted by the reconstruction error itself: "not evaluated")."""
    p = ctx.sizes(FAMILY)
    name, X, starts = digits_only(data, ctx)
    tol = recovery_tol(X, p)
    comps, per_seed, inconclusive = [], [], []

    def contractive(net):
        rho = spectral(net, X)
        return {"contractive": bool(rho.max() < 1.0 - p["band"])}, round(float(rho.max()), 4)

    for s in range(p["seeds"]):
        nets, base, res, unreached = _checkpoint_nets(ctx, name, X, p, s)
        if not control:
            inconclusive += training.inconclusive(f"{name} {p['width']}x{p['depth']} seed {s}",
                                               training.decide(lambda draw: base, contractive, p=p)[1])
        rows = {}
        for label, (t, net) in nets.items():
            if control:
                net = D.identity_network(X.shape[1], p["depth"], xp=ctx.xp, dtype=ctx.float)
            err = float(np.max(np.linalg.norm(host(net(X) - X), axis=1)))
            rho = spectral(net, X)
            evaluated = err < tol
            row = {"step": t, "loss": D.loss(net, X), "max_rho": float(rho.max()), "reconstruction_error": err,
                   "evaluated": evaluated, "clear_repellers": int(np.sum(rho > 1 + p["margin"])),
                   "attractors": int(np.sum(rho < 1.0 - p["band"]))}
            if evaluated:
                st = settle(net, X, starts, p)
                row["recovered"] = st.fraction("recovered")
                row["recovered_most"] = bool(stats.wilson(st.outcome.count("recovered"), len(st.outcome))[0] >= R.MOST.value)
                row["curve"] = R.curve_counts(st.distance, tol / R.NEAREST_EXAMPLE.value)
                row["starts"] = len(st.outcome)
                row["spurious"] = st.fraction("spurious")
            rows[label] = row
        end = next(r for k, r in rows.items() if k.startswith("end"))
        early = [r for k, r in rows.items() if r["evaluated"] and not k.startswith("end")]
        present = bool(early) and end["evaluated"] and all(
            r["recovered_most"] and r["attractors"] >= end["attractors"] for r in early + [end])
        per_seed.append({"seed": s, "final_step": base.steps, "checkpoints": rows, "loss_levels_not_reached": unreached,
                         "early_evaluated": len(early), "present_throughout": present})
    k = sum(r["present_throughout"] for r in per_seed)
    comps.append(Comparison(f"runs in which memorization is present at every evaluated checkpoint, of {len(per_seed)}",
                            float(k), float(R.majority(len(per_seed))), ">=", gate=R.MOST_RUNS.name))
    evaluated = [r for ps in per_seed for r in ps["checkpoints"].values() if r["evaluated"]]
    contractive = sum(r["max_rho"] < 1.0 - p["band"] for r in evaluated)
    metrics = {"recover_tol": tol, "fractions": list(p["checkpoint_fractions"]), "loss_levels": list(p["loss_levels"]),
               "max_rho_over_checkpoints": max((r["max_rho"] for r in evaluated), default=float("nan")),
               "runs_present_throughout": k / len(per_seed), "checkpoints": per_seed[0]["checkpoints"]}
    statistics = {"seeds": p["seeds"], "rests_on": p["optimizer"], "per_seed": per_seed,
                  "contractive_checkpoints": stats.fraction(contractive, len(evaluated)) if evaluated else None}
    scope = Scope(f"width {p['width']} x depth {p['depth']}", f"{p['seeds']} seeds, {p['optimizer']}",
                  f"contractive at {contractive} of {len(evaluated)} evaluated checkpoints")
    tol_ = Tolerance(p["band"], f"memorization present at a checkpoint whose largest reconstruction error is below "
                                f"half the spacing of the examples: most starts recovered when settled (Wilson 95% "
                                f"lower bound >= 1/2) and at least as many examples with rho < 1 - {p['band']:g} as at "
                                "the end; a run shows it with at least one such checkpoint before the end and at every "
                                "one, and the end; most runs")
    notes = [f"strict reading (rho < 1 - {p['band']:g} at every example of every evaluated checkpoint): {contractive} of "
             f"{len(evaluated)} checkpoints"]
    early = [r for ps in per_seed for k, r in ps["checkpoints"].items() if r["evaluated"] and not k.startswith("end")]
    region = None
    if early:
        total = sum(r["starts"] for r in early)
        curve = {f: stats.fraction(sum(r["curve"][f] for r in early), total) for f in R.CURVE}
        metrics["early_recovered_curve"] = {f: c["value"] for f, c in curve.items()}
        region = "early checkpoints, pooled: recovered " + R.curve_region(
            {f: c["value"] for f, c in curve.items()}, {f: c["wilson95"][0] >= R.MOST.value for f, c in curve.items()})
    return Measurement(comps, metrics, tol_, key="runs_present_throughout", inconclusive=inconclusive, scope=scope,
                       statistics=statistics, notes=notes, region=region)


SEC5_SIZES = {
    "quick": dict(checkpoint_fractions=(0.1, 0.25, 0.5, 0.75)),
    "default": dict(checkpoint_fractions=(0.1, 0.25, 0.5, 0.75)),
    "paper": dict(checkpoint_fractions=(0.1, 0.25, 0.5, 0.75)),
    "large": dict(checkpoint_fractions=(0.1, 0.25, 0.5, 0.75)),
}


register(Claim(
    id="sec5-early-stopping",
    family="deep",
    sizes=SEC5_SIZES,
    rule=R.Rule(
        quote="Additional support for the claim that memorization is not synonymous with overfitting lies in the "
              "observation that memorization occurs throughout the training process and is present even with early "
              "stopping (see Figure 6).",
        where="Section 5, Figure 6",
        reading=R.TYPICAL,
        decides="in most runs, at every checkpoint where the network already reconstructs its examples (within half "
                "their spacing) and at the end, most starts iterate to a training example and at least as many "
                "examples attract (rho(J) < 1) as at the end, with at least one such checkpoint before the end",
        gates=(R.MOST_RUNS, R.MOST, R.NEAREST_EXAMPLE, R.THEOREM2),
        curve="the early checkpoints' starts recovered within 0.05, 0.1, 0.25 and 0.5 x the spacing",
        readings=("'throughout training': checkpoints at 10-75% of the run and at each loss decade it passes",
                  "'memorization': recovery by iteration and contraction at the examples, both"),
        sweeps=(R.adam_eps_sweep(),)),
    regime=digits_regime("MNIST (Figure 6)", "digits_n"),
    options=("data_dir",),
    figure=figures.early_stopping,
    paper_ref="Section 5, Figure 6",
    statement="Contraction at the training examples is present at checkpoints throughout training, not only at convergence.",
    hypotheses=("checkpoints at which the network already reconstructs the examples",),
    make_data=make_data,
    check=check_early_stopping,
    negative_control=lambda data, ctx: check_early_stopping(data, ctx, control=True),
    control_description="the identity network in place of every checkpoint: not contractive",
    empirical=True,
))


# ----------------------------------------------------------------------------- fig1-init-scale

def _fig1_protocol(ctx, p, X, eps, control: bool) -> dict:
    """Figure 1's runs under Adam with ``eps`` (None: :func:`theory.descent.adam_eps`): max|f'| at
    the examples per (init, size) over the seeds that decide, the runs' records, the fractions and
    the two tests; and, for seed 0, the map and its orbits."""
    slopes, maps, orbits, inconclusive, records = {}, {}, {}, [], {}
    grid = ctx.asarray(np.linspace(-1.5, 1.5, 301)[:, None])
    starts1d = ctx.asarray(np.linspace(-1.2, 1.2, 13)[:, None])

    def judge(net):
        slope = float(np.max(np.abs(host(D.jacobian(net, X))[:, 0, 0])))
        return {"contractive": slope < 1.0}, round(slope, 4)

    for init, scale in (("near-zero", p["fig1_small_scale"]), ("large", p["fig1_large_scale"])):
        for width, depth in p["fig1_sizes"]:
            label, values, recs = f"{init} {width}x{depth}", [], []
            for s in range(p["fig1_seeds"]):
                if control:
                    res = dc.control_result(X, depth, ctx)
                    res, rd, restarts = training.decide(lambda draw: res, judge, p=p)
                else:
                    res, rd, restarts = training.decide(
                        lambda draw: dc.train_autoencoder(ctx, "fig1", X, width=width, depth=depth, scheme="near_zero",
                                                          scale=scale, seed=s, draw=draw, adam_eps=eps), judge, p=p)
                net = res.params[0]
                recs.append({"seed": s, **training.record(res, rd, restarts), "max_abs_slope": rd.value})
                inconclusive += training.inconclusive(f"{label} seed {s}", rd)
                if rd.decided:
                    values.append(float(np.max(np.abs(host(D.jacobian(net, X))[:, 0, 0]))))
                if s == 0:
                    maps[label] = host(net(grid))[:, 0].tolist()
                    Z, orbit = starts1d, [host(starts1d)[:, 0].tolist()]
                    for _ in range(p["fig1_orbit_steps"]):
                        Z = net(Z)
                        orbit.append(host(Z)[:, 0].tolist())
                    orbits[label] = orbit
            slopes[label] = values
            records[label] = recs
    small, large = (f"{w}x{L}" for w, L in (p["fig1_sizes"][0], p["fig1_sizes"][-1]))
    near = [v for k, vs in slopes.items() if k.startswith("near-zero") for v in vs]
    big = [v for k, vs in slopes.items() if k.startswith("large") for v in vs]
    f_near = stats.fraction(sum(v < 1.0 for v in near), len(near)) if near else None
    f_big = stats.fraction(sum(v < 1.0 for v in big), len(big)) if big else None
    tests = {}
    if f_near and f_big:
        tests["near_vs_large"] = stats.fraction_greater_test(f_near["k"], f_near["n"], f_big["k"], f_big["n"])
    s_small, s_large = slopes[f"near-zero {small}"], slopes[f"near-zero {large}"]
    if s_small and s_large:
        tests["faster"] = stats.greater_test(s_small, s_large)
    return {"slopes": slopes, "maps": maps, "orbits": orbits, "inconclusive": inconclusive, "runs": records,
            "near": f_near, "large": f_big, "tests": tests, "small": small, "large_net": large,
            "median_small": float(np.median(s_small)) if s_small else float("nan"),
            "median_large": float(np.median(s_large)) if s_large else float("nan")}


def _fig1_frac(f) -> str:
    return f"{f['k']}/{f['n']} [{f['wilson95'][0]:.2f}, {f['wilson95'][1]:.2f}]" if f else "none decided"


def check_init_scale(data, ctx, *, control: bool = False) -> Measurement:
    """Figure 1: 1-D autoencoders on two points.  Near-zero initialisation gives |f'| < 1 at both
    examples in most runs that decide and a large one does not, the difference tested by a
    one-sided Fisher exact test; the larger network has the smaller |f'| (contracts faster: a
    one-sided Mann-Whitney test over the near-zero runs).  Adam's eps is the family's (PyTorch's
    default 1e-8, what the paper ran); its record sweeps the alternative."""
    p = ctx.sizes(FAMILY)
    X = ctx.asarray(np.array(p["fig1_points"], dtype=np.float64)[:, None])
    main = _fig1_protocol(ctx, p, X, None, control)
    comps, tests, notes = [], main["tests"], []
    if main["near"]:
        k, n = main["near"]["k"], main["near"]["n"]
        comps.append(Comparison(f"near-zero runs contractive at both examples, of {n}", float(k), float(R.majority(n)),
                                ">=", gate=R.MOST_RUNS.name))
    if main["large"]:
        k, n = main["large"]["k"], main["large"]["n"]
        comps.append(Comparison(f"large-init runs not contractive at both examples, of {n}", float(n - k),
                                float(R.majority(n)), ">=", gate=R.MOST_RUNS.name))
    if "near_vs_large" in tests:
        comps.append(Comparison("one-sided Fisher p, near-zero contractive more often than large",
                                tests["near_vs_large"]["p_greater"], R.ALPHA.value, gate=R.ALPHA.name))
    if "faster" in tests:
        comps.append(Comparison(f"one-sided Mann-Whitney p, max|f'| smaller at {main['large_net']} than at "
                                f"{main['small']} (near-zero)", tests["faster"]["p_greater"], R.ALPHA.value,
                                gate=R.ALPHA.name))
    metrics = {"points": list(p["fig1_points"]), "max_abs_slope": main["slopes"],
               "contractive_fraction_near_zero": main["near"]["value"] if main["near"] else float("nan"),
               "contractive_fraction_large": main["large"]["value"] if main["large"] else float("nan"),
               "median_slope_small_net": main["median_small"], "median_slope_large_net": main["median_large"],
               "scales": [p["fig1_small_scale"], p["fig1_large_scale"]],
               "grid": np.linspace(-1.5, 1.5, 301).tolist(), "maps": main["maps"], "orbits": main["orbits"]}
    statistics = {"seeds": p["fig1_seeds"], "per_seed": main["slopes"], "runs": main["runs"],
                  "contractive_near_zero": main["near"], "contractive_large": main["large"], "tests": tests, "confidence": 0.95}
    scope = Scope(main["large_net"], f"{p['fig1_seeds']} seeds per size and scale",
                  f"contractive near-zero {_fig1_frac(main['near'])}, large {_fig1_frac(main['large'])}; median max|f'| "
                  f"{main['small']} {main['median_small']:.3g} -> {main['large_net']} {main['median_large']:.3g}")
    eps = p.get("adam_eps")
    tol = Tolerance(R.ALPHA.value, f"contractive: max |f'(x_i)| < 1 at both examples; near-zero runs contractive in "
                                   f"most runs that decide, large ones not, near-zero more often (one-sided Fisher exact "
                                   f"test, p <= {R.ALPHA.value:g}); faster: the larger network's max|f'| below the "
                                   f"smaller one's (one-sided Mann-Whitney, p <= {R.ALPHA.value:g}); Adam eps "
                                   + (f"{eps:g}" if eps else "sqrt of the dtype's smallest normal"))
    return Measurement(comps, metrics, tol, key="contractive_fraction_near_zero", notes=notes,
                       inconclusive=main["inconclusive"], scope=scope, statistics=statistics)


FIG1_SIZES = {
    "quick": dict(fig1_points=(-0.5, 0.5), fig1_sizes=((8, 2), (32, 3)), fig1_seeds=3,
                  fig1_small_scale=0.01, fig1_large_scale=3.0, fig1_orbit_steps=30),
    "default": dict(fig1_points=(-0.5, 0.5), fig1_sizes=((16, 2), (64, 4)), fig1_seeds=15,
                    fig1_small_scale=0.01, fig1_large_scale=3.0,
                    fig1_orbit_steps=30),
    "paper": dict(fig1_points=(-0.5, 0.5), fig1_sizes=((16, 2), (128, 6)), fig1_seeds=15,
                  fig1_small_scale=0.01, fig1_large_scale=3.0,
                  fig1_orbit_steps=30),
    "large": dict(fig1_points=(-0.5, 0.5), fig1_sizes=((16, 2), (128, 6)), fig1_seeds=15,
                  fig1_small_scale=0.01, fig1_large_scale=3.0,
                  fig1_orbit_steps=30),
}


register(Claim(
    id="fig1-init-scale",
    family="deep",
    sizes=FIG1_SIZES,
    rule=R.Rule(
        quote="Namely in the upper left and upper right of Figure 1 in the main text, we see that the learned map with "
              "a large initialization behaves very differently from the learned map with close to zero initialization. "
              "For example, the latter is contractive around the training examples, while the former is not. ... "
              "Larger networks result in faster contraction to training examples",
        where="Figure 1; Appendix I.2",
        reading=R.CONTRAST,
        decides="1-D networks on two points: near-zero init contractive at both examples (|f'| < 1) in most runs, a "
                "large init not contractive in most runs, and near-zero more often (one-sided Fisher test); the "
                "larger network's max|f'| below the smaller one's (one-sided Mann-Whitney test)",
        gates=(R.MOST_RUNS, R.ALPHA),
        readings=("'the latter is contractive': in most runs (the verdict), in every run (reported)",
                  "'the former is not': large init not contractive in most runs",
                  "'larger networks': the smallest against the largest of fig1_sizes"),
        sweeps=(R.adam_eps_sweep(("quick", "default", "paper", "large")),)),
    regime=R.Regime("1-D, two training points; network sizes and scales not stated", {"n/d": 2.0},
                    lambda p: {"n": 2, "d": 1, "sizes": [f"{w}x{L}" for w, L in p["fig1_sizes"]],
                               "scales": [p["fig1_small_scale"], p["fig1_large_scale"]]}),
    figure=figures.fig1_maps,
    paper_ref="Figure 1; Appendix I.2",
    statement="In 1-D, a large initialisation gives a map that is not contractive at the two training examples, a near-zero one gives one that is, and the larger network contracts faster.",
    hypotheses=("two training points in 1-D", "trained to (near) zero loss"),
    make_data=lambda ctx: {},
    check=check_init_scale,
    negative_control=lambda data, ctx: check_init_scale(data, ctx, control=True),
    control_description="identity networks (|f'| = 1 everywhere): never contractive",
    data_keys=(),
    empirical=True,
))


# ----------------------------------------------------------------------------- init-schemes

def check_init_schemes(data, ctx, *, control: bool = False) -> Measurement:
    """Appendix I.2: Kaiming initialisation gives larger output norms at initialisation and noisier
    memorization (outputs farther from the nearest training example) than Xavier or PyTorch's
    default: for each, a one-sided Mann-Whitney test of Kaiming's per-seed values (over
    ``contrast_seeds`` seeds) against the others' pooled; the ratios of the means are reported."""
    p = ctx.sizes(FAMILY)
    name, X, starts = digits_only(data, ctx)
    spacing = dyn.min_spacing(host(X))
    seeds = p["contrast_seeds"]
    table, per_seed, inconclusive, records = {}, {}, [], {}

    def judge(net):
        _, dist = dyn.nearest(net(starts), X)
        value = round(float(np.mean(host(dist))) / spacing, 6)
        return value, value

    for scheme in ("xavier", "pytorch", "kaiming"):
        used = "xavier" if (control and scheme == "kaiming") else scheme
        norms, noise, recs = [], [], []
        for s in range(seeds):
            res, rd, restarts = training.decide(
                lambda draw: dc.train_autoencoder(ctx, name, X, width=p["width"], depth=p["depth"], scheme=used, seed=s,
                                                  draw=draw), judge, p=p, same=training.same_within(p["init_stable"]))
            recs.append({"seed": s, **training.record(res, rd, restarts)})
            if not control:
                inconclusive += training.inconclusive(f"{scheme} seed {s}", rd)
            init = initial_network(ctx, name, X, width=p["width"], depth=p["depth"], scheme=used,
                                   scale=p["init_scale"], seed=s, hidden=p["hidden"])
            norms.append(float(np.mean(np.linalg.norm(host(init(starts)), axis=1))))
            if rd.decided:
                noise.append(rd.value)
        per_seed[scheme] = {"output_norm_at_init": norms, "output_distance": noise}
        records[scheme] = recs
        table[scheme] = {"output_norm_at_init": float(np.mean(norms)),
                         "output_distance": float(np.mean(noise)) if noise else float("nan"), "decided": len(noise)}
    others = ("xavier", "pytorch")
    # "as compared to ... Xavier ... or PyTorch": Kaiming against each scheme on its own
    norm_test = {o: stats.greater_test(per_seed["kaiming"]["output_norm_at_init"], per_seed[o]["output_norm_at_init"])
                 for o in others}
    comps = [Comparison(f"one-sided Mann-Whitney p, Kaiming's output norms at init above {o}'s",
                        norm_test[o]["p_greater"], R.ALPHA.value, gate=R.ALPHA.name) for o in others]
    ratios = {"output_norm_at_init": table["kaiming"]["output_norm_at_init"] /
              max(table[o]["output_norm_at_init"] for o in others)}
    test = None
    if all(per_seed[sc]["output_distance"] for sc in table):
        ratios["output_distance"] = table["kaiming"]["output_distance"] / max(table[o]["output_distance"] for o in others)
        test = {o: stats.greater_test(per_seed["kaiming"]["output_distance"], per_seed[o]["output_distance"])
                for o in others}
        comps += [Comparison(f"one-sided Mann-Whitney p, Kaiming's distances above {o}'s", test[o]["p_greater"],
                             R.ALPHA.value, gate=R.ALPHA.name) for o in others]
    metrics = {"schemes": table, "noise_ratio": ratios.get("output_distance", float("nan")),
               "norm_ratio": ratios["output_norm_at_init"], "starts": int(starts.shape[0]), "seeds": seeds}
    statistics = {"seeds": seeds, "per_seed": per_seed, "runs": records, "test": test, "norm_test": norm_test}
    scope = Scope(f"width {p['width']} x depth {p['depth']}", f"{seeds} seeds per scheme",
                  "one-sided Mann-Whitney p (Kaiming noisier) " + (", ".join(f"than {o} {t['p_greater']:.3g}"
                                                                               for o, t in test.items()) if test else "not tested"))
    tol = Tolerance(R.ALPHA.value, f"Kaiming's per-seed values (output norm at init; distance of f(x0) to the nearest "
                                   f"example over {starts.shape[0]} arbitrary/held-out inputs, in units of the smallest "
                                   f"spacing of the examples) above Xavier's and above PyTorch-default's, {seeds} seeds a "
                                   f"scheme: one-sided Mann-Whitney p <= {R.ALPHA.value:g} for each of the four; the ratios "
                                   "of the means are reported")
    return Measurement(comps, metrics, tol, key="noise_ratio", inconclusive=inconclusive, scope=scope,
                       statistics=statistics)


INIT_SIZES = {
    "quick": dict(contrast_seeds=3, init_stable=0.05),
    "default": dict(contrast_seeds=15, init_stable=0.05),
    "paper": dict(contrast_seeds=15, init_stable=0.05),
    "large": dict(contrast_seeds=15, init_stable=0.05),
}


register(Claim(
    id="init-schemes",
    family="deep",
    sizes=INIT_SIZES,
    rule=R.Rule(
        quote="In general, we observe that Kaiming uniform/normal initialization leads to an output with a larger norm "
              "as compared to a network initialized using Xavier uniform/normal or PyTorch initializations. Thus, we do "
              "not expect Kaiming uniform/normal initialized networks to present memorization as clearly as the other "
              "initialization schemes.",
        where="Appendix I.2",
        reading=R.CONTRAST,
        decides="Kaiming's output norms at initialisation, and after training its outputs' distance from the nearest "
                "training example, exceed Xavier's and exceed PyTorch-default's: one-sided Mann-Whitney tests over "
                "seeds, each scheme on its own",
        gates=(R.ALPHA,),
        readings=("'larger norm': at initialisation (the sentence's 'leads to an output'); after training, the noise",
                  "'as compared to ... Xavier ... or PyTorch': each scheme on its own"),
        sweeps=(R.adam_eps_sweep(),)),
    regime=digits_regime("fully connected networks on MNIST-like data (Figure 12 shows convolutional ones)", "digits_n"),
    options=("data_dir",),
    paper_ref="Appendix I.2, Figure 12",
    statement="Kaiming initialisation gives larger outputs at initialisation and noisier memorization (outputs farther from the nearest training example) than Xavier or PyTorch's default.",
    hypotheses=("the same architecture, data and training for every scheme",),
    make_data=make_data,
    check=check_init_schemes,
    negative_control=lambda data, ctx: check_init_schemes(data, ctx, control=True),
    control_description="Xavier under Kaiming's name (no difference to find)",
    empirical=True,
))
