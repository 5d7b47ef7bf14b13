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
    with pytest.raises(InputError, match="chunk"):
        optimizer("adam", 0.1, chunk=0)


def _adam_steps(xp, chunk, steps=3):
    import numpy as np

    from theory.descent import optimizer

    rng = np.random.default_rng(0)
    shapes = [(300, 257), (1000,), (3, 5), (0,)]
    ps = [xp.asarray(rng.standard_normal(s)) for s in shapes]
    gs = [xp.asarray(rng.standard_normal(s)) for s in shapes]
    adam = optimizer("adam", 1e-3, chunk=chunk)
    state = adam.init(ps)
    for _ in range(steps):
        ps, state = adam.update(ps, gs, state)
    return [np.asarray(a) for a in ps + state[1] + state[2]]


@pytest.mark.parametrize("chunk", [None, 1, 777, 4096])
def test_chunked_adam_is_the_whole_array_rule_bit_for_bit(chunk):
    """On NumPy Adam runs on cache-sized slices over threads (gpu.host.map_chunks): the same
    arithmetic per element, so exactly the numbers of the whole-array rule (chunk wider than every
    parameter) and of the rule on another namespace (array_api_strict: whole arrays)."""
    import array_api_strict
    import numpy as np

    whole = _adam_steps(np, 10**9)
    for got in (_adam_steps(np, chunk), _adam_steps(array_api_strict, None)):
        assert len(got) == len(whole)
        assert all(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(got, whole))


def test_map_chunks_threads_and_shapes():
    import numpy as np

    from gpu.host import map_chunks

    a = np.arange(10.0).reshape(2, 5)
    b = np.ones(7)
    for threads in (1, 2, 3):
        (s, d), (t, u) = map_chunks(lambda x, y: (x + y, x * y), [(a, a), (b, 2 * b)], 2, width=3, threads=threads)
        assert s.shape == (2, 5) and np.array_equal(s, 2 * a) and np.array_equal(d, a * a)
        assert np.array_equal(t, 3 * b) and np.array_equal(u, 2 * b)
