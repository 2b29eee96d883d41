"""MNIST and Fashion-MNIST from data directories: lookup order, verification, options."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import numpy as np
import pytest

from neuronal.datasets import (
    DatasetNotFoundError,
    get_data_dir,
    load_fashion_mnist,
    load_mnist,
    mnist,
    write_idx,
)
from neuronal.errors import DataError

FILES = mnist.FILES
SHARED = Path("/work/shared/data")


# --- data directory resolution ---------------------------------------------------------------


def test_get_data_dir_order(tmp_path, monkeypatch):
    assert get_data_dir() == tmp_path / "xdg-cache" / "neuronal"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert get_data_dir() == tmp_path / "home" / ".cache" / "neuronal"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # ignored, as the XDG spec says
    assert get_data_dir() == tmp_path / "home" / ".cache" / "neuronal"
    monkeypatch.setenv("NEURONAL_DATA", str(tmp_path / "env"))
    assert get_data_dir() == tmp_path / "env"
    assert get_data_dir(tmp_path / "arg") == tmp_path / "arg"
    assert get_data_dir(str(tmp_path / "arg")) == tmp_path / "arg"
    assert not (tmp_path / "home" / ".cache").exists()  # resolving creates nothing


def test_lookup_order_argument_then_env_then_cache(tmp_path, monkeypatch, make_set, cache_root):
    # Without known hashes, files are verified by shape only, so three differently labelled
    # sets all pass.
    sets = {name: make_set(seed=i, label=i + 1) for i, name in enumerate(["arg", "env", "cache"])}
    shapes = {stem: a.shape for stem, a in sets["arg"].arrays.items()}
    monkeypatch.setitem(mnist.SHAPES, "fashion-mnist", shapes)
    monkeypatch.setitem(mnist.GZ_MD5, "fashion-mnist", {})
    sets["arg"].write(tmp_path / "arg" / "fashion-mnist")
    sets["env"].write(tmp_path / "env" / "fashion-mnist")
    sets["cache"].write(cache_root / "fashion-mnist")
    monkeypatch.setenv("NEURONAL_DATA", str(tmp_path / "env"))

    def label(**kwargs) -> int:
        (_, y_train), _ = load_fashion_mnist(download=False, **kwargs)
        return int(y_train[0])

    assert label(data_dir=tmp_path / "arg") == 1
    assert label() == 2
    assert label(data_dir=tmp_path / "empty") == 2  # an argument without the files falls through
    monkeypatch.delenv("NEURONAL_DATA")
    assert label() == 3


def test_load_small_set_options(tmp_path, trust_small_set):
    trust_small_set.write(tmp_path / "mnist")
    (X, y), (Xt, yt) = load_mnist(tmp_path, download=False)
    assert X.shape == (20, 784) and Xt.shape == (10, 784)
    assert X.dtype == np.float32 and y.dtype == np.int64 and y.shape == (20,)
    images = trust_small_set.arrays[FILES[0]]
    np.testing.assert_array_equal(X, images.reshape(20, -1).astype(np.float32) / np.float32(255))
    np.testing.assert_array_equal(y, trust_small_set.arrays[FILES[1]])

    (X, y), _ = load_mnist(tmp_path, download=False, normalize=False, flatten=False)
    assert X.dtype == np.uint8 and X.shape == (20, 28, 28)
    np.testing.assert_array_equal(X, images)

    (X, _), _ = load_mnist(tmp_path, download=False, dtype="float64", flatten=False)
    assert X.dtype == np.float64 and X.shape == (20, 28, 28)
    np.testing.assert_allclose(X, images / 255.0)


def test_uncompressed_file_names_are_accepted(tmp_path, trust_small_set):
    trust_small_set.write(tmp_path / "mnist", compress=False)
    (X, _), _ = load_mnist(tmp_path, download=False)
    assert X.shape == (20, 784)


def test_bad_dtype(tmp_path, trust_small_set):
    with pytest.raises(DataError, match="floating dtype.*int32.*normalize=False"):
        load_mnist(tmp_path, download=False, dtype="int32")
    with pytest.raises(DataError, match="NumPy floating dtype"):
        load_mnist(tmp_path, download=False, dtype="no-such-type")


def test_local_file_with_wrong_hash_is_rejected(tmp_path, trust_small_set, make_set):
    make_set(seed=99).write(tmp_path / "mnist")
    path = tmp_path / "mnist" / "train-images-idx3-ubyte.gz"
    with pytest.raises(DataError, match=re.escape(repr(str(path))) + ".*SHA-256.*delete it"):
        load_mnist(tmp_path, download=False)


def test_verification_is_cached_per_file(tmp_path, trust_small_set, make_set, monkeypatch):
    trust_small_set.write(tmp_path / "mnist")
    calls = []
    original = mnist._check_content
    monkeypatch.setattr(mnist, "_check_content", lambda *a: calls.append(a[1]) or original(*a))
    load_mnist(tmp_path, download=False)
    load_mnist(tmp_path, download=False, normalize=False)
    assert sorted(calls) == sorted(FILES)  # each file hashed once
    # A file that changes (other size and time) is verified again.
    path = tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz"
    write_idx(path, np.zeros(11, np.uint8))
    os.utime(path, ns=(1, 1))
    with pytest.raises(DataError, match="SHA-256"):
        load_mnist(tmp_path, download=False)


def test_fashion_files_must_be_the_published_gz(tmp_path, trust_small_set, make_set):
    make_set(n_train=21).write(tmp_path / "fashion-mnist")
    with pytest.raises(DataError, match=r"not the Fashion-MNIST file train-images-idx3-ubyte: it "
                                        r"decompresses to more than the 15696 bytes of uint8 "
                                        r"data of shape \(20, 28, 28\)"):
        load_fashion_mnist(tmp_path, download=False)
    make_set(seed=3).write(tmp_path / "fashion-mnist")
    with pytest.raises(DataError, match=r"not the original Fashion-MNIST file "
                                        r"train-images-idx3-ubyte.gz: expected the MD5 of the "
                                        r"\.gz file to be [0-9a-f]{32} \(the published one\)"):
        load_fashion_mnist(tmp_path, download=False)
    for p in (tmp_path / "fashion-mnist").iterdir():
        p.unlink()
    trust_small_set.write(tmp_path / "fashion-mnist", compress=False)  # decompressed copies
    with pytest.raises(DataError, match="it is not gzipped.*keep the original .gz file"):
        load_fashion_mnist(tmp_path, download=False)
    trust_small_set.write(tmp_path / "fashion-mnist")  # the originals are found first
    (X, _), _ = load_fashion_mnist(tmp_path, download=False)
    assert X.shape == (20, 784)


def test_label_out_of_range(tmp_path, trust_small_set, monkeypatch):
    folder = trust_small_set.write(tmp_path / "fashion-mnist")
    path = folder / "t10k-labels-idx1-ubyte.gz"
    write_idx(path, np.full(10, 10, np.uint8))
    # Even a file with the right hash is checked: make its hash the published one.
    monkeypatch.setitem(mnist.GZ_MD5["fashion-mnist"], "t10k-labels-idx1-ubyte",
                        hashlib.md5(path.read_bytes()).hexdigest())
    with pytest.raises(DataError, match="labels 0..9, got a label 10"):
        load_fashion_mnist(tmp_path, download=False)


def test_not_found_without_download(tmp_path, cache_root, monkeypatch):
    monkeypatch.setenv("NEURONAL_DATA", str(tmp_path / "env"))
    with pytest.raises(DatasetNotFoundError) as info:
        load_mnist(tmp_path / "arg", download=False)
    message = str(info.value)
    assert "\n" not in message
    assert "download=False" in message and "NEURONAL_DATA" in message
    for folder in (tmp_path / "arg" / "mnist", tmp_path / "env" / "mnist", cache_root / "mnist"):
        assert repr(str(folder)) in message
    assert f"in {str(tmp_path / 'arg' / 'mnist')!r}, or set NEURONAL_DATA" in message
    assert isinstance(info.value, DataError)


def test_files_in_the_wrong_folder_get_a_hint(tmp_path, trust_small_set):
    trust_small_set.write(tmp_path)  # directly in the data dir instead of mnist/
    with pytest.raises(DatasetNotFoundError, match="directly in .*move them into mnist/"):
        load_mnist(tmp_path, download=False)


# --- the real data set -------------------------------------------------------------------------

needs_shared = pytest.mark.skipif(
    not (SHARED / "mnist").is_dir(), reason="no local MNIST copy in /work/shared/data"
)


@pytest.fixture(scope="module")
def real_mnist():
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("NEURONAL_DATA", raising=False)
        mp.setitem(mnist.MIRRORS, "mnist", [])
        return load_mnist(SHARED, download=False)


@needs_shared
def test_real_mnist(real_mnist):
    (X, y), (Xt, yt) = real_mnist
    assert X.shape == (60000, 784) and Xt.shape == (10000, 784)
    assert X.dtype == np.float32 and Xt.dtype == np.float32
    assert y.shape == (60000,) and yt.shape == (10000,)
    assert y.dtype == np.int64 and yt.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert set(np.unique(y)) == set(range(10)) == set(np.unique(yt))
    assert y[:5].tolist() == [5, 0, 4, 1, 9]  # the well-known first training labels


@needs_shared
def test_real_mnist_raw_images(monkeypatch, real_mnist):
    monkeypatch.setenv("NEURONAL_DATA", str(SHARED))  # found through the environment variable
    (X, y), (Xt, _) = load_mnist(download=False, normalize=False, flatten=False)
    assert X.shape == (60000, 28, 28) and Xt.shape == (10000, 28, 28)
    assert X.dtype == np.uint8 and X.max() == 255
    np.testing.assert_array_equal(
        X[:100].reshape(100, -1) / np.float32(255), real_mnist[0][0][:100]
    )
    np.testing.assert_array_equal(y, real_mnist[0][1])
