"""The deep trainer written out (NumPy, theory.deep_fc.train) against the same loop compiled in JAX
(gpu/jax_train.py, what --backend jax runs), side by side in one run: time to train the same network
for the same steps, the compilation counted apart, and the largest weight difference at the end.

    python benchmarks/bench_jit_loop.py                 # the recorded sizes (benchmarks/RESULTS.md)
    python benchmarks/bench_jit_loop.py --tiny          # seconds
"""

import argparse
import os
import platform
import time

import numpy as np


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tiny", action="store_true")
    ap.add_argument("--steps", type=int, default=500)
    args = ap.parse_args(argv)
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    from theory import deep_fc as D
    from theory.descent import Plateau

    sizes = [(16, 32, 2, 6)] if args.tiny else [(64, 256, 3, 10), (64, 512, 3, 10), (784, 512, 3, 50)]
    steps = 50 if args.tiny else args.steps
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, numpy {np.__version__}, jax {jax.__version__} "
          f"({jax.devices()[0].platform}); Adam, plateau decay, float64, {steps} steps")
    print("| d | width x depth | n | written-out (NumPy) s | compiled (JAX) s | compile s | ratio | max weight diff |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for d, width, depth, n in sizes:
        X = np.random.default_rng(0).uniform(0, 1, (n, d))
        net = D.init_network((d, *([width] * depth), d), hidden="leaky_relu", scheme="near_zero", scale=0.1, rng=1)
        as_jax = D.Network(tuple(jnp.asarray(np.asarray(W)) for W in net.weights),
                           tuple(jnp.asarray(np.asarray(b)) for b in net.biases), net.activations)
        kw = dict(optimizer="adam", lr=1e-3, schedule=Plateau(), adam_eps=1e-8)
        t = time.perf_counter()
        a = D.train(net, X, max_steps=steps, **kw)
        ours = time.perf_counter() - t
        t = time.perf_counter()
        D.train(as_jax, jnp.asarray(X), max_steps=1, **kw)  # compiles the loop for this shape
        compile_s = time.perf_counter() - t
        t = time.perf_counter()
        b = D.train(as_jax, jnp.asarray(X), max_steps=steps, **kw)
        jitted = time.perf_counter() - t
        diff = max(float(np.max(np.abs(np.asarray(x) - np.asarray(y))))
                   for x, y in zip(D.flat_params(a.params[0]), D.flat_params(b.params[0])))
        print(f"| {d} | {width} x {depth} | {n} | {ours:.2f} | {jitted:.2f} | {compile_s:.2f} | {ours / jitted:.2f} | "
              f"{diff:.1e} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
