r"""Convolutional autoencoders as matrices (paper Section 4, Appendices D-H).

Images are batches ``(m, c, h, w)``; a vectorised image is its C-order ravel (channel, row,
column), as ``torch.Tensor.view`` lays it out.  A convolution (PyTorch's cross-correlation) with
weights ``W`` of shape ``(c_out, c_in, k, k)``, zero padding ``p`` and stride ``t`` maps a
``c_in x h x w`` image to ``c_out x h' x w'`` with ``h' = (h + 2p - k) // t + 1``:

    out[o, i, j] = sum_{c, a, b} W[o, c, a, b] * x_pad[c, t i + a, t j + b].

As a matrix (Appendix E, Algorithm 1) it is sparse with a fixed pattern: row ``(o, i, j)`` has
the entry ``W[o, c, a, b]`` in column ``(c, t i + a - p, t j + b - p)`` when that pixel lies inside
the image.  :class:`ConvLayout` holds that pattern once (rows, columns and which weight each entry
is), so building ``C(W)``, its structure, and the gradient ``dL/dW = sum over entries of G H^T``
share it.  Nearest-neighbour upsampling by ``f`` (Algorithm 2) is the 0/1 matrix sending pixel
``(c, i // f, j // f)`` to ``(c, i, j)``.

A linear network is the product of its layers' matrices (:mod:`theory.conv_nets`: the networks
and their training; their names stay importable from here).  Forced zeros (Theorem 5) come from boolean products
of the patterns (:func:`forced_zero_pattern`); with padding ``(k - 1)/2`` and stride 1 the product
of L layers reaches pixels within Chebyshev distance ``L (k - 1)/2``, so it has no forced zero
on ``s x s`` images exactly when ``L >= ceil(2 (s - 1) / (k - 1))`` (:func:`min_full_depth`).

Sparse matrices are ``scipy.sparse`` for NumPy and ``cupyx.scipy.sparse`` for CuPy; for any other
array-API namespace (array_api_strict) they are dense arrays of that namespace (small sizes only).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from array_api_compat import is_cupy_namespace, is_jax_namespace, is_numpy_namespace

from .common import array_namespace, sq_norm
from .errors import InputError

__all__ = ["ConvLayout", "filter_design", "forced_zero_distance", "single_filter_solution", "train_single_filter", "conv2d", "conv_matrix", "conv_pattern", "forced_zero_pattern", "min_depth_measured", "stack_params",
           "heuristic_depth", "min_full_depth", "out_size", "same_padding", "upsample_matrix"]


def same_padding(k: int) -> int:
    """The symmetric padding ``(k - 1)/2`` that keeps the size at stride 1; odd kernels only."""
    if k < 1:
        raise InputError(f"kernel size must be >= 1, got {k}")
    if k % 2 == 0:
        raise InputError(f"an even kernel ({k}) has no symmetric 'same' padding; give padding= explicitly or use an odd kernel")
    return (k - 1) // 2


def out_size(s: int, k: int, stride: int = 1, padding: int = 0) -> int:
    """Output side ``(s + 2 p - k) // stride + 1``, with one-line errors for impossible settings."""
    for name, v, lo in (("image size", s, 1), ("kernel size", k, 1), ("stride", stride, 1), ("padding", padding, 0)):
        if int(v) != v or v < lo:
            raise InputError(f"{name} must be an integer >= {lo}, got {v!r}")
    if k > s + 2 * padding:
        raise InputError(f"kernel {k} is larger than the padded image ({s} + 2 x {padding}); use a smaller kernel or more padding")
    return (s + 2 * padding - k) // stride + 1


@dataclass(frozen=True)
class ConvLayout:
    """The fixed sparsity pattern of a convolution on ``c_in x h x w`` images (host NumPy indices).

    ``rows[e], cols[e]`` is the position of entry e and ``widx[e]`` the flat index into
    ``W.reshape(-1)`` of the weight it holds; ``shape = (c_out h' w', c_in h w)``.
    """

    c_in: int
    c_out: int
    h: int
    w: int
    k: int
    stride: int
    padding: int
    rows: np.ndarray
    cols: np.ndarray
    widx: np.ndarray
    csr: tuple = ()  # (indices, indptr, widx in CSR order): the CSR structure, built once

    @property
    def key(self) -> tuple:
        """What determines the pattern: channels, image size, kernel, stride, padding."""
        return (self.c_in, self.c_out, self.h, self.w, self.k, self.stride, self.padding)

    @property
    def out_hw(self) -> tuple:
        return (out_size(self.h, self.k, self.stride, self.padding), out_size(self.w, self.k, self.stride, self.padding))

    @property
    def shape(self) -> tuple:
        ho, wo = self.out_hw
        return (self.c_out * ho * wo, self.c_in * self.h * self.w)

    @property
    def n_weights(self) -> int:
        return self.c_out * self.c_in * self.k * self.k

    @classmethod
    def build(cls, size, k: int, *, stride: int = 1, padding: int | None = None, c_in: int = 1,
              c_out: int = 1) -> "ConvLayout":
        h, w = (size, size) if np.isscalar(size) else tuple(size)
        p = same_padding(k) if padding is None else padding
        ho, wo = out_size(h, k, stride, p), out_size(w, k, stride, p)
        if c_in < 1 or c_out < 1:
            raise InputError(f"channel counts must be >= 1, got c_in={c_in}, c_out={c_out}")
        o, c, i, j, a, b = np.meshgrid(np.arange(c_out), np.arange(c_in), np.arange(ho), np.arange(wo),
                                       np.arange(k), np.arange(k), indexing="ij")
        r, q = stride * i + a - p, stride * j + b - p
        keep = (r >= 0) & (r < h) & (q >= 0) & (q < w)
        rows = ((o * ho + i) * wo + j)[keep].ravel()
        cols = ((c * h + r) * w + q)[keep].ravel()
        widx = (((o * c_in + c) * k + a) * k + b)[keep].ravel()
        order = np.lexsort((cols, rows))  # CSR order: by row, then column (entries are distinct)
        indptr = np.zeros(c_out * ho * wo + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=c_out * ho * wo), out=indptr[1:])
        return cls(c_in, c_out, h, w, k, stride, p, rows, cols, widx, (cols[order], indptr, widx[order]))

    def matrix(self, W, *, dense: bool = False):
        """``C(W)`` on the namespace of ``W``: sparse (scipy / cupyx) or, on request or for other
        namespaces, dense."""
        xp = array_namespace(W)
        if W.shape != (self.c_out, self.c_in, self.k, self.k):
            raise InputError(f"weights have shape {tuple(W.shape)}, expected (c_out, c_in, k, k) = "
                             f"{(self.c_out, self.c_in, self.k, self.k)}; check the channel counts")
        flat = xp.reshape(W, (-1,))
        sp = _sparse_module(xp)
        if sp is not None and not dense:
            indices, indptr, widx = self.csr
            return sp.csr_matrix((_take(xp, flat, widx), xp.asarray(indices), xp.asarray(indptr)), shape=self.shape)
        return _assemble(xp, self.rows, self.cols, _take(xp, flat, self.widx), self.shape, dense)

    def dense_basis(self, xp, dtype=None):
        """``B`` of shape (n_weights, d_out, d_in) with ``C(W) = sum_j W_j B_j`` (small layers: the
        fast path of :class:`LinearConvNet` when ``n_weights d_out d_in`` is small)."""
        B = np.zeros((self.n_weights,) + self.shape)
        np.add.at(B, (self.widx, self.rows, self.cols), 1.0)
        return xp.asarray(B) if dtype is None else xp.asarray(B, dtype=dtype)

    # up to this many dense entries per pattern entry, dL/dC = G H^T is formed whole (one BLAS product)
    DENSE_GRADIENT = 32

    def weight_gradient(self, G, H):
        """``dL/dW`` for ``L`` with ``dL/dC = G H^T`` (columns are examples): the sum of
        ``sum_m G[row_e, m] H[col_e, m]`` over the entries e that hold each weight."""
        xp = array_namespace(G, H)
        rows, cols = xp.asarray(self.rows), xp.asarray(self.cols)
        d_out, d_in = self.shape
        if (is_numpy_namespace(xp) or is_cupy_namespace(xp)) and d_out * d_in <= self.DENSE_GRADIENT * self.rows.shape[0]:
            # a dense pattern (Figure 5's strided layers): G H^T whole in one product, then its entries on
            # the pattern, instead of n gathers of the pattern's length
            contrib = xp.take(xp.reshape(G @ H.T, (-1,)), rows * d_in + cols)
        else:
            # one example (column) at a time: gathering (nnz, n) blocks and summing along their short
            # rows was 5x slower at n = 2 (2x at n = 10, 1.5x at n = 50; Appendix G at 32 x 32 x 3)
            GT, HT, contrib = G.T, H.T, None
            for m in range(G.shape[1]):
                term = xp.take(GT[m, :], rows) * xp.take(HT[m, :], cols)
                contrib = term if contrib is None else contrib + term
        if is_numpy_namespace(xp) or is_cupy_namespace(xp):
            # bincount sums in float64 whatever the weights' dtype: back to the run's dtype
            g = xp.astype(xp.bincount(xp.asarray(self.widx), weights=contrib, minlength=self.n_weights), G.dtype)
        elif is_jax_namespace(xp):  # JAX's functional scatter-add
            g = xp.zeros(self.n_weights, dtype=G.dtype).at[xp.asarray(self.widx)].add(contrib)
        else:  # no scatter-add in the array API: one masked sum per weight (small layers only)
            widx = xp.asarray(self.widx)
            g = xp.stack([xp.sum(xp.where(widx == j, contrib, xp.zeros_like(contrib))) for j in range(self.n_weights)])
        return xp.reshape(g, (self.c_out, self.c_in, self.k, self.k))


def conv_matrix(size, W, *, stride: int = 1, padding: int | None = None, dense: bool = False):
    """The matrix of the convolution with weights ``W`` (c_out, c_in, k, k) on images of side
    ``size`` (an int or ``(h, w)``): sparse by default, dense on request."""
    c_out, c_in, k, k2 = W.shape
    if k != k2:
        raise InputError(f"only square kernels are supported, got {k} x {k2}")
    return ConvLayout.build(size, k, stride=stride, padding=padding, c_in=c_in, c_out=c_out).matrix(W, dense=dense)


def conv_pattern(size, k: int, *, stride: int = 1, padding: int | None = None, c_in: int = 1, c_out: int = 1):
    """The structural pattern of a convolution (a boolean SciPy sparse matrix): where an entry can be non-zero."""
    import scipy.sparse as sp

    lay = ConvLayout.build(size, k, stride=stride, padding=padding, c_in=c_in, c_out=c_out)
    return sp.csr_matrix((np.ones(len(lay.rows), dtype=bool), (lay.rows, lay.cols)), shape=lay.shape)


def upsample_matrix(size, factor: int, *, channels: int = 1, xp=None, dense: bool = False, dtype=None):
    """Nearest-neighbour upsampling by ``factor`` (Algorithm 2) as a 0/1 matrix ``(c (f h)(f w), c h w)``."""
    if xp is None:
        import array_api_compat.numpy as xp
    h, w = (size, size) if np.isscalar(size) else tuple(size)
    if int(factor) != factor or factor < 1:
        raise InputError(f"upsampling factor must be an integer >= 1, got {factor!r}")
    if h < 1 or w < 1 or channels < 1:
        raise InputError(f"image size and channels must be >= 1, got {h} x {w} x {channels}")
    c, i, j = np.meshgrid(np.arange(channels), np.arange(h * factor), np.arange(w * factor), indexing="ij")
    rows = ((c * h * factor + i) * w * factor + j).ravel()
    cols = ((c * h + i // factor) * w + j // factor).ravel()
    vals = xp.ones(rows.shape[0], dtype=xp.float64 if dtype is None else dtype)
    return _assemble(xp, rows, cols, vals, (channels * h * w * factor * factor, channels * h * w), dense)


def conv2d(X, W, *, stride: int = 1, padding: int | None = None):
    """Direct convolution (cross-correlation, as PyTorch) of a batch ``X`` (m, c_in, h, w)."""
    xp = array_namespace(X, W)
    if X.ndim != 4 or W.ndim != 4:
        raise InputError(f"conv2d needs X (m, c, h, w) and W (c_out, c_in, k, k), got {X.ndim}-D and {W.ndim}-D")
    m, c_in, h, w = X.shape
    c_out, c_w, k, _ = W.shape
    if c_w != c_in:
        raise InputError(f"the weights take {c_w} input channels but the images have {c_in}; match them")
    p = same_padding(k) if padding is None else padding
    ho, wo = out_size(h, k, stride, p), out_size(w, k, stride, p)
    if p:
        zr = xp.zeros((m, c_in, p, w), dtype=X.dtype)
        X = xp.concat([zr, X, zr], axis=2)
        zc = xp.zeros((m, c_in, h + 2 * p, p), dtype=X.dtype)
        X = xp.concat([zc, X, zc], axis=3)
    out = None
    for a in range(k):
        for b in range(k):
            patch = X[:, :, a: a + stride * (ho - 1) + 1: stride, b: b + stride * (wo - 1) + 1: stride]
            term = xp.tensordot(patch, W[:, :, a, b], axes=([1], [1]))  # (m, ho, wo, c_out)
            out = term if out is None else out + term
    return xp.permute_dims(out, (0, 3, 1, 2))


def forced_zero_pattern(size, k: int, depth: int, *, filters: int = 1, channels: int = 1):
    """Boolean (host) pattern of the product of ``depth`` convolutions (stride 1, 'same' padding,
    ``filters`` channels between layers, ``channels`` in and out): ``False`` marks a forced zero."""
    if depth < 1:
        raise InputError(f"depth must be >= 1, got {depth}")
    chans = [channels] + [filters] * (depth - 1) + [channels]
    P = None
    for c_in, c_out in zip(chans[:-1], chans[1:]):
        L = conv_pattern(size, k, c_in=c_in, c_out=c_out).astype(np.int64)
        P = L if P is None else ((L @ P) > 0).astype(np.int64)
    return P.toarray() > 0


def min_full_depth(s: int, k: int) -> int:
    """The least number of layers (stride 1, padding (k-1)/2) whose product has no forced zero on
    ``s x s`` images: ``ceil(2 (s - 1) / (k - 1))`` (0 for s = 1).  ``k = 3`` gives ``s - 1``."""
    same_padding(k)
    if k == 1:
        raise InputError("a 1 x 1 kernel never mixes pixels: no depth removes the forced zeros (s > 1)")
    return math.ceil(2 * (s - 1) / (k - 1))


def min_depth_measured(s: int, k: int, filters: int = 1, limit: int = 200) -> int:
    """The least depth whose product pattern has no forced zero on ``s x s`` images (stride 1,
    'same' padding, ``filters`` channels between layers), found by multiplying the patterns layer by
    layer: the measurement that :func:`min_full_depth`'s formula is checked against."""
    import scipy.sparse as sp

    if s == 1:
        return 0
    first = conv_pattern(s, k, c_in=1, c_out=filters).astype(np.int64)
    mid = conv_pattern(s, k, c_in=filters, c_out=filters).astype(np.int64)
    last = conv_pattern(s, k, c_in=filters, c_out=1).astype(np.int64)
    if filters == 1:
        P = first
        for L in range(1, limit + 1):
            if P.nnz == P.shape[0] * P.shape[1]:
                return L
            P = sp.csr_matrix(((first @ P) > 0).astype(np.int64))
    else:
        one = conv_pattern(s, k)
        if one.nnz == one.shape[0] * one.shape[1]:
            return 1  # a single layer has no intermediate filters
        H = first  # layers so far, before the last one
        for L in range(2, limit + 1):
            full = (last @ H) > 0
            if full.nnz == full.shape[0] * full.shape[1]:
                return L
            H = sp.csr_matrix(((mid @ H) > 0).astype(np.int64))
    raise AssertionError(f"no depth up to {limit} removes the forced zeros for s={s}, k={k}")


def stack_params(depth: int, filters: int, k: int = 3, channels: int = 1) -> int:
    """Weights of ``depth`` convolutions ``channels -> filters -> ... -> filters -> channels`` (no biases)."""
    if depth == 1:
        return channels * channels * k * k
    return k * k * (2 * channels * filters + (depth - 2) * filters * filters)


def heuristic_depth(s: int, k: int = 3) -> int:
    """Appendix F's heuristic: as many single-filter layers as make the parameters of a fully
    connected layer on ``s x s`` images, ``ceil(s^4 / k^2)``."""
    return math.ceil(s**4 / k**2)


# ----------------------------------------------------------------------------- namespace helpers

def _sparse_module(xp):
    if is_numpy_namespace(xp):
        import scipy.sparse as sp
        return sp
    if is_cupy_namespace(xp):
        import cupyx.scipy.sparse as sp
        return sp
    return None


def _assemble(xp, rows, cols, vals, shape, dense):
    sp = _sparse_module(xp)
    if sp is not None and not dense:
        return sp.csr_matrix((vals, (xp.asarray(rows), xp.asarray(cols))), shape=shape)
    # dense: one scatter through a 0/1 selection (array API has no scatter); entries are distinct
    n_rows, n_cols = shape
    flat = xp.asarray(rows * n_cols + cols)
    M = xp.zeros(n_rows * n_cols, dtype=vals.dtype)
    if sp is not None:
        M[flat] = vals
        return xp.reshape(M, shape)
    if is_jax_namespace(xp):  # JAX arrays are immutable: its functional scatter
        return xp.reshape(M.at[flat].set(vals), shape)
    sel = xp.astype(xp.arange(n_rows * n_cols)[:, None] == flat[None, :], vals.dtype)
    return xp.reshape(sel @ vals, shape)


def _take(xp, flat, idx):
    return xp.take(flat, xp.asarray(idx), axis=0)


# ----------------------------------------------------------------------------- Theorem 4 and the Lemma

def filter_design(x, size, k: int = 3, *, padding: int | None = None):
    """``M(x)`` (s^2, k^2) with ``C(w) x = M(x) w`` for a single-filter convolution on one image
    ``x`` (vectorised, length s^2): column j is ``B_j x``, the image shifted by filter tap j."""
    xp = array_namespace(x)
    lay = ConvLayout.build(size, k, padding=padding)
    if x.shape != (lay.shape[1],):
        raise InputError(f"the image has shape {tuple(x.shape)}; a {size} x {size} image is a vector of {lay.shape[1]} values")
    B = lay.dense_basis(xp, x.dtype)  # (k^2, s^2, s^2): small images (Theorem 4 is about one s x s image)
    return xp.permute_dims(B @ x, (1, 0))


def single_filter_solution(x, size, k: int = 3):
    """Theorem 4's trained filter: gradient descent from 0 on ``1/2 ||C(w) x - x||^2`` converges to
    the minimum-norm least-squares filter ``w* = M(x)^+ x`` (the same argument as Section 2: the
    iterates stay in the row space of ``M(x)``).  Returns ``(w*, M(x))``."""
    xp = array_namespace(x)
    M = filter_design(x, size, k)
    return xp.linalg.pinv(M) @ x, M


def least_squares_filter(X, size, k: int = 3):
    """Where gradient descent from 0 takes one single-filter 'same' convolution trained on the images
    ``X`` (n, s^2): the minimum-norm least-squares filter ``w* = M^+ x`` of the stacked designs
    ``M = [M(x_1); ...; M(x_n)]``, ``x = [x_1; ...; x_n]`` (:func:`single_filter_solution` for one
    image; with several, one filter need not fit them all).  Returns ``(w*, residual norm)``."""
    xp = array_namespace(X)
    if X.ndim != 2 or X.shape[0] < 1:
        raise InputError(f"X must hold one image a row, got shape {tuple(X.shape)}")
    M = xp.concat([filter_design(X[i, :], size, k) for i in range(X.shape[0])], axis=0)
    x = xp.reshape(X, (-1,))
    w = xp.linalg.pinv(M) @ x
    r = M @ w - x
    return w, float(xp.sqrt(xp.sum(r * r)))


def train_single_filter(x, size, k: int = 3, *, lr: float, max_steps: int, loss_tol: float = 0.0):
    """Explicit gradient descent on the filter from ``w = 0`` (the cross-check of
    :func:`single_filter_solution`); gradient ``M^T (M w - x)``."""
    from .descent import descend

    xp = array_namespace(x)
    M = filter_design(x, size, k)

    def step(w):
        r = M @ w - x
        return w - lr * (M.T @ r), 0.5 * sq_norm(r)

    return descend(xp.zeros(k * k, dtype=x.dtype), step, max_steps=max_steps, loss_tol=loss_tol,
                   loss=lambda w: 0.5 * sq_norm(M @ w - x),
                   divergence_hint=f"the step {lr:g} exceeds 2 / sigma_max(M)^2; lower it")


def forced_zero_distance(X, pattern):
    """The Frobenius distance from the memorizing projection ``X^T (X X^T)^+ X`` (onto the span of the
    rows of ``X``; ``x x^T / ||x||^2`` for one example) to the nearest matrix that vanishes where
    ``pattern`` (host boolean, d x d) is False: exactly ``||P restricted to the forced zeros||_F``
    (the nearest such matrix is P with those entries set to 0).  Positive means no matrix with
    that structure memorizes X (the Lemma)."""
    xp = array_namespace(X)
    from .linear import data_svd

    V = data_svd(X).V
    P = V @ V.T
    mask = xp.asarray(~np.asarray(pattern))
    return float(xp.sqrt(xp.sum(xp.where(mask, P * P, xp.zeros_like(P)))))
