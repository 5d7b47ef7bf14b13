"""Array namespace and device: choose NumPy or CuPy once, move arrays, fill gaps of a backend.

* :func:`gpu.backend.resolve` picks a backend by name (``numpy | cupy | auto``, or
  ``array_api_strict`` for conformance testing), from the ``MEMVERIFY_BACKEND`` variable
  when no name is given;
* :mod:`gpu.host` moves arrays between host NumPy and a backend;
* :mod:`gpu.fallbacks` is the one place for operations some backend lacks.
"""

from .backend import BACKENDS, Backend, BackendError, cupy_status, resolve
from .host import to_backend, to_numpy

__all__ = ["BACKENDS", "Backend", "BackendError", "cupy_status", "resolve", "to_backend", "to_numpy"]
