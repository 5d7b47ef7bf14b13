"""Hypothesis strategies for training sets with controlled shape, rank and conditioning.

Public API for researchers' own property tests (requires ``hypothesis``)::

    from hypothesis import given
    from verify.strategies import training_sets

    @given(training_sets(n=5, d=40, cond=10.0))
    def test_my_claim(X):           # X: float64 NumPy array, shape (5, 40), condition number 10
        ...

Every argument takes a value or a strategy.  Data are built as ``U diag(s) V^T`` with
orthonormal ``U``, ``V`` (QR of Gaussians) and geometric singular values, so rank and
condition number are exact by construction rather than found by filtering random floats.
"""

from __future__ import annotations

import numpy as np

from theory.errors import InputError

try:
    from hypothesis import strategies as st
except ImportError as exc:  # the main install has no hypothesis
    raise ImportError("verify.strategies needs hypothesis, which the main install leaves out: "
                      "pip install 'memverify[test]' (or pip install hypothesis)") from exc

from .datasets import scale_into, synthetic

__all__ = ["assumption1_sets", "conditions", "seeds", "training_sets", "violating_sets", "violation_parts"]

seeds = st.integers(min_value=0, max_value=2**32 - 1)


def conditions(max_cond: float = 1e3) -> st.SearchStrategy:
    """Condition numbers, log-uniform in ``[1, max_cond]``."""
    import math

    if isinstance(max_cond, bool) or not isinstance(max_cond, (int, float)) or not math.isfinite(max_cond) \
            or max_cond < 1:
        raise InputError(f"max_cond must be a finite number >= 1 (a condition number), got {max_cond!r}")
    return st.floats(0.0, float(np.log10(max_cond))).map(lambda e: float(10.0**e))


def _strategy(value):
    return value if isinstance(value, st.SearchStrategy) else st.just(value)


@st.composite
def training_sets(draw, n=st.integers(1, 12), d=None, rank=None, cond=None, scale=1.0, overparameterized=True):
    """Row training sets ``X`` of shape (n, d) (float64 NumPy).

    Parameters
    ----------
    n : examples (value or strategy; default 1..12)
    d : features (default: ``n + 1 .. max(2n, n + 48)`` when ``overparameterized``, else ``1 .. 2n``)
    rank : rank of X (default ``min(n, d)``: full rank)
    cond : condition number of X on its rank (default :func:`conditions` up to 100)
    scale : largest singular value
    overparameterized : with the default ``d``, draw ``d > n`` (the paper's setting) or ``d <= 2n``
    """
    n_ = draw(_strategy(n))
    if d is None:
        d_ = draw(st.integers(n_ + 1, max(2 * n_, n_ + 48)) if overparameterized else st.integers(1, 2 * n_))
    else:
        d_ = draw(_strategy(d))
    r_ = min(n_, d_) if rank is None else draw(_strategy(rank))
    c_ = draw(conditions(100.0) if cond is None else _strategy(cond))
    s_ = draw(_strategy(scale))
    return synthetic(n_, d_, rank=r_, cond=c_, scale=s_, rng=draw(seeds))


@st.composite
def assumption1_sets(draw, activation, n=st.integers(1, 8), d=None, cond=None):
    """Training sets in ``activation``'s range that satisfy Assumption 1 (every coordinate).

    ``activation`` is a name or a :class:`theory.activations.Activation`; the data are
    :func:`training_sets` min-max scaled into the activation's ``safe_interval``.
    """
    from theory.activations import get

    act = get(activation) if isinstance(activation, str) else activation
    X = draw(training_sets(n=n, d=d, cond=st.floats(1.0, 5.0) if cond is None else cond))
    return scale_into(X, act.safe_interval)


# data intervals (inside the activation's range) that break one named part of Assumption 1
_VIOLATIONS = {
    ("sigmoid", "b"): (0.3, 0.7),      # straddles phi(0) = 1/2
    ("exp_neg", "b"): (0.6, 1.4),      # straddles phi(0) = 1
    ("softplus", "b"): (0.4, 1.0),     # straddles phi(0) = log 2
    ("softplus", "c"): (0.9, 1.6),     # pre-images > 0 where softplus is convex increasing
    ("tanh", "a"): (-0.7, -0.1),       # negative data
    ("neg_tanh", "a"): (-0.7, -0.1),
}


def violation_parts(activation: str) -> tuple:
    """The parts of Assumption 1 that data inside ``activation``'s range can violate (for :func:`violating_sets`)."""
    return tuple(part for (name, part) in _VIOLATIONS if name == activation)


@st.composite
def violating_sets(draw, activation: str, part: str, n=st.integers(2, 8), d=None):
    """Training sets inside ``activation``'s range that violate (at least) part ``part`` ('a', 'b' or 'c') of Assumption 1.

    Coordinate 0 always violates the named part (its first two entries are the interval's
    ends); other coordinates may violate other parts too (exp_neg data straddling 1 have
    coordinates above 1, whose negative pre-images break (c)).

    Not every combination exists (sigmoid's range (0, 1) has no negative data, so it cannot
    violate (a)); :func:`violation_parts` lists the possible ones and an impossible request
    raises :class:`InputError`, as does ``n < 2``.
    """
    if (activation, part) not in _VIOLATIONS:
        raise InputError(f"{activation} data inside its range cannot violate only part ({part}); "
                         f"possible: {violation_parts(activation) or 'none'}")
    n_ = draw(_strategy(n))
    if n_ < 2:
        raise InputError(f"a violating set needs n >= 2 examples (its first coordinate takes the interval's two ends), "
                         f"got n = {n_}")
    X = draw(training_sets(n=n_, d=d, cond=st.floats(1.0, 3.0)))
    lo, hi = _VIOLATIONS[(activation, part)]
    X = scale_into(X, (lo, hi))
    X[:2, 0] = (lo, hi)
    return X
