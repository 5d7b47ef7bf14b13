"""Data, training and shared protocol of the deep fully connected claims (:mod:`.deep`,
:mod:`.deep_training`): seeded runs under either optimizer, the recovery tolerance, iteration
until settled, and the one-line scope of a claim that was not reproduced."""

from __future__ import annotations

import numpy as np

from gpu import to_numpy
from theory import deep_fc as D
from theory import dynamics as dyn
from theory.common import check_training_set

from .. import datasets

FAMILY = "deep"


def host(A) -> np.ndarray:
    return to_numpy(A)


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


def sets(data, ctx):
    """``(name, X, starts)`` on the run's backend; a user's ``X`` gets starts drawn uniformly from
    its bounding box (half of them) and training examples perturbed by 20% of their spacing."""
    if "X" in data:
        X = data["X"]
        check_training_set(X)
        Xh = host(X)
        dyn.check_distances_fit(Xh)
        m = ctx.sizes(FAMILY)["arbitrary"] + ctx.sizes(FAMILY)["held_out"]
        yield "user", X, ctx.asarray(datasets.user_starts(Xh, m, ctx.rng("deep-user-starts")))
        return
    for name, X in data["sets"].items():
        yield name, ctx.asarray(X), ctx.asarray(data["starts"][name])


def digits_only(data, ctx):
    for name, X, starts in sets(data, ctx):
        if name in ("digits", "mnist", "user"):
            return name, X, starts
    raise AssertionError("no digits set")


def initial_network(ctx, name, X, *, width, depth, scheme, scale, seed, hidden):
    """The initialisation :func:`train_autoencoder` starts from (seeded by the run, the data set's name,
    the size, the scheme and the seed index; the same for both optimizers)."""
    d = X.shape[1]
    return D.init_network((d,) + (width,) * depth + (d,), hidden=hidden, scheme=scheme, scale=scale,
                          rng=ctx.rng(f"deep-init-{name}-{width}-{depth}-{scheme}-{scale}-{seed}"), xp=ctx.xp,
                          dtype=ctx.float)


def protocol(p: dict, optimizer: str, hidden: str, name: str = "") -> dict:
    """The step and budget of ``optimizer`` in the profile: Adam ``lr``/``max_steps``, GD ``gd_lr`` and
    ``gd_max_steps`` (``super_gd_max_steps`` for the superattractor's sigmoid networks, which GD barely
    moves: measured, loss 2.15 unchanged after 5,000 steps at 256 x 6; ``swiss_gd_max_steps``, where
    the profile has one, on the Swiss roll)."""
    if optimizer == "adam":
        return {"lr": p["lr"], "max_steps": p["max_steps"]}
    if hidden == p["super_hidden"] != p["hidden"]:
        budget = p["super_gd_max_steps"]
    elif name == "swiss-roll" and "swiss_gd_max_steps" in p:
        budget = p["swiss_gd_max_steps"]
    else:
        budget = p["gd_max_steps"]
    return {"lr": p["gd_lr"], "max_steps": budget}


def train_autoencoder(ctx, name, X, *, width, depth, scheme=None, scale=None, seed=0, hidden=None,
                      checkpoints=(), optimizer=None, loss_tol=None, callback=None, max_steps=None):
    """Train (or take from the run's cache) a deep autoencoder ``d -> width^depth -> d`` on ``X``
    with ``optimizer`` (default: the profile's; ``max_steps`` caps the profile's budget)."""
    p = ctx.sizes(FAMILY)
    scheme = scheme or p["scheme"]
    hidden = hidden or p["hidden"]
    optimizer = optimizer or p["optimizer"]
    scale = p["init_scale"] if scale is None else scale
    loss_tol = p["loss_tol"] if loss_tol is None else loss_tol
    budget = protocol(p, optimizer, hidden, name)
    if max_steps is not None:
        budget["max_steps"] = min(budget["max_steps"], int(max_steps))
    key = ("deep", name, X.shape, width, depth, scheme, scale, hidden, seed, tuple(checkpoints), optimizer, loss_tol,
           callback is not None, budget["max_steps"])
    if key not in ctx.cache or callback is not None:
        net = initial_network(ctx, name, X, width=width, depth=depth, scheme=scheme, scale=scale, seed=seed,
                              hidden=hidden)
        ctx.cache[key] = D.train(net, X, optimizer=optimizer, loss_tol=loss_tol, checkpoints=checkpoints,
                                 callback=callback, **budget)
    return ctx.cache[key]


def runs(ctx, name, X, *, width, depth, optimizer, control=False, hidden=None, **kw):
    """``(seed, network, result)`` for each of the profile's seeds; the identity network (converged,
    loss 0) in place of every trained one for a negative control."""
    from theory.descent import DescentResult

    p = ctx.sizes(FAMILY)
    for s in range(p["seeds"]):
        if control:
            net = D.identity_network(X.shape[1], depth, xp=ctx.xp, dtype=ctx.float)
            yield s, net, DescentResult((net, None), 0, 0.0, True, "loss_tol")
        else:
            res = train_autoencoder(ctx, name, X, width=width, depth=depth, seed=s, optimizer=optimizer, hidden=hidden,
                                    **kw)
            yield s, res.params[0], res


def recovery_tol(X, p) -> float:
    return p["recover_frac"] * dyn.min_spacing(host(X))


def settle(net, X, starts, p) -> dyn.Settled:
    """Iterate ``net`` from ``starts`` until each settles (movement below ``move_frac`` x spacing) or ``settle_cap``."""
    spacing = dyn.min_spacing(host(X))
    return dyn.settle(net, starts, X, tol=p["recover_frac"] * spacing, move_tol=p["move_frac"] * spacing,
                      cap=p["settle_cap"])


def spectral(net, X) -> np.ndarray:
    return host(dyn.spectral_radius(D.jacobian(net, X)))


def scope_line(largest: str, seeds: int, optimizer: str, trends: dict, what: str) -> str:
    """``largest size tried: ...; trend (what): name increasing (Spearman .., p ..)``: the scope of a
    claim that was not reproduced."""
    parts = []
    for k, t in trends.items():
        if t is None:
            parts.append(f"{k}: one size, no trend test")
        else:
            p = t["p_increasing"] if t["direction"] != "decreasing" else t["p_decreasing"]
            parts.append(f"{k} {t['direction']} (Spearman {t['spearman']:.2f}, p = {p:.3g})")
    return f"largest size tried: {largest}, {seeds} seeds, {optimizer}; trend of {what}: " + ", ".join(parts)
