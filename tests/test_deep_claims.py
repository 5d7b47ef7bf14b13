"""The deep-autoencoder checks (Section 3, Section 5, Figure 1, Appendix I.2) can both hold and fail.

Their verdicts on trained networks depend on the profile's sizes (that is what they measure), so
these tests pin the checks themselves: each holds on a network whose dynamics are known exactly
(:func:`theory.deep_fc.two_point_attractor`, a superattractor at two examples) and fails on the
identity network or on a network built to lack the property.
"""

import numpy as np
import pytest

import gpu
from theory import deep_fc as D
from theory import dynamics as dyn
from theory.descent import DescentResult
from verify import datasets
from verify.claims import deep_common as deep
from verify.context import Context
from verify.evidence import HOLDS, INCONCLUSIVE, NOT_REPRODUCED, REFUTED
from verify.profiles import get_profile
from verify.registry import get
from verify.runner import run_claim

X2 = np.array([[0.2, 0.9, 0.1, 0.4], [0.8, 0.1, 0.6, 0.3]])


def ctx():
    return Context(get_profile("quick"), gpu.resolve("numpy"), 0)


def fake_trainer(make_net, converged=True):
    """Stand-in for ``deep.train_autoencoder``: ``make_net(width=, depth=, scheme=, scale=, X=)``."""

    def train(ctx, name, X, *, width, depth, scheme=None, scale=None, seed=0, hidden=None, checkpoints=(),
              optimizer=None, loss_tol=None, callback=None, max_steps=None, draw=0, finish=True, adam_eps=None):
        net = make_net(width=width, depth=depth, scheme=scheme, scale=scale, X=X)
        if callback is not None:
            callback(50, 0.0, (net, None))
        loss = 0.0 if converged else 1e-3
        return DescentResult((net, None), 100, loss, converged, "loss_tol", {t: (net, None) for t in checkpoints}, [])

    return train


def attractor(X, gain=40.0):
    return D.two_point_attractor(X[0], X[1], gain)


def test_two_point_attractor_has_the_stated_dynamics():
    f = attractor(X2)
    assert np.abs(f(X2) - X2).max() <= 2 * np.finfo(float).eps  # m +- h tanh(40): one rounding of m + h
    assert dyn.spectral_radius(D.jacobian(f, X2)).max() < 1e-30
    Z = np.random.default_rng(0).random((50, 4))
    r1, r5 = dyn.recovery_probability(f, Z, X2, [1, 5], 1e-6)
    assert 0.5 < r1 < r5 and r5 == 1.0


def test_identity_network_is_exactly_the_identity():
    f = D.identity_network(3, 4)
    Z = np.random.default_rng(1).normal(size=(5, 3))
    assert np.array_equal(f(Z), Z)
    assert np.allclose(D.jacobian(f, Z), np.eye(3))
    with pytest.raises(D.InputError, match="depth >= 1"):
        D.identity_network(3, 0)


@pytest.mark.parametrize("claim_id", ["sec3-contraction", "sec3-superattractor", "sec5-early-stopping"])
def test_contraction_checks_hold_on_a_known_attractor_and_fail_on_identity(claim_id, monkeypatch):
    monkeypatch.setattr(deep, "train_autoencoder", fake_trainer(lambda X, **_: attractor(X)))
    c = ctx()
    ev = run_claim(get(claim_id), c, {"X": c.asarray(X2)})
    assert ev.verdict == HOLDS, ev.to_dict()["comparisons"]
    assert ev.control_rejected is True
    monkeypatch.setattr(deep, "train_autoencoder", fake_trainer(lambda X, **_: D.identity_network(X.shape[1], 2)))
    ev = run_claim(get(claim_id), c, {"X": c.asarray(X2)})
    assert ev.verdict == NOT_REPRODUCED and ev.reason and ev.to_dict()["scope"].startswith("largest size tried")


@pytest.mark.parametrize("claim_id", ["sec3-contraction", "sec3-superattractor", "sec5-early-stopping",
                                      "init-schemes"])
def test_unconverged_training_never_holds(claim_id, monkeypatch):
    """A known attractor that training 'reached' at loss 1e-3 with no loss level passed on the way:
    its runs decide nothing (inconclusive, each saying why): the claim is inconclusive, or not reproduced
    where a comparison that needs no trained run fails."""
    monkeypatch.setattr(deep, "train_autoencoder", fake_trainer(lambda X, **_: attractor(X), converged=False))
    c = ctx()
    ev = run_claim(get(claim_id), c, {"X": c.asarray(X2)})
    assert ev.verdict == (NOT_REPRODUCED if ev.measurement.failing else INCONCLUSIVE)
    lines = ev.to_dict()["inconclusive"]
    assert lines and all("loss levels" in line for line in lines)
    assert ev.reason.startswith(("no run decided", "undecided")) or ev.measurement.failing


def test_contraction_is_refuted_when_the_examples_repel_in_every_seed_and_size(monkeypatch):
    """``f(x) = 1.5 x - 0.5 x2``: x2 is a fixed point with J = 1.5 I (a clear repeller) in every seed and
    at every width, with no trend: a persistent counterexample, so refuted (not merely not reproduced)."""
    expanding = lambda X, **_: D.Network((np.eye(4) * 1.5,), (np.asarray(-0.5 * X[1]),), ("identity",))  # noqa: E731
    monkeypatch.setattr(deep, "train_autoencoder", fake_trainer(expanding))
    c = ctx()
    ev = run_claim(get("sec3-contraction"), c, {"X": c.asarray(X2)})
    comps = {x.name.split("[")[0]: x for x in ev.measurement.comparisons}
    assert ev.verdict == REFUTED and "repels (rho > 1 +" in ev.reason
    assert not comps["runs in which every example attracts"].passed
    stats = ev.to_dict()["statistics"]
    assert stats["seeds"] == 2 and stats["rests_on"] == "adam"
    rows = stats["rows"]
    assert {k.split("/")[0] for k in rows} == {"adam", "gd"}  # both protocols measured, each its own row
    row = next(r for k, r in rows.items() if k.startswith("adam/"))
    assert len(row["per_seed"]) == 2 and all(max(s["rho"]) == pytest.approx(1.5) for s in row["per_seed"])
    assert row["rho"]["clear_repellers"] == row["rho"]["n"]  # J = 1.5 I at both examples


class Lerp:
    """``(1 - a) x + a g(x)``: converges to g's attractors at rate ``1 - a`` per step."""

    def __init__(self, g, a):
        self.g, self.a = g, a

    def __call__(self, Z):
        return (1 - self.a) * Z + self.a * self.g(Z)


class Basin:
    """Pulls a point halfway to the nearest training example when it lies within ``radius`` of it, and
    leaves it where it is otherwise (a spurious fixed point): the share recovered grows with ``radius``."""

    def __init__(self, X, radius):
        self.X, self.radius = np.asarray(X), radius

    def __call__(self, Z):
        idx, dist = dyn.nearest(Z, self.X)
        near = (dist < self.radius)[:, None]
        return np.where(near, 0.5 * (Z + self.X[idx]), Z)


@pytest.mark.parametrize("trend, expected", [(+1, HOLDS), (-1, REFUTED), (0, NOT_REPRODUCED)])
def test_width_depth_trend_is_detected(trend, expected, monkeypatch):
    """Basins made to grow (or shrink, or stay) with width and depth: growth holds, a significant fall
    over seeds refutes, a flat sweep is not reproduced (the test rejects it)."""
    p = get_profile("quick").for_claim(get("sec3-recovery-width-depth"))
    widths, depths = list(p["sweep_widths"]), list(p["sweep_depths"])

    def make(X, width, depth, **_):
        rank = widths.index(width) / (len(widths) - 1) if depth == p["sweep_depth"] and width in widths else \
            depths.index(depth) / (len(depths) - 1)
        rank = rank if trend > 0 else (1 - rank) if trend < 0 else 0.5
        return Basin(X, (0.2 + 0.6 * rank) * dyn.min_spacing(X))

    monkeypatch.setattr(deep, "train_autoencoder", fake_trainer(make))
    c = ctx()
    ev = run_claim(get("sec3-recovery-width-depth"), c, {"X": c.asarray(X2)})
    assert ev.verdict == expected, (ev.reason, ev.to_dict()["comparisons"])
    assert ev.control_rejected is True
    trend_stats = ev.to_dict()["statistics"]["trend"]["adam/width"]
    assert trend_stats["direction"] == {1: "increasing", -1: "decreasing", 0: "none"}[trend]


def test_width_depth_reports_the_swiss_roll_beside_the_digits(monkeypatch):
    """With ``sweep_sets`` naming the Swiss roll (the paper profile), its sweeps are measured and
    reported (statistics, notes) while the verdict rests on the digits: growing basins on the digits,
    flat ones on the Swiss roll, and the claim holds."""
    from dataclasses import replace

    quick = get_profile("quick")
    claim = get("sec3-recovery-width-depth")
    p = dict(quick.for_claim(claim), sweep_sets=("digits", "swiss-roll"))
    widths, depths = list(p["sweep_widths"]), list(p["sweep_depths"])

    def make(X, width, depth, **_):
        if X.shape[1] == 2:  # the Swiss roll: flat
            return Basin(X, 0.5 * dyn.min_spacing(X))
        rank = widths.index(width) / (len(widths) - 1) if depth == p["sweep_depth"] and width in widths else \
            depths.index(depth) / (len(depths) - 1)
        return Basin(X, (0.6 + 1.0 * rank) * dyn.min_spacing(X))

    monkeypatch.setattr(deep, "train_autoencoder", fake_trainer(make))
    c = Context(replace(quick, claims={claim.id: dict(sweep_sets=p["sweep_sets"])}), gpu.resolve("numpy"), 0)
    ev = run_claim(get("sec3-recovery-width-depth"), c)
    out = ev.to_dict()
    assert ev.verdict == HOLDS, (ev.reason, out["metrics"])
    assert out["statistics"]["trend"]["swiss-roll/adam/width"]["direction"] == "none"
    assert out["statistics"]["trend"]["adam/width"]["direction"] == "increasing"
    assert any(n.startswith("swiss-roll, adam along width (reported") for n in out["notes"])
    assert [c["name"] for c in out["comparisons"]] == ["p-value, recovery grows with width (adam)",
                                                        "p-value, recovery grows with depth (adam)"]


def is_large(width, depth):
    return (width, depth) == tuple(get_profile("quick").for_claim(get("fig1-init-scale"))["fig1_sizes"][-1])


@pytest.mark.parametrize("swap, expected", [(False, HOLDS), (True, NOT_REPRODUCED)])
def test_fig1_check_separates_contractive_from_expanding(swap, expected, monkeypatch):
    def make(X, width, depth, scale, **_):
        near = scale < 1.0
        if near != swap:  # contractive, faster for the larger network
            return attractor(X, gain=2.0 + 4.0 * is_large(width, depth))
        return D.Network((np.array([[1.5]]),), (None,), ("identity",))

    monkeypatch.setattr(deep, "train_autoencoder", fake_trainer(make))
    ev = run_claim(get("fig1-init-scale"), ctx())
    assert ev.verdict == expected, ev.to_dict()["comparisons"]


def test_fig1_check_needs_the_larger_network_to_contract_faster(monkeypatch):
    def make(X, width, depth, scale, **_):
        if scale >= 1.0:
            return D.Network((np.array([[1.5]]),), (None,), ("identity",))
        return attractor(X, gain=2.0 if is_large(width, depth) else 6.0)  # the larger network contracts slower

    monkeypatch.setattr(deep, "train_autoencoder", fake_trainer(make))
    comps = {c.name: c for c in run_claim(get("fig1-init-scale"), ctx()).measurement.comparisons}
    assert [n for n, c in comps.items() if not c.passed] == [next(n for n in comps if "Mann-Whitney" in n)]


def test_init_schemes_claim_measures_real_networks():
    ev = run_claim(get("init-schemes"), ctx())
    table = ev.measurement.metrics["schemes"]
    assert set(table) == {"xavier", "pytorch", "kaiming"}
    assert all(v["output_norm_at_init"] > 0 and v["output_distance"] >= 0 for v in table.values())
    st = ev.to_dict()["statistics"]
    seeds = get_profile("quick").for_claim(get("init-schemes"))["contrast_seeds"]
    assert st["seeds"] == seeds and all(len(v) == seeds for v in st["runs"].values())
    # the distances of the runs that decide enter the means and the Mann-Whitney test
    assert all(len(v["output_distance"]) == sum(r["decided"] for r in st["runs"][k]) for k, v in st["per_seed"].items())
    assert st["test"] is None or all(0.0 <= t["p_greater"] <= 1.0 for t in st["test"].values())
    assert set(st["norm_test"]) == {"xavier", "pytorch"}  # Kaiming against each scheme on its own
    assert ev.control_rejected is True  # Xavier under Kaiming's name: no larger than Xavier itself


def test_swiss_roll_grid_and_arbitrary_images():
    X = datasets.swiss_roll(50, rng=0)
    assert X.shape == (50, 2) and np.abs(X).max() == pytest.approx(1.0)
    assert np.array_equal(X, datasets.swiss_roll(50, rng=0))
    G = datasets.grid(10, 3)
    assert G.shape == (1000, 3) and G.min() == -1.0 and G.max() == 1.0  # Figure 2's 1000 points
    A = datasets.arbitrary_images(5, 64, rng=0)
    assert A.shape == (5, 64) and A[0].max() == 0.0 and np.all(A[1] == 0.5) and 0 <= A.min() and A.max() <= 1
    with pytest.raises(datasets.InputError, match="n >= 1"):
        datasets.swiss_roll(0)


def test_superattraction_detects_rho_near_zero():
    f = attractor(X2, gain=400.0)  # saturated: tanh(c s) = +-1 unless |s| < 0.05
    sa = dyn.superattraction(f, lambda Z: D.jacobian(f, Z), X2, np.random.default_rng(0).random((20, 4)),
                             tol=1e-6, rho_small=0.1)
    assert sa.all_superattractors and sa.one_step_recovery > 0.9
    g = D.identity_network(4, 1)
    sb = dyn.superattraction(g, lambda Z: D.jacobian(g, Z), X2, X2 + 0.1, tol=1e-6, rho_small=0.1)
    assert not sb.all_superattractors and sb.one_step_recovery == 0.0


def test_min_spacing_is_the_smallest_distance_between_distinct_examples():
    import array_api_strict as xs

    X = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 0.0], [0.0, 1.5]])  # a duplicate is not a distance
    assert dyn.min_spacing(X) == 1.5
    assert dyn.min_spacing(xs.asarray(X)) == 1.5


@pytest.mark.parametrize("X, message", [(np.full((4, 8), np.nan), "non-finite"),
                                        (np.ones((3, 8)), "no two distinct rows"),
                                        (1e300 * np.random.default_rng(0).random((3, 20)), "sec3-contraction squares and multiplies the data")])
def test_bad_user_data_is_a_one_line_input_error(X, message):
    import verify

    with pytest.raises(verify.registry.InputError, match=message):
        verify.check("sec3-contraction", X=X, profile="quick")


def test_the_deep_claims_own_magnitude_check_holds_when_called_directly():
    """Behind the runner's range check, the deep claims' data path refuses entries whose squared
    distances overflow (a check function called on its own)."""
    from verify.registry import InputError

    X = 1e300 * np.random.default_rng(0).random((3, 20))
    with pytest.raises(InputError, match="squared distances overflow"):
        list(deep.sets({"X": X}, ctx()))
