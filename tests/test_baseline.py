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
    assert doc["kind"] == "memverify-baseline" and doc["schema"] == 2
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
    (lambda d: d.update(schema=3), "baseline schema 3; this memverify reads schema 2"),
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
