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
from hypothesis import strategies as st

from .datasets import synthetic

__all__ = ["training_sets", "conditions", "seeds"]

seeds = st.integers(min_value=0, max_value=2**32 - 1)


def conditions(max_cond: float = 1e3) -> st.SearchStrategy:
    """Condition numbers, log-uniform in ``[1, max_cond]``."""
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
