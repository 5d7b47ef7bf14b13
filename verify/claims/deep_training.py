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
from ..claim import Claim, register
from . import deep_common as dc
from . import training
from .common import no_data
from .deep_common import FAMILY, digits_only, host, initial_network, make_data, recovery_tol, settle, spectral


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
    """Figure 6: at checkpoints throughout training, rho(J) < 1 at every training example and
    iteration reaches the examples.  A checkpoint is evaluated only where its largest
    reconstruction error is below the recovery tolerance (else R = 1 would be granted by the
    reconstruction error itself: "not evaluated")."""
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
                   "evaluated": evaluated, "clear_repellers": int(np.sum(rho > 1 + p["margin"]))}
            if evaluated:
                st = settle(net, X, starts, p)
                row["recovered"] = st.fraction("recovered")
                row["spurious"] = st.fraction("spurious")
                comps += [Comparison(f"max rho at {label}, seed {s}", row["max_rho"], 1.0 - p["band"]),
                          Comparison(f"recovered at {label}, seed {s}", row["recovered"], p["recover_min"], ">=")]
            rows[label] = row
        evaluated_early = [k for k, r in rows.items() if r["evaluated"] and not k.startswith("end")]
        comps.append(Comparison(f"checkpoints evaluated before the end, seed {s}", float(len(evaluated_early)), 1.0, ">="))
        per_seed.append({"seed": s, "final_step": base.steps, "checkpoints": rows, "loss_levels_not_reached": unreached})
    evaluated = [r for ps in per_seed for r in ps["checkpoints"].values() if r["evaluated"]]
    contractive = sum(r["max_rho"] < 1.0 - p["band"] for r in evaluated)
    metrics = {"recover_tol": tol, "fractions": list(p["checkpoint_fractions"]), "loss_levels": list(p["loss_levels"]),
               "max_rho_over_checkpoints": max((r["max_rho"] for r in evaluated), default=float("nan")),
               "checkpoints": per_seed[0]["checkpoints"]}
    statistics = {"seeds": p["seeds"], "rests_on": p["optimizer"], "per_seed": per_seed,
                  "contractive_checkpoints": stats.fraction(contractive, len(evaluated)) if evaluated else None}
    scope = Scope(f"width {p['width']} x depth {p['depth']}", f"{p['seeds']} seeds, {p['optimizer']}",
                  f"contractive at {contractive} of {len(evaluated)} evaluated checkpoints")
    tol_ = Tolerance(p["band"], f"at each checkpoint whose largest reconstruction error is below the recovery tolerance "
                                f"({p['recover_frac']:g} x the spacing of the examples): rho < 1 - {p['band']:g} at every "
                                f"example and recovered when settled >= {p['recover_min']:g}; at least one checkpoint "
                                "before the end evaluated, per seed")
    return Measurement(comps, metrics, tol_, key="max_rho_over_checkpoints", inconclusive=inconclusive, scope=scope,
                       statistics=statistics)


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
    examples (in at least ``fig1_majority`` of the runs that decide), more often than a large one
    (one-sided Fisher exact test at level ``alpha``); the larger network has the smaller |f'|
    (contracts faster: one-sided Mann-Whitney test over the near-zero runs at level ``alpha``).
    The verdict rests on Adam with the profile's ``eps`` (:func:`theory.descent.adam_eps`); the
    eps values of ``fig1_reported_eps`` (PyTorch's default 1e-8, which changes the answer here:
    measured) are run and reported beside it."""
    p = ctx.sizes(FAMILY)
    X = ctx.asarray(np.array(p["fig1_points"], dtype=np.float64)[:, None])
    main = _fig1_protocol(ctx, p, X, None, control)
    comps, tests = [], main["tests"]
    if main["near"]:
        comps.append(Comparison("contractive fraction, near-zero init", main["near"]["value"], p["fig1_majority"], ">="))
    if "near_vs_large" in tests:
        comps.append(Comparison("one-sided Fisher p, near-zero contractive more often than large",
                                tests["near_vs_large"]["p_greater"], p["alpha"]))
    if "faster" in tests:
        comps.append(Comparison(f"one-sided Mann-Whitney p, max|f'| smaller at {main['large_net']} than at "
                                f"{main['small']} (near-zero)", tests["faster"]["p_greater"], p["alpha"]))
    reported, notes = {}, []
    for eps in () if control else p["fig1_reported_eps"]:
        other = _fig1_protocol(ctx, p, X, eps, control)
        ot = other["tests"]
        reported[f"{eps:g}"] = {k: other[k] for k in ("slopes", "runs", "near", "large", "tests")}
        notes.append(f"Adam eps {eps:g} (reported, not the verdict's protocol): contractive near-zero "
                     f"{_fig1_frac(other['near'])}, large {_fig1_frac(other['large'])}; Fisher p "
                     + (f"{ot['near_vs_large']['p_greater']:.3g}" if "near_vs_large" in ot else "not tested")
                     + f"; median max|f'| near-zero {other['small']} {other['median_small']:.3g} -> "
                       f"{other['large_net']} {other['median_large']:.3g}, Mann-Whitney p "
                     + (f"{ot['faster']['p_greater']:.3g}" if "faster" in ot else "not tested"))
    metrics = {"points": list(p["fig1_points"]), "max_abs_slope": main["slopes"],
               "contractive_fraction_near_zero": main["near"]["value"] if main["near"] else float("nan"),
               "contractive_fraction_large": main["large"]["value"] if main["large"] else float("nan"),
               "median_slope_small_net": main["median_small"], "median_slope_large_net": main["median_large"],
               "scales": [p["fig1_small_scale"], p["fig1_large_scale"]],
               "grid": np.linspace(-1.5, 1.5, 301).tolist(), "maps": main["maps"], "orbits": main["orbits"]}
    statistics = {"seeds": p["fig1_seeds"], "per_seed": main["slopes"], "runs": main["runs"],
                  "contractive_near_zero": main["near"], "contractive_large": main["large"], "tests": tests,
                  "reported_protocols": reported, "confidence": 0.95}
    scope = Scope(main["large_net"], f"{p['fig1_seeds']} seeds per size and scale",
                  f"contractive near-zero {_fig1_frac(main['near'])}, large {_fig1_frac(main['large'])}; median max|f'| "
                  f"{main['small']} {main['median_small']:.3g} -> {main['large_net']} {main['median_large']:.3g}")
    tol = Tolerance(p["fig1_majority"], f"contractive: max |f'(x_i)| < 1 at both examples; near-zero runs contractive "
                                        f"in at least {p['fig1_majority']:.0%} of the runs that decide, more often than "
                                        f"large ones (one-sided Fisher exact test, p < {p['alpha']:g}); faster: the larger "
                                        f"network's max|f'| below the smaller one's (one-sided Mann-Whitney, p < "
                                        f"{p['alpha']:g}); Adam eps = sqrt of float64's smallest normal")
    return Measurement(comps, metrics, tol, key="contractive_fraction_near_zero", notes=notes,
                       inconclusive=main["inconclusive"], scope=scope, statistics=statistics)


FIG1_SIZES = {
    "quick": dict(fig1_points=(-0.5, 0.5), fig1_sizes=((8, 2), (32, 3)), fig1_seeds=3, fig1_reported_eps=(1e-08,),
                  fig1_small_scale=0.01, fig1_large_scale=3.0, fig1_majority=0.75, fig1_orbit_steps=30),
    "default": dict(fig1_points=(-0.5, 0.5), fig1_sizes=((16, 2), (64, 4)), fig1_seeds=15,
                    fig1_reported_eps=(1e-08,), fig1_small_scale=0.01, fig1_large_scale=3.0, fig1_majority=0.75,
                    fig1_orbit_steps=30),
    "paper": dict(fig1_points=(-0.5, 0.5), fig1_sizes=((16, 2), (128, 6)), fig1_seeds=15,
                  fig1_reported_eps=(1e-08,), fig1_small_scale=0.01, fig1_large_scale=3.0, fig1_majority=0.75,
                  fig1_orbit_steps=30),
    "large": dict(fig1_points=(-0.5, 0.5), fig1_sizes=((16, 2), (128, 6)), fig1_seeds=15,
                  fig1_reported_eps=(1e-08,), fig1_small_scale=0.01, fig1_large_scale=3.0, fig1_majority=0.75,
                  fig1_orbit_steps=30),
}


register(Claim(
    id="fig1-init-scale",
    family="deep",
    sizes=FIG1_SIZES,
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
    default: Kaiming's mean over ``contrast_seeds`` seeds against the larger of the others' (the
    ratio must reach ``1 + init_margin``) and, for the noise, a one-sided Mann-Whitney test of
    Kaiming's per-seed values against the others' pooled (p at most ``alpha``)."""
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
                                                  draw=draw), judge, p=p, same=training.same_within(p["init_margin"] / 2))
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
    comps = [Comparison("kaiming / max(others) output norm at init",
                        table["kaiming"]["output_norm_at_init"] / max(table[o]["output_norm_at_init"] for o in others),
                        1.0 + p["init_margin"], ">=")]
    test = None
    if all(per_seed[sc]["output_distance"] for sc in table):
        comps.append(Comparison("kaiming / max(others) distance of f(x0) to the nearest example",
                                table["kaiming"]["output_distance"] / max(table[o]["output_distance"] for o in others),
                                1.0 + p["init_margin"], ">="))
        test = stats.greater_test(per_seed["kaiming"]["output_distance"],
                                  [v for o in others for v in per_seed[o]["output_distance"]])
        comps.append(Comparison("one-sided Mann-Whitney p, Kaiming's distances above the others'", test["p_greater"],
                                p["alpha"]))
    metrics = {"schemes": table, "noise_ratio": comps[1].measured if len(comps) > 1 else float("nan"),
               "starts": int(starts.shape[0]), "seeds": seeds}
    statistics = {"seeds": seeds, "per_seed": per_seed, "runs": records, "test": test}
    scope = Scope(f"width {p['width']} x depth {p['depth']}", f"{seeds} seeds per scheme",
                  "one-sided Mann-Whitney p (Kaiming noisier) " + (f"{test['p_greater']:.3g}" if test else "not tested"))
    tol = Tolerance(p["init_margin"], f"Kaiming must exceed the larger of Xavier and PyTorch-default by at least "
                                      f"{p['init_margin']:.0%} (averaged over {seeds} seeds and "
                                      f"{starts.shape[0]} arbitrary/held-out inputs; distance in units of the "
                                      f"smallest spacing of the examples), and a one-sided Mann-Whitney test of the "
                                      f"distances must give p <= {p['alpha']:g}")
    return Measurement(comps, metrics, tol, key="noise_ratio", inconclusive=inconclusive, scope=scope,
                       statistics=statistics)


INIT_SIZES = {
    "quick": dict(contrast_seeds=3, init_margin=0.1),
    "default": dict(contrast_seeds=15, init_margin=0.1),
    "paper": dict(contrast_seeds=15, init_margin=0.1),
    "large": dict(contrast_seeds=15, init_margin=0.1),
}


register(Claim(
    id="init-schemes",
    family="deep",
    sizes=INIT_SIZES,
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


# ----------------------------------------------------------------------------- Appendix I.1, Figure 11

def check_fig11(data, ctx, *, control: bool = False) -> Measurement:
    """Appendix I.1, Figure 11: per seed, an autoencoder trained on ``fig11_n`` digits (the profile's
    width and depth and protocol) whose reconstruction error on ``fig11_held`` held-out digits is
    near zero (mean ||f(z) - z||^2 / ||z||^2 at most ``fig11_recon``), and iterating it from those
    held-out digits until they settle still recovers training examples (at least
    ``fig11_recover_min`` of them, pooled over seeds)."""
    from .. import datasets

    p = ctx.sizes(FAMILY)
    n, m = p["fig11_n"], p["fig11_held"]
    mnist = datasets.has_mnist(ctx.data_dir)  # the paper's data when given, else the bundled digits
    A = datasets.load_mnist(ctx.data_dir, n=n + m)[0] if mnist else datasets.digits(n + m)
    X, Z = ctx.asarray(A[:n]), ctx.asarray(A[n:])
    per_seed, inconclusive = [], []

    @training.memoized
    def judge(net):
        Zh, Fh = host(Z), host(net(Z))
        err = float(np.mean(np.sum((Fh - Zh) ** 2, axis=1) / np.sum(Zh * Zh, axis=1)))
        st = settle(net, X, Z, p)
        return {"reconstructs": err <= p["fig11_recon"], "recovered": st.outcome.count("recovered")}, (round(err, 6), st)

    def same(a, b):
        return a["reconstructs"] == b["reconstructs"] and training.same_fraction(m)(a["recovered"], b["recovered"])

    for seed, net, res, rd, restarts in dc.runs(ctx, "fig11-mnist" if mnist else "fig11-digits", X,
                                                width=p["fig11_width"], depth=p["depth"], optimizer=p["optimizer"],
                                                control=control, max_steps=p["fig11_steps"],
                                                judge=lambda n: (lambda d, v: (d, v[0]))(*judge(n)), same=same):
        inconclusive += training.inconclusive(f"seed {seed}", rd)
        (_, _), (err, st) = judge(net)
        per_seed.append({"seed": seed, **training.record(res, rd, restarts), "held_out_error": err,
                         "recovered": st.outcome.count("recovered"), "spurious": st.outcome.count("spurious"),
                         "unsettled": st.outcome.count("unsettled")})
    per_seed_all, per_seed = per_seed, [r for r in per_seed if r["decided"]]
    if not per_seed:
        return Measurement([], {"n": n, "held_out": m}, None, key="n", inconclusive=inconclusive,
                           statistics={"seeds": p["seeds"], "per_seed": per_seed_all, "confidence": 0.95})
    rec = stats.fraction(sum(r["recovered"] for r in per_seed), m * len(per_seed))
    err = float(np.median([r["held_out_error"] for r in per_seed]))
    comps = [Comparison("median held-out relative reconstruction error", err, p["fig11_recon"]),
             Comparison("held-out digits recovered as training examples when settled", rec["value"],
                        p["fig11_recover_min"], ">=")]
    metrics = {"n": n, "held_out": m, "data": "mnist" if mnist else "digits", "width": p["fig11_width"],
               "depth": p["depth"], "held_out_error": err,
               "recovered": rec["value"]}
    tol = Tolerance(p["fig11_recon"], f"near-zero reconstruction: median over {p['seeds']} seeds of the mean "
                                      f"||f(z) - z||^2 / ||z||^2 over {m} held-out digits at most {p['fig11_recon']:g}; "
                                      f"recovery: at least {p['fig11_recover_min']:g} of those digits, iterated until "
                                      f"settled (cap {p['settle_cap']}), end within {p['recover_frac']:g} x the "
                                      f"training examples' spacing of one; {p['optimizer']} (lr {p['lr']:g}) to a loss "
                                      f"of {p['loss_tol']:g} or {min(p['max_steps'], p['fig11_steps'])} steps")
    scope = Scope(f"{n} digits, width {p['fig11_width']} x depth {p['depth']}", f"{p['seeds']} seeds",
                  f"held-out error {err:.3g}, recovered {rec['k']}/{rec['n']}")
    return Measurement(comps, metrics, tol, key="recovered", inconclusive=[] if control else inconclusive, scope=scope,
                       statistics={"seeds": p["seeds"], "per_seed": per_seed_all, "recovered": rec, "confidence": 0.95})


FIG11_SIZES = {
    "quick": dict(fig11_n=10, fig11_held=10, fig11_width=32, fig11_steps=1000, fig11_recon=0.01,
                  fig11_recover_min=0.5),
    "default": dict(fig11_n=50, fig11_held=50, fig11_width=128, fig11_steps=4000, fig11_recon=0.01,
                    fig11_recover_min=0.5),
    "paper": dict(fig11_n=200, fig11_held=200, fig11_width=512, fig11_steps=20000, fig11_recon=0.01,
                  fig11_recover_min=0.5),
    "large": dict(fig11_n=200, fig11_held=200, fig11_width=512, fig11_steps=20000, fig11_recon=0.01,
                  fig11_recover_min=0.5),
}


register(Claim(
    id="fig11-recovery-despite-reconstruction",
    family="deep",
    sizes=FIG11_SIZES,
    options=("data_dir",),
    paper_ref="Appendix I.1, Figure 11",
    statement="An autoencoder with near-zero reconstruction error on held-out data from the training distribution still recovers training examples when iterated from those held-out inputs: contraction to the examples is uncoupled from reconstruction.",
    hypotheses=("held-out data from the training distribution (digits)", "trained to a small loss"),
    make_data=no_data,
    check=check_fig11,
    negative_control=lambda data, ctx: check_fig11(data, ctx, control=True),
    control_description="the identity network (reconstruction error 0, every point fixed: it recovers nothing)",
    data_keys=(),
    empirical=True,
))
