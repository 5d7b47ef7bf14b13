"""Deep trainer's time per step: ours (theory.deep_fc, NumPy) vs the same network and step in
PyTorch on the CPU, and vs the machine's matmul peak measured in the same run.

    python benchmarks/bench_deep_fc.py --width 1024 --depth 3 --batch 256

One step = forward, backprop and an Adam update on the full batch, float64 in both.  FLOPs per
step: 6 n sum(in*out) (2 forward, 4 backward) over the layers; the peak is the best GFLOP/s of a
float64 (batch x width) @ (width x width) product, the dominant shape of a step.  PyTorch is an
optional dependency of this script only.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from theory import deep_fc as D


def best_of(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--d", type=int, default=64)
    p.add_argument("--width", type=int, default=1024)
    p.add_argument("--depth", type=int, default=3)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--steps", type=int, default=20, help="steps per timing")
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args(argv)

    widths = (args.d,) + (args.width,) * args.depth + (args.d,)
    X = np.random.default_rng(0).random((args.batch, args.d))
    net = D.init_network(widths, hidden="relu", scheme="pytorch", rng=1)
    flops = 6.0 * args.batch * sum(a * b for a, b in zip(widths[:-1], widths[1:]))

    ours = best_of(lambda: D.train(net, X, optimizer="adam", lr=1e-4, max_steps=args.steps), args.repeats) / args.steps

    A = np.random.default_rng(2).random((args.batch, args.width))
    B = np.random.default_rng(3).random((args.width, args.width))
    t_mm = best_of(lambda: A @ B, max(args.repeats, 10))
    peak = 2.0 * args.batch * args.width * args.width / t_mm

    line_torch = "PyTorch: not installed"
    torch_step = None
    try:
        import torch

        torch.manual_seed(0)
        layers = []
        for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
            lin = torch.nn.Linear(a, b, dtype=torch.float64)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(np.asarray(net.weights[i])))
                lin.bias.copy_(torch.from_numpy(np.asarray(net.biases[i])))
            layers.append(lin)
            if i < len(widths) - 2:
                layers.append(torch.nn.ReLU())
        model = torch.nn.Sequential(*layers)
        opt = torch.optim.Adam(model.parameters(), lr=1e-4)
        Xt = torch.from_numpy(X)

        def torch_steps():
            for _ in range(args.steps):
                opt.zero_grad()
                loss = 0.5 * ((model(Xt) - Xt) ** 2).sum() / Xt.shape[0]
                loss.backward()
                opt.step()

        torch_step = best_of(torch_steps, args.repeats) / args.steps
        line_torch = (f"PyTorch {torch.__version__} step: {1e3 * torch_step:.2f} ms "
                      f"({flops / torch_step / 1e9:.1f} GFLOP/s, {torch.get_num_threads()} threads)")
    except ImportError:
        pass

    print(f"machine: {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} cores, numpy {np.__version__}")
    print(f"network {widths}, batch {args.batch}, float64, Adam; {flops / 1e9:.3f} GFLOP per step")
    print(f"matmul peak ({args.batch}x{args.width} @ {args.width}x{args.width}): {peak / 1e9:.1f} GFLOP/s")
    print(f"ours (theory.deep_fc) step: {1e3 * ours:.2f} ms ({flops / ours / 1e9:.1f} GFLOP/s, "
          f"{100 * flops / ours / peak:.0f}% of the matmul peak)")
    print(line_torch)
    if torch_step is not None:
        print(f"ratio ours / PyTorch time per step: {ours / torch_step:.2f}")


if __name__ == "__main__":
    main()
