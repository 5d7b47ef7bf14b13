"""Time to verify Theorem 1 by its closed form versus by running gradient descent to a tolerance.

Both are timed in the same run on the same data; the ratio is what is reported.

    python benchmarks/bench_thm1.py --d 3072 --n 100 --activation tanh --target 1e-4 --data sparse

Gradient descent needs about ``kappa(X)^2 (max|phi'|/min|phi'|) log(1/target)`` steps, so the
ratio depends on the data's conditioning more than on anything else; the script prints kappa.
``--data scaled``: Gaussian data min-max scaled into the activation's safe interval (the common
offset makes kappa large: 77 at n = 100, d = 3072); ``--data sparse``: non-negative "images"
with a small positive background and random sparse supports (kappa ~ 3).  ``--max-steps``
caps descent; a capped run prints the measured time per step and a projection, marked as such.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from theory import activations as acts
from theory import linear as lin
from theory import single_layer as sl
from verify.datasets import scale_into, synthetic


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--d", type=int, default=3072)
    p.add_argument("--n", type=int, default=100)
    p.add_argument("--cond", type=float, default=2.0, help="condition number of the raw data before scaling")
    p.add_argument("--activation", default="tanh")
    p.add_argument("--target", type=float, default=1e-4, help="certified relative distance GD must reach")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-steps", type=int, default=100_000)
    p.add_argument("--data", choices=("sparse", "scaled"), default="sparse")
    p.add_argument("--support", type=float, default=0.1, help="sparse data: fraction of pixels on per image")
    args = p.parse_args(argv)

    act = acts.get(args.activation)
    rng = np.random.default_rng(args.seed)
    lo, hi = act.safe_interval
    if args.data == "scaled":
        X = scale_into(synthetic(args.n, args.d, cond=args.cond, rng=args.seed), act.safe_interval)
    else:
        on = rng.random((args.n, args.d)) < args.support
        X = np.where(on, lo + (hi - lo) * rng.random((args.n, args.d)), lo)

    t0 = time.perf_counter()
    svd = lin.data_svd(X)
    A_star = sl.closed_form(X, act, svd=svd)
    lam, res = sl.phi_eigen(A_star, X, act)  # the check itself: examples are phi-eigenvectors
    t_closed = time.perf_counter() - t0

    t0 = time.perf_counter()
    svd2 = lin.data_svd(X)
    step = sl.default_step(X, act, adaptive=True, svd=svd2)
    m, _ = acts.derivative_bounds(act, sl.preimages(X, act))
    loss_tol = 0.5 * (args.target * svd2.s_min * A_star.fro() * m) ** 2
    out = sl.gd_train(X, act, step=step, adaptive=True, max_steps=args.max_steps, loss_tol=loss_tol)
    certified = sl.distance_bound(out.params, X, act, svd2) / A_star.fro()
    t_gd = time.perf_counter() - t0
    err = lin.fro(out.params - A_star.dense()) / A_star.fro()

    projected = ""
    if not out.converged:
        need = svd.cond**2 * (1.0 / m) * acts.derivative_bounds(act, sl.preimages(X, act))[1] * np.log(1.0 / args.target)
        projected = (f"; NOT converged within {args.max_steps} steps: projected ~{need:.3g} steps, "
                     f"~{need * t_gd / out.steps / 3600:.2g} h (estimate, not measured)")
    print(f"machine: {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} cores, numpy {np.__version__}")
    print(f"d={args.d} n={args.n} activation={act.name} kappa(X)={svd.cond:.3g} target={args.target:g}")
    print(f"closed form + phi-eigen check: {t_closed:.3f} s (max residual {float(np.max(res)):.2e})")
    print(f"gradient descent: {t_gd:.1f} s, {out.steps} steps ({1e3 * t_gd / max(out.steps, 1):.1f} ms/step), "
          f"certified distance {certified:.2e}, measured {err:.2e}, converged {out.converged}{projected}")
    bound = "" if out.converged else " (capped run: a lower bound)"
    print(f"ratio GD / closed form: {t_gd / t_closed:.0f}x{bound}")


if __name__ == "__main__":
    main()
