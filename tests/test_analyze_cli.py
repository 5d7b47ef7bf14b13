"""``memverify analyze`` (issue 19): the known maps get the right rows, the reports and baselines
are the claims', a saved baseline catches a changed model, and bad input is one line with exit 2."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from verify.cli import main

MODELS = textwrap.dedent('''
    import numpy as np
    from theory import deep_fc as D

    X = np.load(__file__.replace("models.py", "X.npy"))
    two_point = D.two_point_attractor(X[0], X[1])

    def identity(Z):
        return Z

    def repeller(Z):
        return X[0] + 1.5 * (Z - X[0])

    def wrong_shape(Z):
        return Z[:, :2]

    def not_finite(Z):
        return Z * np.nan

    def raises(Z):
        raise ValueError("kaboom")

    def two_point_jacobian(Z):
        return D.jacobian(two_point, Z)

    linear = np.outer(X[0], X[0]) / X[0].dot(X[0])

    POINTS = np.array([0.0, 1.0, 3.0])

    def piecewise(Z):  # 1-D: halfway to the nearest of {0, 1, 3}; 0 and 1 are the examples, 3 is spurious
        c = POINTS[np.argmin(np.abs(Z - POINTS[None, :]), axis=1)][:, None]
        return c + 0.5 * (Z - c)
''')


@pytest.fixture()
def here(tmp_path, monkeypatch):
    np.save(tmp_path / "X.npy", np.array([[0.2, 0.9, 0.1], [0.8, 0.1, 0.6]]))
    (tmp_path / "models.py").write_text(MODELS)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def rows(path):
    doc = json.loads(path.read_text())
    return {c["id"]: c for c in doc["claims"]}, doc["provenance"]


def test_known_maps_get_the_right_rows(here, capsys):
    assert main(["analyze", "--model", "models.py:two_point", "--data", "X.npy", "--json", "a.json", "--seed", "1"]) == 0
    got, prov = rows(here / "a.json")
    assert {k: v["verdict"] for k, v in got.items()} == dict.fromkeys(
        ("fixed-points", "attractors", "recovery", "superattraction"), "yes")
    assert all(v["negative_control"]["rejected"] is True for v in got.values())
    assert prov["kind"] == "analysis" and prov["jacobian"] == "central differences" and len(prov["data_sha256"]) == 64
    # the identity: every example fixed, none an attractor (rho = 1), starts stay where they are
    assert main(["analyze", "--model", "models.py:identity", "--data", "X.npy", "--json", "i.json"]) == 3
    got, _ = rows(here / "i.json")
    assert got["fixed-points"]["verdict"] == "yes" and got["attractors"]["verdict"] == "no"
    # answered in the question's words, not as a claim of the paper that was "not reproduced"
    assert got["recovery"]["metrics"]["spurious"] > 0 and got["attractors"]["reason"].startswith("0 of 2 examples attract")
    out = capsys.readouterr().out
    assert "not-reproduced" not in out and "not reproduced" not in out
    assert "4 questions: 1 yes (fixed-points), 3 no (attractors, recovery, superattraction)" in out
    # a repeller at x1, x2 not a fixed point
    assert main(["analyze", "--model", "models.py:repeller", "--data", "X.npy", "--json", "r.json",
                 "--settle-cap", "50"]) == 3
    got, _ = rows(here / "r.json")
    assert got["attractors"]["metrics"]["classification"] == ["repeller", "not-a-fixed-point"]
    # a linear memorizing map (the projection onto x1): rank 1 but x2 is not fixed
    # (its control, the zero matrix, has no eigenvalue near 1: an infinite distance, which the reports print)
    assert main(["analyze", "--model", "models.py:linear", "--data", "X.npy", "--json", "l.json", "--report", "lr"]) == 3
    assert "linear-memorization" in (here / "lr" / "report.html").read_text()
    got, prov = rows(here / "l.json")
    assert prov["jacobian"] == "exact (linear)" and got["linear-memorization"]["metrics"]["rank"] == 1
    # a piecewise map with one spurious attractor (1-D data and starts)
    np.save(here / "X1.npy", np.array([[0.0], [1.0]]))
    np.save(here / "S1.npy", np.array([[0.1], [0.9], [2.9], [3.3], [1.2]]))
    assert main(["analyze", "--model", "models.py:piecewise", "--data", "X1.npy", "--starts", "S1.npy",
                 "--json", "p.json"]) == 3
    got, prov = rows(here / "p.json")
    assert got["attractors"]["verdict"] == "yes" and got["attractors"]["metrics"]["spectral_radius"] == pytest.approx([0.5, 0.5])
    assert (got["recovery"]["metrics"]["recovered"], got["recovery"]["metrics"]["spurious"]) == (0.6, 2)
    assert got["recovery"]["verdict"] == "no" and prov["starts_sha256"]
    assert got["recovery"]["reason"].startswith("3 of 5 starts reach some example")
    # the user's Jacobian is used when given
    assert main(["analyze", "--model", "models.py:two_point", "--jacobian", "models.py:two_point_jacobian",
                 "--data", "X.npy", "--json", "j.json", "--seed", "1"]) == 0
    assert rows(here / "j.json")[1]["jacobian"] == "user"


def test_reports_and_a_baseline_that_catches_a_changed_model(here, capsys):
    assert main(["analyze", "--model", "models.py:two_point", "--data", "X.npy", "--report", "rep",
                 "--save-baseline", "base.json", "--seed", "1"]) == 0
    html = (here / "rep" / "report.html").read_text()
    assert "attractors" in html and "superattraction" in html and (here / "rep" / "report.md").is_file()
    assert "<h1>memverify analyze: models.py:two_point on X.npy</h1>" in html
    assert (here / "rep" / "report.md").read_text().startswith("# memverify analyze: models.py:two\\_point")
    capsys.readouterr()
    assert main(["analyze", "--model", "models.py:two_point", "--data", "X.npy", "--compare", "base.json"]) == 0
    assert "no regression" in capsys.readouterr().out
    assert main(["analyze", "--model", "models.py:identity", "--data", "X.npy", "--compare", "base.json"]) == 1
    out = capsys.readouterr().out
    assert "REGRESSION" in out and "attractors" in out and "yes" in out and "no" in out
    # a baseline whose rows carry the claims' verdicts instead of answers is refused, naming the field
    doc = json.loads((here / "base.json").read_text())
    doc["claims"]["attractors"]["verdict"] = "holds"
    (here / "old.json").write_text(json.dumps(doc))
    assert main(["analyze", "--model", "models.py:two_point", "--data", "X.npy", "--compare", "old.json"]) == 2
    assert "claims.attractors.verdict is 'holds', not one of yes, no" in capsys.readouterr().err
    # a baseline of the claims is not one of analyze, and the reverse
    assert main(["--compare", "base.json"]) == 2
    assert "memverify analyze --compare" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["--model", "nomodule:f"], "importing 'nomodule' failed: ModuleNotFoundError"),
    (["--model", "models.py"], "must be MODULE:ATTR"),
    (["--model", "models.py:nothere"], "has no attribute 'nothere'"),
    (["--model", "missing.py:f"], "no file 'missing.py'"),
    (["--model", "models.py:wrong_shape"], "returned shape (1, 2) for one input of d = 3"),
    (["--model", "models.py:not_finite"], "non-finite outputs"),
    (["--model", "models.py:raises"], "the model raised ValueError: kaboom"),
    (["--model", "models.py:two_point", "--jacobian", "models.py:X"], "--jacobian 'models.py:X' is not callable"),
    (["--model", "models.py:two_point", "--settle-cap", "0"], "--settle-cap must be an integer >= 1"),
    (["--model", "models.py:two_point", "--compare", "X.npy"], "cannot read baseline"),
])
def test_bad_input_is_one_line_and_exit_2(here, capsys, args, message):
    data = [] if "--data" in args else ["--data", "X.npy"]
    assert main(["analyze", *args, *data]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_a_jax_trained_autoencoder_through_the_command_line(here):
    """A JAX model file: the Jacobian comes from jax.jacfwd; run as a user would, in a subprocess."""
    pytest.importorskip("jax", reason="JAX is in the test extra")
    (here / "jax_model.py").write_text(textwrap.dedent('''
        import jax, jax.numpy as jnp, numpy as np
        from theory import deep_fc as D
        jax.config.update("jax_enable_x64", True)
        X = np.load("X.npy")
        net = D.two_point_attractor(X[0], X[1])
        W = [jnp.asarray(w) for w in net.weights]
        b = [jnp.asarray(v) for v in net.biases]

        def f(Z):
            return jnp.tanh(Z @ W[0].T + b[0]) @ W[1].T + b[1]
    '''))
    out = subprocess.run([sys.executable, "-m", "verify", "analyze", "--model", "jax_model.py:f", "--data", "X.npy",
                          "--json", "jx.json", "--seed", "1"], capture_output=True, text=True, cwd=here, timeout=300)
    assert out.returncode == 0, out.stderr
    got, prov = rows(here / "jx.json")
    assert prov["jacobian"] == "jax.jacfwd" and got["attractors"]["verdict"] == "yes"


def test_the_control_is_far_from_every_example_even_when_one_is_zero():
    """The rows' control must fail every check, also on data that contain 0 (where the zero map
    would fix an example and recover every start)."""
    from verify.analysis_report import far_map
    from theory.dynamics import min_spacing

    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    c = far_map(X)(X[:1])[0]
    assert np.min(np.linalg.norm(X - c, axis=1)) >= 10 * min_spacing(X)


def test_the_analysis_report_draws_its_figures_and_says_what_it_is(tmp_path, monkeypatch):
    """Issue 30: the analysis report has a figure per question that has one (rho per example with
    its error bar; where the starts settle), opens with the paper, the run and a verdict legend, and
    its rows name the statement of the paper they ask about."""
    from verify.cli import main

    monkeypatch.chdir(tmp_path)
    np.save("X.npy", np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
    (tmp_path / "m.py").write_text("def f(Z):\n    return 0.5 * Z\n")
    main(["analyze", "--model", "m.py:f", "--data", "X.npy", "--report", "rep", "--quiet"])
    assert sorted(p.name for p in (tmp_path / "rep" / "figures").iterdir()) == ["attractors.png", "recovery.png"]
    html = (tmp_path / "rep" / "report.html").read_text()
    assert "arXiv:1810.10333" in html and "Answers:" in html and "Theorem 2" in html
    assert "<th>question</th>" in html and 'class="no">no</span>' in html and ">not-reproduced<" not in html
    assert html.index("Answers:") < html.index("<table>")
    assert "per example (class, rho at its fixed point, distance to it / spacing): 0: " in html  # every example, its class


def test_small_things_a_user_meets(tmp_path, monkeypatch, capsys):
    """Issue 30: --help names analyze; a CSV with a header row is read; an object with .predict
    (scikit-learn) is a model; each row's time is its own question's, not a share of the total; the
    terminal says how the starts were drawn."""
    import verify
    from verify.cli import build_parser, main

    assert "memverify analyze" in build_parser().format_help()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "H.csv").write_text("p0,p1,p2\n0.1,0.2,0.3\n0.4,0.5,0.6\n0.9,0.1,0.5\n")
    (tmp_path / "m.py").write_text("class Est:\n    def predict(self, Z):\n        return 0.5 * Z\n\nmodel = Est()\n")
    assert main(["analyze", "--model", "m.py:model", "--data", "H.csv"]) in (0, 3)
    out = capsys.readouterr().out
    assert "recovery: starts: half uniform" in out
    a = verify.analyze(type("Est", (), {"predict": lambda self, Z: 0.5 * Z})(), np.eye(3))
    assert set(a.timings) == {"fixed-points", "attractors", "recovery", "superattraction"}
