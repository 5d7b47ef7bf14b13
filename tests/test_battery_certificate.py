"""Issue 35, item 2: the certificate says what it knows. Theorem 2's class of a Jacobian known up to
an error bound is certified for every matrix within the bound, with the undecided band applied to
all of them; no sampling cap makes a class impossible; a repeller needs one eigenvalue robustly
outside; an undecided example says why; a start that stops where the map does not move it is not a
spurious attractor."""

import numpy as np
import pytest

import verify
from theory.pseudospectra import WHY_BAND, circle_free, classify_within

X = np.random.default_rng(0).uniform(0.1, 0.9, (5, 8))


def _scaled_about_nearest(rate: float):
    """``f(z) = x + rate (z - x)`` about the example ``x`` nearest ``z``: J = rate I at every example."""
    def f(Z):
        near = X[np.argmin(((Z[:, None, :] - X[None]) ** 2).sum(-1), axis=1)]
        return near + rate * (Z - near)
    return f


@pytest.mark.parametrize("rate, expected", [(1.001, "repeller"), (1 + 1e-4, "repeller"), (1 - 1e-3, "attractor"),
                                            (1 - 1e-4, "attractor")])
def test_just_off_the_circle_is_certified(rate, expected):
    """rho = 1.001 with an error bound near 3e-10 was undecided: 512 samples of the circle (slack pi/512)
    could never certify 1 < rho < 1.006."""
    a = verify.analyze(_scaled_about_nearest(rate), X)
    assert a.classification == [expected] * 5
    assert max(a.jacobian_error_norm) < 1e-8 and all(m > 0 for m in a.certificate_margin)


def test_inside_the_band_is_undecided_for_every_jacobian_within_the_bound():
    """rho = 1 - 1e-6 lies on the band's edge; the band holds for every Jacobian within the bound,
    so no example may be certified an attractor (2 of 5 were), and the reason is the real one."""
    a = verify.analyze(_scaled_about_nearest(1 - 1e-6), X)
    assert a.classification == ["undecided"] * 5
    assert all(w for w in a.undecided_why)
    from verify.analysis_report import measurements

    report_scope = measurements(a, recover_min=0.5)["attractors"].scope
    assert "undecided (" in report_scope and ("band" in report_scope or "error" in report_scope)


def test_the_identity_has_no_spurious_attractor():
    a = verify.analyze(lambda Z: Z.copy(), X)
    assert a.classification == ["undecided"] * 5
    assert a.undecided_why == [WHY_BAND.format(band=1e-6)] * 5
    assert a.spurious_attractors == [] and len(a.spurious_fixed_points) == a.recovery["spurious"] > 0


def test_a_repeller_by_one_eigenvalue_robustly_outside():
    """One eigenvalue at 2, the others on the unit circle: the error can move the others across it,
    never the one at 2."""
    J = np.diag([2.0, 1.0, -1.0, 0.999999])
    c = classify_within(J, 1e-3)
    assert c.cls == "repeller" and c.margin > 0
    assert classify_within(np.diag([1.0005, 0.5]), 1e-3).cls == "undecided"  # the error reaches the circle


def test_the_reasons_are_the_real_ones():
    assert classify_within(np.diag([1.0, 0.5]), 1e-9).why == WHY_BAND.format(band=0.0)
    why = classify_within(np.diag([0.9995, 0.5]), 1e-3).why
    assert "error bound" in why and "could change the class" in why
    J = np.array([[1 - 1e-6, 1.0], [0.0, 0.5]])  # non-normal (||J|| 1.46), an eigenvalue 1e-6 inside the circle
    tight = classify_within(J, 1e-9, budget=64)  # a gap finer than 64 samples resolve
    assert tight.cls == "undecided" and "evaluations" in tight.why
    assert classify_within(J, 1e-9).cls == "attractor"  # bisection resolves it within the default budget


def test_circle_free_is_exact_on_a_normal_matrix():
    """For a normal J, sigma_min(J - z I) = min |lambda - z|: the circle is free exactly when every
    eigenvalue is farther than the error from it."""
    J = np.diag([0.5, 0.9 + 0.05j]).astype(complex)
    assert circle_free(J, 0.05, 1.0)[0]
    assert not circle_free(J, 0.1, 1.0)[0]
