"""Pieces shared by the claim modules: iterating a claim's data sets, common hypothesis checks."""

from __future__ import annotations


def named_sets(data, ctx):
    """Yield ``(name, X)``: the user's ``data["X"]`` as ``"user"``, else each of ``data["sets"]`` on the run's backend."""
    if "X" in data:
        yield "user", data["X"]
    else:
        for name, X in data["sets"].items():
            yield name, ctx.asarray(X)


def shape_violations(X, svd) -> list:
    """The paper's standing hypotheses on a training set: n < d examples (overparameterized) and rank n."""
    n, d = X.shape
    out = []
    if n >= d:
        out.append(f"n = {n} examples >= d = {d} features: not overparameterized")
    if svd.rank < n:
        out.append(f"X has rank {svd.rank} < n = {n} (rank-deficient)")
    return out
