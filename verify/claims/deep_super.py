"""Section 3.3, Figure 3b: a large enough deep autoencoder maps arbitrary inputs to a training
example in one iteration (the examples are superattractors).  Shared protocol and data with
:mod:`.deep` (:mod:`.deep_common`)."""

from __future__ import annotations

from theory import dynamics as dyn
from theory import stats

from ..evidence import Comparison, Measurement, Tolerance
from .. import figures
from .. import rules as R
from ..claim import Claim, register
from . import deep_common as dc
from . import training
from .deep_common import FAMILY, digits_only, fc_regime, host, make_data, recovery_tol, runs, scope_line


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
    rows, trends, comps, notes, inconclusive, metrics, region = {}, {}, [], [], [], {}, None
    m = int(starts.shape[0])

    @training.memoized
    def classes_of(net):
        """Per example: a superattractor (its nearest fixed point within the tolerance, rho <= rho_small)
        or Theorem 2's class; and the number of starts within the tolerance of an example after one step
        (and within each fraction of the curve)."""
        classes, rho, _ = dc.example_classes(net, X, p)
        supers = tuple("superattractor" if c == "attractor" and r <= p["rho_small"] else c for c, r in zip(classes, rho))
        _, dist = dyn.nearest(net(starts), X)
        curve = R.curve_counts(host(dist).tolist(), tol / R.NEAREST_EXAMPLE.value)
        return supers, [round(v, 4) for v in rho], curve[R.NEAREST_EXAMPLE.value], curve

    def judge(net):
        supers, rho, k1, _ = classes_of(net)
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
                supers, rho, k1, curve = classes_of(net)
                per_seed.append({"seed": s, **training.record(res, rd, restarts), "R1": k1 / m, "rho": rho,
                                 "classes": list(supers), "superattractors": supers.count("superattractor"),
                                 "R1_curve": curve})
                if opt == primary:
                    inconclusive += training.inconclusive(f"{name} {width}x{depth} {opt} seed {s}", rd)
                if s == 0 and width == max(p["super_widths"]) and opt == primary:
                    metrics["strip"] = {"inputs": host(starts[: p["strip"], :]).tolist(),
                                        "outputs": host(net(starts[: p["strip"], :])).tolist()}
            decided = [r for r in per_seed if r["decided"]]
            row = {"optimizer": opt, "width": width, "depth": depth, "per_seed": per_seed, "decided": len(decided)}
            if decided:
                row.update(R1=stats.fraction(sum(round(r["R1"] * m) for r in decided), m * len(decided)),
                           R1_curve={f: stats.fraction(sum(r["R1_curve"][f] for r in decided), m * len(decided))
                                     for f in R.CURVE},
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
                comps.append(Comparison(f"Wilson 95% lower bound of R(1) [{opt}, {top['width']}x{depth}]",
                                        top["R1"]["wilson95"][0], R.MOST.value, ">=", gate=R.MOST.name))
                curve = top["R1_curve"]
                metrics["R(1) curve"] = {f: c["value"] for f, c in curve.items()}
                region = "R(1) " + R.curve_region({f: c["value"] for f, c in curve.items()},
                                                  {f: c["wilson95"][0] >= R.MOST.value for f, c in curve.items()})
                notes.append(f"strict reading ('arbitrary inputs', all of them): R(1) = {top['R1']['k']}/{top['R1']['n']}")
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
    tol_ = Tolerance(tol, f"recovered in one step: within half the smallest distance between two training examples; "
                          f"R(1) pooled over the seeds that decide, its Wilson 95% lower bound >= 1/2; rho <= "
                          f"{p['rho_small']:g} at an example's nearest fixed point is reported as a superattractor "
                          "(rho ~ 0)")
    statistics = {"seeds": p["seeds"], "rests_on": primary, "optimizers": list(p["optimizers"]), "rows": rows,
                  "trend": trends, "confidence": 0.95}
    return Measurement(comps, metrics, tol_, key="R(1)", notes=notes, inconclusive=[] if control else inconclusive,
                       scope=scope, statistics=statistics, region=region)


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
    rule=R.Rule(
        quote="In fact, for a sufficiently large network, the training examples become superattractors, or attractors "
              "that contract neighboring points at a faster than geometric rate. This is demonstrated in Figure 3b, "
              "which shows that arbitrary inputs are mapped directly to a training image in a single iteration.",
        where="Section 3.3, Figure 3b",
        reading=R.TYPICAL,
        decides="at the largest network (digits, Adam): most arbitrary and held-out inputs land on a training image "
                "after one step, R(1) pooled over the runs that decide with its Wilson 95% lower bound at least 1/2",
        gates=(R.MOST, R.NEAREST_EXAMPLE),
        curve="R(1) within 0.05, 0.1, 0.25 and 0.5 x the spacing of the examples",
        readings=("'arbitrary inputs': held-out digits, a blank, a grey and uniform noise images",
                  "most inputs (the verdict); every input (reported)",
                  "'sufficiently large': the widths of super_widths, the largest decides; R(1)'s trend reported"),
        sweeps=(R.adam_eps_sweep(),)),
    regime=fc_regime("MNIST (Figure 3b)", "super_n", "super_widths", "super_depth"),
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
