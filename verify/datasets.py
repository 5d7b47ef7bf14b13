"""Data made in code, on the host (NumPy), with a recorded seed; moved to a backend by the caller."""

from __future__ import annotations

import math

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


def low_rank_init(d_out: int, d_in: int, rank: int, scale: float, rng=None) -> tuple:
    """Factors ``(A, B)`` of ``scale * G1 G2^T / sqrt(rank d_in)`` (G1, G2 standard Gaussian, ``rank``
    columns): entries of the same variance ``scale^2 / d_in`` as :func:`gaussian_init`, stored in
    ``(d_out + d_in) rank`` numbers (the large profile's initialisation: a dense d x d one does not fit)."""
    rng = np.random.default_rng(rng)
    A = rng.standard_normal((d_out, rank)) * (scale / np.sqrt(rank * d_in))
    return A, rng.standard_normal((d_in, rank))


def _is_number(field: str) -> bool:
    try:
        float(field)
    except ValueError:
        return False
    return True


def load_matrix(path) -> np.ndarray:
    """Read a training set, one example per row, from ``.npy``, ``.npz`` (array ``X`` or its only
    array), or ``.csv``/``.txt`` (comma or whitespace separated).  Errors are one line."""
    from pathlib import Path

    p = Path(path)
    if p.is_dir():
        raise InputError(f"data file {str(p)!r} is a directory; pass a .npy, .npz or .csv file (MNIST or CIFAR-10 "
                         "directories go to --data-dir)")
    if p.exists() and not p.is_file():
        raise InputError(f"data file {str(p)!r} is not a regular file (a FIFO, socket or device); pass a .npy, .npz or "
                         ".csv file")
    if not p.is_file():
        raise InputError(f"data file {str(p)!r} does not exist; pass a .npy, .npz or .csv file")
    suffix = p.suffix.lower()
    try:
        if suffix == ".npy":
            with open(p, "rb") as fh:
                if fh.read(6) != b"\x93NUMPY":
                    raise InputError(f"{p.name} is not a NumPy .npy file (no .npy header); save the array with "
                                     "numpy.save, or use .npz or .csv")
            arr = np.load(p, allow_pickle=False)
        elif suffix == ".npz":
            with open(p, "rb") as fh:
                if fh.read(4) != b"PK\x03\x04":
                    raise InputError(f"{p.name} is not a .npz archive (no zip header); a .npy file saved under this "
                                     "name? rename it to .npy")
            with np.load(p, allow_pickle=False) as z:
                names = list(z.files)
                key = "X" if "X" in names else (names[0] if len(names) == 1 else None)
                if key is None:
                    raise InputError(f"{p.name} holds arrays {names}; name the training set 'X'")
                arr = z[key]
        elif suffix in (".csv", ".txt"):
            text = p.read_text()
            if not text.strip():
                raise InputError(f"{p.name} is empty; write one example per row, features separated by commas")
            delim = "," if "," in text else None
            first = text.strip().splitlines()[0].split(delim)
            header = all(not _is_number(field) for field in first) and len(text.strip().splitlines()) > 1
            # a header row (every field a name, as pandas writes one) is skipped; a row of numbers never is
            arr = np.loadtxt(p, delimiter=delim, ndmin=2, skiprows=1 if header else 0)
        else:
            raise InputError(f"cannot read {p.name}: unknown extension {suffix!r}; use .npy, .npz or .csv")
    except InputError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc):  # object arrays: not a numeric training set, and never unpickled
            raise InputError(f"{p.name} holds Python objects (a pickled array), not numbers; save a float array "
                             "with numpy.save") from None
        raise InputError(f"cannot read {p.name}: {str(exc).splitlines()[0]}") from None
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"cannot read {p.name}: {first}") from None
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise InputError(f"{p.name} holds {arr.dtype} data; the training set must be real numbers")
    arr = np.asarray(arr, dtype=np.float64)
    if arr.ndim == 0:
        raise InputError(f"{p.name} holds a single number; the training set is a 2-D array, one example per row")
    if arr.ndim > 2:
        raise InputError(f"{p.name} holds a {arr.ndim}-D array of shape {arr.shape}; flatten each example into a row, "
                         f"e.g. X.reshape({arr.shape[0]}, -1) for {arr.shape[0]} images")
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


def natural_patches(n: int, side: int, *, rng=None) -> tuple:
    """``n`` natural-image patches, ``side x side x 3`` in [0, 1], one per row in channels-first
    order (CIFAR-10's layout), from the two photographs scikit-learn ships (``china.jpg``,
    ``flower.jpg``; ``sklearn.datasets.load_sample_images``): a random ``32 x 32`` window of image
    ``i mod 2`` per row, block-averaged down to ``side`` (a power of 2 up to 32).  Returns
    ``(X, names)`` with the image each row came from."""
    from sklearn.datasets import load_sample_images

    if side < 1 or side > 32 or 32 % side:
        raise InputError(f"natural patches have a side that divides 32, got {side}")
    rng = np.random.default_rng(rng)
    bunch = load_sample_images()
    names = [str(f).rsplit("/", 1)[-1] for f in bunch.filenames]
    rows, used = [], []
    for i in range(n):
        img = np.asarray(bunch.images[i % len(bunch.images)], dtype=np.float64) / 255.0
        top, left = rng.integers(0, img.shape[0] - 32), rng.integers(0, img.shape[1] - 32)
        win = img[top:top + 32, left:left + 32, :]
        f = 32 // side
        small = win.reshape(side, f, side, f, 3).mean(axis=(1, 3))
        rows.append(np.transpose(small, (2, 0, 1)).reshape(-1))
        used.append(f"{names[i % len(names)]}@({int(top)},{int(left)})")
    return np.stack(rows), used


def block_average(X: np.ndarray, side: int) -> np.ndarray:
    """Rows of ``32 x 32 x 3`` images, channels first (CIFAR-10's layout), block-averaged down to
    ``side x side x 3`` (``side`` divides 32), as :func:`natural_patches` shrinks its windows."""
    X = np.asarray(X, dtype=np.float64)
    if side < 1 or side > 32 or 32 % side or X.ndim != 2 or X.shape[1] != 3072:
        raise InputError(f"block_average needs rows of 3072 values (32 x 32 x 3) and a side dividing 32, got "
                         f"shape {X.shape} and side {side}")
    f = 32 // side
    return X.reshape(X.shape[0], 3, side, f, side, f).mean(axis=(3, 5)).reshape(X.shape[0], -1)


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


# ----------------------------------------------------------------------------- real data (local files)

DATA_DIR_ENV = "MEMVERIFY_DATA_DIR"
MNIST_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
               "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


USER_STARTS = ("half uniform in the examples' bounding box ('box'), half training examples drawn with replacement "
               "and moved by 0.2 x their smallest spacing in a random direction ('near')")


def user_starts(X: np.ndarray, m: int, rng, *, near: float = 0.2) -> np.ndarray:
    """``m`` starts for iterating a map trained on ``X`` (:data:`USER_STARTS`); the ``near`` ones
    ``near`` x the examples' spacing from an example (the claims, which count a start within half the
    spacing as having reached an example, move them 0.75 x the spacing: beyond that)."""
    return labelled_user_starts(X, m, rng, near=near)[0]


def labelled_user_starts(X: np.ndarray, m: int, rng, *, near: float = 0.2) -> tuple:
    """``(starts, kinds, origins)``: :func:`user_starts`' starts (the same draws), each start's kind
    (``box`` or ``near``) and the example a ``near`` start was moved from (-1 for ``box``)."""
    from theory.dynamics import min_spacing

    if not 0.0 < near < 1.0:
        raise InputError(f"near starts lie between 0 and 1 x the examples' spacing from one, got {near!r}")
    dist = near
    lo, hi = X.min(axis=0), X.max(axis=0)
    box = lo + (hi - lo) * rng.random((m // 2, X.shape[1]))
    origin = rng.integers(0, len(X), m - m // 2)
    near = X[origin]
    U = rng.standard_normal(near.shape)
    near = near + dist * min_spacing(X) * U / np.linalg.norm(U, axis=1, keepdims=True)
    kinds = ["box"] * (m // 2) + ["near"] * (m - m // 2)
    return np.vstack([box, near]), kinds, [-1] * (m // 2) + [int(i) for i in origin]


def data_dir(path=None):
    """The directory of real data sets: ``path``, else ``$MEMVERIFY_DATA_DIR``, else ``None``."""
    import os
    from pathlib import Path

    path = path or os.environ.get(DATA_DIR_ENV) or None
    if path is None:
        return None
    p = Path(path)
    if not p.is_dir():
        raise InputError(f"data directory {str(p)!r} does not exist; pass --data-dir DIR (or set {DATA_DIR_ENV})")
    return p


def _open_maybe_gz(path):
    import gzip

    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def _find(directory, name):
    for candidate in (directory / name, directory / (name + ".gz"), directory / name.replace("-idx", ".idx")):
        if candidate.is_file():
            return candidate
    return None


def read_idx(path) -> np.ndarray:
    """An IDX file (MNIST's format, optionally gzipped): magic ``0x0000 dtype ndim``, big-endian
    int32 sizes, then the data.  Truncated or corrupted files raise a one-line :class:`InputError`."""
    from pathlib import Path

    import zlib

    p = Path(path)
    try:
        with _open_maybe_gz(p) as fh:
            head = fh.read(4)
            if len(head) < 4 or head[0] != 0 or head[1] != 0:
                raise InputError(f"{p.name} is not an IDX file (bad magic number); expected MNIST's idx format")
            types = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
            if head[2] not in types:
                raise InputError(f"{p.name}: unknown IDX data type 0x{head[2]:02x}; the file is corrupted")
            ndim = head[3]
            sizes = fh.read(4 * ndim)
            if ndim < 1 or len(sizes) < 4 * ndim:
                raise InputError(f"{p.name} is truncated: its header is incomplete")
            dims = tuple(int(v) for v in np.frombuffer(sizes, dtype=">i4", count=ndim))
            if min(dims) < 0:
                raise InputError(f"{p.name}: its header gives a negative size {dims}; the file is corrupted")
            if min(dims) == 0:
                raise InputError(f"{p.name} holds no data (its header gives sizes {dims}); use a file with images")
            dtype = np.dtype(types[head[2]])
            need = math.prod(dims) * dtype.itemsize  # Python integers: no overflow
            from .plan import host_available

            room, source = host_available()
            if need > room // 2:  # the bytes and the float64 copy the loaders make of them
                raise InputError(f"{p.name}: its header declares {need / 2**30:.3g} GiB of data, more than the memory "
                                 f"this process may use ({room / 2**30:.3g} GiB, {source}); use a smaller file")
            raw = fh.read(need + 1)  # decompression bounded by the size the header declares
    except InputError:
        raise
    except EOFError:  # a gzip stream cut short
        raise InputError(f"{p.name} is truncated: its gzip stream ends early; download it again") from None
    except zlib.error as exc:
        raise InputError(f"{p.name} is corrupted: its gzip data does not decompress ({exc}); download it again") from None
    except OSError as exc:  # gzip.BadGzipFile too: not gzip at all
        raise InputError(f"cannot read {p.name}: {exc.strerror or exc}") from None
    if len(raw) != need:
        state = "truncated" if len(raw) < need else "longer than its header says"
        have = "more" if len(raw) > need else str(len(raw))
        raise InputError(f"{p.name} is {state}: the header promises {need} bytes of data, the file has {have}")
    return np.frombuffer(raw, dtype=dtype).reshape(dims)


def load_mnist(directory, *, split: str = "train", n: int | None = None) -> tuple:
    """MNIST from a local directory of IDX files (``train-images-idx3-ubyte`` etc., optionally
    ``.gz``): ``(X, y)`` with X (n, 784) in [0, 1]."""
    from pathlib import Path

    if split not in MNIST_FILES:
        raise InputError(f"unknown MNIST split {split!r}; choose train or test")
    d = Path(directory)
    names = MNIST_FILES[split]
    paths = [_find(d, name) for name in names]
    if paths[0] is None:
        raise InputError(f"no MNIST {split} images in {str(d)!r}: expected {names[0]} (or .gz)")
    images = read_idx(paths[0])
    if images.ndim != 3:
        raise InputError(f"{paths[0].name} holds a {images.ndim}-D array; MNIST images are (n, rows, cols)")
    labels = read_idx(paths[1]) if paths[1] is not None else np.full(images.shape[0], -1)
    if labels.shape[0] != images.shape[0]:
        raise InputError(f"{paths[0].name} has {images.shape[0]} images but {paths[1].name} {labels.shape[0]} labels")
    k = images.shape[0] if n is None else min(n, images.shape[0])
    return images[:k].reshape(k, -1).astype(np.float64) / 255.0, labels[:k].astype(np.int64)


def load_cifar10(directory, *, n: int | None = None, batches=("data_batch_1",)) -> tuple:
    """CIFAR-10 from its python batches (``data_batch_1`` ... in ``directory`` or its
    ``cifar-10-batches-py``): ``(X, y)`` with X (n, 3072) in [0, 1], channels first (as the batches).
    The batches are pickles: read only files you trust."""
    import pickle
    from pathlib import Path

    d = Path(directory)
    if (d / "cifar-10-batches-py").is_dir():
        d = d / "cifar-10-batches-py"
    Xs, ys = [], []
    for name in batches:
        p = d / name
        if not p.is_file():
            raise InputError(f"no CIFAR-10 batch {name!r} in {str(d)!r}; expected the python batches (data_batch_1 ...)")
        try:
            with open(p, "rb") as fh:
                batch = pickle.load(fh, encoding="bytes")
        except Exception as exc:  # truncated or not a pickle
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(f"cannot read CIFAR-10 batch {name}: {first} (truncated or corrupted file)") from None
        if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
            raise InputError(f"{name} is not a CIFAR-10 python batch (no b'data' and b'labels')")
        labels = batch[b"labels"]
        if not isinstance(labels, (list, tuple, np.ndarray)) or isinstance(labels, (str, bytes)):
            raise InputError(f"{name}: b'labels' is {type(labels).__name__}, not a list of labels; the batch is corrupted")
        data = np.asarray(batch[b"data"])
        if not np.issubdtype(data.dtype, np.number) or np.issubdtype(data.dtype, np.complexfloating):
            raise InputError(f"{name}: b'data' holds {data.dtype} values, not pixel numbers; the batch is corrupted")
        if data.ndim == 2 and data.shape[0] == 0:
            raise InputError(f"{name} holds no images; use a batch with images")
        if data.ndim != 2 or data.shape[1] != 3072 or len(batch[b"labels"]) != data.shape[0]:
            raise InputError(f"{name}: expected data of shape (n, 3072) and n labels, got {data.shape} and "
                             f"{len(batch[b'labels'])}")
        Xs.append(data)
        ys.append(np.asarray(batch[b"labels"]))
    X, y = np.vstack(Xs), np.concatenate(ys)
    k = X.shape[0] if n is None else min(n, X.shape[0])
    return X[:k].astype(np.float64) / 255.0, y[:k].astype(np.int64)


def has_mnist(directory) -> bool:
    """Whether ``directory`` holds MNIST's training images; a broken entry (an MNIST name that is no
    file, or labels without images) is a one-line error, not a silent fall-back to the bundled digits."""
    from pathlib import Path

    if directory is None:
        return False
    d = Path(directory)
    for name in MNIST_FILES["train"]:
        for candidate in (d / name, d / (name + ".gz"), d / name.replace("-idx", ".idx")):
            if candidate.exists() and not candidate.is_file():
                raise InputError(f"{str(candidate)!r} is not a file; MNIST's {name} must be the IDX file (or .gz)")
    images, labels = (_find(d, name) for name in MNIST_FILES["train"])
    if images is None and labels is not None:
        raise InputError(f"{str(d)!r} holds MNIST's labels ({labels.name}) but not its images ({MNIST_FILES['train'][0]}); "
                         "add the images or remove the labels")
    return images is not None


def has_cifar10(directory) -> bool:
    from pathlib import Path

    return directory is not None and ((Path(directory) / "data_batch_1").is_file()
                                      or (Path(directory) / "cifar-10-batches-py" / "data_batch_1").is_file())


def image_set(n: int, directory=None) -> tuple:
    """``(images, name)``: the first ``n`` MNIST training images when ``directory`` holds MNIST
    (the paper's data), else scikit-learn's bundled digits (8 x 8), one of each class first."""
    if has_mnist(directory):
        return load_mnist(directory, n=n)[0], "mnist"
    return digits(n), "digits"
