"""Appendix G at a chosen image size: time per Adam step and the loss along training, on the
claim's own data, seed and initialisation (``appg-downsampling-memorizes``), then the operator's
largest |eigenvalues|.  Answers whether more steps or another learning rate would train the
network that the claim reports as not trained.

    python benchmarks/bench_appg.py --s 32 --lr 1e-3 --steps 40000 --every 5000
    python benchmarks/bench_appg.py --s 32 --lr 3e-3 --steps 20000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gpu  # noqa: E402
from theory import conv_nets
from theory import conv  # noqa: E402
from theory.errors import DivergenceError  # noqa: E402
from verify.claims.common import random_images  # noqa: E402
from verify.context import Context  # noqa: E402
from verify.profiles import get_profile  # noqa: E402


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--s", type=int, default=32, help="image side (images are s x s x 3)")
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--steps", type=int, default=20000)
    p.add_argument("--every", type=int, default=5000, help="record the loss every so many steps")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    ctx = Context(get_profile("large"), gpu.resolve("numpy"), args.seed, 1.0)
    X = ctx.asarray(random_images(ctx, "appg", 2, 3 * args.s * args.s))
    net = conv_nets.downsampling_net(args.s, width=args.width, rng=ctx.rng("appg-init"), xp=ctx.xp, dtype=ctx.float)
    print(f"appendix G: {args.s} x {args.s} x 3, width {args.width}, {net.n_params} parameters, Adam lr {args.lr:g}")
    start = time.perf_counter()
    try:
        res = conv_nets.train(net, X, optimizer="adam", lr=args.lr, max_steps=args.steps, loss_tol=1e-10,
                                     checkpoints=range(0, args.steps + 1, max(args.every, 1)))
    except DivergenceError as exc:
        print(f"diverged: {exc}")
        return
    seconds = time.perf_counter() - start
    losses = {t: float(conv_nets.conv_gradients(ps[0], X.T)[0]) for t, ps in sorted(res.checkpoints.items())}
    print(f"{res.steps} steps in {seconds:.1f} s ({1e3 * seconds / max(res.steps, 1):.1f} ms/step); "
          f"final loss {res.loss:.4g} (target 1e-10), converged {res.converged}")
    print("loss at steps " + ", ".join(f"{t}: {v:.4g}" for t, v in losses.items()))
    lam = np.abs(np.linalg.eigvals(gpu.to_numpy(res.params[0].operator())))
    print("largest |eigenvalues|: " + ", ".join(f"{v:.4g}" for v in np.sort(lam)[::-1][:5]))


if __name__ == "__main__":
    main()
