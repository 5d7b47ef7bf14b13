"""``--backend dask``: closed forms, blockwise descent and Theorem 3's features on dask.array, on a
distributed LocalCluster and on a scheduler named by address, against the numpy results."""

import numpy as np
import pytest

import gpu
from gpu import dask_cluster
from theory import linear_descent
from theory import activations as acts
from theory import linear as lin
from theory import single_layer as sl
from theory import two_layer_relu as tl
from theory.errors import InputError
from verify import cli
from verify.datasets import scale_into, synthetic
from verify.runner import dask_claims, run


@pytest.fixture(scope="module")
def dask_backend():
    backend = gpu.resolve("dask")
    yield backend
    dask_cluster.close()


def _on(backend, host):
    return gpu.to_backend(host, backend.xp, backend.xp.float64)


def test_backend_is_a_distributed_cluster(dask_backend):
    import dask.array as da

    assert dask_backend.name == "dask" and "workers" in dask_backend.device
    X = _on(dask_backend, synthetic(6, 48, rng=0))
    assert isinstance(X, da.Array) and len(X.chunks[1]) > 1  # chunked along the features


def test_tall_skinny_svd_and_closed_forms_match_numpy(dask_backend):
    host = synthetic(6, 48, cond=4.0, rng=1)
    svd_np, svd_da = lin.data_svd(host), lin.data_svd(_on(dask_backend, host))
    assert np.allclose(gpu.to_numpy(svd_da.s), svd_np.s, rtol=1e-12)
    P_np = lin.span_projection(host).dense()
    P_da = gpu.to_numpy(lin.span_projection(_on(dask_backend, host)).dense())
    assert np.max(np.abs(P_da - P_np)) < 1e-13


@pytest.mark.parametrize("start", ["zero", "factored"])
def test_blockwise_descent_equals_one_loop(dask_backend, start):
    """Each chunk of output coordinates descends on its own worker; the stopping step and the iterate
    are those of the single loop on numpy."""
    host = synthetic(6, 48, cond=4.0, rng=2)
    rng = np.random.default_rng(0)
    A, B = 0.1 * rng.standard_normal((48, 3)), rng.standard_normal((48, 3))
    svd = lin.data_svd(host)
    kw = dict(eta=1 / svd.s_max**2, max_steps=400, loss_tol=1e-16, checkpoints=[0, 5, 100])
    W0_np = None if start == "zero" else lin.FactoredMap(A, B)
    W0_da = None if start == "zero" else lin.FactoredMap(_on(dask_backend, A), _on(dask_backend, B))
    ref = linear_descent.gd_train_factored(host, W0=W0_np, **kw)
    got = linear_descent.gd_train_factored(_on(dask_backend, host), W0=W0_da, **kw)
    assert got.steps == ref.steps and got.converged == ref.converged
    assert got.loss == pytest.approx(ref.loss, rel=1e-9)
    assert np.max(np.abs(gpu.to_numpy(got.params.left) - ref.params.left)) < 1e-12
    assert set(got.checkpoints) == set(ref.checkpoints) == {0, 5, 100}
    for t in ref.checkpoints:
        assert np.max(np.abs(gpu.to_numpy(got.checkpoints[t].left) - ref.checkpoints[t].left)) < 1e-12


def test_theorem1_blockwise_descent_matches_numpy(dask_backend):
    act = acts.get("tanh")
    host = scale_into(synthetic(4, 24, cond=2.0, rng=3), act.safe_interval)
    step = sl.default_step(host, act, adaptive=True)
    ref = sl.gd_train(host, act, step=step, adaptive=True, max_steps=150, factored=True)
    got = sl.gd_train(_on(dask_backend, host), act, step=step, adaptive=True, max_steps=150, factored=True)
    assert np.max(np.abs(gpu.to_numpy(got.params.left) - ref.params.left)) < 1e-12


def test_theorem3_features_match_numpy(dask_backend):
    host = scale_into(synthetic(4, 16, rng=4), (0.0, 1.0))
    W1, _ = tl.first_layer(16, 300, rng=5)
    ref = tl.fit(host, W1)
    got = tl.fit(_on(dask_backend, host), _on(dask_backend, gpu.to_numpy(W1)))
    assert np.max(np.abs(gpu.to_numpy(got.C) - ref.C)) < 1e-12
    Jx = gpu.to_numpy(tl.jacobian_times(got, got.X, got.X))
    assert np.max(np.abs(Jx - tl.jacobian_times(ref, host, host))) < 1e-12


def test_dask_claims_agree_with_numpy(dask_backend):
    """The same seed on both backends: the same verdicts, controls rejected, key metrics close."""
    ids = ["linear-min-norm", "linear-span-projection", "thm1-adaptive-step", "cor-phi-eigenvectors",
           "thm3-homogeneity"]
    kw = dict(profile="quick", activations=["tanh"])
    ref = run(ids, backend="numpy", **kw)
    got = run(ids, backend="dask", **kw)
    assert got.provenance["backend"] == "dask"
    for a, b in zip(ref.evidence, got.evidence):
        assert (a.verdict, a.control_rejected) == (b.verdict, b.control_rejected) == ("holds", True), a.id
        ka, kb = a.measurement.metrics[a.measurement.key], b.measurement.metrics[b.measurement.key]
        assert abs(ka - kb) <= a.measurement.tolerance.value, (a.id, ka, kb)


def test_scheduler_address(dask_backend):
    """A scheduler named by address (here one this test starts) instead of the LocalCluster."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster:
        report = run(["linear-min-norm"], profile="quick", backend="dask", scheduler=cluster.scheduler_address)
        assert cluster.scheduler_address in report.provenance["device"]
        assert report.evidence[0].verdict == "holds"
    dask_cluster.close()


def test_dask_usage_errors(capsys):
    with pytest.raises(InputError, match="the dask backend runs"):
        run(["sec3-contraction"], profile="quick", backend="dask")
    with pytest.raises(InputError, match="use it with --backend dask"):
        run(["linear-min-norm"], profile="quick", backend="numpy", scheduler="tcp://127.0.0.1:1")
    assert cli.main(["--backend", "dask", "--scheduler", "tcp://127.0.0.1:9", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "cannot reach the dask scheduler" in err and "Traceback" not in err
    assert "thm3-homogeneity" in dask_claims()
