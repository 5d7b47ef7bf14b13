"""Appendix I.2, Figure 12, for convolutional autoencoders: Kaiming initialisation against Xavier
and PyTorch's default, over ``tab_seeds`` initialisations per scheme.

* Linear networks (:func:`theory.conv.linear_conv_net`, one image): the distance of the trained
  operator from the projection onto the span of the training image, the minimum nuclear norm
  interpolant (``theory.certificates.projection_diagnostics``' ``projection_error``).
* Nonlinear networks (:mod:`theory.conv_nonlinear`, the same architecture with leaky ReLUs): how
  noisy the outputs for new inputs are, the sine of their angle to the training image.

The paper: Kaiming "leads to an output with a larger norm", so its linear networks should end
farther from the projection and its nonlinear ones give noisier versions of the examples.
"""

from __future__ import annotations

import numpy as np

from gpu import to_numpy
from theory import conv
from theory import conv_nonlinear as cn
from theory import dynamics, stats
from theory import linear as lin

from ..evidence import Comparison, Measurement, Tolerance
from ..registry import Claim, register
from .conv import FAMILY, _empty, _images

SCHEMES = ("xavier", "pytorch", "kaiming")


def _run(ctx, p, scheme: str, seed: int, X, Z, nonlinear: bool) -> dict:
    """One trained network: its loss, and the distance (linear) or output noise (nonlinear)."""
    s, depth = p["initc_size"], p["initc_depth"]
    net = conv.linear_conv_net(s, depth, filters=p["initc_filters"], scheme=scheme,
                               rng=ctx.rng(f"initc-{'nl' if nonlinear else 'lin'}-{scheme}-{seed}"), xp=ctx.xp,
                               dtype=ctx.float)
    if nonlinear:
        res = cn.train(cn.ConvAutoencoder(net), X, optimizer="adam", lr=p["initc_lr"], max_steps=p["initc_steps"],
                       loss_tol=p["tab_loss_tol"])
        init_out = cn.ConvAutoencoder(net)(Z)
        value = float(np.median(dynamics.composition(res.params[0](Z), X, 1.0)["sine_nearest"]))
    else:
        res = conv.train_linear_conv(net, X, optimizer="adam", lr=p["initc_lr"], max_steps=p["initc_steps"],
                                     loss_tol=p["tab_loss_tol"])
        init_out = net(Z.T).T
        diag = lin.projection_diagnostics(res.params[0].operator(), lin.data_svd(X).V, Z)
        value = float(diag["projection_error"])
    norm = float(np.mean(np.linalg.norm(to_numpy(init_out), axis=1) / np.linalg.norm(to_numpy(Z), axis=1)))
    return {"seed": seed, "value": value, "output_norm_at_init": norm, "loss": float(res.loss), "steps": int(res.steps),
            "converged": bool(res.converged)}


def check_conv_init(data, ctx, *, control: bool = False) -> Measurement:
    """Per scheme and seed, a linear and a nonlinear network trained on one image.  For each kind
    Kaiming's mean against the larger of the others' (the ratio must reach ``1 + init_margin``)
    and a one-sided Mann-Whitney test of Kaiming's per-seed values against the others' pooled
    (p at most ``initc_alpha``): both must hold."""
    p = ctx.sizes(FAMILY)
    s, seeds = p["initc_size"], p["tab_seeds"]
    X = ctx.asarray(_images(ctx, "initc-image", 1, s * s))
    Z = ctx.asarray(_images(ctx, "initc-new", p["initc_inputs"], s * s))
    rows, unconverged, comps, tests = {}, [], [], {}
    for kind, nonlinear in (("linear", False), ("nonlinear", True)):
        rows[kind] = {}
        for scheme in SCHEMES:
            used = "xavier" if (control and scheme == "kaiming") else scheme
            runs = [_run(ctx, p, used, seed, X, Z, nonlinear) for seed in range(seeds)]
            rows[kind][scheme] = runs
            unconverged += [f"{kind} {scheme} seed {r['seed']}: loss {r['loss']:.3g} after {r['steps']} steps (target "
                            f"{p['tab_loss_tol']:g})" for r in runs if not r["converged"]]
        mean = {sc: float(np.mean([r["value"] for r in rows[kind][sc]])) for sc in SCHEMES}
        what = ("distance of the trained operator from the projection onto span(X)" if not nonlinear
                else "median sine between f(z) and the training image over new inputs")
        comps.append(Comparison(f"kaiming / max(xavier, pytorch) {what} [{kind}]",
                                mean["kaiming"] / max(mean["xavier"], mean["pytorch"], np.finfo(float).tiny),
                                1.0 + p["init_margin"], ">="))
        tests[kind] = stats.greater_test([r["value"] for r in rows[kind]["kaiming"]],
                                         [r["value"] for sc in ("xavier", "pytorch") for r in rows[kind][sc]])
        comps.append(Comparison(f"one-sided Mann-Whitney p, Kaiming's per-seed values above the others' [{kind}]",
                                tests[kind]["p_greater"], p["initc_alpha"]))
    norms = {sc: float(np.mean([r["output_norm_at_init"] for r in rows["linear"][sc]])) for sc in SCHEMES}
    metrics = {"size": s, "depth": p["initc_depth"], "filters": p["initc_filters"], "ratio_linear": comps[0].measured,
               "ratio_nonlinear": comps[2].measured, "output_norm_at_init": norms,
               "p_linear": tests["linear"]["p_greater"], "p_nonlinear": tests["nonlinear"]["p_greater"]}
    tol = Tolerance(p["init_margin"], f"Kaiming's mean over {seeds} seeds must exceed the larger of Xavier's and "
                                      f"PyTorch-default's by at least {p['init_margin']:.0%}, for the linear networks' "
                                      f"distance from the projection and for the nonlinear networks' output noise "
                                      f"over {p['initc_inputs']} new uniform inputs, and a one-sided Mann-Whitney "
                                      f"test (Kaiming's seeds against the others') must give p <= {p['initc_alpha']:g}; "
                                      f"trained with Adam "
                                      f"(lr {p['initc_lr']:g}) to a loss of {p['tab_loss_tol']:g} or "
                                      f"{p['initc_steps']} steps")
    scope = (f"largest size tried: {s} x {s} image, {p['initc_depth']} layers of {p['initc_filters']} filter(s), "
             f"{seeds} seeds per scheme; one-sided Mann-Whitney p (Kaiming larger): linear "
             f"{tests['linear']['p_greater']:.3g}, nonlinear {tests['nonlinear']['p_greater']:.3g}")
    return Measurement(comps, metrics, tol, key="ratio_linear", notes=list(unconverged),
                       unconverged=[] if control else unconverged, scope=scope,
                       statistics={"seeds": seeds, "per_seed": rows, "tests": tests, "confidence": 0.95})


register(Claim(
    id="init-schemes-conv",
    paper_ref="Appendix I.2, Figure 12",
    statement="For convolutional autoencoders Kaiming initialisation memorizes less clearly than Xavier or PyTorch's default: linear networks end farther from the minimum nuclear norm solution (the projection onto the span of the examples), nonlinear ones give noisier versions of the training examples for new inputs.",
    hypotheses=("the same architecture, data and training for every scheme", "one training image"),
    make_data=_empty,
    check=check_conv_init,
    negative_control=lambda data, ctx: check_conv_init(data, ctx, control=True),
    control_description="Xavier under Kaiming's name (no difference to find)",
    data_keys=(),
    empirical=True,
))
