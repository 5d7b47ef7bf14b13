"""Whether a GPU is usable here (CuPy imports fine without one and fails at the first allocation)."""

from __future__ import annotations


def cupy_status() -> tuple[bool, str]:
    """Tell whether CuPy can actually compute here: ``(usable, description or reason)``.

    CuPy imports fine on a machine without a GPU and fails at the first allocation, so this
    allocates and reduces a small array before saying yes.
    """
    try:
        import cupy
    except Exception as exc:  # ImportError, or a broken CUDA install raising at import
        return False, f"CuPy is not importable ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
        if count < 1:
            return False, "CuPy found no CUDA device"
        probe = cupy.arange(8, dtype=cupy.float64)
        float((probe * probe).sum())
        props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
        name = props["name"].decode() if isinstance(props["name"], bytes) else str(props["name"])
        return True, f"cuda:{cupy.cuda.Device().id} {name}"
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return False, f"CuPy is installed but no GPU is usable ({first})"
