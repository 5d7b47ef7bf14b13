"""Helpers for a user's own pytest suite: assert that the paper's claims hold on their data, and
that their own autoencoder memorizes its training set.

    from verify.testing import assert_claim_holds, assert_memorizes
    def test_my_data_is_memorized():
        assert_claim_holds("linear-min-norm", X=my_training_set, profile="quick")
    def test_my_autoencoder_memorizes():
        assert_memorizes(my_autoencoder, X_train, attractor_fraction=1.0, recovered=0.9)
"""

from __future__ import annotations

from .evidence import HOLDS


def assert_claim_holds(claim_id: str, *, X=None, profile: str = "quick", backend: str | None = "numpy", seed: int = 0,
                       require_control: bool = True):
    """Run ``claim_id`` (on ``X`` if given) and raise ``AssertionError`` with the failing
    comparisons unless it holds and (with ``require_control``) its negative control is rejected.
    Returns the :class:`verify.evidence.Evidence`."""
    from . import check, run

    ev = check(claim_id, X=X, profile=profile, backend=backend, seed=seed) if X is not None else \
        run([claim_id], profile=profile, backend=backend, seed=seed).evidence[0]
    if ev.verdict != HOLDS:
        failing = [f"{c.name}: {c.shown(f'{c.measured:.6g}', f'{c.bound:.6g}')}" for c in ev.measurement.comparisons
                   if not c.passed]
        detail = "; ".join(failing) or "; ".join(ev.measurement.violations)
        raise AssertionError(f"{claim_id}: {ev.verdict} ({ev.reason})" + (f"; {detail}" if detail not in ev.reason else ""))
    if require_control and ev.control_rejected is not True:
        raise AssertionError(f"{claim_id}: the negative control ({ev.control_description}) was not rejected; "
                             "the check could not tell a wrong prediction from a right one")
    return ev


def assert_memorizes(f, X, *, attractor_fraction: float = 1.0, recovered: float = 0.9, max_spurious: float = 1.0,
                     **options):
    """Analyse ``f`` at its training examples ``X`` (:func:`verify.analyze`) and raise
    ``AssertionError`` unless at least ``attractor_fraction`` of the examples are fixed points with
    ``rho(J) < 1`` (Theorem 2), at least ``recovered`` of the starts settle at a training example,
    and at most ``max_spurious`` settle elsewhere.  The message names every example that is not an
    attractor, with its residual and spectral radius.  Returns the analysis."""
    import inspect
    import math

    from theory.errors import InputError

    from . import analyze

    for name, v in (("attractor_fraction", attractor_fraction), ("recovered", recovered), ("max_spurious", max_spurious)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not (0.0 <= v <= 1.0) or math.isnan(v):
            raise InputError(f"{name} must be a fraction in [0, 1], got {v!r}")
    from .analysis import analyze as _analyze

    unknown = sorted(set(options) - set(inspect.signature(_analyze).parameters) - {"f", "X"})
    if unknown:
        raise InputError(f"assert_memorizes takes no option {', '.join(map(repr, unknown))}; the others are "
                         "verify.analyze's settings")
    a = analyze(f, X, **options)
    problems = []
    if a.attractor_fraction["value"] < attractor_fraction:
        bad = [f"example {i}: {c} (|f(x) - x| = {r:.3g}, rho = {rho:.4g})"
               for i, (c, r, rho) in enumerate(zip(a.classification, a.fixed_point_residual, a.spectral_radius))
               if c != "attractor"]
        problems.append(f"attractor fraction {a.attractor_fraction['value']:.3g} < {attractor_fraction:g}: "
                        + "; ".join(bad[:5]) + (f"; and {len(bad) - 5} more" if len(bad) > 5 else ""))
    rec = a.recovery["fraction_recovered"]["value"]
    if rec < recovered:
        problems.append(f"recovered {rec:.3g} of {a.recovery['starts']} starts < {recovered:g} (spurious "
                        f"{a.recovery['spurious']}, unsettled {a.recovery['unsettled']} after at most "
                        f"{a.recovery['cap']} iterations)")
    spurious = a.recovery["spurious"] / a.recovery["starts"]
    if spurious > max_spurious:
        problems.append(f"{spurious:.3g} of the starts settled at spurious attractors > {max_spurious:g}")
    if problems:
        raise AssertionError(f"the model does not memorize its {len(a.spectral_radius)} training examples (Jacobian: "
                             f"{a.jacobian_source}): " + "; ".join(problems))
    return a
