"""memverify: numerics-first verification of 'Memorization in Overparameterized Autoencoders'.

Python API::

    import verify
    report = verify.run(["linear-min-norm"], profile="quick", seed=0)
    report.ok, [e.verdict for e in report.evidence]
    evidence = verify.check("linear-min-norm", X=my_data)      # one claim on your own data
    verify.testing.assert_claim_holds("linear-min-norm", X=my_data)  # inside your pytest suite
    result = verify.analyze(my_autoencoder, X_train)             # memorization of your own model
"""

from .evidence import HOLDS, INCONCLUSIVE, NOT_MET, NOT_REPRODUCED, REFUTED, Comparison, Evidence, Measurement, Tolerance
from .claim import Claim, register
from .registry import all_claims, get
from .runner import Report, run


def analyze(f, X, **options):
    """Memorization analysis of your own autoencoder ``f`` at its training examples ``X``:
    :func:`verify.analysis.analyze` (fixed points, Theorem 2's classification, recovery by iteration,
    spurious attractors, superattraction; rank and eigenvectors for linear models)."""
    from .analysis import analyze as _analyze

    return _analyze(f, X, **options)


def check(claim_id: str, *, X=None, profile: str = "quick", backend: str | None = None, seed: int = 0, **options):
    """Run one claim on your own training set ``X`` (rows are examples) and return its
    :class:`Evidence`; a claim that takes no data is a one-line :class:`theory.errors.InputError`.
    ``options`` are :func:`run`'s (``dtype``, ``activations``, ``data_dir``, ``step_factor``)."""
    from theory.errors import InputError

    if X is None:
        raise InputError("check needs X=, your training set (rows are examples)")
    unknown = sorted(set(options) - {"dtype", "activations", "data_dir", "step_factor", "scheduler"})
    if unknown:
        raise InputError(f"check takes no option {', '.join(map(repr, unknown))}; its options are X, profile, backend, "
                         "seed, dtype, activations, data_dir, step_factor, scheduler")
    claim = get(claim_id)
    if "X" not in claim.data_keys:
        takes = ", ".join(c.id for c in all_claims() if "X" in c.data_keys)
        raise InputError(f"claim {claim_id!r} takes no data (it builds its own); claims that take X: {takes}")
    return run([claim_id], profile=profile, backend=backend, seed=seed, data={"X": X}, **options).evidence[0]


__all__ = [
    "HOLDS", "INCONCLUSIVE", "NOT_MET", "NOT_REPRODUCED", "REFUTED", "Claim", "Comparison", "Evidence", "Measurement", "Report", "Tolerance",
    "all_claims", "analyze", "check", "get", "register", "run",
]
