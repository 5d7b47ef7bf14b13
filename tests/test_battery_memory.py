"""Issue 35, item 4: the memory plan covers every allocation that grows with the user's data.
The examples' spacing is computed a block of rows at a time (never an (n, n, d) array), Theorem 6's
construction reads four breakpoints a point (never an (n, 4n) array), and a memory limit is
honoured by analyze: peak resident memory measured in a subprocess."""

import os
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import verify
from theory import dynamics as dyn
from theory.errors import InputError

ROOT = Path(__file__).resolve().parents[1]


def test_min_spacing_by_blocks_is_the_pairwise_minimum(monkeypatch):
    X = np.random.default_rng(0).uniform(0, 1, (37, 5))
    X[20] = X[3] + 1e-12
    diff = X[:, None, :] - X[None, :, :]
    dist = np.sqrt((diff * diff).sum(-1))
    exact = dist[dist > 0].min()
    monkeypatch.setattr(dyn, "SPACING_BLOCK_BYTES", 8 * 37 * 5 * 3)  # three rows a block
    assert dyn.min_spacing(X) == exact
    with pytest.raises(InputError, match="no two distinct rows"):
        dyn.min_spacing(np.ones((4, 3)))


def _analyze(tmp_path, n: int, limit: str):
    np.save(tmp_path / "X.npy", np.random.default_rng(0).uniform(0.1, 0.9, (n, 8)))
    (tmp_path / "m.py").write_text("def f(Z):\n    return 0.5 * Z + 0.25\n")
    env = {**os.environ, "MEMVERIFY_MEMORY_LIMIT": limit, "PYTHONPATH": str(ROOT)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = subprocess.run([sys.executable, "-m", "verify", "analyze", "--model", "m.py:f", "--data", "X.npy", "--quiet"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux: the largest child so far
    return out, peak if peak > before else None


def test_analyze_honours_the_memory_limit(tmp_path):
    """3,000 examples: an (n, n, d) spacing array alone would be 576 MB; the run stays under its 1 GiB."""
    out, peak = _analyze(tmp_path, 3000, "1")
    assert out.returncode == 3, out.stderr  # the half map attracts to 0.5, not to the examples: answers "no"
    if peak is not None:
        assert peak * 1024 < 2**30, f"peak resident {peak / 2**20:.2f} GiB over the 1 GiB limit"
    refused, _ = _analyze(tmp_path, 3000, "0.25")
    assert refused.returncode == 2 and "the analysis needs about" in refused.stderr and "0.25" in refused.stderr


def test_theorem6_on_many_rows_fits_its_plan():
    """20,000 rows: the construction's (n, 4n) evaluation array would be 12.8 GB."""
    X = np.random.default_rng(1).uniform(0, 1, (20000, 4))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ev = verify.run(["thm6-attractors"], data={"X": X}).evidence[0]
    assert ev.verdict == verify.HOLDS
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024 < 2**30
