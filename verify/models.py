"""How a user's model is called (``verify.analyze``, ``memverify analyze``): on host rows, in float64,
always on copies (a model may edit its input), with its Jacobian from the best source it offers: the
user's ``jacobian=``, JAX's ``jax.jacfwd``, ``torch.func.jacrev``, else none (the analysis then takes
central differences).  A matrix, a SciPy ``LinearOperator`` or a network with ``operator()`` is a
linear model, whose Jacobian is itself."""

from __future__ import annotations

import numpy as np

from gpu.host import to_numpy
from theory import dynamics as dyn
from theory.common import check_matrix
from theory.errors import InputError

__all__ = ["host_matrix", "jax_map", "linear_matrix", "resolve", "torch_map", "user_jacobian"]


def host_matrix(X, name: str) -> np.ndarray:
    """``X`` on the host in float64, validated as every array of theory/ is (:func:`check_matrix`)."""
    try:
        A = np.asarray(to_numpy(X))
    except (AttributeError, TypeError, ValueError):
        A = X  # not an array of any namespace: check_matrix names it
    check_matrix(A, name)
    A = np.asarray(A, dtype=np.float64)
    dyn.check_distances_fit(A, name)
    return A


def linear_matrix(f):
    """The d x d matrix of a linear model (a matrix, a SciPy LinearOperator, a network with
    ``operator()``), or None."""
    if hasattr(f, "operator") and callable(f.operator):
        return np.asarray(to_numpy(f.operator()), dtype=np.float64)
    try:
        from scipy.sparse.linalg import LinearOperator
    except ImportError:  # pragma: no cover - scipy is a dependency
        LinearOperator = ()
    if isinstance(f, LinearOperator):
        return np.asarray(f @ np.eye(f.shape[1]), dtype=np.float64)
    if hasattr(f, "shape") and not callable(f):
        A = np.asarray(to_numpy(f), dtype=np.float64)
        if A.ndim == 2 and A.shape[0] == A.shape[1]:
            return A
        raise InputError(f"a matrix model must be square (d x d), got shape {A.shape}")
    return None


def torch_map(f):
    """``(call, jacobian, dtype name)`` for a ``torch.nn.Module``, called in its own parameters' dtype
    (PyTorch's default float32 too) on copies; ``None`` for other models."""
    try:
        import torch
    except ImportError:
        return None
    if not isinstance(f, torch.nn.Module):
        return None
    params = list(f.parameters())
    dtype = params[0].dtype if params and params[0].is_floating_point() else torch.float64

    def call(Z):
        with torch.no_grad():
            out = f(torch.tensor(np.array(Z), dtype=dtype))  # a copy, in the model's dtype
        return out.detach().cpu().numpy().astype(np.float64)

    def jacobian(Z):
        g = torch.func.vmap(torch.func.jacrev(lambda z: f(z[None, :])[0]))
        return g(torch.tensor(np.array(Z), dtype=dtype)).detach().cpu().numpy().astype(np.float64)

    return call, jacobian, str(dtype).replace("torch.", "")


def jax_map(f, X):
    """``(call, jacobian)`` when ``f`` is a JAX model (it returns a JAX array for NumPy rows), else
    None; JAX then runs in float64 (``jax_enable_x64``)."""
    import sys

    if "jax" not in sys.modules:  # a JAX model has imported JAX
        return None
    import jax

    try:
        probe = f(np.array(X[:1]))  # a copy: a model may edit its input
    except Exception:
        return None
    if not isinstance(probe, jax.Array):
        return None
    jax.config.update("jax_enable_x64", True)

    def call(Z):
        return np.asarray(f(jax.numpy.asarray(Z)))

    def jacobian(Z):
        g = jax.vmap(jax.jacfwd(lambda z: f(z[None, :])[0]))
        return np.asarray(g(jax.numpy.asarray(Z)))

    return call, jacobian


def resolve(f, X, jacobian):
    """``(call on host rows, jacobian on host rows or None, source name, linear matrix or None)``."""
    A = linear_matrix(f)
    if A is not None:
        if A.shape[0] != X.shape[1]:
            raise InputError(f"the linear model is {A.shape[0]} x {A.shape[1]} but the data have d = {X.shape[1]}")
        return (lambda Z: Z @ A.T), (lambda Z: np.broadcast_to(A, (Z.shape[0],) + A.shape).copy()), "exact (linear)", A
    if not callable(f) and callable(getattr(f, "predict", None)):
        f = f.predict  # a scikit-learn estimator (an MLPRegressor trained as an autoencoder, say)
    if not callable(f):
        raise InputError(f"the model must be callable on row batches (m, d) -> (m, d), a d x d matrix or a "
                         f"LinearOperator; got {type(f).__name__}")
    torch_pair = torch_map(f)
    if torch_pair is not None:
        call, auto, dtype = torch_pair
        auto_name = "torch.func.jacrev" + ("" if dtype == "float64" else f" (the model's {dtype})")
        return call, (user_jacobian(jacobian) if jacobian is not None else auto), \
            ("user" if jacobian is not None else auto_name), None
    jax_pair = jax_map(f, X)
    if jax_pair is not None:
        call, auto = jax_pair
        return call, (user_jacobian(jacobian) if jacobian is not None else auto), \
            ("user" if jacobian is not None else "jax.jacfwd"), None

    def call(Z):
        out = np.asarray(to_numpy(f(np.array(Z))))  # a copy: a model may edit its input
        if np.iscomplexobj(out):
            raise InputError("the model returned complex values; it must map real (m, d) rows to real (m, d) rows")
        if not (np.issubdtype(out.dtype, np.number) or out.dtype == bool):
            raise InputError(f"the model returned {out.dtype} values, not numbers; it must map (m, d) rows to real "
                             "(m, d) rows")
        return out.astype(np.float64)

    return call, (user_jacobian(jacobian) if jacobian is not None else None), \
        ("user" if jacobian is not None else "central differences"), None


def user_jacobian(jacobian):
    def J(Z):
        raw = jacobian(np.array(Z))  # on a copy, as the model
        try:
            out = np.asarray(to_numpy(raw))
        except Exception:
            raise InputError(f"jacobian returned {type(raw).__name__}, not an array; it must return an (m, d, d) stack") from None
        if np.iscomplexobj(out) or not np.issubdtype(out.dtype, np.number):
            raise InputError(f"jacobian returned {out.dtype} entries; it must return a real (m, d, d) stack")
        out = out.astype(np.float64)
        if out.shape != (Z.shape[0], Z.shape[1], Z.shape[1]):
            raise InputError(f"jacobian returned shape {out.shape} for {Z.shape[0]} rows of d = {Z.shape[1]}; it must "
                             "return an (m, d, d) stack")
        return out
    return J
