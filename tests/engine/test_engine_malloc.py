"""``engine.malloc.keep_freed_memory``: glibc's thresholds at the values its adaptation reaches."""

import ctypes
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import neuronal as nl
from neuronal.engine import malloc as _malloc


def run(code: str, **env) -> str:
    """Run ``code`` in a fresh interpreter (the settings are process-wide and one-way)."""
    import os

    full_env = {**os.environ, "NEURONAL_ENGINE": "fast", **env}
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=full_env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def glibc() -> bool:
    try:
        ctypes.CDLL(None).gnu_get_libc_version  # noqa: B018
        return sys.platform.startswith("linux")
    except (OSError, AttributeError):
        return False


def test_values_are_glibcs_own_maximum():
    if ctypes.sizeof(ctypes.c_long) == 8:
        assert _malloc.MMAP_THRESHOLD == 32 * 2**20
    assert _malloc.TRIM_THRESHOLD == 2 * _malloc.MMAP_THRESHOLD


@pytest.mark.skipif(not glibc(), reason="glibc only")
def test_set_once_and_idempotent():
    out = run("""
        from neuronal.engine import malloc as _malloc
        print(_malloc._state, _malloc.keep_freed_memory(), _malloc.keep_freed_memory())
    """)
    assert out == "None True True"


@pytest.mark.skipif(not glibc(), reason="glibc only")
def test_fit_sets_it_and_steps_stop_faulting():
    # A step's temporaries of a few MiB are reused instead of fresh pages from the kernel:
    # after the first steps, further training adds (almost) no page faults.
    out = run("""
        import resource
        import numpy as np
        import neuronal as nl
        from neuronal.engine import malloc as _malloc
        net = nl.Network([nl.Conv2D(1, 8, 5, padding=2, activation="relu"), nl.MaxPool2D(2),
                          nl.Flatten(), nl.Dense(8 * 14 * 14, 10, activation="softmax")],
                         seed=0)
        rng = np.random.default_rng(0)
        X, y = rng.random((640, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 640)
        net.fit(X, y, epochs=1, batch_size=64, verbose=0)  # first-time allocations
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        net.fit(X, y, epochs=1, batch_size=64, verbose=0)
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
        print(_malloc._state, faults)
    """)
    state, faults = out.split()
    assert state == "True"
    assert int(faults) < 300  # without the settings: thousands (several per step per MiB)


def test_opt_out():
    out = run("""
        from neuronal.engine import malloc as _malloc
        print(_malloc.keep_freed_memory())
    """, NEURONAL_MALLOC="0")
    assert out == "False"


def test_no_glibc_is_a_no_op(monkeypatch):
    monkeypatch.setattr(_malloc, "_state", None)
    monkeypatch.setattr(sys, "platform", "darwin")
    assert _malloc.keep_freed_memory() is False


def test_training_results_do_not_depend_on_it():
    code = """
        import numpy as np
        import neuronal as nl
        net = nl.Network.from_shape("8x6x3", seed=0)
        rng = np.random.default_rng(0)
        net.fit(rng.random((64, 8)), rng.integers(0, 3, 64), epochs=2, batch_size=16,
                verbose=0)
        print(repr(net.layers[0].weights.sum()))
    """
    assert run(code) == run(code, NEURONAL_MALLOC="0")


def test_fit_calls_it(monkeypatch):
    calls = []
    monkeypatch.setattr(_malloc, "keep_freed_memory", lambda: calls.append(1) or False)
    net = nl.Network.from_shape("4x3x2", seed=0)
    net.fit(np.zeros((8, 4)), np.zeros(8, dtype=int), epochs=1, batch_size=4, verbose=0)
    assert calls == [1]
