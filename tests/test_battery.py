"""The hostile-input battery: every bad CLI flag, file and API call gets exit 2 (or InputError),
no traceback, a message naming the problem, and leaves no file behind."""

import gzip
import json
import os
from pathlib import Path

import numpy as np
import pytest

import verify
from theory.errors import InputError
from verify.cli import main

ONE = ["--claim", "linear-min-norm", "--profile", "quick", "--quiet"]


def _files(tmp: Path) -> dict:
    """Every file the cases need, written into ``tmp`` (the case's working directory)."""
    rng = np.random.default_rng(0)
    X = rng.random((5, 24))
    np.save(tmp / "good.npy", X)
    np.save(tmp / "nan.npy", np.array([[1.0, np.nan, 2.0]]))
    np.save(tmp / "inf.npy", np.array([[1.0, np.inf], [0.0, 1.0]]))
    np.save(tmp / "vec.npy", np.ones(4))
    np.save(tmp / "scalar.npy", np.float64(3.0))
    np.save(tmp / "cube.npy", np.zeros((2, 3, 4)))
    np.save(tmp / "complex.npy", X + 1j)
    np.save(tmp / "text.npy", np.array([["a", "b"]]))
    np.save(tmp / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.save(tmp / "empty.npy", np.zeros((0, 5)))
    np.save(tmp / "wide.npy", rng.random((3, 200_000)))
    np.save(tmp / "huge.npy", X * 1e300)
    np.save(tmp / "neg.npy", -X)
    np.save(tmp / "ones.npy", np.ones((5, 24)))
    np.savez(tmp / "two.npz", a=X, b=X)
    (tmp / "garbage.npy").write_bytes(b"\x93NUMPY garbage")
    (tmp / "notnpy.npy").write_bytes(b"plain text")
    (tmp / "empty.csv").write_text("")
    (tmp / "ragged.csv").write_text("1,2,3\n4,5\n")
    (tmp / "words.csv").write_text("a,b\nc,d\n")
    (tmp / "data.xlsx").write_bytes(b"PK")
    (tmp / "adir.npy").mkdir()
    (tmp / "afile").write_text("x")
    (tmp / "real.json").write_text("old")
    (tmp / "link.json").symlink_to(tmp / "real.json")
    (tmp / "realdir").mkdir()
    (tmp / "linkdir").symlink_to(tmp / "realdir")
    os.mkfifo(tmp / "fifo")
    (tmp / "mnist").mkdir()
    with gzip.open(tmp / "mnist" / "train-images-idx3-ubyte.gz", "wb") as fh:
        fh.write(bytes([0, 0, 8, 3]) + (3).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2 + bytes(3 * 784))
    raw = (tmp / "mnist" / "train-images-idx3-ubyte.gz").read_bytes()
    (tmp / "mnist" / "train-images-idx3-ubyte.gz").write_bytes(raw[: len(raw) // 2])
    base = {"kind": "memverify-baseline", "schema": 3, "provenance": {"profile": "quick", "seed": 0},
            "claims": {"linear-min-norm": {"verdict": "holds", "reason": None, "control_rejected": True,
                                           "empirical": False, "tolerance": 1e-9,
                                           "quantities": {"q": {"measured": 0.0, "bound": 1.0, "op": "<=",
                                                                "allowed_drift": 1e-300}}}}}
    for name, edit in {
        "b_noprov": lambda d: d.pop("provenance"),
        "b_seed": lambda d: d["provenance"].update(seed="abc"),
        "b_claim": lambda d: d["claims"].update({"linear-min-norm": {}}),
        "b_measured": lambda d: d["claims"]["linear-min-norm"]["quantities"]["q"].update(measured="abc"),
        "b_null": lambda d: d["claims"]["linear-min-norm"]["quantities"]["q"].update(measured=None),
        "b_unknown": lambda d: d["claims"].update({"nope": {}}),
        "b_schema": lambda d: d.update(schema=1),
        "b_kind": lambda d: d.pop("kind"),
    }.items():
        doc = json.loads(json.dumps(base))
        edit(doc)
        (tmp / f"{name}.json").write_text(json.dumps(doc))
    (tmp / "b_trunc.json").write_text('{"kind": "memverify-')
    return {"X": X}


CLI_CASES = [
    # flags and values
    (["--frobnicate"], "unrecognized arguments"),
    (["--claim", "no-such-claim", "--quiet"], "unknown claim"),
    (["--claim", "linear-min-norm", "--claim", "linear-min-norm", "--profile", "quick"], "named more than once"),
    (["--profile", "huge"], "invalid choice"),
    (["--dtype", "float16"], "invalid choice"),
    (["--backend", "tpu", *ONE], "backend"),
    ([*ONE, "--seed", "-1"], "seed"),
    ([*ONE, "--seed", "abc"], "seed must be"),
    ([*ONE, "--seed", "1.5"], "seed must be"),
    ([*ONE, "--step-factor", "nan"], "step"),
    ([*ONE, "--step-factor", "-1"], "step"),
    ([*ONE, "--step-factor", "0"], "step"),
    (["--claim", "linear-gd-trajectory", "--profile", "quick", "--step-factor", "2"], "does not converge"),
    ([*ONE, "--activation", "relu6"], "unknown activation"),
    ([*ONE, "--activation", "tanh"], "none of the claims run uses it"),
    (["--claim", "thm1-beyond-assumptions", "--profile", "quick", "--activation", "neg_tanh"], "selects none"),
    (["--scheduler", "tcp://x:1", *ONE], "dask"),
    # data files
    ([*ONE, "--data", "missing.npy"], "does not exist"),
    ([*ONE, "--data", "adir.npy"], "is a directory"),
    ([*ONE, "--data", "nan.npy"], "non-finite"),
    ([*ONE, "--data", "inf.npy"], "non-finite"),
    ([*ONE, "--data", "vec.npy"], "must be 2-D"),
    ([*ONE, "--data", "scalar.npy"], "single number"),
    ([*ONE, "--data", "cube.npy"], "flatten each example"),
    ([*ONE, "--data", "complex.npy"], "real numbers"),
    ([*ONE, "--data", "text.npy"], "real numbers"),
    ([*ONE, "--data", "obj.npy"], "Python objects"),
    ([*ONE, "--data", "empty.npy"], "empty"),
    ([*ONE, "--data", "garbage.npy"], "cannot read"),
    ([*ONE, "--data", "notnpy.npy"], "not a NumPy .npy file"),
    ([*ONE, "--data", "empty.csv"], "is empty"),
    ([*ONE, "--data", "ragged.csv"], "cannot read"),
    ([*ONE, "--data", "words.csv"], "cannot read"),
    ([*ONE, "--data", "data.xlsx"], "unknown extension"),
    ([*ONE, "--data", "two.npz"], "name the training set 'X'"),
    ([*ONE, "--data", "wide.npy"], "need more memory"),
    (["--claim", "thm6-attractors", "--profile", "quick", "--data", "huge.npy"], "needs it within"),
    (["--claim", "thm1-adaptive-step", "--profile", "quick", "--data", "neg.npy"], "--activation NAME"),
    (["--claim", "cor-phi-span", "--profile", "quick", "--data", "ones.npy", "--activation", "exp_neg"],
     "relative errors are undefined"),
    (["--claim", "thm2-attractor-criterion", "--profile", "quick", "--data", "good.npy"], "takes data"),
    (["--claim", "sec3-contraction", "--profile", "quick", "--data-dir", "mnist"], "gzip stream ends early"),
    (["--data-dir", "missing-dir", *ONE], "does not exist"),
    # outputs
    ([*ONE, "--json", "link.json"], "symbolic link"),
    ([*ONE, "--save-baseline", "link.json"], "symbolic link"),
    ([*ONE, "--json", "fifo"], "not a regular file"),
    ([*ONE, "--json", "realdir"], "is a directory"),
    ([*ONE, "--json", "nowhere/r.json"], "does not exist"),
    ([*ONE, "--figures", "afile"], "is a file"),
    ([*ONE, "--report", "afile"], "is a file"),
    ([*ONE, "--figures", "linkdir"], "symbolic link"),
    ([*ONE, "--report", "linkdir"], "symbolic link"),
    ([*ONE, "--json", "same.json", "--save-baseline", "same.json"], "same file"),
    ([*ONE, "--json", "/proc/memverify.json"], "cannot write"),
    # baselines
    (["--compare", "missing.json"], "does not exist"),
    (["--compare", "good.npy"], "cannot read"),
    (["--compare", "b_trunc.json"], "cannot read"),
    (["--compare", "b_noprov.json"], "provenance is missing"),
    (["--compare", "b_seed.json"], "provenance.seed"),
    (["--compare", "b_claim.json"], "verdict is None"),
    (["--compare", "b_measured.json"], "not a number"),
    (["--compare", "b_null.json"], "not a number"),
    (["--compare", "b_unknown.json"], "not a claim"),
    (["--compare", "b_schema.json"], "schema-1"),
    (["--compare", "b_kind.json"], "not a memverify baseline"),
]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    data = _files(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MEMVERIFY_DATA_DIR", "")
    return tmp_path, data


def _listing(d: Path) -> set:
    return {str(p.relative_to(d)) for p in d.rglob("*")}


@pytest.mark.parametrize("argv, fragment", CLI_CASES, ids=[" ".join(a)[:60] for a, _ in CLI_CASES])
def test_bad_cli_input(workdir, capsys, argv, fragment):
    tmp, _ = workdir
    before = _listing(tmp)
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        status = exc.code
    err = capsys.readouterr().err
    assert status == 2, (status, err)
    assert "Traceback" not in err
    assert fragment in err, err
    assert len(err.strip().splitlines()) <= 3  # argparse prints usage + the error; ours one line
    assert _listing(tmp) == before  # nothing written, nothing left behind
    assert (tmp / "real.json").read_text() == "old"


def _api_cases():
    X = np.random.default_rng(0).random((5, 24))
    one = ["linear-min-norm"]
    return [
        (dict(claims="linear-min-norm"), "got the string"),
        (dict(claims=one, activations="sigmoid"), "got the string"),
        (dict(claims=one, seed=-1), "seed"),
        (dict(claims=one, seed=None), "seed"),
        (dict(claims=one, seed="abc"), "seed"),
        (dict(claims=one, seed=1.7), "seed"),
        (dict(claims=one, step_factor=float("nan")), "step_factor"),
        (dict(claims=one, step_factor=float("inf")), "step_factor"),
        (dict(claims=one, data={"x": X}), "unknown key"),
        (dict(claims=one, data={"X": X + 1j}), "complex"),
        (dict(claims=one, data={"X": X > 0}), "boolean"),
        (dict(claims=one, data={"X": X.astype(str)}), "text"),
        (dict(claims=one, data={"X": X.astype(object)}), "object"),
        (dict(claims=one, data={"X": np.ma.masked_array(X)}), "masked"),
        (dict(claims=one, data={"X": None}), "2-D real array"),
        (dict(claims=one, data={"X": {}}), "2-D real array"),
        (dict(claims=one, data={"X": 0 * X}), "all zeros"),
        (dict(claims=one, dtype="float16"), "unknown dtype"),
        (dict(claims=one, profile="huge"), "profile"),
        (dict(claims=["no-such"]), "unknown claim"),
        (dict(claims=[1]), "must be names"),
        (dict(claims=one + one), "named more than once"),
        (dict(claims=one, seed=True), "seed"),
        (dict(claims=one, step_factor=0), "step_factor"),
        (dict(claims=one, data=[X]), "data must be a dict"),
        (dict(claims=["thm2-attractor-criterion"], data={"X": X}), "none of the claims run takes data"),
        (dict(claims=one, data={"X": __import__("array_api_strict").asarray(X > 0.5)}), "boolean"),
        (dict(claims=one, data={"X": [[1.0, 2.0], [3.0]]}), "cannot be read as an array"),
    ]


@pytest.mark.parametrize("kwargs, fragment", _api_cases())
def test_bad_api_input(tmp_path, monkeypatch, kwargs, fragment):
    monkeypatch.chdir(tmp_path)
    kwargs = dict(kwargs)
    kwargs.setdefault("profile", "quick")
    with pytest.raises(InputError, match=fragment):
        verify.run(**kwargs)
    assert list(tmp_path.iterdir()) == []


def test_the_battery_is_large_enough():
    assert len(CLI_CASES) + len(_api_cases()) >= 60
