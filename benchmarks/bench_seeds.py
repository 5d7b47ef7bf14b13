"""Seeds trained one by one vs as one stacked computation: the time of one gradient of S seeds.

    python benchmarks/bench_seeds.py --seeds 15 --repeats 20

Decides where the claims stack their seeds (``theory.conv_seeds.train_seeds``): the uniform
single-filter convolutional stacks (Tables 1-2, Appendix H, Appendix I.2), whose steps are
dominated by Python's overhead; and shows why the deep fully connected networks are not stacked:
their stacked gradient gains little over S one-by-one ones from width 128, and their trainer's
fused Adam (which forms no weight gradient) would be lost.
The deep stacked gradient is the same forward and backprop as ``theory.deep_fc.gradients``
written over a leading seed axis (leaky ReLU, 10 rows, d = 64, depth 3).  Best of ``--repeats``,
the two ways taking turns.
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # its sibling scripts, as when run from anywhere
from bench_deep_fc import interleaved  # noqa: E402  (the timing loop the benchmarks share)


def deep_stacked(Ws, bs, X, slope=0.01):
    """Gradients of S deep networks stacked on a leading axis (the same algebra as deep_fc.gradients)."""
    H = np.broadcast_to(X, (Ws[0].shape[0],) + X.shape)
    Hs, Zs = [H], []
    for i, (W, b) in enumerate(zip(Ws, bs)):
        Z = H @ np.swapaxes(W, 1, 2) + b[:, None, :]
        Zs.append(Z)
        H = Z if i == len(Ws) - 1 else np.where(Z > 0, Z, slope * Z)
        Hs.append(H)
    G = (H - X) / X.shape[0]
    grads = []
    for l in range(len(Ws) - 1, -1, -1):
        Gz = G if l == len(Ws) - 1 else np.where(Zs[l] > 0, G, slope * G)
        grads.append((np.swapaxes(Gz, 1, 2) @ Hs[l], Gz.sum(1)))
        if l > 0:
            G = Gz @ Ws[l]
    return grads


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=15)
    p.add_argument("--repeats", type=int, default=20)
    args = p.parse_args(argv)
    from gpu.kernels import blas_threads
    from theory import conv_nets as CN
    from theory import conv_nonlinear as cn
    from theory import deep_fc as D
    from theory.conv_seeds import stacked_gradients

    S = args.seeds
    rows = []
    X = np.random.default_rng(0).random((10, 64))
    for width in (32, 128, 512):
        nets = [D.init_network((64,) + (width,) * 3 + (64,), hidden="leaky_relu", scheme="pytorch", rng=s)
                for s in range(S)]
        Ws = [np.stack([n.weights[l] for n in nets]) for l in range(4)]
        bs = [np.stack([n.biases[l] for n in nets]) for l in range(4)]
        with blas_threads(1):  # as the trainer runs batches of a few rows
            t = interleaved({"one by one": lambda: [D.gradients(n, X) for n in nets],
                      "stacked": lambda: deep_stacked(Ws, bs, X)}, args.repeats)
        rows.append((f"deep FC {width} x 3, 10 rows, d = 64", t))
    for s, depth in ((3, 9), (4, 29)):
        Xc = np.random.default_rng(1).random((1, s * s))
        nets = [CN.linear_conv_net(s, depth, scheme="xavier", rng=k) for k in range(S)]
        Wb = np.stack([np.stack([W.reshape(-1) for W in n.weights]) for n in nets])
        B = nets[0].bases[0]
        t = interleaved({"one by one": lambda: [CN.conv_gradients(n, Xc.T) for n in nets],
                  "stacked": lambda: stacked_gradients(Wb, B, Xc.T)}, args.repeats)
        rows.append((f"linear conv {s} x {s}, {depth} layers, 1 filter", t))
        models = [cn.ConvAutoencoder(n) for n in nets]
        t = interleaved({"one by one": lambda: [cn.gradients(m, Xc) for m in models],
                  "stacked": lambda: stacked_gradients(Wb, B, Xc.T, slope=cn.LEAKY_SLOPE)}, args.repeats)
        rows.append((f"leaky-ReLU conv {s} x {s}, {depth} layers, 1 filter", t))
    print(f"machine: {platform.machine()}, numpy {np.__version__}; {S} seeds; best of {args.repeats}")
    print(f"| network | {S} gradients one by one | stacked | one by one / stacked |")
    print("| --- | --- | --- | --- |")
    for name, t in rows:
        print(f"| {name} | {1e3 * t['one by one']:.2f} ms | {1e3 * t['stacked']:.2f} ms | "
              f"{t['one by one'] / t['stacked']:.2f} |")


if __name__ == "__main__":
    main()
