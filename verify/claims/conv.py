"""Claims about convolutional autoencoders as matrices (paper Section 4, Appendix D): the exact ones.

Structural claims (Theorem 5, its Corollary, the Lemma) are exact: boolean products of the
layers' sparsity patterns; Theorem 4 trains one filter, a linear least-squares problem whose
limit is known.  The empirical claims (Tables 1 and 2, Appendix G) are in :mod:`.conv_training`.
"""

from __future__ import annotations

import math

import numpy as np

from gpu import to_numpy
from theory import conv
from theory import linear as lin
from theory.common import eps
from theory.forced_zero import forced_zero_log_distance

from ..evidence import Comparison, Measurement, Tolerance
from .common import image_rows, no_data, random_images
from .. import figures
from ..claim import Claim, register

FAMILY = "conv"


# ----------------------------------------------------------------------------- Theorem 4

def make_thm4_data(ctx) -> dict:
    p = ctx.sizes(FAMILY)
    return {"sets": {f"{s}x{s}": random_images(ctx, f"thm4-{s}", 1, s * s) for s in p["sizes"]}}


def check_thm4(data, ctx, *, control: bool = False) -> Measurement:
    """The trained single filter (kernel 3, padding 1) on one s x s image: closed form ``w* = M^+ x``,
    explicit GD from 0 reaches it, and ``C(w*)`` has rank s^2 (no memorization)."""
    p = ctx.sizes(FAMILY)
    comps, metrics = [], {}
    for name, X in image_rows(data, ctx):
        s = math.isqrt(X.shape[1])
        if s * s != X.shape[1]:
            from theory.errors import InputError

            raise InputError(f"Theorem 4 needs square images: {X.shape[1]} values per example is not s x s")
        if s < 2:
            from theory.errors import InputError

            raise InputError(f"Theorem 4 needs images of at least 2 x 2 pixels; got {s} x {s} (a 1-pixel image has a "
                             "rank-1 operator whatever is trained)")
        x = X[0, :]
        w_star, M = conv.single_filter_solution(x, s)
        svd = lin.data_svd(M.T)  # row space of M: where GD from 0 lives
        lr = 1.0 / svd.s_max**2
        res = conv.train_single_filter(x, s, lr=lr, max_steps=p["steps"], loss_tol=0.0)
        C = conv.conv_matrix(s, ctx.xp.reshape(w_star, (1, 1, 3, 3)), dense=True)
        if control:  # the memorizing solution x x^T / ||x||^2 in place of the trained operator
            C = ctx.xp.linalg.outer(x, x) / float(ctx.xp.sum(x * x))
        sv = to_numpy(ctx.xp.linalg.svdvals(C))
        rank_tol = sv[0] * s * s * eps(C)
        rank = int(np.sum(sv > rank_tol))
        err = float(np.linalg.norm(to_numpy(res.params - w_star))) / float(np.linalg.norm(to_numpy(w_star)))
        bound = math.sqrt(2 * res.loss) / svd.s_min / float(np.linalg.norm(to_numpy(w_star))) + 1e2 * eps(C) * svd.cond**2
        identity = np.zeros(9)
        identity[4] = 1.0
        comps += [Comparison(f"rank deficit[{name}]", float(s * s - rank), 0.0),
                  Comparison(f"GD vs closed form[{name}]", err, bound)]
        metrics[name] = {"s": s, "rank": rank, "smallest_singular_value": float(sv[-1]), "rank_tol": rank_tol,
                         "filter": to_numpy(w_star).tolist(), "design_rank": svd.rank,
                         "distance_from_identity_filter": float(np.linalg.norm(to_numpy(w_star) - identity)),
                         "gd_steps": res.steps, "gd_rel_error": err, "gd_bound": bound}
    metrics["max_rank_deficit"] = max(c.measured for c in comps if c.name.startswith("rank"))
    tol = Tolerance(0.0, "rank counts singular values above s^2 eps sigma_1 (NumPy's matrix_rank rule); GD error "
                         "certified by sqrt(2 L)/sigma_min(M) (descent from 0 stays in M's row space) plus "
                         "100 eps kappa^2 for rounding")
    return Measurement(comps, metrics, tol, key="max_rank_deficit")


# thm4-single-filter-full-rank's own sizes per profile (its family's shared ones are in verify.profiles)
THM4_SIZES = {
    "quick": dict(sizes=(2, 3, 4), steps=20000),
    "default": dict(sizes=(2, 3, 4, 5, 6, 8), steps=50000),
    "paper": dict(sizes=(2, 3, 4, 6, 8, 12, 16), steps=100000),
    "large": dict(sizes=(2, 3, 4, 6, 8, 12, 16), steps=100000),
}


register(Claim(
    id="thm4-single-filter-full-rank",
    family="conv",
    sizes=THM4_SIZES,
    paper_ref="Section 4, Theorem 4; Appendix D",
    statement="A single-filter convolutional autoencoder (kernel 3, padding 1) trained by gradient descent on one s x s image learns a full-rank (rank s^2) operator: it does not memorize.",
    hypotheses=("one generic training image", "one 3 x 3 filter, zero padding 1, gradient descent from 0"),
    make_data=make_thm4_data,
    check=check_thm4,
    negative_control=lambda data, ctx: check_thm4(data, ctx, control=True),
    control_description="the memorizing projection x x^T / ||x||^2 in place of the trained operator (rank 1)",
))


# ----------------------------------------------------------------------------- Lemma

def make_lemma_data(ctx) -> dict:
    p = ctx.sizes(FAMILY)
    return {"sets": {f"{s}x{s}": random_images(ctx, f"lemma-{s}", 1, s * s) for s in p["sizes"]}}


def check_lemma(data, ctx, *, control: bool = False) -> Measurement:
    """For generic x, x x^T/||x||^2 has no zero entry, so a matrix forced to vanish anywhere is at a
    positive distance from it: a single forced zero (every position tried) and the forced zeros
    of a 2-layer convolution (s >= 4), each certified positive to full relative precision."""
    comps, metrics, violations = [], {}, []
    for name, X in image_rows(data, ctx):
        x = to_numpy(X[0, :]).copy()
        d = x.shape[0]
        if not control and np.any(x == 0):  # the Lemma's hypothesis: x generic, no zero pixel
            violations.append(f"{name} has {int(np.sum(x == 0))} zero pixel(s): not generic (the Lemma assumes none)")
        if control:  # a non-generic image: zero pixels where the structure forces zeros
            x[: max(1, d // 2)] = 0.0
        s = math.isqrt(d)
        pat = conv.forced_zero_pattern(s, 3, 2) if s * s == d else np.ones((d, d), dtype=bool)
        single = forced_zero_log_distance(x)  # one forced zero at the worst position: min |P_ij|
        comps.append(Comparison(f"relative error of the smallest distance, one forced zero[{name}]",
                                single.relative_error, 1.0, "<="))
        metrics[name] = {"d": d, "min_abs_projection_entry": single.value, "log10_min_distance": single.log10,
                         "two_layer_forced_zeros": int((~pat).sum())}
        if not pat.all():
            two = forced_zero_log_distance(x, pat)
            comps.append(Comparison(f"relative error of the distance, 2-layer conv forced zeros[{name}]",
                                    two.relative_error, 1.0, "<="))
            metrics[name].update(two_layer_distance=two.value, log10_two_layer_distance=two.log10)
    sets = list(metrics.values())
    metrics["log10_min_distance"] = min((v["log10_min_distance"] for v in sets), default=float("nan"))
    metrics["max_relative_error"] = max((c.measured for c in comps), default=float("nan"))
    t = Tolerance(1.0, "the distance ||P on the forced zeros||_F is zero exactly when every forced entry x_i x_j / "
                       "||x||^2 has a zero factor, so the check certifies it positive: computed in logarithms "
                       "(theory.forced_zero), it is within a relative expm1(eps (4 L + 2 ln m + d + 8)) of the exact "
                       "distance at every scale of x, and a relative error below one proves it non-zero; the "
                       "distances themselves are reported (log10 where no float64 holds them)")
    return Measurement(comps, metrics, t, key="max_relative_error", violations=violations)


# lemma-forced-zero's own sizes per profile (its family's shared ones are in verify.profiles)
LEMMA_SIZES = {
    "quick": dict(sizes=(2, 3, 4, 5)),
    "default": dict(sizes=(2, 3, 4, 5, 6, 8)),
    "paper": dict(sizes=(2, 3, 4, 8, 16)),
    "large": dict(sizes=(2, 4, 8, 16, 32)),
}


register(Claim(
    id="lemma-forced-zero",
    family="conv",
    sizes=LEMMA_SIZES,
    paper_ref="Section 4, Lemma; Appendix D",
    statement="A matrix with a forced zero entry cannot memorize a generic x: the projection x x^T / ||x||^2 has no zero entries, so such a matrix is at a positive distance from it.",
    scale_invariant=True,  # x x^T / ||x||^2 does not change when x is scaled
    hypotheses=("x generic (no zero pixel)",),
    make_data=make_lemma_data,
    check=check_lemma,
    negative_control=lambda data, ctx: check_lemma(data, ctx, control=True),
    control_description="a non-generic image with zero pixels: the projection has zero entries and the distance vanishes",
))


# ----------------------------------------------------------------------------- Theorem 5 and its Corollary



def check_thm5(data, ctx, *, wrong_formula: bool = False) -> Measurement:
    """The least depth without forced zeros, measured exactly, against ``ceil(2 (s - 1)/(k - 1))``
    (``s - 1`` for k = 3) for every s, k and number of filters in the profile."""
    p = ctx.sizes(FAMILY)
    rows, mismatches = [], 0
    for k in p["kernels"]:
        for s in range(2, p["max_s"] + 1):
            if k > s + 2 * ((k - 1) // 2):
                continue
            for f in p["filters"]:
                if f > 1 and s > p["filters_max_s"]:
                    continue
                measured = conv.min_depth_measured(s, k, f)
                formula = math.ceil((s - 1) / (k - 1)) if wrong_formula else conv.min_full_depth(s, k)
                rows.append({"s": s, "k": k, "filters": f, "measured": measured, "formula": formula})
                mismatches += measured != formula
    comps = [Comparison("mismatches", float(mismatches), 0.0)]
    metrics = {"rows": rows, "mismatches": mismatches, "cases": len(rows),
               "k3_depths": {r["s"]: r["measured"] for r in rows if r["k"] == 3 and r["filters"] == 1}}
    tol = Tolerance(0.0, "exact: boolean products of the layers' patterns (integers), no rounding")
    return Measurement(comps, metrics, tol, key="mismatches")


# thm5-depth-lower-bound's own sizes per profile (its family's shared ones are in verify.profiles)
THM5_SIZES = {
    "quick": dict(kernels=(3, 5), max_s=8, filters=(1, 2), filters_max_s=5),
    "default": dict(kernels=(3, 5), max_s=32, filters=(1, 2, 3), filters_max_s=6),
    "paper": dict(kernels=(3, 5, 7), max_s=32, filters=(1, 2, 4), filters_max_s=8),
    "large": dict(kernels=(3, 5, 7), max_s=32, filters=(1, 2, 4), filters_max_s=8),
}


register(Claim(
    id="thm5-depth-lower-bound",
    family="conv",
    sizes=THM5_SIZES,
    figure=figures.thm5_depths,
    paper_ref="Section 4, Theorem 5; Appendix D",
    statement="A linear convolutional autoencoder (stride 1, 'same' padding) needs at least ceil(2(s-1)/(k-1)) layers (s - 1 for 3 x 3 kernels) before its operator has no forced zero on s x s images, whatever the number of filters.",
    hypotheses=("stride 1, zero padding (k-1)/2, odd k",),
    make_data=no_data,
    check=check_thm5,
    negative_control=lambda data, ctx: check_thm5(data, ctx, wrong_formula=True),
    control_description="the formula ceil((s-1)/(k-1)) (the factor 2 dropped) in place of the theorem's",
    data_keys=(),
))


def check_cor(data, ctx, *, threshold: int = 4) -> Measurement:
    """Two 3 x 3 layers leave forced zeros on s x s images exactly when s >= 4 (any number of
    filters): by the Lemma they cannot memorize a generic image of size 4 x 4 or larger."""
    p = ctx.sizes(FAMILY)
    rows, wrong = [], 0
    for s in range(2, p["max_s"] + 1):
        for f in p["filters"]:
            if f > 1 and s > p["filters_max_s"]:
                continue
            pat = conv.forced_zero_pattern(s, 3, 2, filters=f)
            zeros = int((~pat).sum())
            x = random_images(ctx, f"cor-{s}", 1, s * s)
            dist = conv.forced_zero_distance(ctx.asarray(x), pat)
            predicted_blocked = s >= threshold
            wrong += predicted_blocked != (zeros > 0)
            rows.append({"s": s, "filters": f, "forced_zeros": zeros, "distance_from_projection": dist})
    comps = [Comparison("sizes where the prediction is wrong", float(wrong), 0.0)]
    tol = Tolerance(0.0, "exact pattern counts; distances are the Lemma's exact ||P on the forced zeros||_F")
    return Measurement(comps, {"rows": rows, "wrong": wrong}, tol, key="wrong")


# cor-two-layer-conv's own sizes per profile (its family's shared ones are in verify.profiles)
COR_SIZES = {
    "quick": dict(max_s=6, filters=(1, 2), filters_max_s=5),
    "default": dict(max_s=12, filters=(1, 2, 3), filters_max_s=6),
    "paper": dict(max_s=16, filters=(1, 2, 4), filters_max_s=8),
    "large": dict(max_s=16, filters=(1, 2, 4), filters_max_s=8),
}


register(Claim(
    id="cor-two-layer-conv",
    family="conv",
    sizes=COR_SIZES,
    paper_ref="Section 4, Corollary of Theorem 5",
    statement="A 2-layer linear convolutional autoencoder with 3 x 3 kernels cannot memorize images of size 4 x 4 or larger (its operator has forced zeros); for 2 x 2 and 3 x 3 it has none.",
    hypotheses=("stride 1, zero padding 1",),
    make_data=no_data,
    check=check_cor,
    negative_control=lambda data, ctx: check_cor(data, ctx, threshold=3),
    control_description="the threshold 3 x 3 in place of 4 x 4",
    data_keys=(),
))
