"""Host (CPU) kernels and settings that make the trainers' small, memory-bound steps fast.

A deep trainer's step on n ~ 10 examples is memory-bound: Adam's dozen element-wise operations
are, as whole-array NumPy expressions, a dozen passes over the parameters and a dozen fresh
temporaries.  Three measured remedies (``benchmarks/bench_deep_fc.py``, ``benchmarks/RESULTS.md``):

* :func:`adam_update`: the same Adam rule fused into one compiled loop (numba), one pass over
  memory, optionally over all cores.  Same operations in the same order, no fast-math, constants
  rounded to the arrays' dtype as NumPy rounds Python scalars: the numbers of the whole-array
  expressions, bit for bit (``tests/test_descent.py``).
* :func:`adam_update` with ``g_factors``: a weight gradient of a batch of n rows is the outer
  product ``A^T B`` (``A`` n x out, ``B`` n x in); the fused loop forms it row by row as it updates,
  so the gradient is never written to memory and read back (n multiply-adds an element, in the
  order ``k = 0 .. n-1``).
* :func:`retain_freed_memory`: glibc returns every freed block over 128 KiB to the operating
  system, so each step's fresh arrays page-fault in anew (`--keep-malloc` in the benchmark
  shows the cost).
  Raising its mmap and trim thresholds keeps freed memory in the process for reuse.  A process
  setting, made by the entry points (the CLI, the benchmarks, the tests), not on import.
* :func:`blas_threads`: OpenBLAS's threads spin after each product and fight the element-wise
  kernel for the cores; on a batch of a few rows one BLAS thread is faster.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import sys

import numpy as np

__all__ = ["adam_update", "blas_threads", "fused_available", "retain_freed_memory"]

_KERNELS: dict = {}


def fused_available() -> bool:
    """Whether numba (the compiler of the fused kernels) is importable."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def _kernel(parallel: bool):
    """The fused Adam loop, compiled on first use (serial or over all cores)."""
    if parallel not in _KERNELS:
        import numba

        @numba.njit(parallel=parallel, fastmath=False, cache=False, nogil=True)
        def adam(p, g, m, v, p_out, m_out, v_out, b1, k1, b2, k2, step, c2, eps):
            for i in numba.prange(p.size):
                mi = b1 * m[i] + k1 * g[i]
                vi = b2 * v[i] + k2 * g[i] * g[i]
                m_out[i] = mi
                v_out[i] = vi
                p_out[i] = p[i] - step * mi / (np.sqrt(vi / c2) + eps)

        _KERNELS[parallel] = adam
    return _KERNELS[parallel]


def _outer_kernel(parallel: bool):
    """The fused Adam loop whose gradient is ``A^T B``, formed a row at a time (``At`` = ``A^T``,
    contiguous): ``g[i, j] = sum_k At[i, k] B[k, j]``, summed in the order k = 0 .. n-1."""
    key = ("outer", parallel)
    if key not in _KERNELS:
        import numba

        @numba.njit(parallel=parallel, fastmath=False, cache=False, nogil=True)
        def adam_outer(p, At, B, m, v, p_out, m_out, v_out, b1, k1, b2, k2, step, c2, eps):
            rows, n = At.shape
            cols = B.shape[1]
            for i in numba.prange(rows):
                g = np.zeros(cols, dtype=p.dtype)
                for k in range(n):
                    a = At[i, k]
                    for j in range(cols):
                        g[j] += a * B[k, j]
                for j in range(cols):
                    mi = b1 * m[i, j] + k1 * g[j]
                    vi = b2 * v[i, j] + k2 * g[j] * g[j]
                    m_out[i, j] = mi
                    v_out[i, j] = vi
                    p_out[i, j] = p[i, j] - step * mi / (np.sqrt(vi / c2) + eps)

        _KERNELS[key] = adam_outer
    return _KERNELS[key]


def adam_update(p, g, m, v, *, b1: float, b2: float, step: float, c2: float, eps: float, parallel: bool = False,
                moments_in_place: bool = False, g_factors=None):
    """One Adam update of one NumPy parameter array, fused: returns new ``(p, m, v)``.

    ``m <- b1 m + (1-b1) g``, ``v <- b2 v + (1-b2) g g``, ``p <- p - step m / (sqrt(v / c2) + eps)``
    with ``step = lr / (1 - b1^t)`` and ``c2 = 1 - b2^t``, as :func:`theory.descent.optimizer`
    writes it.  The inputs are read, never written, unless ``moments_in_place``: then the new
    moments overwrite ``m`` and ``v`` (contiguous arrays of ``p``'s dtype that the caller owns),
    which are returned; writing where the loop has just read saves the memory traffic of two fresh
    arrays (measured: benchmarks/RESULTS.md).  Every coefficient is rounded to the arrays' dtype
    first, as NumPy rounds a Python float that meets an array.

    With ``g_factors = (A, B)`` (and ``g`` None) the gradient is ``A^T B`` for a 2-D ``p``, formed
    inside the loop (summed over the rows of ``A`` and ``B`` in order) and never stored."""
    dtype = p.dtype
    c = [dtype.type(x) for x in (b1, 1 - b1, b2, 1 - b2, step, c2, eps)]
    if moments_in_place:
        for name, a in (("m", m), ("v", v)):
            if a.dtype != dtype or not a.flags.c_contiguous or not a.flags.writeable:
                raise ValueError(f"moments_in_place needs a writeable C-contiguous {dtype} {name}")
    if g_factors is not None:
        A, B = g_factors
        if g is not None or p.ndim != 2 or A.shape != (B.shape[0], p.shape[0]) or B.shape[1:] != p.shape[1:]:
            raise ValueError(f"g_factors (A, B) need g=None and A^T B of p's shape {p.shape}")
        At, B = np.ascontiguousarray(A.T, dtype=dtype), np.ascontiguousarray(B, dtype=dtype)
        pc = np.ascontiguousarray(p, dtype=dtype)
        if moments_in_place:
            out = np.empty(p.shape, dtype=dtype)
            _outer_kernel(bool(parallel))(pc, At, B, m, v, out, m, v, *c)
            return out, m, v
        mc, vc = (np.ascontiguousarray(a, dtype=dtype) for a in (m, v))
        out = [np.empty(p.shape, dtype=dtype) for _ in range(3)]
        _outer_kernel(bool(parallel))(pc, At, B, mc, vc, *out, *c)
        return tuple(out)
    if moments_in_place:
        flat = [np.ascontiguousarray(a, dtype=dtype).reshape(-1) for a in (p, g)]
        out = np.empty(p.shape, dtype=dtype)
        mf, vf = m.reshape(-1), v.reshape(-1)  # read and written at the same index: safe to alias
        _kernel(bool(parallel))(*flat, mf, vf, out.reshape(-1), mf, vf, *c)
        return out, m, v
    flat = [np.ascontiguousarray(a, dtype=dtype).reshape(-1) for a in (p, g, m, v)]
    out = [np.empty(p.shape, dtype=dtype) for _ in range(3)]
    _kernel(bool(parallel))(*flat, *(o.reshape(-1) for o in out), *c)
    return tuple(out)


_RETAINED = False


def retain_freed_memory() -> bool:
    """Keep freed memory in the process (glibc only): the mmap threshold at its 32 MiB maximum and
    the trim threshold at 1 GiB.  Returns whether the setting was made (False off glibc)."""
    global _RETAINED
    if _RETAINED:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others: no mallopt
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    _RETAINED = bool(mallopt(m_mmap_threshold, 32 << 20)) and bool(mallopt(m_trim_threshold, 1 << 30))
    return _RETAINED


@contextlib.contextmanager
def blas_threads(limit: int | None):
    """Run the block with at most ``limit`` BLAS threads (``None``: as it is)."""
    if limit is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=int(limit), user_api="blas"):
        yield
