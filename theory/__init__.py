"""The mathematics of the paper, one module per model family, backend-agnostic.

Every public function infers its array namespace from its inputs
(``array_api_compat.array_namespace``) and so runs on NumPy, CuPy and any other
array-API library.  Conventions, used by every module:

* training data are passed as **rows**: ``X`` has shape ``(n_samples, n_features)``,
  the transpose of the paper's ``X in R^{d x n}``;
* a weight matrix acts on column vectors as in the paper, ``f(x) = W x``, so applying it
  to row data is ``X @ W.T``.
"""
