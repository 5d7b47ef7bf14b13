"""theory.descent: the one loop's stopping rule, checkpoints and divergence detection."""

import math

import pytest

from theory.descent import descend
from theory.errors import DivergenceError, InputError


def halving(x):
    return x / 2, x * x


def test_stops_at_loss_tolerance_with_loss_of_returned_params():
    res = descend(1.0, halving, max_steps=100, loss_tol=1e-6)
    assert res.converged and res.stop_reason == "loss_tol"
    assert res.loss <= 1e-6 and res.loss == res.params**2
    assert res.steps == 10  # 2^-10 squared = 9.5e-7


def test_stops_at_budget_and_evaluates_final_loss():
    res = descend(1.0, halving, max_steps=3, loss=lambda x: x * x)
    assert not res.converged and res.stop_reason == "max_steps"
    assert res.params == 0.125 and res.loss == 0.125**2 and res.steps == 3


def test_checkpoints_and_records():
    seen = []
    res = descend(1.0, halving, max_steps=4, loss=lambda x: x * x, checkpoints=[0, 2, 4, 9],
                  record_every=2, callback=lambda t, loss, p: seen.append(t))
    assert res.checkpoints == {0: 1.0, 2: 0.25, 4: 0.0625}
    assert [t for t, _ in res.losses] == [0, 2, 4]
    assert seen == [0, 1, 2, 3]


def test_divergence_by_growth_and_by_nan():
    with pytest.raises(DivergenceError, match="grew from 1 to .*; use a smaller step"):
        descend(1.0, lambda x: (3 * x, x * x), max_steps=1000, divergence_hint="use a smaller step")
    with pytest.raises(DivergenceError, match="loss is nan"):
        descend(1.0, lambda x: (x, math.nan), max_steps=5)


def test_bad_arguments():
    with pytest.raises(InputError):
        descend(1.0, halving, max_steps=-1)
    with pytest.raises(InputError):
        descend(1.0, halving, max_steps=2, loss_tol=float("nan"))


def test_optimizer_rules_are_written_out():
    import numpy as np

    from theory.descent import optimizer

    gd = optimizer("gd", 0.5)
    (p,), _ = gd.update([np.array([1.0])], [np.array([2.0])], gd.init([np.array([1.0])]))
    assert p[0] == 0.0
    adam = optimizer("adam", 0.1, eps=0.0)
    (p,), state = adam.update([np.array([1.0])], [np.array([-3.0])], adam.init([np.array([1.0])]))
    assert p[0] == pytest.approx(1.1) and state[0] == 1  # first Adam step moves by lr * sign(-g)
    with pytest.raises(InputError, match="unknown optimizer"):
        optimizer("sgd", 0.1)
    with pytest.raises(InputError, match="learning rate"):
        optimizer("adam", -1.0)
    with pytest.raises(InputError, match="fused"):
        optimizer("adam", 0.1, fused="yes")


def _adam_steps(xp, fused, parallel=False, dtype="float64", steps=3, in_place=False):
    import numpy as np

    from theory.descent import optimizer

    rng = np.random.default_rng(0)
    shapes = [(300, 257), (1000,), (3, 5), (0,)]
    ps = [xp.asarray(rng.standard_normal(s).astype(dtype)) for s in shapes]
    gs = [xp.asarray(rng.standard_normal(s).astype(dtype)) for s in shapes]
    given = ps + gs
    before = [np.array(np.asarray(a), copy=True) for a in given]
    adam = optimizer("adam", 1e-3, fused=fused, parallel=parallel, moments_in_place=in_place)
    state = adam.init(ps)
    first = state
    for _ in range(steps):
        ps, state = adam.update(ps, gs, state)
    if in_place and fused:  # the fused groups' moments were overwritten where they were: the same arrays
        assert state[1][0] is first[1][0] and state[2][0] is first[2][0]
    # the caller's arrays are read, never written
    assert all(np.array_equal(np.asarray(a), b) for a, b in zip(given, before))
    return [np.asarray(a) for a in ps + state[1] + state[2]]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("parallel", [False, True])
def test_fused_adam_is_the_whole_array_rule_bit_for_bit(parallel, dtype):
    """On NumPy Adam runs as one compiled loop (gpu.kernels.adam_update, numba), serial or over
    the cores: the same operations in the same order, constants rounded to the dtype as NumPy
    rounds them, so exactly the numbers of the whole-array rule (``fused=False``) and of the rule
    on another namespace (array_api_strict: whole arrays), in float64 and float32."""
    import array_api_strict
    import numpy as np

    whole = _adam_steps(np, False, dtype=dtype)
    for got in (_adam_steps(np, True, parallel, dtype), _adam_steps(np, None, parallel, dtype),
                _adam_steps(np, True, parallel, dtype, in_place=True), _adam_steps(np, None, parallel, dtype, in_place=True),
                _adam_steps(array_api_strict, None, dtype=dtype)):
        assert len(got) == len(whole)
        assert all(a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b) for a, b in zip(got, whole))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("fused,parallel,in_place", [(False, False, False), (True, False, False), (None, True, False),
                                                      (None, True, True)])
def test_outer_gradient_is_formed_in_order_inside_the_fused_loop(fused, parallel, in_place, dtype):
    """A weight gradient given as factors (OuterGradient, A^T B) updates exactly as the dense
    gradient summed over the batch rows in order k = 0 .. n-1 (what the fused loop forms a row at a
    time), on every path: whole-array (dense() first), fused serial, fused over the cores, moments
    in place; GD takes dense()."""
    import numpy as np

    from theory.descent import OuterGradient, optimizer

    rng = np.random.default_rng(3)
    A, B = rng.standard_normal((7, 300)).astype(dtype), rng.standard_normal((7, 257)).astype(dtype)
    seq = np.zeros((300, 257), dtype=dtype)
    for k in range(A.shape[0]):
        seq = seq + A[k][:, None] * B[k][None, :]
    dense = A.T @ B
    assert np.allclose(seq, dense, rtol=0, atol=8 * A.shape[0] * np.finfo(dtype).eps * float((abs(A).T @ abs(B)).max()))
    p0 = rng.standard_normal((300, 257)).astype(dtype)
    ref = optimizer("adam", 1e-3, fused=False)
    opt = optimizer("adam", 1e-3, fused=fused, parallel=parallel, moments_in_place=in_place)
    want, ws = [p0], ref.init([p0])
    got, gs_ = [p0], opt.init([p0])
    for _ in range(3):
        want, ws = ref.update(want, [seq if fused is not False else dense], ws)
        got, gs_ = opt.update(got, [OuterGradient(A, B)], gs_)
    for a, b in zip(got + gs_[1] + gs_[2], want + ws[1] + ws[2]):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    gd = optimizer("gd", 0.5)
    (p,), _ = gd.update([p0], [OuterGradient(A, B)], None)
    assert np.array_equal(p, p0 - 0.5 * dense)
    from gpu.kernels import adam_update

    with pytest.raises(ValueError, match="g_factors"):
        adam_update(p0, None, p0, p0, b1=0.9, b2=0.999, step=1e-3, c2=1e-3, eps=1e-8, g_factors=(A, A))


def test_factored_deep_gradients_are_the_products():
    """theory.deep_fc.gradients(factored=True) returns each dW_l as G_z^T H_{l-1}, whose dense()
    is exactly the unfactored gradient; the small-batch trainer, which uses it, follows the
    whole-array Adam on the dense gradients to rounding (n-term sums in another order)."""
    import numpy as np

    from theory import deep_fc as D
    from theory.descent import OuterGradient, optimizer

    rng = np.random.default_rng(0)
    X = rng.random((6, 9))
    net = D.init_network((9, 80, 80, 9), hidden="leaky_relu", scheme="pytorch", rng=1)
    v1, dW1, db1 = D.gradients(net, X)
    v2, dW2, db2 = D.gradients(net, X, factored=True)
    assert v1 == v2 and all(isinstance(g, OuterGradient) for g in dW2)
    assert all(np.array_equal(a, g.dense()) for a, g in zip(dW1, dW2))
    assert all(np.array_equal(a, b) for a, b in zip(db1, db2))
    lr, steps = 1e-3, 5
    got = D.train(net, X, lr=lr, max_steps=steps).params[0]
    opt, cur = optimizer("adam", lr, fused=False), net
    ps = list(net.weights) + list(net.biases)
    state = opt.init(ps)
    for _ in range(steps):
        _, dW, db = D.gradients(cur, X)
        ps, state = opt.update(ps, list(dW) + list(db), state)
        cur = D.Network(tuple(ps[:3]), tuple(ps[3:]), net.activations)
    # each Adam step moves a parameter by at most about lr; rounding of the gradient's sums moves it
    # by a tiny fraction of that
    for a, b in zip(got.weights + got.biases, cur.weights + cur.biases):
        assert np.max(np.abs(a - b)) <= 1e-6 * lr * steps


def test_fused_adam_leaves_the_callers_arrays_alone():
    import numpy as np

    from gpu.kernels import adam_update

    rng = np.random.default_rng(1)
    p, g, m = (rng.standard_normal((7, 9)) for _ in range(3))
    v = rng.random((7, 9))  # a second moment is non-negative
    p_t = p.T  # a non-contiguous view is read correctly
    copies = [a.copy() for a in (p, g, m, v)]
    new_p, new_m, new_v = adam_update(p, g, m, v, b1=0.9, b2=0.999, step=1e-3, c2=1e-3, eps=1e-8)
    assert all(np.array_equal(a, c) for a, c in zip((p, g, m, v), copies))
    assert new_p.shape == p.shape and not np.shares_memory(new_p, p)
    tp, _, _ = adam_update(p_t, g.T, m.T, v.T, b1=0.9, b2=0.999, step=1e-3, c2=1e-3, eps=1e-8)
    assert np.array_equal(tp, new_p.T)
    # moments_in_place: the same numbers, written into m and v; p and g still read only
    m2, v2 = m.copy(), v.copy()
    ip, im, iv = adam_update(p, g, m2, v2, b1=0.9, b2=0.999, step=1e-3, c2=1e-3, eps=1e-8, moments_in_place=True)
    assert im is m2 and iv is v2 and np.array_equal(im, new_m) and np.array_equal(iv, new_v)
    assert np.array_equal(ip, new_p) and np.array_equal(p, copies[0]) and np.array_equal(g, copies[1])
    with pytest.raises(ValueError, match="writeable C-contiguous"):
        adam_update(p, g, m.T, v, b1=0.9, b2=0.999, step=1e-3, c2=1e-3, eps=1e-8, moments_in_place=True)


def test_host_settings():
    """retain_freed_memory is idempotent and says whether it took; blas_threads(None) is a no-op
    and blas_threads(1) limits the BLAS within its block only."""
    from threadpoolctl import threadpool_info

    from gpu.kernels import blas_threads, retain_freed_memory

    assert retain_freed_memory() is retain_freed_memory()
    before = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    with blas_threads(None):
        assert [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"] == before
    with blas_threads(1):
        assert all(i["num_threads"] == 1 for i in threadpool_info() if i["user_api"] == "blas")
    assert [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"] == before
