"""Figures (matplotlib PNG) drawn from a run's evidence, one function per claim id.

``python -m verify --figures DIR`` writes them; each file is written atomically.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

FIGURES = {}


def figure(claim_id: str):
    def deco(fn):
        FIGURES[claim_id] = fn
        return fn
    return deco


def _save(fig, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".png", dir=path.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=110, bbox_inches="tight")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@figure("thm3-stable-fixed-points")
def _thm3(ev, plt):
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for name, m in ev.measurement.metrics.items():
        if not isinstance(m, dict) or "max_rho_by_width" not in m:
            continue
        ks = [int(k) for k in m["max_rho_by_width"]]
        line, = ax.plot(ks, list(m["max_rho_by_width"].values()), "o-", label=f"{name}: max over examples")
        ax.plot(ks, list(m["min_rho_by_width"].values()), "o--", color=line.get_color(), alpha=0.6,
                label=f"{name}: min over examples")
        if "bias_variant_max_rho_by_width" in m:
            ax.plot(ks, list(m["bias_variant_max_rho_by_width"].values()), "x:", color=line.get_color(),
                    label=f"{name}: with random bias (variant)")
    ax.axhline(1.0, color="k", lw=1)
    ax.text(0.02, 0.03, "homogeneity: eigenvalue exactly 1 at every width\nTheorem 3 predicts rho < 1 as k grows",
            transform=ax.transAxes, fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("width k")
    ax.set_ylabel("spectral radius of J at the training examples")
    ax.set_title("Theorem 3: f(x) = W2 relu(W1 x), W2 = X Phi^+")
    ax.legend(fontsize=7)
    return fig


@figure("thm6-attractors")
def _thm6(ev, plt):
    from theory.construction import PiecewiseLinear

    name, m = next((k, v) for k, v in ev.measurement.metrics.items() if isinstance(v, dict) and "coordinate_0" in v)
    c = m["coordinate_0"]
    g = PiecewiseLinear(np.array(c["breakpoints"]), np.array(c["changes"]), np.array(c["values"]), m["slope"], 0.0, 0.0)
    lo, hi = min(c["breakpoints"]) - 0.05, max(c["breakpoints"]) + 0.05
    x = np.linspace(lo, hi, 20001)
    v0 = c["values"][0]
    width = 1.5 * (c["breakpoints"][3] - c["breakpoints"][0])
    z = np.linspace(v0 - width, v0 + width, 2001)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    a1.plot(z, z, "k--", lw=1, label="identity")
    a1.plot(z, g(z), lw=1.5, label="construction g")
    a1.plot([v0], [v0], "ro", label="training value")
    a1.set_title(f"Theorem 6, coordinate 0 ({name}): zoom on one value")
    a1.legend(fontsize=8)
    a2.plot(x, g(x) - x, lw=1.2)
    a2.plot(c["values"], np.zeros(len(c["values"])), "ro")
    a2.set_title(f"g(x) - x (slope {m['slope']} at each value)")
    a2.set_xlabel("x")
    return fig


def write_figures(report, directory) -> list:
    """Write the figures of the claims in ``report`` that have one; return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for ev in report.evidence:
        fn = FIGURES.get(ev.id)
        if fn is None:
            continue
        fig = fn(ev, plt)
        path = out / f"{ev.id}.png"
        try:
            _save(fig, path)
        finally:
            plt.close(fig)
        paths.append(path)
    return paths
