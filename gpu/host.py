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
