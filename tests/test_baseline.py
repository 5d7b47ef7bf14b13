"""Regression baselines: --save-baseline then --compare passes unchanged runs and fails changed ones."""

import json

import pytest

from verify.cli import main

CLAIMS = ["--claim", "linear-min-norm", "--claim", "thm2-attractor-criterion", "--claim", "thm3-stable-fixed-points"]


@pytest.fixture
def baseline(tmp_path, capsys):
    path = tmp_path / "base.json"
    assert main(["--profile", "quick", "--backend", "numpy", "--seed", "3", *CLAIMS, "--save-baseline", str(path),
                 "--quiet"]) == 0  # saved; thm3 is refuted, as measured, and the baseline records that
    capsys.readouterr()
    return path


def test_unchanged_run_passes(baseline, capsys):
    doc = json.loads(baseline.read_text())
    assert doc["kind"] == "memverify-baseline" and doc["schema"] == 3
    assert doc["claims"]["thm3-stable-fixed-points"]["verdict"] == "refuted"
    assert doc["claims"]["thm3-stable-fixed-points"]["reason"].startswith("proof:")
    assert main(["--compare", str(baseline), "--backend", "numpy"]) == 0  # profile, seed, claims from the file
    out = capsys.readouterr().out
    assert "no regression" in out and "3 claims" in out


def test_changed_behaviour_fails_with_a_diff(baseline, capsys, monkeypatch):
    from theory import linear as lin

    real = lin.min_norm_solution
    monkeypatch.setattr(lin, "min_norm_solution",
                        lambda X, Y=None, *, svd=None: lin.FactoredMap(1.01 * real(X, Y, svd=svd).left, real(X, Y, svd=svd).right))
    assert main(["--compare", str(baseline), "--backend", "numpy"]) == 1
    out = capsys.readouterr().out
    assert "REGRESSION" in out and "verdict" in out and "holds" in out and "refuted" in out


def test_a_quantity_beyond_its_allowance_is_a_regression(baseline, capsys):
    doc = json.loads(baseline.read_text())
    q = doc["claims"]["thm2-attractor-criterion"]["quantities"]
    name = next(iter(q))
    q[name]["measured"] += 10 * q[name]["allowed_drift"] + 1.0
    baseline.write_text(json.dumps(doc))
    assert main(["--compare", str(baseline), "--backend", "numpy"]) == 1
    out = capsys.readouterr().out
    assert name in out and "REGRESSION" in out


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.update(schema=2), "baseline schema 2; this memverify reads schema 3"),
    (lambda d: d.update(schema=1), "schema-1 baseline, whose verdict 'fails' does not say refuted or not-reproduced"),
    (lambda d: d.pop("kind"), "is not a memverify baseline"),
])
def test_wrong_files_are_clear_errors(baseline, capsys, edit, message):
    doc = json.loads(baseline.read_text())
    edit(doc)
    baseline.write_text(json.dumps(doc))
    assert main(["--compare", str(baseline)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_compare_refuses_other_settings(baseline, capsys):
    assert main(["--compare", str(baseline), "--seed", "4"]) == 2
    assert "saved with --seed 3" in capsys.readouterr().err
    assert main(["--compare", str(baseline.parent / "missing.json")]) == 2
    assert "--save-baseline" in capsys.readouterr().err


def _first_quantity(doc, cid="linear-min-norm"):
    q = doc["claims"][cid]["quantities"]
    return next(iter(q.values()))


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["claims"].update({"linear-min-norm": {}}), "claims.linear-min-norm.verdict is None"),
    (lambda d: _first_quantity(d).update(measured="abc"), "measured is 'abc', not a number"),
    (lambda d: _first_quantity(d).update(measured=None), "measured is None, not a number"),
    (lambda d: _first_quantity(d).update(op="<"), "op is '<', not <= or >="),
    (lambda d: _first_quantity(d).update(allowed_drift=-1), "allowed_drift is -1, not a finite number >= 0"),
    (lambda d: d["provenance"].update(seed="abc"), "provenance.seed is 'abc', not a non-negative integer"),
    (lambda d: d["provenance"].update(profile="huge"), "provenance.profile is 'huge'"),
    (lambda d: d.pop("provenance"), "provenance is missing"),
    (lambda d: d["claims"].update({"no-such-claim": d["claims"]["linear-min-norm"]}), "'no-such-claim' is not a claim"),
    (lambda d: d["claims"]["linear-min-norm"].update(empirical="yes"), "empirical is 'yes'"),
])
def test_malformed_baselines_are_refused_before_the_run(baseline, capsys, edit, message):
    import time

    doc = json.loads(baseline.read_text())
    edit(doc)
    baseline.write_text(json.dumps(doc))
    t = time.perf_counter()
    assert main(["--compare", str(baseline)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert time.perf_counter() - t < 5  # nothing ran


def test_a_loosened_bound_is_a_regression_even_with_equal_values(baseline, capsys):
    """The code's bound 1000x looser than the baseline's (simulated by a baseline 1000x stricter):
    a weakened check, reported although every value is the same."""
    doc = json.loads(baseline.read_text())
    q = _first_quantity(doc)
    assert q["op"] == "<="
    q["bound"] = q["bound"] / 1000
    baseline.write_text(json.dumps(doc))
    assert main(["--compare", str(baseline), "--backend", "numpy"]) == 1
    out = capsys.readouterr().out
    assert ": bound" in out and "REGRESSION" in out


def test_a_tightened_bound_and_a_claim_that_starts_to_hold_are_improvements(baseline, capsys):
    doc = json.loads(baseline.read_text())
    _first_quantity(doc)["bound"] *= 1000
    doc["claims"]["linear-min-norm"]["verdict"] = "refuted"
    baseline.write_text(json.dumps(doc))
    assert main(["--compare", str(baseline), "--backend", "numpy"]) == 0
    out = capsys.readouterr().out
    assert "improvement" in out and "REGRESSION" not in out and "no regression (2 improvements" in out


def test_a_rounding_level_value_that_moves_by_70_percent_is_a_regression(baseline, capsys):
    """The issue's case: rel_error from 9.5e-10 to 1.64e-9 was within max(tolerance, 1e-6 |value|);
    the drift of an exact claim's value is now 64 ulps of it."""
    doc = json.loads(baseline.read_text())
    q = _first_quantity(doc)
    assert q["allowed_drift"] <= 64 * 2.0**-52 * abs(q["measured"]) + 1e-300
    q["measured"] = q["measured"] / 1.7 if q["measured"] else 1e-12
    baseline.write_text(json.dumps(doc))
    assert main(["--compare", str(baseline), "--backend", "numpy"]) == 1
    assert "REGRESSION" in capsys.readouterr().out


def test_allowed_drift_is_rounding_for_exact_claims_and_stated_for_trained_ones():
    from verify.baseline import TRAINED_RTOL, allowed_drift

    assert allowed_drift(1.0, empirical=False) == 64 * 2.0**-52
    assert allowed_drift(1.0, empirical=False, dtype="float32") == 64 * 2.0**-23
    assert allowed_drift(-2.0, empirical=True) == 2 * TRAINED_RTOL
    assert 0 < allowed_drift(0.0, empirical=True) < 1e-300 and allowed_drift(float("inf"), empirical=False) < 1e-300
