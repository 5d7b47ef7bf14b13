"""Pieces shared by the claim modules: iterating a claim's data sets, common hypothesis checks."""

from __future__ import annotations

import numpy as np

from theory import linear as lin

from ..datasets import gaussian_init, low_rank_init


def named_sets(data, ctx):
    """Yield ``(name, X)``: the user's ``data["X"]`` as ``"user"``, else each of ``data["sets"]`` on the run's backend."""
    if "X" in data:
        yield "user", data["X"]
    else:
        for name, X in data["sets"].items():
            yield name, ctx.asarray(X)


def image_rows(data, ctx):
    """Yield ``(name, x)`` with ``x`` one image as a (1, d) row: each row of the user's ``data["X"]``
    (``"user row i"``; every row is checked, not the first alone), else each of ``data["sets"]``."""
    if "X" in data:
        X = data["X"]
        for i in range(X.shape[0]):
            yield (f"user row {i}" if X.shape[0] > 1 else "user"), X[i:i + 1, :]
    else:
        for name, X in data["sets"].items():
            yield name, ctx.asarray(X)[:1, :]


def shape_violations(X, svd) -> list:
    """The paper's standing hypotheses on a training set: n < d examples (overparameterized) and rank n."""
    n, d = X.shape
    out = []
    if n >= d:
        out.append(f"n = {n} examples >= d = {d} features: not overparameterized")
    if svd.rank < n:
        out.append(f"X has rank {svd.rank} < n = {n} (rank-deficient)")
    return out


def random_init(ctx, family: str, d: int, scale: float, stream: str):
    """A random square initialisation ``scale G / sqrt(d)`` (dense); or, where the family's profile
    sets ``init_rank``, one of that rank held as a :class:`~theory.linear.FactoredMap` (the large
    profile: a dense d x d matrix does not fit there)."""
    rank = ctx.sizes(family).get("init_rank")
    if rank:
        A, B = low_rank_init(d, d, rank, scale, rng=ctx.rng(stream))
        return lin.FactoredMap(ctx.asarray(A), ctx.asarray(B))
    return ctx.asarray(gaussian_init(d, d, scale, rng=ctx.rng(stream)))


def no_data(ctx) -> dict:
    """``make_data`` of a claim that makes its own data inside its check (it takes none from the user)."""
    return {}


def random_images(ctx, stream: str, n: int, d: int) -> np.ndarray:
    """``n`` random images with pixels uniform in [0, 1] (generic: no zero pixel, almost surely)."""
    return ctx.rng(stream).random((n, d))
