"""Deep trainer's time per step: ours (theory.deep_fc, NumPy) vs the same network and step in
PyTorch on the CPU and jit-compiled in JAX, and vs the machine's matmul peak measured in the same run.

    python benchmarks/bench_deep_fc.py --width 1024 --depth 3 --batch 256
    python benchmarks/bench_deep_fc.py --width 512 --depth 3 --batch 10 --hidden leaky_relu --steps 200

One step = forward, backprop and an Adam update on the full batch, float64 in both; every
function is timed in the same rounds, taking turns (the machine is shared and noisy).  FLOPs per
step: 6 n sum(in*out) (2 forward, 4 backward) over the layers; the peak is the best GFLOP/s of a
float64 (batch x width) @ (width x width) product, the dominant shape of a step.  PyTorch and JAX
are optional dependencies of this script only; JAX's step (float64, ``jax_enable_x64``) is the same
forward, backprop by ``jax.grad`` and the same written-out Adam rule, compiled as one ``jax.jit``
function per step.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from theory import deep_fc as D
from gpu.kernels import retain_freed_memory
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
    p.add_argument("--hidden", default="relu", choices=["relu", "leaky_relu"])
    p.add_argument("--keep-malloc", action="store_true",
                   help="leave glibc's malloc as it is (default: gpu.kernels.retain_freed_memory, as the CLI does)")
    p.add_argument("--adam-sizes", action="store_true",
                   help="time only Adam's update on one parameter array of 2^12 ... 2^20 elements: NumPy's "
                        "whole-array expressions vs the fused loop on one core and over the cores")
    args = p.parse_args(argv)
    retained = False if args.keep_malloc else retain_freed_memory()
    if args.adam_sizes:
        return adam_sizes(args.repeats)

    widths = (args.d,) + (args.width,) * args.depth + (args.d,)
    X = np.random.default_rng(0).random((args.batch, args.d))
    net = D.init_network(widths, hidden=args.hidden, scheme="pytorch", rng=1)
    flops = 6.0 * args.batch * sum(a * b for a, b in zip(widths[:-1], widths[1:]))

    A = np.random.default_rng(2).random((args.batch, args.width))
    B = np.random.default_rng(3).random((args.width, args.width))
    value, dWs, dbs = D.gradients(net, X)
    params, grads = list(net.weights) + list(net.biases), list(dWs) + list(dbs)
    whole, serial, cores = (optimizer("adam", 1e-4, fused=False), optimizer("adam", 1e-4, fused=True),
                            optimizer("adam", 1e-4, fused=True, parallel=True))
    fns = {
        "ours": lambda: D.train(net, X, optimizer="adam", lr=1e-4, max_steps=args.steps),
        "matmul": lambda: A @ B,
        "adam_whole": lambda: whole.update(params, grads, whole.init(params)),
        "adam_serial": lambda: serial.update(params, grads, serial.init(params)),
        "adam_cores": lambda: cores.update(params, grads, cores.init(params)),
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
                layers.append(torch.nn.ReLU() if args.hidden == "relu" else torch.nn.LeakyReLU(D.LEAKY_SLOPE))
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
    jax_steps, jax_version = _jax_steps(net, X, args)
    if jax_steps is not None:
        fns["jax"] = jax_steps
    t = interleaved(fns, args.repeats)
    ours = t["ours"] / args.steps
    peak = 2.0 * args.batch * args.width * args.width / t["matmul"]
    adam = {k: t[f"adam_{k}"] - t["init"] for k in ("whole", "serial", "cores")}
    torch_step = None
    if torch is not None:
        torch_step = t["torch"] / args.steps
        line_torch = (f"PyTorch {torch.__version__} step: {1e3 * torch_step:.2f} ms "
                      f"({flops / torch_step / 1e9:.1f} GFLOP/s, {torch.get_num_threads()} threads)")

    print(f"machine: {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} cores, numpy {np.__version__}")
    print(f"network {widths}, batch {args.batch}, float64, Adam; {flops / 1e9:.3f} GFLOP per step; "
          f"freed memory {'retained' if retained else 'returned to the system (glibc default)'}")
    print(f"matmul peak ({args.batch}x{args.width} @ {args.width}x{args.width}): {peak / 1e9:.1f} GFLOP/s")
    print(f"ours (theory.deep_fc) step: {1e3 * ours:.2f} ms ({flops / ours / 1e9:.1f} GFLOP/s, "
          f"{100 * flops / ours / peak:.0f}% of the matmul peak)")
    used = "cores" if args.batch <= D.SMALL_BATCH else "serial"
    print(f"  Adam update alone: fused over the cores {1e3 * adam['cores']:.2f} ms, fused on one core "
          f"{1e3 * adam['serial']:.2f} ms, whole-array expressions {1e3 * adam['whole']:.2f} ms "
          f"(the trainer uses: fused, {'over the cores' if used == 'cores' else 'one core'})")
    print(line_torch)
    if torch_step is not None:
        print(f"ratio ours / PyTorch time per step: {ours / torch_step:.2f}")
    if jax_steps is None:
        print("JAX: not installed")
    else:
        jax_step = t["jax"] / args.steps
        print(f"JAX {jax_version} jit step: {1e3 * jax_step:.2f} ms ({flops / jax_step / 1e9:.1f} GFLOP/s)")
        print(f"ratio ours / JAX-jit time per step: {ours / jax_step:.2f}")


def adam_sizes(repeats: int) -> None:
    """Adam's update alone, per parameter-array size: where the fused loop starts to pay."""
    rng = np.random.default_rng(0)
    print(f"machine: {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} cores, numpy {np.__version__}")
    print("elements | NumPy whole-array | fused, one core | fused, over the cores | whole / fused over the cores")
    for k in (12, 14, 16, 18, 20):
        ps, gs = [rng.random(2**k)], [rng.random(2**k)]
        opts = {"whole": optimizer("adam", 1e-3, fused=False), "serial": optimizer("adam", 1e-3, fused=True),
                "cores": optimizer("adam", 1e-3, fused=True, parallel=True)}
        calls = max(20, 2**21 >> k)
        fns = {}
        for name, opt in opts.items():
            state = opt.init(ps)
            fns[name] = lambda opt=opt, state=state: [opt.update(ps, gs, state) for _ in range(calls)]
        t = {name: v / calls for name, v in interleaved(fns, repeats).items()}
        print(f"2^{k} | {1e6 * t['whole']:.0f} us | {1e6 * t['serial']:.0f} us | {1e6 * t['cores']:.0f} us | "
              f"{t['whole'] / t['cores']:.1f}")


def _jax_steps(net, X, args):
    """``args.steps`` jitted steps of the same network in JAX (float64), or ``(None, None)``."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None, None
    jax.config.update("jax_enable_x64", True)
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 1e-4
    slope = 0.0 if args.hidden == "relu" else D.LEAKY_SLOPE
    Xj = jnp.asarray(X)

    def loss(params):
        H = Xj
        for i, (W, b) in enumerate(params):
            Z = H @ W.T + b
            H = Z if i == len(params) - 1 else jnp.where(Z > 0, Z, slope * Z)
        R = H - Xj
        return 0.5 * jnp.sum(R * R) / Xj.shape[0]

    @jax.jit
    def step(params, m, v, t):
        value, g = jax.value_and_grad(loss)(params)
        t = t + 1
        c1, c2 = 1 - b1 ** t, 1 - b2 ** t
        m = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, m, g)
        v = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, v, g)
        params = jax.tree_util.tree_map(lambda p, m, v: p - (lr / c1) * m / (jnp.sqrt(v / c2) + eps), params, m, v)
        return params, m, v, t, value

    init = [(jnp.asarray(np.asarray(W)), jnp.asarray(np.asarray(b))) for W, b in zip(net.weights, net.biases)]
    zeros = jax.tree_util.tree_map(jnp.zeros_like, init)

    def run(record: bool = False):
        params, m, v, t = init, zeros, zeros, jnp.asarray(0.0)
        values = []
        for _ in range(args.steps):
            params, m, v, t, value = step(params, m, v, t)
            if record:
                values.append(float(value))
        jax.block_until_ready(params)
        return values

    run()  # compile
    return run, jax.__version__


if __name__ == "__main__":
    main()
