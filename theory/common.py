"""Small helpers shared by the model modules: validation, norms, machine precision.

Nothing here is specific to a model; each helper takes arrays of any array-API namespace.
"""

from __future__ import annotations

from array_api_compat import array_namespace as _compat_namespace

from .errors import InputError

__all__ = [
    "array_namespace",
    "check_matrix",
    "check_training_set",
    "eps",
    "fro",
    "sq_norm",
]


_NAMESPACES: dict = {}


def array_namespace(*arrays):
    """``array_api_compat.array_namespace``, remembered per tuple of array types.

    The namespace depends only on the arrays' types, and the descent loops ask for it every step:
    array_api_compat's lookup (several microseconds) was a fifth of the time of Theorem 1's
    small-d claims.  What it refuses (non-arrays, mixed namespaces) it still refuses.
    """
    key = tuple(map(type, arrays))
    xp = _NAMESPACES.get(key)
    if xp is None:
        xp = _NAMESPACES[key] = _compat_namespace(*arrays)
    return xp


def check_matrix(A, name: str = "X"):
    """Validate that ``A`` is a 2-D array of finite real floats; return its namespace.

    Raises
    ------
    InputError
        with a one-line message naming the problem and the fix.
    """
    try:
        xp = array_namespace(A)
    except TypeError as exc:
        raise InputError(f"{name} is not an array ({type(A).__name__}); pass a 2-D float array") from exc
    if A.ndim != 2:
        raise InputError(
            f"{name} must be 2-D (n_samples, n_features), got {A.ndim}-D with shape {tuple(A.shape)}; "
            "reshape it, e.g. X.reshape(1, -1) for a single example"
        )
    if not xp.isdtype(A.dtype, "real floating"):
        raise InputError(f"{name} has dtype {A.dtype}; convert it to float64 (or float32)")
    if A.shape[0] == 0 or A.shape[1] == 0:
        raise InputError(f"{name} is empty (shape {tuple(A.shape)}); pass at least one example and feature")
    if not bool(xp.all(xp.isfinite(A))):
        bad = int(xp.sum(xp.astype(~xp.isfinite(A), xp.int64)))
        raise InputError(f"{name} has {bad} non-finite entries (NaN or Inf); clean or drop them first")
    return xp


def check_training_set(X, Y=None):
    """Validate rows-as-examples training data ``X`` (n, d) and optional targets ``Y`` (n, d_out).

    Returns the array namespace. Shapes must agree on the number of examples; both must be
    finite real floating arrays of the same dtype.
    """
    xp = check_matrix(X, "X")
    if Y is not None:
        check_matrix(Y, "Y")
        if Y.shape[0] != X.shape[0]:
            raise InputError(
                f"X has {X.shape[0]} examples but Y has {Y.shape[0]}; pass one target row per example"
            )
        if Y.dtype != X.dtype:
            raise InputError(f"X is {X.dtype} but Y is {Y.dtype}; convert both to the same dtype")
    return xp


def eps(A) -> float:
    """Machine epsilon of ``A``'s dtype."""
    xp = array_namespace(A)
    return float(xp.finfo(A.dtype).eps)


def sq_norm(A) -> float:
    """Sum of squares of the entries of ``A`` as a Python float: one pass, no temporary array
    (``vecdot`` of the flattened array; ``sum(A * A)`` writes ``A * A`` first, which the descent
    loops paid every step)."""
    xp = array_namespace(A)
    flat = xp.reshape(A, (-1,))
    return float(xp.vecdot(flat, flat))


def fro(A) -> float:
    """Frobenius norm of a matrix (2-norm of a vector) as a Python float."""
    return sq_norm(A) ** 0.5
