"""Pinned behaviours that sampled mutants of theory/ survived (issue 16): each test fails on the
mutant named in its docstring."""

import math

import numpy as np
import pytest

from theory import conv_nets
from theory import certificates
from theory import activations as acts
from theory import conv
from theory import dynamics as dyn
from theory import linear as lin
from theory import two_layer_relu as tl
from theory.common import check_matrix
from theory.errors import InputError


def test_gd_steps_needed_at_the_stability_limit_is_an_input_error():
    """At exactly 2 / lambda_max the contraction is 1: a one-line InputError, not a division by
    log(1) = 0; just below it the count is finite and grows as the step nears the limit."""
    X = np.random.default_rng(0).random((4, 20))
    svd = lin.data_svd(X)
    eta = lin.largest_stable_step(X, svd=svd)
    with pytest.raises(InputError, match="does not converge"):
        certificates.gd_steps_needed(svd, eta, 1e-3)
    counts = [certificates.gd_steps_needed(svd, eta * (1 - 10.0**-k), 1e-3) for k in (1, 2, 3)]
    assert counts == sorted(counts) and counts[0] > 0 and certificates.gd_steps_needed(svd, eta / 2, 2.0) == 0


def test_feature_cosines_away_from_zero():
    """Features (1, 0, 1) and (1, 1, 0): cosine 1/2 off the diagonal, 0 on it (a wrong denominator
    or a kept diagonal fails)."""
    model = tl.TwoLayer(None, None, None, None, np.array([[1.0, 0.0, 1.0], [1.0, 1.0, 0.0]]))
    cos = tl.feature_cosines(model)
    assert np.allclose(cos, [[0.0, 0.5], [0.5, 0.0]], rtol=0, atol=1e-15)
    neg = tl.TwoLayer(None, None, None, None, np.array([[2.0, -1.0, 2.0], [1.0, 3.0, -5.0]]))  # relu drops negatives
    assert np.isclose(tl.feature_cosines(neg)[0, 1], 2.0 / (math.sqrt(8.0) * math.sqrt(10.0)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_jacobian_times_matches_the_dense_jacobian_with_a_bias(dtype):
    rng = np.random.default_rng(1)
    X = rng.random((3, 6)).astype(dtype)
    W1 = rng.standard_normal((40, 6)).astype(dtype)
    b1 = rng.standard_normal(40).astype(dtype)
    model = tl.fit(X, W1, b1)
    Z, V = rng.random((4, 6)).astype(dtype), rng.standard_normal((4, 6)).astype(dtype)
    got = tl.jacobian_times(model, Z, V)
    want = np.stack([tl.jacobian_dense(model, Z[i]) @ V[i] for i in range(4)])
    tol = 50 * np.finfo(dtype).eps * np.abs(want).max()
    assert got.dtype == dtype and np.abs(got - want).max() <= tol
    assert tl.feature_cosines(model).dtype == dtype  # no float64 eye leaks into float32


def test_escape_ratio_of_the_identity_is_one():
    """The identity map leaves every start where it was: ratios 1 to rounding (x* = 0 makes the
    starts exactly radius * unit vectors)."""
    r = dyn.escape_ratio(lambda X: X, np.zeros(5), 1e-3, 1, 16, rng=0)
    assert r.shape == (16,) and np.abs(np.asarray(r) - 1.0).max() <= 4 * np.finfo(float).eps
    half = dyn.escape_ratio(lambda X: 0.5 * X, np.zeros(5), 1e-3, 3, 8, rng=0)
    assert np.allclose(half, 0.125, rtol=1e-14)


def test_skip_positions_of_a_residual_stack():
    """skip_every = 2 on 4 layers: blocks end at 2 and 4 and start at 0 and 2; a stack of identity
    convolutions with skips doubles the input per block (x -> 2x -> 4x)."""
    net = conv_nets.linear_conv_net(3, 4, filters=1, skip_every=2, rng=0)
    assert net.blocks == {2: 0, 4: 2}
    ident = [np.zeros_like(w) for w in net.weights]
    for w in ident:
        w.reshape(-1)[w.size // 2] = 1.0  # the centre tap of each 3 x 3 kernel
    X = np.random.default_rng(0).random((2, 9))  # two images as rows
    assert np.allclose(net.with_weights(ident)(X), 4 * X)
    assert conv_nets.linear_conv_net(3, 4, filters=1, rng=0).blocks == {}


@pytest.mark.parametrize("scheme", ["near_zero", "pytorch"])
def test_linear_conv_net_initialisations(scheme):
    """near_zero: scale N(0, 1)/sqrt(fan_in); pytorch: U(+-1/sqrt(fan_in)); fan_in = c_in k^2."""
    net = conv_nets.linear_conv_net(8, 3, filters=16, scheme=scheme, scale=0.5, rng=3)
    for W in net.weights[1:2]:  # 16 -> 16 channels: fan_in = 16 * 9
        w = np.asarray(W).reshape(-1)
        bound = 1.0 / math.sqrt(16 * 9)
        if scheme == "pytorch":
            assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
            assert abs(np.std(w) - bound / math.sqrt(3)) < 0.1 * bound
        else:
            assert abs(np.std(w) - 0.5 * bound) < 0.1 * 0.5 * bound
    with pytest.raises(InputError, match="unknown initialisation"):
        conv_nets.linear_conv_net(3, 2, scheme="he")


def test_downsampling_net_near_zero_branch():
    small = conv_nets.downsampling_net(4, width=2, scheme="near_zero", scale=1e-3, rng=0)
    big = conv_nets.downsampling_net(4, width=2, scheme="near_zero", scale=1.0, rng=0)
    ratio = [np.abs(np.asarray(a)).max() / np.abs(np.asarray(b)).max() for a, b in zip(small.weights, big.weights)
             if a is not None]
    assert ratio and np.allclose(ratio, 1e-3)


def test_upsample_matrix_checks_its_channels():
    with pytest.raises(InputError):
        conv.upsample_matrix(2, 2, channels=0)


def test_activation_derivative_far_out():
    """tanh' clips its argument at 350 so cosh cannot overflow: finite, tiny and symmetric."""
    z = np.array([-400.0, -356.0, 355.0, 1e6])
    d = acts.get("tanh").d1(z)
    assert np.all(np.isfinite(d)) and np.all(d >= 0) and np.all(d < 1e-300) and d[0] == d[-1]


def test_zero_curvature_is_reported_as_such():
    """A linear activation (phi'' = 0 everywhere) reaches Assumption 1(c)'s zero-curvature branch."""
    lin_act = acts.Activation("linear", lambda z: z, lambda x: x, lambda z: np.ones_like(z),
                              lambda z: np.zeros_like(z), (-np.inf, np.inf), (), (), (0.1, 0.9), 0)
    report = acts.check_assumption1(np.full((2, 3), 0.5), lin_act)
    assert any("changes curvature" in f for f in map(str, getattr(report, "failures", report)))


def test_error_messages_in_full():
    with pytest.raises(InputError) as e:
        check_matrix(np.array([[1.0, np.nan], [np.inf, 2.0]]), "X")
    assert str(e.value) == "X has 2 non-finite entries (NaN or Inf); clean or drop them first"
    with pytest.raises(InputError) as e:
        check_matrix(np.ones((2, 2), dtype=np.int64), "X")
    assert str(e.value) == "X has dtype int64; convert it to float64 (or float32)"


@pytest.mark.parametrize("shape", [(5,), (3, 3), (16,)])
def test_filter_design_names_the_wrong_size(shape):
    with pytest.raises(InputError, match=r"a 3 x 3 image is a vector of 9 values"):
        conv.filter_design(np.ones(shape), 3)


def test_claim_metrics_that_no_test_read():
    """thm2's distance ratios agree with each map's classification; thm3's feature cosines, ray and
    side ratios say what the docs say; thm3-homogeneity's control breaks the identity by far more
    than rounding (a control 'rejected' by any tiny difference would prove nothing)."""
    import verify

    ev = {e.id: e for e in verify.run(["thm2-attractor-criterion", "thm3-stable-fixed-points", "thm3-homogeneity"],
                                       profile="quick").evidence}
    for name, m in ev["thm2-attractor-criterion"].measurement.metrics.items():
        if not isinstance(m, dict):
            continue
        assert m["predicted"] == m["observed"], name
        if m["observed"] == "attractor":
            assert m["distance_ratio_max"] < 1.0, name
        else:
            assert m["distance_ratio_max"] > 1.0, name
    syn = ev["thm3-stable-fixed-points"].measurement.metrics["synthetic"]
    assert all(c > 0.5 for c in syn["max_feature_cosine_by_width"].values())  # assumption (b) fails: not ~0
    assert syn["ray_distance_ratio_after_T"] == pytest.approx(1.0, abs=1e-6)  # a line of fixed points
    assert syn["side_distance_ratio_after_T"] < 1.0
    anti = ev["thm3-stable-fixed-points"].measurement.metrics["antipodal pair"]
    assert anti["assumption_b_holds"] and abs(anti["appendix_c_limit_eigenvalue"] - 1.0) < 1e-12
    assert all(c == 0.0 for c in anti["max_feature_cosine_by_width"].values())  # (b) holds exactly there
    homog = ev["thm3-homogeneity"]
    assert all(c.measured > 1e6 * c.bound for c in homog.control.comparisons)
    assert all(c.measured <= c.bound for c in homog.measurement.comparisons)


def test_residual_blocks_with_a_stem_leave_the_first_and_last_layers_plain():
    """ResNet's layout [12] (the stem and the head outside the residual stages): 12 layers, blocks of 5
    cover layers 1-10; with near-zero weights the network is near 0 at initialisation, not the identity
    that blocks from the input give (Table 2's deep rows, issue 34)."""
    assert conv_nets.residual_blocks(12, 5, stem=True) == {6: 1, 11: 6}
    assert conv_nets.residual_blocks(12, 5) == {5: 0, 10: 5}
    assert conv_nets.residual_blocks(12, 0, stem=True) == {}
    with pytest.raises(InputError):
        conv_nets.residual_blocks(12, -1)
    X = np.random.default_rng(0).random((2, 9))
    assert conv_nets.residual_blocks(10, 5, stem=True) == {6: 1} and conv_nets.residual_blocks(10, 5) == {5: 0, 10: 5}
    plain_ends = conv_nets.linear_conv_net(3, 10, skip_every=5, stem=True, scale=1e-3, rng=0)
    identity_like = conv_nets.linear_conv_net(3, 10, skip_every=5, scale=1e-3, rng=0)
    assert np.abs(plain_ends(X)).max() < 1e-4 * np.abs(X).max()
    assert np.abs(identity_like(X) - X).max() < 1e-3 * np.abs(X).max()
    assert plain_ends.with_weights(plain_ends.weights).stem
