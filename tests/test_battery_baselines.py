"""Issue 28: hand-edited baselines are one-line errors (exit 2) naming the field, never exit 5, and
never a drift or tolerance that lets every comparison pass."""

import json

import numpy as np
import pytest

from verify.cli import main

ONE = ["--claim", "linear-min-norm", "--profile", "quick", "--quiet"]


@pytest.fixture
def saved(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main([*ONE, "--save-baseline", "B.json"]) == 0
    np.save("X.npy", np.random.default_rng(0).uniform(0.1, 0.9, (3, 6)))
    (tmp_path / "m.py").write_text("def f(Z):\n    return 0.5 * Z + 0.25\n")
    main(["analyze", "--model", "m.py:f", "--data", "X.npy", "--save-baseline", "A.json", "--quiet"])
    return tmp_path


def _edit(path, change):
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def _quantity(doc):
    claim = next(iter(doc["claims"].values()))
    return next(iter(claim["quantities"].values()))


@pytest.mark.parametrize("change, says", [
    (lambda d: _quantity(d).update(allowed_drift="inf"), "allowed_drift"),
    (lambda d: _quantity(d).update(allowed_drift=10**400), "allowed_drift"),
    (lambda d: _quantity(d).update(measured=10**400), "measured"),
    (lambda d: next(iter(d["claims"].values())).update(tolerance="inf"), "tolerance"),
])
def test_claim_baselines(saved, capsys, change, says):
    _edit(saved / "B.json", change)
    assert main(["--compare", "B.json", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err


def test_deeply_nested_json(saved, capsys):
    (saved / "B.json").write_text("[" * 100_000 + "]" * 100_000)
    assert main(["--compare", "B.json", "--quiet"]) == 2
    assert "nested too deeply" in capsys.readouterr().err


@pytest.mark.parametrize("change, says", [
    (lambda d: d["provenance"]["analysis_settings"].update(settle_cap="many"), "settle_cap"),
    (lambda d: d["provenance"].update(analysis_settings=[1, 2]), "analysis_settings"),
    (lambda d: d["provenance"]["analysis_settings"].update(recover_min=5), "recover_min"),
])
def test_analysis_baselines(saved, capsys, change, says):
    _edit(saved / "A.json", change)
    assert main(["analyze", "--model", "m.py:f", "--data", "X.npy", "--compare", "A.json", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err
