r"""Two-layer ReLU autoencoder with a fixed random first layer (paper Section 3.3, Theorem 3, Appendix C).

Model ``f(x) = W2 relu(W1 x + b1)``: ``W1`` (k, d) fixed with i.i.d. zero-mean entries of variance
``sigma^2`` (``b1 = 0`` in the paper; a fixed random ``b1`` is a separate variant); only ``W2``
(d, k) is trained, by gradient descent from 0, so ``W2 = X Phi^+`` (paper's columns).

Rows: ``Pre = X W1^T + b1`` (n, k), ``Phi = relu(Pre)``, ``G = Phi Phi^T`` (n, n) and
``W2 = X^T C`` with ``C = G^{-1} Phi`` (n, k): nothing k x k or d x d is formed.

Jacobian at x: ``J(x) = W2 diag(1[W1 x + b1 > 0]) W1 = X^T B(x)`` with ``B(x) = (C * mask(x)) W1``
(n, d); its non-zero eigenvalues are those of the n x n matrix ``B(x) X^T`` (``eig(AB) = eig(BA)``
away from 0), and ``trace J(x) = trace(B(x) X^T)``.

**Why Theorem 3 fails for ``b1 = 0``** (pinned by the tests): ``relu`` is positively homogeneous,
so ``f(c x) = c f(x)`` for ``c > 0`` and, by Euler's identity, ``J(x) x = f(x)``.  At a training
example ``f(x_m) = x_m``, hence ``J(x_m) x_m = x_m``: eigenvalue exactly 1 at every width k, and
every point ``c x_m`` of the ray is a fixed point.  The spectral radius is therefore >= 1, and
Theorem 2's strict criterion can never make ``x_m`` an attractor (nor is it one: ``1.01 x_m``
stays put).  This holds with or without Appendix C's assumption (b).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import linear as lin
from .common import array_namespace, check_matrix
from .errors import InputError

__all__ = ["LAWS", "TwoLayer", "appendix_c_limit", "feature_cosines", "features_cond", "first_layer", "fit", "jacobian_dense",
           "jacobian_spectrum", "jacobian_times", "predict"]

LAWS = ("gaussian", "rademacher", "uniform")


def first_layer(d: int, k: int, *, law: str = "gaussian", sigma: float = 1.0, bias: bool = False, rng=None, xp=None,
                dtype=None):
    """Fixed random ``W1`` (k, d) with i.i.d. zero-mean entries of variance ``sigma^2`` (and ``b1`` or ``None``).

    Laws: ``gaussian``; ``rademacher`` (+-sigma); ``uniform`` (on +-sigma sqrt(3)).  The bias of
    the variant is drawn from the same law.
    """
    if law not in LAWS:
        raise InputError(f"unknown law {law!r}; choose one of {', '.join(LAWS)}")
    if k < 1 or d < 1:
        raise InputError(f"need k >= 1 and d >= 1, got k={k}, d={d}")
    rng = np.random.default_rng(rng)
    if xp is None:
        import array_api_compat.numpy as xp

    def draw(shape):
        """Filled and scaled in place: one k x d float array and no float temporaries (k = 10^6, d = 784
        is 6.3 GB in float64; the Rademacher signs pass through an int8 array of 1/8 of that)."""
        W = np.empty(shape)
        if law == "gaussian":
            rng.standard_normal(out=W)
            W *= sigma
        elif law == "rademacher":
            np.multiply(rng.integers(0, 2, size=shape, dtype=np.int8), 2.0 * sigma, out=W)
            W -= sigma
        else:
            rng.random(out=W)  # uniform on [-1, 1) is 2 r - 1, then the scale sigma sqrt(3)
            W *= 2.0
            W -= 1.0
            W *= sigma * math.sqrt(3.0)
        return W

    dtype = xp.float64 if dtype is None else dtype
    W1 = xp.asarray(draw((k, d)), dtype=dtype)
    return W1, (xp.asarray(draw(k), dtype=dtype) if bias else None)


@dataclass(frozen=True)
class TwoLayer:
    """A fitted model: ``W1``, ``b1`` (or None), training rows ``X`` and ``C = G^{-1} Phi`` (``W2 = X^T C``)."""

    W1: object
    b1: object
    X: object
    C: object
    Pre: object  # X W1^T + b1 for the training rows, (n, k)

    @property
    def k(self) -> int:
        return self.W1.shape[0]

    def W2(self):
        """The trained last layer (d, k) (forms it)."""
        return self.X.T @ self.C

    def __call__(self, Z):
        return predict(self, Z)


def _pre(Z, W1, b1):
    P = Z @ W1.T
    return P if b1 is None else P + b1


def fit(X, W1, b1=None) -> TwoLayer:
    """The minimum-norm last layer ``W2 = X Phi^+`` (the limit of gradient descent from 0).

    Raises
    ------
    InputError
        for ``k < n`` or features of rank < n (then ``Phi Phi^T`` is singular).
    """
    xp = check_matrix(X, "X")
    check_matrix(W1, "W1")
    n, d = X.shape
    if W1.shape[1] != d:
        raise InputError(f"W1 has {W1.shape[1]} columns but the data have d = {d} features")
    if W1.shape[0] < n:
        raise InputError(f"width k = {W1.shape[0]} < n = {n} examples: the features cannot interpolate; use k >= n")
    Pre = _pre(X, W1, b1)
    Phi = xp.where(Pre > 0, Pre, xp.zeros_like(Pre))
    svd = lin.data_svd(Phi)
    if svd.rank < n:
        raise InputError(f"the features relu(W1 x) of the {n} examples have rank {svd.rank} < n; "
                         "use a wider layer or another seed")
    C = (svd.U / (svd.s * svd.s)) @ (svd.U.T @ Phi)  # (Phi Phi^T)^{-1} Phi, via the SVD
    return TwoLayer(W1, b1, X, C, Pre)


def predict(model: TwoLayer, Z):
    """``f(z) = W2 relu(W1 z + b1)`` for rows ``Z``."""
    xp = array_namespace(Z)
    P = _pre(Z, model.W1, model.b1)
    F = xp.where(P > 0, P, xp.zeros_like(P))
    return (F @ model.C.T) @ model.X


def _reduced(model: TwoLayer, z):
    """The n x n matrix ``B(z) X^T`` whose eigenvalues are J(z)'s non-zero ones; ``W1 X^T`` is the
    transpose of the training pre-activations less the bias (no k x d x n product per call)."""
    xp = array_namespace(z)
    mask = xp.astype(_pre(z[None, :], model.W1, model.b1)[0, :] > 0, z.dtype)
    W1Xt = (model.Pre if model.b1 is None else model.Pre - model.b1).T
    return (model.C * mask[None, :]) @ W1Xt


def jacobian_spectrum(model: TwoLayer, z):
    """Eigenvalue moduli of ``J(z)`` (non-zero part, decreasing) and ``trace J(z)``."""
    from gpu.fallbacks import eigvals

    xp = array_namespace(z)
    K = _reduced(model, z)
    return xp.abs(eigvals(K)), float(xp.sum(xp.linalg.diagonal(K)))


def jacobian_times(model: TwoLayer, Z, V):
    """``J(z_m) v_m`` for the rows of ``Z`` and ``V`` (m, d) at once, without a d x d or k x k matrix:
    ``J(z) v = X^T ((C * mask(z)) (W1 v))``, i.e. rows ``((V W1^T) * mask(Z)) C^T X``."""
    xp = array_namespace(Z)
    mask = xp.astype(_pre(Z, model.W1, model.b1) > 0, Z.dtype)
    return (((V @ model.W1.T) * mask) @ model.C.T) @ model.X


def features_cond(model: TwoLayer) -> float:
    """Condition number of the features ``Phi = relu(X W1^T + b1)`` (n x k) of the training rows."""
    xp = array_namespace(model.Pre)
    return lin.data_svd(xp.where(model.Pre > 0, model.Pre, xp.zeros_like(model.Pre))).cond


def jacobian_dense(model: TwoLayer, z):
    """``J(z)`` as a d x d matrix (forms it; for tests and small d)."""
    xp = array_namespace(z)
    mask = xp.astype(_pre(z[None, :], model.W1, model.b1)[0, :] > 0, z.dtype)
    return model.X.T @ ((model.C * mask[None, :]) @ model.W1)


def jacobian(model: TwoLayer, X):
    """Input-Jacobians ``J(x_i)`` at the rows of ``X``: an (m, d, d) stack (forms them; for tests and
    small d), as every model family's ``jacobian(model, X)`` returns."""
    xp = array_namespace(X)
    return xp.stack([jacobian_dense(model, X[i, :]) for i in range(X.shape[0])], axis=0)


def appendix_c_limit(model: TwoLayer, m: int) -> float:
    """The eigenvalue that Appendix C's argument gives at ``x_m``: its rank-one limit under assumption (b).

    Under (b) the features of other examples drop out, ``G`` is diagonal and the Jacobian at
    ``x_m`` is ``x_m (Phi_m * mask_m)^T W1 / ||Phi_m||^2``, rank one with eigenvalue (= trace)
    ``<Phi_m, mask_m * Pre_m> / ||Phi_m||^2``; since ``Phi_m = mask_m * Pre_m`` this is 1.
    Computed, not assumed, so that the report shows it next to the measured spectral radius.
    """
    xp = array_namespace(model.Pre)
    pre = model.Pre[m, :]
    mask = xp.astype(pre > 0, pre.dtype)
    phi = pre * mask
    return float(xp.sum(phi * (mask * pre)) / xp.sum(phi * phi))


def feature_cosines(model: TwoLayer):
    """Cosines between the feature vectors relu(W1 x_i + b1) of distinct examples (assumption (b) wants 0)."""
    xp = array_namespace(model.Pre)
    Phi = xp.where(model.Pre > 0, model.Pre, xp.zeros_like(model.Pre))
    nrm = xp.sqrt(xp.sum(Phi * Phi, axis=1))
    cos = (Phi @ Phi.T) / (nrm[:, None] * nrm[None, :])
    n = cos.shape[0]
    off = cos - xp.eye(n, dtype=cos.dtype) * cos
    return off
