"""Issue 35, item 1: no wrong verdict at the edges of floating point. Every exact claim that takes X
was run on a generic X, on X scaled by 1e-150 and 1e150, and with one coordinate at 1e-300 or 1e-9
(the audit's table is in the closing note of the change); the cases that were wrong are held here."""

import math

import numpy as np
import pytest

import verify
from theory.forced_zero import forced_zero_log_distance
from verify.evidence import HOLDS, INCONCLUSIVE, NOT_MET

RNG = np.random.default_rng(35)
IMAGE = RNG.uniform(0.5, 0.95, (1, 16))


def _with(pixel: float) -> np.ndarray:
    x = IMAGE.copy()
    x[0, 5] = pixel
    return x


@pytest.mark.parametrize("X", [_with(1e-9), _with(1e-300), IMAGE * 1e-150, IMAGE * 1e150, _with(1e-9) * 1e-100],
                         ids=["pixel 1e-9", "pixel 1e-300", "scaled 1e-150", "scaled 1e150", "both"])
def test_the_lemma_holds_on_a_generic_image_at_every_scale(X):
    """A pixel of 1e-9 beside pixels near one puts the distance near 1e-19: certainly positive, though
    far below eps (an absolute threshold called it a counterexample); 1e-300 puts it below any double."""
    ev = verify.run(["lemma-forced-zero"], data={"X": X}).evidence[0]
    assert ev.verdict == HOLDS, ev.reason
    assert ev.control_rejected is True
    assert ev.measurement.metrics["max_relative_error"] < 1e-10


def test_the_lemma_distance_in_logarithms_is_the_closed_form():
    x = np.array([0.5, 1e-9, 0.75, 0.25])
    got = forced_zero_log_distance(x)
    exact = 2 * math.log10(1e-9) - math.log10(float(x @ x))
    assert abs(got.log10 - exact) < 1e-12 and got.certified
    tiny = forced_zero_log_distance(np.array([0.5, 1e-300, 0.75, 0.25]))
    assert tiny.log10 < -599 and tiny.value == 0.0 and tiny.certified  # no double holds it; it is certified
    assert not forced_zero_log_distance(np.array([0.5, 0.0, 0.75])).certified
    pattern = np.ones((4, 4), dtype=bool)
    pattern[0, 3] = pattern[3, 0] = False
    two = forced_zero_log_distance(x, pattern)
    assert abs(10 ** two.log10 - math.sqrt(2) * 0.5 * 0.25 / float(x @ x)) < 1e-15
    pattern[:] = True
    assert not forced_zero_log_distance(x, pattern).certified  # nothing forced: nothing to certify


def test_the_lemma_still_rejects_a_zero_pixel():
    ev = verify.run(["lemma-forced-zero"], data={"X": _with(0.0)}).evidence[0]
    assert ev.verdict == NOT_MET and "zero pixel" in ev.reason


def test_theorem6_outside_the_unit_cube_is_not_a_counterexample():
    """X x 1e150 lies outside [0, 1]^d, the construction's hypothesis; its absolute radius is below one
    unit in the last place of the data there, so rho rounded to 1 was once reported as refuted."""
    X = RNG.uniform(0.1, 0.9, (3, 8))
    for claim in ("thm6-attractors", "thm6-reconstruction"):
        ev = verify.run([claim], data={"X": X * 1e150}).evidence[0]
        assert ev.verdict == NOT_MET and "not [0, 1]^d" in ev.reason


def test_theorem6_on_values_float64_cannot_separate_is_inconclusive():
    X = RNG.uniform(0.1, 0.9, (3, 8))
    close = np.vstack([X, X[:1] + 2 * np.spacing(X[:1])])
    for claim in ("thm6-attractors", "thm6-reconstruction"):
        ev = verify.run([claim], data={"X": close}).evidence[0]
        assert ev.verdict == INCONCLUSIVE and "cannot place the construction's breakpoints" in ev.reason
    ev = verify.run(["thm6-attractors"], data={"X": X}).evidence[0]
    assert ev.verdict == HOLDS


@pytest.mark.parametrize("claim", ["linear-min-norm", "linear-gd-trajectory", "linear-span-projection",
                                   "init-perturbation"])
@pytest.mark.parametrize("factor", [1e-150, 1e150])
def test_scale_invariant_claims_hold_at_extreme_scales(claim, factor):
    X = RNG.uniform(0.1, 0.9, (3, 16)) * factor
    X[0, 5] = 1e-300 * factor
    assert verify.run([claim], data={"X": X}).evidence[0].verdict == HOLDS
