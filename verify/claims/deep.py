"""Claims about deep fully connected autoencoders as dynamical systems (paper Sections 3 and 5,
Figures 1-4 and 6, Appendix I.2).

Every claim trains networks with :func:`theory.deep_fc.train` (Adam, written out, through the one
descent loop) and measures them with :mod:`theory.dynamics`.  The negative control of the
contraction claims is the identity network (every point a fixed point, ``J = I``): it reproduces
the training set exactly but is not contractive, so a check that only looked at reconstruction
would pass it.

Shared protocol (profile family ``deep``): a start is *recovered* at step t when ``f^t(x0)`` lies
within ``recover_frac`` (10%) of the smallest distance between two training examples of one of
them, so that which example it reached is unambiguous.
"""

from __future__ import annotations

import numpy as np

from gpu import to_numpy
from theory import deep_fc as D
from theory import dynamics as dyn
from theory.common import check_training_set

from .. import datasets
from ..evidence import Comparison, Measurement, Tolerance
from ..registry import Claim, register

FAMILY = "deep"


# ----------------------------------------------------------------------------- data and training

def _digit_sets(p, ctx) -> tuple:
    """Training images, initial states (held-out images, then arbitrary ones) and the set's name:
    MNIST when the run has a data directory holding it, else the bundled digits."""
    n = p["digits_n"]
    A, name = datasets.image_set(n + p["held_out"], ctx.data_dir)
    X, held = A[:n], A[n:]
    starts = np.vstack([held, datasets.arbitrary_images(p["arbitrary"], X.shape[1], rng=ctx.rng("deep-arbitrary"))])
    return X, starts, name


def make_data(ctx) -> dict:
    """Swiss roll (2-D, a grid of initial points as in Figure 2) and digits (held-out digits, a blank,
    a grey and noise images as initial points)."""
    p = ctx.sizes(FAMILY)
    sw = datasets.swiss_roll(p["swiss_n"], rng=ctx.rng("deep-swiss"))
    dg, dg_starts, name = _digit_sets(p, ctx)
    return {"sets": {"swiss-roll": sw, name: dg},
            "starts": {"swiss-roll": datasets.grid(p["grid"], 2), name: dg_starts}}


def _sets(data, ctx):
    """``(name, X, starts)`` on the run's backend; a user's ``X`` gets starts drawn uniformly from
    its bounding box (half of them) and training examples perturbed by 20% of their spacing."""
    if "X" in data:
        X = data["X"]
        Xh = _host_np(X)
        rng = ctx.rng("deep-user-starts")
        m = ctx.sizes(FAMILY)["arbitrary"] + ctx.sizes(FAMILY)["held_out"]
        lo, hi = Xh.min(axis=0), Xh.max(axis=0)
        box = lo + (hi - lo) * rng.random((m // 2, Xh.shape[1]))
        near = Xh[rng.integers(0, len(Xh), m - m // 2)]
        spacing = dyn.min_spacing(Xh)
        U = rng.standard_normal(near.shape)
        near = near + 0.2 * spacing * U / np.linalg.norm(U, axis=1, keepdims=True)
        yield "user", X, ctx.asarray(np.vstack([box, near]))
        return
    for name, X in data["sets"].items():
        yield name, ctx.asarray(X), ctx.asarray(data["starts"][name])


def initial_network(ctx, name, X, *, width, depth, scheme, scale, seed, hidden):
    """The initialisation :func:`train_autoencoder` starts from (seeded by the run, the data set's name,
    the size, the scheme and the seed index)."""
    d = X.shape[1]
    return D.init_network((d,) + (width,) * depth + (d,), hidden=hidden, scheme=scheme, scale=scale,
                          rng=ctx.rng(f"deep-init-{name}-{width}-{depth}-{scheme}-{scale}-{seed}"), xp=ctx.xp,
                          dtype=ctx.float)


def train_autoencoder(ctx, name, X, *, width, depth, scheme=None, scale=None, seed=0, hidden=None,
                      checkpoints=()):
    """Train (or take from the run's cache) a deep autoencoder ``d -> width^depth -> d`` on ``X``."""
    p = ctx.sizes(FAMILY)
    scheme = scheme or p["scheme"]
    hidden = hidden or p["hidden"]
    scale = p["init_scale"] if scale is None else scale
    key = ("deep", name, X.shape, width, depth, scheme, scale, hidden, seed, tuple(checkpoints))
    if key not in ctx.cache:
        net = initial_network(ctx, name, X, width=width, depth=depth, scheme=scheme, scale=scale, seed=seed,
                              hidden=hidden)
        ctx.cache[key] = D.train(net, X, optimizer="adam", lr=p["lr"], max_steps=p["max_steps"],
                                 loss_tol=p["loss_tol"], checkpoints=checkpoints)
    return ctx.cache[key]


def _recovery(f, X, starts, p):
    tol = p["recover_frac"] * dyn.min_spacing(_host_np(X))
    it = dyn.iterate(f, starts, p["iterations"], train=X, tol=tol)
    return it, tol


def _host_np(A) -> np.ndarray:
    return to_numpy(A)


def _spectral(net, X):
    return _host_np(dyn.spectral_radius(D.jacobian(net, X)))


# ----------------------------------------------------------------------------- sec3-contraction

def check_contraction(data, ctx, *, control: bool = False) -> Measurement:
    """At every training example ``rho(J) < 1`` (Theorem 2: an attractor) and the example is a fixed
    point; iterating from the initial states reaches a training example for at least
    ``recover_min`` of them."""
    p = ctx.sizes(FAMILY)
    comps, metrics = [], {}
    for name, X, starts in _sets(data, ctx):
        check_training_set(X)
        if control:
            net, loss, steps = D.identity_network(X.shape[1], p["depth"], xp=ctx.xp, dtype=ctx.float), 0.0, 0
        else:
            res = train_autoencoder(ctx, name, X, width=p["width"], depth=p["depth"])
            net, loss, steps = res.params[0], res.loss, res.steps
        rho = _spectral(net, X)
        fixed = float(np.max(np.linalg.norm(_host_np(net(X) - X), axis=1)))
        it, tol = _recovery(net, X, starts, p)
        r_end = it.recovered[-1]
        comps += [Comparison(f"max rho[{name}]", float(rho.max()), 1.0 - p["band"]),
                  Comparison(f"max |f(x_i) - x_i|[{name}]", fixed, tol),
                  Comparison(f"R({p['iterations']})[{name}]", r_end, p["recover_min"], ">=")]
        metrics[name] = {"n": int(X.shape[0]), "d": int(X.shape[1]), "width": p["width"], "depth": p["depth"],
                         "train_loss": loss, "train_steps": steps, "spectral_radius": rho.tolist(),
                         "attractor_fraction": float(np.mean(rho < 1.0 - p["band"])),
                         "fixed_point_residual": fixed, "recover_tol": tol, "starts": int(starts.shape[0]),
                         "R": {str(t): it.recovered[t] for t in _ts(p["iterations"])},
                         "trajectory_sample": _trajectories(net, starts, p) if X.shape[1] == 2 else None,
                         "train": _host_np(X).tolist() if X.shape[1] == 2 else None}
    metrics["max_spectral_radius"] = max(max(m["spectral_radius"]) for m in metrics.values() if isinstance(m, dict))
    tol = _tolerance(p)
    return Measurement(comps, metrics, tol, key="max_spectral_radius")


def _ts(T: int) -> list:
    return sorted({1, 2, 5, 10, 20, 50, 100, 200, 500, T} & set(range(1, T + 1)))


def _trajectories(net, starts, p, m: int = 60):
    """A few full trajectories (for the Figure 2-style picture): every k-th start."""
    sel = starts[:: max(1, starts.shape[0] // m), :]
    out = [_host_np(sel).tolist()]
    Z = sel
    for _ in range(p["iterations"]):
        Z = net(Z)
        out.append(_host_np(Z).tolist())
    return out


def _tolerance(p) -> Tolerance:
    return Tolerance(p["band"], f"attractor: rho(J(x_i)) < 1 - {p['band']:g} (Theorem 2; the band absorbs eigenvalue "
                                f"rounding, which is far smaller); fixed point and recovery: within "
                                f"{p['recover_frac']:g} x the smallest distance between two training examples; "
                                f"recovery: R({p['iterations']}) >= {p['recover_min']:g} (the paper: starts converge "
                                f"'almost exclusively' to training examples)")


register(Claim(
    id="sec3-contraction",
    paper_ref="Section 3.2, Figures 2 and 3a",
    statement="A deep autoencoder trained by gradient descent (Adam) is contractive at every training example (rho(J) < 1) and iterating it from held-out or arbitrary inputs converges to training examples (Swiss roll, digits).",
    hypotheses=("trained to (near) zero loss", "overparameterized network, PyTorch-default initialisation"),
    make_data=make_data,
    check=check_contraction,
    negative_control=lambda data, ctx: check_contraction(data, ctx, control=True),
    control_description="the identity network (reconstructs every input exactly, J = I): not contractive",
))


# ----------------------------------------------------------------------------- sec3-recovery-width-depth

def _digits_only(data, ctx):
    for name, X, starts in _sets(data, ctx):
        if name in ("digits", "mnist", "user"):
            return name, X, starts
    raise AssertionError("no digits set")


def _auc(it) -> float:
    """Mean of R(t) over t = 1..T: the area under the recovery curve (speed and basin together)."""
    return float(np.mean(it.recovered[1:]))


def check_width_depth(data, ctx, *, control: bool = False) -> Measurement:
    """Figure 4: R(t) (summarised by its mean over t = 1..T) grows along a width sweep and along a
    depth sweep; every number is reported."""
    p = ctx.sizes(FAMILY)
    name, X, starts = _digits_only(data, ctx)
    seeds = range(p["sweep_seeds"])
    slack = 1.0 / float(np.sqrt(starts.shape[0] * len(seeds)))
    comps, metrics = [], {"slack": slack}
    sweeps = {"width": [(w, p["sweep_depth"]) for w in p["sweep_widths"]],
              "depth": [(p["sweep_width"], L) for L in p["sweep_depths"]]}
    for axis, configs in sweeps.items():
        scores, curves = [], {}
        for width, depth in configs:
            per_seed = []
            for s in seeds:
                net = (D.identity_network(X.shape[1], depth, xp=ctx.xp, dtype=ctx.float) if control else
                       train_autoencoder(ctx, name, X, width=width, depth=depth, seed=s).params[0])
                it, _ = _recovery(net, X, starts, p)
                per_seed.append(it.recovered)
            curve = np.mean(np.array(per_seed), axis=0)
            curves[f"{width}x{depth}"] = curve.tolist()
            scores.append(float(np.mean(curve[1:])))
        steps = np.diff(scores)
        comps.append(Comparison(f"largest decrease along {axis}", float(-steps.min()) if len(steps) else 0.0, slack))
        comps.append(Comparison(f"gain along {axis} (last - first)", scores[-1] - scores[0], slack, ">="))
        metrics[axis] = {"configs": [f"{w}x{L}" for w, L in configs], "mean_R": scores, "R_curves": curves}
    metrics["gain_width"] = metrics["width"]["mean_R"][-1] - metrics["width"]["mean_R"][0]
    tol = Tolerance(slack, f"slack = 1/sqrt(starts x seeds) = 1/sqrt({starts.shape[0]} x {len(seeds)}): two binomial "
                           "standard deviations of an R at 1/2; the trend holds when no step of the sweep lowers "
                           "mean R(t) by more than the slack and the last size beats the first by at least it")
    return Measurement(comps, metrics, tol, key="gain_width")


register(Claim(
    id="sec3-recovery-width-depth",
    paper_ref="Section 3.3, Figure 4",
    statement="The recovery probability R(t) of training examples grows with the width and with the depth of the autoencoder.",
    hypotheses=("trained to (near) zero loss", "the same training set and initial states for every size"),
    make_data=make_data,
    check=check_width_depth,
    negative_control=lambda data, ctx: check_width_depth(data, ctx, control=True),
    control_description="identity networks of the same depths (recover nothing): no trend",
))


# ----------------------------------------------------------------------------- sec3-superattractor

def check_superattractor(data, ctx, *, control: bool = False) -> Measurement:
    """Figure 3b: a large network maps arbitrary inputs to a training example in one iteration."""
    p = ctx.sizes(FAMILY)
    name, X, starts = _digits_only(data, ctx)
    if control:
        net, loss = D.identity_network(X.shape[1], p["super_depth"], xp=ctx.xp, dtype=ctx.float), 0.0
    else:
        res = train_autoencoder(ctx, name, X, width=p["super_width"], depth=p["super_depth"], hidden=p["super_hidden"])
        net, loss = res.params[0], res.loss
    tol = p["recover_frac"] * dyn.min_spacing(_host_np(X))
    sa = dyn.superattraction(net, lambda Z: D.jacobian(net, Z), X, starts, tol=tol, rho_small=p["rho_small"])
    rho = _host_np(sa.spectral_radius)
    comps = [Comparison("R(1)", sa.one_step_recovery, p["recover_min"], ">=")]
    first = _host_np(net(starts[: p["strip"], :]))
    metrics = {"data": name, "R(1)": sa.one_step_recovery, "spectral_radius": rho.tolist(), "rho_small": p["rho_small"],
               "superattractor_fraction": float(np.mean(rho <= p["rho_small"])), "train_loss": loss,
               "width": p["super_width"], "depth": p["super_depth"], "hidden": p["super_hidden"],
               "strip": {"inputs": _host_np(starts[: p["strip"], :]).tolist(), "outputs": first.tolist()}}
    tol_ = Tolerance(tol, f"recovered in one step: within {p['recover_frac']:g} x the smallest distance between two "
                          f"training examples; R(1) >= {p['recover_min']:g}; rho <= {p['rho_small']:g} is reported "
                          "as a superattractor (rho ~ 0)")
    return Measurement(comps, metrics, tol_, key="R(1)")


register(Claim(
    id="sec3-superattractor",
    paper_ref="Section 3.3, Figure 3b",
    statement="A large enough deep autoencoder maps arbitrary inputs to a training example in a single iteration (the examples are superattractors).",
    hypotheses=("trained to (near) zero loss", "a large network"),
    make_data=make_data,
    check=check_superattractor,
    negative_control=lambda data, ctx: check_superattractor(data, ctx, control=True),
    control_description="the identity network: one iteration leaves every input where it was",
))


# ----------------------------------------------------------------------------- sec5-early-stopping

def check_early_stopping(data, ctx, *, control: bool = False) -> Measurement:
    """Figure 6: at checkpoints throughout training, rho(J) < 1 at every training example and
    iteration reaches the examples (within the checkpoint's own reconstruction error)."""
    p = ctx.sizes(FAMILY)
    name, X, starts = _digits_only(data, ctx)
    total = train_autoencoder(ctx, name, X, width=p["width"], depth=p["depth"]).steps
    marks = sorted({max(1, round(f * total)) for f in p["checkpoint_fractions"]} - {total})
    # the same seeded run again, keeping the iterates at those fractions of its length
    res = train_autoencoder(ctx, name, X, width=p["width"], depth=p["depth"], checkpoints=marks)
    spacing = dyn.min_spacing(_host_np(X))
    comps, rows = [], {}
    nets = {t: st[0] for t, st in sorted(res.checkpoints.items()) if t > 0}
    nets[res.steps] = res.params[0]
    for t, net in nets.items():
        if control:
            net = D.identity_network(X.shape[1], p["depth"], xp=ctx.xp, dtype=ctx.float)
        rho = _spectral(net, X)
        err = float(np.max(np.linalg.norm(_host_np(net(X) - X), axis=1)))
        tol = max(p["recover_frac"] * spacing, 2.0 * err)
        it = dyn.iterate(net, starts, p["iterations"], train=X, tol=tol)
        usable = tol <= 0.5 * spacing
        rows[str(t)] = {"loss": D.loss(net, X), "max_rho": float(rho.max()), "reconstruction_error": err,
                        "recover_tol": tol, f"R({p['iterations']})": it.recovered[-1], "evaluated": usable}
        if usable:
            comps += [Comparison(f"max rho at step {t}", float(rho.max()), 1.0 - p["band"]),
                      Comparison(f"R({p['iterations']}) at step {t}", it.recovered[-1], p["recover_min"], ">=")]
    evaluated = [t for t, r in rows.items() if r["evaluated"]]
    comps.append(Comparison("checkpoints evaluated before the end", float(len(evaluated) - 1), 1.0, ">="))
    metrics = {"checkpoints": rows, "final_step": res.steps, "evaluated": evaluated,
               "fractions": list(p["checkpoint_fractions"]),
               "max_rho_over_checkpoints": max(r["max_rho"] for r in rows.values())}
    tol_ = Tolerance(p["band"], f"at each checkpoint whose largest reconstruction error is at most half the spacing of "
                                f"the examples: rho < 1 - {p['band']:g} at every example and R({p['iterations']}) >= "
                                f"{p['recover_min']:g} with the tolerance max({p['recover_frac']:g} x spacing, 2 x "
                                "reconstruction error); at least one checkpoint before the end must be evaluated")
    return Measurement(comps, metrics, tol_, key="max_rho_over_checkpoints")


register(Claim(
    id="sec5-early-stopping",
    paper_ref="Section 5, Figure 6",
    statement="Contraction at the training examples is present at checkpoints throughout training, not only at convergence.",
    hypotheses=("checkpoints at which the network already reconstructs the examples",),
    make_data=make_data,
    check=check_early_stopping,
    negative_control=lambda data, ctx: check_early_stopping(data, ctx, control=True),
    control_description="the identity network in place of every checkpoint: not contractive",
))


# ----------------------------------------------------------------------------- fig1-init-scale

def check_init_scale(data, ctx, *, control: bool = False) -> Measurement:
    """Figure 1: 1-D autoencoders on two points.  Near-zero initialisation gives |f'| < 1 at both
    examples, a large one does not; the larger network has the smaller |f'| (contracts faster)."""
    p = ctx.sizes(FAMILY)
    X = ctx.asarray(np.array(p["fig1_points"], dtype=np.float64)[:, None])
    grid = ctx.asarray(np.linspace(-1.5, 1.5, 301)[:, None])
    starts1d = ctx.asarray(np.linspace(-1.2, 1.2, 13)[:, None])
    runs, comps = {}, []
    for init, scale in (("near-zero", p["fig1_small_scale"]), ("large", p["fig1_large_scale"])):
        for width, depth in p["fig1_sizes"]:
            slopes = []
            for s in range(p["fig1_seeds"]):
                if control:
                    net = D.identity_network(1, depth, xp=ctx.xp, dtype=ctx.float)
                else:
                    net = train_autoencoder(ctx, "fig1", X, width=width, depth=depth, scheme="near_zero", scale=scale,
                                            seed=s).params[0]
                slopes.append(float(np.max(np.abs(_host_np(D.jacobian(net, X))[:, 0, 0]))))
                if s == 0:
                    runs.setdefault("maps", {})[f"{init} {width}x{depth}"] = _host_np(net(grid))[:, 0].tolist()
                    Z, orbit = starts1d, [_host_np(starts1d)[:, 0].tolist()]
                    for _ in range(p["fig1_orbit_steps"]):
                        Z = net(Z)
                        orbit.append(_host_np(Z)[:, 0].tolist())
                    runs.setdefault("orbits", {})[f"{init} {width}x{depth}"] = orbit
            runs[f"{init} {width}x{depth}"] = slopes
    small, large = (f"{w}x{L}" for w, L in (p["fig1_sizes"][0], p["fig1_sizes"][-1]))
    near = [v for k, v in runs.items() if k.startswith("near-zero")]
    big = [v for k, v in runs.items() if k.startswith("large")]
    orbits = runs.pop("orbits", {})
    frac_near = float(np.mean([s < 1.0 for v in near for s in v]))
    frac_big = float(np.mean([s < 1.0 for v in big for s in v]))
    med_small = float(np.median(runs[f"near-zero {small}"]))
    med_large = float(np.median(runs[f"near-zero {large}"]))
    comps = [Comparison("contractive fraction, near-zero init", frac_near, p["fig1_majority"], ">="),
             Comparison("contractive fraction, large init", frac_big, 1.0 - p["fig1_majority"]),
             Comparison(f"median max|f'| {large} minus {small} (near-zero)", med_large - med_small, 0.0, "<=")]
    metrics = {"points": list(p["fig1_points"]), "max_abs_slope": {k: v for k, v in runs.items() if k != "maps"},
               "contractive_fraction_near_zero": frac_near, "contractive_fraction_large": frac_big,
               "median_slope_small_net": med_small, "median_slope_large_net": med_large,
               "scales": [p["fig1_small_scale"], p["fig1_large_scale"]],
               "grid": _host_np(grid)[:, 0].tolist(), "maps": runs.get("maps", {}), "orbits": orbits}
    tol = Tolerance(p["fig1_majority"], f"contractive: max |f'(x_i)| < 1 at both examples; the near-zero runs must be "
                                        f"contractive in at least {p['fig1_majority']:.0%} of seeds x sizes and the "
                                        f"large ones in at most {1 - p['fig1_majority']:.0%}; faster: the larger "
                                        "network's median max|f'| is not above the smaller one's")
    return Measurement(comps, metrics, tol, key="contractive_fraction_near_zero")


register(Claim(
    id="fig1-init-scale",
    paper_ref="Figure 1; Appendix I.2",
    statement="In 1-D, a large initialisation gives a map that is not contractive at the two training examples, a near-zero one gives one that is, and the larger network contracts faster.",
    hypotheses=("two training points in 1-D", "trained to (near) zero loss"),
    make_data=lambda ctx: {},
    check=check_init_scale,
    negative_control=lambda data, ctx: check_init_scale(data, ctx, control=True),
    control_description="identity networks (|f'| = 1 everywhere): never contractive",
    data_keys=(),
))


# ----------------------------------------------------------------------------- init-schemes

def check_init_schemes(data, ctx, *, control: bool = False) -> Measurement:
    """Appendix I.2: Kaiming initialisation gives larger output norms at initialisation and noisier
    memorization (outputs farther from the nearest training example) than Xavier or PyTorch's default."""
    p = ctx.sizes(FAMILY)
    name, X, starts = _digits_only(data, ctx)
    spacing = dyn.min_spacing(_host_np(X))
    table = {}
    for scheme in ("xavier", "pytorch", "kaiming"):
        used = "xavier" if (control and scheme == "kaiming") else scheme
        norms, noise = [], []
        for s in range(p["sweep_seeds"]):
            res = train_autoencoder(ctx, name, X, width=p["width"], depth=p["depth"], scheme=used, seed=s)
            init = initial_network(ctx, name, X, width=p["width"], depth=p["depth"], scheme=used,
                                   scale=p["init_scale"], seed=s, hidden=p["hidden"])
            norms.append(float(np.mean(np.linalg.norm(_host_np(init(starts)), axis=1))))
            _, dist = dyn.nearest(res.params[0](starts), X)
            noise.append(float(np.mean(_host_np(dist))) / spacing)
        table[scheme] = {"output_norm_at_init": float(np.mean(norms)), "output_distance": float(np.mean(noise))}
    others = ("xavier", "pytorch")
    comps = [Comparison("kaiming / max(others) output norm at init",
                        table["kaiming"]["output_norm_at_init"] / max(table[o]["output_norm_at_init"] for o in others),
                        1.0 + p["init_margin"], ">="),
             Comparison("kaiming / max(others) distance of f(x0) to the nearest example",
                        table["kaiming"]["output_distance"] / max(table[o]["output_distance"] for o in others),
                        1.0 + p["init_margin"], ">=")]
    metrics = {"schemes": table, "noise_ratio": comps[1].measured, "starts": int(starts.shape[0]),
               "seeds": p["sweep_seeds"]}
    tol = Tolerance(p["init_margin"], f"Kaiming must exceed the larger of Xavier and PyTorch-default by at least "
                                      f"{p['init_margin']:.0%} (averaged over {p['sweep_seeds']} seeds and "
                                      f"{starts.shape[0]} arbitrary/held-out inputs; distance in units of the "
                                      "smallest spacing of the examples)")
    return Measurement(comps, metrics, tol, key="noise_ratio")


register(Claim(
    id="init-schemes",
    paper_ref="Appendix I.2, Figure 12",
    statement="Kaiming initialisation gives larger outputs at initialisation and noisier memorization (outputs farther from the nearest training example) than Xavier or PyTorch's default.",
    hypotheses=("the same architecture, data and training for every scheme",),
    make_data=make_data,
    check=check_init_schemes,
    negative_control=lambda data, ctx: check_init_schemes(data, ctx, control=True),
    control_description="Xavier under Kaiming's name (no difference to find)",
))
