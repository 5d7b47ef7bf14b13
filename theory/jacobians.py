r"""Input-Jacobians of a black-box map on row batches, by central differences, with an error bound.

For ``f: R^d -> R^d`` given only as a callable on row batches ``(m, d) -> (m, d)``,

    ``J(x) e_j ~ (f(x + h e_j) - f(x - h e_j)) / (2 h)``,

whose error is ``h^2 |f'''| / 6`` (truncation) plus ``eps |f| / h`` (rounding of f's values).  The
step ``h = eps^(1/3) max(1, |x|_inf)`` balances the two (both ``O(eps^(2/3))``, about 4e-11 in
float64).  The bound returned is measured, not assumed: the same differences at ``2 h`` have a
truncation error four times as large, so ``|D(2h) - D(h)| / 3`` estimates ``D(h)``'s truncation
error (Richardson), and ``eps |f|_inf / h`` its rounding error; their sum bounds each entry.

A piecewise-linear map (ReLU networks) has ``f''' = 0`` away from its kinks, so there the bound is
the rounding term alone; a difference that straddles a kink is caught by the Richardson term.
"""

from __future__ import annotations

from dataclasses import dataclass

from .common import array_namespace
from .errors import InputError

__all__ = ["FDJacobian", "fd_jacobian", "fd_jvp"]


@dataclass(frozen=True)
class FDJacobian:
    """``J`` (m, d, d) at the rows of ``X``, the step ``h`` per row, and ``error``: a bound on the
    absolute error of each entry, per row (its largest over the row's entries)."""

    J: object
    h: list
    error: list


def _steps(xp, X) -> list:
    eps = float(xp.finfo(X.dtype).eps)
    return [eps ** (1.0 / 3.0) * max(1.0, float(xp.max(xp.abs(X[i, :])))) for i in range(X.shape[0])]


def _differences(f, xp, x, h: float):
    d = x.shape[0]
    E = xp.eye(d, dtype=x.dtype)
    plus, minus = f(x[None, :] + h * E), f(x[None, :] - h * E)  # row j: f(x +- h e_j)
    if plus.shape != (d, d):
        raise InputError(f"the map returned shape {tuple(plus.shape)} for a batch of {d} inputs of {d} values; "
                         "it must map (m, d) rows to (m, d) rows")
    return xp.permute_dims((plus - minus) / (2.0 * h), (1, 0)), plus, minus  # column j: J e_j


def fd_jacobian(f, X) -> FDJacobian:
    """Central-difference Jacobians of ``f`` at the rows of ``X`` (m, d), with a measured error
    bound per row (module docstring).  ``f`` is called on batches of ``d`` rows, twice per scale."""
    xp = array_namespace(X)
    if X.ndim != 2:
        raise InputError(f"X must be 2-D (m, d), got {X.ndim}-D")
    eps = float(xp.finfo(X.dtype).eps)
    Js, errs = [], []
    hs = _steps(xp, X)
    for i in range(X.shape[0]):
        x, h = X[i, :], hs[i]
        D1, plus, minus = _differences(f, xp, x, h)
        D2, _, _ = _differences(f, xp, x, 2.0 * h)
        scale = max(float(xp.max(xp.abs(plus))), float(xp.max(xp.abs(minus))), 1e-300)
        errs.append(float(xp.max(xp.abs(D2 - D1))) / 3.0 + eps * scale / h)
        Js.append(D1)
    return FDJacobian(xp.stack(Js, axis=0), hs, errs)


def fd_jvp(f, x, V, h: float | None = None):
    """``J(x) V`` for directions ``V`` (d, k) by central differences along each column (matrix-free:
    ``2 k`` evaluations of ``f`` on one batch, no d x d matrix); ``h`` scales with ``|V|``."""
    xp = array_namespace(x, V)
    eps = float(xp.finfo(x.dtype).eps)
    norms = xp.sqrt(xp.sum(V * V, axis=0))
    base = eps ** (1.0 / 3.0) * max(1.0, float(xp.max(xp.abs(x)))) if h is None else float(h)
    safe = xp.where(norms > 0, norms, xp.ones_like(norms))
    U = V / safe[None, :]
    P = xp.permute_dims(U, (1, 0))  # (k, d)
    out = (f(x[None, :] + base * P) - f(x[None, :] - base * P)) / (2.0 * base)
    return xp.permute_dims(out, (1, 0)) * norms[None, :]
