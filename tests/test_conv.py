"""theory.conv: convolutions as matrices agree with direct convolution; forced zeros; Theorem 4; the Lemma."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theory import conv_nets
from theory import conv
from theory.errors import InputError
from theory.conv import min_depth_measured, stack_params as conv_params
from verify.claims.conv_training import TABLE1, TABLE2, table_discrepancies


def loop_conv(X, W, stride, padding):
    """The definition, one output pixel at a time (the reference)."""
    m, c_in, h, w = X.shape
    c_out, _, k, _ = W.shape
    Xp = np.zeros((m, c_in, h + 2 * padding, w + 2 * padding))
    Xp[:, :, padding: padding + h, padding: padding + w] = X
    ho, wo = (h + 2 * padding - k) // stride + 1, (w + 2 * padding - k) // stride + 1
    out = np.zeros((m, c_out, ho, wo))
    for i in range(ho):
        for j in range(wo):
            patch = Xp[:, :, i * stride: i * stride + k, j * stride: j * stride + k]
            out[:, :, i, j] = np.einsum("mcab,ocab->mo", patch, W)
    return out


@settings(max_examples=25)
@given(m=st.integers(1, 3), c_in=st.integers(1, 3), c_out=st.integers(1, 3), h=st.integers(2, 9), w=st.integers(2, 9),
       k=st.integers(1, 5), stride=st.integers(1, 3), padding=st.integers(0, 2), seed=st.integers(0, 2**16))
def test_matrix_and_direct_convolution_agree_with_the_definition(m, c_in, c_out, h, w, k, stride, padding, seed):
    if k > min(h, w) + 2 * padding:
        with pytest.raises(InputError, match="larger than the padded image"):
            conv.out_size(min(h, w), k, stride, padding)
        return
    rng = np.random.default_rng(seed)
    X, W = rng.normal(size=(m, c_in, h, w)), rng.normal(size=(c_out, c_in, k, k))
    ref = loop_conv(X, W, stride, padding)
    assert np.allclose(conv.conv2d(X, W, stride=stride, padding=padding), ref, atol=1e-12)
    lay = conv.ConvLayout.build((h, w), k, stride=stride, padding=padding, c_in=c_in, c_out=c_out)
    for dense in (False, True):
        C = lay.matrix(W, dense=dense)
        assert np.allclose((C @ X.reshape(m, -1).T).T.reshape(ref.shape), ref, atol=1e-12)


def test_direct_convolution_on_array_api_strict():
    import array_api_strict as xs

    rng = np.random.default_rng(0)
    X, W = rng.normal(size=(2, 2, 5, 5)), rng.normal(size=(3, 2, 3, 3))
    out = conv.conv2d(xs.asarray(X), xs.asarray(W), stride=2, padding=1)
    assert np.allclose(np.asarray(out), loop_conv(X, W, 2, 1))
    C = conv.conv_matrix(5, xs.asarray(W), stride=2, padding=1)  # dense on namespaces without sparse
    assert np.allclose(np.asarray(C), conv.conv_matrix(5, W, stride=2, padding=1).toarray())


@pytest.mark.parametrize("call, message", [
    (lambda: conv.conv_matrix(3, np.ones((1, 1, 5, 5)), padding=0), "larger than the padded image"),
    (lambda: conv.conv_matrix(6, np.ones((1, 1, 4, 4))), "even kernel"),
    (lambda: conv.conv_matrix(6, np.ones((1, 1, 3, 3)), stride=0), "stride must be an integer >= 1"),
    (lambda: conv.conv2d(np.ones((1, 2, 4, 4)), np.ones((1, 3, 3, 3))), "match them"),
    (lambda: conv.ConvLayout.build(4, 3, c_in=2).matrix(np.ones((1, 1, 3, 3))), "check the channel counts"),
    (lambda: conv.upsample_matrix(3, 0), "factor must be an integer >= 1"),
    (lambda: conv.min_full_depth(5, 1), "1 x 1 kernel"),
    (lambda: conv_nets.linear_conv_net(4, 3, filters=2, skip_every=2), "filters == channels"),
    (lambda: conv_nets.downsampling_net(6), "power-of-2"),
])
def test_bad_input_is_one_clear_error(call, message):
    with pytest.raises(InputError, match=message):
        call()


def test_upsampling_is_nearest_neighbour():
    U = conv.upsample_matrix(2, 3, channels=2)
    x = np.arange(8.0)
    y = (U @ x).reshape(2, 6, 6)
    assert np.array_equal(y[1], np.kron(np.arange(4.0, 8.0).reshape(2, 2), np.ones((3, 3))))


@pytest.mark.parametrize("k", [3, 5, 7])
def test_min_depth_formula_matches_boolean_products(k):
    for s in range(2, 12):
        if k > s + 2 * ((k - 1) // 2):
            continue
        L = conv.min_full_depth(s, k)
        assert min_depth_measured(s, k) == L
        assert conv.forced_zero_pattern(s, k, L).all()
        if L > 1:
            assert not conv.forced_zero_pattern(s, k, L - 1).all()


def test_filters_do_not_remove_forced_zeros():
    for s in (3, 4, 5):
        for f in (2, 3):
            assert np.array_equal(conv.forced_zero_pattern(s, 3, 2, filters=f), conv.forced_zero_pattern(s, 3, 2))
            assert min_depth_measured(s, 3, f) == s - 1


def test_theorem4_filter_is_the_identity_for_s_at_least_3():
    rng = np.random.default_rng(1)
    for s in (3, 4, 7):
        x = rng.random(s * s)
        w, M = conv.single_filter_solution(x, s)
        assert np.linalg.matrix_rank(M) == 9
        assert np.allclose(w, np.eye(9)[4], atol=1e-12)
        res = conv.train_single_filter(x, s, lr=1 / np.linalg.norm(M, 2) ** 2, max_steps=20_000, loss_tol=1e-28)
        assert np.allclose(res.params, w, atol=1e-10)


@settings(max_examples=20)
@given(s=st.integers(2, 6), seed=st.integers(0, 2**16))
def test_lemma_distance_is_the_forced_entries_of_the_projection(s, seed):
    x = np.random.default_rng(seed).random(s * s) + 0.01  # generic: no zero pixel
    P = np.outer(x, x) / (x @ x)
    assert np.abs(P).min() > 0
    pattern = conv.forced_zero_pattern(s, 3, 2)
    dist = conv.forced_zero_distance(x[None, :], pattern)
    M = np.where(pattern, P, 0.0)  # the nearest matrix with those zeros
    assert dist == pytest.approx(np.linalg.norm(M - P), abs=1e-14)
    assert (dist > 0) == (s >= 4)


def test_gradients_match_finite_differences_with_skips_and_filters():
    rng = np.random.default_rng(2)
    for net in (conv_nets.linear_conv_net(4, 5, scale=1.0, skip_every=2, rng=3),
                conv_nets.linear_conv_net(3, 3, filters=3, scale=1.0, rng=4),
                conv_nets.downsampling_net(4, width=2, rng=5)):
        d = net.layouts[0].shape[1]
        X = rng.random((d, 2))
        value, grads = conv_nets.conv_gradients(net, X)
        l = next(i for i, W in enumerate(net.weights) if W is not None and i > 0)
        W = net.weights[l]
        idx = (0,) * W.ndim
        e = 1e-6
        Wp = W.copy()
        Wp[idx] += e
        Ws = list(net.weights)
        Ws[l] = Wp
        fd = (conv_nets.conv_gradients(net.with_weights(Ws), X)[0] - value) / e
        assert fd == pytest.approx(grads[l][idx], rel=1e-4, abs=1e-8)


def test_uniform_fast_path_equals_the_general_path():
    rng = np.random.default_rng(3)
    net = conv_nets.linear_conv_net(3, 6, scale=1.0, skip_every=3, rng=1)
    X = rng.random((2, 9))
    fast = conv_nets.train(net, X, lr=1e-3, max_steps=50)
    general = conv_nets.LinearConvNet(net.layouts, net.weights, net.fixed, net.skip_every)  # no bases: sparse path
    slow = conv_nets.train(general, X, lr=1e-3, max_steps=50)
    assert np.allclose(fast.params[0].operator(), slow.params[0].operator(), atol=1e-10)


def test_deep_single_filter_stack_memorizes_one_image():
    x = np.random.default_rng(4).random((1, 9))
    net = conv_nets.linear_conv_net(3, 9, scale=1.0, rng=0)
    res = conv_nets.train(net, x, lr=1e-3, max_steps=10_000, loss_tol=1e-10, adam_eps=1e-30)
    lam = np.sort(np.abs(np.linalg.eigvals(res.params[0].operator())))[::-1]
    assert res.converged and abs(lam[0] - 1) < 1e-3 and lam[1] < 0.5


def test_printed_tables_against_their_architectures():
    assert [conv.heuristic_depth(s) for s in range(2, 8)] == [2, 9, 29, 70, 144, 267]
    assert all(conv_params(layers, 1) == params for s, n, h, layers, params, _ in TABLE2 if (s, n) != (6, 5))
    assert conv_params(350, 1) == 3150  # printed 3105
    assert [conv_params(L, f) for L in (5, 8) for f in (1, 16, 128)] == list(TABLE1[5]) + list(TABLE1[8])
    assert [conv_params(3, f) for f in (1, 16, 128)] == list(TABLE1[2])  # the "2 layers" row counts 3
    two, one = table_discrepancies(2), table_discrepancies(1)  # each table's claim notes its own
    assert len(two) == 1 and "3105" in two[0] and two[0].startswith("Table 2")
    assert len(one) == 3 and all(n.startswith("Table 1") for n in one)
    assert math.ceil(7**4 / 9) == 267
    for L, f in ((1, 1), (3, 16), (5, 4)):  # the formula counts what the networks hold
        assert conv_params(L, f) == conv_nets.linear_conv_net(3, L, filters=f).n_params
