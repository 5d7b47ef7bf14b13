"""Appendix G: strided convolutions that downsample (to 1 x 1, or to 4 x 4 and then the heuristic
depth there) memorize, read off the trained operator's spectrum as for Tables 1-2
(:mod:`.conv_training`)."""

from __future__ import annotations

import numpy as np

from gpu import to_numpy
from theory import conv_nets
from theory import linear as lin
from theory import stats

from ..evidence import Comparison, Measurement, Scope
from .. import figures
from .. import rules as R
from ..claim import Claim, register
from . import training
from .common import no_data
from .conv import FAMILY
from .conv_training import GATE, ONE, ZERO, linear_run, medians, memorization_tolerance


# ----------------------------------------------------------------------------- Appendix G

def _appg_config(p, fig8: bool) -> dict:
    """Appendix G's two networks: down to 1 x 1 and back on 2 images, or (Figure 8) down to
    its ``bottleneck`` then ``mid`` layers there (the heuristic depth) on 1 image (each claim's own sizes)."""
    if fig8:
        return {"s": p["s"], "width": p["width"], "bottleneck": p["bottleneck"], "mid": p["mid"], "lr": p["lr"],
                "steps": p["steps"], "finish": p["finish"], "n": 1, "stream": "appg8"}
    return {"s": p["s"], "width": p["width"], "bottleneck": 1, "mid": 0, "lr": p["lr"], "steps": p["steps"],
            "finish": p["finish"], "n": 2, "stream": "appg"}


def _appg_seed(ctx, X, cfg: dict, p, seed: int, control: bool) -> tuple:
    """One initialisation of an Appendix G network, trained (restarted at a stationary point); its
    spectrum and eigenvector metrics."""
    def make(draw):
        stream = cfg["stream"] + "-init" + (f"-{seed}" if seed else "") + (f"-draw{draw}" if draw else "")
        return conv_nets.downsampling_net(cfg["s"], width=cfg["width"], bottleneck=cfg["bottleneck"], mid_layers=cfg["mid"],
                                     rng=ctx.rng(stream), xp=ctx.xp, dtype=ctx.float)

    def train(net):
        if control:  # the identity operator in place of the trained one: a run at its target (loss 0)
            from theory.descent import DescentResult

            return DescentResult((conv_nets.FixedOperator(ctx.xp.eye(X.shape[1], dtype=X.dtype)), None), 0, 0.0, True, "loss_tol")
        return conv_nets.train(net, X, optimizer="adam", lr=cfg["lr"], max_steps=cfg["steps"],
                                      loss_tol=p["loss_tol"], **training.protocol(p, finish_iter=cfg["finish"]))

    n = cfg["n"]
    row, res, rd = linear_run(ctx, X, make, p, n=n, train=train)
    A = res.params[0].operator()
    lam, vecs = np.linalg.eig(to_numpy(A))
    top = np.argsort(-np.abs(lam))[:n]
    V = to_numpy(lin.data_svd(X).V)
    E = np.real(vecs[:, top])
    E /= np.linalg.norm(E, axis=0, keepdims=True)
    span_residual = float(np.max(lin.span_distances(E, V)))
    row.update(seed=seed, span_residual=span_residual,
               memorizes=bool(row["memorizes"] and span_residual <= R.IN_SPAN.value))
    return row, res, rd, E


def check_appg(data, ctx, *, control: bool = False, fig8: bool = False) -> Measurement:
    """Appendix G: strided convolutions down to 1 x 1 and back, trained on 2 images, memorize:
    two eigenvalues near 1, the rest small, and the top eigenvectors in the span of the images
    (medians over the ``seeds`` initialisations that decide).  With ``fig8`` (Figure 8): down
    to a small bottleneck, then the heuristic depth of layers there, trained on 1 image: rank 1,
    the eigenvalue near 1, its eigenvector the image."""
    p = ctx.sizes(FAMILY)
    cfg = _appg_config(p, fig8)
    s, n = cfg["s"], cfg["n"]
    from .. import datasets

    ignored = []
    if s == 32 and datasets.has_cifar10(ctx.data_dir):  # the paper's data: CIFAR-10 images
        X, source = ctx.asarray(datasets.load_cifar10(ctx.data_dir, n=n)[0]), "cifar10"
    else:
        patches, where = datasets.natural_patches(n, s, rng=ctx.rng(cfg["stream"] + "-patches"))
        X, source = ctx.asarray(patches), "scikit-learn sample-image patches " + ", ".join(where)
        if datasets.has_cifar10(ctx.data_dir):
            ignored.append(f"CIFAR-10 in {ctx.data_dir} was not used: this profile runs {s} x {s} x 3 images; the "
                           "paper and large profiles (32 x 32 x 3) train on CIFAR-10 images")
    per_seed, inconclusive, E0, n_params, depth = [], [], None, 0, 0
    for seed in range(p["seeds"]):
        row, res, rd, E = _appg_seed(ctx, X, cfg, p, seed, control)
        per_seed.append(row)
        E0 = E if E0 is None else E0
        n_params, depth = res.params[0].n_params, res.params[0].depth
        inconclusive += training.inconclusive(f"{3 * s * s}-pixel images, seed {seed}", rd)
    med = medians(per_seed, ("eig_one", "next_eigenvalue", "span_residual"))
    what = "the top eigenvector from the image" if n == 1 else "the top eigenvectors from span(X)"
    comps = [] if not med else [
        Comparison(f"median max |lambda_i - 1|, i <= {n}", med["eig_one"], ONE, gate=GATE),
        Comparison(f"median |lambda_{n + 1}|", med["next_eigenvalue"], ZERO, gate=GATE),
        Comparison(f"median sine of the angle of {what}", med["span_residual"], R.IN_SPAN.value, gate=R.IN_SPAN.name)]
    first = per_seed[0]
    metrics = {**{k: first[k] for k in ("top_eigenvalues", "out_of_span", "projection_error")},
               "eig_one": med.get("eig_one", float("nan")), "next_eigenvalue": med.get("next_eigenvalue", float("nan")),
               "span_residual": med.get("span_residual", float("nan")), "loss": first["loss"], "steps": first["steps"],
               "s": s, "data": source, "width": cfg["width"], "bottleneck": cfg["bottleneck"], "mid_layers": cfg["mid"],
               "layers": depth, "params": n_params, "eigenvectors": E0.T.tolist()}
    decided = [r for r in per_seed if r["decided"]]
    memo = stats.fraction(sum(r["memorizes"] for r in decided), len(decided)) if decided else None
    scope = Scope(f"{s} x {s} x 3 images, bottleneck {cfg['bottleneck']} x {cfg['bottleneck']}, {cfg['mid']} layers "
                  f"there, width {cfg['width']}", f"{p['seeds']} seeds",
                  "memorizing seeds " + (f"{memo['k']}/{memo['n']}" if memo else "none decided"))
    return Measurement(comps, metrics, memorization_tolerance(p, cfg["lr"], cfg["steps"], "U(+-1/sqrt(fan_in)) (PyTorch's default)",
                                                  cfg["finish"]),
                       key="next_eigenvalue", notes=ignored + [f"training images: {source}"],
                       inconclusive=[] if control else inconclusive, scope=scope,
                       statistics={"seeds": p["seeds"], "per_seed": per_seed, "memorizing_seeds": memo,
                                   "confidence": 0.95})


# appg-downsampling-memorizes's own sizes per profile (its family's shared ones are in verify.profiles)
APPG_SIZES = {
    "quick": dict(s=4, width=4, lr=0.003, steps=1500, finish=300),
    "default": dict(s=8, width=8, lr=0.003, steps=4000, finish=1000),
    "paper": dict(s=32, width=16, lr=0.001, steps=10000, finish=3000),
    "large": dict(s=32, width=16, lr=0.001, steps=20000, finish=3000),
}


def _appg_regime(n: int) -> R.Regime:
    def ours(p):
        return {"data": "scikit-learn sample-image patches (CIFAR-10 with --data-dir at 32 x 32)", "n": n,
                "d": 3 * p["s"] ** 2, "side": p["s"], "width": p["width"]}
    return R.Regime(f"CIFAR-10, {n} image(s) of 32 x 32 x 3 (d = 3072), strided convolutions, PyTorch's default init",
                    {"n/d": n / 3072}, ours,
                    breaks={p: f"{p} runs 8 x 8 x 3 patches (d = 192): n/d = {n}/192, 16 times the paper's; the paper "
                               "profile runs 32 x 32 x 3" for p in ("quick", "default")})


register(Claim(
    id="appg-downsampling-memorizes",
    family="conv",
    sizes=APPG_SIZES,
    rule=R.Rule(
        quote="Training the network on two images from CIFAR10, the rank of the learned solution is exactly ... with "
              "the top eigenvalues being ... and the corresponding eigenvectors being linear combinations of the "
              "training images.",
        where="Appendix G, Figure 7",
        reading=R.TYPICAL,
        decides="the median over the runs that decide: two eigenvalues count as 1, the third as 0 (by the nearer of 0 "
                "and 1), and the top two eigenvectors lie nearer the span of the images than its complement",
        gates=(R.NEARER_ONE, R.IN_SPAN),
        readings=("'exactly rank 2': the third eigenvalue counts as 0; its value reported",),
        sweeps=(R.adam_eps_sweep(),)),
    regime=_appg_regime(2),
    options=("data_dir",),
    figure=figures.appg_spectra,
    paper_ref="Appendix G",
    statement="A linear network of strided convolutions that downsamples to 1 x 1 and upsamples back, trained on 2 images from PyTorch's default initialisation, memorizes: rank 2, two eigenvalues near 1, eigenvectors in the span of the images.",
    hypotheses=("PyTorch default initialisation", "trained to a small loss (Adam)"),
    make_data=no_data,
    check=check_appg,
    negative_control=lambda data, ctx: check_appg(data, ctx, control=True),
    control_description="the identity operator (every eigenvalue 1): reconstructs everything, memorizes nothing",
    data_keys=(),
    empirical=True,
))

# appg-downsample-then-depth's own sizes per profile (its family's shared ones are in verify.profiles)
APPG8_SIZES = {
    "quick": dict(s=4, bottleneck=2, mid=3, width=4, lr=0.003, steps=1500, finish=300),
    "default": dict(s=8, bottleneck=4, mid=29, width=4, lr=0.001, steps=1500, finish=1000),
    "paper": dict(s=32, bottleneck=4, mid=29, width=8, lr=0.001, steps=5000, finish=3000),
    "large": dict(s=32, bottleneck=4, mid=29, width=8, lr=0.001, steps=5000, finish=3000),
}


register(Claim(
    id="appg-downsample-then-depth",
    family="conv",
    sizes=APPG8_SIZES,
    rule=R.Rule(
        quote="Figure 8(b) indicates that this network indeed memorized the image by producing a solution of rank ... "
              "with eigenvalue ... and corresponding eigenvector being the dog image.",
        where="Appendix G, Figure 8",
        reading=R.TYPICAL,
        decides="the median over the runs that decide: one eigenvalue counts as 1, the second as 0, and the top "
                "eigenvector lies nearer the image's direction than its complement",
        gates=(R.NEARER_ONE, R.IN_SPAN),
        readings=("'rank 1': the second eigenvalue counts as 0; its value reported",),
        sweeps=(R.adam_eps_sweep(),)),
    regime=_appg_regime(1),
    options=("data_dir",),
    paper_ref="Appendix G, Figure 8",
    statement="A linear network that downsamples by strided convolutions to 4 x 4, applies the heuristic depth for 4 x 4 images (29 layers) there and upsamples back, trained on one image, memorizes it: rank 1, the eigenvalue near 1, its eigenvector the image.",
    hypotheses=("PyTorch default initialisation", "trained to a small loss (Adam)", "one training image"),
    make_data=no_data,
    check=lambda data, ctx: check_appg(data, ctx, fig8=True),
    negative_control=lambda data, ctx: check_appg(data, ctx, control=True, fig8=True),
    control_description="the identity operator (every eigenvalue 1): reconstructs everything, memorizes nothing",
    data_keys=(),
    empirical=True,
))
