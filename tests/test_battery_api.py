"""Issue 28: the API and `memverify analyze` under hostile input. Every case is a one-line
InputError (API) or exit 2 (CLI) that names the problem: never a raw exception, a silent cast, a
silent no-op, or the user's model's own exit status."""

import numpy as np
import pytest

import verify
from theory.errors import InputError
from verify import testing
from verify.cli import main

X = np.random.default_rng(0).uniform(0.1, 0.9, (3, 6))


def ident(Z):
    return Z


@pytest.mark.parametrize("call, says", [
    (lambda: verify.run(["linear-min-norm"], backend=3), "backend must be a name"),
    (lambda: verify.run(["linear-min-norm"], data_dir=3), "data_dir must be a path"),
    (lambda: verify.run([]), "empty list"),
    (lambda: verify.check("linear-min-norm", data={"X": X}), "check needs X="),
    (lambda: verify.check("linear-min-norm", X=X, colour=1), "takes no option 'colour'"),
    (lambda: verify.analyze(ident, X, band=-1), "band must be"),
    (lambda: verify.analyze(ident, X, band=float("nan")), "band must be"),
    (lambda: verify.analyze(ident, X, n_starts=0), "n_starts must be"),
    (lambda: verify.analyze(ident, X, seed=-1), "seed must be"),
    (lambda: verify.analyze(ident, X, settle_cap=0), "settle_cap must be"),
    (lambda: verify.analyze(ident, X, jacobian=lambda Z: None), "jacobian returned NoneType"),
    (lambda: verify.analyze(ident, X, jacobian=lambda Z: np.zeros((1, 6, 6))), "(m, d, d) stack"),
    (lambda: verify.analyze(ident, X, jacobian=lambda Z: np.full((Z.shape[0], 6, 6), np.nan)),
     "your jacobian has non-finite entries"),
    (lambda: verify.analyze(lambda Z: Z + 0j, X), "complex values"),
    (lambda: verify.analyze(lambda Z: np.full(Z.shape, "a"), X), "values, not numbers"),
    (lambda: testing.assert_memorizes(ident, X, n_starts=0), "n_starts must be"),
    (lambda: testing.assert_memorizes(ident, X, threshold="x"), "takes no option 'threshold'"),
    (lambda: testing.assert_memorizes(ident, X, recovered=1.5), "recovered must be a fraction"),
])
def test_api_refuses_in_one_line(call, says):
    with pytest.raises(InputError, match=None) as info:
        call()
    assert says in str(info.value) and "\n" not in str(info.value)


@pytest.fixture
def models(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    np.save("X.npy", X)
    (tmp_path / "ens.py").write_text("def a(Z):\n    return Z\n\ndef b(Z):\n    return 0.5 * Z + 0.25\n\nmodels = [a, b]\n")
    (tmp_path / "ex0.py").write_text("import sys\nsys.exit(0)\n")
    (tmp_path / "ex3.py").write_text("import sys\nsys.exit(3)\n")
    (tmp_path / "excall.py").write_text("import sys\n\ndef f(Z):\n    sys.exit(4)\n")
    return tmp_path


@pytest.mark.parametrize("argv, says", [
    (["analyze", "--model", "ens.py:models", "--data", "X.npy"], "an ensemble"),
    (["analyze", "--model", "ex0.py:f", "--data", "X.npy"], "called sys.exit(0)"),
    (["analyze", "--model", "ex3.py:f", "--data", "X.npy"], "called sys.exit(3)"),
    (["analyze", "--model", "excall.py:f", "--data", "X.npy"], "called sys.exit(4)"),
    (["analyze", "--model", "ens.py:a", "--data", "X.npy", "--recover-min", "1.5"], "in (0, 1]"),
    (["--claim", "linear-min-norm", "--profile", "quick", "--json", ""], "names no path"),
    (["--claim", "linear-min-norm", "--profile", "quick", "--report", ""], "names no directory"),
    (["--claim", "linear-min-norm", "--profile", "quick", "--json", "out/"], "ends in a separator"),
    (["--list", "--claim", "nonsense"], "--list prints the claims table"),
    (["--list", "--json", "l.json"], "--list prints the claims table"),
])
def test_cli_refuses_with_exit_2(models, capsys, argv, says):
    with pytest.raises(SystemExit) as info:  # argparse's error path exits
        status = main(argv)
        raise SystemExit(status)
    err = capsys.readouterr().err
    assert info.value.code == 2 and says in err and "Traceback" not in err, err
    assert not (models / "out").exists() and not (models / "l.json").exists()


@pytest.mark.parametrize("call, says", [
    (lambda: __import__("verify.strategies", fromlist=["conditions"]).conditions(0.5), "max_cond must be"),
    (lambda: __import__("verify.strategies", fromlist=["conditions"]).conditions(float("inf")), "max_cond must be"),
])
def test_strategies_refuse_what_they_cannot_draw(call, says):
    with pytest.raises(InputError, match=says):
        call()


def test_a_violating_set_needs_two_examples():
    from hypothesis import given, settings

    from verify.strategies import violating_sets

    @settings(max_examples=1, database=None)
    @given(violating_sets("sigmoid", "b", n=1))
    def draw(X):
        pass

    @settings(max_examples=1, database=None)
    @given(violating_sets("sigmoid", "a"))
    def impossible(X):
        pass

    with pytest.raises(InputError, match="n >= 2"):
        draw()
    with pytest.raises(InputError, match="cannot violate only part"):
        impossible()
