"""Data made in code, on the host (NumPy), with a recorded seed; moved to a backend by the caller."""

from __future__ import annotations

import numpy as np

from theory.errors import InputError


def singular_values(rank: int, cond: float, scale: float = 1.0) -> np.ndarray:
    """``rank`` singular values spaced geometrically from ``scale`` down to ``scale / cond``."""
    if rank < 1:
        raise InputError(f"rank must be >= 1, got {rank}")
    if not cond >= 1.0:
        raise InputError(f"condition number must be >= 1, got {cond}")
    if rank == 1:
        return np.array([scale])
    return scale * np.geomspace(1.0, 1.0 / cond, rank)


def synthetic(n: int, d: int, *, rank: int | None = None, cond: float = 1.0, scale: float = 1.0, rng=None) -> np.ndarray:
    """Row data ``X = U diag(s) V^T`` of shape (n, d) with exact rank and condition number.

    ``U`` (n, r) and ``V`` (d, r) have orthonormal columns from the QR factorisation of
    Gaussian matrices; ``s`` is :func:`singular_values`.  Controlled rank and conditioning,
    not filtering of random floats.
    """
    rng = np.random.default_rng(rng)
    r = min(n, d) if rank is None else rank
    if n < 1 or d < 1:
        raise InputError(f"need n >= 1 and d >= 1, got n={n}, d={d}")
    if r > min(n, d):
        raise InputError(f"rank {r} exceeds min(n, d) = {min(n, d)}")
    U, _ = np.linalg.qr(rng.standard_normal((n, r)))
    V, _ = np.linalg.qr(rng.standard_normal((d, r)))
    return (U * singular_values(r, cond, scale)) @ V.T


def gaussian_init(d_out: int, d_in: int, scale: float, rng=None) -> np.ndarray:
    """``scale * G / sqrt(d_in)`` with ``G`` standard Gaussian: a random initialisation of given scale."""
    rng = np.random.default_rng(rng)
    return scale * rng.standard_normal((d_out, d_in)) / np.sqrt(d_in)


def load_matrix(path) -> np.ndarray:
    """Read a training set, one example per row, from ``.npy``, ``.npz`` (array ``X`` or its only
    array), or ``.csv``/``.txt`` (comma or whitespace separated).  Errors are one line."""
    from pathlib import Path

    p = Path(path)
    if not p.is_file():
        raise InputError(f"data file {str(p)!r} does not exist; pass a .npy, .npz or .csv file")
    suffix = p.suffix.lower()
    try:
        if suffix == ".npy":
            arr = np.load(p, allow_pickle=False)
        elif suffix == ".npz":
            with np.load(p, allow_pickle=False) as z:
                names = list(z.files)
                key = "X" if "X" in names else (names[0] if len(names) == 1 else None)
                if key is None:
                    raise InputError(f"{p.name} holds arrays {names}; name the training set 'X'")
                arr = z[key]
        elif suffix in (".csv", ".txt"):
            text = p.read_text()
            arr = np.loadtxt(p, delimiter="," if "," in text else None, ndmin=2)
        else:
            raise InputError(f"cannot read {p.name}: unknown extension {suffix!r}; use .npy, .npz or .csv")
    except InputError:
        raise
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"cannot read {p.name}: {first}") from None
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise InputError(f"{p.name} holds {arr.dtype} data; the training set must be real numbers")
    arr = np.asarray(arr, dtype=np.float64)
    from theory.common import check_matrix

    check_matrix(arr, f"the data in {p.name}")
    return arr


def scale_into(X: np.ndarray, interval) -> np.ndarray:
    """Min-max scale all entries of ``X`` (globally, as for images) into ``[a, b]``."""
    a, b = (float(v) for v in interval)
    if not (np.isfinite(a) and np.isfinite(b) and a < b):
        raise InputError(f"interval must be finite with a < b, got {interval!r}")
    lo, hi = float(np.min(X)), float(np.max(X))
    if hi == lo:
        return np.full_like(X, 0.5 * (a + b), dtype=np.float64)
    return a + (b - a) * (np.asarray(X, dtype=np.float64) - lo) / (hi - lo)


def digits(n: int, *, per_class_first: bool = True) -> np.ndarray:
    """``n`` images (8 x 8, d = 64) of scikit-learn's bundled digits, pixels in [0, 1].

    With ``per_class_first`` the images cycle through the classes 0..9 (one of each first),
    so that small training sets are diverse.
    """
    from sklearn.datasets import load_digits

    if not 1 <= n <= 1797:
        raise InputError(f"digits has 1797 images; asked for n = {n}")
    bunch = load_digits()
    data, target = bunch.data / 16.0, bunch.target
    if not per_class_first:
        return data[:n].copy()
    ranks = np.empty_like(target)
    for c in range(10):
        idx = np.where(target == c)[0]
        ranks[idx] = np.arange(len(idx))
    order = np.lexsort((target, ranks))
    return data[order[:n]].copy()


def swiss_roll(n: int, *, rng=None) -> np.ndarray:
    """``n`` points of scikit-learn's Swiss roll (as the paper used), in 2-D: the roll's (x, z)
    coordinates (the spiral; y is the roll's height), scaled by one factor into [-1, 1]^2."""
    from sklearn.datasets import make_swiss_roll

    if n < 1:
        raise InputError(f"need n >= 1 Swiss roll points, got {n}")
    seed = int(np.random.default_rng(rng).integers(2**31 - 1))
    P, _ = make_swiss_roll(n, noise=0.0, random_state=seed)
    X = P[:, [0, 2]]
    return X / np.abs(X).max()


def grid(per_side: int, dim: int = 2, *, lo: float = -1.0, hi: float = 1.0) -> np.ndarray:
    """A regular grid of ``per_side ** dim`` initial points in ``[lo, hi]^dim`` (Figure 2 uses 1000)."""
    if per_side < 1 or dim < 1:
        raise InputError(f"grid needs per_side >= 1 and dim >= 1, got {per_side}, {dim}")
    axes = np.meshgrid(*([np.linspace(lo, hi, per_side)] * dim), indexing="ij")
    return np.stack([a.ravel() for a in axes], axis=1)


def arbitrary_images(m: int, d: int, *, rng=None) -> np.ndarray:
    """``m`` arbitrary inputs in [0, 1]^d as the paper fed its MNIST autoencoders: a blank image,
    a constant grey image, then uniform noise."""
    rng = np.random.default_rng(rng)
    out = rng.random((m, d))
    if m >= 1:
        out[0] = 0.0
    if m >= 2:
        out[1] = 0.5
    return out
