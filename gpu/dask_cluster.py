"""The dask backend's cluster: a ``distributed`` LocalCluster by default, or the scheduler the user names.

One client per process, created on first use and closed at exit.  Chunks hold NumPy arrays, or
CuPy arrays where a GPU is usable (:func:`gpu.probe.cupy_status`).
"""

from __future__ import annotations

import atexit
import math
import os

from .errors import BackendError
from .probe import cupy_status

ENV_VAR = "MEMVERIFY_DASK_SCHEDULER"
_STATE: dict = {}


def connect(address: str | None = None):
    """The client of this run: connected to ``address`` (``tcp://host:port``; default
    ``$MEMVERIFY_DASK_SCHEDULER``), else to a LocalCluster of worker processes started here."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise BackendError("backend 'dask' needs dask and distributed: pip install 'dask[array]' distributed") from exc
    address = address or os.environ.get(ENV_VAR) or None
    current = _STATE.get("client")
    if current is not None and _STATE.get("address") == address:
        return current
    close()
    if address:
        try:
            client = Client(address, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise BackendError(f"cannot reach the dask scheduler at {address!r} ({type(exc).__name__}); start one "
                               "(`dask scheduler` and `dask worker ADDRESS`) or leave out --scheduler for a local "
                               "cluster") from None
    else:
        workers = max(1, min(4, os.cpu_count() or 1))
        # worker threads (BLAS releases the GIL): no child processes to spawn, so no __main__ guard is needed
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=False, dashboard_address=":0")
        client = Client(cluster)
        _STATE["cluster"] = cluster
    _STATE.update(client=client, address=address)
    return client


def describe(client) -> str:
    workers = len(client.scheduler_info().get("workers", {}))
    where = _STATE.get("address") or "LocalCluster"
    return f"dask {where} ({workers} workers, chunks on {'cupy' if gpu_chunks() else 'numpy'})"


def gpu_chunks() -> bool:
    if "gpu" not in _STATE:
        _STATE["gpu"] = cupy_status()[0]
    return _STATE["gpu"]


def close() -> None:
    for key in ("client", "cluster"):
        obj = _STATE.pop(key, None)
        if obj is not None:
            try:
                obj.close()
            except Exception:  # closing at exit: nothing to report to
                pass
    _STATE.pop("address", None)


atexit.register(close)


def from_host(a, dtype=None):
    """A host array as a dask array, chunked along its last axis (the features: ``X`` is n x d with
    d large, so ``X^T`` is tall and skinny, the shape dask's QR/SVD (TSQR) take in one pass)."""
    import dask.array as da
    import numpy as np

    a = np.asarray(a) if dtype is None else np.asarray(a, dtype=dtype)
    if a.ndim == 2 and a.shape[1] >= 8:
        chunks = (a.shape[0], max(1, math.ceil(a.shape[1] / 4)))
    else:
        chunks = a.shape
    if gpu_chunks():
        import cupy

        return da.from_array(cupy.asarray(a), chunks=chunks, asarray=False)
    return da.from_array(a, chunks=chunks)
