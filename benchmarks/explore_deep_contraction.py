"""Exploratory measurement (not a claim yet): are the training examples of a deep autoencoder,
trained to a small loss on a few digits, attractors (spectral radius of J < 1), and how many
iterated starts reach a training example?

    python benchmarks/explore_deep_contraction.py

Digits 0-4 (one per class) are the training set; starts are 50 held-out digits and 20 uniform
noise images; a start is recovered at step t when within 0.1 x the smallest distance between
training examples of one of them.  Prints one line per configuration.
"""

from __future__ import annotations

import time

import numpy as np

from theory import deep_fc as D
from theory import dynamics as dyn
from verify.datasets import digits

CONFIGS = [  # hidden, width, depth, optimizer, learning rate, near-zero init scale
    ("leaky_relu", 512, 2, "gd", 0.1, 0.01),
    ("leaky_relu", 1024, 2, "gd", 0.05, 0.01),
    ("leaky_relu", 256, 4, "adam", 1e-4, 0.1),
]


def main() -> None:
    Xall = digits(60)
    Xtr = Xall[:5]
    X0 = np.vstack([Xall[10:60], np.random.default_rng(0).random((20, 64))])
    pd = np.sqrt(((Xtr[:, None] - Xtr[None]) ** 2).sum(-1))
    tol = 0.1 * pd[pd > 0].min()
    for hidden, width, depth, opt, lr, scale in CONFIGS:
        net = D.init_network((64,) + (width,) * depth + (64,), hidden=hidden, scheme="near_zero", scale=scale, rng=1)
        t = time.time()
        res = D.train(net, Xtr, optimizer=opt, lr=lr, max_steps=6000, loss_tol=1e-9)
        f = res.params[0]
        rho = dyn.spectral_radius(D.jacobian(f, Xtr))
        it = dyn.iterate(f, X0, 30, train=Xtr, tol=tol)
        print(f"{hidden} width {width} depth {depth} {opt} lr {lr}: steps {res.steps}, loss {res.loss:.1e}, "
              f"rho at the examples {np.round(rho, 3).tolist()}, R(1) {it.recovered[1]:.2f}, "
              f"R(5) {it.recovered[5]:.2f}, R(30) {it.recovered[30]:.2f} ({time.time() - t:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
