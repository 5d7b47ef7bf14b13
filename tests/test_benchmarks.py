"""The benchmark scripts run (tiny sizes, no timing asserted): the GPU session's commands must not
break on a typo, and the CPU ones print the lines RESULTS.md quotes."""

import importlib.util
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _script(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_throughput_and_closed_form_lines(capsys):
    bench = _script("bench_scale")
    bench.main(["throughput", "--d", "64", "--n", "8", "--steps", "2", "--repeats", "1"])
    out = capsys.readouterr().out
    assert "dense step" in out and "factored step" in out and "% of the GEMM peak" in out


def test_backends_compares_every_claim_side_by_side(capsys):
    """``backends`` on numpy and array_api_strict (on a GPU: numpy and cupy, the default)."""
    bench = _script("bench_scale")
    bench.main(["backends", "--backends", "numpy", "array_api_strict", "--d", "64", "--n", "8", "--steps", "2",
                "--repeats", "1", "--profile", "quick", "--claim", "linear-min-norm", "--claim", "lemma-forced-zero"])
    out = capsys.readouterr().out
    assert "| linear-min-norm | " in out and "[holds]" in out and "| all | " in out
    assert "array_api_strict: d=64 n=8" in out


@pytest.mark.parametrize("hidden", ["relu", "leaky_relu"])
def test_deep_trainer_benchmark_runs(capsys, hidden):
    _script("bench_deep_fc").main(["--d", "8", "--width", "16", "--depth", "2", "--batch", "4", "--steps", "2",
                                   "--repeats", "1", "--hidden", hidden])
    out = capsys.readouterr().out
    assert "ours (theory.deep_fc) step" in out and "Adam update alone: fused over the cores" in out
    assert "JAX: not installed" in out or "ratio ours / JAX-jit time per step" in out


def test_adam_sizes_table(capsys):
    _script("bench_deep_fc").main(["--adam-sizes", "--repeats", "1"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("elements | NumPy whole-array") and [l.split(" |")[0] for l in lines[2:]] == \
        ["2^12", "2^14", "2^16", "2^18", "2^20"]


def test_jax_step_is_the_same_step():
    """The benchmark's JAX step trains the same network: its loss curve matches ours (so the timing
    compares like with like)."""
    jax = pytest.importorskip("jax")
    import numpy as np

    from theory import deep_fc as D

    jax.config.update("jax_enable_x64", True)
    bench = _script("bench_deep_fc")
    X = np.random.default_rng(0).random((5, 6))
    net = D.init_network((6, 12, 12, 6), hidden="leaky_relu", scheme="pytorch", rng=1)
    args = type("Args", (), {"steps": 30, "hidden": "leaky_relu"})()
    run, _ = bench._jax_steps(net, X, args)
    losses = run(record=True)
    ours = D.train(net, X, optimizer="adam", lr=1e-4, max_steps=30, record_every=1, adam_eps=1e-8).losses
    assert np.allclose([l for _, l in ours[:30]], losses, rtol=1e-12, atol=0)


def test_backends_without_a_gpu_says_so(capsys):
    import gpu

    if gpu.cupy_status()[0]:
        pytest.skip("a GPU is usable here: the comparison itself runs (see above)")
    _script("bench_scale").main(["backends", "--d", "64", "--n", "8"])
    assert "no GPU here" in capsys.readouterr().out


def test_appendix_g_probe_runs(capsys):
    _script("bench_appg").main(["--s", "4", "--width", "4", "--steps", "20", "--every", "10"])
    out = capsys.readouterr().out
    assert "ms/step" in out and "loss at steps 0: " in out and "largest |eigenvalues|" in out


def test_mutation_sample_is_seeded_stratified_and_scored_without_its_equivalents(tmp_path):
    m = _script("mutation")
    names = [f"theory.a.x_f__mutmut_{i}" for i in range(90)] + [f"theory.b.x_g__mutmut_{i}" for i in range(10)]
    one, two = m.sample(names, 20, seed=3), m.sample(names, 20, seed=3)
    assert one == two and one != m.sample(names, 20, seed=4)
    assert sum(n.startswith("theory.a.") for n in one) == 18 and sum(n.startswith("theory.b.") for n in one) == 2
    results = {n: (1 if i % 4 else 0) for i, n in enumerate(one)}  # every fourth survives
    equiv = {one[0]: "means the same"}
    s = m.score(one, results, equiv)
    assert s["counted"] == 19 and s["equivalent"] == [one[0]]
    assert s["killed"] == sum(results[n] == 1 for n in one[1:]) and set(s["survived"]) == {n for n in one[1:] if results[n] == 0}
    text = m.render(s, 3, 20, equiv, len(names), "a note")
    assert "seed 3" in text and f"`{one[0]}`: means the same" in text and "a note" in text


def test_seeds_benchmark_prints_its_table(capsys):
    _script("bench_seeds").main(["--seeds", "2", "--repeats", "1"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("| network | 2 gradients one by one | stacked |")
    assert len(lines) == 3 + 3 + 4 and all(line.count("|") == 5 for line in lines[3:])


def test_time_to_target_sides_train_the_same_networks():
    """Every case's JAX network is ours (its initial loss is checked inside run_jax); both sides
    run at tiny budgets and report their losses."""
    pytest.importorskip("optax", reason="optax is in the test extra")
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import math

    bench = _script("bench_time_to_target")
    for name, (ours, jax_loss, lr, _, _) in bench.cases().items():
        params, loss, start = jax_loss(jax.numpy)
        assert math.isclose(float(loss(params)), start, rel_tol=1e-9), name  # the same network and weights
    ours, jax_loss, lr, _, _ = bench.cases()["tab2-4x4-29-layers"]
    a, b = bench.run_ours(ours, 3, 2), bench.run_jax(jax_loss, lr, 3, 2)
    assert a["adam_steps"] <= 3 and b["adam_steps"] <= 3
    assert a["loss"] > 0 and b["loss"] > 0 and b["compile_seconds"] >= 0


def test_the_gpu_script_parses_and_runs_its_steps_within_a_budget(tmp_path):
    """benchmarks/gpu_run.sh (issue 29): valid bash, and with TINY=1 (the quick profile on numpy) and a
    budget of a few seconds it logs each step it ran or skipped and packs what it has."""
    import shutil
    import subprocess
    import tarfile

    if shutil.which("bash") is None:
        pytest.skip("no bash")
    script = ROOT / "benchmarks" / "gpu_run.sh"
    subprocess.run(["bash", "-n", str(script)], check=True)
    env = {**os.environ, "TINY": "1", "BUDGET": "6", "OUT": str(tmp_path)}
    subprocess.run(["bash", str(script)], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    steps = (tmp_path / "gpu" / "steps.txt").read_text().splitlines()
    # every step is logged, run (with its status and time) or skipped once the budget is spent
    assert steps[0].startswith("large64_linear-min-norm ") and steps[-1] == "done"
    assert all((" rc=" in line and " seconds=" in line) or "skipped: the script's budget is spent" in line
               for line in steps[:-1])
    assert any("skipped: the script's budget is spent" in line for line in steps)
    with tarfile.open(tmp_path / "gpu.tar.gz") as tar:
        assert "gpu/steps.txt" in tar.getnames()


def test_table2_skip_probe_runs_and_tells_the_designs_apart(capsys):
    """benchmarks/tab2_skips.py at --tiny: blocks from the input are the identity at a near-zero init
    (trained 0 steps, every eigenvalue 1); ResNet's stem layout is not, and memorizes one 3 x 3 image."""
    _script("tab2_skips").main(["--tiny"])
    lines = capsys.readouterr().out.splitlines()
    ident = next(line for line in lines if line.startswith("identity scale 0.3"))
    assert "after 0 steps" in ident and "memorizes False" in ident
    assert any(line.startswith("stem") and "memorizes True" in line for line in lines)
