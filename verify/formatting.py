"""Numbers as the reports print them and as JSON carries them: the lowest floor of verify/ (it
imports nothing of the project), shared by the evidence, the reports, the baselines and the
rendered docs."""

from __future__ import annotations

import math


def fmt(x) -> str:
    """A measured number in a few significant digits; one near an integer shows how far it is from it
    (a spectral radius of 1.0037 against a bound of 1 - 4u); never ``-0``."""
    if isinstance(x, bool) or x is None:
        return str(x)
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        if x == 0.0:
            return "0"  # never "-0"
        if not math.isfinite(x):
            return str(x)  # inf, -inf, nan
        near = round(x)
        if near != 0 and x != near and abs(x - near) < 1e-2 * abs(near):
            # e.g. a spectral radius 1.0037, or 1 + 4.4e-16 against a bound 1 - 4u: show the difference
            if abs(x - near) < 1e-9 * abs(near):
                return f"{near} {'-' if x < near else '+'} {abs(x - near):.2g}"
            return f"{x:.6g}"
        return f"{x:.3g}"
    return str(x)


def jsonable(x):
    """``x`` with every float JSON can hold (non-finite ones as the strings ``nan``, ``inf``, ``-inf``),
    NumPy scalars as Python numbers and keys as strings."""
    if isinstance(x, float):
        return x if math.isfinite(x) else ("nan" if math.isnan(x) else ("inf" if x > 0 else "-inf"))
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if hasattr(x, "item") and callable(x.item):  # NumPy scalars
        return jsonable(x.item())
    return x
