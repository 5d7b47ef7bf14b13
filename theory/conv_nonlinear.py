r"""Nonlinear convolutional autoencoders (paper Section 4's Figure 5, Appendix H's Figures 9-10):
the layers of a :class:`theory.conv_nets.LinearConvNet` with a leaky ReLU after every layer but the
last.

With ``C_l`` the layer matrices (sparse convolutions, fixed upsamplings), ``phi`` the leaky ReLU
(slope ``a`` below 0) and ``h_0 = x``:

    ``z_l = C_l h_{l-1} + b_l``,  ``h_l = phi(z_l)`` for ``l < L``,  ``f(x) = z_L``,

with an optional bias ``b_l`` per output channel of each convolution (repeated over its pixels;
``biases=None``: none, the paper's Appendix H networks; ``dL/db_l`` sums ``g_l`` over pixels and
examples).  Without biases the network is positively homogeneous, ``J(x) x = f(x)``, so an
interpolated example has the eigenvalue 1 exactly and cannot be a strict attractor.

* loss ``1/(2n) sum_i ||f(x_i) - x_i||^2``; backpropagation ``g_L = r / n``,
  ``g_{l-1} = C_l^T (phi'(z_{l-1}) * g_{l-1}^{(h)})``, and ``dL/dC_l = g_l h_{l-1}^T`` gathered on
  the layer's pattern (:meth:`LinearConvNet.weight_gradient`);
* the input-Jacobian ``J(x) = C_L D_{L-1} C_{L-1} ... D_1 C_1`` with ``D_l = diag(phi'(z_l(x)))``,
  never formed: :func:`jvp` carries a direction forward (``u_l = D_l C_l u_{l-1}``), :func:`vjp`
  one backward, and :func:`spectral_radius` reads ``rho(J(x))`` from them matrix-free
  (``scipy.sparse.linalg.eigs`` on a ``LinearOperator``; a dense ``J`` from ``d`` products below
  ``DENSE_D``).  With ``a = 1`` the network is the linear one (tested).

Columns are examples here, as in :mod:`theory.conv_nets`; the public functions take rows ``X``
(n, d) as everywhere in ``theory/`` and transpose once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import layers
from .common import array_namespace, check_matrix, sq_norm
from .conv_nets import LinearConvNet, descend_layers
from .errors import InputError

__all__ = ["ConvAutoencoder", "gradients", "jacobian", "jacobian_at", "jvp", "loss", "spectral_radius", "train", "vjp"]

LEAKY_SLOPE = layers.LEAKY_SLOPE
DENSE_D = 256  # up to this input dimension the spectrum comes from the dense J (d Jacobian-vector products)


@dataclass(frozen=True)
class ConvAutoencoder:
    """A :class:`LinearConvNet`'s layers with a leaky ReLU of slope ``slope`` after each but the
    last, and optional per-channel biases (one ``(c_out,)`` array per convolution, ``None`` for a
    fixed layer)."""

    net: LinearConvNet
    slope: float = LEAKY_SLOPE
    biases: tuple | None = None

    def __post_init__(self):
        if self.net.skip_every:
            raise InputError("the nonlinear convolutional autoencoder has no skip connections; build the "
                             "LinearConvNet with skip_every=0")
        if not 0.0 <= self.slope <= 1.0:
            raise InputError(f"the leaky ReLU's slope must lie in [0, 1], got {self.slope!r}")
        if self.biases is not None:
            want = [None if lay is None else lay.c_out for lay in self.net.layouts]
            got = [None if b is None else tuple(b.shape) for b in self.biases]
            if len(got) != len(want) or any((w is None) != (g is None) or (g is not None and g != (w,))
                                            for w, g in zip(want, got)):
                raise InputError(f"biases must give one (c_out,) vector per convolution and None per fixed layer: "
                                 f"want channels {want}, got shapes {got}")

    @property
    def d(self) -> int:
        lay = self.net.layouts[0]
        return lay.shape[1] if lay is not None else self.net.fixed[0].shape[1]

    def with_weights(self, weights) -> "ConvAutoencoder":
        return ConvAutoencoder(self.net.with_weights(weights), self.slope, self.biases)

    def with_biases(self, biases) -> "ConvAutoencoder":
        return ConvAutoencoder(self.net, self.slope, None if biases is None else tuple(biases))

    @classmethod
    def zero_biases(cls, net: LinearConvNet, slope: float = LEAKY_SLOPE, *, xp=None, dtype=None) -> "ConvAutoencoder":
        """``net`` with a zero bias per output channel of each convolution."""
        W = next(W for W in net.weights if W is not None)
        xp = array_namespace(W) if xp is None else xp
        dt = W.dtype if dtype is None else dtype
        return cls(net, slope, tuple(None if lay is None else xp.zeros((lay.c_out,), dtype=dt) for lay in net.layouts))

    def __call__(self, X):
        """Outputs ``f(X)`` for rows ``X`` (n, d)."""
        xp = check_matrix(X, "X")
        return xp.permute_dims(_forward(self, xp.permute_dims(X, (1, 0)))[0][-1], (1, 0))


def _phi(xp, Z, a):
    return layers.leaky_relu(Z, a)


def _dphi(xp, Z, a):
    return layers.leaky_relu_derivative(Z, a)


def _forward(model: ConvAutoencoder, H):
    """``([h_0, ..., h_{L-1}, z_L], [z_1, ..., z_{L-1}], Cs)`` for columns ``H`` (d, m)."""
    xp = array_namespace(H)
    Cs = model.net.matrices()
    Hs, Zs = [H], []
    for l, C in enumerate(Cs):
        Z = C @ Hs[-1]
        b = None if model.biases is None else model.biases[l]
        if b is not None:  # one value per output channel, over that channel's block of pixels
            Z = Z + xp.reshape(xp.repeat(b, C.shape[0] // b.shape[0]), (-1, 1))
        if l < len(Cs) - 1:
            Zs.append(Z)
            Z = _phi(xp, Z, model.slope)
        Hs.append(Z)
    return Hs, Zs, Cs


def _check(model: ConvAutoencoder, X):
    xp = check_matrix(X, "X")
    if X.shape[1] != model.d:
        raise InputError(f"X has {X.shape[1]} features but the network takes images of {model.d} values")
    return xp


def loss(model: ConvAutoencoder, X) -> float:
    """``1/(2n) sum_i ||f(x_i) - x_i||^2`` for rows ``X``."""
    return gradients(model, X)[0]


def gradients(model: ConvAutoencoder, X):
    """``(loss, [dL/dW_l])`` by backpropagation (``None`` for fixed layers), then
    ``[dL/db_l]`` when the model has biases."""
    xp = _check(model, X)
    XT = xp.permute_dims(X, (1, 0))
    Hs, Zs, Cs = _forward(model, XT)
    n = X.shape[0]
    R = Hs[-1] - XT
    value = 0.5 * sq_norm(R) / n
    G, grads = R / n, [None] * len(Cs)
    bgrads = [None] * len(Cs)
    for l in range(len(Cs) - 1, -1, -1):
        if model.net.layouts[l] is not None:
            grads[l] = model.net.weight_gradient(l, G, Hs[l])
        if model.biases is not None and model.biases[l] is not None:
            c = model.biases[l].shape[0]
            bgrads[l] = xp.sum(xp.reshape(G, (c, -1)), axis=1)  # channel-major rows: a channel's pixels, all examples
        if l > 0:
            G = _dphi(xp, Zs[l - 1], model.slope) * (Cs[l].T @ G)
    return value, grads + (bgrads if model.biases is not None else [])


def jvp(model: ConvAutoencoder, x, V):
    """``J(x) V`` for one input ``x`` (d,) and directions ``V`` (d, m) (or (d,))."""
    xp = array_namespace(x, V)
    Hs, Zs, Cs = _forward(model, xp.reshape(x, (-1, 1)))
    U = V if V.ndim == 2 else xp.reshape(V, (-1, 1))
    for l, C in enumerate(Cs):
        U = C @ U
        if l < len(Cs) - 1:
            U = _dphi(xp, Zs[l], model.slope) * U
    return U if V.ndim == 2 else xp.reshape(U, (-1,))


def vjp(model: ConvAutoencoder, x, U):
    """``J(x)^T U`` for one input ``x`` (d,) and cotangents ``U`` (d, m) (or (d,))."""
    xp = array_namespace(x, U)
    Hs, Zs, Cs = _forward(model, xp.reshape(x, (-1, 1)))
    G = U if U.ndim == 2 else xp.reshape(U, (-1, 1))
    for l in range(len(Cs) - 1, -1, -1):
        G = Cs[l].T @ G
        if l > 0:
            G = _dphi(xp, Zs[l - 1], model.slope) * G
    return G if U.ndim == 2 else xp.reshape(G, (-1,))


def jacobian_at(model: ConvAutoencoder, x):
    """``J(x)`` (d, d) at one input ``x`` (d,), formed from ``d`` Jacobian-vector products (small images only)."""
    xp = array_namespace(x)
    return jvp(model, x, xp.eye(model.d, dtype=x.dtype))


def jacobian(model: ConvAutoencoder, X):
    """Input-Jacobians ``J(x_i)`` at the rows of ``X``: an (m, d, d) stack (small images only), as
    every model family's ``jacobian(model, X)`` returns."""
    xp = _check(model, X)
    return xp.stack([jacobian_at(model, X[i, :]) for i in range(X.shape[0])], axis=0)


def spectral_radius(model: ConvAutoencoder, X, *, tol: float = 1e-10) -> list:
    """``rho(J(x_i))`` for the rows of ``X``: the dense spectrum up to ``DENSE_D`` inputs, else the
    largest-modulus eigenvalue by ARPACK on the matrix-free Jacobian (host NumPy)."""
    _check(model, X)
    from gpu.host import to_numpy

    out = []
    for i in range(X.shape[0]):
        x = X[i, :]
        if model.d <= DENSE_D:
            out.append(float(np.max(np.abs(np.linalg.eigvals(to_numpy(jacobian_at(model, x)))))))
            continue
        from scipy.sparse.linalg import LinearOperator, eigs

        xp = array_namespace(x)
        op = LinearOperator((model.d, model.d), dtype=np.float64,
                            matvec=lambda v: to_numpy(jvp(model, x, xp.asarray(np.ravel(v), dtype=x.dtype))),
                            rmatvec=lambda u: to_numpy(vjp(model, x, xp.asarray(np.ravel(u), dtype=x.dtype))))
        vals = eigs(op, k=1, which="LM", tol=tol, return_eigenvectors=False, maxiter=20 * model.d)
        out.append(float(np.max(np.abs(vals))))
    return out


def train(model: ConvAutoencoder, X, *, optimizer: str = "adam", lr: float = 1e-3, max_steps: int,
          loss_tol: float = 0.0, adam_eps: float | None = None, checkpoints=(), schedule=None, finish_iter: int = 0,
          levels=()):
    """Full-batch training through :func:`theory.descent.descend` (GD or Adam, written out), then
    at most ``finish_iter`` L-BFGS iterations where it stopped above ``loss_tol``; ``schedule``,
    ``adam_eps`` and ``levels`` as for :func:`theory.deep_fc.train`.  ``result.params[0]`` is the
    trained :class:`ConvAutoencoder`."""
    from .descent import optimizer as make_optimizer

    _check(model, X)
    opt = make_optimizer(optimizer, lr, eps=adam_eps, schedule=schedule)
    L = len(model.net.weights)

    def weights_of(m):
        return list(m.net.weights) + (list(m.biases) if m.biases is not None else [])

    def rebuild(m, ps):
        m = m.with_weights(ps[:L])
        return m.with_biases(ps[L:]) if m.biases is not None else m

    return descend_layers(model, weights_of, rebuild, lambda m: gradients(m, X), opt, max_steps=max_steps, loss_tol=loss_tol,
                          checkpoints=checkpoints, lr=lr, optimizer=optimizer, finish_iter=finish_iter, levels=levels)
