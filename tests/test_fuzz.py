"""Bounded fuzzing of every parser in the normal test suite (issue 16).

Each test feeds a few thousand mutated inputs (byte flips, insertions, deletions, truncations,
splices of "interesting" values into valid seed files) to one fuzz target of ``fuzz/targets.py``:
only a ``NeuronalError`` may come out. The runs are derandomised (the same inputs every time,
so the suite stays deterministic); long coverage-guided runs are ``fuzz/fuzz.py``'s job (see
``fuzz/README.md``).
"""

import json
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fuzz"))
import targets  # noqa: E402

_INTERESTING = [b"\x00", b"\xff", b"\x7f", b"\x80", b"\xff" * 8, b"\x00" * 8,
                (2**63).to_bytes(8, "little"), (2**32 - 1).to_bytes(4, "big"), b"NaN",
                b"Infinity", b"-1", b"9" * 40, b"1e999", b'"', b"\\", b"{", b"]", b",",
                b"\r\n", b"\xef\xbb\xbf", b"\x1f\x8b", b"\x89PNG\r\n\x1a\n"]


@st.composite
def mutated(draw, seeds):
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate", "splice",
                                   "duplicate"]))
        pos = draw(st.integers(0, max(0, len(data))))
        if op == "flip" and data:
            pos = min(pos, len(data) - 1)
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and data:
            data[min(pos, len(data) - 1)] = draw(st.integers(0, 255))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, 64))]
        elif op == "truncate":
            del data[pos:]
        elif op == "splice":
            value = draw(st.sampled_from(_INTERESTING))
            data[pos:pos + len(value)] = value
        elif op == "duplicate" and data:
            start = draw(st.integers(0, len(data) - 1))
            data[pos:pos] = data[start:start + draw(st.integers(1, 256))]
    return bytes(data)


_FAST = settings(max_examples=2000, deadline=None, derandomize=True, database=None,
                 suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def seeds():
    return {name: make() for name, make in targets.SEEDS.items()}


@pytest.mark.parametrize("name", ["load", "load-sealed", "idx", "csv", "png"])
def test_mutated_inputs_give_only_neuronal_errors(seeds, name):
    target = targets.TARGETS[name]

    @_FAST
    @given(mutated(seeds[name]))
    def run(data):
        target(data)

    run()


_JSON_VALUES = ["Infinity", "-Infinity", "NaN", "9" * 400, "1e999", "-1", "0", "null", "true",
                '""', '"x"', "[]", "{}", "[[[[[]]]]]", '{"a": 1}', "[Infinity]", "[1e999]",
                '{"epoch": [0], "history": {"loss": [' + "9" * 400 + "]}}",
                '{"epoch": [Infinity], "history": {}}', '{"bit_generator": "PCG64"}',
                '{"name": "adam", "slots": [], "n_params": 0}']


@st.composite
def resealed_metadata(draw, seeds):
    """A valid model or checkpoint whose metadata entries were replaced, digests recomputed."""
    import safetensors.numpy
    from safetensors import safe_open

    raw = draw(st.sampled_from(seeds))
    path = targets.scratch_file("meta-seed.safetensors", raw)
    with safe_open(path, "np") as f:
        tensors = {k: f.get_tensor(k) for k in f.keys()}
        meta = dict(f.metadata())
    config = json.loads(meta["config"])  # first edit the architecture's entries...
    for _ in range(draw(st.integers(0, 2))):
        key = draw(st.sampled_from(["layers", "optimizer", "loss", "dtype", "sample_shape"]))
        value = draw(st.sampled_from(_JSON_VALUES) | st.text(max_size=20))
        config[key] = json.loads(value) if _is_json(value) else value
    meta["config"] = json.dumps(config)
    for _ in range(draw(st.integers(0, 2))):  # ...then any metadata entry
        meta[draw(st.sampled_from(sorted(meta)))] = draw(st.sampled_from(_JSON_VALUES)
                                                         | st.text(max_size=20))
    from neuronal.io.format import seal

    return safetensors.numpy.save(tensors, metadata=seal(tensors, meta))


def _is_json(text):
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def test_resealed_metadata_gives_only_model_file_errors(seeds):
    @settings(max_examples=1500, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(resealed_metadata(seeds["load"]))
    def run(data):
        targets.fuzz_load(data)

    run()
