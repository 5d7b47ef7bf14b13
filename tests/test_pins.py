"""Behaviours that sampled mutants of theory/ survived (benchmarks/MUTATION.md): defaults,
boundaries, messages that name their input, and arguments that were passed but never checked."""

import math

import numpy as np
import pytest

from theory import activations as A
from theory import certificates as C
from theory import construction as K
from theory import conv
from theory import conv_nets as CN
from theory import deep_fc as D
from theory import dynamics as dyn
from theory import jacobians as jac
from theory import linear as lin
from theory import linear_descent as LD
from theory import single_layer as S
from theory import stats
from theory import two_layer_relu as T
from theory.errors import InputError
from verify.datasets import synthetic


def _message(call) -> str:
    with pytest.raises(InputError) as info:
        call()
    return str(info.value)


# ----------------------------------------------------------------------------- defaults

def test_assumption1_summary_names_three_coordinates_by_default():
    X = np.full((2, 6), 0.5)
    X[0, :] = 0.2  # every coordinate straddles phi(0) = 0.5 for sigmoid: part (b) fails at all six
    report = A.check_assumption1(X, A.get("sigmoid"))
    line = report.summary()[0]
    assert line.count("coordinate ") == 3 and "(and 3 more)" in line


def test_min_depth_measured_defaults_to_one_filter():
    assert conv.min_depth_measured(5, 3) == conv.min_depth_measured(5, 3, filters=1) == conv.min_full_depth(5, 3)


def test_stack_params_counts_channels_squared_for_one_layer():
    assert conv.stack_params(1, 4, channels=3) == 3 * 3 * 9
    assert conv.stack_params(3, 4, channels=3) == 9 * (2 * 3 * 4 + 4 * 4)


def test_downsampling_net_default_scheme_is_pytorch():
    a = CN.downsampling_net(4, width=2, rng=0)
    b = CN.downsampling_net(4, width=2, scheme="pytorch", rng=0)
    assert all(np.array_equal(x, y) for x, y in zip(a.weights, b.weights) if x is not None)
    assert "unknown initialisation 'he'" in _message(lambda: CN.downsampling_net(4, scheme="he"))


@pytest.mark.parametrize("scheme", ["xavier", "kaiming", "pytorch", "near_zero"])
def test_conv_schemes_draw_their_documented_laws(scheme):
    """Each scheme's weights have the documented law: Xavier uniform within sqrt(6/(fan_in+fan_out)),
    Kaiming normal with variance 2/fan_in, PyTorch uniform within 1/sqrt(fan_in), near-zero
    scale^2/fan_in (fan_in = c_in k^2 = 9 c_in); checked on many draws of one layer shape."""
    net = CN.linear_conv_net(6, 2, filters=64, scheme=scheme, scale=0.1, rng=0)
    W = np.asarray(net.weights[1])  # 64 -> 1 channels: fan_in 576, fan_out 9
    fan_in, fan_out = 64 * 9, 9
    want = {"xavier": 2.0 / (fan_in + fan_out), "kaiming": 2.0 / fan_in, "pytorch": 1.0 / (3 * fan_in),
            "near_zero": 0.01 / fan_in}[scheme]
    assert abs(W.var() / want - 1) < 0.2  # 576 draws: the sample variance within about 3 standard errors
    if scheme == "xavier":
        assert np.abs(W).max() <= np.sqrt(6.0 / (fan_in + fan_out))


def test_deep_train_passes_its_adam_betas_its_targets_and_its_callback():
    rng = np.random.default_rng(0)
    X, Y = rng.random((4, 3)), rng.random((4, 3))
    net = D.init_network((3, 8, 3), hidden="tanh", scheme="pytorch", rng=1)
    seen = []
    res = D.train(net, X, Y, optimizer="adam", lr=1e-2, max_steps=5, betas=(0.5, 0.9), callback=lambda t, v, p: seen.append(t))
    assert seen == [0, 1, 2, 3, 4]
    from theory.descent import optimizer

    opt = optimizer("adam", 1e-2, betas=(0.5, 0.9))
    ps = list(net.weights) + [b for b in net.biases if b is not None]
    state = opt.init(ps)
    for _ in range(5):
        k = len(net.weights)
        cur = D.Network(tuple(ps[:k]), tuple(ps[k:]), net.activations)
        _, dW, db = D.gradients(cur, X, Y)
        ps, state = opt.update(ps, list(dW) + list(db), state)
    assert all(np.allclose(a, b, rtol=0, atol=1e-15) for a, b in zip(res.params[0].weights, ps[:2]))


def test_linear_trainers_use_their_targets_and_record_losses():
    X = synthetic(3, 10, cond=2.0, rng=0)
    Y = np.random.default_rng(1).normal(size=(3, 4))
    eta = 1 / lin.data_svd(X).s_max ** 2
    dense = LD.gd_train(X, Y, eta=eta, max_steps=2000, loss_tol=1e-20, record_every=10)
    fact = LD.gd_train_factored(X, Y, eta=eta, max_steps=2000, loss_tol=1e-20)
    W_star = Y.T @ np.linalg.pinv(X.T)
    assert np.allclose(dense.params, W_star, atol=1e-8) and np.allclose(fact.params.dense(), W_star, atol=1e-8)
    assert [t for t, _ in dense.losses][:3] == [0, 10, 20]
    it = lin.gd_iterate(X, Y, eta=eta, t=math.inf)
    assert np.allclose(it.dense(), W_star, atol=1e-10)
    bad = np.ones((2, 4))
    for call in (lambda: lin.gd_iterate(X, bad, eta=eta, t=3), lambda: LD.gd_train_factored(X, bad, eta=eta, max_steps=1)):
        assert "Y" in _message(call)


# ----------------------------------------------------------------------------- boundaries

def test_classify_at_the_band_edges_is_undecided():
    assert dyn.classify(0.5, band=0.5) == "undecided" and dyn.classify(1.5, band=0.5) == "undecided"
    assert dyn.classify(0.49, band=0.5) == "attractor" and dyn.classify(1.51, band=0.5) == "repeller"


def test_trend_at_exactly_alpha_is_not_significant():
    """With 19 resamples the smallest p-value is 1/20 = 0.05: not below alpha = 0.05."""
    t = stats.trend_test(range(10), range(10), resamples=19, alpha=0.05)
    assert t["p_increasing"] == 0.05 and t["direction"] == "none" and t["alpha"] == 0.05
    assert stats.trend_test(range(10), range(10), resamples=19, alpha=0.051)["direction"] == "increasing"
    assert "finite" in _message(lambda: stats.trend_test([0, 1, np.nan], [0, 1, 2]))


def test_piecewise_construction_needs_a_positive_radius():
    assert "radius and ramp must be > 0" in _message(lambda: K.piecewise_1d([0.0, 1.0], slope=0.5, radius=0.0, ramp=0.1))
    assert "radius and ramp must be > 0" in _message(lambda: K.piecewise_1d([0.0, 1.0], slope=0.5, radius=0.1, ramp=0.0))


def test_upsampling_checks_each_size_and_takes_one_channel():
    assert conv.upsample_matrix(2, 2, channels=1).shape == (16, 4)
    for h, w, c in ((0, 3, 1), (3, 0, 1), (2, 2, 0)):
        assert "must be >= 1" in _message(lambda: conv.upsample_matrix((h, w), 2, channels=c))


def test_linear_conv_net_checks_each_count():
    for kw in (dict(depth=0), dict(depth=2, filters=0), dict(depth=2, channels=0)):
        assert _message(lambda: CN.linear_conv_net(3, **kw)).startswith("depth, filters and channels must be >= 1")


def test_two_point_attractor_refuses_equal_or_matrix_points():
    x = np.array([0.2, 0.4])
    assert "coincide" in _message(lambda: D.two_point_attractor(x, x))
    assert "vectors" in _message(lambda: D.two_point_attractor(np.ones((2, 2)), np.zeros((2, 2))))


def test_first_layer_of_one_input():
    W1, b1 = T.first_layer(1, 5, rng=0)
    assert W1.shape == (5, 1) and b1 is None
    W, _ = T.first_layer(3, 400, law="rademacher", sigma=2.0, rng=0)
    assert set(np.unique(W)) == {-2.0, 2.0}


def test_features_cond_is_the_condition_number_of_the_relu_features():
    rng = np.random.default_rng(0)
    X = rng.random((3, 5))
    W1, b1 = T.first_layer(5, 40, bias=True, rng=1)
    model = T.fit(X, W1, b1)
    Phi = np.maximum(X @ W1.T + b1, 0.0)
    s = np.linalg.svd(Phi, compute_uv=False)
    assert T.features_cond(model) == pytest.approx(s[0] / s[-1], rel=1e-10)
    assert "W1" in _message(lambda: T.fit(X, np.full((40, 5), np.nan)))


def test_gd_contraction_is_the_worst_of_both_ends():
    svd = lin.data_svd(synthetic(3, 8, cond=3.0, scale=2.0, rng=0))
    for eta in (0.1 / svd.s_max ** 2, 1.9 / svd.s_max ** 2):
        expected = max(abs(1 - eta * svd.s_min ** 2), abs(1 - eta * svd.s_max ** 2))
        assert C.gd_contraction(svd, eta) == pytest.approx(expected, rel=1e-14)


def test_projection_diagnostics_refuses_non_square_and_names_w():
    basis = np.eye(4)[:, :2]
    assert "square" in _message(lambda: C.projection_diagnostics(np.ones((4, 3)), basis, np.ones((1, 4))))
    assert "W" in _message(lambda: C.projection_diagnostics(np.full((4, 4), np.inf), basis, np.ones((1, 4))))


def test_escape_ratio_stops_once_every_start_is_one_away():
    """``f(x) = 2x`` from radius 0.1: after 4 steps every start is at 1.6 > 1, and iteration stops."""
    r = dyn.escape_ratio(lambda Z: 2.0 * Z, np.zeros(3), 0.1, steps=50, m=5, rng=0)
    assert np.allclose(r, 16.0)


def test_iterate_records_the_largest_row_movement():
    it = dyn.iterate(lambda Z: 0.5 * Z, np.array([[2.0, 0.0], [0.0, 1.0]]), 2)
    assert it.movement == pytest.approx([1.0, 0.5])


def test_known_maps_have_the_eigenvalues_their_names_say():
    for m in dyn.known_maps(np, d=4, rng=0):
        if "0.5 and 1.2" in m.name:
            lam = sorted(np.abs(np.linalg.eigvals(m.jacobian)))
            assert lam[-1] == pytest.approx(1.2) and lam[0] == pytest.approx(0.5)


def test_settle_honours_a_given_escape_bound():
    st = dyn.settle(lambda Z: 3.0 * Z, np.array([[1.0], [0.0]]), np.array([[0.0], [5.0]]), tol=0.1, move_tol=1e-9,
                    cap=100, escape=50.0)
    assert st.outcome == ["unsettled", "recovered"] and st.steps[0] == 100


def test_fd_jvp_uses_the_step_it_is_given():
    f = lambda Z: Z ** 3  # noqa: E731
    x, V = np.array([1.0, 2.0]), np.eye(2)
    coarse = jac.fd_jvp(f, x, V, h=0.5)
    assert np.allclose(np.diag(coarse), 3 * x ** 2 + 0.25)  # central difference of z^3: 3 z^2 + h^2
    assert np.allclose(np.diag(jac.fd_jvp(f, x, V)), 3 * x ** 2, atol=1e-7)


def test_train_single_filter_reports_the_loss_at_its_last_iterate():
    x = np.random.default_rng(0).random(9)
    res = conv.train_single_filter(x, 3, lr=1e-3, max_steps=5)
    M = conv.filter_design(x, 3)
    assert res.loss == pytest.approx(0.5 * float(np.sum((M @ res.params - x) ** 2)), rel=1e-12)


def test_conv_train_takes_the_input_size_of_a_fixed_first_layer():
    U = conv.upsample_matrix(2, 2)  # 4 -> 16, fixed; then a strided convolution back to 2 x 2
    lay = conv.ConvLayout.build(4, 3, stride=2, padding=1)
    net = CN.LinearConvNet.create([None, lay], [None, 0.1 * np.ones((1, 1, 3, 3))], fixed=[U, None])
    assert "takes images of 4 values" in _message(lambda: CN.train(net, np.ones((2, 16)), max_steps=1))
    assert CN.train(net, np.ones((2, 4)), max_steps=1).steps == 1


# ----------------------------------------------------------------------------- messages name their input

@pytest.mark.parametrize("call, needle", [
    (lambda: D.init_network((3,)), "widths must list at least an input and an output size"),
    (lambda: LD.row_space_descent(np.full((2, 3), np.nan), None, np.ones((2, 3)), None, eta=0.1, max_steps=1), "X "),
    (lambda: A.check_in_range(np.array([[2.0]]), A.get("sigmoid")), "X has 1 entries outside"),
    (lambda: lin.gd_iterate(2.0 * np.eye(2), eta=3.0, t=math.inf), "gradient descent with eta=3 does not converge: "
                                                                     "the largest stable step is 2/lambda_max(X X^T) = 0.5;"),
    (lambda: S.phi_span_residual(np.eye(2) * 1e4, np.ones((1, 2)), np.full((2, 2), 0.5) + np.eye(2) * 0.1,
                                 A.get("sigmoid")), "f(Z) has"),
])
def test_messages_name_what_they_check(call, needle):
    assert _message(call).startswith(needle)


def test_constant_step_divergence_names_the_constant_step():
    """exp(-z) is unbounded as z falls: from A0 = I a step of 100 overshoots to a huge loss."""
    act = A.get("exp_neg")
    lo, hi = act.safe_interval
    X = lo + (hi - lo) * (0.3 + 0.4 * np.eye(3)[:2])
    from theory.errors import DivergenceError

    with pytest.raises(DivergenceError, match="the constant step eta=100 is too large"):
        S.gd_train(X, act, step=100.0, adaptive=False, max_steps=50, A0=np.eye(3))


def test_dask_callback_refusal_is_worded_for_people():
    da = pytest.importorskip("dask.array")
    X = da.from_array(synthetic(2, 8, rng=0), chunks=(2, 4))
    msg = _message(lambda: LD.gd_train_factored(X, eta=0.1, max_steps=2, callback=lambda *a: None))
    assert msg.startswith("a descent callback needs the whole iterate")


def test_check_matrix_and_range_name_their_argument_and_its_type():
    assert _message(lambda: A.check_in_range(np.ones(3), A.get("sigmoid"), "F")).startswith("F ")
    assert "(str)" in _message(lambda: lin.data_svd("abc")) and _message(lambda: lin.data_svd(np.ones(3))).startswith("X ")


def test_distance_cancels_a_shared_base_exactly():
    rng = np.random.default_rng(0)
    base = 1e12 * rng.normal(size=(5, 5))
    L1, R1, L2, R2 = (rng.normal(size=(5, 2)) for _ in range(4))
    exact = np.linalg.norm(L1 @ R1.T - L2 @ R2.T)
    got = lin.distance(lin.FactoredMap(L1, R1, base), lin.FactoredMap(L2, R2, base))
    assert got == pytest.approx(exact, rel=1e-12)


def test_settle_counts_a_move_of_exactly_move_tol_as_settled():
    st = dyn.settle(lambda Z: Z + 0.5, np.array([[0.0]]), np.array([[0.0], [10.0]]), tol=0.1, move_tol=0.5, cap=10)
    assert st.outcome == ["spurious"] and st.steps == [1]


def test_trend_test_takes_boolean_outcomes():
    t = stats.trend_test([1, 2, 3, 4, 5, 6], [False, False, False, True, True, True], resamples=99)
    assert t["direction"] == "increasing"


def test_jax_float32_weight_gradient_stays_float32():
    jax = pytest.importorskip("jax", reason="JAX is in the test extra")
    jax.config.update("jax_enable_x64", True)  # where the default float is float64, a dtype left out shows
    jnp = jax.numpy
    lay = conv.ConvLayout.build(3, 3)
    G = jnp.ones((9, 2), dtype=jnp.float32)
    g = lay.weight_gradient(G, G)
    assert g.dtype == jnp.float32
    assert np.allclose(np.asarray(g), lay.weight_gradient(np.ones((9, 2)), np.ones((9, 2))))


def test_composition_tells_examples_from_combinations():
    """theory.dynamics.composition: a scaled example is individual, a mix of two a combination, a
    vector outside the span neither, the negative of an example is not that example (but lies in
    the span: a combination); one example
    has separation 1; bad shapes are refused."""
    from theory.dynamics import composition

    X = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    F = np.array([[3.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0], [-2.0, 0.0, 0.0]])
    c = composition(F, X, 0.1)
    assert c["classes"] == ["individual", "combination", "neither", "combination"] and c["separation"] == 1.0
    assert c["sine_nearest"][0] == 0.0 and c["sine_nearest"][3] == 1.0 and abs(c["sine_span"][1]) < 1e-15
    assert composition(F[:1], X[:1], 0.1)["separation"] == 1.0
    assert "composition needs" in _message(lambda: composition(F[:, :2], X, 0.1))


def test_monotone_path_counts_steps_back_and_overshoots():
    from theory.single_layer import monotone_path

    star = np.array([[2.0, -1.0]])
    up = np.stack([t / 4 * star for t in range(5)])
    m = monotone_path(up, star, tol=1e-12)
    assert m["steps_back"] == m["overshoots"] == 0
    osc = np.stack([(1 - (-0.5) ** t) * star for t in range(6)])
    m = monotone_path(osc, star, tol=1e-12)
    assert m["steps_back"] == 4 and m["overshoots"] == 6 and m["largest_step_back"] == pytest.approx(0.75 * 2)
    assert "at least 2 iterates" in _message(lambda: monotone_path(up[:1], star, tol=0.0))


def test_greater_test_is_scipys_one_sided_mann_whitney():
    from scipy.stats import mannwhitneyu

    from theory.stats import greater_test

    a, b = [5.0, 6.0, 7.0, 8.0, 9.0], [1.0, 2.0, 3.0, 4.0, 5.5, 6.5]
    t = greater_test(a, b)
    assert t["p_greater"] == mannwhitneyu(a, b, alternative="greater").pvalue and t["n_a"] == 5 and t["n_b"] == 6
    assert greater_test(b, a)["p_greater"] > 0.9
    assert "non-empty 1-D samples of finite values" in _message(lambda: greater_test([], b))
    assert "finite" in _message(lambda: greater_test([np.nan], b))


def test_downsampling_net_bottleneck_and_mid_layers():
    """Down to a bottleneck then mid layers there: the layer count is log2(s/b) strided convs + mid
    + log2(s/b) (upsample, conv) pairs; the operator is square on s x s x 3; a bad bottleneck is refused."""
    net = CN.downsampling_net(8, width=2, bottleneck=2, mid_layers=3, rng=0)
    assert net.depth == 2 + 3 + 2 * 2
    assert net.operator().shape == (192, 192)
    assert CN.downsampling_net(8, width=2, rng=0).depth == 3 + 2 * 3  # the default: down to 1 x 1
    assert "bottleneck side must be a power of 2" in _message(lambda: CN.downsampling_net(8, bottleneck=3))
    assert "bottleneck side must be a power of 2" in _message(lambda: CN.downsampling_net(8, bottleneck=8))
    assert "mid_layers must be >= 0" in _message(lambda: CN.downsampling_net(8, bottleneck=2, mid_layers=-1))
