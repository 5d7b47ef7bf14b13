"""Behaviours that mutants of theory/ on a fresh seed (20261204, issue 28) survived: what the sample
drawn for benchmarks/MUTATION.md's first score did not reach.  Each test names what it pins."""

import math

import numpy as np
import pytest

from theory import construction as K
from theory import conv_nets as CN
from theory.common import check_matrix
from theory.errors import InputError


def _message(call) -> str:
    with pytest.raises(InputError) as info:
        call()
    return str(info.value)


def test_check_matrix_names_X_by_default():
    assert _message(lambda: check_matrix(np.ones(3))).startswith("X must be 2-D")


def test_piecewise_1d_keeps_its_slope_and_names_half_the_gap():
    g = K.piecewise_1d([0.0, 1.0], slope=0.25, radius=0.1)
    assert g.slope == 0.25 and g.radius == 0.1
    # radius + ramp = 0.4 against half the smallest gap 0.5 * 0.5 = 0.25
    assert "half the smallest gap 0.25 between" in _message(lambda: K.piecewise_1d([0.0, 0.5], slope=0.2, radius=0.2))


def _loss(model, X) -> float:
    """The trainers' loss: ||f(X) - X||_F^2 / (2 n)."""
    return float(np.sum((model(X) - X) ** 2)) / (2 * X.shape[0])


@pytest.fixture
def uniform_net():
    net = CN.linear_conv_net(3, 6, scale=1.0, skip_every=3, rng=1)
    assert CN.is_uniform(net)  # the stacked fast path
    return net, np.random.default_rng(3).random((2, 9))


def test_uniform_training_records_its_loss_levels(uniform_net):
    net, X = uniform_net
    r = CN.train(net, X, lr=1e-3, max_steps=300, levels=(1e-1, 1e-2, 1e-3))
    assert sorted(r.levels) == [1e-2, 1e-1] and r.loss > 1e-3
    for level, (step, loss, model) in r.levels.items():
        assert 0 < step < 300 and loss <= level
        assert _loss(model, X) == pytest.approx(loss, rel=1e-9)  # the model of that step
    assert r.levels[1e-1][0] < r.levels[1e-2][0]


def test_uniform_training_finishes_with_lbfgs(uniform_net):
    net, X = uniform_net
    plain = CN.train(net, X, lr=1e-3, max_steps=50)
    done = CN.train(net, X, lr=1e-3, max_steps=50, finish_iter=30, loss_tol=1e-12)
    assert done.finish is not None and done.finish.loss_before == plain.loss
    assert done.loss < 1e-3 * plain.loss
    assert _loss(done.params[0], X) == pytest.approx(done.loss, rel=1e-9)


def test_uniform_training_says_which_step_diverged(uniform_net):
    net, X = uniform_net
    with pytest.raises(Exception, match="the learning rate 1000 is too large for adam; lower it"):
        CN.train(net, X, lr=1e3, max_steps=200)


def test_trend_test_spearman_is_scipys_and_its_record_names_the_test():
    from scipy.stats import spearmanr

    from theory import stats

    x, y = [1, 1, 2, 2, 3, 3, 4], [0.1, 0.3, 0.2, 0.5, 0.4, 0.9, 0.7]
    t = stats.trend_test(x, y, resamples=99)
    assert t["spearman"] == pytest.approx(spearmanr(x, y).statistic, rel=1e-12)
    assert t["test"].startswith("Spearman rank correlation over (size, seed) pairs")
    assert "alpha" in _message(lambda: stats.trend_test(x, y, alpha=0.0))


def test_fraction_greater_test_names_fishers_test():
    from theory import stats

    assert stats.fraction_greater_test(9, 10, 2, 10)["test"] == \
        "one-sided Fisher exact (scipy.stats.fisher_exact, alternative greater)"


def test_the_certificate_samples_the_whole_unit_circle():
    """An eigenvalue 0.01 inside the circle at -1 with an error bound of 0.02: some J + E has it on
    the circle, so the class is not certified (sampling near z = 1 alone would certify it)."""
    from theory.pseudospectra import classify_within

    assert classify_within(np.diag([-0.99, 0.1]), 0.02)[0] == "undecided"
    assert classify_within(np.diag([-0.5, 0.1]), 0.02)[0] == "attractor"


def test_newton_moves_the_rows_whose_step_exists_when_another_is_singular():
    """x - 0.5 sin x: J - I = -0.5 cos x is singular at pi/2; the row at 0.3 still reaches 0."""
    from theory import dynamics as dyn

    fp = dyn.fixed_points_near(lambda Z: Z - 0.5 * np.sin(Z), lambda Z: (1 - 0.5 * np.cos(Z))[:, :, None],
                               np.array([[0.3], [math.pi / 2]]))
    assert abs(float(fp.points[0, 0])) < 1e-15 and fp.converged == [True, False] and fp.moved[1] == 0.0


def test_known_maps_are_of_the_dtype_asked_and_as_named():
    import array_api_compat.numpy as xp

    from theory import dynamics as dyn

    for dtype in (xp.float32, None):
        for km in dyn.known_maps(xp, rng=0, dtype=dtype):
            want = xp.float64 if dtype is None else dtype
            assert km.fixed_point.dtype == want and km.jacobian.dtype == want, km.name
    sine = {km.name: km for km in dyn.known_maps(xp, rng=0)}
    assert float(sine["x - 0.5 sin x at 0"].jacobian[0, 0]) == 0.5
    assert float(sine["x - 0.5 sin x at pi"].jacobian[0, 0]) == 1.5


def test_inverse_rounding_is_u_F_over_the_derivative():
    """tanh at F = 0.5: phi^{-1}(F) moves by u |F| / (1 - F^2) per entry."""
    from theory import activations as A
    from theory import single_layer as S

    F = np.full((1, 4), 0.5)
    got = float(S.inverse_rounding(F, A.get("tanh"), 1e-16)[0])
    assert got == pytest.approx(2 * 1e-16 * 0.5 / (1 - 0.25), rel=1e-12, abs=0.0)  # approx would take 1e-12 absolute


@pytest.mark.parametrize("patience", [0, -3, 2.5])
def test_a_plateau_needs_an_integer_patience_of_at_least_one(patience):
    from theory.descent import Plateau

    assert "integer patience >= 1" in _message(lambda: Plateau(patience=patience))


def test_the_nonlinear_conv_trainer_passes_adams_epsilon_on():
    """Adam's epsilon changes the path: with eps = 1 the steps are damped where gradients are small."""
    from theory import conv_nonlinear as cn

    m = cn.ConvAutoencoder(CN.linear_conv_net(5, 4, filters=2, scheme="pytorch", rng=0), 0.1)
    X = np.random.default_rng(1).random((3, 25))
    small = cn.train(m, X, lr=1e-2, max_steps=20)
    damped = cn.train(m, X, lr=1e-2, max_steps=20, adam_eps=1.0)
    assert small.loss < damped.loss < cn.loss(m, X)


def _quadratic(ps):
    r = ps[0] - 1.0
    return 0.5 * float(np.sum(r * r)), [r]


def _rosenbrock(ps):
    x, y = ps[0][0], ps[0][1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2, [np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])]


def test_lbfgs_without_iterations_says_why_it_stopped_and_stays_put():
    from theory.finishing import lbfgs

    x0 = [np.zeros(4)]
    out, f = lbfgs(x0, _quadratic, loss_tol=1e-3, max_iter=0)
    assert (f.stop, f.loss_before, f.loss, f.distance, f.evaluations) == ("max_iter", 2.0, 2.0, 0.0, 0)
    out, f = lbfgs(x0, _quadratic, loss_tol=10.0, max_iter=5)  # at its target already
    assert (f.stop, f.distance) == ("loss_tol", 0.0) and np.array_equal(out[0], x0[0])


def test_lbfgs_keeps_to_its_iteration_budget():
    from theory.finishing import lbfgs

    _, f = lbfgs([np.array([-1.2, 1.0])], _rosenbrock, loss_tol=0.0, max_iter=3)
    assert (f.iterations, f.stop) == (3, "max_iter") and f.loss > 1.0


@pytest.mark.parametrize("g, stop", [(1e-5, "stationary"), (1.0, "no progress")])
def test_lbfgs_calls_a_point_stationary_by_the_squared_gradient(g, stop):
    """A flat loss of 1 with a constant gradient: no step descends.  ||g||^2 <= sqrt(u) L is a
    stationary point (2e-5 squared is 4e-10), a larger gradient is no progress."""
    from theory.finishing import lbfgs

    _, f = lbfgs([np.zeros(4)], lambda ps: (1.0, [np.full(4, g)]), loss_tol=0.0, max_iter=100)
    assert f.stop == stop and f.iterations < 100


def test_seeds_without_a_schedule_train_as_they_do_one_by_one():
    """Default step, no plateau schedule, no finish: each seed's stopping step and loss (a seed that
    reaches the target stops there while the others go on), and its loss levels' models."""
    from theory.conv_seeds import train_seeds
    from theory.finishing import DECADES

    X = np.random.default_rng(1).random((1, 9))
    nets = [CN.linear_conv_net(3, 5, scheme="xavier", rng=s) for s in range(3)]
    one = [CN.train(net, X, max_steps=600, loss_tol=1e-3, levels=DECADES) for net in nets]
    # here (594, 600, 507 steps): two reach the target at different steps, one does not
    assert len({r.steps for r in one}) == 3 and any(r.converged for r in one) and not all(r.converged for r in one)
    together = train_seeds(nets, X, max_steps=600, loss_tol=1e-3, levels=DECADES)
    for res, ref in zip(together, one):
        assert (res.steps, res.converged) == (ref.steps, ref.converged)
        assert res.loss == pytest.approx(ref.loss, rel=1e-9)
        assert sorted(res.levels) == sorted(ref.levels)
        for level, (step, loss, model) in res.levels.items():
            assert step == ref.levels[level][0] and _loss(model, X) == pytest.approx(loss, rel=1e-9)


def test_the_conv_pattern_is_boolean_and_takes_its_padding():
    from theory import conv

    same, valid = conv.conv_pattern(5, 3), conv.conv_pattern(5, 3, padding=0)
    assert same.dtype == bool and same.shape == (25, 25) and valid.shape == (9, 25)


def test_messages_name_their_numbers():
    from theory import certificates, linear
    from theory.convergence import judge_run
    from theory.descent import descend
    from theory.span_fixer import count_certificate, span_fixer

    assert "2/lambda_max(X X^T) = 0.5;" in linear.step_hint(1.0, 4.0) and "= 0.25 is safe" in linear.step_hint(1.0, 4.0)
    svd = linear.data_svd(np.array([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
    assert "use eta < 2/lambda_max(X X^T) = 0.5" in _message(lambda: certificates.gd_steps_needed(svd, 1.0, 0.5))
    assert "last must be an integer >= 1, got 0" in _message(lambda: judge_run(None, None, loss_tol=0.0, last=0))
    assert "loss_tol must be >= 0, got -1" in _message(
        lambda: descend(np.zeros(1), lambda p: (p, 0.0), max_steps=1, loss_tol=-1))
    X = np.array([[1.0, 0.0, 0.0]])
    fx = span_fixer(np.eye(3), X)
    assert "finite center and a radius > 0, got 1.0, 0.0" in _message(lambda: count_certificate(fx, 1.0, 0.0))


def test_memorization_reports_both_certificates_margins():
    from theory.span_fixer import count_certificate, memorization, span_fixer

    X = np.random.default_rng(0).random((2, 6))
    Q, _ = np.linalg.qr(X.T)
    m = memorization(Q @ Q.T, X, near_one=0.05, small=0.5)
    assert m["margin_near_one"] > 0 and m["margin_small"] > 0
    # the margin is the smallest sampled sigma_min(A_0 - z I) less half the arc between samples, less eps
    fx = span_fixer(Q @ Q.T, X)
    c = count_certificate(fx, 0.0, 0.5, samples=8, max_samples=8)
    z = [0.5 * complex(math.cos(2 * math.pi * j / 8), math.sin(2 * math.pi * j / 8)) for j in range(8)]
    low = min(float(np.min(np.linalg.svd(fx.A0 - w * np.eye(6), compute_uv=False))) for w in z)
    assert c.margin == pytest.approx(low - math.pi * 0.5 / 8 - fx.eps, rel=1e-12, abs=0.0)


def test_single_layer_descent_calls_back_and_bounds_its_distance():
    from theory import activations as A
    from theory import linear
    from theory import single_layer as S

    X = np.random.default_rng(0).uniform(0.2, 0.8, (2, 5))
    act = A.get("sigmoid")
    seen = []
    res = S.gd_train(X, act, step=S.default_step(X, act, adaptive=False), adaptive=False, max_steps=5,
                     callback=lambda t, loss, params: seen.append(t))
    assert len(seen) >= 5
    A_t = res.params[0] if isinstance(res.params, tuple) else res.params
    svd = linear.data_svd(X)
    R = S.apply(A_t, X) - S.preimages(X, act)
    assert S.distance_bound(A_t, X, act, svd) == pytest.approx(
        float(np.linalg.norm(R)) / svd.s_min, rel=1e-12, abs=0.0)


def test_a_preimage_of_one_column_at_phi_zero_is_refused_by_name():
    from theory import activations as A
    from theory import single_layer as S

    assert "sigmoid(0) = 0.5" in _message(lambda: S.preimages(np.full((2, 1), 0.5), A.get("sigmoid")))


def test_the_two_layer_jacobian_stack_is_each_rows():
    from theory import two_layer_relu as T

    rng = np.random.default_rng(0)
    X = rng.random((3, 5))
    W1, b1 = T.first_layer(5, 40, rng=1)
    model = T.fit(X, W1, b1)
    J = T.jacobian(model, X)
    for i in range(3):
        np.testing.assert_array_equal(J[i], T.jacobian_dense(model, X[i, :]))


def test_the_factored_single_layer_descent_calls_back_too():
    from theory import activations as A
    from theory import single_layer as S

    X = np.random.default_rng(0).uniform(0.2, 0.8, (2, 5))
    act = A.get("sigmoid")
    seen = []
    S.gd_train(X, act, step=S.default_step(X, act, adaptive=False), adaptive=False, max_steps=5, factored=True,
               callback=lambda t, loss, params: seen.append(t))
    assert seen[:5] == [0, 1, 2, 3, 4]


def test_a_callback_on_dask_data_is_refused_by_name():
    da = pytest.importorskip("dask.array")
    from theory import activations as A
    from theory import single_layer as S

    X = da.from_array(np.random.default_rng(0).uniform(0.2, 0.8, (2, 5)), chunks=(2, 5))
    act = A.get("sigmoid")
    msg = _message(lambda: S.gd_train(X, act, step=0.1, adaptive=False, max_steps=2, factored=True,
                                      callback=lambda *a: None))
    assert "which the dask backend does not gather;" in msg and msg.endswith("use --backend numpy or cupy for this check")


def test_a_run_exactly_at_its_loss_target_is_at_target():
    from theory.convergence import judge_run
    from theory.descent import DescentResult

    res = DescentResult(("model", None), 10, 1e-3, True, "loss_tol")
    assert judge_run(res, lambda m: ("d", 1), loss_tol=1e-3).status == "at-target"


def test_a_final_loss_that_blows_up_names_the_hint():
    from theory.descent import descend

    with pytest.raises(Exception, match="diverged at step 1 .*; use a step below 0.5"):
        descend(0.0, lambda p: (p + 1.0, 1.0), max_steps=1, loss=lambda p: math.inf,
                divergence_hint="use a step below 0.5")
