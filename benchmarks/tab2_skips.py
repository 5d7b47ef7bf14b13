"""Table 2's deep rows: which skip-connection design can memorize (issue 34, item 5).

The paper trains networks of over 100 layers "with skip connections between every 10 layers, as
explained in [12]", initialised "as close to zero as possible".  Two designs, each trained with the
claims' protocol (Adam halved on plateaus, then L-BFGS) on Table 2's 5 x 5 row with 5 images and
200 layers:

* ``identity``: residual blocks from the input, ``h <- block(h) + h`` every 10 layers;
* ``stem``: ResNet's layout [12], the first and the last layer plain (stem and head) and the
  residual blocks between them (:func:`theory.conv_nets.residual_blocks` with ``stem``).

Per run: the loss at initialisation and at the end, the top eigenvalues of the trained operator and
the complement radius rho(B) of the exact fixer of the span (memorizes when below 0.5).

    python benchmarks/tab2_skips.py            # the recorded run (benchmarks/RESULTS.md)
    python benchmarks/tab2_skips.py --tiny     # seconds: 3 x 3, 1 image, 20 layers
"""

import sys
import time

import numpy as np

from theory import conv_nets
from theory.descent import Plateau
from theory.finishing import DECADES
from theory.span_fixer import memorization

CONFIGS = [("identity", 0.3, 1e-3), ("identity", 1.0, 1e-3), ("stem", 1.0, 1e-3), ("stem", 1.0, 5e-3)]


def run(s, n, layers, design, scale, lr, seed, steps):
    X = np.random.default_rng([0, s, n]).random((n, s * s))
    net = conv_nets.linear_conv_net(s, layers, scale=scale, skip_every=10, stem=design == "stem",
                                    rng=np.random.default_rng([seed, s, n, 7]))
    loss0 = 0.5 * np.sum((net(X) - X) ** 2) / n
    t = time.perf_counter()
    res = conv_nets.train(net, X, optimizer="adam", lr=lr, max_steps=steps, loss_tol=1e-10,
                          schedule=Plateau(factor=0.5, patience=200, threshold=1e-2), finish_iter=2000, levels=DECADES)
    A = res.params[0].operator()
    lam = np.sort(np.abs(np.linalg.eigvals(A)))[::-1]
    m = memorization(A, X, near_one=0.5, small=0.5)
    return (f"{design:8s} scale {scale:<4g} lr {lr:<6g} seed {seed}: loss {loss0:.2e} -> {res.loss:.2e} after {res.steps} "
            f"steps; |lambda| top {np.round(lam[:n + 2], 3).tolist()}; rho(B) {m['complement_radius']:.3f}, memorizes "
            f"{m['memorizes']} ({time.perf_counter() - t:.0f} s)")


def main(argv):
    tiny = "--tiny" in argv
    s, n, layers, steps, seeds = (3, 1, 20, 500, 1) if tiny else (5, 5, 200, 20000, 2)
    print(f"Table 2 row {s} x {s}, {n} image(s), {layers} layers, skip every 10; {steps} Adam steps then <= 2000 L-BFGS")
    for design, scale, lr in CONFIGS:
        for seed in range(seeds):
            print(run(s, n, layers, design, scale, lr, seed, steps), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
