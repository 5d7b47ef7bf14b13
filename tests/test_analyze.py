"""verify.analyze on maps whose dynamics are known exactly (issue 19)."""

import numpy as np
import pytest

from theory import deep_fc as D
from theory import jacobians as jac
from theory.errors import InputError
from verify import analyze

X2 = np.array([[0.2, 0.9, 0.1], [0.8, 0.1, 0.6]])


def test_two_point_attractor_is_a_pair_of_superattractors():
    net = D.two_point_attractor(X2[0], X2[1])
    a = analyze(net, X2, seed=1)
    assert a.classification == ["attractor", "attractor"]
    assert a.attractor_fraction["k"] == 2 and a.superattraction["superattractors"] == 2
    assert max(a.spectral_radius) < 1e-10 and max(a.fixed_point_residual) < 1e-12
    assert a.recovery["spurious"] == 0 and a.recovery["fraction_recovered"]["value"] >= 0.9
    assert a.jacobian_source == "central differences" and max(a.jacobian_error) < 1e-6


def test_identity_memorizes_nothing():
    a = analyze(lambda Z: Z, X2, seed=1)
    assert a.classification == ["undecided", "undecided"]  # rho = 1 exactly: Theorem 2 decides nothing
    assert a.attractor_fraction["k"] == 0
    # every start is a fixed point where it began, but none attracts: no spurious attractor (issue 35)
    assert a.recovery["spurious"] == len(a.spurious_fixed_points) > 0 and a.spurious_attractors == []


def test_a_repeller_and_a_point_that_is_not_fixed():
    """``f(x) = x1 + 1.5 (x - x1)``: x1 is a fixed point with J = 1.5 I; x2 is not fixed."""
    a = analyze(lambda Z: X2[0] + 1.5 * (Z - X2[0]), X2, seed=0, settle_cap=50)
    assert a.classification == ["repeller", "not-a-fixed-point"]
    assert a.spectral_radius[0] == pytest.approx(1.5, rel=1e-8)


def test_a_piecewise_map_with_one_spurious_attractor():
    """1-D: every point moves halfway to the nearest of {0, 1, 3}; 0 and 1 are the examples, 3 is spurious."""
    X = np.array([[0.0], [1.0]])
    pts = np.array([0.0, 1.0, 3.0])

    def f(Z):
        c = pts[np.argmin(np.abs(Z - pts[None, :]), axis=1)][:, None]
        return c + 0.5 * (Z - c)

    starts = np.array([[0.1], [0.9], [2.9], [3.3], [1.2]])
    a = analyze(f, X, starts=starts)
    assert a.classification == ["attractor", "attractor"] and a.spectral_radius == pytest.approx([0.5, 0.5])
    assert (a.recovery["recovered"], a.recovery["spurious"]) == (3, 2)
    assert np.allclose(a.spurious_attractors, [[3.0], [3.0]], atol=1e-5)


def test_finite_difference_error_bound_holds_and_is_small():
    rng = np.random.default_rng(3)
    M = rng.normal(size=(4, 4))
    p = rng.normal(size=4)
    f = lambda Z: p + np.tanh(Z - p) @ M.T  # noqa: E731
    X = rng.normal(size=(5, 4))
    fd = jac.fd_jacobian(f, X)
    exact = np.stack([M * (1 - np.tanh(x - p) ** 2)[None, :] for x in X])
    err = np.max(np.abs(fd.J - exact), axis=(1, 2))
    assert np.all(err <= np.array(fd.error)) and max(fd.error) < 1e-7
    V = rng.normal(size=(4, 3))
    assert np.allclose(jac.fd_jvp(f, X[0], V), exact[0] @ V, atol=1e-7)


def test_linear_models_report_rank_and_eigenvectors_in_the_span():
    Q, _ = np.linalg.qr(X2.T)
    P = Q @ Q.T  # the projection onto span(X): it memorizes
    a = analyze(P, X2, seed=0)
    assert a.jacobian_source == "exact (linear)"
    assert a.linear["rank"] == 2 and len(a.linear["eigenvalues_near_one"]) == 2
    assert max(a.linear["eigenvector_span_distance"]) < 1e-12
    from scipy.sparse.linalg import aslinearoperator

    b = analyze(aslinearoperator(P), X2, seed=0)
    assert b.linear["rank"] == 2 and b.spectral_radius == pytest.approx(a.spectral_radius)
    c = analyze(np.eye(3), X2, seed=0)
    assert c.linear["rank"] == 3 and max(c.linear["eigenvector_span_distance"]) > 0.5


def test_jax_models_get_autodiff_jacobians():
    jax = pytest.importorskip("jax", reason="JAX is in the test extra")
    jax.config.update("jax_enable_x64", True)
    net = D.two_point_attractor(X2[0], X2[1])
    jW, jb = [jax.numpy.asarray(w) for w in net.weights], [jax.numpy.asarray(b) for b in net.biases]

    def f(Z):
        return jax.numpy.tanh(Z @ jW[0].T + jb[0]) @ jW[1].T + jb[1]

    a = analyze(f, X2, seed=1)
    assert a.jacobian_source == "jax.jacfwd" and a.classification == ["attractor", "attractor"]
    assert a.spectral_radius == pytest.approx(analyze(net, X2, seed=1).spectral_radius, abs=1e-9)


def test_torch_modules_get_autodiff_jacobians():
    torch = pytest.importorskip("torch", reason="torch is optional: pip install torch")
    lin = torch.nn.Linear(3, 3, bias=False).double()
    with torch.no_grad():
        lin.weight.copy_(torch.eye(3) * 0.5)
    a = analyze(torch.nn.Sequential(lin), np.zeros((2, 3)) + np.array([[0.0], [1e-9]]), seed=0)
    assert a.jacobian_source == "torch.func.jacrev" and a.spectral_radius == pytest.approx([0.5, 0.5])


def test_an_ensemble_pools_its_members():
    e = analyze([D.two_point_attractor(X2[0], X2[1]), lambda Z: Z], X2, seed=1)
    assert e.attractor_fraction["k"] == 2 and e.attractor_fraction["n"] == 4
    assert (e.all_attract["k"], e.all_attract["n"]) == (1, 2)
    assert len(e.to_dict()["members"]) == 2


@pytest.mark.parametrize("f, X, message", [
    (lambda Z: Z[:, :2], X2, "must map (m, d) rows to (m, d) rows"),
    (lambda Z: Z * np.inf, X2, "non-finite outputs"),
    (lambda Z: Z, X2[0], "X must be 2-D"),
    (lambda Z: Z, np.array([[1, 2], [3, 4]]), "X has dtype int64; convert it to float64"),
    (lambda Z: Z, np.array([[np.nan, 2.0], [3.0, 4.0]]), "X has 1 non-finite entries"),
    (lambda Z: Z, np.array([[1e300, 0.0], [0.0, 1e300]]), "where squared distances overflow"),
    (lambda Z: Z, "abc", "X is not an array (str)"),
    (lambda Z: Z, X2[:1], "at least 2 examples"),
    (np.eye(4), X2, "4 x 4 but the data have d = 3"),
    ("not a model", X2, "must be callable"),
])
def test_bad_models_and_data_are_one_line_input_errors(f, X, message):
    with pytest.raises(InputError, match=None) as info:
        analyze(f, X)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_assert_memorizes_passes_a_memorizing_map_and_names_what_fails():
    from verify.testing import assert_memorizes

    assert_memorizes(D.two_point_attractor(X2[0], X2[1]), X2, seed=1)
    with pytest.raises(AssertionError) as info:
        assert_memorizes(lambda Z: X2[0] + 1.5 * (Z - X2[0]), X2, settle_cap=50)
    text = str(info.value)
    assert "example 0: repeller" in text and "rho = 1.5" in text and "example 1: not-a-fixed-point" in text
    assert "recovered" in text and "\n" not in text


def test_the_api_guides_pytorch_example_runs():
    """docs/api.md's PyTorch-trained autoencoder (its ```python torch block), where torch is installed."""
    pytest.importorskip("torch", reason="torch is optional: pip install torch; the PyTorch example is not run")
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "api.md").read_text()
    blocks = re.findall(r"```python torch\n(.*?)```", text, re.S)
    assert len(blocks) == 1
    namespace: dict = {}
    exec(compile(blocks[0], "<docs/api.md torch>", "exec"), namespace)  # noqa: S102
    result = namespace["result"]
    assert result.jacobian_source == "torch.func.jacrev" and len(result.classification) == 3
    assert max(result.fixed_point_residual) < 1e-6  # trained to reconstruct its three examples


def test_a_model_that_edits_its_input_in_place_is_called_on_copies():
    """Issue 28: f(Z) that scales Z in place and returns it (a contraction to C, which is no example)
    must be judged as it maps, and the caller's X must be left as it was."""
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]])
    C = np.array([5.0, 5.0])
    before = X.copy()

    def f(Z):
        Z *= 0.5
        Z += 0.5 * C
        return Z

    a = analyze(f, X, n_starts=6, settle_cap=50)
    assert np.array_equal(X, before)
    assert a.classification == ["not-a-fixed-point"] * 3  # f(x) = (x + C)/2 moves every example
    assert np.allclose(a.fixed_point_residual, np.linalg.norm((X + C) / 2 - X, axis=1))


def test_distances_keep_their_precision_on_offset_data():
    """Issue 28: on data 1e9 + U[0, 1) a constant map 12 units from every example is 12 units from
    every example (the Gram expansion cancelled to 0 and called every start recovered)."""
    from theory import dynamics as dyn

    X = 1e9 + np.random.default_rng(0).random((3, 3))
    C = X.mean(axis=0) + np.array([12.0, 0.0, 0.0])
    idx, dist = dyn.nearest(np.tile(C, (2, 1)), X)
    assert np.allclose(dist, np.linalg.norm(C - X[idx], axis=1), rtol=1e-12) and np.all(dist > 11)
    a = analyze(lambda Z: np.tile(C, (Z.shape[0], 1)), X, n_starts=6, settle_cap=20)
    assert a.classification == ["not-a-fixed-point"] * 3
    assert a.recovery["recovered"] == 0


def test_a_jacobian_whose_error_straddles_one_is_undecided():
    """Issue 30: a float32 map contracting by 0.999 towards each example has finite-difference
    Jacobians whose error bound covers rho = 1: those examples are undecided, not attractors or
    repellers; the same map in float64 is certified an attractor. The bounds are in the analysis."""
    X = np.eye(3, 8) * 0.5 + 0.25

    def contract(Z, dtype):
        Zd = np.asarray(Z, dtype=dtype)
        idx = np.argmin(((Zd[:, None, :] - X[None].astype(dtype)) ** 2).sum(-1), axis=1)
        C = X[idx].astype(dtype)
        return (C + dtype(0.999) * (Zd - C)).astype(np.float64)

    loose = analyze(lambda Z: contract(Z, np.float32), X, n_starts=4, settle_cap=5)
    assert loose.classification == ["undecided"] * 3, (loose.spectral_radius, loose.jacobian_error_norm)
    assert all(e > 1e-3 for e in loose.jacobian_error_norm)
    tight = analyze(lambda Z: contract(Z, np.float64), X, n_starts=4, settle_cap=5)
    assert tight.classification == ["attractor"] * 3 and all(m > 0 for m in tight.certificate_margin)


def test_recovery_says_which_examples_starts_return_to():
    """Issue 30: own-example recovery, the number of distinct examples reached, and R(1) per kind of
    start, beside the pooled figures; a map that sends every start to example 0 recovers 'any example'
    but not its own, and reaches one example."""
    X = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    a = analyze(lambda Z: np.tile(X[0], (Z.shape[0], 1)), X, n_starts=20, settle_cap=5)
    rec = a.recovery
    assert rec["recovered"] == 20 and rec["examples_reached"] == 1
    assert rec["own_example"]["value"] < 0.6 and set(rec["kinds"]) == {"box", "near"}
    assert set(a.superattraction["R1_by_kind"]) == {"box", "near"} and "bounding box" in rec["starts_drawn"]


def test_a_float32_torch_model_is_called_in_its_own_dtype():
    """Issue 30: PyTorch's default float32 model is analysed (called in float32, said so), not refused."""
    torch = pytest.importorskip("torch", reason="torch is optional (pip install torch): the float32 model is not run")
    lin = torch.nn.Linear(3, 3, bias=False)  # float32, PyTorch's default
    with torch.no_grad():
        lin.weight.copy_(torch.eye(3) * 0.5)
    a = analyze(torch.nn.Sequential(lin), np.zeros((2, 3)) + np.array([[0.0], [1e-9]]), seed=0)
    assert "float32" in a.jacobian_source and a.spectral_radius == pytest.approx([0.5, 0.5], rel=1e-6)
    assert a.classification[0] in ("attractor", "not-a-fixed-point")


def test_theorem2_is_answered_at_the_fixed_point_near_each_example():
    """Issue 36, item 3: f(z) = a_i + 0.95 (z - a_i) about a_i = x_i + 1.4 spacings: ||f(x_i) - x_i|| is
    0.07 spacings (a fixed point by the residual), yet iterating from x_i ends 1.4 spacings away. The
    fixed point near x_i is found (Newton), classified there, and lies too far for x_i to be memorized."""
    from theory.dynamics import min_spacing

    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    s = min_spacing(X)
    A = X + np.array([1.4 * s * 0.1, 0.0])  # 0.14 spacings off: residual 0.007 spacings
    A[0] = X[0] + np.array([0.0, 1.4 * s * 0.1])

    def f(Z):
        k = np.argmin(((Z[:, None, :] - X[None]) ** 2).sum(-1), axis=1)
        return A[k] + 0.95 * (Z - A[k])

    a = analyze(f, X, seed=0)
    assert max(a.fixed_point_residual) / s < 0.1  # every example is "fixed" by its residual alone
    assert a.fixed_point_distance == pytest.approx([0.14 * s] * 3, rel=1e-6)  # its fixed point is 0.14 spacings off
    assert a.classification == ["not-a-fixed-point"] * 3
    b = analyze(f, X, seed=0, recover_frac=0.2)  # a looser tolerance admits them, classified at the fixed point
    assert b.classification == ["attractor"] * 3 and b.spectral_radius == pytest.approx([0.95] * 3, rel=1e-6)
