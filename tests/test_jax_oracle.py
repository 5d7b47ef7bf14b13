"""Every hand-written derivative and operator of theory/ against JAX (issue 18): an implementation
with its own compiler, linear algebra and automatic differentiation, in float64.

theory/ writes backprop, input-Jacobians, Theorem 1's gradient steps, the convolution and
upsampling matrices and Adam out by hand; here each is compared with what JAX computes from the
definition alone: ``jax.grad`` and ``jax.jacfwd`` of a forward pass written in ``jax.numpy``,
``jax.lax.conv_general_dilated`` for convolutions, ``jax.image.resize`` for nearest-neighbour
upsampling and ``optax.adam`` for Adam.  Instances are drawn by hypothesis.

Tolerance: these are the same real-number expressions evaluated in other orders, so they agree to
a few units of rounding of the quantities involved; each comparison allows ``64 eps`` times the
size of the terms summed (``rtol = 64 eps``, ``atol = 64 eps max|reference|``).
"""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

jax = pytest.importorskip("jax", reason="JAX is in the test extra: pip install -e '.[test]'")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy

from theory import activations as A  # noqa: E402
from theory import conv  # noqa: E402
from theory import conv_nets as CN  # noqa: E402
from theory import conv_nonlinear as NL  # noqa: E402
from theory import deep_fc as D  # noqa: E402
from theory import single_layer as S  # noqa: E402
from theory import two_layer_relu as T  # noqa: E402
from theory.descent import optimizer  # noqa: E402

EPS = np.finfo(np.float64).eps
EXAMPLES = 8  # each example compiles JAX functions of new shapes: seconds, not milliseconds


def close(ours, ref, factor=64):
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert ours.shape == ref.shape, (ours.shape, ref.shape)
    scale = max(float(np.max(np.abs(ref))) if ref.size else 0.0, 1.0)
    np.testing.assert_allclose(ours, ref, rtol=factor * EPS, atol=factor * EPS * scale)


JAX_ACTS = {"relu": jax.nn.relu, "leaky_relu": lambda z: jnp.where(z > 0, z, D.LEAKY_SLOPE * z), "tanh": jnp.tanh,
            "sigmoid": jax.nn.sigmoid, "identity": lambda z: z}


def jax_forward(params, acts, X):
    H = X
    for (W, b), name in zip(params, acts):
        Z = H @ W.T + (0.0 if b is None else b)
        H = JAX_ACTS[name](Z)
    return H


# ----------------------------------------------------------------------------- deep fully connected

@settings(max_examples=EXAMPLES, deadline=None)
@given(widths=st.lists(st.integers(1, 6), min_size=1, max_size=4), d=st.integers(1, 5), n=st.integers(1, 6),
       hidden=st.sampled_from(["relu", "leaky_relu", "tanh", "sigmoid", "identity"]),
       output=st.sampled_from(["identity", "sigmoid"]), bias=st.booleans(), seed=st.integers(0, 2**16))
def test_deep_gradients_and_jacobians_match_jax(widths, d, n, hidden, output, bias, seed):
    rng = np.random.default_rng(seed)
    net = D.init_network((d, *widths, d), hidden=hidden, output=output, scheme="pytorch", bias=bias, rng=rng)
    X = rng.normal(size=(n, d))
    value, dWs, dbs = D.gradients(net, X)
    params = [(jnp.asarray(W), None if b is None else jnp.asarray(b)) for W, b in zip(net.weights, net.biases)]

    def loss(ps):
        R = jax_forward(ps, net.activations, jnp.asarray(X)) - X
        return 0.5 * jnp.sum(R * R) / n

    ref_value, grads = jax.value_and_grad(loss)(params)
    close(value, ref_value)
    for (gW, gb), dW, db in zip(grads, dWs, dbs):
        close(dW, gW)
        if db is not None:
            close(db, gb)
    J = jax.vmap(jax.jacfwd(lambda x: jax_forward(params, net.activations, x[None, :])[0]))(jnp.asarray(X))
    close(D.jacobian(net, X), J)


# ----------------------------------------------------------------------------- Theorem 1's steps

@settings(max_examples=EXAMPLES, deadline=None)
@given(name=st.sampled_from(["sigmoid", "tanh", "softplus", "exp_neg", "neg_tanh"]), adaptive=st.booleans(),
       n=st.integers(1, 4), d=st.integers(4, 10), seed=st.integers(0, 2**16))
def test_theorem1_steps_are_jax_gradients(name, adaptive, n, d, seed):
    """One step of ``single_layer.gd_train`` from ``A0``: the constant step is ``A0 - eta grad L(A0)``
    with L the loss (1); the adaptive step divides ``dL/dz`` by ``|phi'(z)|`` before the chain rule's
    last factor (Theorem 1), with ``phi'`` from ``jax.grad`` of the activation."""
    act = A.get(name)
    rng = np.random.default_rng(seed)
    lo, hi = act.safe_interval
    X = lo + (hi - lo) * rng.random((n, d))
    A0 = 0.1 * rng.normal(size=(d, d)) / np.sqrt(d)
    step = 0.05
    res = S.gd_train(X, act, step=step, adaptive=adaptive, max_steps=1, A0=A0)
    phi = {"sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh, "softplus": jax.nn.softplus, "exp_neg": lambda z: jnp.exp(-z),
           "neg_tanh": lambda z: -jnp.tanh(z)}[name]

    def pre_loss(Z):
        R = phi(Z) - X
        return 0.5 * jnp.sum(R * R)

    Z = jnp.asarray(X) @ jnp.asarray(A0).T
    dZ = jax.grad(pre_loss)(Z)  # R * phi'(Z)
    if adaptive:
        dphi = jax.vmap(jax.vmap(jax.grad(phi)))(Z)
        dZ = dZ / jnp.abs(dphi)
    else:
        ref = jax.grad(lambda M: pre_loss(jnp.asarray(X) @ M.T))(jnp.asarray(A0))
        close(dZ.T @ X, ref)  # the chain rule's last factor
    close(res.params, A0 - step * (dZ.T @ X))
    close(S.loss(A0, X, act), pre_loss(Z))


# ----------------------------------------------------------------------------- two-layer ReLU

@settings(max_examples=EXAMPLES, deadline=None)
@given(n=st.integers(1, 4), d=st.integers(2, 8), k=st.integers(8, 40), bias=st.booleans(), seed=st.integers(0, 2**16))
def test_two_layer_jacobians_match_jax(n, d, k, bias, seed):
    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    W1, b1 = T.first_layer(d, k, bias=bias, rng=rng)
    try:
        model = T.fit(X, W1, b1)
    except T.InputError:
        assume(False)  # rank-deficient features: fit refuses them (tested elsewhere); draw again
    W2 = jnp.asarray(model.W2())

    def f(z):
        P = jnp.asarray(W1) @ z + (0.0 if b1 is None else jnp.asarray(b1))
        return W2 @ jax.nn.relu(P)

    Z = rng.random((3, d))
    V = rng.normal(size=(3, d))
    close(model(Z), jax.vmap(f)(jnp.asarray(Z)))
    for i in range(3):
        Jz = jax.jacfwd(f)(jnp.asarray(Z[i]))
        close(T.jacobian_dense(model, Z[i]), Jz)
        close(T.jacobian_times(model, Z[i:i + 1], V[i:i + 1])[0], Jz @ V[i])
        m = min(n, d)  # J(z) = X^T B(z) has rank at most min(n, d): its other eigenvalues are 0
        lam = np.sort(np.abs(np.linalg.eigvals(np.asarray(Jz))))[::-1][:m]
        close(np.sort(np.asarray(T.jacobian_spectrum(model, Z[i])[0]))[::-1][:m], lam, factor=1e6)


# ----------------------------------------------------------------------------- convolution and upsampling

@settings(max_examples=EXAMPLES, deadline=None)
@given(c_in=st.integers(1, 3), c_out=st.integers(1, 3), h=st.integers(3, 7), w=st.integers(3, 7),
       k=st.sampled_from([1, 2, 3, 5]), stride=st.integers(1, 3), padding=st.integers(0, 2), seed=st.integers(0, 2**16))
def test_convolution_matrices_match_lax_conv(c_in, c_out, h, w, k, stride, padding, seed):
    assume(k <= min(h, w) + 2 * padding)  # the kernel must fit the padded image
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(c_out, c_in, k, k))
    X = rng.normal(size=(2, c_in, h, w))
    ref = jax.lax.conv_general_dilated(jnp.asarray(X), jnp.asarray(W), (stride, stride), [(padding, padding)] * 2,
                                       dimension_numbers=("NCHW", "OIHW", "NCHW"))
    close(conv.conv2d(X, W, stride=stride, padding=padding), ref)
    M = conv.conv_matrix((h, w), W, stride=stride, padding=padding, dense=True)
    close(X.reshape(2, -1) @ np.asarray(M).T, np.asarray(ref).reshape(2, -1))


@settings(max_examples=EXAMPLES, deadline=None)
@given(h=st.integers(1, 5), w=st.integers(1, 5), factor=st.integers(1, 4), channels=st.integers(1, 3),
       seed=st.integers(0, 2**16))
def test_upsampling_matrix_is_jax_nearest_resize(h, w, factor, channels, seed):
    X = np.random.default_rng(seed).normal(size=(channels, h, w))
    ref = jax.image.resize(jnp.asarray(X), (channels, h * factor, w * factor), method="nearest")
    U = conv.upsample_matrix((h, w), factor, channels=channels, dense=True)
    close(np.asarray(U) @ X.reshape(-1), np.asarray(ref).reshape(-1))


@settings(max_examples=EXAMPLES, deadline=None)
@given(s=st.integers(2, 5), depth=st.integers(1, 5), filters=st.integers(1, 3), skip=st.sampled_from([0, 2, 3]),
       seed=st.integers(0, 2**16))
def test_linear_conv_gradients_match_jax(s, depth, filters, skip, seed):
    """``conv_nets.conv_gradients`` against ``jax.grad`` through a stack of 'same' convolutions, with
    residual blocks of ``skip`` layers (``h <- block(h) + h``) where the channels allow them."""
    skip = skip if filters == 1 else 0
    rng = np.random.default_rng(seed)
    net = CN.linear_conv_net(s, depth, filters=filters, scale=1.0, skip_every=skip, rng=rng)
    X = rng.random((2, s * s))
    value, grads = CN.conv_gradients(net, X.T)

    def loss(Ws):
        Hs = [jnp.asarray(X).reshape(2, 1, s, s)]
        for l, W in enumerate(Ws):
            H = jax.lax.conv_general_dilated(Hs[-1], W, (1, 1), [(1, 1)] * 2, dimension_numbers=("NCHW", "OIHW", "NCHW"))
            if skip and (l + 1) % skip == 0:
                H = H + Hs[l + 1 - skip]
            Hs.append(H)
        R = Hs[-1].reshape(2, -1) - X
        return 0.5 * jnp.sum(R * R) / 2

    ref_value, ref = jax.value_and_grad(loss)([jnp.asarray(W) for W in net.weights])
    close(value, ref_value)
    for g, r in zip(grads, ref):
        close(g, r)


# ----------------------------------------------------------------------------- nonlinear conv autoencoder

@settings(max_examples=EXAMPLES, deadline=None)
@given(s=st.integers(2, 4), depth=st.integers(2, 4), filters=st.integers(1, 2), slope=st.floats(0.0, 1.0),
       seed=st.integers(0, 2**16))
def test_nonlinear_conv_derivatives_match_jax(s, depth, filters, slope, seed):
    rng = np.random.default_rng(seed)
    model = NL.ConvAutoencoder(CN.linear_conv_net(s, depth, filters=filters, scale=1.0, rng=rng), slope)
    X = rng.random((3, s * s))
    Ws = [jnp.asarray(W) for W in model.net.weights]

    def f(Ws, x):
        H = x.reshape(1, 1, s, s)
        for l, W in enumerate(Ws):
            H = jax.lax.conv_general_dilated(H, W, (1, 1), [(1, 1)] * 2, dimension_numbers=("NCHW", "OIHW", "NCHW"))
            if l < len(Ws) - 1:
                H = jnp.where(H > 0, H, slope * H)
        return H.reshape(-1)

    def loss(Ws):
        R = jax.vmap(lambda x: f(Ws, x))(jnp.asarray(X)) - X
        return 0.5 * jnp.sum(R * R) / X.shape[0]

    value, grads = NL.gradients(model, X)
    ref_value, ref = jax.value_and_grad(loss)(Ws)
    close(value, ref_value)
    for g, r in zip(grads, ref):
        close(g, r)
    x, V = X[0], rng.normal(size=(s * s, 2))
    J = jax.jacfwd(lambda x: f(Ws, x))(jnp.asarray(x))
    close(NL.jacobian_at(model, x), J)
    close(NL.jvp(model, x, V), J @ V)
    close(NL.vjp(model, x, V), J.T @ V)


# ----------------------------------------------------------------------------- Adam

@settings(max_examples=EXAMPLES, deadline=None)
@given(shapes=st.lists(st.tuples(st.integers(1, 70), st.integers(1, 70)), min_size=1, max_size=3),
       lr=st.floats(1e-4, 1e-1), steps=st.integers(1, 6), fused=st.sampled_from([None, True, False]),
       seed=st.integers(0, 2**16))
def test_adam_matches_optax(shapes, lr, steps, fused, seed):
    optax = pytest.importorskip("optax", reason="optax is in the test extra")
    rng = np.random.default_rng(seed)
    ps = [rng.normal(size=sh) for sh in shapes]
    grads = [[rng.normal(size=sh) for sh in shapes] for _ in range(steps)]
    opt = optimizer("adam", lr, eps=1e-8, fused=fused, parallel=fused is None)
    state = opt.init(ps)
    ours = ps
    for gs in grads:
        ours, state = opt.update(ours, gs, state)
    tx = optax.adam(lr, b1=0.9, b2=0.999, eps=1e-8)
    ref = [jnp.asarray(p) for p in ps]
    ostate = tx.init(ref)
    for gs in grads:
        upd, ostate = tx.update([jnp.asarray(g) for g in gs], ostate, ref)
        ref = optax.apply_updates(ref, upd)
    for a, b in zip(ours, ref):
        close(a, b, factor=1024)
