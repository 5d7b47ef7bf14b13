"""Issue 28: MNIST, CIFAR-10 and data files with bad headers or contents, and the memory limit from
the environment, are one-line InputErrors naming the file and what is wrong (never a raw error, an
unbounded decompression, or a silent fall-back to the bundled digits)."""

import gzip
import os
import pickle
import struct

import numpy as np
import pytest

from theory.errors import InputError
from verify import datasets as ds
from verify import plan


def _idx(path, dims, data=b"", gz=False):
    head = bytes([0, 0, 0x08, len(dims)]) + b"".join(struct.pack(">i", d) for d in dims)
    with (gzip.open if gz else open)(path, "wb") as fh:
        fh.write(head + data)


@pytest.fixture
def files(tmp_path):
    for name in ("zero", "neg", "big", "bomb", "cifint", "cifstr", "cifempty", "mlab"):
        (tmp_path / name).mkdir()
    _idx(tmp_path / "zero" / "train-images-idx3-ubyte", (0, 28, 28))
    _idx(tmp_path / "neg" / "train-images-idx3-ubyte", (-5, 28, 28))
    _idx(tmp_path / "big" / "train-images-idx3-ubyte", (2**31 - 1, 2**31 - 1, 28))
    _idx(tmp_path / "bomb" / "train-images-idx3-ubyte.gz", (10, 28, 28), data=b"\0" * 10**7, gz=True)
    _idx(tmp_path / "mlab" / "train-labels-idx1-ubyte", (2,), data=b"\0\1")
    (tmp_path / "mdir" / "train-images-idx3-ubyte").mkdir(parents=True)
    for name, batch in (("cifint", {b"data": np.zeros((2, 3072), np.uint8), b"labels": 3}),
                        ("cifstr", {b"data": np.array([["a"] * 3072] * 2), b"labels": [0, 1]}),
                        ("cifempty", {b"data": np.zeros((0, 3072), np.uint8), b"labels": []})):
        with open(tmp_path / name / "data_batch_1", "wb") as fh:
            pickle.dump(batch, fh)
    np.save(tmp_path / "fake.npy", np.ones((3, 6)))
    os.rename(tmp_path / "fake.npy", tmp_path / "fake.npz")
    np.save(tmp_path / "g.npy", np.ones((3, 6)))
    os.rename(tmp_path / "g.npy", tmp_path / "GOOD.NPY")
    os.mkfifo(tmp_path / "fifo.npy")
    return tmp_path


@pytest.mark.parametrize("call, says", [
    (lambda t: ds.load_mnist(t / "zero"), "holds no data"),
    (lambda t: ds.load_mnist(t / "neg"), "negative size"),
    (lambda t: ds.load_mnist(t / "big"), "more than the memory"),
    (lambda t: ds.load_mnist(t / "bomb"), "longer than its header says"),
    (lambda t: ds.load_cifar10(t / "cifint"), "b'labels' is int"),
    (lambda t: ds.load_cifar10(t / "cifstr"), "not pixel numbers"),
    (lambda t: ds.load_cifar10(t / "cifempty"), "holds no images"),
    (lambda t: ds.load_matrix(t / "fake.npz"), "not a .npz archive"),
    (lambda t: ds.load_matrix(t / "fifo.npy"), "not a regular file"),
    (lambda t: ds.image_set(3, t / "mdir"), "is not a file"),
    (lambda t: ds.image_set(3, t / "mlab"), "labels"),
])
def test_bad_data_files_are_one_line_errors(files, call, says):
    with pytest.raises(InputError) as info:
        call(files)
    assert says in str(info.value) and "\n" not in str(info.value)


def test_an_upper_case_extension_is_read(files):
    assert ds.load_matrix(files / "GOOD.NPY").shape == (3, 6)


@pytest.mark.parametrize("value", ["inf", "1e400", "nan", "-1"])
def test_the_memory_limit_must_be_finite_and_positive(monkeypatch, value):
    import gpu

    monkeypatch.setenv(plan.ENV_VAR, value)
    with pytest.raises(InputError, match="finite positive number"):
        plan.available(gpu.resolve("numpy"))


def test_the_host_limit_honours_the_address_space_limit():
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = 2**40 if hard == resource.RLIM_INFINITY else min(hard, 2**40)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        assert plan.host_available()[0] <= cap
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def test_the_memory_plan_covers_analyses_and_wide_images(monkeypatch):
    """An analysis whose Jacobian stacks cannot fit, and the Lemma on images of 200,000 pixels, are
    refused before anything runs, naming the size (never a MemoryError blamed on the model)."""
    import verify

    monkeypatch.setenv(plan.ENV_VAR, "1")
    with pytest.raises(InputError, match="the analysis needs about"):
        verify.analyze(lambda Z: Z, np.random.default_rng(0).random((400, 784)))
    wide = np.random.default_rng(0).uniform(0.1, 1.0, (1, 200_000))
    with pytest.raises(InputError, match="lemma-forced-zero needs about"):
        verify.run(["lemma-forced-zero"], profile="quick", data={"X": wide})
    with pytest.raises(InputError, match="thm4-single-filter-full-rank needs about"):
        verify.run(["thm4-single-filter-full-rank"], profile="quick", data={"X": wide})


def test_the_large_profile_is_refused_where_it_cannot_fit(monkeypatch, capsys):
    """Issue 28: Theorem 3 at k = 10^6 (about 12.9 GiB planned, 12.7 measured, benchmarks/RESULTS.md) on a machine with less:
    exit 2 before anything runs, naming the claim, the size and the fix."""
    from verify.cli import main

    monkeypatch.setenv(plan.ENV_VAR, "4")
    assert main(["--profile", "large", "--claim", "thm3-stable-fixed-points", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "thm3-stable-fixed-points needs about 12.9 GiB" in err and "k x d = 1000000 x 784" in err
    assert "Traceback" not in err and "--profile" in err
