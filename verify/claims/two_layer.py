"""Claims of the wide two-layer ReLU autoencoder (paper Section 3.3, Theorem 3, Appendix C).

Composes :mod:`theory.two_layer_relu` and :mod:`theory.dynamics`.  The measurements contradict
Theorem 3 for the model as stated (no bias): see ``thm3-homogeneity`` for the reason.
"""

from __future__ import annotations

import numpy as np

from theory import dynamics as dyn
from theory import linear as lin
from theory import two_layer_relu as tl
from theory.common import eps, fro

from ..datasets import digits, scale_into, synthetic
from ..evidence import Comparison, Measurement, Tolerance
from .. import figures
from ..claim import BACKENDS, Claim, register
from .common import named_sets

FAMILY = "two_layer"


def make_data(ctx) -> dict:
    """Training sets: an antipodal pair {u, -u} (assumption (b) holds exactly: relu(W1 u) and
    relu(-W1 u) have disjoint supports), positive synthetic data and (default/paper) digits."""
    p = ctx.sizes(FAMILY)
    rng = ctx.rng("two-layer-data")
    u = rng.standard_normal(p["d"])
    sets = {"antipodal pair": np.stack([u, -u]) / np.linalg.norm(u),
            "synthetic": scale_into(synthetic(p["n"], p["d"], cond=2.0, rng=rng), (0.0, 1.0))}
    if p.get("digits_n"):
        sets["digits"] = digits(p["digits_n"])
    return {"sets": sets}


def _models(X, ctx, *, bias: bool):
    p = ctx.sizes(FAMILY)
    for k in p["widths"]:
        for law in p["laws"]:
            for seed in p["seeds"]:
                W1, b1 = tl.first_layer(X.shape[1], k, law=law, bias=bias, rng=ctx.rng(f"W1-{k}-{law}-{seed}"), xp=ctx.xp,
                                        dtype=ctx.float)
                yield (k, law, seed), tl.fit(X, W1, b1)


def _iterate_near(model, X, ctx):
    """Distances to x_m after T steps, relative to the start's, for every example at once.

    Starts: ``(1 + e) x_m`` (on the ray) and ``x_m + e ||x_m|| v_m`` (v_m random unit), all 2n
    rows iterated together so that W1 is streamed once per step.  Returns ``(ray, side)``, the
    largest ratio of each kind.
    """
    xp = ctx.xp
    p = ctx.sizes(FAMILY)
    n = X.shape[0]
    V = ctx.asarray(ctx.rng("near").standard_normal(X.shape))
    V = V / xp.sqrt(xp.sum(V * V, axis=1))[:, None]
    r = xp.sqrt(xp.sum(X * X, axis=1))
    starts = xp.concat([(1.0 + p["eps"]) * X, X + p["eps"] * r[:, None] * V], axis=0)
    it = dyn.iterate(model, starts, p["steps"])
    target = xp.concat([X, X], axis=0)
    ratio = xp.sqrt(xp.sum((it.final - target) ** 2, axis=1)) / (p["eps"] * xp.concat([r, r]))
    return float(xp.max(ratio[:n])), float(xp.max(ratio[n:]))


def check_stable(data, ctx, *, identity: bool = False) -> Measurement:
    """Theorem 2's strict criterion at every example, for the widest layer of the sweep."""
    xp = ctx.xp
    p = ctx.sizes(FAMILY)
    kmax = max(p["widths"])
    comps, metrics, notes = [], {}, []
    for name, X in named_sets(data, ctx):
        rows, near = [], []
        for (k, law, seed), model in _models(X, ctx, bias=False):
            cos = float(xp.max(tl.feature_cosines(model)))
            if k == kmax and not identity:
                near.append(_iterate_near(model, X, ctx))
            for m in range(X.shape[0]):
                mods, trace = tl.jacobian_spectrum(model, X[m, :])
                if identity:  # the negative control: the identity map in place of the network
                    mods, trace = xp.ones(X.shape[0], dtype=X.dtype), float(X.shape[1])
                rows.append(dict(k=k, law=law, seed=seed, example=m, rho=float(mods[0]),
                                 appendix_c=tl.appendix_c_limit(model, m),
                                 second=float(mods[1]) if mods.shape[0] > 1 else 0.0, trace=trace,
                                 max_feature_cosine=cos))
            del model  # free this k x d first layer before the generator draws the next one
        widest = [r for r in rows if r["k"] == kmax]
        worst = max(r["rho"] for r in widest)
        # Theorem 2's strict criterion, attractor iff rho < 1, as rho <= 1 - 4u
        comps.append(Comparison(f"max_rho[{name}, k={kmax}]", worst, 1.0 - 4 * eps(X)))
        metrics[name] = {
            "max_rho_by_width": {str(k): max(r["rho"] for r in rows if r["k"] == k) for k in p["widths"]},
            "min_rho_by_width": {str(k): min(r["rho"] for r in rows if r["k"] == k) for k in p["widths"]},
            "max_second_modulus_by_width": {str(k): max(r["second"] for r in rows if r["k"] == k) for k in p["widths"]},
            "appendix_c_limit_eigenvalue": max(r["appendix_c"] for r in rows),
            "max_trace_by_width": {str(k): max(r["trace"] for r in rows if r["k"] == k) for k in p["widths"]},
            "max_feature_cosine_by_width": {str(k): max(r["max_feature_cosine"] for r in rows if r["k"] == k)
                                            for k in p["widths"]},
            "ray_distance_ratio_after_T": max((a for a, _ in near), default=1.0),
            "side_distance_ratio_after_T": max((b for _, b in near), default=1.0),
            "assumption_b_holds": max(r["max_feature_cosine"] for r in rows) <= 1e-12,
        }
        if not identity:  # evidence on the variant with a random first-layer bias
            variant: dict = {}
            for (k, _, _), mdl in _models(X, ctx, bias=True):
                top = max(float(tl.jacobian_spectrum(mdl, X[m, :])[0][0]) for m in range(X.shape[0]))
                variant[str(k)] = max(variant.get(str(k), 0.0), top)
                del mdl
            metrics[name]["bias_variant_max_rho_by_width"] = variant
    metrics["max_rho"] = max(c.measured for c in comps)
    tol = Tolerance(1.0 - 4 * eps(X), "Theorem 2's strict criterion rho < 1, as rho <= 1 - 4u (u = unit roundoff) "
                                      "for the widest layer of the sweep")
    if not identity:
        notes.append("rho >= 1 at every example and width: relu is positively homogeneous, so J(x) x = f(x) and "
                     "J(x_m) x_m = x_m (eigenvalue exactly 1; see thm3-homogeneity); points (1+e) x_m are fixed "
                     "points too (ray_distance_ratio stays 1), so x_m is not an attractor.")
        for name in (k for k, v in metrics.items() if isinstance(v, dict) and "max_trace_by_width" in v):
            m = metrics[name]
            cos, trace = max(m["max_feature_cosine_by_width"].values()), max(m["max_trace_by_width"].values())
            variant = m.get("bias_variant_max_rho_by_width", {})
            below = [k for k, v in variant.items() if v < 1.0]
            notes.append(f"{name}: Appendix C's assumption (b) {'holds' if m['assumption_b_holds'] else 'fails'} "
                         f"(largest feature cosine {cos:.3g}); the largest Jacobian trace is {trace:.3g}; with a random "
                         "first-layer bias (not the paper's model) the largest rho by width is "
                         + ", ".join(f"{v:.3g} at k = {k}" for k, v in variant.items())
                         + (f": below 1 at k = {', '.join(below)}" if below else ": at or above 1 at every width"))
    refutation = None
    if not identity and any(not c.passed for c in comps):
        refutation = f"proof: relu is 1-homogeneous, so J(x_m) x_m = x_m (eigenvalue 1); measured max rho {metrics['max_rho']:.17g}"
        notes.append(f"the proof: relu is positively homogeneous, so J(x_m) x_m = x_m at every width (eigenvalue exactly "
                     f"1, thm3-homogeneity); measured max rho = {metrics['max_rho']:.17g} at k = {kmax}, every law and "
                     "seed, including the antipodal pair that meets hypothesis (b)")
    return Measurement(comps, metrics, tol, key="max_rho", notes=notes, refutation=refutation)


register(Claim(
    id="thm3-stable-fixed-points",
    family="two_layer",
    expect="refuted",
    figure=figures.thm3_radii,
    paper_ref="Section 3.3, Theorem 3; Appendix C",
    statement="With a fixed random first layer and the last layer trained from 0, as the width k grows all training examples are stable fixed points of f(x) = W2 relu(W1 x) (rho(J(x_i)) < 1).",
    hypotheses=("(a) W1 fixed, W2 trained from 0 (W2 = X Phi^+)",
                "(b) relu(W1 x_i), relu(W1 x_j) orthogonal for i != j (measured per data set)",
                "(c) W1 i.i.d. zero mean, finite second moment (Gaussian, Rademacher, uniform)"),
    make_data=make_data,
    check=check_stable,
    negative_control=lambda data, ctx: check_stable(data, ctx, identity=True),
    control_description="the identity map in place of the network (rho = 1 everywhere: not an attractor)",
))


def check_homogeneity(data, ctx, *, bias: bool = False) -> Measurement:
    """J(x_m) x_m = x_m and f(c x_m) = c x_m for every example, width and law."""
    xp = ctx.xp
    comps, metrics = [], {}
    worst_tol = 0.0
    for name, X in named_sets(data, ctx):
        worst_j, worst_f, tol = 0.0, 0.0, 0.0
        r = xp.sqrt(xp.sum(X * X, axis=1))
        for (k, law, seed), model in _models(X, ctx, bias=bias):
            tol = max(tol, eps(X) * tl.features_cond(model) ** 2 * float(np.sqrt(k)))
            Jx = tl.jacobian_times(model, X, X)  # J(x_m) x_m for every example at once
            dj = xp.sqrt(xp.sum((Jx - X) ** 2, axis=1)) / r
            df = xp.sqrt(xp.sum((model(2.5 * X) - 2.5 * X) ** 2, axis=1)) / (2.5 * r)
            worst_j = max(worst_j, float(xp.max(dj)))
            worst_f = max(worst_f, float(xp.max(df)))
            del model
        comps += [Comparison(f"|J x - x|/|x|[{name}]", worst_j, tol), Comparison(f"|f(2.5x) - 2.5x|/|2.5x|[{name}]", worst_f, tol)]
        metrics[name] = {"max_rel_Jx_minus_x": worst_j, "max_rel_f_ray": worst_f, "tolerance": tol}
        worst_tol = max(worst_tol, tol)
    metrics["max_rel_error"] = max(c.measured for c in comps)
    return Measurement(comps, metrics, Tolerance(worst_tol, "u kappa(Phi)^2 sqrt(k): rounding of C = (Phi Phi^T)^{-1} Phi "
                                                             "and of inner products of length k"), key="max_rel_error")


register(Claim(
    id="thm3-homogeneity",
    family="two_layer",
    backends=BACKENDS + ("dask",),
    paper_ref="Section 3.3, Theorem 3 (why it fails)",
    statement="For f(x) = W2 relu(W1 x) with W2 = X Phi^+, every training example satisfies J(x_m) x_m = x_m and f(c x_m) = c x_m (c > 0), at every width: an eigenvalue exactly 1 and a ray of fixed points.",
    hypotheses=("no bias in the first layer (positive homogeneity of relu)", "W2 interpolates the training set"),
    make_data=make_data,
    check=check_homogeneity,
    negative_control=lambda data, ctx: check_homogeneity(data, ctx, bias=True),
    control_description="the same identities for the variant with a random first-layer bias (not homogeneous)",
))
