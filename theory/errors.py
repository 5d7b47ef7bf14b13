"""The exceptions of memverify (defined on the lowest floor, :mod:`gpu.errors`, so that gpu/ imports
nothing from theory/); importable from here as everywhere in theory/ and verify/."""

from gpu.errors import DivergenceError, InputError, MemverifyError, RangeError

__all__ = ["DivergenceError", "InputError", "MemverifyError", "RangeError"]
