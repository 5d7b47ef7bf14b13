"""Figures (matplotlib PNG) drawn from a run's evidence: the drawing functions a claim's record
names (:attr:`verify.claim.Claim.figure`).

``python -m verify --figures DIR`` writes them; each file is written atomically.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

def _legend_outside(ax) -> None:
    """The legend to the right of the axes, where it cannot cover data (the saved figure grows)."""
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)


def _integer_ticks(ax, x: bool = True, y: bool = True) -> None:
    """Integer ticks on axes that count (layers, image sides, examples)."""
    from matplotlib.ticker import MaxNLocator

    if x:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if y:
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _save(fig, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix or ".png", dir=path.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=110, bbox_inches="tight")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def thm3_radii(ev, plt):
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
    fig.text(0.01, -0.04, "homogeneity: eigenvalue exactly 1 at every width; Theorem 3 predicts rho < 1 as k grows",
             fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("width k")
    ax.set_ylabel("spectral radius of J at the training examples")
    ax.set_title("Theorem 3: f(x) = W2 relu(W1 x), W2 = X Phi^+")
    _legend_outside(ax)
    return fig


def thm6_construction(ev, plt):
    from theory.construction import PiecewiseLinear

    name, m = next((k, v) for k, v in ev.measurement.metrics.items() if isinstance(v, dict) and "coordinate_0" in v)
    c = m["coordinate_0"]
    g = PiecewiseLinear(np.array(c["breakpoints"]), np.array(c["changes"]), np.array(c["values"]), m["slope"], 0.0, 0.0)
    lo, hi = min(c["breakpoints"]) - 0.05, max(c["breakpoints"]) + 0.05
    x = np.linspace(lo, hi, 20001)
    v0 = c["values"][0]
    width = 1.5 * (c["breakpoints"][3] - c["breakpoints"][0])
    z = np.linspace(v0 - width, v0 + width, 2001)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.4), layout="constrained")
    a1.plot(z, z, "k--", lw=1, label="identity")
    a1.plot(z, g(z), lw=1.5, label="construction g")
    a1.plot([v0], [v0], "ro", label="training value")
    a1.set_title(f"coordinate 0 ({name}): zoom on one value", fontsize=10)
    a1.set_xlabel("x")
    a1.set_ylabel("g(x)")
    a1.legend(fontsize=8)
    a2.plot(x, g(x) - x, lw=1.2)
    a2.plot(c["values"], np.zeros(len(c["values"])), "ro")
    a2.set_title(f"g(x) - x over the coordinate (slope {m['slope']} at each value)", fontsize=10)
    a2.set_xlabel("x")
    a2.set_ylabel("g(x) - x")
    fig.suptitle("Theorem 6: the explicit attractor construction")
    return fig


def fig1_maps(ev, plt):
    m = ev.measurement.metrics
    x = np.array(m["grid"])
    pts = m["points"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    for ax, init in zip(axes, ("near-zero", "large")):
        ax.plot(x, x, "k--", lw=1, label="identity")
        for label, y in m["maps"].items():
            if label.startswith(init):
                slopes = m["max_abs_slope"][label]
                ax.plot(x, y, lw=1.5, label=f"{label.split(' ', 1)[1]} (seed 0; max|f'| {slopes[0]:.2f})")
        ax.plot(pts, pts, "ro", label="training examples")
        ax.set_ylim(-2, 2)
        ax.set_title(f"Figure 1: {init} initialisation")
        ax.set_xlabel("x")
        ax.legend(fontsize=7)
    axes[0].set_ylabel("f(x)")
    ax = axes[2]
    for (label, orbit), color in zip(m.get("orbits", {}).items(), ("tab:blue", "tab:orange", "tab:green", "tab:red")):
        O = np.array(orbit)
        ax.plot(range(len(O)), np.clip(O, -3, 3), color=color, lw=0.8, alpha=0.8)
        ax.plot([], [], color=color, label=label)
    for x in pts:
        ax.axhline(x, color="k", lw=0.6, ls=":")
    ax.set_ylim(-3, 3)
    ax.set_xlabel("iteration t")
    ax.set_ylabel("x_t (clipped to [-3, 3])")
    ax.set_title("iterating the maps (seed 0) from 13 starts")
    ax.legend(fontsize=7)
    return fig


_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown")


def _color(label: str, labels: list) -> str:
    return _COLORS[sorted(labels).index(label) % len(_COLORS)]


def _interval_plot(ax, rows, x_of, frac_key, label_of):
    """Fractions with their 95% Wilson intervals against a size, one line per label (colours by
    the sorted labels, the same as in :func:`_color`)."""
    lines: dict = {}
    for r in rows:
        if frac_key in r:
            lines.setdefault(label_of(r), []).append((x_of(r), r[frac_key]))
    for label, pts in sorted(lines.items()):
        pts.sort()
        xs = [x for x, _ in pts]
        v = np.array([f["value"] for _, f in pts])
        lo = np.array([f["wilson95"][0] for _, f in pts])
        hi = np.array([f["wilson95"][1] for _, f in pts])
        ax.errorbar(xs, v, yerr=[v - lo, hi - v], fmt="o-", capsize=3, label=label, color=_color(label, list(lines)))
    ax.set_ylim(-0.05, 1.05)
    ax.legend(fontsize=7)


def _settle_curve(per_seed, cap):
    """Share of starts recovered (settled at an example) by iteration t, pooled over seeds."""
    total = sum(s["starts"] for s in per_seed)
    at = np.sort(np.concatenate([np.asarray(s["recovered_at"], dtype=float) for s in per_seed] or [np.zeros(0)]))
    ts = np.unique(np.concatenate([[1.0], np.geomspace(1, cap, 60).round()]))
    return ts, np.searchsorted(at, ts, side="right") / max(total, 1)


def contraction(ev, plt):
    st = ev.measurement.statistics
    if not st:
        return None
    rows = list(st["rows"].values())
    m = ev.measurement.metrics.get("swiss-roll") or {}
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    _interval_plot(axes[0], rows, lambda r: r["width"], "attractor_fraction", lambda r: f"{r['optimizer']}, {r['data']}")
    axes[0].set_xscale("log", base=2)
    axes[0].set_xlabel(f"width (depth {rows[0]['depth']})")
    axes[0].set_ylabel("share of examples with rho(J) < 1 (95% Wilson)")
    axes[0].set_title(f"attractor fraction, {st['seeds']} seeds per point")
    widest = {}
    for r in rows:
        key = (r["optimizer"], r["data"])
        if key not in widest or r["width"] > widest[key]["width"]:
            widest[key] = r
    labels = [f"{o}, {d}" for o, d in widest]
    for j, ((opt, data), r) in enumerate(sorted(widest.items())):
        rho = [v for s in r["per_seed"] for v in s["rho"]]
        axes[1].plot(np.full(len(rho), j) + np.linspace(-0.2, 0.2, len(rho)), rho, "o", ms=3,
                     color=_color(f"{opt}, {data}", labels))
    axes[1].set_xticks(range(len(widest)), [f"{o}\n{d}\n{r['width']}x{r['depth']}" for (o, d), r in sorted(widest.items())],
                       fontsize=7)
    axes[1].axhline(1.0, color="k", lw=1)
    margin = rows[0]["rho"]["margin"]
    axes[1].axhspan(1 - margin, 1 + margin, color="0.9", label=f"marginal: |rho - 1| <= {margin:g}")
    axes[1].set_ylabel("rho(J) at each example, every seed")
    axes[1].set_title("spectral radii at the training examples (widest net)")
    axes[1].legend(fontsize=7)
    traj = np.array(m["trajectory_sample"]) if m.get("trajectory_sample") else None
    ax = axes[2]
    if traj is not None:
        for j in range(traj.shape[1]):
            ax.plot(traj[:, j, 0], traj[:, j, 1], "-", color="0.6", lw=0.7)
        ax.plot(traj[0, :, 0], traj[0, :, 1], "o", color="tab:green", ms=3, label="initial points (grid)")
        ax.plot(traj[-1, :, 0], traj[-1, :, 1], "x", color="tab:blue", ms=5, label=f"after {traj.shape[0] - 1} iterations")
        X = np.array(m.get("train") or [])
        if X.size:
            ax.plot(X[:, 0], X[:, 1], "o", color="tab:red", ms=6, label="training examples")
        ax.set_aspect("equal")
        ax.legend(fontsize=7)
    ax.set_title(f"Figure 2: Swiss roll ({st['rests_on']}, seed 0, widest net)")
    return fig


def recovery_width_depth(ev, plt):
    st = ev.measurement.statistics
    if not st:
        return None
    fig, axes = plt.subplots(2, 3, figsize=(16, 8.5))
    for col, axis in enumerate(("width", "depth")):
        rows = [r for k, r in st["rows"].items() if k.startswith(axis + "/")]
        for row, (key, what) in enumerate((("recovered", "share of starts that settle at an example"),
                                            ("attractor_fraction", "share of examples with rho(J) < 1"))):
            ax = axes[row, col]
            _interval_plot(ax, rows, lambda r, a=axis: r[a], key, lambda r: r["optimizer"])
            ax.set_xlabel(axis)
            ax.set_ylabel(f"{what}\n(95% Wilson, {st['seeds']} seeds)", fontsize=8)
            if axis == "width":
                ax.set_xscale("log", base=2)
            else:
                _integer_ticks(ax, y=False)
        trends = ", ".join(f"{k.split('/')[0]}: p = {t['p_increasing']:.2g}" for k, t in st["trend"].items()
                           if k.endswith("/" + axis))
        axes[0, col].set_title(f"Figure 4: recovered when settled vs {axis}\n(one-sided Spearman test, {trends})",
                               fontsize=9)
        axes[1, col].set_title(f"attractor fraction vs {axis}", fontsize=9)
    cap = max(max(s["recovered_at"] or [1]) for r in st["rows"].values() for s in r["per_seed"])
    for ax, opt in zip(axes[:, 2], st["optimizers"]):
        for k, r in st["rows"].items():
            if k.startswith("width/") and r["optimizer"] == opt:
                ts, curve = _settle_curve(r["per_seed"], max(cap, 2))
                ax.plot(ts, curve, label=f"{r['width']}x{r['depth']}")
        ax.set_xscale("log")
        ax.set_xlabel("iterations t (until settled)")
        ax.set_ylabel("settled at a training example by t")
        ax.set_title(f"recovery curves ({opt}, pooled over seeds)", fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def superattractor_strip(ev, plt):
    m = ev.measurement.metrics
    if "strip" not in m:
        return None
    ins, outs = np.array(m["strip"]["inputs"]), np.array(m["strip"]["outputs"])
    side = int(round(np.sqrt(ins.shape[1])))
    if side * side != ins.shape[1]:
        return None
    k = ins.shape[0]
    fig, axes = plt.subplots(2, k, figsize=(1.4 * k, 3.2))
    for j in range(k):
        for row, A in enumerate((ins, outs)):
            axes[row, j].imshow(A[j].reshape(side, side), cmap="gray_r", vmin=0, vmax=1)
            axes[row, j].axis("off")
    axes[0, 0].set_title("inputs", fontsize=8, loc="left")
    axes[1, 0].set_title("one iteration f(x)", fontsize=8, loc="left")
    rows = ev.measurement.statistics["rows"] if ev.measurement.statistics else {}
    text = "; ".join(f"{k}: R(1) = {r['R1']['value']:.2f} [{r['R1']['wilson95'][0]:.2f}, {r['R1']['wilson95'][1]:.2f}]"
                     if "R1" in r else f"{k}: no run decided" for k, r in rows.items())
    fig.suptitle(f"Figure 3b: {m['hidden']} networks (seed 0 of the widest shown)\n{text}", fontsize=8)
    return fig


def early_stopping(ev, plt):
    st = ev.measurement.statistics
    if not st:
        return None
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for s in st["per_seed"]:
        rows = sorted(s["checkpoints"].values(), key=lambda r: r["step"])
        kept = [r for r in rows if r["evaluated"]]  # the line joins evaluated checkpoints only
        line, = ax.plot([r["step"] for r in kept], [r["max_rho"] for r in kept], "o-", ms=3, lw=1,
                        label=f"seed {s['seed']}")
        skipped = [r["step"] for r in rows if not r["evaluated"]]
        if skipped:  # marked on the step axis, not at a radius they were never judged by
            ax.plot(skipped, [0.02] * len(skipped), "x", color=line.get_color(), ms=7, ls="none",
                    transform=ax.get_xaxis_transform(), clip_on=False)
    ax.plot([], [], "x", color="k", ls="none", label="not evaluated (reconstruction error\n>= recovery tolerance;\n"
                                                     "marked on the step axis)")
    ax.axhline(1.0, color="k", lw=1)
    ax.set_xscale("symlog", linthresh=10)
    last = max((r["step"] for s in st["per_seed"] for r in s["checkpoints"].values()), default=10)
    ax.set_xlim(0, 1.15 * max(last, 10))  # steps are >= 0 (no negative ticks); every seed's last point inside
    ax.set_xlabel("training step (checkpoints, loss levels, end)")
    ax.set_ylabel("max rho(J) at the examples")
    ax.set_title("Figure 6: contraction during training")
    _legend_outside(ax)
    return fig


def _spectra(ev, plt, title):
    rows = ev.measurement.metrics["rows"]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for name, r in rows.items():
        lam = r.get("top_eigenvalues") or r["seed0"]["top_eigenvalues"]
        ax.plot(range(1, len(lam) + 1), lam, "o-", label=name)
    ax.axhline(1.0, color="k", lw=1)
    ax.axhline(0.5, color="0.6", lw=1, ls="--")
    ax.set_xlabel("i (eigenvalues by decreasing modulus)")
    ax.set_ylabel("|lambda_i| of the trained operator")
    _integer_ticks(ax, y=False)  # i is an index
    ax.set_title(title)
    _legend_outside(ax)
    return fig


def tab2_spectra(ev, plt):
    return _spectra(ev, plt, "Table 2: single-filter deep linear conv autoencoders")


def tab1_spectra(ev, plt):
    return _spectra(ev, plt, "Table 1: two 3 x 3 images, shallow networks (seed 0)")


def thm5_depths(ev, plt):
    from theory.conv import forced_zero_pattern

    rows = ev.measurement.metrics["rows"]
    s = 6
    depths = (1, 2, 3, 5)
    fig, axes = plt.subplots(1, len(depths) + 1, figsize=(3.0 * (len(depths) + 1), 3.2))
    for ax, L in zip(axes, depths):
        ax.imshow(forced_zero_pattern(s, 3, L), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(f"{L} layer(s), {s}x{s}: forced zeros white", fontsize=8)
        ax.axis("off")
    ax = axes[-1]
    for k in sorted({r["k"] for r in rows}):
        pts = sorted((r["s"], r["measured"]) for r in rows if r["k"] == k and r["filters"] == 1)
        ax.plot(*zip(*pts), "o", ms=3, label=f"measured, k = {k}")
        ax.plot([p[0] for p in pts], [-(-2 * (p[0] - 1) // (k - 1)) for p in pts], "-", lw=1, label="ceil(2(s-1)/(k-1))")
    ax.set_xlabel("image side s")
    ax.set_ylabel("least depth without forced zeros")
    _integer_ticks(ax)
    ax.legend(fontsize=6)
    fig.suptitle("Theorem 5: depth, not filters, removes forced zeros", fontsize=9)
    fig.subplots_adjust(wspace=0.45)
    return fig


def appg_spectra(ev, plt):
    m = ev.measurement.metrics
    E, s = np.array(m["eigenvectors"]), m["s"]
    fig, axes = plt.subplots(1, len(E) + 1, figsize=(3.2 * (len(E) + 1), 3.2))
    for j, (ax, e) in enumerate(zip(axes, E)):
        img = e.reshape(3, s, s).transpose(1, 2, 0)
        img = (img - img.min()) / (img.max() - img.min() + 1e-300)
        ax.imshow(img, interpolation="nearest")
        ax.set_title(f"eigenvector {j + 1}, |lambda| {m['top_eigenvalues'][j]:.3f}", fontsize=8)
        ax.axis("off")
    ax = axes[-1]
    lam = m["top_eigenvalues"]
    ax.plot(range(1, len(lam) + 1), lam, "o-")
    ax.axhline(1.0, color="k", lw=1)
    ax.set_title(f"top |eigenvalues| (span residual {m['span_residual']:.1e})", fontsize=8)
    fig.suptitle(f"Appendix G: downsampling to 1 x 1, {s}x{s}x3, 2 training images", fontsize=9)
    return fig


def analysis_rho(ev, plt):
    """``memverify analyze``, attractors: rho(J) per example against 1, with its error bar (the
    Jacobian's error bound), coloured by class."""
    m = ev.measurement.metrics
    rho, classes = m.get("spectral_radius", []), m.get("classification", [])
    if not rho:
        return None
    err = m.get("jacobian_error_norm") or [0.0] * len(rho)
    fig, ax = plt.subplots(figsize=(6, 3))
    colours = {"attractor": "#176317", "repeller": "#a00", "undecided": "#a05000", "not-a-fixed-point": "#777"}
    for c in colours:
        idx = [i for i, k in enumerate(classes) if k == c]
        if idx:
            ax.errorbar(idx, [rho[i] for i in idx], yerr=[err[i] for i in idx], fmt="o", color=colours[c], label=c,
                        capsize=3)
    ax.axhline(1.0, color="k", lw=0.8, ls="--")
    ax.set_xlabel("example")
    ax.set_ylabel("rho(J(x_i))")
    _integer_ticks(ax, y=False)
    _legend_outside(ax)
    return fig


def analysis_reached(ev, plt):
    """``memverify analyze``, recovery: how many starts settled at each example (and elsewhere)."""
    m = ev.measurement.metrics
    counts = m.get("reached_counts")
    if not counts:
        return None
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.bar(range(len(counts)), counts, color="#176317", label="settled at the example")
    other = m.get("spurious", 0) + m.get("unsettled", 0)
    ax.bar([len(counts)], [other], color="#a00", label="spurious or unsettled")
    ax.set_xlabel("example (last bar: elsewhere)")
    ax.set_ylabel("starts")
    _integer_ticks(ax)
    _legend_outside(ax)
    return fig


ANALYSIS_FIGURES = {"attractors": analysis_rho, "recovery": analysis_reached}  # memverify analyze's rows


FORMATS = {"png": ("png",), "svg": ("svg",), "both": ("png", "svg")}  # --figure-format


def write_figures(report, directory, draw: dict, formats=("png",)) -> list:
    """Write the figures of the claims in ``report`` that have one (``draw``: claim id -> its
    :attr:`verify.claim.Claim.figure`), in each of ``formats`` (``png``, ``svg``); return their paths."""
    if os.environ.get("MPLBACKEND", "agg").lower() != "agg":
        os.environ["MPLBACKEND"] = "Agg"  # files only: a user's (or a nonsense) backend is not needed here
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .escape import anchor

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for ev in report.evidence:
        fn = draw.get(ev.id)
        if fn is None:
            continue
        fig = fn(ev, plt)
        if fig is None:
            continue
        try:
            for fmt in formats:
                path = out / f"{anchor(ev.id)}.{fmt}"  # a name of [a-z0-9-] only, inside ``directory``
                _save(fig, path)
                paths.append(path)
        finally:
            plt.close(fig)
    return paths
