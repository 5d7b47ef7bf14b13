"""Loaders for real MNIST (IDX) and CIFAR-10 (python batches), on tiny files the tests write."""

import gzip
import pickle
import struct

import numpy as np
import pytest

import verify
from verify import datasets
from verify.cli import main
from theory.errors import InputError


def write_idx(path, array, *, gz=False):
    codes = {np.dtype(np.uint8): 0x08}
    header = bytes([0, 0, codes[array.dtype], array.ndim]) + struct.pack(f">{array.ndim}i", *array.shape)
    raw = header + array.tobytes()
    (gzip.open if gz else open)(path, "wb").write(raw)
    return raw


def tiny_mnist(directory, n=30, gz=False):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    suffix = ".gz" if gz else ""
    write_idx(directory / f"train-images-idx3-ubyte{suffix}", images, gz=gz)
    write_idx(directory / f"train-labels-idx1-ubyte{suffix}", labels, gz=gz)
    return images, labels


def tiny_cifar(directory, n=4):
    data = np.random.default_rng(1).integers(0, 256, (n, 3072), dtype=np.uint8)
    with open(directory / "data_batch_1", "wb") as fh:
        pickle.dump({b"data": data, b"labels": list(range(n))}, fh)
    return data


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_idx_round_trip(tmp_path, gz):
    images, labels = tiny_mnist(tmp_path, gz=gz)
    X, y = datasets.load_mnist(tmp_path, n=12)
    assert X.shape == (12, 784) and np.allclose(X, images[:12].reshape(12, -1) / 255.0)
    assert np.array_equal(y, labels[:12])


def test_truncated_and_corrupted_idx_files_are_clear_errors(tmp_path):
    raw = write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((3, 28, 28), dtype=np.uint8))
    (tmp_path / "train-images-idx3-ubyte").write_bytes(raw[:-10])
    with pytest.raises(InputError, match="truncated: the header promises 2352 bytes"):
        datasets.load_mnist(tmp_path)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"\x12\x34" + raw[2:])
    with pytest.raises(InputError, match="bad magic number"):
        datasets.load_mnist(tmp_path)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(raw[:6])
    with pytest.raises(InputError, match="header is incomplete"):
        datasets.load_mnist(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no MNIST train images"):
        datasets.load_mnist(tmp_path / "empty")


def test_truncated_and_corrupted_gzip_files_exit_2_with_the_reason(tmp_path, capsys):
    """A cut-short .gz (EOFError inside gzip), one with damaged deflate data (zlib.error) and one
    that is not gzip at all: each a one-line InputError, and exit 2 from the CLI."""
    tiny_mnist(tmp_path, gz=True)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    raw = path.read_bytes()
    damaged = bytearray(raw)
    damaged[20:40] = b"\xff" * 20
    for content, fragment in [(raw[: len(raw) // 2], "gzip stream ends early"),
                              (bytes(damaged), "corrupted: its gzip data does not decompress|cannot read"),
                              (b"not gzip at all, just text", "cannot read")]:
        path.write_bytes(content)
        with pytest.raises(InputError, match=fragment):
            datasets.load_mnist(tmp_path)
    path.write_bytes(raw[: len(raw) // 2])
    status = main(["--claim", "sec3-contraction", "--profile", "quick", "--data-dir", str(tmp_path), "--quiet"])
    err = capsys.readouterr().err
    assert status == 2 and "gzip stream ends early" in err and "Traceback" not in err


def test_cifar_batches_and_broken_ones(tmp_path):
    data = tiny_cifar(tmp_path)
    X, y = datasets.load_cifar10(tmp_path)
    assert X.shape == (4, 3072) and np.allclose(X, data / 255.0) and list(y) == [0, 1, 2, 3]
    raw = (tmp_path / "data_batch_1").read_bytes()
    (tmp_path / "data_batch_1").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(InputError, match="truncated or corrupted"):
        datasets.load_cifar10(tmp_path)
    with open(tmp_path / "data_batch_1", "wb") as fh:
        pickle.dump({b"data": np.zeros((2, 100), dtype=np.uint8), b"labels": [0, 1]}, fh)
    with pytest.raises(InputError, match=r"expected data of shape \(n, 3072\)"):
        datasets.load_cifar10(tmp_path)
    with pytest.raises(InputError, match="no CIFAR-10 batch"):
        datasets.load_cifar10(tmp_path, batches=("data_batch_2",))


def test_claims_use_mnist_when_given(tmp_path):
    tiny_mnist(tmp_path)
    report = verify.run(["sec3-superattractor"], profile="quick", backend="numpy", data_dir=tmp_path)
    ev = report.evidence[0]
    assert ev.measurement.metrics["data"] == "mnist"
    assert len(ev.measurement.metrics["strip"]["inputs"][0]) == 784
    assert report.provenance["data_dir"] == str(tmp_path)


def test_data_dir_errors_exit_2(tmp_path, capsys):
    assert main(["--claim", "sec3-superattractor", "--profile", "quick", "--data-dir", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_cifar_below_the_paper_profile_is_named_as_not_used(tmp_path):
    tiny_cifar(tmp_path)
    ev = verify.run(["appg-downsampling-memorizes"], profile="quick", data_dir=tmp_path).evidence[0]
    assert any(n.startswith("CIFAR-10 in") and "was not used" in n for n in ev.measurement.notes)


def test_natural_patches_stand_in_for_cifar():
    """Without --data-dir, Appendix G trains on patches of scikit-learn's two photographs: in
    [0, 1], channels first, reproducible from the seed, and named in the evidence."""
    X, where = datasets.natural_patches(3, 8, rng=0)
    again, _ = datasets.natural_patches(3, 8, rng=0)
    assert X.shape == (3, 192) and X.min() >= 0 and X.max() <= 1 and np.array_equal(X, again)
    assert where[0].startswith("china.jpg@") and where[1].startswith("flower.jpg@")
    assert np.std(X[0]) > 0.01  # a photograph, not a constant
    with pytest.raises(InputError, match="divides 32"):
        datasets.natural_patches(1, 5)
    ev = verify.run(["appg-downsampling-memorizes"], profile="quick").evidence[0]
    assert ev.measurement.metrics["data"].startswith("scikit-learn sample-image patches china.jpg@")
    assert any(n.startswith("training images: scikit-learn sample-image patches") for n in ev.measurement.notes)


def test_figure5_trains_on_cifar_when_given_block_averaged_to_the_profile(tmp_path):
    """With CIFAR-10 in --data-dir, Figure 5's claim trains on its images (block-averaged to the
    profile's side, named in the evidence); block_average is the mean over each f x f block."""
    data = tiny_cifar(tmp_path, n=20)
    small = datasets.block_average(data / 255.0, 4)
    X = (data / 255.0).reshape(20, 3, 4, 8, 4, 8)
    assert small.shape == (20, 48) and np.allclose(small[0, 0], X[0, 0, 0, :, 0, :].mean())
    with pytest.raises(InputError, match="3072 values"):
        datasets.block_average(np.zeros((2, 100)), 4)
    ev = verify.run(["fig5-conv-contraction"], profile="quick", data_dir=tmp_path).evidence[0]
    assert ev.measurement.metrics["data"].startswith("CIFAR-10")
    assert ev.measurement.statistics["sets"]["4"]["images"][0] == "cifar10[0]"
    assert any("block-averaged to 4 x 4 x 3" in n for n in ev.measurement.notes)


def test_figure11_trains_on_mnist_when_given(tmp_path):
    tiny_mnist(tmp_path)
    ev = verify.run(["fig11-recovery-despite-reconstruction"], profile="quick", data_dir=tmp_path).evidence[0]
    assert ev.measurement.metrics["data"] == "mnist"
