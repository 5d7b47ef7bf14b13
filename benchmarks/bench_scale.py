"""Verification at scale: closed form vs descent, descent throughput vs the matmul peak, ours vs
PyTorch, NumPy vs CuPy, and how time and memory grow with d, n and k.  Every ratio is of two
timings taken side by side in one run of this script, on the backend named by ``--backend``.

    python benchmarks/bench_scale.py closed-vs-gd --d 4096 --n 256
    python benchmarks/bench_scale.py throughput --d 2048 4096 --n 256
    python benchmarks/bench_scale.py torch --d 2048 --n 256
    python benchmarks/bench_scale.py backends --d 16384 --n 1024 --profile large       (needs a GPU)
    python benchmarks/bench_scale.py scaling --plot benchmarks/scaling.png

``closed-vs-gd``: Section 2's claim (GD from 0 reaches X X^+) verified by the closed form (thin SVD,
factored projection) against explicit GD run until its loss certifies ||W - X X^+|| <= 1e-9 ||X X^+||,
dense (W d x d) and factored (W = M X); Theorem 1 (adaptive step, tanh) the same way; Theorem 4's
single filter by its closed form against its GD.  Data: synthetic (``--cond``); Theorem 1 on sparse
non-negative images in tanh's range.
``throughput``: one dense linear GD step (two n x d x d products, 4 n d^2 flops) and one factored
step (2 n^2 d flops) as a fraction of the best GEMM rate of the same shapes; the step's time is
marginal (runs of 2s and s steps, differenced) and is timed in the same rounds as the GEMMs.
``torch``: the same dense step in PyTorch (an optional dependency of this script only).
``scaling``: closed form, factored GD step and Theorem 3's fit against d, n and k (time, and peak
traced memory on NumPy), as a table and a log-log plot.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gpu  # noqa: E402
from theory import linear_descent
from theory import certificates
from theory import activations as acts  # noqa: E402
from theory import conv  # noqa: E402
from theory import linear as lin  # noqa: E402
from theory import single_layer as sl  # noqa: E402
from theory import two_layer_relu as tl  # noqa: E402
from verify.datasets import scale_into, synthetic  # noqa: E402


def sync(xp):
    if xp.__name__.endswith("cupy"):
        import cupy

        cupy.cuda.get_current_stream().synchronize()


def best_of(fn, repeats: int, xp=None) -> float:
    fn()
    if xp is not None:
        sync(xp)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        if xp is not None:
            sync(xp)
        times.append(time.perf_counter() - t)
    return min(times)


def once(fn, xp=None):
    t = time.perf_counter()
    out = fn()
    if xp is not None:
        sync(xp)
    return out, time.perf_counter() - t


def header(backend) -> None:
    import numpy

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, numpy {numpy.__version__}, "
          f"backend {backend.name} ({backend.device})")


def data(backend, n, d, cond=2.0, seed=0):
    return gpu.to_backend(synthetic(n, d, cond=cond, rng=seed), backend.xp, backend.xp.float64)


# ---------------------------------------------------------------- closed form vs GD

def closed_vs_gd(args, backend) -> None:
    xp = backend.xp
    for d in args.d:
        n = args.n
        X = data(backend, n, d, cond=args.cond)

        def closed():
            svd = lin.data_svd(X)
            P = lin.span_projection(X, svd=svd)
            return svd, P, P.fro()

        (svd, P, scale), t_closed = once(closed, xp)
        eta = 1.0 / svd.s_max**2
        tol = 0.5 * (1e-9 * svd.s_min * scale) ** 2
        budget = 2 * certificates.gd_steps_needed(svd, eta, 1e-10) + 100
        rows = [f"linear d={d} n={n} kappa={svd.cond:.2f}: closed form (SVD + projection) {t_closed:.3f} s"]
        for name, trainer in (("factored", linear_descent.gd_train_factored), ("dense", linear_descent.gd_train)):
            if name == "dense" and d * d * 8 * 4 > args.dense_limit_gib * 2**30:
                rows.append(f"  dense GD: skipped, 4 d x d arrays exceed --dense-limit-gib {args.dense_limit_gib}")
                continue
            res, t = once(lambda: trainer(X, eta=eta, max_steps=budget, loss_tol=tol), xp)
            err = lin.distance(res.params, P) / scale
            rows.append(f"  {name} GD to 1e-9: {t:.3f} s, {res.steps} steps ({1e3 * t / max(res.steps, 1):.2f} ms/step), "
                        f"error {err:.2e}, converged {res.converged}; ratio GD / closed form {t / t_closed:.0f}x")
        print("\n".join(rows))
    # Theorem 1, adaptive step, tanh, factored descent (the large profile's trainer)
    act = acts.get("tanh")
    d, n = args.d[0], args.n
    # sparse non-negative "images" (a small background, 10% of pixels on): kappa ~ 3, as benchmarks/bench_thm1.py
    rng = np.random.default_rng(1)
    lo, hi = act.safe_interval
    host = np.where(rng.random((n, d)) < 0.1, lo + (hi - lo) * rng.random((n, d)), lo)
    X = gpu.to_backend(host, xp, xp.float64)

    def closed1():
        svd = lin.data_svd(X)
        A = sl.closed_form(X, act, svd=svd)
        return svd, A, A.fro()

    (svd, A, scale), t_closed = once(closed1, xp)
    step = sl.default_step(X, act, adaptive=True, svd=svd)
    m, _ = acts.derivative_bounds(act, sl.preimages(X, act))
    tol = 0.5 * (1e-6 * svd.s_min * scale * m) ** 2
    res, t = once(lambda: sl.gd_train(X, act, step=step, adaptive=True, max_steps=args.max_steps, loss_tol=tol,
                                      factored=True), xp)
    err = lin.distance(res.params, A) / scale
    print(f"theorem 1 (tanh, adaptive) d={d} n={n} kappa={svd.cond:.1f}: closed form {t_closed:.3f} s; factored GD "
          f"to 1e-6: {t:.3f} s, {res.steps} steps, error {err:.2e}, converged {res.converged}; ratio {t / t_closed:.0f}x")
    # Theorem 4: one s x s image, the single filter's closed form vs its GD
    s = 16
    x = xp.asarray(np.random.default_rng(2).random(s * s))
    (w, M), t_closed = once(lambda: conv.single_filter_solution(x, s), xp)
    lr = 1.0 / float(xp.linalg.matrix_norm(M, ord=2)) ** 2
    res, t = once(lambda: conv.train_single_filter(x, s, lr=lr, max_steps=50_000, loss_tol=1e-24), xp)
    err = float(xp.max(xp.abs(res.params - w)))
    print(f"theorem 4 (single 3x3 filter, {s}x{s} image): closed form {t_closed * 1e3:.2f} ms; GD {t:.3f} s, "
          f"{res.steps} steps, max filter error {err:.1e}; ratio {t / t_closed:.0f}x")


# ---------------------------------------------------------------- throughput

def gemm(xp, m, k, n):
    A = xp.asarray(np.random.default_rng(5).random((m, k)))
    B = xp.asarray(np.random.default_rng(6).random((k, n)))
    return lambda: A @ B


def interleaved(fns: dict, repeats: int, xp) -> dict:
    """Best time of each function over ``repeats`` rounds, the functions taking turns within a
    round (so a slow spell of a shared machine hits all of them alike)."""
    for fn in fns.values():
        fn()
    sync(xp)
    best = {name: float("inf") for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            sync(xp)
            best[name] = min(best[name], time.perf_counter() - t)
    return best


def throughput(args, backend) -> None:
    """Marginal time of a step: the trainer run for ``2 s`` and for ``s`` steps, the difference over
    ``s`` (set-up, such as the dense trainer's ||X||_2 for its divergence message, and the final loss
    cancel), against the GEMM peak of the step's shapes timed in the same rounds."""
    xp = backend.xp
    for d in args.d:
        n = args.n
        X = data(backend, n, d)
        svd = lin.data_svd(X)
        eta = 1.0 / svd.s_max**2
        s = args.steps
        t = interleaved({
            "dense_s": lambda: linear_descent.gd_train(X, eta=eta, max_steps=s),
            "dense_2s": lambda: linear_descent.gd_train(X, eta=eta, max_steps=2 * s),
            "fact_s": lambda: linear_descent.gd_train_factored(X, eta=eta, max_steps=s),
            "fact_2s": lambda: linear_descent.gd_train_factored(X, eta=eta, max_steps=2 * s),
            "gemm_ndd": gemm(xp, n, d, d), "gemm_dnd": gemm(xp, d, n, d), "gemm_nnd": gemm(xp, n, n, d),
        }, args.repeats, xp)
        dense = (t["dense_2s"] - t["dense_s"]) / s
        fact = (t["fact_2s"] - t["fact_s"]) / s
        f_dense, f_fact = 4.0 * n * d * d, 2.0 * n * n * d
        peak_dense = 0.5 * f_dense / min(t["gemm_ndd"], t["gemm_dnd"])
        peak_fact = f_fact / t["gemm_nnd"]
        print(f"d={d} n={n}: dense step {1e3 * dense:.2f} ms = {f_dense / dense / 1e9:.1f} GFLOP/s, "
              f"{100 * f_dense / dense / peak_dense:.0f}% of the GEMM peak {peak_dense / 1e9:.1f} GFLOP/s "
              f"(its two products alone: {100 * (t['gemm_ndd'] + t['gemm_dnd']) / dense:.0f}% of the step); "
              f"factored step {1e3 * fact:.3f} ms = {f_fact / fact / 1e9:.1f} GFLOP/s, "
              f"{100 * f_fact / fact / peak_fact:.0f}% of the (n x n)(n x d) peak {peak_fact / 1e9:.1f} GFLOP/s; "
              f"dense / factored time {dense / fact:.1f}x")


# ---------------------------------------------------------------- PyTorch

def versus_torch(args, backend) -> None:
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: pip install torch (an optional dependency of this benchmark only)")
        return
    xp = backend.xp
    device = "cuda" if backend.name == "cupy" else "cpu"
    print(f"PyTorch {torch.__version__} on {device}, {torch.get_num_threads()} threads")
    for d in args.d:
        n = args.n
        host = synthetic(n, d, cond=2.0, rng=0)
        X = gpu.to_backend(host, xp, xp.float64)
        svd = lin.data_svd(X)
        eta = 1.0 / svd.s_max**2
        s = args.steps
        Xt = torch.tensor(host, dtype=torch.float64, device=device)

        def torch_run(steps):
            W = torch.zeros((d, d), dtype=torch.float64, device=device)
            for _ in range(steps):
                R = Xt @ W.T - Xt
                float((R * R).sum())  # the loss each step, as our loop reads it
                W = W - eta * (R.T @ Xt)
            if device == "cuda":
                torch.cuda.synchronize()

        # marginal step times (runs of 2s and s steps, differenced), all timed in the same rounds
        t = interleaved({
            "ours_s": lambda: linear_descent.gd_train(X, eta=eta, max_steps=s),
            "ours_2s": lambda: linear_descent.gd_train(X, eta=eta, max_steps=2 * s),
            "torch_s": lambda: torch_run(s),
            "torch_2s": lambda: torch_run(2 * s),
            "fact_s": lambda: linear_descent.gd_train_factored(X, eta=eta, max_steps=s),
            "fact_2s": lambda: linear_descent.gd_train_factored(X, eta=eta, max_steps=2 * s),
        }, args.repeats, xp)
        ours, theirs, ours_f = ((t[f"{k}_2s"] - t[f"{k}_s"]) / s for k in ("ours", "torch", "fact"))
        print(f"d={d} n={n}: dense linear GD step: ours {1e3 * ours:.2f} ms, PyTorch {1e3 * theirs:.2f} ms, "
              f"ours / PyTorch {ours / theirs:.2f}; our factored step {1e3 * ours_f:.3f} ms "
              f"({theirs / ours_f:.0f}x faster than PyTorch's dense step)")


# ---------------------------------------------------------------- NumPy vs CuPy

def backends(args, _backend) -> None:
    """The same work on each of ``--backends`` (default numpy and cupy), side by side: the thin SVD
    and a factored descent step at ``--d``/``--n``, then every claim of ``--profile`` (or the
    ``--claim`` ids) with the same seed, its time and verdict per backend."""
    import verify

    names = args.backends
    for name in names:
        if name == "cupy":
            usable, info = gpu.cupy_status()
            if not usable:
                print(f"no GPU here ({info}): NumPy vs CuPy not measured")
                return
    for name in names:
        b = gpu.resolve(name)
        X = data(b, args.n, args.d[0])
        svd, t_svd = once(lambda: lin.data_svd(X), b.xp)
        eta = 1.0 / svd.s_max**2
        s = args.steps
        t = interleaved({"s": lambda: linear_descent.gd_train_factored(X, eta=eta, max_steps=s),
                         "2s": lambda: linear_descent.gd_train_factored(X, eta=eta, max_steps=2 * s)}, args.repeats, b.xp)
        print(f"{name}: d={args.d[0]} n={args.n}: thin SVD {t_svd:.3f} s, factored GD step "
              f"{1e3 * (t['2s'] - t['s']) / s:.3f} ms")
    reports = {name: verify.run(args.claim or None, profile=args.profile, backend=name, seed=0) for name in names}
    print(f"claims of profile {args.profile} (seed 0), seconds per backend (verdicts in brackets):")
    print("| claim | " + " | ".join(names) + f" | {names[0]} / {names[-1]} |")
    print("| --- |" + " ---: |" * (len(names) + 1))
    totals = dict.fromkeys(names, 0.0)
    for evs in zip(*(reports[n].evidence for n in names)):
        for n, ev in zip(names, evs):
            totals[n] += ev.seconds
        cells = " | ".join(f"{ev.seconds:.2f} [{ev.verdict}]" for ev in evs)
        print(f"| {evs[0].id} | {cells} | {evs[0].seconds / max(evs[-1].seconds, 1e-9):.2f} |")
    print("| all | " + " | ".join(f"{totals[n]:.2f}" for n in names)
          + f" | {totals[names[0]] / max(totals[names[-1]], 1e-9):.2f} |")


# ---------------------------------------------------------------- scaling

def measure(fn, xp, trace: bool):
    if trace:
        tracemalloc.start()
    try:
        _, t = once(fn, xp)
        peak = tracemalloc.get_traced_memory()[1] if trace else float("nan")
    finally:
        if trace:
            tracemalloc.stop()
    return t, peak


def scaling(args, backend) -> None:
    xp = backend.xp
    trace = backend.name == "numpy"
    rows = []

    def linear_point(n, d):
        X = data(backend, n, d)

        def closed():
            svd = lin.data_svd(X)
            return lin.span_projection(X, svd=svd).fro()

        t_c, m_c = measure(closed, xp, trace)
        svd = lin.data_svd(X)
        t_s, m_s = measure(lambda: linear_descent.gd_train_factored(X, eta=1 / svd.s_max**2, max_steps=10), xp, trace)
        rows.append(("linear closed form", "d", d, n, t_c, m_c))
        rows.append(("linear factored GD, 10 steps", "d", d, n, t_s, m_s))

    for d in args.scale_d:
        linear_point(args.n, d)
    for n in args.scale_n:
        X = data(backend, n, args.d[0])
        t_c, m_c = measure(lambda: lin.span_projection(X).fro(), xp, trace)
        svd = lin.data_svd(X)
        t_s, m_s = measure(lambda: linear_descent.gd_train_factored(X, eta=1 / svd.s_max**2, max_steps=10), xp, trace)
        rows.append(("linear closed form", "n", args.d[0], n, t_c, m_c))
        rows.append(("linear factored GD, 10 steps", "n", args.d[0], n, t_s, m_s))
    host = scale_into(synthetic(10, 256, cond=2.0, rng=3), (0.0, 1.0))
    X3 = gpu.to_backend(host, xp, xp.float64)
    for k in args.scale_k:
        W1, _ = tl.first_layer(256, k, rng=4, xp=xp)
        t, m = measure(lambda: tl.jacobian_spectrum(tl.fit(X3, W1), X3[0, :]), xp, trace)
        rows.append(("theorem 3 fit + spectrum", "k", 256, k, t, m))
    print("| quantity | varied | d (or d for k) | n (or k) | time (s) | peak traced memory (MiB) |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for what, var, d, n, t, m in rows:
        print(f"| {what} | {var} | {d} | {n} | {t:.4f} | {m / 2**20:.1f} |")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 3, figsize=(13, 4))
        for ax, var, label in zip(axes, ("d", "n", "k"), ("d (n fixed)", "n (d fixed)", "k (Theorem 3, d = 256, n = 10)")):
            for what in sorted({r[0] for r in rows if r[1] == var}):
                pts = [(r[3] if var != "d" else r[2], r[4]) for r in rows if r[1] == var and r[0] == what]
                xs, ys = zip(*pts)
                ax.loglog(xs, ys, "o-", label=what)
                if len(xs) > 1:
                    slope = math.log(ys[-1] / ys[0]) / math.log(xs[-1] / xs[0])
                    ax.annotate(f"slope {slope:.2f}", (xs[-1], ys[-1]), fontsize=8)
            ax.set_xlabel(label)
            ax.set_ylabel("seconds")
            ax.legend(fontsize=7)
        fig.suptitle(f"time against size ({backend.name}, {platform.machine()}, {os.cpu_count()} cores)")
        fig.tight_layout()
        fig.savefig(args.plot, dpi=110)
        print(f"plot: {args.plot}")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("what", choices=("closed-vs-gd", "throughput", "torch", "backends", "scaling"))
    p.add_argument("--backend", default="numpy")
    p.add_argument("--d", type=int, nargs="+", default=[2048])
    p.add_argument("--n", type=int, default=256)
    p.add_argument("--cond", type=float, default=2.0)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--max-steps", type=int, default=20_000)
    p.add_argument("--dense-limit-gib", type=float, default=8.0)
    p.add_argument("--scale-d", type=int, nargs="+", default=[1024, 4096, 16384, 65536])
    p.add_argument("--scale-n", type=int, nargs="+", default=[64, 256, 1024, 2048])
    p.add_argument("--scale-k", type=int, nargs="+", default=[1000, 10_000, 100_000, 1_000_000])
    p.add_argument("--plot", default=None)
    p.add_argument("--backends", nargs="+", default=["numpy", "cupy"], help="for backends: the backends to compare")
    p.add_argument("--profile", default="large", help="for backends: the profile whose claims are timed")
    p.add_argument("--claim", action="append", default=[], help="for backends: time only these claims")
    args = p.parse_args(argv)
    backend = gpu.resolve(args.backend)
    header(backend)
    {"closed-vs-gd": closed_vs_gd, "throughput": throughput, "torch": versus_torch, "backends": backends,
     "scaling": scaling}[args.what](args, backend)


if __name__ == "__main__":
    main()
