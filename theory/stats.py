r"""Statistics of empirical claims: a measurement over seeds is a sample, not one number.

* Fractions ``k / n`` (attracting examples, recovered starts) get a 95% **Wilson score interval**
  ``(p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)`` with ``z = Phi^{-1}(1 - alpha/2)``;
  :func:`clopper_pearson` gives the exact (conservative) interval from the beta quantiles.
* A trend ("grows with width") is decided by :func:`trend_test`: Spearman's rank correlation
  between the size and the per-seed value over every (size, seed) pair, with a one-sided
  permutation p-value (the values shuffled across pairs, ``resamples`` times, seeded).  A
  sweep whose values are all equal has no trend (p = 1).
* :func:`rho_classes` splits spectral radii into clear attractors (``rho < 1 - margin``),
  marginal ones (``|rho - 1| <= margin``) and clear repellers (``rho > 1 + margin``).

These functions take host sequences of Python or NumPy numbers (per-seed summaries, a few dozen
values), not backend arrays: they are NumPy/SciPy-only by design.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import InputError

__all__ = ["clopper_pearson", "fraction", "fraction_greater_test", "greater_test", "rho_classes", "trend_test", "wilson"]


def _counts(k, n) -> tuple:
    if isinstance(k, bool) or isinstance(n, bool) or int(k) != k or int(n) != n:
        raise InputError(f"a fraction needs integer counts, got k = {k!r}, n = {n!r}")
    k, n = int(k), int(n)
    if n < 1 or not 0 <= k <= n:
        raise InputError(f"a fraction needs 0 <= k <= n and n >= 1, got k = {k}, n = {n}")
    return k, n


def _confidence(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise InputError(f"confidence must lie in (0, 1), got {confidence!r}")
    return float(confidence)


def _z(confidence: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(0.5 + _confidence(confidence) / 2.0))


def wilson(k, n, confidence: float = 0.95) -> tuple:
    """The Wilson score interval ``(lo, hi)`` of the fraction ``k / n``."""
    k, n = _counts(k, n)
    z = _z(confidence)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    lo, hi = max(0.0, centre - half), min(1.0, centre + half)
    return (0.0 if k == 0 else min(lo, p)), (1.0 if k == n else max(hi, p))  # the bounds rounding can miss


def clopper_pearson(k, n, confidence: float = 0.95) -> tuple:
    """The exact Clopper-Pearson interval ``(lo, hi)`` of ``k / n`` (beta quantiles)."""
    from scipy.stats import beta

    k, n = _counts(k, n)
    a = 1.0 - _confidence(confidence)
    lo = 0.0 if k == 0 else float(beta.ppf(a / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - a / 2, k + 1, n - k))
    return lo, hi


def fraction(k, n, confidence: float = 0.95) -> dict:
    """``{"k", "n", "value", "wilson95"}``: a fraction with its interval, JSON-ready."""
    lo, hi = wilson(k, n, confidence)
    return {"k": int(k), "n": int(n), "value": int(k) / int(n), "wilson95": [lo, hi]}


def _spearman(x, y) -> float:
    from scipy.stats import rankdata

    rx, ry = rankdata(x), rankdata(y, axis=-1)
    rx = rx - rx.mean()
    ry = ry - ry.mean(axis=-1, keepdims=True)
    den = np.sqrt((rx * rx).sum() * (ry * ry).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (ry * rx).sum(axis=-1) / np.where(den > 0, den, 1.0), 0.0)


def trend_test(sizes, values, *, resamples: int = 9999, alpha: float = 0.05, seed: int = 0) -> dict:
    """Does ``values`` grow (or fall) with ``sizes``?  One pair per (size, seed) run.

    Returns ``{"test", "spearman", "p_increasing", "p_decreasing", "alpha", "direction", "pairs"}``
    where ``direction`` is ``increasing`` (p_increasing < alpha), ``decreasing`` (p_decreasing <
    alpha) or ``none``; p-values are ``(1 + #{permuted rho >= observed}) / (1 + resamples)``.
    """
    x = np.asarray(sizes, dtype=float)
    y = np.asarray(values, dtype=float)
    if x.ndim != 1 or x.shape != y.shape or x.size < 3:
        raise InputError(f"a trend test needs two equal-length sequences of at least 3 runs, got {x.shape} and {y.shape}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise InputError("a trend test needs finite sizes and values")
    if not 0.0 < alpha < 1.0 or int(resamples) != resamples or resamples < 1:
        raise InputError(f"alpha must lie in (0, 1) and resamples be a positive integer, got {alpha!r}, {resamples!r}")
    observed = float(_spearman(x, y))
    if np.ptp(y) == 0 or np.ptp(x) == 0:
        p_up = p_down = 1.0
    else:
        rng = np.random.default_rng(seed)
        perms = np.argsort(rng.random((int(resamples), y.size)), axis=1)
        null = _spearman(x, y[perms])
        p_up = float((1 + np.sum(null >= observed - 1e-12)) / (1 + resamples))
        p_down = float((1 + np.sum(null <= observed + 1e-12)) / (1 + resamples))
    direction = "increasing" if p_up < alpha else ("decreasing" if p_down < alpha else "none")
    return {"test": f"Spearman rank correlation over (size, seed) pairs, one-sided permutation p-values "
                    f"({int(resamples)} resamples, seed {seed})",
            "spearman": observed, "p_increasing": p_up, "p_decreasing": p_down, "alpha": alpha,
            "direction": direction, "pairs": int(x.size)}


def rho_classes(rhos, margin: float = 0.05) -> dict:
    """Counts of clear attractors, marginal fixed points and clear repellers among spectral radii."""
    r = np.asarray(rhos, dtype=float).ravel()
    if not 0.0 <= margin < 1.0:
        raise InputError(f"margin must lie in [0, 1), got {margin!r}")
    return {"margin": margin, "clear_attractors": int(np.sum(r < 1.0 - margin)),
            "marginal_attractors": int(np.sum((r >= 1.0 - margin) & (r < 1.0))),
            "marginal_repellers": int(np.sum((r >= 1.0) & (r <= 1.0 + margin))),
            "clear_repellers": int(np.sum(r > 1.0 + margin)), "n": int(r.size),
            "quantiles": {q: float(np.quantile(r, float(q))) for q in ("0", "0.25", "0.5", "0.75", "1")} if r.size else {}}


def greater_test(a, b) -> dict:
    """Is sample ``a`` stochastically larger than ``b``?  One-sided Mann-Whitney U test
    (``scipy.stats.mannwhitneyu``, alternative ``greater``; exact for small samples without ties).
    Returns ``{"test", "u", "p_greater", "n_a", "n_b"}``."""
    from scipy.stats import mannwhitneyu

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.ndim != 1 or b.ndim != 1 or a.size < 1 or b.size < 1 or not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise InputError(f"greater_test needs two non-empty 1-D samples of finite values, got shapes {a.shape} and {b.shape}")
    res = mannwhitneyu(a, b, alternative="greater")
    return {"test": "one-sided Mann-Whitney U (scipy.stats.mannwhitneyu, alternative greater)", "u": float(res.statistic),
            "p_greater": float(res.pvalue), "n_a": int(a.size), "n_b": int(b.size)}


def fraction_greater_test(k_a, n_a, k_b, n_b) -> dict:
    """Is the fraction ``k_a / n_a`` larger than ``k_b / n_b``?  One-sided Fisher exact test on the
    2 x 2 table (``scipy.stats.fisher_exact``, alternative ``greater``): exact at any sample size.
    Returns ``{"test", "odds_ratio", "p_greater", "a", "b"}``."""
    from scipy.stats import fisher_exact

    k_a, n_a = _counts(k_a, n_a)
    k_b, n_b = _counts(k_b, n_b)
    res = fisher_exact([[k_a, n_a - k_a], [k_b, n_b - k_b]], alternative="greater")
    return {"test": "one-sided Fisher exact (scipy.stats.fisher_exact, alternative greater)",
            "odds_ratio": float(res.statistic), "p_greater": float(res.pvalue), "a": [k_a, n_a], "b": [k_b, n_b]}
