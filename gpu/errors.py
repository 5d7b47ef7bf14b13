"""Exceptions that name the problem and the fix in one line (the lowest floor: gpu/, theory/ and verify/ all raise them)."""


class MemverifyError(Exception):
    """Base class of every error the verifier reports to a user as one line."""


class InputError(MemverifyError, ValueError):
    """Bad input: non-finite data, wrong shapes, data outside an activation's range, ..."""


class DivergenceError(MemverifyError, ArithmeticError):
    """Gradient descent diverged (the loss became non-finite or grew without bound)."""


class RangeError(InputError):
    """Data outside an activation's range (its pre-images do not exist)."""


class BackendError(MemverifyError):
    """The requested backend cannot be used here."""
