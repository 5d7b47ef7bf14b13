"""Empirical claims about nonlinear convolutional autoencoders (paper Appendix H): single-filter
leaky-ReLU stacks (:mod:`theory.conv_nonlinear`) trained over ``tab_seeds`` initialisations.

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
from theory import conv
from theory import conv_nonlinear as cn
from theory import stats

from ..evidence import Comparison, Measurement, Tolerance
from ..registry import Claim, register
from .conv import FAMILY, _empty, _images


def _init(ctx, p, seed: int, control: bool):
    """Kaiming-scaled N(0, 2/((1 + a^2) fan_in)) weights (the variance-preserving scale for a leaky
    ReLU; the paper's 'as close to 0 as possible' does not train 29 layers: the product vanishes,
    measured); the control is the identity filter in every layer (the identity map)."""
    s, depth = p["apph_size"], p["apph_depth"]
    gain = math.sqrt(2.0 / (1.0 + cn.LEAKY_SLOPE**2))
    net = conv.linear_conv_net(s, depth, filters=1, scheme="near_zero", scale=gain, rng=ctx.rng(f"apph-init-{seed}"),
                               xp=ctx.xp, dtype=ctx.float)
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
    s, depth = p["apph_size"], p["apph_depth"]
    x = ctx.asarray(_images(ctx, "apph-image", 1, s * s))
    Z = ctx.asarray(_images(ctx, "apph-new", p["apph_inputs"], s * s))
    xh = to_numpy(x)[0]
    per_seed, unconverged = [], []
    for seed in range(p["tab_seeds"]):
        model = _init(ctx, p, seed, control)
        if control:
            trained, loss, steps, converged = model, 0.0, 0, True
        else:
            res = cn.train(model, x, optimizer="adam", lr=p["apph_lr"], max_steps=p["apph_steps"],
                           loss_tol=p["tab_loss_tol"])
            trained, loss, steps, converged = res.params[0], res.loss, res.steps, res.converged
            if not converged:
                unconverged.append(f"seed {seed}: training stopped at its budget of {steps} Adam steps with loss "
                                   f"{loss:.3g} (target {p['tab_loss_tol']:g})")
        J = to_numpy(cn.jacobian(trained, x[0, :]))
        lam = np.sort(np.abs(np.linalg.eigvals(J)))[::-1]
        out = to_numpy(trained(Z))
        cos = out @ xh / (np.linalg.norm(out, axis=1) * np.linalg.norm(xh) + np.finfo(float).tiny)
        homog = float(np.linalg.norm(J @ xh - to_numpy(trained(x))[0]) / np.linalg.norm(xh))
        row = {"seed": seed, "loss": float(loss), "steps": int(steps), "converged": bool(converged),
               "top_eigenvalues": lam[:4].tolist(), "eig_one": float(abs(lam[0] - 1.0)),
               "second_eigenvalue": float(lam[1]) if lam.shape[0] > 1 else 0.0,
               "median_cosine": float(np.median(cos)), "min_cosine": float(np.min(cos)),
               "homogeneity_residual": homog}
        row["memorizes"] = bool(converged and row["eig_one"] <= p["near_one"] and row["second_eigenvalue"] <= p["small"]
                                and row["median_cosine"] >= p["apph_cosine"])
        per_seed.append(row)
    med = {k: float(np.median([r[k] for r in per_seed])) for k in ("eig_one", "second_eigenvalue", "median_cosine")}
    comps = [Comparison("median |lambda_1 - 1| of J at the image", med["eig_one"], p["near_one"]),
             Comparison("median |lambda_2| of J at the image", med["second_eigenvalue"], p["small"]),
             Comparison("median cosine(f(z), image) over new inputs", med["median_cosine"], p["apph_cosine"], ">=")]
    memo = stats.fraction(sum(r["memorizes"] for r in per_seed), len(per_seed))
    metrics = {"size": s, "depth": depth, **{f"median_{k}": v for k, v in med.items()},
               "max_homogeneity_residual": max(r["homogeneity_residual"] for r in per_seed)}
    scope = (f"largest size tried: {s} x {s} image, {depth} single-filter leaky-ReLU layers, {p['tab_seeds']} seeds; "
             f"memorizing seeds {memo['k']}/{memo['n']}")
    tol = Tolerance(p["near_one"], f"memorizes: the Jacobian at the training image has |lambda_1| within "
                                   f"{p['near_one']:g} of 1 and |lambda_2| <= {p['small']:g} (Table 2's criterion, "
                                   f"the linear operator's spectrum), and outputs for {p['apph_inputs']} new uniform "
                                   f"inputs have median cosine >= {p['apph_cosine']:g} with the image; trained with Adam "
                                   f"(lr {p['apph_lr']:g}) to a loss of {p['tab_loss_tol']:g} or {p['apph_steps']} steps")
    notes = [f"J(x) x = f(x) exactly for a bias-free leaky-ReLU network (positive homogeneity): measured "
             f"||J(x) x - f(x)|| / ||x|| <= {metrics['max_homogeneity_residual']:.2g}, so at an interpolated image the "
             "eigenvalue 1 along it is exact and Theorem 2's strict criterion rho < 1 cannot hold"] + unconverged
    return Measurement(comps, metrics, tol, key="median_second_eigenvalue", notes=notes,
                       unconverged=[] if control else unconverged, scope=scope,
                       statistics={"seeds": p["tab_seeds"], "per_seed": per_seed, "memorizing_seeds": memo,
                                   "confidence": 0.95})


register(Claim(
    id="apph-nonlinear-single-filter-memorizes",
    paper_ref="Appendix H, Figure 9",
    statement="A deep single-filter leaky-ReLU convolutional autoencoder at Table 2's depth (29 layers on 4 x 4 images) memorizes its training image: outputs for new inputs are the image.",
    hypotheses=("one training image", "trained to a small loss (Adam)", "no biases (the paper's linear counterpart has none)"),
    make_data=_empty,
    check=check_apph,
    negative_control=lambda data, ctx: check_apph(data, ctx, control=True),
    control_description="the identity filter in every layer (the identity map: every eigenvalue 1, outputs are the inputs)",
    data_keys=(),
    empirical=True,
))
