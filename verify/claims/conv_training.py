"""Empirical claims about convolutional autoencoders (paper Appendices F and G): Tables 1 and 2 and
Appendix G train linear convolutional autoencoders over the family's ``seeds`` initialisations with
:func:`theory.conv_nets.train` (Adam written out, the one descent loop) and read
memorization off the end-to-end operator's spectrum: ``certificates.projection_diagnostics`` against
the projection onto the span of the training images.
"""

from __future__ import annotations

import numpy as np

from gpu import to_numpy
from theory import conv_nets
from theory import certificates
from theory import conv
from theory import linear as lin
from theory import stats

from dataclasses import replace

from theory.conv_nets import is_uniform
from theory.conv_seeds import train_seeds
from theory.span_fixer import memorization, span_fixer

from ..evidence import Comparison, Measurement, Scope, Tolerance
from .. import figures
from ..claim import Claim, register
from . import training
from .common import no_data, random_images
from .conv import FAMILY

# ----------------------------------------------------------------------------- Appendix F: Tables 1 and 2

# Table 2 as printed: (side s, training images, heuristic ceil(s^4/9), layers, parameters, skip every 10)
TABLE2 = [(2, 1, 2, 3, 27, False), (3, 1, 9, 9, 81, False), (4, 1, 29, 29, 261, False), (5, 1, 70, 70, 630, False),
          (6, 1, 144, 144, 1296, True), (7, 1, 267, 267, 2403, True), (3, 3, 9, 10, 90, False),
          (5, 5, 70, 200, 1800, True), (6, 5, 144, 350, 3105, True)]
# Table 1 as printed: layers -> parameters for 1, 16, 128 filters per layer (3 x 3 images, 3 x 3 kernels)
TABLE1 = {2: (27, 2592, 149760), 5: (45, 7200, 444672), 8: (72, 14112, 887040)}
TABLE1_FILTERS = (1, 16, 128)


def table_discrepancies(table: int) -> list:
    """Where Table ``table``'s printed parameter counts and heuristic depths disagree with the
    architectures (each claim notes its own table's)."""
    out = []
    for s, n, heur, layers, params, _ in (TABLE2 if table == 2 else ()):
        if conv.heuristic_depth(s) != heur:
            out.append(f"Table 2, {s}x{s} ({n} image(s)): heuristic printed {heur}, ceil(s^4/9) = {conv.heuristic_depth(s)}")
        if conv.stack_params(layers, 1) != params:
            out.append(f"Table 2, {s}x{s} ({n} image(s)), {layers} layers: {params} parameters printed, "
                       f"{layers} x 9 = {conv.stack_params(layers, 1)}")
    for layers, printed in (TABLE1.items() if table == 1 else ()):
        for f, pr in zip(TABLE1_FILTERS, printed):
            if conv.stack_params(layers, f) != pr:
                match = [L for L in range(1, 20) if conv.stack_params(L, f) == pr]
                out.append(f"Table 1, {layers} layers, {f} filter(s): {pr} parameters printed, {layers} layers have "
                           f"{conv.stack_params(layers, f)}" + (f"; {pr} is the count for {match[0]} layers" if match else ""))
    return out


def _spectrum_metrics(A, X, n: int, p) -> dict:
    """Memorization read off the operator A (d x d): the n largest |eigenvalues| near 1, the rest
    small; and against the exact fixers of the span (:func:`theory.span_fixer.memorization`): the
    complement block's spectral radius (the decision), the distance ``eps`` and whether ``A``'s
    eigenvalue counts are certified."""
    svd = lin.data_svd(X)
    diag = certificates.projection_diagnostics(A, svd.V, X)
    lam = np.sort(np.abs(np.linalg.eigvals(to_numpy(A))))[::-1]
    memo = memorization(A, X, near_one=p["near_one"], small=p["small"])
    return {"top_eigenvalues": lam[: n + 3].tolist(), "eig_one": float(np.max(np.abs(lam[:n] - 1.0))),
            "next_eigenvalue": float(lam[n]) if lam.shape[0] > n else 0.0,
            "out_of_span": diag["out_of_span"], "projection_error": diag["projection_error"], **memo}


def _train(ctx, X, net, p, steps=None, lr=None):
    """Adam (the profile's step, decay on plateau) to ``loss_tol`` or ``steps``, then the L-BFGS finish."""
    return conv_nets.train(net, X, optimizer="adam", lr=lr or p["lr"], max_steps=steps or p["steps"],
                                  loss_tol=p["loss_tol"], **training.protocol(p))


def _train_seeds(ctx, X, nets, p, steps=None, lr=None) -> list:
    """:func:`_train` for several seeds: one stacked computation where the networks are uniform
    stacks of one layout (:func:`theory.conv_seeds.train_seeds`), else one by one."""
    if all(is_uniform(net) for net in nets) and len({(net.layouts[0].key, net.depth, net.skip_every)
                                                      for net in nets}) == 1:
        return train_seeds(nets, X, lr=lr or p["lr"], max_steps=steps or p["steps"], loss_tol=p["loss_tol"],
                           **training.protocol(p))
    return [_train(ctx, X, net, p, steps, lr) for net in nets]


def _judge(X, p):
    """A linear run's decision: the exact fixer's complement radius below ``small`` (memorizes)."""
    def judge(net):
        fx = span_fixer(net.operator(), X)
        return {"memorizes": fx.complement_radius < p["small"]}, round(fx.complement_radius, 4)

    return judge


def _linear_row(X, p, n: int, decided) -> tuple:
    """A decided linear run ``(result, decision, restarts)`` with its operator's spectrum; a decided
    run whose eigenvalue counts are not certified at the loss it reached
    (:func:`theory.span_fixer.memorization`) does not decide.  Returns ``(row, result, decision)``."""
    res, rd, restarts = decided
    m = _spectrum_metrics(res.params[0].operator(), X, n, p)
    if rd.decided and m["certified"] is False:
        rd = replace(rd, decided=False, status="uncertified",
                     reason=f"at loss {res.loss:.3g} the operator is {m['eps']:.2g} from an exact fixer of the span, "
                            f"beyond the pseudospectral margin: its eigenvalue counts are not certified")
    return {**m, **training.record(res, rd, restarts), "memorizes": bool(m["memorizes"])}, res, rd


def _linear_run(ctx, X, make_net, p, *, n: int, train) -> tuple:
    """Train ``make_net(draw)`` with ``train`` (restarted from a new draw at a stationary point), judge
    the run and read its operator's spectrum (:func:`_linear_row`)."""
    return _linear_row(X, p, n, training.decide(lambda draw: train(make_net(draw)), _judge(X, p), p=p))


def _linear_seeds(ctx, X, makes: list, p, *, n: int, steps=None, lr=None) -> list:
    """:func:`_linear_row` for every seed's ``make(draw)``: the first draws trained together
    (:func:`_train_seeds`), restarts one by one."""
    first = _train_seeds(ctx, X, [make(0) for make in makes], p, steps, lr)
    again = lambda s, draw: _train(ctx, X, makes[s](draw), p, steps, lr)  # noqa: E731
    return [_linear_row(X, p, n, d) for d in training.decide_seeds(first, again, _judge(X, p), p=p)]


def _least_squares_run(ctx, X, s: int):
    """One layer's limit as a run at its end (:func:`theory.conv.least_squares_filter`): the negative
    control of Table 2 (Theorem 4: one image, the filter fits it and the operator has full rank)."""
    from theory.descent import DescentResult

    w, residual = conv.least_squares_filter(X, s)
    net = conv_nets.linear_conv_net(s, 1, rng=0, xp=ctx.xp, dtype=ctx.float).with_weights([ctx.xp.reshape(w, (1, 1, 3, 3))])
    return DescentResult((net, None), 0, 0.5 * residual ** 2 / X.shape[0], True, "closed form")


def _tolerance(p, lr=None, steps=None, init=None, finish=None) -> Tolerance:
    """The memorization criterion and the training protocol it was measured under (Tables 1-2: the
    ``tab_*`` settings; Appendix G passes its own step and budget)."""
    return Tolerance(p["near_one"], f"memorizes: the exact fixer of the span nearest the trained operator has the n "
                                    f"eigenvalues 1 and the rest below {p['small']:g} in modulus (its complement "
                                    f"block's spectral radius), and the operator provably shares those counts in the "
                                    f"discs |z - 1| < {p['near_one']:g} and |z| < {p['small']:g} (pseudospectral "
                                    f"certificate); a run decides at the loss target {p['loss_tol']:g} or where "
                                    f"that radius stays on one side of {p['small']:g} over the last two loss decades; "
                                    f"trained with Adam (lr {lr or p['lr']:g}, halved on plateaus) for at most "
                                    f"{steps or p['steps']} steps, then at most {finish or p['finish_iter']} L-BFGS "
                                    f"iterations; weights {init or 'N(0, %g^2 / fan_in)' % p['init_scale']}")


def _memorizes(m: dict, p) -> bool:
    return m["eig_one"] <= p["near_one"] and m["next_eigenvalue"] <= p["small"]


def _medians(seeds: list, keys) -> dict:
    decided = [r for r in seeds if r["decided"]]
    return {k: float(np.median([r[k] for r in decided])) for k in keys} if decided else {}


def check_tab2(data, ctx, *, control: bool = False) -> Measurement:
    """Table 2: single-filter deep linear conv autoencoders at the printed depths memorize (medians
    over the ``seeds`` initialisations that decide; the share that memorize with its Wilson
    interval)."""
    p = ctx.sizes(FAMILY)
    comps, rows, inconclusive, per_row = [], {}, [], {}
    for s, n, heur, layers, params, skip in TABLE2:
        if (s, n) not in p["rows"]:
            continue
        depth = 1 if control else layers
        X = ctx.asarray(random_images(ctx, f"tab2-{s}-{n}", n, s * s))
        name = f"{s}x{s}, {n} image(s), {depth} layers" + (" (skip every 10)" if skip and not control else "")
        def make(draw, seed):
            stream = f"tab2-init-{s}-{n}" + (f"-{seed}" if seed else "") + (f"-draw{draw}" if draw else "")
            return conv_nets.linear_conv_net(s, depth, scale=p["init_scale"], skip_every=10 if skip and not control
                                        else 0, rng=ctx.rng(stream), xp=ctx.xp, dtype=ctx.float)

        seeds = []
        if control:  # one layer: gradient descent from 0 goes to the least-squares filter (Theorem 4's argument)
            runs = [_linear_row(X, p, n, training.decide(lambda draw: _least_squares_run(ctx, X, s), _judge(X, p), p=p))
                    for _ in range(p["seeds"])]
        else:
            runs = _linear_seeds(ctx, X, [lambda draw, seed=seed: make(draw, seed) for seed in range(p["seeds"])],
                                 p, n=n)
        for seed, (row, res, rd) in enumerate(runs):
            seeds.append({**row, "seed": seed})
            inconclusive += training.inconclusive(f"{name}, seed {seed}", rd)
        med = _medians(seeds, ("eig_one", "next_eigenvalue"))
        decided = [r for r in seeds if r["decided"]]
        if med:
            comps += [Comparison(f"median max |lambda_i - 1|, i <= n [{name}]", med["eig_one"], p["near_one"]),
                      Comparison(f"median |lambda_(n+1)| [{name}]", med["next_eigenvalue"], p["small"])]
        rows[name] = {**seeds[0], "median_eig_one": med.get("eig_one"), "median_next_eigenvalue": med.get("next_eigenvalue"),
                      "params": res.params[0].n_params, "params_printed": params, "heuristic": conv.heuristic_depth(s),
                      "heuristic_printed": heur, "decided": len(decided)}
        per_row[name] = {"per_seed": seeds, "memorizing_seeds": stats.fraction(sum(r["memorizes"] for r in decided),
                                                                                len(decided)) if decided else None}
    printed = table_discrepancies(2)
    nexts = [r["median_next_eigenvalue"] for r in rows.values() if r["median_next_eigenvalue"] is not None]
    metrics = {"rows": rows, "max_next_eigenvalue": max(nexts) if nexts else float("nan"),
               "table_discrepancies": printed}
    largest = list(rows)[-1]
    failing = [k for k, r in per_row.items() if r["memorizing_seeds"] and r["memorizing_seeds"]["k"] < r["memorizing_seeds"]["n"]]
    scope = Scope(largest, f"{p['seeds']} seeds per row", f"rows not memorizing in every seed: {', '.join(failing) or 'none'}")
    return Measurement(comps, metrics, _tolerance(p), key="max_next_eigenvalue", notes=printed,
                       inconclusive=[] if control else inconclusive, scope=scope,
                       statistics={"seeds": p["seeds"], "rows": per_row, "confidence": 0.95})


# tab2-heuristic-depth-memorizes's own sizes per profile (its family's shared ones are in verify.profiles)
TAB2_SIZES = {
    "quick": dict(rows=((2, 1), (3, 1)), init_scale=1.0, lr=0.001, steps=5000),
    "default": dict(rows=((2, 1), (3, 1), (4, 1), (5, 1), (3, 3), (5, 5)), init_scale=1.0, lr=0.001, steps=20000),
    "paper": dict(rows=((2, 1), (3, 1), (4, 1), (5, 1), (6, 1), (7, 1), (3, 3), (5, 5), (6, 5)), init_scale=1.0,
                  lr=0.001, steps=50000),
    "large": dict(rows=((2, 1), (3, 1), (4, 1), (5, 1), (3, 3), (5, 5)), init_scale=1.0, lr=0.001, steps=20000),
}


register(Claim(
    id="tab2-heuristic-depth-memorizes",
    family="conv",
    sizes=TAB2_SIZES,
    figure=figures.tab2_spectra,
    paper_ref="Appendix F, Table 2",
    statement="Deep linear convolutional autoencoders with one 3 x 3 filter per layer, at Table 2's depths, memorize: one eigenvalue near 1 per training image, the rest small.",
    hypotheses=("near-zero initialisation that still trains", "trained to a small loss (Adam)"),
    make_data=no_data,
    check=check_tab2,
    negative_control=lambda data, ctx: check_tab2(data, ctx, control=True),
    control_description="a single layer in place of each row's depth (Theorem 4: it learns the identity filter, every eigenvalue 1)",
    data_keys=(),
    empirical=True,
))


def check_tab1(data, ctx, *, control: bool = False) -> Measurement:
    """Table 1: shallow networks do not memorize two 3 x 3 images, however many filters: the third
    eigenvalue is not small (median over the seeds that decide)."""
    p = ctx.sizes(FAMILY)
    X = ctx.asarray(random_images(ctx, "tab1", 2, 9))
    comps, rows, inconclusive, per_row = [], {}, [], {}
    for depth in p["depths"]:
        for f in p["filters"]:
            seeds = []
            if control:  # the memorizing projection onto the two images in place of each trained operator
                V = lin.data_svd(X).V
                m = _spectrum_metrics(V @ V.T, X, 2, p)
                seeds = [{**m, "seed": seed, "decided": True, "memorizes": bool(m["memorizes"])}
                         for seed in range(p["seeds"])]
            else:
                def make(draw, seed, depth=depth, f=f):
                    return conv_nets.linear_conv_net(3, depth, filters=f, scale=p["init_scale"],
                                                rng=ctx.rng(f"tab1-{depth}-{f}-{seed}" + (f"-draw{draw}" if draw else "")),
                                                xp=ctx.xp, dtype=ctx.float)

                runs = _linear_seeds(ctx, X, [lambda draw, seed=seed: make(draw, seed) for seed in range(p["seeds"])],
                                     p, n=2, steps=p["steps"])
                for seed, (row, res, rd) in enumerate(runs):
                    seeds.append({**row, "seed": seed, "params": res.params[0].n_params})
                    inconclusive += training.inconclusive(f"{depth} layers, {f} filter(s), seed {seed}", rd)
            decided = [r for r in seeds if r["decided"]]
            thirds = [r["next_eigenvalue"] for r in decided]
            name = f"{depth} layers, {f} filter(s)"
            med = float(np.median(thirds)) if thirds else None
            if thirds:
                comps.append(Comparison(f"median |lambda_3| [{name}]", med, p["small"], ">="))
            rows[name] = {"third_eigenvalues": thirds, "median_third": med, "seed0": seeds[0], "decided": len(decided),
                          "params_printed": TABLE1.get(depth, (None,) * 3)[TABLE1_FILTERS.index(f)] if f in TABLE1_FILTERS else None}
            per_row[name] = {"per_seed": seeds, "third_eigenvalues": thirds,
                             "memorizing_seeds": stats.fraction(sum(r["memorizes"] for r in decided), len(decided))
                             if decided else None}
    printed = table_discrepancies(1)
    meds = [r["median_third"] for r in rows.values() if r["median_third"] is not None]
    metrics = {"rows": rows, "min_median_third": min(meds) if meds else float("nan"), "table_discrepancies": printed}
    # a printed row that memorizes in every seed (>= 2, every one decided) contradicts the table
    against = [k for k, r in per_row.items() if r["memorizing_seeds"] and len(r["per_seed"]) >= 2
               and r["memorizing_seeds"]["k"] == r["memorizing_seeds"]["n"] == len(r["per_seed"])]
    metrics["rows_memorizing_in_every_seed"] = against  # against the table: complement rho < small, every seed decided
    refutation = None if control or not against else (
        f"Table 1 says no memorization, yet {len(against)} row(s) memorize in every one of {p['seeds']} seeds: "
        f"{'; '.join(against)}")
    scope = Scope(f"{max(p['depths'])} layers, {max(p['filters'])} filters", f"{p['seeds']} seeds per row")
    return Measurement(comps, metrics, _tolerance(p), key="min_median_third", notes=printed,
                       inconclusive=[] if control else inconclusive, refutation=refutation, scope=scope,
                       statistics={"seeds": p["seeds"], "rows": per_row, "confidence": 0.95})


# tab1-filters-do-not-replace-depth's own sizes per profile (its family's shared ones are in verify.profiles)
TAB1_SIZES = {
    "quick": dict(depths=(2, 5), filters=(1, 4), steps=5000, init_scale=1.0, lr=0.001),
    "default": dict(depths=(2, 5, 8), filters=(1, 16), steps=20000, init_scale=1.0, lr=0.001),
    "paper": dict(depths=(2, 5, 8), filters=(1, 16, 128), steps=3000, init_scale=1.0, lr=0.001),
    "large": dict(depths=(2, 5, 8), filters=(1, 16), steps=20000, init_scale=1.0, lr=0.001),
}


register(Claim(
    id="tab1-filters-do-not-replace-depth",
    family="conv",
    sizes=TAB1_SIZES,
    figure=figures.tab1_spectra,
    paper_ref="Appendix F, Table 1",
    statement="Shallow linear convolutional autoencoders (2, 5, 8 layers) do not memorize two 3 x 3 images, whatever the number of filters: the third eigenvalue stays away from 0.",
    hypotheses=("the same training protocol as Table 2",),
    make_data=no_data,
    check=check_tab1,
    negative_control=lambda data, ctx: check_tab1(data, ctx, control=True),
    control_description="the memorizing projection onto the two images in place of each trained operator (third eigenvalue 0)",
    data_keys=(),
    empirical=True,
))


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
    row, res, rd = _linear_run(ctx, X, make, p, n=n, train=train)
    A = res.params[0].operator()
    lam, vecs = np.linalg.eig(to_numpy(A))
    top = np.argsort(-np.abs(lam))[:n]
    V = to_numpy(lin.data_svd(X).V)
    E = np.real(vecs[:, top])
    E /= np.linalg.norm(E, axis=0, keepdims=True)
    span_residual = float(np.max(lin.span_distances(E, V)))
    row.update(seed=seed, span_residual=span_residual,
               memorizes=bool(row["memorizes"] and span_residual <= p["near_one"]))
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
    med = _medians(per_seed, ("eig_one", "next_eigenvalue", "span_residual"))
    what = "the top eigenvector from the image" if n == 1 else "the top eigenvectors from span(X)"
    comps = [] if not med else [
        Comparison(f"median max |lambda_i - 1|, i <= {n}", med["eig_one"], p["near_one"]),
        Comparison(f"median |lambda_{n + 1}|", med["next_eigenvalue"], p["small"]),
        Comparison(f"median distance of {what}", med["span_residual"], p["near_one"])]
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
    return Measurement(comps, metrics, _tolerance(p, cfg["lr"], cfg["steps"], "U(+-1/sqrt(fan_in)) (PyTorch's default)",
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


register(Claim(
    id="appg-downsampling-memorizes",
    family="conv",
    sizes=APPG_SIZES,
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
