"""The one place for operations that some backend lacks.

``qr_r``: the triangular factor of a tall matrix's thin QR; dask's QR (TSQR) needs the columns in
one chunk, so a dask matrix is rechunked first.

``eigvals`` of a non-symmetric matrix: NumPy has it; CuPy only from version 14 (complex
values in no fixed order); the array-API standard does not require it.  Where the namespace
has no ``linalg.eig``/``linalg.eigvals`` the matrix is sent to the host.
"""

from __future__ import annotations

import numpy as np
from array_api_compat import array_namespace

from .host import to_backend, to_numpy


def eigvals(A):
    """Eigenvalues of a square (possibly non-symmetric) matrix, or of each matrix of an
    (m, k, k) stack, sorted by decreasing modulus (along the last axis).

    Returns a complex array in ``A``'s namespace.
    """
    xp = array_namespace(A)
    fn = getattr(getattr(xp, "linalg", None), "eigvals", None)
    vals = None
    if fn is not None and xp.__name__.startswith(("array_api_compat.numpy", "array_api_compat.cupy", "numpy", "cupy")):
        try:
            vals = to_numpy(fn(A))
        except Exception:  # CuPy < 14, or a backend raising NotImplemented
            vals = None
    if vals is None:
        vals = np.linalg.eigvals(to_numpy(A))
    vals = np.asarray(vals, dtype=np.complex128)
    order = np.argsort(-np.abs(vals), axis=-1, kind="stable")
    return to_backend(np.take_along_axis(vals, order, axis=-1), xp)


def qr_r(A):
    """``R`` of the thin QR ``A = Q R`` of a tall (m, q) matrix, in ``A``'s namespace."""
    from array_api_compat import is_dask_array

    xp = array_namespace(A)
    if is_dask_array(A):
        A = A.rechunk({1: -1})
    return xp.linalg.qr(A)[1]
