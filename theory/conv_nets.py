r"""Linear convolutional autoencoders as networks, and their training (paper Section 4, Tables 1-2,
Appendices F-G).

A :class:`LinearConvNet` is a list of layer matrices, each ``C_l = layouts[l].matrix(weights[l])``
(a convolution, :class:`theory.conv.ConvLayout`) or a fixed matrix (nearest-neighbour upsampling),
optionally grouped into residual blocks ``h <- block(h) + h``.  The network is their product,
applied one layer at a time; its d x d operator is formed only on request (its spectrum shows
memorization: ``n`` eigenvalues near 1 and the rest small).

Training is full-batch descent on ``1/(2n) sum_i ||f(x_i) - x_i||^2`` through
:func:`theory.descent.descend`; the gradient of layer ``l`` is ``G_l H_{l-1}^T`` gathered on its
layout's fixed sparsity pattern (``dL/dW = sum over entries of G H^T``), with ``G_l`` the
back-propagated residual.  Stacks of one identical small convolution (Tables 1-2) share one
dense basis ``B`` (n_weights, d, d), so all layer matrices are one contraction ``W B`` and all
weight gradients another, ``sum (G_l H_{l-1}^T) : B`` (:func:`_uniform_gradients`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from array_api_compat import is_cupy_namespace, is_numpy_namespace

from . import layers
from .common import array_namespace, sq_norm
from .conv import ConvLayout, upsample_matrix
from .errors import InputError

__all__ = ["FixedOperator", "LinearConvNet", "conv_gradients", "descend_layers", "downsampling_net", "is_uniform", "linear_conv_net",
           "residual_blocks", "train"]


def residual_blocks(depth: int, every: int, *, stem: bool = False) -> dict:
    """The residual blocks of a ``depth``-layer stack with a skip connection every ``every`` layers:
    ``{block end (exclusive layer index): block start}``, a block's output being ``block(h) + h``.
    Without ``stem`` the blocks start at the input (a remainder of fewer than ``every`` layers at the
    end is plain); with ``stem`` the first and the last layer are plain, as ResNet's stem and head
    [12], and the blocks cover the layers between them.  ``every`` 0: no blocks."""
    if not every:
        return {}
    if int(every) != every or every < 1 or depth < 1:
        raise InputError(f"residual blocks need every >= 1 and depth >= 1, got {every!r} and {depth!r}")
    first, last = (1, depth - 1) if stem else (0, depth)
    return {start + every: start for start in range(first, last - every + 1, every)}

# ----------------------------------------------------------------------------- linear conv networks

@dataclass(frozen=True)
class LinearConvNet:
    """A linear convolutional network: layer l is ``C_l = layouts[l].matrix(weights[l])`` or, where
    ``layouts[l]`` is ``None``, the fixed matrix ``fixed[l]`` (e.g. upsampling).  With
    ``skip_every = B > 0`` the layers form residual blocks of B: ``h <- block(h) + h`` (the paper's
    "skip connection every 10 layers" for networks above 100 layers); a remainder of fewer than B
    layers is plain; with ``stem`` the first and last layers stay plain (:func:`residual_blocks`)."""

    layouts: tuple
    weights: tuple
    fixed: tuple
    skip_every: int = 0
    bases: tuple = ()   # per layer: the dense basis of C(W) (small layers) or None (sparse)
    stem: bool = False

    DENSE_LIMIT = 250_000  # n_weights x d_out x d_in up to which a layer uses a dense basis (Tables 1-2: 21,609)
    # d_out x d_in up to which a layer without a basis is assembled dense (one scatter) on NumPy and CuPy:
    # building a sparse matrix costs more than its products there (Figure 8's 64 x 64 layers)
    DENSE_SCATTER = 1 << 16

    @property
    def depth(self) -> int:
        return len(self.layouts)

    @property
    def n_params(self) -> int:
        return sum(int(math.prod(W.shape)) for W in self.weights if W is not None)

    def matrices(self) -> list:
        out = []
        for l, (lay, W, F) in enumerate(zip(self.layouts, self.weights, self.fixed)):
            if lay is None:
                out.append(F)
            elif self.bases and self.bases[l] is not None:
                xp = array_namespace(W)
                out.append(xp.tensordot(xp.reshape(W, (-1,)), self.bases[l], axes=1))
            else:
                xp = array_namespace(W)
                small = math.prod(lay.shape) <= self.DENSE_SCATTER and (is_numpy_namespace(xp) or is_cupy_namespace(xp))
                out.append(lay.matrix(W, dense=small))
        return out

    def weight_gradient(self, l: int, G, H):
        """``dL/dW_l`` given ``dL/dC_l = G H^T``."""
        if self.bases and self.bases[l] is not None:
            xp = array_namespace(G, H)
            g = xp.tensordot(self.bases[l], G @ H.T, axes=([1, 2], [0, 1]))
            return xp.reshape(g, self.weights[l].shape)
        return self.layouts[l].weight_gradient(G, H)

    def with_weights(self, weights) -> "LinearConvNet":
        return LinearConvNet(self.layouts, tuple(weights), self.fixed, self.skip_every, self.bases, self.stem)

    @classmethod
    def create(cls, layouts, weights, fixed=None, skip_every: int = 0, stem: bool = False) -> "LinearConvNet":
        """A network with dense bases for the layers small enough (``DENSE_LIMIT``)."""
        fixed = (None,) * len(layouts) if fixed is None else tuple(fixed)
        bases = []
        for lay, W in zip(layouts, weights):
            if lay is None:
                bases.append(None)
                continue
            small = lay is not None and lay.n_weights * lay.shape[0] * lay.shape[1] <= cls.DENSE_LIMIT
            bases.append(lay.dense_basis(array_namespace(W), W.dtype) if small else None)
        return cls(tuple(layouts), tuple(weights), fixed, skip_every, tuple(bases), stem)

    @property
    def blocks(self) -> dict:
        """``{block end (exclusive layer index): block start}`` (:func:`residual_blocks`)."""
        return residual_blocks(self.depth, self.skip_every, stem=self.stem)

    def forward(self, H, Cs=None):
        """Activations ``[H_0, ..., H_L]`` for inputs ``H`` (d, m) (columns are examples); ``Cs``: the
        layers' matrices when the caller has them."""
        Cs, skips, Hs = self.matrices() if Cs is None else Cs, self.blocks, [H]
        for l, C in enumerate(Cs):
            Z = C @ Hs[-1]
            if l + 1 in skips:
                Z = Z + Hs[skips[l + 1]]
            Hs.append(Z)
        return Hs

    def __call__(self, X):
        """The network on the rows of ``X`` (m, d): rows out, as every model family's (the layer
        products themselves run on columns, :meth:`forward`)."""
        return self.forward(X.T)[-1].T

    @property
    def n_params_by_layer(self) -> list:
        return [0 if W is None else int(math.prod(W.shape)) for W in self.weights]

    def operator(self):
        """The end-to-end d x d operator (dense): the network applied to the identity."""
        xp = array_namespace(*[W for W in self.weights if W is not None])
        d = self.layouts[0].shape[1] if self.layouts[0] is not None else self.fixed[0].shape[1]
        return self.forward(xp.eye(d, dtype=xp.float64))[-1]  # its columns are the images of e_j (sparse @ dense is dense)


@dataclass(frozen=True)
class FixedOperator:
    """A stand-in for a trained linear network whose end-to-end operator is the matrix ``A``
    (``x -> A x``; called on rows, as every model): a negative control's, or a test's."""

    A: object
    n_params: int = 0
    depth: int = 0

    def __call__(self, X):
        return X @ self.A.T

    def operator(self):
        return self.A


def linear_conv_net(size, depth: int, *, k: int = 3, filters: int = 1, channels: int = 1, scale: float = 1e-2,
                    scheme: str = "near_zero", skip_every: int = 0, stem: bool = False, rng=None, xp=None,
                    dtype=None) -> LinearConvNet:
    """``depth`` stride-1 'same' convolutions (``channels -> filters -> ... -> channels``), weights
    ``scale * N(0, 1) / sqrt(fan_in)`` (``near_zero``), PyTorch's default ``U(+-1/sqrt(fan_in))``
    (``pytorch``), Xavier's uniform ``U(+-sqrt(6 / (fan_in + fan_out)))`` (``xavier``) or
    Kaiming's normal ``N(0, 2 / fan_in)`` (``kaiming``), ``fan_in = c_in k^2``,
    ``fan_out = c_out k^2``; biases are left out (the paper's networks are linear).  ``skip_every``
    and ``stem``: residual blocks (:func:`residual_blocks`)."""
    if xp is None:
        import array_api_compat.numpy as xp
    if depth < 1 or filters < 1 or channels < 1:
        raise InputError(f"depth, filters and channels must be >= 1, got {depth}, {filters}, {channels}")
    layers.check_scheme(scheme)
    if skip_every and filters != channels:
        raise InputError(f"skip connections add a block's input to its output: they need filters == channels, got {filters} and {channels}")
    rng = np.random.default_rng(rng)
    chans = [channels] + [filters] * (depth - 1) + [channels]
    layouts, weights = [], []
    for c_in, c_out in zip(chans[:-1], chans[1:]):
        lay = ConvLayout.build(size, k, c_in=c_in, c_out=c_out)
        W = _conv_init(rng, scheme, scale, (c_out, c_in, k, k))
        layouts.append(lay)
        weights.append(xp.asarray(W) if dtype is None else xp.asarray(W, dtype=dtype))
    return LinearConvNet.create(layouts, weights, skip_every=skip_every, stem=stem)


CONV_SCHEMES = layers.SCHEMES


def _conv_init(rng, scheme: str, scale: float, shape):
    """One convolution's weights ``(c_out, c_in, k, k)`` drawn by ``scheme`` (:func:`theory.layers.init_weights`,
    ``fan_in = c_in k^2``, ``fan_out = c_out k^2``)."""
    c_out, c_in, k, _ = shape
    return layers.init_weights(rng, scheme, shape, c_in * k * k, c_out * k * k, scale)


def conv_gradients(net: LinearConvNet, X):
    """``(loss, [dW_l])`` for ``L = 1/(2n) ||f(X) - X||_F^2`` with ``X`` (d, n) (columns are
    examples), by backpropagation through the layers' matrices and the skips."""
    Cs = net.matrices()
    Hs = net.forward(X, Cs)
    n = X.shape[1]
    R = Hs[-1] - X
    value = 0.5 * sq_norm(R) / n
    skips = net.blocks
    into = {start: end for end, start in skips.items()}
    G, at_end, grads = R / n, {}, [None] * net.depth
    for l in range(net.depth - 1, -1, -1):
        if l + 1 in skips:
            at_end[l + 1] = G
        if net.layouts[l] is not None:
            grads[l] = net.weight_gradient(l, G, Hs[l])
        G = Cs[l].T @ G
        if l in into:
            G = G + at_end[into[l]]
    return value, grads


def train(net: LinearConvNet, X, *, optimizer: str = "adam", lr: float = 1e-3, max_steps: int,
                      loss_tol: float = 0.0, adam_eps: float | None = None, checkpoints=(), schedule=None,
                      finish_iter: int = 0, levels=()):
    """Full-batch training of a linear convolutional autoencoder on ``X`` (n, d) (rows are
    examples, as everywhere in ``theory/``) through :func:`theory.descent.descend`, then at most
    ``finish_iter`` L-BFGS iterations where it stopped above ``loss_tol``; ``schedule``,
    ``adam_eps`` and ``levels`` as for :func:`theory.deep_fc.train`.  ``result.params[0]`` is the
    trained :class:`LinearConvNet`."""
    from .common import check_matrix
    from .descent import optimizer as make_optimizer

    check_matrix(X, "X")
    d = net.layouts[0].shape[1] if net.layouts[0] is not None else net.fixed[0].shape[1]
    if X.shape[1] != d:
        raise InputError(f"X has {X.shape[1]} features but the network takes images of {d} values")
    opt = make_optimizer(optimizer, lr, eps=adam_eps, schedule=schedule)
    XT = X.T
    run = dict(max_steps=max_steps, loss_tol=loss_tol, checkpoints=checkpoints, lr=lr, optimizer=optimizer,
               finish_iter=finish_iter, levels=levels)
    if is_uniform(net):
        return _train_uniform(net, XT, opt, **run)
    return descend_layers(net, lambda n: n.weights, lambda n, Ws: n.with_weights(Ws),
                          lambda n: conv_gradients(n, XT), opt, **run)


def descend_layers(model, weights_of, with_weights, gradients, opt, *, max_steps: int, loss_tol: float,
                   checkpoints, lr: float, optimizer: str, finish_iter: int = 0, levels=()):
    """:func:`theory.descent.descend` over the trainable layers of a layered model (those whose
    weight is not ``None``; fixed layers stay): ``weights_of(m)`` lists a model's weights,
    ``with_weights(m, Ws)`` rebuilds it, ``gradients(m) -> (loss, [dW_l])``; then the finishing
    phase (:func:`theory.finishing.finish_descent`).  Shared by the linear and the nonlinear
    convolutional trainers; ``result.params[0]`` is the trained model."""
    from .descent import descend
    from .finishing import Levels, finish_descent

    start = list(weights_of(model))
    trainable = [l for l, W in enumerate(start) if W is not None]

    def rebuild(ps):
        Ws = list(start)
        for l, W in zip(trainable, ps):
            Ws[l] = W
        return with_weights(model, Ws)

    def step(params):
        current, state = params
        value, grads = gradients(current)
        now = weights_of(current)
        new, state = opt.update([now[l] for l in trainable], [grads[l] for l in trainable], state, loss=value)
        return (rebuild(new), state), value

    track = Levels(levels) if levels else None
    res = descend((model, opt.init([start[l] for l in trainable])), step, max_steps=max_steps,
                  loss_tol=loss_tol, loss=lambda params: gradients(params[0])[0], checkpoints=checkpoints,
                  callback=None if track is None else (lambda t, v, params: track.seen(t, v, params[0])),
                  divergence_hint=f"the learning rate {lr:g} is too large for {optimizer}; lower it")
    if track is not None:
        track.seen(res.steps, res.loss, res.params[0])
        res.levels = dict(track.reached)
    return finish_descent(res, weights=lambda m: list(weights_of(m)), rebuild=lambda m, Ws: with_weights(m, Ws),
                          value_and_grads=gradients, loss_tol=loss_tol, max_iter=finish_iter, levels=track)


def is_uniform(net: LinearConvNet) -> bool:
    """Every layer the same small convolution (the single-filter stacks of Tables 1 and 2)."""
    return (bool(net.bases) and all(b is not None for b in net.bases) and all(l is not None for l in net.layouts)
            and len({lay.key for lay in net.layouts}) == 1)


def _uniform_gradients(Ws, B, skips, into, XT):
    """:func:`conv_gradients` for a uniform stack with weights ``Ws`` (L, n_weights): the layer
    matrices in one contraction, the weight gradients in another."""
    xp = array_namespace(Ws, XT)
    Cs = xp.tensordot(Ws, B, axes=1)  # (L, d, d)
    L = Ws.shape[0]
    Hs = [XT]
    for l in range(L):
        Z = Cs[l, ...] @ Hs[-1]
        if l + 1 in skips:
            Z = Z + Hs[skips[l + 1]]
        Hs.append(Z)
    R = Hs[-1] - XT
    n = XT.shape[1]
    value = 0.5 * sq_norm(R) / n
    G, at_end, GH = R / n, {}, [None] * L
    for l in range(L - 1, -1, -1):
        if l + 1 in skips:
            at_end[l + 1] = G
        GH[l] = G @ Hs[l].T
        G = Cs[l, ...].T @ G
        if l in into:
            G = G + at_end[into[l]]
    return value, xp.tensordot(xp.stack(GH), B, axes=([1, 2], [1, 2]))


def _train_uniform(net, XT, opt, *, max_steps, loss_tol, checkpoints, lr, optimizer, finish_iter=0, levels=()):
    from .descent import descend
    from .finishing import Levels, finish_descent

    xp = array_namespace(XT)
    B = net.bases[0]
    shape = net.weights[0].shape
    skips = net.blocks
    into = {start: end for end, start in skips.items()}
    W0 = xp.stack([xp.reshape(W, (-1,)) for W in net.weights])

    def step(params):
        Ws, state = params
        value, g = _uniform_gradients(Ws, B, skips, into, XT)
        new, state = opt.update([Ws], [g], state, loss=value)
        return (new[0], state), value

    def as_net(Ws):
        return net.with_weights([xp.reshape(Ws[l, ...], shape) for l in range(Ws.shape[0])])

    track = Levels(levels) if levels else None
    res = descend((W0, opt.init([W0])), step, max_steps=max_steps, loss_tol=loss_tol,
                  loss=lambda p: _uniform_gradients(p[0], B, skips, into, XT)[0], checkpoints=checkpoints,
                  callback=None if track is None else (lambda t, v, params: track.seen(t, v, params[0], as_net)),
                  divergence_hint=f"the learning rate {lr:g} is too large for {optimizer}; lower it")
    if track is not None:
        track.seen(res.steps, res.loss, res.params[0], as_net)
    res.params = (as_net(res.params[0]), res.params[1])
    res.checkpoints = {t: (as_net(p[0]), p[1]) for t, p in res.checkpoints.items()}
    if track is not None:
        res.levels = dict(track.reached)

    def stacked(n):
        return [xp.stack([xp.reshape(W, (-1,)) for W in n.weights])]

    return finish_descent(res, weights=stacked, rebuild=lambda n, ps: as_net(ps[0]),
                          value_and_grads=lambda n: (lambda v, g: (v, [g]))(*_uniform_gradients(stacked(n)[0], B, skips, into, XT)),
                          loss_tol=loss_tol, max_iter=finish_iter, levels=track)


def downsampling_net(s: int, *, channels: int = 3, width: int = 8, scheme: str = "pytorch", scale: float = 1.0,
                     bottleneck: int = 1, mid_layers: int = 0, rng=None, xp=None, dtype=None) -> LinearConvNet:
    """Appendix G's kind of network, linear: strided convolutions (kernel 4, stride 2, padding 1)
    halve an ``s x s x channels`` image down to ``bottleneck x bottleneck x width`` (Appendix G's
    first network: 1 x 1), then ``mid_layers`` 3 x 3 convolutions (padding 1, ``width`` filters)
    at that size (its Figure 8: 29 at 4 x 4), then nearest-neighbour upsampling by 2 and a 3 x 3
    convolution (padding 1) per level bring it back to ``s x s x channels``; ``s`` and
    ``bottleneck`` must be powers of 2 with ``bottleneck < s``.  Initialisation as
    :func:`linear_conv_net` (any of ``CONV_SCHEMES``)."""
    if xp is None:
        import array_api_compat.numpy as xp
    if s < 2 or s & (s - 1):
        raise InputError(f"the downsampling network needs a power-of-2 image side >= 2, got {s}")
    if bottleneck < 1 or bottleneck & (bottleneck - 1) or bottleneck >= s:
        raise InputError(f"the bottleneck side must be a power of 2 below the image side {s}, got {bottleneck}")
    if mid_layers < 0:
        raise InputError(f"mid_layers must be >= 0, got {mid_layers}")
    layers.check_scheme(scheme)
    rng = np.random.default_rng(rng)
    layouts, weights, fixed = [], [], []

    def add_conv(size, c_in, c_out, k, stride, padding):
        lay = ConvLayout.build(size, k, stride=stride, padding=padding, c_in=c_in, c_out=c_out)
        W = _conv_init(rng, scheme, scale, (c_out, c_in, k, k))
        layouts.append(lay)
        weights.append(xp.asarray(W) if dtype is None else xp.asarray(W, dtype=dtype))
        fixed.append(None)

    size, c = s, channels
    while size > bottleneck:
        add_conv(size, c, width, 4, 2, 1)
        size, c = size // 2, width
    for _ in range(mid_layers):
        add_conv(size, width, width, 3, 1, 1)
    while size < s:
        layouts.append(None)
        weights.append(None)
        fixed.append(upsample_matrix(size, 2, channels=c, xp=xp, dtype=dtype))
        size *= 2
        add_conv(size, c, channels if size == s else width, 3, 1, 1)
        c = channels if size == s else width
    return LinearConvNet.create(layouts, weights, fixed)
