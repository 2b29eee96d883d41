"""Saving (issue 16): permission bits kept, symlinks written through, clear errors naming the
user's path (never the hidden temporary file)."""

import errno
import os
import stat

import numpy as np
import pytest

import neuronal as nl


def _net(seed=0):
    return nl.Network.from_shape("4x3x2", seed=seed)


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.skipif(os.name != "posix", reason="permission bits are POSIX")
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o444, 0o755])
def test_resave_keeps_the_permission_bits(tmp_path, mode):
    path = tmp_path / "m.safetensors"
    nl.save(_net(1), path)
    os.chmod(path, mode)
    nl.save(_net(2), path)
    assert _mode(path) == mode
    np.testing.assert_array_equal(nl.load(path).layers[0].weights, _net(2).layers[0].weights)


def test_a_new_file_follows_the_umask(tmp_path):
    old = os.umask(0o077)
    try:
        nl.save(_net(), tmp_path / "private.safetensors")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "private.safetensors") == 0o600


def test_checkpoint_keeps_the_permission_bits(tmp_path):
    path = tmp_path / "run.ckpt"
    net = _net()
    nl.io.save_checkpoint(net, path)
    os.chmod(path, 0o600)
    X, y = np.random.default_rng(0).standard_normal((8, 4)), np.arange(8) % 2
    net.fit(X, y, epochs=2, checkpoint=path, verbose=0)
    assert _mode(path) == 0o600


def test_save_through_a_symlink_writes_its_target(tmp_path):
    real_dir = tmp_path / "store"
    real_dir.mkdir()
    target = real_dir / "model.safetensors"
    nl.save(_net(1), target)
    os.chmod(target, 0o600)
    link = tmp_path / "current.safetensors"
    link.symlink_to(target)
    nl.save(_net(2), link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    np.testing.assert_array_equal(nl.load(target).layers[0].weights, _net(2).layers[0].weights)
    assert _mode(target) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["current.safetensors", "store"]
    assert sorted(p.name for p in real_dir.iterdir()) == ["model.safetensors"]


def test_save_through_a_relative_chain_of_links_and_a_dangling_one(tmp_path):
    (tmp_path / "a").symlink_to("b")  # a -> b -> c.safetensors (not there yet)
    (tmp_path / "b").symlink_to("c.safetensors")
    nl.save(_net(3), tmp_path / "a")
    assert (tmp_path / "a").is_symlink() and (tmp_path / "b").is_symlink()
    assert (tmp_path / "c.safetensors").is_file()
    np.testing.assert_array_equal(nl.load(tmp_path / "a").layers[1].bias, _net(3).layers[1].bias)


def test_a_symlink_loop_is_refused(tmp_path):
    (tmp_path / "x").symlink_to("y")
    (tmp_path / "y").symlink_to("x")
    with pytest.raises(nl.NeuronalError, match=r"cannot save to '.*x'.*loop"):
        nl.save(_net(), tmp_path / "x")


def test_save_below_a_regular_file(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("I am a file")
    path = blocker / "sub" / "m.safetensors"
    with pytest.raises(nl.NeuronalError,
                       match=r"cannot save to '.*file\.txt/sub/m\.safetensors': '.*file\.txt' "
                             r"is a file, not a folder") as info:
        nl.save(_net(), path)
    assert ".tmp" not in str(info.value)
    with pytest.raises(nl.NeuronalError, match=r"'.*file\.txt' is a file, not a folder"):
        nl.save(_net(), blocker / "m.safetensors")


def test_save_into_a_read_only_folder(tmp_path, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    os.chmod(folder, 0o500)
    if os.geteuid() == 0:  # root ignores permission bits: make the OS answer as it would
        real_open = os.open

        def refuse(path, flags, mode=0o777, **kw):
            if str(path).startswith(str(folder)) and flags & os.O_CREAT:
                raise PermissionError(errno.EACCES, "Permission denied", str(path))
            return real_open(path, flags, mode, **kw)

        monkeypatch.setattr(os, "open", refuse)
    try:
        with pytest.raises(nl.NeuronalError,
                           match=r"cannot save to '.*ro/m\.safetensors': permission denied in "
                                 r"the folder '.*ro'") as info:
            nl.save(_net(), folder / "m.safetensors")
    finally:
        os.chmod(folder, 0o700)
    assert ".tmp" not in str(info.value)
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("code, words", [(errno.EROFS, "the file system is read-only"),
                                         (errno.ENOSPC, "no space left")])
def test_os_errors_while_writing_name_the_users_path(tmp_path, monkeypatch, code, words):
    def fail(fd):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(nl.NeuronalError, match=rf"cannot save to '.*m\.safetensors': {words}"):
        nl.save(_net(), tmp_path / "m.safetensors")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_save_to_a_path_that_is_not_a_path(tmp_path):
    with pytest.raises(nl.NeuronalError, match="expected a file path.*got int"):
        nl.save(_net(), 42)
