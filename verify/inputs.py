"""The API's inputs, refused in one line when malformed: the run's options (claims, seed, step factor,
activations), the user's data (a dict of real 2-D arrays some claim takes) and its magnitude (a
scale-invariant claim brings X to max |X| in [0.5, 1) by an exact power of two; any other refuses an X
whose squares would overflow or fall below the normal range)."""

from __future__ import annotations

import math

import gpu
from theory.errors import InputError

from .registry import all_claims

__all__ = ["check_data", "check_options", "magnitude"]


def check_options(claims, seed, step_factor, activations):
    """The API's options, refused in one line when malformed (a bare string where a list is meant,
    a seed that is not a non-negative integer, a step factor that is not a finite positive number)."""
    import math
    import numbers

    def names(value, what):
        if value is None:
            return ()
        if isinstance(value, (str, bytes)):
            raise InputError(f"{what} must be a list of names, got the string {value!r}; write [{value!r}]")
        try:
            items = list(value)
        except TypeError:
            raise InputError(f"{what} must be a list of names, got {type(value).__name__}") from None
        bad = [v for v in items if not isinstance(v, str)]
        if bad:
            raise InputError(f"{what} must be names (strings), got {bad[0]!r}")
        twice = sorted({v for v in items if items.count(v) > 1})
        if twice:
            raise InputError(f"{what}: {', '.join(map(repr, twice))} named more than once; name each once")
        return tuple(items)

    if claims is not None and not isinstance(claims, (str, bytes)) and hasattr(claims, "__len__") and len(claims) == 0:
        raise InputError("claims is an empty list: name the claims to run, or pass None to run them all")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")
    if isinstance(step_factor, bool) or not isinstance(step_factor, numbers.Real) or not math.isfinite(step_factor) \
            or step_factor <= 0:
        raise InputError(f"step_factor must be a finite number > 0, got {step_factor!r}")
    return names(claims, "claims"), int(seed), float(step_factor), names(activations, "activations")


def check_data(data, chosen):
    """The user's data: a dict of the keys the claims take, each a real numeric array (not complex,
    boolean, text, object or masked), used by at least one of the claims run."""
    import numpy as np

    if data is None:
        return None
    if not isinstance(data, dict):
        raise InputError(f"data must be a dict such as {{'X': array}}, got {type(data).__name__}")
    known = sorted({k for c in all_claims() for k in c.data_keys})
    unknown = sorted(set(data) - set(known), key=str)
    if unknown:
        raise InputError(f"data has the unknown key {unknown[0]!r}; the claims take {', '.join(map(repr, known))}")
    for key, value in data.items():
        if value is None or isinstance(value, (dict, str, bytes, set)):
            raise InputError(f"data[{key!r}] must be a 2-D real array (rows are examples), got {type(value).__name__}")
        if isinstance(value, np.ma.MaskedArray):
            raise InputError(f"data[{key!r}] is a masked array; fill or drop the masked entries first "
                             "(X.filled(value), or select the complete rows)")
        try:  # on the host copy: a backend's dtype object (array_api_strict, cupy) need not be NumPy's
            kind = gpu.to_numpy(value).dtype.kind
        except (TypeError, ValueError, BufferError, RuntimeError) as exc:
            raise InputError(f"data[{key!r}] ({type(value).__name__}) cannot be read as an array: "
                             f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}; pass a NumPy array") from None
        what = {"c": "complex", "b": "boolean", "U": "text", "S": "bytes", "O": "object", "M": "datetime",
                "m": "timedelta", "V": "structured"}.get(kind)
        if what:
            hint = " (stack the real and imaginary parts as features)" if kind == "c" else ""
            raise InputError(f"data[{key!r}] has {what} entries; memverify verifies real data: pass a float "
                             f"array{hint}")
    if not any(c.data_keys and set(c.data_keys) <= set(data) for c in chosen):
        takes = ", ".join(c.id for c in all_claims() if c.data_keys)
        raise InputError(f"none of the claims run takes data, so it would be ignored; claims that take X: {takes}")
    return data


def magnitude(claim, X, dtype: str):
    """``(X, k)``: a scale-invariant claim gets ``X * 2^k`` with ``max |X|`` in [0.5, 1) (exact; ``k``
    is 0 when nothing was done); any other claim gets ``X`` as it is if its largest entry lies where
    squares and Gram matrices neither overflow nor fall below the normal range, else InputError."""
    import numpy as np

    X = np.asarray(X)
    if X.ndim != 2 or X.size == 0 or X.dtype.kind not in "fiu" or not np.all(np.isfinite(X)):
        return X, 0  # the claim's own checks name these problems
    top = float(np.max(np.abs(X)))
    if top == 0.0:
        raise InputError(f"X is all zeros; {claim.id} needs data with at least one non-zero entry")
    if claim.scale_invariant:
        k = -math.frexp(top)[1]
        return (X if k == 0 else np.ldexp(X.astype(np.float64, copy=False), k)), k
    info = np.finfo(np.dtype(dtype))
    hi = math.sqrt(float(info.max) / (16.0 * X.shape[0] * X.shape[1]))
    lo = math.sqrt(float(info.tiny) / float(info.eps))
    if not lo <= top <= hi:
        raise InputError(f"X's largest entry is {top:.3g}; {claim.id} squares and multiplies the data, which in "
                         f"{dtype} needs it within [{lo:.3g}, {hi:.3g}]: rescale X (the paper's data lie in [0, 1])")
    return X, 0
