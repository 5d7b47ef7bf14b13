"""Moving arrays between host NumPy and a backend namespace."""

from __future__ import annotations

import numpy as np
from array_api_compat import is_cupy_array, is_dask_array, is_numpy_array


def to_numpy(a) -> np.ndarray:
    """Copy (or view) any backend array as a host NumPy array."""
    if is_numpy_array(a):
        return a
    if is_cupy_array(a):
        return a.get()
    if is_dask_array(a):
        return to_numpy(a.compute())
    if isinstance(a, (int, float, complex, list, tuple)):
        return np.asarray(a)
    return np.from_dlpack(a)


def to_backend(a, xp, dtype=None):
    """Put host data ``a`` on backend ``xp`` (optionally cast to ``dtype``, e.g. ``xp.float64``)."""
    if xp.__name__.startswith("array_api_compat.dask"):
        from .dask_cluster import from_host

        return from_host(a, None if dtype is None else np.dtype(dtype))
    arr = xp.asarray(np.ascontiguousarray(a))
    if dtype is not None and arr.dtype != dtype:
        arr = xp.astype(arr, dtype)
    return arr


_POOLS: dict = {}


def _pool(threads: int):
    """One thread pool per thread count, made on first use and kept for the process."""
    if threads not in _POOLS:
        from concurrent.futures import ThreadPoolExecutor

        _POOLS[threads] = ThreadPoolExecutor(threads, thread_name_prefix="memverify-chunks")
    return _POOLS[threads]


def default_threads() -> int:
    """CPU cores this process may use (at most 8): the threads of :func:`map_chunks`."""
    import os

    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(8, cores))


def map_chunks(fn, groups, n_out: int, *, width: int = 2**16, threads: int | None = None) -> list:
    """Element-wise ``fn`` over NumPy arrays, applied to slices of ``width`` elements.

    ``groups`` is a list of tuples of arrays, each tuple of one shape; ``fn(*slices)`` returns
    ``n_out`` slices of the same length.  Returns, per group, ``n_out`` new arrays of that shape.
    A chain of NumPy expressions makes one pass over memory and one temporary per operation, on one
    core; on slices small enough to stay in cache it makes one pass in all, and the slices (of every
    group) are shared among ``threads`` threads (NumPy's loops release the GIL).  The arithmetic per
    element is unchanged, so the results are those of ``fn`` on the whole arrays, bit for bit.
    """
    threads = default_threads() if threads is None else threads
    jobs, results = [], []
    for arrays in groups:
        shape = arrays[0].shape
        flat = [np.reshape(a, -1) for a in arrays]
        out = [np.empty(flat[0].shape, dtype=flat[0].dtype) for _ in range(n_out)]
        results.append([o.reshape(shape) for o in out])
        size = flat[0].shape[0]
        jobs += [(flat, out, lo, min(lo + width, size)) for lo in range(0, size, width)]

    def work(share):
        for flat, out, lo, hi in share:
            for o, r in zip(out, fn(*(a[lo:hi] for a in flat))):
                o[lo:hi] = r

    if threads == 1 or len(jobs) == 1:
        work(jobs)
    else:
        for f in [_pool(threads).submit(work, jobs[i::threads]) for i in range(threads)]:
            f.result()
    return results
