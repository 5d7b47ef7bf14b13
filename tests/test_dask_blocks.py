"""The blockwise descent of the dask backend (``linear_descent._dask_blocks``) on dask's synchronous
scheduler: no cluster, so it runs in a second and in the mutation tests.  Every stopping case of
the one loop (the loss target reached in the first round, in a later round, the budget ending
inside a round) must give the one loop's step, loss, iterate and checkpoints."""

import numpy as np
import pytest

dask = pytest.importorskip("dask", reason="dask is in the test extra")
import dask.array as da  # noqa: E402

from theory import linear_descent
from theory import linear as lin  # noqa: E402
from verify.datasets import synthetic  # noqa: E402


def _chunked(a, cols=8):
    return da.from_array(np.asarray(a), chunks=(a.shape[0], cols))


@pytest.mark.parametrize("max_steps, loss_tol, checkpoints", [
    (150, 0.0, [0, 3, 63, 64, 100, 150]),    # the budget ends inside the second round (64 + 86)
    (5000, 1e-8, [0, 10, 70, 200]),          # the target is reached in a later round
    (5000, 1e-2, [0, 2]),                    # the target is reached in the first round
    (0, 0.0, [0]),
])
@pytest.mark.parametrize("start", ["zero", "factored"])
def test_blockwise_descent_equals_one_loop(max_steps, loss_tol, checkpoints, start):
    host = synthetic(4, 24, cond=3.0, rng=5)
    rng = np.random.default_rng(1)
    A, B = 0.1 * rng.standard_normal((24, 2)), rng.standard_normal((24, 2))
    eta = 1 / lin.data_svd(host).s_max ** 2
    kw = dict(eta=eta, max_steps=max_steps, loss_tol=loss_tol, checkpoints=checkpoints)
    with dask.config.set(scheduler="synchronous"):
        ref = linear_descent.gd_train_factored(host, W0=None if start == "zero" else lin.FactoredMap(A, B), **kw)
        W0 = None if start == "zero" else lin.FactoredMap(da.from_array(A, chunks=(8, 2)), da.from_array(B, chunks=(8, 2)))
        got = linear_descent.gd_train_factored(_chunked(host), W0=W0, **kw)
        assert (got.steps, got.converged, got.stop_reason) == (ref.steps, ref.converged, ref.stop_reason)
        assert got.loss == pytest.approx(ref.loss, rel=1e-9, abs=1e-15)  # summed per block: rounding of the O(1) start
        assert np.max(np.abs(np.asarray(got.params.left.compute()) - ref.params.left)) < 1e-12
        assert sorted(got.checkpoints) == sorted(ref.checkpoints)
        for t in ref.checkpoints:
            assert np.max(np.abs(np.asarray(got.checkpoints[t].left.compute()) - ref.checkpoints[t].left)) < 1e-12
