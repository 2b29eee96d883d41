"""Downloads against a real HTTP server on 127.0.0.1: success, dead and lying mirrors, cut-offs."""

from __future__ import annotations

import gzip
import hashlib

import numpy as np
import pytest

from neuronal.datasets import DatasetNotFoundError, download, load_fashion_mnist, load_mnist, mnist
from neuronal.errors import DataError

FILES = mnist.FILES


def _cache_files(cache_root, dataset="mnist"):
    folder = cache_root / dataset
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _decompressed_md5(path) -> str:
    return hashlib.md5(gzip.decompress(path.read_bytes())).hexdigest()


def test_download_success_then_cached(server, trust_small_set, monkeypatch, cache_root):
    good = server.serve("good", trust_small_set.gz)
    monkeypatch.setitem(mnist.MIRRORS, "mnist", [good])
    (X, y), (Xt, yt) = load_mnist()
    assert X.shape == (20, 784) and Xt.shape == (10, 784)
    np.testing.assert_array_equal(y, trust_small_set.arrays[FILES[1]])
    assert _cache_files(cache_root) == sorted(stem + ".gz" for stem in FILES)
    assert len(server.hits) == 4
    load_mnist()  # second time from the cache, no request
    assert len(server.hits) == 4


def test_dead_and_missing_mirrors_are_skipped(server, trust_small_set, monkeypatch, dead_url):
    good = server.serve("good", trust_small_set.gz)
    missing = f"{server.base}/nothing-here/"  # answers 404
    monkeypatch.setitem(mnist.MIRRORS, "mnist", [dead_url, missing, good])
    (X, _), _ = load_mnist()
    assert X.shape == (20, 784)
    assert sum(hit.startswith("/nothing-here/") for hit in server.hits) == 4
    assert sum(hit.startswith("/good/") for hit in server.hits) == 4


def test_corrupted_download_goes_to_next_mirror(
    server, trust_small_set, make_set, monkeypatch, cache_root
):
    other = server.serve("other", make_set(seed=5).gz)  # valid IDX, wrong content
    broken = server.serve("broken", {s: b"\x1f\x8bgarbage" for s in FILES})  # bad gzip
    good = server.serve("good", trust_small_set.gz)
    monkeypatch.setitem(mnist.MIRRORS, "mnist", [other, broken, good])
    load_mnist()
    for stem in FILES:
        path = cache_root / "mnist" / (stem + ".gz")
        assert _decompressed_md5(path) == trust_small_set.md5[stem]
    assert _cache_files(cache_root) == sorted(stem + ".gz" for stem in FILES)


def test_corrupted_download_without_alternative_fails_cleanly(
    server, trust_small_set, make_set, monkeypatch, cache_root
):
    other = server.serve("other", make_set(seed=5).gz)
    monkeypatch.setitem(mnist.MIRRORS, "mnist", [other])
    with pytest.raises(
        DatasetNotFoundError, match="downloading train-images-idx3-ubyte.gz failed.*SHA-256"
    ) as info:
        load_mnist()
    assert "\n" not in str(info.value)
    assert _cache_files(cache_root) == []


def test_interrupted_download_leaves_no_partial_file(
    server, trust_small_set, monkeypatch, cache_root
):
    cut = server.serve("cut", trust_small_set.gz, behaviour="truncate")
    monkeypatch.setitem(mnist.MIRRORS, "mnist", [cut])
    with pytest.raises(DatasetNotFoundError, match="connection closed after"):
        load_mnist()
    assert _cache_files(cache_root) == []
    # With a good mirror behind it, the cut-off one is just skipped.
    good = server.serve("good", trust_small_set.gz)
    monkeypatch.setitem(mnist.MIRRORS, "mnist", [cut, good])
    (X, _), _ = load_mnist()
    assert X.shape == (20, 784)
    assert _cache_files(cache_root) == sorted(stem + ".gz" for stem in FILES)


def test_slow_mirror_times_out(server, trust_small_set, monkeypatch):
    monkeypatch.setattr(download, "TIMEOUT", 0.3)
    slow = server.serve("slow", trust_small_set.gz, behaviour="slow")
    good = server.serve("good", trust_small_set.gz)
    monkeypatch.setitem(mnist.MIRRORS, "mnist", [slow, good])
    (X, _), _ = load_mnist()
    assert X.shape == (20, 784)
    # After one timeout the slow mirror is not asked for the other three files.
    assert sum(hit.startswith("/slow/") for hit in server.hits) == 1
    assert sum(hit.startswith("/good/") for hit in server.hits) == 4


def test_interrupt_during_download_leaves_no_file(server, trust_small_set, tmp_path):
    url = server.serve("good", trust_small_set.gz) + FILES[0] + ".gz"
    dest = tmp_path / "cache" / "x.gz"

    def interrupt(path):
        assert path.exists() and path.parent == dest.parent
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        download.download_file([url], dest, interrupt)
    assert not dest.parent.exists()  # no partial file, and no folder it created
    assert tmp_path.exists()


def test_offline_error_message(monkeypatch, dead_url, cache_root, tmp_path):
    monkeypatch.setitem(mnist.MIRRORS, "mnist", [dead_url, dead_url.replace("mnist", "other")])
    with pytest.raises(DatasetNotFoundError) as info:
        load_mnist(tmp_path / "mine")
    message = str(info.value)
    assert "\n" not in message
    assert "NEURONAL_DATA" in message
    assert repr(str(tmp_path / "mine" / "mnist")) in message  # where it looked
    assert repr(str(cache_root / "mnist")) in message
    assert message.count("unreachable") == 2  # both mirrors, with the reason
    assert "Put the four files train-images-idx3-ubyte.gz" in message  # where to put them
    assert _cache_files(cache_root) == []


def test_no_mirrors_listed(cache_root):
    with pytest.raises(DatasetNotFoundError, match="no mirrors are listed for 'mnist'"):
        load_mnist()


def test_fashion_download_verified_by_shape(server, trust_small_set, make_set, monkeypatch):
    wrong = server.serve("wrong", make_set(n_train=21, n_test=11).gz)
    good = server.serve("good", trust_small_set.gz)
    monkeypatch.setitem(mnist.MIRRORS, "fashion-mnist", [wrong, good])
    (X, y), (Xt, _) = load_fashion_mnist(flatten=False)
    assert X.shape == (20, 28, 28) and Xt.shape == (10, 28, 28)
    np.testing.assert_array_equal(y, trust_small_set.arrays[FILES[1]])


def test_unwritable_cache(monkeypatch, tmp_path, server, trust_small_set):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.setitem(mnist.MIRRORS, "mnist", [server.serve("good", trust_small_set.gz)])
    with pytest.raises(DataError, match="cannot create the download folder.*XDG_CACHE_HOME"):
        load_mnist()


def test_real_mirror_list_is_sane():
    # Checked on the module defaults (the autouse fixture empties MIRRORS for the tests only).
    import importlib

    fresh = importlib.reload(mnist)
    try:
        assert any("ossci-datasets" in url for url in fresh.MIRRORS["mnist"])
        assert any("cvdf-datasets" in url for url in fresh.MIRRORS["mnist"])
        assert any("fashion-mnist" in url for url in fresh.MIRRORS["fashion-mnist"])
        assert fresh.MD5["mnist"]["train-images-idx3-ubyte"] == "6bbc9ace898e44ae57da46a324031adb"
    finally:
        importlib.reload(mnist)


# ---------------------------------------------------------- hostile servers (issue 16)


def _bomb(expanded: int) -> bytes:
    """A gzip stream of an IDX header for 20x28x28 uint8 images followed by far more zeros."""
    import struct
    import zlib

    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [c.compress(bytes([0, 0, 8, 3]) + struct.pack(">3I", 20, 28, 28))]
    block = bytes(1 << 20)
    parts += [c.compress(block) for _ in range(expanded >> 20)]
    return b"".join(parts) + c.flush()


def test_a_dripping_server_is_cut_off_at_the_deadline(server, trust_small_set, monkeypatch,
                                                      cache_root):
    import time

    monkeypatch.setattr(download, "MAX_SECONDS", 1.0)  # the socket timeout stays 5 s
    drip = server.serve("drip", trust_small_set.gz, behaviour="drip")
    monkeypatch.setitem(mnist.MIRRORS, "mnist", [drip])
    start = time.monotonic()
    with pytest.raises(DatasetNotFoundError, match=r"download took longer than 1 s"):
        load_mnist()
    # One byte every 0.1 s never trips the 5 s socket timeout: only the deadline stops it.
    assert time.monotonic() - start < 4.5
    assert not (cache_root / "mnist").exists()


def test_a_gzip_bomb_is_refused_within_the_expected_size(server, trust_small_set, monkeypatch,
                                                         cache_root):
    import tracemalloc

    monkeypatch.setitem(mnist.SHAPES, "mnist", {s: a.shape for s, a in
                                                trust_small_set.arrays.items()})
    bomb = _bomb(60 * 2**20)  # ~60 KB (under the download cap) that would decompress to 60 MB
    bad = server.serve("bomb", {**trust_small_set.gz, FILES[0]: bomb})
    monkeypatch.setitem(mnist.MIRRORS, "mnist", [bad])
    tracemalloc.start()
    try:
        with pytest.raises(DatasetNotFoundError,
                           match=r"decompresses to more than the 15696 bytes of uint8 data of "
                                 r"shape \(20, 28, 28\) \(a decompression bomb"):
            load_mnist()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20, peak
    assert not (cache_root / "mnist").exists()


def test_a_local_gzip_bomb_is_refused(tmp_path, trust_small_set, monkeypatch):
    folder = trust_small_set.write(tmp_path / "mnist")
    monkeypatch.setitem(mnist.SHAPES, "mnist", {s: a.shape for s, a in
                                                trust_small_set.arrays.items()})
    (folder / (FILES[0] + ".gz")).write_bytes(_bomb(50 * 2**20))
    with pytest.raises(DataError, match="decompression bomb"):
        load_mnist(tmp_path, download=False)


@pytest.mark.parametrize("behaviour, match", [
    ("short-length", "damaged gzip|SHA-256"),       # the body is cut at the announced length
    ("huge-length", r"file too large \(1000000000000 bytes"),
    ("endless", r"file too large \(more than \d+ bytes\)"),
    ("truncate", "connection closed after"),
])
def test_servers_that_lie_about_the_length(server, trust_small_set, monkeypatch, cache_root,
                                           behaviour, match):
    liar = server.serve(behaviour, trust_small_set.gz, behaviour=behaviour)
    monkeypatch.setitem(mnist.MIRRORS, "mnist", [liar])
    with pytest.raises(DatasetNotFoundError, match=match):
        load_mnist()
    assert not (cache_root / "mnist").exists() and not cache_root.exists()


def test_fashion_mnist_is_verified_by_the_published_md5(server, trust_small_set, make_set,
                                                        monkeypatch):
    wrong = server.serve("wrong", make_set(seed=4).gz)  # right shapes, other bytes
    good = server.serve("good", trust_small_set.gz)
    monkeypatch.setitem(mnist.MIRRORS, "fashion-mnist", [wrong, good])
    (X, _), _ = load_fashion_mnist()
    assert X.shape == (20, 784)
    assert sum(hit.startswith("/wrong/") for hit in server.hits) == 4


def test_every_file_of_every_data_set_has_a_content_hash():
    import importlib

    fresh = importlib.reload(mnist)
    try:
        for dataset in fresh.MIRRORS:
            for stem in fresh.FILES:
                known = [table[dataset].get(stem) for table in (fresh.SHA256, fresh.MD5,
                                                                 fresh.GZ_MD5)]
                assert any(known), (dataset, stem)
            assert fresh.MIRRORS[dataset][0].startswith("https://"), dataset
        assert fresh.GZ_MD5["fashion-mnist"]["train-images-idx3-ubyte"] == \
            "8d4fb7e6c68d591d4c3dfef9ec88bf0d"
    finally:
        importlib.reload(mnist)


def test_https_mirrors_go_through_the_deadline_opener(tmp_path, dead_url):
    # Nothing listens there: the HTTPS handler is used up to the connection, which is refused.
    url = dead_url.replace("http://", "https://") + "x.gz"
    with pytest.raises(download.DownloadError, match=r"https://127\.0\.0\.1:\d+/mnist/x\.gz: "
                                                     r"unreachable") as info:
        download.download_file([url], tmp_path / "cache" / "x.gz", lambda path: None)
    assert len(info.value.reasons) == 1
    assert not (tmp_path / "cache").exists()
