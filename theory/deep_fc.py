r"""Deep fully connected autoencoders, written out: forward, backprop, input-Jacobian, Adam.

Row convention: inputs ``X`` (m, d); layer l computes ``Z_l = H_{l-1} W_l^T + b_l`` and
``H_l = phi_l(Z_l)`` with ``W_l`` of shape (out, in), ``H_0 = X``.

* loss ``L = 1/(2n) sum_i ||f(x_i) - y_i||^2`` (``y = x`` for an autoencoder);
* backprop: ``G_L = (H_L - Y)/n``; for l = L..1: ``G_z = G_l * phi_l'(Z_l)``,
  ``dW_l = G_z^T H_{l-1}``, ``db_l = sum_rows G_z``, ``G_{l-1} = G_z W_l``;
* input-Jacobian at x: ``J(x) = D_L W_L D_{L-1} W_{L-1} ... D_1 W_1`` with
  ``D_l = diag(phi_l'(z_l(x)))``, computed for a batch as an (m, d_out, d_in) stack.

Initialisers (``fan_in``/``fan_out`` of each W): ``near_zero`` (``scale * N(0,1)/sqrt(fan_in)``),
``xavier`` (uniform, bound ``sqrt(6/(fan_in+fan_out))``), ``kaiming`` (normal, std
``sqrt(2/fan_in)``), ``pytorch`` (``torch.nn.Linear``'s default: weights and biases uniform in
``+-1/sqrt(fan_in)``).  Biases are 0 except for ``pytorch``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from array_api_compat import is_jax_namespace, is_numpy_namespace

from gpu.kernels import blas_threads

from . import activations as _acts
from . import layers
from .common import array_namespace, check_matrix, sq_norm
from .descent import DescentResult, OuterGradient, descend
from .descent import optimizer as make_optimizer
from .errors import InputError
from .finishing import Levels, finish_descent

__all__ = ["LAYER_ACTIVATIONS", "Network", "backprop", "flat_params", "forward", "gradients", "identity_network", "two_point_attractor", "init_network", "jacobian", "loss", "param_count", "train", "with_params"]


def _relu(z):
    # one pass (where(z > 0, z, zeros) took three and a temporary); NaN stays NaN, so a diverging
    # network shows in its loss
    return array_namespace(z).maximum(z, 0.0)


def _relu_d(z):
    xp = array_namespace(z)
    return xp.astype(z > 0, z.dtype)


LEAKY_SLOPE = layers.LEAKY_SLOPE
# batches of at most this many rows train with one BLAS thread and Adam over the cores
SMALL_BATCH = 32


def _leaky(z):
    return layers.leaky_relu(z)


def _leaky_vjp(z, g):
    return layers.leaky_relu_vjp(z, g)


def _identity_vjp(z, g):
    return g  # g * 1, exactly


def _leaky_d(z):
    return layers.leaky_relu_derivative(z)


def _identity(z):
    return z


def _identity_d(z):
    return array_namespace(z).ones_like(z)


LAYER_ACTIVATIONS = {
    "relu": (_relu, _relu_d),
    "leaky_relu": (_leaky, _leaky_d),
    "tanh": (_acts.get("tanh").forward, _acts.get("tanh").d1),
    "sigmoid": (_acts.get("sigmoid").forward, _acts.get("sigmoid").d1),
    "identity": (_identity, _identity_d),
}
# backprop through a layer, ``g * phi'(z)``, where a cheaper exact form exists
LAYER_VJP = {"leaky_relu": _leaky_vjp, "identity": _identity_vjp}


def _vjp(name: str, z, g):
    fn = LAYER_VJP.get(name)
    return fn(z, g) if fn is not None else g * _layer(name)[1](z)


@dataclass(frozen=True)
class Network:
    """Weights ``W_l`` (out, in), biases ``b_l`` (out,) or ``None``, and one activation name per layer."""

    weights: tuple
    biases: tuple
    activations: tuple

    @property
    def widths(self) -> tuple:
        return (self.weights[0].shape[1],) + tuple(W.shape[0] for W in self.weights)

    @property
    def n_params(self) -> int:
        return sum(int(math.prod(W.shape)) for W in self.weights) + sum(
            int(b.shape[0]) for b in self.biases if b is not None)

    def __call__(self, X):
        return forward(self, X)[0]


def flat_params(net: Network) -> list:
    """The network's parameters as one list: its weights, then the biases it has."""
    return list(net.weights) + [b for b in net.biases if b is not None]


def with_params(net: Network, ps) -> Network:
    """``net`` with the parameters ``ps`` (in :func:`flat_params`' order) in place of its own."""
    k = len(net.weights)
    rest = iter(ps[k:])
    return Network(tuple(ps[:k]), tuple(None if b is None else next(rest) for b in net.biases), net.activations)


def param_count(widths) -> int:
    """The parameters of a fully connected network of layer ``widths`` ``(d, w_1, ..., d)`` with
    biases: ``sum_l (w_{l-1} w_l + w_l)``, the count :attr:`Network.n_params` gives for it."""
    widths = tuple(int(w) for w in widths)
    return sum(a * b + b for a, b in zip(widths[:-1], widths[1:]))


def _layer(name: str):
    try:
        return LAYER_ACTIVATIONS[name]
    except KeyError:
        raise InputError(f"unknown layer activation {name!r}; choose one of {', '.join(LAYER_ACTIVATIONS)}") from None


def init_network(widths, *, hidden: str = "relu", output: str = "identity", scheme: str = "near_zero",
                 scale: float = 1e-2, bias: bool = True, rng=None, xp=None, dtype=None) -> Network:
    """A network with layer widths ``widths = (d, h_1, ..., h_{L-1}, d_out)``.

    ``scheme`` is ``near_zero`` (with ``scale``), ``xavier``, ``kaiming`` or ``pytorch``; weights
    are drawn on the host from ``rng`` (seeded) and put on namespace ``xp`` (default NumPy).
    """
    widths = tuple(int(w) for w in widths)
    if len(widths) < 2 or min(widths) < 1:
        raise InputError(f"widths must list at least an input and an output size >= 1, got {widths}")
    layers.check_scheme(scheme)
    _layer(hidden), _layer(output)
    rng = np.random.default_rng(rng)
    if xp is None:
        import array_api_compat.numpy as xp
    weights, biases = [], []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        W = layers.init_weights(rng, scheme, (fan_out, fan_in), fan_in, fan_out, scale)
        b = layers.init_bias(rng, scheme, fan_in, fan_out) if bias else None
        weights.append(xp.asarray(W) if dtype is None else xp.asarray(W, dtype=dtype))
        biases.append(None if b is None else (xp.asarray(b) if dtype is None else xp.asarray(b, dtype=dtype)))
    acts = tuple([hidden] * (len(widths) - 2) + [output])
    return Network(tuple(weights), tuple(biases), acts)


def identity_network(d: int, depth: int, *, xp=None, dtype=None) -> Network:
    """``depth`` identity layers on R^d (identity activations, no biases): ``f(x) = x``.  Every point
    is a fixed point and ``J = I`` (spectral radius 1): it memorizes nothing by contraction."""
    if xp is None:
        import array_api_compat.numpy as xp
    if d < 1 or depth < 1:
        raise InputError(f"identity_network needs d >= 1 and depth >= 1, got {d}, {depth}")
    eye = xp.eye(d) if dtype is None else xp.eye(d, dtype=dtype)
    return Network(tuple([eye] * depth), tuple([None] * depth), tuple(["identity"] * depth))


def two_point_attractor(x1, x2, gain: float = 40.0) -> Network:
    """A 2-layer network with exactly known dynamics (a positive control for the contraction checks):
    ``f(x) = m + h tanh(c (u.x - u.m))`` with ``m = (x1 + x2)/2``, ``h = (x2 - x1)/2``,
    ``u = h/||h||^2`` (so ``u.x1 - u.m = -1``) and gain ``c``.

    ``f(x1) = m - h tanh(c)`` and ``f(x2) = m + h tanh(c)``: the examples are fixed points up to
    ``||h|| (1 - tanh c)`` (below 1e-34 relative for c = 40, i.e. exact in float64); the Jacobian
    there is ``c sech^2(c) h u^T``, of spectral radius ``c sech^2(c) ~ 4 c e^{-2c}`` (a
    superattractor).  A start at ``s = u.x - u.m`` lands on the segment at ``s' = tanh(c s)``: in one
    step on an example when ``|c s|`` is large, within a few steps from any ``s != 0``.
    """
    xp = array_namespace(x1, x2)
    if x1.shape != x2.shape or x1.ndim != 1:
        raise InputError(f"x1 and x2 must be vectors of one length, got shapes {x1.shape} and {x2.shape}")
    m, h = (x1 + x2) / 2, (x2 - x1) / 2
    hh = float(xp.sum(h * h))
    if hh == 0.0:
        raise InputError("x1 and x2 coincide; give two distinct training examples")
    u = h / hh
    W1 = gain * u[None, :]
    b1 = xp.reshape(-gain * xp.sum(u * m), (1,))
    return Network((W1, h[:, None]), (b1, m), ("tanh", "identity"))


def forward(net: Network, X):
    """Outputs ``f(X)`` (m, d_out) and the cache ``(H_0, ..., H_L), (Z_1, ..., Z_L)`` for backprop."""
    H, Hs, Zs = X, [X], []
    for W, b, name in zip(net.weights, net.biases, net.activations):
        Z = H @ W.T
        if b is not None:
            Z = Z + b
        H = _layer(name)[0](Z)
        Zs.append(Z)
        Hs.append(H)
    return H, (Hs, Zs)


def loss(net: Network, X, Y=None) -> float:
    """``1/(2n) sum_i ||f(x_i) - y_i||^2``."""
    R = net(X) - (X if Y is None else Y)
    return 0.5 * sq_norm(R) / X.shape[0]


def gradients(net: Network, X, Y=None, *, factored: bool = False):
    """``(loss, dW, db)`` by backpropagation (``db`` entries are ``None`` for bias-free layers).

    With ``factored`` each ``dW_l`` is the unevaluated product ``G_z^T H_{l-1}``
    (:class:`theory.descent.OuterGradient`), which Adam's fused loop forms as it updates."""
    R, dWs, dbs = backprop(net, X, Y, factored=factored)
    return 0.5 * sq_norm(R) / X.shape[0], dWs, dbs


def backprop(net: Network, X, Y=None, *, factored: bool = False):
    """``(R, dW, db)``: the residual ``f(X) - Y`` and the loss's gradients, written out with no Python
    number taken from the arrays, so that a compiler may trace it (``gpu.jax_train`` jit-compiles it
    into a whole training loop); :func:`gradients` adds the loss as a float."""
    xp = array_namespace(X)
    out, (Hs, Zs) = forward(net, X)
    R = out - (X if Y is None else Y)
    n = X.shape[0]
    G = R / n
    dWs, dbs = [None] * len(net.weights), [None] * len(net.weights)
    for l in range(len(net.weights) - 1, -1, -1):
        Gz = _vjp(net.activations[l], Zs[l], G)
        dWs[l] = OuterGradient(Gz, Hs[l]) if factored else Gz.T @ Hs[l]
        if net.biases[l] is not None:
            dbs[l] = xp.sum(Gz, axis=0)
        if l > 0:  # the gradient with respect to the input itself is not needed
            G = Gz @ net.weights[l]
    return R, dWs, dbs


def jacobian(net: Network, X):
    """Input-Jacobians ``J(x)`` at the rows of ``X``: an (m, d_out, d_in) stack."""
    _, (_, Zs) = forward(net, X)
    J = None
    for W, Z, name in zip(net.weights, Zs, net.activations):
        D = _layer(name)[1](Z)  # (m, out)
        J = (D[:, :, None] * W[None, :, :]) if J is None else D[:, :, None] * (W @ J)
    return J


def train(net: Network, X, Y=None, *, optimizer: str = "adam", lr: float = 1e-3, max_steps: int,
          loss_tol: float = 0.0, checkpoints=(), record_every: int = 0, callback=None,
          betas=(0.9, 0.999), adam_eps: float | None = None, schedule=None, finish_iter: int = 0,
          levels=(), jit: bool | None = None) -> DescentResult:
    """Full-batch training through :func:`theory.descent.descend` with plain GD or Adam
    (:func:`theory.descent.optimizer`, written out; ``adam_eps`` None: :func:`theory.descent.adam_eps`
    of the dtype; ``schedule``: a :class:`theory.descent.Plateau` decay), then, where the rule stopped
    above ``loss_tol`` and ``finish_iter > 0``, at most ``finish_iter`` L-BFGS iterations
    (:func:`theory.finishing.finish_descent`: ``result.finish`` and ``result.protocol`` say what that
    phase did).  ``levels`` (loss levels): ``result.levels`` keeps the first network at or below each.

    The loop's parameters are ``(network, optimizer_state)``; ``result.params[0]`` is the network
    (and so are the checkpoints' first entries); the optimizer state is not returned (``None``): on
    small batches Adam's moments are overwritten in place.
    """
    check_matrix(X, "X")
    # a batch of a few rows leaves BLAS's products short and the step memory-bound: one BLAS thread
    # and Adam's fused loop over the cores; larger batches leave the cores to BLAS (measured:
    # benchmarks/RESULTS.md)
    xp = array_namespace(X)
    if jit is None:  # JAX arrays train as one compiled loop, unless a callback must see every step
        jit = is_jax_namespace(xp) and callback is None
    if jit:
        return _train_compiled(net, X, Y, optimizer=optimizer, lr=lr, max_steps=max_steps, loss_tol=loss_tol,
                               checkpoints=checkpoints, record_every=record_every, betas=betas, adam_eps=adam_eps,
                               schedule=schedule, finish_iter=finish_iter, levels=levels, callback=callback)
    small = is_numpy_namespace(xp) and X.shape[0] <= SMALL_BATCH
    # the fused loop overwrites Adam's moments in place (its own arrays): the results carry no
    # optimizer state, only networks; it also forms each weight gradient G_z^T H a row at a time
    # (factored), so the gradient is never written to memory and read back
    opt = make_optimizer(optimizer, lr, betas=betas, eps=adam_eps, parallel=small, moments_in_place=small,
                         schedule=schedule)
    if X.shape[1] != net.widths[0]:
        raise InputError(f"X has {X.shape[1]} features but the network's input width is {net.widths[0]}")


    def step(params):
        current, state = params
        value, dWs, dbs = gradients(current, X, Y, factored=small)
        new, state = opt.update(flat_params(current), list(dWs) + [g for g in dbs if g is not None], state, loss=value)
        return (with_params(net, new), state), value

    def value_and_grads(n: Network):
        value, dWs, dbs = gradients(n, X, Y)
        return value, list(dWs) + [g for g in dbs if g is not None]

    track = Levels(levels) if levels else None

    def seen(t, value, params):
        if track is not None:
            track.seen(t, value, params[0])
        if callback is not None:
            callback(t, value, params)

    with blas_threads(1 if small else None):
        res = descend((net, opt.init(flat_params(net))), step, max_steps=max_steps, loss_tol=loss_tol,
                      loss=lambda p: loss(p[0], X, Y), checkpoints=checkpoints, record_every=record_every,
                      callback=seen if (track is not None or callback is not None) else None,
                      divergence_hint=f"the learning rate {lr:g} is too large for {optimizer}; lower it")
    res.params = (res.params[0], None)
    res.checkpoints = {t: (p[0], None) for t, p in res.checkpoints.items()}
    if track is not None:
        track.seen(res.steps, res.loss, res.params[0])
        res.levels = dict(track.reached)
    return finish_descent(res, weights=flat_params, rebuild=with_params, value_and_grads=value_and_grads,
                          loss_tol=loss_tol, max_iter=finish_iter, levels=track)


def _train_compiled(net, X, Y, *, callback, finish_iter, levels, **kw) -> DescentResult:
    """:func:`train` on JAX arrays as one compiled loop (:func:`gpu.jax_train.train_deep`: this module's
    backprop and :mod:`theory.descent`'s rules, traced), then the same finishing phase."""
    if callback is not None:
        raise InputError("the compiled trainer runs whole chunks of steps on the device: it takes no callback "
                         "(pass jit=False for one)")
    if not is_jax_namespace(array_namespace(X)):
        raise InputError("jit=True trains JAX arrays; pass the network and X as jax.numpy arrays")
    from gpu.jax_train import train_deep

    from .descent import adam_eps as default_eps

    track = Levels(levels) if levels else None
    eps = kw.pop("adam_eps")
    shape = Network(tuple([None] * len(net.weights)), tuple(None if b is None else True for b in net.biases),
                    net.activations)
    res = train_deep(net, X, Y, shape=shape, backprop=backprop, flat_params=flat_params, with_params=with_params,
                     result=DescentResult, eps=default_eps(X.dtype) if eps is None else float(eps), track=track, **kw)
    if track is not None:
        res.levels = dict(track.reached)
    def value_and_grads(n: Network):
        value, dWs, dbs = gradients(n, X, Y)
        return value, list(dWs) + [g for g in dbs if g is not None]

    return finish_descent(res, weights=flat_params, rebuild=with_params, value_and_grads=value_and_grads,
                          loss_tol=kw["loss_tol"], max_iter=finish_iter, levels=track)
