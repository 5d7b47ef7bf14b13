"""Deep trainer's time per step: ours (theory.deep_fc, NumPy) vs the same network and step in
PyTorch on the CPU, and vs the machine's matmul peak measured in the same run.

    python benchmarks/bench_deep_fc.py --width 1024 --depth 3 --batch 256

One step = forward, backprop and an Adam update on the full batch, float64 in both; every
function is timed in the same rounds, taking turns (the machine is shared and noisy).  FLOPs per
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
from theory.descent import optimizer


def interleaved(fns: dict, repeats: int) -> dict:
    """Best time of each function over ``repeats`` rounds, the functions taking turns within a
    round (a slow spell of the shared machine hits all of them alike)."""
    for fn in fns.values():
        fn()  # warm-up
    best = {name: float("inf") for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t)
    return best


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

    A = np.random.default_rng(2).random((args.batch, args.width))
    B = np.random.default_rng(3).random((args.width, args.width))
    value, dWs, dbs = D.gradients(net, X)
    params, grads = list(net.weights) + list(net.biases), list(dWs) + list(dbs)
    whole, chunked = optimizer("adam", 1e-4, chunk=10**12), optimizer("adam", 1e-4)
    fns = {
        "ours": lambda: D.train(net, X, optimizer="adam", lr=1e-4, max_steps=args.steps),
        "matmul": lambda: A @ B,
        "adam_whole": lambda: whole.update(params, grads, whole.init(params)),
        "adam_chunked": lambda: chunked.update(params, grads, chunked.init(params)),
        "init": lambda: whole.init(params),
    }

    line_torch = "PyTorch: not installed"
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

        fns["torch"] = torch_steps
    except ImportError:
        torch = None
    t = interleaved(fns, args.repeats)
    ours = t["ours"] / args.steps
    peak = 2.0 * args.batch * args.width * args.width / t["matmul"]
    adam_whole, adam_chunked = t["adam_whole"] - t["init"], t["adam_chunked"] - t["init"]
    torch_step = None
    if torch is not None:
        torch_step = t["torch"] / args.steps
        line_torch = (f"PyTorch {torch.__version__} step: {1e3 * torch_step:.2f} ms "
                      f"({flops / torch_step / 1e9:.1f} GFLOP/s, {torch.get_num_threads()} threads)")

    print(f"machine: {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} cores, numpy {np.__version__}")
    print(f"network {widths}, batch {args.batch}, float64, Adam; {flops / 1e9:.3f} GFLOP per step")
    print(f"matmul peak ({args.batch}x{args.width} @ {args.width}x{args.width}): {peak / 1e9:.1f} GFLOP/s")
    print(f"ours (theory.deep_fc) step: {1e3 * ours:.2f} ms ({flops / ours / 1e9:.1f} GFLOP/s, "
          f"{100 * flops / ours / peak:.0f}% of the matmul peak)")
    print(f"  of which the Adam update: {1e3 * adam_chunked:.2f} ms (cache-sized chunks, the trainer's); "
          f"as whole-array expressions {1e3 * adam_whole:.2f} ms")
    print(line_torch)
    if torch_step is not None:
        print(f"ratio ours / PyTorch time per step: {ours / torch_step:.2f}")


if __name__ == "__main__":
    main()
