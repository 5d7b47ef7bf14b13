"""The deep fully connected trainer as one compiled JAX loop (issue 34): the same step as
:func:`theory.deep_fc.train`, traced and compiled once, run a chunk of steps per call on JAX's device.

What is compiled is theory/'s own written-out backprop (:func:`theory.deep_fc.backprop`; no
autodiff) and Adam or gradient descent with the plateau decay exactly as :mod:`theory.descent`
writes them: ``m <- b1 m + (1 - b1) g``, ``v <- b2 v + (1 - b2) g^2``, ``p <- p - (lr s / (1 - b1^t))
m / (sqrt(v / (1 - b2^t)) + eps)``, the schedule's scale ``s`` updated from the loss before the
step (:class:`theory.descent.Plateau`). The loop keeps :func:`theory.descent.descend`'s contract:
the loss reported at step ``t`` is the loss before update ``t``, the run stops (its parameters as
they were) at the first loss at or below ``loss_tol``, a loss that stops being finite or grows past
``1e8`` times the first raises :class:`gpu.errors.DivergenceError`, and at the budget the loss of
the final parameters is evaluated once. Loss levels and checkpoints are kept exactly: a chunk that
crosses one is re-run from its start up to that step (the loop is deterministic).

A chunk of ``CHUNK`` steps is one device call with no host round trip inside it, where the
written-out loop pays a Python step and a host read of the loss every step; tests check the two
against each other to rounding (tests/test_jax_train.py), and benchmarks/RESULTS.md times them.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .errors import DivergenceError, InputError

__all__ = ["CHUNK", "train_deep"]

CHUNK = 256  # steps per compiled call


@functools.lru_cache(maxsize=64)
def _compiled(shape, backprop, with_params, optimizer, lr, betas, eps, sched, loss_tol, has_y):
    """The compiled ``advance(carry, count, X, Y)``: ``count`` (<= CHUNK) steps from ``carry``, and the
    losses before each (NaN past the stop). ``shape`` is the network's structure (its arrays None)."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    b1, b2 = betas
    adam = optimizer == "adam"

    def loss_and_grads(ps, X, Y):
        R, dWs, dbs = backprop(with_params(shape, ps), X, Y if has_y else None)
        return 0.5 * jnp.sum(R * R) / X.shape[0], list(dWs) + [g for g in dbs if g is not None]

    def observe(state, value):
        """:meth:`theory.descent.Plateau.observe` in arrays: (first, best, since, scale)."""
        first, best, since, scale = state
        first = jnp.where(jnp.isnan(first), value, first)
        fell = value < best * (1.0 - sched.threshold)
        early = value > sched.below * first
        since1 = since + 1
        decay = since1 > sched.patience
        new_best = jnp.where(fell, value, best)
        new_since = jnp.where(fell | early | decay, 0, since1)
        new_scale = jnp.where(~fell & ~early & decay, jnp.maximum(scale * sched.factor, sched.min_scale), scale)
        return (first, new_best, new_since, new_scale)

    def one(carry, X, Y):
        ps, ms, vs, t, sst, done, _ = carry
        value, gs = loss_and_grads(ps, X, Y)
        stop = done | (value <= loss_tol)
        if sched is not None:
            sst_new = observe(sst, value)
            step = lr * sst_new[3]
        else:
            sst_new, step = sst, lr
        if adam:
            t1 = t + 1
            c1, c2 = 1 - b1 ** t1, 1 - b2 ** t1
            ms1 = [b1 * m + (1 - b1) * g for m, g in zip(ms, gs)]
            vs1 = [b2 * v + (1 - b2) * g * g for v, g in zip(vs, gs)]
            ps1 = [p - (step / c1) * m / (jnp.sqrt(v / c2) + eps) for p, m, v in zip(ps, ms1, vs1)]
        else:
            t1, ms1, vs1 = t + 1, ms, vs
            ps1 = [p - step * g for p, g in zip(ps, gs)]
        keep = lambda old, new: [jnp.where(stop, o, w) for o, w in zip(old, new)]  # noqa: E731
        sst_out = tuple(jnp.where(stop, o, w) for o, w in zip(sst, sst_new))
        return (keep(ps, ps1), keep(ms, ms1), keep(vs, vs1), jnp.where(stop, t, t1), sst_out, stop, value)

    @jax.jit
    def advance(carry, count, X, Y):
        def body(i, state):
            carry, losses = state
            new = one(carry, X, Y)
            losses = losses.at[i].set(jnp.where(carry[5], jnp.nan, new[6]))
            return new, losses

        return lax.fori_loop(0, count, body, (carry, jnp.full((CHUNK,), jnp.nan, dtype=X.dtype)))

    return advance


def train_deep(net, X, Y=None, *, shape, backprop, flat_params, with_params, result, optimizer: str = "adam",
               lr: float, max_steps: int, loss_tol: float = 0.0, betas=(0.9, 0.999), eps: float, schedule=None,
               checkpoints=(), track=None, record_every: int = 0, divergence_factor: float = 1e8):
    """Train ``net`` (JAX arrays) on ``X`` as :func:`theory.deep_fc.train` does before its finishing
    phase, with theory's own pieces handed in (gpu/ imports nothing of theory/): ``backprop(net, X, Y)
    -> (R, dWs, dbs)``, ``flat_params``/``with_params`` between a network and its parameter list,
    ``shape`` the network's structure (hashable: one compilation serves every run alike) and
    ``result`` the :class:`theory.descent.DescentResult` type to return. ``track`` (a
    :class:`theory.finishing.Levels`) is told the first network at or below each of its levels."""
    import jax.numpy as jnp

    if optimizer not in ("gd", "adam"):
        raise InputError(f"unknown optimizer {optimizer!r}; choose gd or adam")
    if max_steps < 0 or int(max_steps) != max_steps:
        raise InputError(f"max_steps must be a non-negative integer, got {max_steps!r}")
    dtype = X.dtype
    advance = _compiled(shape, backprop, with_params, optimizer, float(lr), tuple(float(b) for b in betas), float(eps),
                        schedule, float(loss_tol), Y is not None)

    ps0 = flat_params(net)
    zeros = [jnp.zeros_like(p) for p in ps0]
    nan = jnp.asarray(jnp.nan, dtype=dtype)
    sst0 = (nan, jnp.asarray(jnp.inf, dtype=dtype), jnp.asarray(0), jnp.asarray(1.0, dtype=dtype))
    carry = (ps0, zeros, list(zeros), jnp.asarray(0), sst0, jnp.asarray(False), nan)
    wanted = sorted({int(t) for t in checkpoints if 0 <= int(t) <= max_steps})
    kept, losses = {}, []
    done_steps, initial, converged, last = 0, None, False, math.nan
    if 0 in wanted:
        kept[0] = net
    while done_steps < max_steps and not converged:
        bound = min(CHUNK, max_steps - done_steps, *(t - done_steps for t in wanted if t > done_steps))
        start = carry
        carry, chunk = advance(carry, bound, X, Y)
        values = np.asarray(chunk)[:bound].tolist()  # one transfer from the device
        for j, value in enumerate(values):
            if math.isnan(value):  # the run stopped at the loss target before this step
                break
            t = done_steps + j
            initial = value if initial is None else initial
            if not math.isfinite(value) or value > divergence_factor * initial:
                raise DivergenceError(f"training diverged at step {t} (loss {value:.3g}, initial {initial:.3g}); the "
                                      f"learning rate {lr:g} is too large for {optimizer}; lower it")
            if record_every and t % record_every == 0:
                losses.append((t, value))
            if track is not None and any(lv not in track.reached and value <= lv for lv in track.levels):
                track.seen(t, value, with_params(net, advance(start, j, X, Y)[0][0]))  # the network before step t
            if value <= loss_tol:
                converged, last = True, value
                losses.append((t, value))
                break
        done_steps = int(carry[3])  # the updates applied (a stop at the target applies none after it)
        if done_steps in wanted and not converged:
            kept[done_steps] = with_params(net, carry[0])
    params = with_params(net, carry[0])
    if not converged:
        R, _, _ = backprop(params, X, Y)
        last = float(0.5 * jnp.sum(R * R) / X.shape[0])
        if not math.isfinite(last) or (initial is not None and last > divergence_factor * initial):
            raise DivergenceError(f"training diverged by step {done_steps} (loss {last:.3g}); the learning rate "
                                  f"{lr:g} is too large for {optimizer}; lower it")
        losses.append((done_steps, last))
        if track is not None:
            track.seen(done_steps, last, params)
    out = result((params, None), done_steps, last, converged, "loss_tol" if converged else "max_steps",
                 {t: (p, None) for t, p in kept.items()}, losses)
    return out
