r"""Nonlinear single-layer autoencoder ``f(x) = phi(A x)`` (paper Section 2, Theorem 1, Appendix B).

Row convention as in :mod:`theory.linear`: ``X`` is (n, d), outputs are ``phi(X @ A.T)``.

* Pre-images ``Y = phi^{-1}(X)`` (element-wise; the minimum-norm pre-image for an injective phi).
* Theorem 1's limit: ``A* = Y X^+`` (columns), i.e. :func:`theory.linear.min_norm_solution` of
  ``A X = Y``, held factored.
* Loss (1): ``1/2 sum_i ||x_i - phi(A x_i)||^2``; its gradient in rows is
  ``((phi(Z) - X) * phi'(Z))^T X`` with ``Z = X A^T``.
* The proof's adaptive step ``eta_ij = gamma / |phi'(a_j x_i)|`` cancels ``phi'`` up to its sign:
  ``A <- A - gamma ((phi(Z) - X) * sign(phi'(Z)))^T X``.

Why the limit does not depend on the step rule (recorded by the claims): every update is a
combination of the ``x_i^T``, so from ``A = 0`` the iterate is ``A = C X^T``; if it interpolates
(``A X = Y`` in columns, loss 0) then ``C = Y (X^T X)^{-1}`` and ``A = Y X^+`` whatever the steps
were.  The adaptive step matters for the proof of convergence, not for the limit.
"""

from __future__ import annotations

import math

from . import linear_descent
from . import certificates
from . import linear as lin
from .activations import Activation, check_in_range, derivative_bounds
from .common import array_namespace, check_matrix, fro, sq_norm
from .descent import DescentResult, descend
from .errors import InputError

__all__ = [
    "apply",
    "closed_form",
    "default_step",
    "distance_bound",
    "forward",
    "monotone_path",
    "inverse_rounding",
    "gd_train",
    "loss",
    "phi_eigen",
    "phi_span_residual",
    "preimages",
    "steps_estimate",
]


def preimages(X, act: Activation):
    """``Y = phi^{-1}(X)``, after checking that ``X`` lies in phi's range and is not phi(0)
    everywhere (a zero target map, against which no relative error is defined)."""
    check_in_range(X, act)
    Y = act.inverse(X)
    xp = array_namespace(Y)
    if not bool(xp.any(Y != 0)):
        raise InputError(f"every entry of X is {act.name}(0) = {float(X[0, 0]):g} (to rounding), so the target map "
                         f"{act.name}^-1(X) X^+ is 0 and relative errors are undefined; use data away from {act.name}(0)")
    return Y


def closed_form(X, act: Activation, *, svd: lin.DataSVD | None = None) -> lin.FactoredMap:
    """Theorem 1's limit ``A* = phi^{-1}(X) X^+`` (paper's columns), factored as in :mod:`theory.linear`."""
    Y = preimages(X, act)
    return lin.min_norm_solution(X, Y, svd=svd)


def apply(A, Z):
    """Pre-activations ``Z A^T`` for rows ``Z``; ``A`` dense or a :class:`~theory.linear.FactoredMap`."""
    return A.apply(Z) if isinstance(A, lin.FactoredMap) else Z @ A.T


def forward(A, Z, act: Activation):
    """Outputs ``phi(A z)`` for row inputs ``Z`` (m, d); ``A`` dense or a :class:`~theory.linear.FactoredMap`."""
    return act(apply(A, Z))


def loss(A, X, act: Activation) -> float:
    """Loss (1): ``1/2 sum_i ||x_i - phi(A x_i)||^2``."""
    R = forward(A, X, act) - X
    xp = array_namespace(R)
    return 0.5 * float(xp.sum(R * R))


def default_step(X, act: Activation, *, adaptive: bool, svd: lin.DataSVD | None = None, factor: float = 1.0) -> float:
    """A step that keeps descent stable: ``factor / (lambda_max M)`` (adaptive) or ``factor / (lambda_max M^2)``.

    ``M = max |phi'|`` between 0 and the pre-images: near the solution the adaptive update moves
    the pre-activations like linear descent with step ``gamma |phi'|``, the constant-step update
    like linear descent with step ``eta phi'^2``; linear descent is stable below ``2/lambda_max``.
    """
    svd = lin.data_svd(X) if svd is None else svd
    _, M = derivative_bounds(act, preimages(X, act))
    return factor / (svd.s_max**2 * (M if adaptive else M * M))


def steps_estimate(X, act: Activation, *, step: float, adaptive: bool, reduction: float,
                   svd: lin.DataSVD | None = None) -> int:
    """Steps for descent to shrink its error by ``reduction``, from the slowest linearised rate.

    Near the solution the pre-activations move like linear descent with step ``gamma |phi'|``
    (adaptive) or ``eta phi'^2`` (constant); the slowest direction contracts by
    ``1 - step min|phi'|^p s_min^2`` (p = 1 or 2) per step.
    """
    svd = lin.data_svd(X) if svd is None else svd
    m, _ = derivative_bounds(act, preimages(X, act))
    rate = step * (m if adaptive else m * m) * svd.s_min**2
    if not 0.0 < rate < 1.0:
        return 1
    return int(math.ceil(math.log(reduction) / math.log1p(-rate)))


def gd_train(
    X,
    act: Activation,
    *,
    step: float,
    adaptive: bool,
    max_steps: int,
    loss_tol: float = 0.0,
    A0=None,
    checkpoints=(),
    record_every: int = 0,
    callback=None,
    factored: bool = False,
) -> DescentResult:
    """Explicit gradient descent on loss (1) from ``A0`` (default 0) with a constant or the adaptive step.

    ``factored=True`` holds ``A`` as ``A0 + M X`` (:func:`theory.linear_descent.row_space_descent`: the same
    iterates, no d x d matrix; ``A0`` may then be a :class:`~theory.linear.FactoredMap`) and returns
    :class:`~theory.linear.FactoredMap` parameters.

    Raises
    ------
    DivergenceError
        when the loss blows up, naming the step and the linearised stability limit.
    """
    xp = check_matrix(X, "X")
    check_in_range(X, act)
    if not (step > 0) or not math.isfinite(step):
        raise InputError(f"step must be a finite number > 0, got {step!r}")
    d = X.shape[1]
    if A0 is not None and tuple(A0.shape) != (d, d):
        raise InputError(f"A0 has shape {tuple(A0.shape)} but the model needs ({d}, {d})")

    sign = act.d1_sign if adaptive else None

    def outer(Z, T):
        """``E`` with gradient ``E^T X`` at pre-activations ``Z = X A^T`` (targets ``T``: X's columns), and loss (1).

        The adaptive step divides by ``|phi'|``, leaving ``sign(phi') R``; where ``phi'`` has one
        sign everywhere (:attr:`Activation.d1_sign`) that is ``+-R`` and ``phi'`` is not evaluated
        (it was most of a step's element-wise work, and it underflows to 0 far out, where the step
        would have stalled instead of following the rule)."""
        R = act(Z) - T
        if sign is not None:
            E = R if sign > 0 else -R
        else:
            g = act.d1(Z)
            E = R * (array_namespace(Z).sign(g) if adaptive else g)
        return E, 0.5 * sq_norm(R)

    G, smax2 = lin.gram(X) if factored else (None, lin.lambda_max(X))
    kind = "adaptive step gamma" if adaptive else "constant step eta"
    hint = (f"the {kind}={step:.4g} is too large (linearised limit 2/(lambda_max(X X^T) max|phi'|"
            f"{'' if adaptive else '^2'}) with lambda_max = {smax2:.4g}); use a smaller step")
    if factored:
        return linear_descent.row_space_descent(X, A0, X, outer, eta=step, max_steps=max_steps, loss_tol=loss_tol,
                                     checkpoints=checkpoints, callback=callback, divergence_hint=hint, G=G)
    A = xp.zeros((d, d), dtype=X.dtype) if A0 is None else (A0.dense() if isinstance(A0, lin.FactoredMap) else A0)

    def one_step(A):
        E, value = outer(X @ A.T, X)
        return A - step * (E.T @ X), value

    return descend(A, one_step, max_steps=max_steps, loss_tol=loss_tol, loss=lambda A: loss(A, X, act),
                   checkpoints=checkpoints, record_every=record_every, callback=callback, divergence_hint=hint)


def distance_bound(A, X, act: Activation, svd: lin.DataSVD) -> float:
    """Certified bound on ``||A - A*||_F`` for an iterate whose rows lie in the span of the examples.

    ``A - A*`` has rows in span(X) (true for descent from 0 with either step rule), and
    ``(A - A*) X^T = Z - Y`` with ``Z = X A^T`` (columns), so ``||A - A*||_F <= ||Z - Y||_F / s_min``
    (:func:`theory.certificates.gd_error_bound` with the pre-image residual).
    """
    R = apply(A, X) - preimages(X, act)
    return certificates.gd_error_bound(0.5 * fro(R) ** 2, svd)


def phi_eigen(A, U, act: Activation):
    """phi-eigenvalues and residuals of the rows ``u`` of ``U``: ``phi(A u) ~ lambda u``.

    ``lambda = <phi(A u), u> / <u, u>`` (least squares) and the residual is
    ``||phi(A u) - lambda u|| / ||u||``.  Returns ``(lambdas, residuals)``, arrays of length m.
    """
    xp = array_namespace(U)
    F = forward(A, U, act)
    uu = xp.sum(U * U, axis=1)
    lam = xp.sum(F * U, axis=1) / uu
    R = F - lam[:, None] * U
    return lam, xp.sqrt(xp.sum(R * R, axis=1) / uu)


def phi_span_residual(A, Z, X, act: Activation):
    """Relative distance of ``phi^{-1}(f(z))`` from span of ``Y = phi^{-1}(X)``, per row of ``Z``.

    ``f(z)`` lies in the phi-span of the training set iff ``phi^{-1}(f(z))`` lies in the linear
    span of the pre-images ``y_i``.  Returns an array of length m (0 for exact membership).
    """
    xp = array_namespace(Z)
    F = forward(A, Z, act)
    check_in_range(F, act, "f(Z)")
    P = act.inverse(F)
    basis = lin.data_svd(preimages(X, act)).V
    R = lin.out_of_span(P, basis)
    return xp.sqrt(xp.sum(R * R, axis=1) / xp.sum(P * P, axis=1))


def inverse_rounding(F, act: Activation, unit_roundoff: float):
    """Per-row bound on the error of ``phi^{-1}`` applied to rounded values ``F``.

    Rounding ``F`` to ``F (1 + u)`` moves ``phi^{-1}(F)`` by ``u |F| / |phi'(phi^{-1}(F))|``
    to first order; returns the row norms of that (length m).
    """
    xp = array_namespace(F)
    W = act.inverse(F)
    E = unit_roundoff * xp.abs(F) / xp.abs(act.d1(W))
    return xp.sqrt(xp.sum(E * E, axis=1))


def monotone_path(path, limit, *, tol: float) -> dict:
    """Does a descent path approach ``limit`` coordinate-wise monotonically from 0?  (The proof of
    Theorem 1, Appendix B: the entries of each row increase monotonically to a least upper bound,
    phi^{-1}(X) X^+.)  ``path`` stacks the iterates ``A_0, ..., A_T`` (or the same rows of each),
    ``limit`` the matching rows of ``A*``.  An increment ``A_{t+1} - A_t`` against ``sign(A*)`` by more
    than ``tol`` is a step back; an entry beyond ``A*`` (same sign, larger by more than ``tol``) an
    overshoot.  Returns the counts, their shares and the largest of each."""
    xp = array_namespace(path, limit)
    if path.ndim != limit.ndim + 1 or tuple(path.shape[1:]) != tuple(limit.shape) or path.shape[0] < 2:
        raise InputError(f"monotone_path needs at least 2 iterates of the limit's shape {tuple(limit.shape)}, got "
                         f"{tuple(path.shape)}")
    sign = xp.sign(limit)
    back = -(path[1:, ...] - path[:-1, ...]) * sign
    over = path * sign - xp.abs(limit)
    n_back, n_over = int(xp.sum(xp.astype(back > tol, xp.int64))), int(xp.sum(xp.astype(over > tol, xp.int64)))
    return {"steps_back": n_back, "share_back": n_back / int(math.prod(back.shape)), "largest_step_back": float(xp.max(back)),
            "overshoots": n_over, "share_over": n_over / int(math.prod(over.shape)), "largest_overshoot": float(xp.max(over))}
