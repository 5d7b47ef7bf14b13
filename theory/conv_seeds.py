r"""Seeds of one uniform convolutional stack trained as one stacked computation.

Tables 1-2, Appendix H and Appendix I.2 train the same small stack (every layer the same
single-filter convolution, :func:`theory.conv_nets.linear_conv_net` with one filter) from several
initialisations.  Each step of such a network is a few dozen operations on 9 x 9 to 25 x 25
matrices, so Python's overhead, not arithmetic, sets its speed; stacking ``S`` seeds along a
leading axis does the ``S`` steps in the same number of operations (``benchmarks/bench_seeds.py``,
recorded in ``benchmarks/RESULTS.md``).  The deep fully connected networks are trained one by one:
their stacked gradient gains little over ``S`` BLAS-backed ones from width 128 (recorded), and their
trainer's fused Adam, which never forms a weight gradient, would be lost.

The stack ``W`` (S, L, n_w) holds each seed's layer weights; ``C = W . B`` its layer matrices
(``B`` the layout's dense basis).  With leaky slope ``a`` (``None``: linear), ``h_0 = x``,
``z_l = C_l h_{l-1}`` (plus the block's input at the end of every residual block of ``skip``
layers, linear only), ``h_l = phi(z_l)`` for ``l < L`` and ``f(x) = z_L``; the loss of a seed is
``||f(X) - X||_F^2 / 2n`` and its gradient is backprop through each seed's own matrices, exactly as
:func:`theory.conv_nets.conv_gradients` and :func:`theory.conv_nonlinear.gradients` compute it for
one (the same expressions summed in another order: tested against them).

:func:`train_seeds` is :func:`theory.descent.descend` over the stack: each seed takes Adam's
step (scaled by its own :class:`theory.descent.Plateau` state) until its loss reaches
``loss_tol``, then stays where it is (frozen); the loop stops when every seed has, or at
``max_steps``.  Each seed's run is returned as its own :class:`theory.descent.DescentResult`
(its steps, loss, loss levels) and finished on its own (:func:`theory.finishing.finish_descent`).
"""

from __future__ import annotations

from . import layers
from .common import array_namespace, check_matrix
from .descent import DescentResult, Plateau, descend
from .descent import optimizer as make_optimizer
from .conv_nets import residual_blocks
from .errors import InputError
from .finishing import Levels, finish_descent

__all__ = ["stacked_gradients", "train_seeds"]


def stacked_gradients(Ws, B, XT, *, slope=None, skip: int = 0, stem: bool = False):
    """``(losses (S,), grads (S, L, n_w))`` of the seeds ``Ws`` (S, L, n_w) of a uniform stack with
    basis ``B`` (n_w, d, d) on the examples ``XT`` (d, n) (columns); ``slope`` None: linear (residual
    blocks of ``skip`` layers allowed, :func:`theory.conv_nets.residual_blocks` with ``stem``), else a
    leaky ReLU of that slope after every layer but the last."""
    xp = array_namespace(Ws, XT)
    if slope is not None and skip:
        raise InputError("the nonlinear stack has no skip connections")
    S, L = Ws.shape[0], Ws.shape[1]
    Cs = xp.tensordot(Ws, B, axes=1)  # (S, L, d, d)
    H = xp.broadcast_to(XT, (S,) + tuple(XT.shape))
    Hs, Zs = [H], []
    skips = residual_blocks(L, skip, stem=stem)
    into = {start: end for end, start in skips.items()}
    for l in range(L):
        Z = Cs[:, l, ...] @ Hs[-1]
        if l + 1 in skips:
            Z = Z + Hs[skips[l + 1]]
        Zs.append(Z)
        Hs.append(Z if (slope is None or l == L - 1) else layers.leaky_relu(Z, slope))
    n = XT.shape[1]
    R = Hs[-1] - XT
    losses = 0.5 * xp.sum(xp.reshape(R * R, (S, -1)), axis=1) / n
    G, at_end, GH = R / n, {}, [None] * L
    for l in range(L - 1, -1, -1):
        if slope is not None and l < L - 1:
            G = layers.leaky_relu_vjp(Zs[l], G, slope)
        if l + 1 in skips:
            at_end[l + 1] = G
        GH[l] = G @ xp.permute_dims(Hs[l], (0, 2, 1))
        G = xp.permute_dims(Cs[:, l, ...], (0, 2, 1)) @ G
        if l in into:
            G = G + at_end[into[l]]
    grads = xp.tensordot(xp.stack(GH, axis=1), B, axes=([2, 3], [1, 2]))
    return losses, grads


def _stack(net):
    """``(W (L, n_w), B, shape, skip)`` of a uniform :class:`theory.conv_nets.LinearConvNet`."""
    from .conv_nets import is_uniform

    if not is_uniform(net):
        raise InputError("train_seeds needs uniform stacks: every layer the same small convolution (one filter)")
    xp = array_namespace(*net.weights)
    return (xp.stack([xp.reshape(W, (-1,)) for W in net.weights]), net.bases[0], tuple(net.weights[0].shape),
            net.skip_every, net.stem)


def train_seeds(nets: list, X, *, slope=None, lr: float = 1e-3, max_steps: int, loss_tol: float = 0.0,
                adam_eps: float | None = None, schedule: Plateau | None = None, finish_iter: int = 0,
                levels=()) -> list:
    """Train the seeds ``nets`` (uniform :class:`theory.conv_nets.LinearConvNet` stacks of one
    layout and depth) on ``X`` (n, d) with Adam as one stacked computation (see the module), then
    finish each seed that stopped above ``loss_tol`` with at most ``finish_iter`` L-BFGS iterations.

    ``slope`` None trains the linear networks (results carry :class:`LinearConvNet`s); a number
    trains :class:`theory.conv_nonlinear.ConvAutoencoder`\\ s of that leaky slope, without biases.
    Returns one :class:`theory.descent.DescentResult` per seed, as the one-seed trainers do."""
    from . import conv_nonlinear as cn

    xp = check_matrix(X, "X")
    if not nets:
        raise InputError("train_seeds needs at least one network")
    parts = [_stack(net) for net in nets]
    keys = {(net.layouts[0].key, net.depth, net.skip_every, net.stem) for net in nets}
    if len(keys) != 1:
        raise InputError("train_seeds needs networks of one layout, depth and skip pattern")
    B, shape, skip, stem = parts[0][1], parts[0][2], parts[0][3], parts[0][4]
    if X.shape[1] != B.shape[2]:
        raise InputError(f"X has {X.shape[1]} features but the networks take images of {B.shape[2]} values")
    S = len(nets)
    XT = xp.permute_dims(X, (1, 0))
    W0 = xp.stack([w for w, *_ in parts])
    opt = make_optimizer("adam", lr, eps=adam_eps)
    plateaus = [schedule.start() if schedule else None for _ in range(S)]
    done = [None] * S  # per seed: (step, loss) where it reached loss_tol
    tracks = [Levels(levels) if levels else None for _ in range(S)]
    last = [None] * S

    def as_model(Ws_s):
        net = nets[0].with_weights([xp.reshape(Ws_s[l, ...], shape) for l in range(Ws_s.shape[0])])
        return net if slope is None else cn.ConvAutoencoder(net, slope)

    def step(params):
        (Ws, state), t = params, params[1][0]
        losses, grads = stacked_gradients(Ws, B, XT, slope=slope, skip=skip, stem=stem)
        scale = []
        for s in range(S):
            value = float(losses[s])
            last[s] = value
            if done[s] is None and value <= loss_tol:
                done[s] = (t, value)
            if tracks[s] is not None and done[s] is None:
                tracks[s].seen(t, value, Ws[s, ...], as_model)
            if schedule is not None and done[s] is None:
                plateaus[s] = schedule.observe(plateaus[s], value)
            scale.append(0.0 if done[s] is not None else (plateaus[s][3] if schedule else 1.0))
        new, state = opt.update([Ws], [grads], state)
        k = xp.reshape(xp.asarray(scale, dtype=Ws.dtype), (S, 1, 1))
        # a seed at its full step takes Adam's update as it is (the one-seed trainer's numbers), a frozen
        # one stays, a decayed one moves that fraction of the way
        moved = xp.where(k == 1.0, new[0], xp.where(k == 0.0, Ws, Ws + k * (new[0] - Ws)))
        active = [v for s, v in enumerate(last) if done[s] is None]
        return (moved, state), (max(active) if active else 0.0)

    res = descend((W0, opt.init([W0])), step, max_steps=max_steps, loss_tol=loss_tol,
                  loss=lambda p: float(xp.max(stacked_gradients(p[0], B, XT, slope=slope, skip=skip, stem=stem)[0])),
                  divergence_hint=f"the learning rate {lr:g} is too large for adam; lower it")
    Ws = res.params[0]
    final, _ = stacked_gradients(Ws, B, XT, slope=slope, skip=skip, stem=stem)
    out = []
    for s in range(S):
        steps, value = done[s] if done[s] is not None else (res.steps, float(final[s]))
        model = as_model(Ws[s, ...])
        one = DescentResult((model, None), int(steps), float(value), value <= loss_tol,
                            "loss_tol" if value <= loss_tol else "max_steps")
        if tracks[s] is not None:
            tracks[s].seen(steps, value, model)
            one.levels = dict(tracks[s].reached)
        if slope is None:
            def flat(m):
                return [xp.stack([xp.reshape(W, (-1,)) for W in m.weights])]

            def one_seed(m):
                losses, grads = stacked_gradients(flat(m)[0][None, ...], B, XT, skip=skip, stem=stem)
                return float(losses[0]), [grads[0, ...]]

            fin = dict(weights=flat, rebuild=lambda m, ps: as_model(ps[0]), value_and_grads=one_seed)
        else:
            fin = dict(weights=lambda m: list(m.net.weights), rebuild=lambda m, ps: m.with_weights(ps),
                       value_and_grads=lambda m: cn.gradients(m, X))
        out.append(finish_descent(one, loss_tol=loss_tol, max_iter=finish_iter, levels=tracks[s], **fin))
    return out
