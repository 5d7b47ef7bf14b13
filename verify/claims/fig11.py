"""Appendix I.1, Figure 11: an autoencoder with near-zero reconstruction error on held-out data
still recovers training examples when iterated from them (an existence statement).  Shared
protocol and data with :mod:`.deep` (:mod:`.deep_common`)."""

from __future__ import annotations

import numpy as np

from theory import deep_fc as D
from theory import dynamics as dyn
from theory import stats

from ..evidence import Comparison, Measurement, Scope, Tolerance
from .. import rules as R
from ..claim import Claim, register
from . import deep_common as dc
from . import training
from .common import no_data
from .deep_common import FAMILY, host, settle


# ----------------------------------------------------------------------------- Appendix I.1, Figure 11

def check_fig11(data, ctx, *, control: bool = False) -> Measurement:
    """Appendix I.1, Figure 11, an existence statement: per seed, an autoencoder trained on
    ``fig11_n`` digits (the profile's width, depth and protocol); it shows the claim when its
    reconstruction error on ``fig11_held`` held-out digits is near zero (the median over them of the
    RMS pixel error at most half a grey level of the data, :data:`verify.rules.HALF_GREY`) and
    iterating it from those held-out digits until they settle still reaches a training example
    (at least one; the share is reported).  One run that decides and shows both is the claim."""
    from .. import datasets

    p = ctx.sizes(FAMILY)
    n, m = p["fig11_n"], p["fig11_held"]
    mnist = datasets.has_mnist(ctx.data_dir)  # the paper's data when given, else the bundled digits
    A = datasets.load_mnist(ctx.data_dir, n=n + m)[0] if mnist else datasets.digits(n + m)
    X, Z = ctx.asarray(A[:n]), ctx.asarray(A[n:])
    step = 1.0 / 255.0 if mnist else 1.0 / 16.0  # the data's grey levels: 8-bit MNIST, the 17-level digits
    near_zero = R.HALF_GREY.value * step
    spacing = dyn.min_spacing(host(X))
    per_seed, inconclusive = [], []

    @training.memoized
    def judge(net):
        Zh, Fh = host(Z), host(net(Z))
        rms = np.sqrt(np.mean((Fh - Zh) ** 2, axis=1))
        err = float(np.median(rms))
        st = settle(net, X, Z, p)
        return {"near zero": err <= near_zero, "recovered": st.outcome.count("recovered")}, (round(err, 6), st, rms)

    def same(a, b):
        return a["near zero"] == b["near zero"] and training.same_fraction(m)(a["recovered"], b["recovered"])

    for seed, net, res, rd, restarts in dc.runs(ctx, "fig11-mnist" if mnist else "fig11-digits", X,
                                                width=p["fig11_width"], depth=p["depth"], optimizer=p["optimizer"],
                                                control=control, max_steps=p["fig11_steps"],
                                                judge=lambda n: (lambda d, v: (d, v[0]))(*judge(n)), same=same):
        inconclusive += training.inconclusive(f"seed {seed}", rd)
        (_, _), (err, st, rms) = judge(net)
        k = st.outcome.count("recovered")
        per_seed.append({"seed": seed, **training.record(res, rd, restarts), "held_out_rms_median": err,
                         "held_out_near_zero": int(np.sum(rms <= near_zero)), "recovered": k,
                         "spurious": st.outcome.count("spurious"), "unsettled": st.outcome.count("unsettled"),
                         "recovered_curve": R.curve_counts(st.distance, spacing),
                         "shows": bool(err <= near_zero and k >= 1)})
    decided = [r for r in per_seed if r["decided"]]
    if not decided:
        return Measurement([], {"n": n, "held_out": m}, None, key="n", inconclusive=inconclusive,
                           statistics={"seeds": p["seeds"], "per_seed": per_seed, "confidence": 0.95})
    shows = sum(r["shows"] for r in decided)
    comps = [Comparison(f"runs that decide with a near-zero held-out error and a held-out digit that iterates to a "
                        f"training example, of {len(decided)}", float(shows), R.ONE_RUN.value, ">=", gate=R.ONE_RUN.name)]
    rec = stats.fraction(sum(r["recovered"] for r in decided), m * len(decided))
    err = float(np.median([r["held_out_rms_median"] for r in decided]))
    metrics = {"n": n, "held_out": m, "data": "mnist" if mnist else "digits", "width": p["fig11_width"],
               "depth": p["depth"], "held_out_rms_median": err, "near_zero_bound": near_zero, "runs_showing": shows,
               "recovered": rec["value"],
               "recovered_curve": {f: sum(r["recovered_curve"][f] for r in decided) / (m * len(decided)) for f in R.CURVE}}
    tol = Tolerance(near_zero, f"near-zero reconstruction: the median over {m} held-out digits of the RMS pixel error "
                               f"at most half a grey level ({near_zero:.3g}); recovered: a held-out digit, iterated until "
                               f"settled (cap {p['settle_cap']}), ends within half the training examples' spacing of "
                               f"one; one run that decides showing both is the claim (it is an existence statement); "
                               f"{p['optimizer']} (lr {p['lr']:g}) to a loss of {p['loss_tol']:g} or "
                               f"{min(p['max_steps'], p['fig11_steps'])} steps")
    scope = Scope(f"{n} digits, width {p['fig11_width']} x depth {p['depth']}", f"{p['seeds']} seeds",
                  f"median held-out RMS error {err:.3g} (near zero: <= {near_zero:.3g}), recovered {rec['k']}/{rec['n']}, "
                  f"runs showing both {shows}/{len(decided)}")
    notes = [f"strict reading (every held-out digit reconstructed within half a grey level and recovered): "
             f"{sum(r['held_out_near_zero'] for r in decided)}/{m * len(decided)} near zero, {rec['k']}/{rec['n']} recovered"]
    return Measurement(comps, metrics, tol, key="runs_showing", inconclusive=[] if control else inconclusive, scope=scope,
                       notes=notes, statistics={"seeds": p["seeds"], "per_seed": per_seed, "recovered": rec,
                                                "confidence": 0.95})


FIG11_SIZES = {
    "quick": dict(fig11_n=10, fig11_held=10, fig11_width=32, fig11_steps=1000),
    "default": dict(fig11_n=50, fig11_held=50, fig11_width=128, fig11_steps=4000),
    "paper": dict(fig11_n=50, fig11_held=200, fig11_width=512, fig11_steps=20000),
    "large": dict(fig11_n=50, fig11_held=200, fig11_width=512, fig11_steps=20000),
}


register(Claim(
    id="fig11-recovery-despite-reconstruction",
    family="deep",
    sizes=FIG11_SIZES,
    rule=R.Rule(
        quote="To show in practice that this uncoupling can be achieved, we show in Figure 11 that it is possible to "
              "recover training examples from an MNIST autoencoder with near-zero reconstruction error.",
        where="Appendix I.1, Figure 11",
        reading=R.EXISTS,
        decides="one run that decides in which the held-out digits' reconstruction error is near zero (median RMS "
                "pixel error at most half a grey level) and a held-out digit, iterated until it settles, reaches a "
                "training example",
        gates=(R.ONE_RUN, R.HALF_GREY, R.NEAREST_EXAMPLE),
        curve="the held-out digits recovered within 0.05, 0.1, 0.25 and 0.5 x the spacing of the examples",
        readings=("'it is possible': one run (the verdict); the share of runs that show it (reported)",
                  "'recover training examples': at least one held-out digit (the verdict), every one (reported)",
                  "'near-zero reconstruction error': on held-out digits of the training distribution"),
        sweeps=(R.adam_eps_sweep(),)),
    regime=R.Regime("MNIST (d = 784); n, width, depth not stated", {"n/d": None},
                    lambda p: {"data": "scikit-learn digits (8 x 8)", "n": p["fig11_n"], "d": 64,
                               "width": p["fig11_width"], "depth": p["depth"],
                               "params": D.param_count((64,) + (p["fig11_width"],) * p["depth"] + (64,))},
                    breaks={p: "n/d = 50/64 on the 8 x 8 digits: a near-identity reconstruction of held-out digits "
                               "needs training digits that cover them; MNIST (--data-dir) has d = 784"
                            for p in ("default", "paper", "large")}),
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
