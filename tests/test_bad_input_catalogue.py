"""The bad-input catalogue (issue 16): what a user or a file can get wrong, one row per case.

Every row states the exception (a ``NeuronalError`` subclass) and a fragment of its message, or
for the command line the exit status (1 for errors, 2 for usage errors) and a fragment of the
one line it prints. Adding a case is one line:

* ``P(id, lambda f: call, Error, "fragment")`` for the Python API; ``f`` is a folder of ready
  bad files (see ``files`` below: ``f / "name"``);
* ``C(id, "neuronal arguments with {d} for that folder", status, "fragment")`` for the CLI.

The fragment is a regular expression searched in the message.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import pickle
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pytest
import safetensors.numpy

import neuronal as nl
from neuronal import cli, datasets
from neuronal import io as nio
from neuronal.errors import DataError, ModelFileError, NeuronalError, ShapeError
from neuronal.images import load_digit_image
from neuronal.io.writing import _layer_tensors, _metadata


class P(NamedTuple):
    id: str
    call: Callable[[Path], Any]
    error: type
    fragment: str


class C(NamedTuple):
    id: str
    argv: str
    status: int
    fragment: str


X4, Y2 = np.ones((6, 4)), np.array([0, 1, 0, 1, 0, 1])


def _net(**kw):
    return nl.Network.from_shape("4x3x2", seed=0, **kw)


def _fit(X=X4, y=Y2, **kw):
    kw.setdefault("epochs", 1)
    kw.setdefault("verbose", 0)
    return _net().fit(X, y, **kw)


# ----------------------------------------------------------------------------- bad files


def _model_file(tensors=None, meta=None, edit=None, reseal=True) -> bytes:
    net = _net()
    t, m = _layer_tensors(net), _metadata(net, "model")
    t = tensors if tensors is not None else t
    if edit:
        edit(t, m)
    return safetensors.numpy.save(t, metadata=nio._seal(t, m) if reseal else m)


def _set_meta(key, value):
    def edit(t, m):
        m[key] = value
    return edit


def _set_config(key, value):
    def edit(t, m):
        c = json.loads(m["config"])
        c[key] = value
        m["config"] = json.dumps(c)
    return edit


def _raw_header(header: dict, tail: bytes = b"") -> bytes:
    text = json.dumps(header).encode()
    return len(text).to_bytes(8, "little") + text + tail


def _idx(type_code=8, dims=(2, 3), data=None) -> bytes:
    head = bytes([0, 0, type_code, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims)
    return head + (bytes(int(np.prod(dims))) if data is None else data)


def _png(size=(16, 16), ink=True) -> bytes:
    from PIL import Image

    img = np.zeros(size[::-1], dtype=np.uint8)
    if ink:
        img[3:12, 7:9] = 255
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()


def _png_header(width: int, height: int) -> bytes:
    """A PNG that only declares its size (IHDR) and ends: what a decompression bomb shows."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(bytes(64))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _edited_after_sealing() -> bytes:
    net = _net()
    t, m = _layer_tensors(net), _metadata(net, "model")
    m = nio._seal(t, m)
    m["epochs_trained"] = "5"  # changed after the digests were computed
    return safetensors.numpy.save(t, metadata=m)


def _nonfinite_model() -> bytes:
    net = _net()
    net.layers[0].weights[0, 0] = np.nan
    t, m = _layer_tensors(net), _metadata(net, "model")
    return safetensors.numpy.save(t, metadata=nio._seal(t, m))


def _bomb_gz() -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = bytes([0, 0, 8, 1]) + (10).to_bytes(4, "big")
    return c.compress(head) + b"".join(c.compress(bytes(1 << 20)) for _ in range(32)) + c.flush()


FILES: dict[str, Callable[[], bytes | str]] = {
    "model.safetensors": lambda: _model_file(),
    "empty.safetensors": lambda: b"",
    "short.safetensors": lambda: b"\x05\x00",
    "truncated.safetensors": lambda: _model_file()[:-10],
    "trailing.safetensors": lambda: _model_file() + b"\0\0",
    "flipped.safetensors": lambda: _model_file()[:-1] + bytes([_model_file()[-1] ^ 1]),
    "pickle.pt": lambda: pickle.dumps({"w": [1, 2]}, protocol=4),
    "zip.pt": lambda: b"PK\x03\x04" + bytes(60),
    "array.npy": lambda: b"\x93NUMPY" + bytes(60),
    "keras.h5": lambda: b"\x89HDF\r\n\x1a\n" + bytes(60),
    "text.safetensors": lambda: "just some text, not a model at all\n",
    "list-header.safetensors": lambda: _raw_header([1, 2]),  # type: ignore[arg-type]
    "bad-json.safetensors": lambda: b"\x05\x00\x00\x00\x00\x00\x00\x00{abc}",
    "foreign.safetensors": lambda: safetensors.numpy.save(
        {"fc.weight": np.zeros((2, 2), np.float32)}, metadata={"format": "pt"}),
    "newer.safetensors": lambda: _model_file(edit=_set_meta("format_version", "7")),
    "edited.safetensors": lambda: _edited_after_sealing(),
    "no-config.safetensors": lambda: _model_file(edit=lambda t, m: m.pop("config")),
    "unknown-layer.safetensors": lambda: _model_file(edit=_set_config(
        "layers", [{"type": "os.system", "config": {}}])),
    "huge-dense.safetensors": lambda: _model_file(edit=_set_config(
        "layers", [{"type": "Dense", "config": {"n_inputs": 16000, "n_neurons": 16000}}])),
    "lying-header.safetensors": lambda: _raw_header({
        "__metadata__": {"format": "neuronal", "format_version": "1"},
        "0.weight": {"dtype": "F32", "shape": [16000, 16000], "data_offsets": [0, 1024000000]}}),
    "bf16.safetensors": lambda: _raw_header({
        "__metadata__": {"format": "neuronal", "format_version": "1"},
        "0.weight": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}, bytes(4)),
    "dup-key.safetensors": lambda: b"".join([(40).to_bytes(8, "little"),
                                             b'{"a": 1, "a": 2}'.ljust(40)]),
    "inf-history.safetensors": lambda: _model_file(edit=_set_meta(
        "history", '{"epoch": [Infinity], "history": {}}')),
    "bigint-history.safetensors": lambda: _model_file(edit=_set_meta(
        "history", '{"epoch": [0], "history": {"loss": [' + "9" * 400 + "]}}")),
    "bad-epochs.safetensors": lambda: _model_file(edit=_set_meta("epochs_trained", "-3")),
    "bad-dtype.safetensors": lambda: _model_file(edit=_set_config("dtype", "int8")),
    "wrong-shape.safetensors": lambda: _model_file(edit=lambda t, m: t.update(
        {"0.weight": np.zeros((5, 5), np.float32)})),
    "missing-tensor.safetensors": lambda: _model_file(edit=lambda t, m: t.pop("1.bias")),
    "nonfinite.safetensors": _nonfinite_model,
    "data.csv": lambda: "a,b,label\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n9,0,0\n",
    "labelled.csv": lambda: "a,b,c,d,label\n1,2,3,4,0\n",
    "empty.csv": lambda: "",
    "header-only.csv": lambda: "a,b,label\n",
    "one-column.csv": lambda: "label\n1\n2\n",
    "ragged.csv": lambda: "a,b,label\n1,2,0\n3,4\n",
    "text-field.csv": lambda: "a,b,label\n1,two,0\n",
    "nan-field.csv": lambda: "a,b,label\n1,nan,0\n",
    "inf-field.csv": lambda: "a,b,label\n1,inf,0\n",
    "empty-field.csv": lambda: "a,b,label\n1,,0\n",
    "overflow.csv": lambda: "a,b,label\n1,1e39,0\n",
    "overflow-target.csv": lambda: "a,b,label\n1,2,0.5\n1,2,1e39\n",
    "latin1.csv": lambda: b"a,b,label\n1,2,0\n" + b"\xe9\xff,1,1\n",
    "nul.csv": lambda: b"a,b,label\n1,\x002,0\n",
    "bad-quote.csv": lambda: 'a,b,label\n"1,2,0\n',
    "dup-names.csv": lambda: "a,a,label\n1,2,0\n",
    "digit.png": lambda: _png(),
    "blank.png": lambda: _png(ink=False),
    "text.png": lambda: "a picture? no, just text\n",
    "bomb.png": lambda: _png_header(100_000, 100_000),
    "too-big.png": lambda: _png_header(8000, 7000),
    "truncated.png": lambda: _png()[:40],
    "idx-ok": lambda: _idx(),
    "idx-magic": lambda: b"\x01\x02" + _idx()[2:],
    "idx-type": lambda: _idx(type_code=0x0A),
    "idx-zero-dims": lambda: bytes([0, 0, 8, 0]),
    "idx-65-dims": lambda: bytes([0, 0, 8, 65]) + bytes(4 * 65),
    "idx-short-header": lambda: bytes([0, 0, 8, 3, 0, 0]),
    "idx-truncated": lambda: _idx(dims=(4, 4), data=bytes(10)),
    "idx-trailing": lambda: _idx() + b"xx",
    "idx-int64-overflow": lambda: _idx(dims=(0xFFFFFFFF,) * 3, data=b""),
    "idx-too-big-zero": lambda: _idx(dims=(0, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF), data=b""),
    "idx-bad.gz": lambda: b"\x1f\x8bgarbage",
    "idx-truncated.gz": lambda: gzip.compress(_idx(), mtime=0)[:-12],
    "idx-bomb.gz": _bomb_gz,
    **{f"mnist-bad/mnist/{stem}.gz": (lambda: gzip.compress(_idx(), mtime=0))
       for stem in datasets.mnist.FILES},  # four files with the wrong content
}


@pytest.fixture(autouse=True)
def no_real_data(tmp_path, monkeypatch):
    """No case may find the real data sets or reach a mirror."""
    monkeypatch.setenv("NEURONAL_DATA", str(tmp_path / "no-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name in ("mnist", "fashion-mnist"):
        monkeypatch.setitem(datasets.mnist.MIRRORS, name, [])


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bad-inputs")
    for name, make in FILES.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = make()
        path.write_bytes(data.encode() if isinstance(data, str) else data)
    (folder / "a-folder").mkdir()
    return folder


# ----------------------------------------------------------------------------- the Python API

_DS = datasets
PY = [
    # network shapes and construction
    P("shape-junk", lambda f: nl.Network.from_shape("4xax2"), NeuronalError, "like '784x16x10'"),
    P("shape-one-size", lambda f: nl.Network.from_shape("4"), NeuronalError, "at least two"),
    P("shape-negative", lambda f: nl.Network.from_shape("4x-3x2"), NeuronalError, "got '4x-3x2'"),
    P("shape-zero", lambda f: nl.Network.from_shape("4x0x2"), NeuronalError, "positive sizes"),
    P("shape-none", lambda f: nl.Network.from_shape(None), NeuronalError, "got None"),
    P("shape-empty", lambda f: nl.Network.from_shape(""), NeuronalError, "got ''"),
    P("shape-astronomic", lambda f: nl.Network.from_shape("9" * 30 + "x2"), NeuronalError,
      "memory is available: use smaller layers"),
    P("shape-1e6-squared", lambda f: nl.Network.from_shape("1000000x1000000x10"), NeuronalError,
      r"weights of shape \(1000000, 1000000\) in float32 need 4.0 TB"),
    P("hidden-unknown", lambda f: _net(hidden="banana"), NeuronalError, "unknown activation"),
    P("output-int", lambda f: _net(output=3), NeuronalError, "activation name .* got int 3"),
    P("loss-unknown", lambda f: _net(loss="banana"), NeuronalError, "unknown loss 'banana'"),
    P("optimizer-unknown", lambda f: _net(optimizer="banana"), NeuronalError,
      "unknown optimizer 'banana': expected one of adam"),
    P("optimizer-int", lambda f: _net(optimizer=5), NeuronalError, "Optimizer instance, got int"),
    P("dtype-int8", lambda f: _net(dtype="int8"), NeuronalError, "'float32' or 'float64'"),
    P("dtype-float16", lambda f: _net(dtype="float16"), NeuronalError, "got 'float16'"),
    P("network-empty", lambda f: nl.Network([]), NeuronalError, "at least one layer"),
    P("network-not-layer", lambda f: nl.Network([3]), NeuronalError, "must be a neuronal Layer"),
    P("network-sizes", lambda f: nl.Network([nl.Dense(4, 3), nl.Dense(5, 2)]), ShapeError,
      "make the sizes match"),
    P("bce-after-softmax", lambda f: _net(loss="binary_cross_entropy"), NeuronalError,
      "needs a sigmoid output layer"),
    # layers
    P("dense-zero", lambda f: nl.Dense(0, 3), ShapeError, "positive integer, got 0"),
    P("dense-float", lambda f: nl.Dense(2.5, 3), ShapeError, "got 2.5"),
    P("dense-str", lambda f: nl.Dense("4", 3), ShapeError, "got '4'"),
    P("dense-bool", lambda f: nl.Dense(True, 3), ShapeError, "got True"),
    P("dense-activation", lambda f: nl.Dense(4, 3, activation="banana"), NeuronalError,
      "unknown activation 'banana'"),
    P("dense-init", lambda f: nl.Dense(4, 3, weight_init="banana"), NeuronalError,
      "unknown initializer 'banana'"),
    P("conv-kernel-0", lambda f: nl.Conv2D(1, 2, 0), NeuronalError, "kernel_size must be"),
    P("conv-padding", lambda f: nl.Conv2D(1, 2, 3, padding="banana"), NeuronalError,
      "'same' or 'valid'"),
    P("conv-stride-0", lambda f: nl.Conv2D(1, 2, 3, stride=0), NeuronalError, "stride must be"),
    P("maxpool-0", lambda f: nl.MaxPool2D(0), NeuronalError, "kernel_size must be"),
    P("lstm-0", lambda f: nl.LSTM(0, 3), ShapeError, "LSTM n_inputs must be a positive"),
    P("embedding-0", lambda f: nl.Embedding(0, 3), ShapeError, "num_embeddings"),
    P("embedding-padding", lambda f: nl.Embedding(5, 3, padding_idx=9), ShapeError,
      r"padding_idx must be a token id in 0..4"),
    P("batchnorm-0", lambda f: nl.BatchNorm(0), ShapeError, "num_features must be a positive"),
    P("batchnorm-str", lambda f: nl.BatchNorm("a"), ShapeError, "got 'a'"),
    P("batchnorm-momentum", lambda f: nl.BatchNorm(3, momentum=2), NeuronalError,
      r"momentum must be in \[0, 1\]"),
    P("reshape-two-minus-ones", lambda f: nl.Reshape((-1, -1)), NeuronalError, "at most one -1"),
    P("reshape-str", lambda f: nl.Reshape("ab"), NeuronalError, "tuple of positive sizes"),
    P("flatten-negative", lambda f: nl.Flatten(-5), NeuronalError, "start_dim must be"),
    P("activation-unknown", lambda f: nl.Activation("banana"), NeuronalError, "unknown activation"),
    P("dropout-str", lambda f: nl.Dropout("a"), NeuronalError,
      r"rate must be in \[0, 1\) \(a number.*got 'a'"),
    P("dropout-none", lambda f: nl.Dropout(None), NeuronalError, "got None"),
    P("dropout-bool", lambda f: nl.Dropout(True), NeuronalError, "got True"),
    P("dropout-nan", lambda f: nl.Dropout(float("nan")), NeuronalError, "got nan"),
    P("dropout-one", lambda f: nl.Dropout(1.0), NeuronalError, "got 1.0"),
    P("dropout-list", lambda f: nl.Dropout([0.1]), NeuronalError, r"got \[0.1\]"),
    P("perceptron-0", lambda f: nl.Perceptron(0), ShapeError, "n_inputs must be >= 1"),
    # optimisers and schedules
    P("sgd-lr-negative", lambda f: nl.SGD(learning_rate=-1), NeuronalError, "finite number > 0"),
    P("sgd-lr-str", lambda f: nl.SGD(learning_rate="a"), NeuronalError, "got 'a'"),
    P("sgd-lr-nan", lambda f: nl.SGD(learning_rate=float("nan")), NeuronalError, "got nan"),
    P("adam-beta1-1", lambda f: nl.Adam(beta1=1.0), NeuronalError, r"beta1 must be in \[0, 1\)"),
    P("adam-epsilon", lambda f: nl.Adam(epsilon=-1), NeuronalError, "epsilon must be"),
    P("schedule-unknown", lambda f: nl.schedules.get("banana"), NeuronalError,
      "unknown schedule 'banana'"),
    # training data: shapes, dtypes, values
    P("X-strings", lambda f: _fit(X="abc"), DataError, "must contain numbers, got dtype <U3"),
    P("X-ragged", lambda f: _fit(X=[[1, 2], [1]]), DataError, "rectangular array"),
    P("X-empty", lambda f: _fit(X=np.zeros((0, 4)), y=[]), DataError, r"X is empty"),
    P("X-width", lambda f: _fit(X=np.ones((6, 3))), ShapeError, "each sample needs 4 features"),
    P("X-nan", lambda f: _fit(X=np.full((6, 4), np.nan)), DataError, "NaN or infinite"),
    P("X-inf", lambda f: _fit(X=np.full((6, 4), -np.inf)), DataError, r"first at index \(0, 0\)"),
    P("X-beyond-float32", lambda f: _fit(X=np.full((6, 4), 1e39)), DataError,
      "too large for float32.*dtype='float64'"),
    P("X-beyond-float32-one", lambda f: _fit(X=np.where(np.eye(6, 4) > 0, -5e38, 1.0)),
      DataError, r"first at index \(0, 0\): -5e\+38"),
    P("X-complex", lambda f: _fit(X=np.ones((6, 4), complex)), DataError, "complex128"),
    P("X-object", lambda f: _fit(X=np.array([[None] * 4] * 6)), DataError, "dtype object"),
    P("X-3d-for-dense", lambda f: _fit(X=np.ones((6, 2, 2))), ShapeError, "expects input"),
    P("y-short", lambda f: _fit(y=Y2[:3]), DataError, "X has 6 samples but y has 3"),
    P("y-label-too-big", lambda f: _fit(y=[0, 1, 2, 1, 0, 1]), DataError,
      "give the last layer 3 neurons"),
    P("y-label-negative", lambda f: _fit(y=[0, 1, -1, 1, 0, 1]), DataError, "from -1 to 1"),
    P("y-label-uint64", lambda f: _fit(y=np.array([2**63 + 1, 0, 0, 0, 0, 0], np.uint64)),
      DataError, "from 0 to 9223372036854775809"),
    P("y-label-huge-float", lambda f: _fit(y=[0, 1, 1e300, 1, 0, 1]), DataError,
      "relabel the classes"),
    P("y-fractional", lambda f: _fit(y=[0, 1, 0.5, 1, 0, 1]), DataError, "such as 0.5"),
    P("y-nan", lambda f: _fit(y=[0, 1, np.nan, 1, 0, 1]), DataError, "y contains NaN"),
    P("y-strings", lambda f: _fit(y=["a"] * 6), DataError, "y must contain numbers"),
    P("y-onehot-zero-rows", lambda f: _fit(y=np.zeros((6, 2))), DataError, "row 0 is all zeros"),
    P("y-onehot-sum-2", lambda f: _fit(y=np.ones((6, 2))), DataError, "row 0 sums to 2"),
    P("y-onehot-one-bad-row", lambda f: _fit(y=np.eye(2)[[0, 1, 0, 1, 0, 1]] * [[1], [1], [1],
                                                                             [1], [1], [0.5]]),
      DataError, "row 5 sums to 0.5 .1 such row"),
    P("y-onehot-negative", lambda f: _fit(y=-np.ones((6, 2))), DataError, r"lie in \[0, 1\]"),
    P("y-3d", lambda f: _fit(y=np.zeros((6, 2, 2))), ShapeError, "one-hot rows of shape"),
    P("y-regression-overflow", lambda f: nl.Network.from_shape("4x3x1", output="linear").fit(
        X4, np.full(6, 1e39), epochs=1, verbose=0), DataError, "y holds finite values too large"),
    P("y-binary-range", lambda f: nl.Network.from_shape(
        "4x3x1", output="sigmoid", loss="binary_cross_entropy").fit(
        X4, np.full(6, 2.0), epochs=1, verbose=0), DataError, r"must lie in \[0, 1\]"),
    P("epochs-negative", lambda f: _fit(epochs=-1), NeuronalError, "epochs must be an integer"),
    P("epochs-str", lambda f: _fit(epochs="a"), NeuronalError, "got 'a'"),
    P("epochs-float", lambda f: _fit(epochs=1.5), NeuronalError, "got 1.5"),
    P("batch-0", lambda f: _fit(batch_size=0), DataError, "batch_size must be an integer >= 1"),
    P("batch-str", lambda f: _fit(batch_size="a"), DataError, "got 'a'"),
    P("batch-bool", lambda f: _fit(batch_size=True), DataError, "got True"),
    P("callbacks-not-a-list", lambda f: _fit(callbacks=nl.EarlyStopping()), NeuronalError,
      r"callbacks must be a list.*callbacks=\[EarlyStopping"),
    P("callbacks-int", lambda f: _fit(callbacks=[3]), NeuronalError,
      "callbacks.0. must be a neuronal Callback"),
    P("diverging-unscaled-inputs", lambda f: nl.Network.from_shape(
        "4x3x1", output="linear", optimizer=nl.SGD(learning_rate=1e3), seed=0).fit(
        np.random.default_rng(0).standard_normal((32, 4)) * 1e6, np.ones(32), epochs=3,
        verbose=0), nl.TrainingDivergedError, "training stopped: the loss became"),
    P("validation-data-single", lambda f: _fit(validation_data=(X4,)), NeuronalError,
      r"pair \(X_val, y_val\)"),
    P("resume-without-checkpoint", lambda f: _fit(resume=True), NeuronalError,
      "resume=True needs checkpoint="),
    P("checkpoint-is-folder", lambda f: _fit(checkpoint=f / "a-folder"), NeuronalError,
      "is a directory; give a file name"),
    P("checkpoint-below-file", lambda f: _fit(checkpoint=f / "data.csv" / "run.ckpt"),
      NeuronalError, "is a file, not a folder"),
    P("resume-from-model-file", lambda f: _fit(checkpoint=f / "model.safetensors", resume=True),
      ModelFileError, "not a training checkpoint"),
    # prediction
    P("predict-width", lambda f: _net().predict(np.ones((2, 5))), ShapeError, "needs 4 features"),
    P("predict-1d", lambda f: _net().predict(np.ones(4)), ShapeError, "x.reshape.1, -1."),
    P("predict-nan", lambda f: _net().predict(np.full((2, 4), np.nan)), DataError, "NaN"),
    P("predict-empty", lambda f: _net().predict(np.zeros((0, 4))), DataError, "X is empty"),
    P("predict-strings", lambda f: _net().predict("abc"), DataError, "must contain numbers"),
    P("predict-beyond-float32", lambda f: _net().predict(np.full((1, 4), 3.5e38)), DataError,
      "too large for float32"),
    P("evaluate-labels", lambda f: _net().evaluate(X4, [9] * 6), DataError, "from 9 to 9"),
    P("set-weights-count", lambda f: _net().set_weights([]), ShapeError, "expected weights for 2"),
    # saving
    P("save-not-network", lambda f: nl.save("net", f / "x.safetensors"), NeuronalError,
      "takes a neuronal Network, got str"),
    P("save-int-path", lambda f: nl.save(_net(), 3), NeuronalError, "expected a file path"),
    P("save-folder", lambda f: nl.save(_net(), f / "a-folder"), NeuronalError, "is a directory"),
    P("save-below-file", lambda f: nl.save(_net(), f / "data.csv" / "m.safetensors"),
      NeuronalError, r"data\.csv' is a file, not a folder"),
    P("save-nul", lambda f: nl.save(_net(), "a\0b"), NeuronalError, "without NUL characters"),
    P("save-empty-path", lambda f: nl.save(_net(), ""), NeuronalError, "got an empty path"),
    P("checkpoint-not-network", lambda f: nio.save_checkpoint(3, f / "c"), NeuronalError,
      "takes a neuronal Network, got int"),
    # loading model files
    P("load-missing", lambda f: nl.load(f / "nope.safetensors"), ModelFileError,
      "no such file.*check the path"),
    P("load-folder", lambda f: nl.load(f / "a-folder"), ModelFileError, "is a directory"),
    P("load-int", lambda f: nl.load(3), ModelFileError, "expected a file path"),
    P("load-nul", lambda f: nl.load("a\0b"), ModelFileError, "cannot read"),
    P("load-device", lambda f: nl.load("/dev/null"), ModelFileError, "not a regular file"),
    P("load-empty", lambda f: nl.load(f / "empty.safetensors"), ModelFileError, "only 0 bytes"),
    P("load-short", lambda f: nl.load(f / "short.safetensors"), ModelFileError, "too short"),
    P("load-truncated", lambda f: nl.load(f / "truncated.safetensors"), ModelFileError,
      "truncated"),
    P("load-trailing", lambda f: nl.load(f / "trailing.safetensors"), ModelFileError,
      "2 bytes follow the last tensor"),
    P("load-flipped-byte", lambda f: nl.load(f / "flipped.safetensors"), ModelFileError,
      "tensor data were altered"),
    P("load-pickle", lambda f: nl.load(f / "pickle.pt"), ModelFileError, "never unpickles"),
    P("load-zip", lambda f: nl.load(f / "zip.pt"), ModelFileError, "zip archive"),
    P("load-npy", lambda f: nl.load(f / "array.npy"), ModelFileError, r"NumPy \.npy"),
    P("load-hdf5", lambda f: nl.load(f / "keras.h5"), ModelFileError, "HDF5"),
    P("load-text", lambda f: nl.load(f / "text.safetensors"), ModelFileError,
      "not a safetensors file"),
    P("load-csv-as-model", lambda f: nl.load(f / "data.csv"), ModelFileError, "announce a header"),
    P("load-list-header", lambda f: nl.load(f / "list-header.safetensors"), ModelFileError,
      "header is a JSON list"),
    P("load-bad-json", lambda f: nl.load(f / "bad-json.safetensors"), ModelFileError,
      "not valid JSON"),
    P("load-duplicate-key", lambda f: nl.load(f / "dup-key.safetensors"), ModelFileError,
      "appears twice"),
    P("load-foreign", lambda f: nl.load(f / "foreign.safetensors"), ModelFileError,
      "not one written by neuronal.*set_weights"),
    P("load-newer", lambda f: nl.load(f / "newer.safetensors"), ModelFileError,
      "newer neuronal: upgrade"),
    P("load-edited-metadata", lambda f: nl.load(f / "edited.safetensors"), ModelFileError,
      "metadata were altered"),
    P("load-no-config", lambda f: nl.load(f / "no-config.safetensors"), ModelFileError,
      r"metadata keys \['config'\] are missing"),
    P("load-unknown-layer", lambda f: nl.load(f / "unknown-layer.safetensors"), ModelFileError,
      "unknown type 'os.system'"),
    P("load-huge-dense-tiny-file", lambda f: nl.load(f / "huge-dense.safetensors"),
      ModelFileError, r"tensors do not fit the saved architecture.*unexpected \['1.bias'"),
    P("load-lying-header", lambda f: nl.load(f / "lying-header.safetensors"), ModelFileError,
      "truncated: its header declares 1024000000 bytes"),
    P("load-bf16", lambda f: nl.load(f / "bf16.safetensors"), ModelFileError, "dtype 'BF16'"),
    P("load-infinity-history", lambda f: nl.load(f / "inf-history.safetensors"), ModelFileError,
      "metadata 'history' should be"),
    P("load-400-digit-history", lambda f: nl.load(f / "bigint-history.safetensors"),
      ModelFileError, "metadata 'history' should be"),
    P("load-negative-epochs", lambda f: nl.load(f / "bad-epochs.safetensors"), ModelFileError,
      "'epochs_trained' should be an integer >= 0"),
    P("load-int8-dtype", lambda f: nl.load(f / "bad-dtype.safetensors"), ModelFileError,
      "dtype 'int8'"),
    P("load-wrong-shape", lambda f: nl.load(f / "wrong-shape.safetensors"), ModelFileError,
      r"'0.weight' should be float32 of shape \(3, 4\)"),
    P("load-missing-tensor", lambda f: nl.load(f / "missing-tensor.safetensors"), ModelFileError,
      r"missing \['1.bias'\]"),
    P("load-nonfinite", lambda f: nl.load(f / "nonfinite.safetensors"), ModelFileError,
      "NaN or infinite values.*allow_nonfinite=True"),
    P("load-checkpoint-from-model", lambda f: nio.load_checkpoint(_net(), f / "model.safetensors"),
      ModelFileError, "not a training checkpoint"),
    P("load-checkpoint-into-str", lambda f: nio.load_checkpoint("net", f / "model.safetensors"),
      NeuronalError, "takes a neuronal Network"),
    P("torch-state-dict-of-junk", lambda f: nio.to_torch_state_dict(f / "pickle.pt"),
      ModelFileError, "pickle"),
    # CSV files
    P("csv-missing", lambda f: _DS.load_csv(f / "nope.csv", target="label"), DataError,
      "does not exist"),
    P("csv-folder", lambda f: _DS.load_csv(f / "a-folder", target="label"), DataError,
      "is a folder"),
    P("csv-int-path", lambda f: _DS.load_csv(3, target="label"), DataError, "expected a file path"),
    P("csv-unknown-target", lambda f: _DS.load_csv(f / "data.csv", target="zz"), DataError,
      "unknown target column 'zz'"),
    P("csv-target-float", lambda f: _DS.load_csv(f / "data.csv", target=1.5), DataError,
      "got float 1.5"),
    P("csv-target-range", lambda f: _DS.load_csv(f / "data.csv", target=7), DataError,
      "out of range for 3 column"),
    P("csv-target-name-no-header", lambda f: _DS.load_csv(f / "data.csv", target="a",
                                                          header=False), DataError,
      "header=False"),
    P("csv-delimiter", lambda f: _DS.load_csv(f / "data.csv", target="label", delimiter=";;"),
      DataError, "single character"),
    P("csv-empty", lambda f: _DS.load_csv(f / "empty.csv", target=0), DataError, "is empty"),
    P("csv-header-only", lambda f: _DS.load_csv(f / "header-only.csv", target="label"),
      DataError, "no data rows"),
    P("csv-one-column", lambda f: _DS.load_csv(f / "one-column.csv", target="label"), DataError,
      "only the target column"),
    P("csv-ragged", lambda f: _DS.load_csv(f / "ragged.csv", target="label"), DataError,
      "line 3: expected 3 fields"),
    P("csv-text", lambda f: _DS.load_csv(f / "text-field.csv", target="label"), DataError,
      "column 'b': expected a finite number, got 'two'"),
    P("csv-nan", lambda f: _DS.load_csv(f / "nan-field.csv", target="label"), DataError,
      "got 'nan'"),
    P("csv-inf", lambda f: _DS.load_csv(f / "inf-field.csv", target="label"), DataError,
      "got 'inf'"),
    P("csv-empty-field", lambda f: _DS.load_csv(f / "empty-field.csv", target="label"),
      DataError, "an empty field"),
    P("csv-overflow", lambda f: _DS.load_csv(f / "overflow.csv", target="label"), DataError,
      "line 2, column 'b': the value 1e\\+39 overflows float32"),
    P("csv-overflow-target", lambda f: _DS.load_csv(f / "overflow-target.csv", target="label"),
      DataError, "line 3, column 'label': the target 1e\\+39 overflows"),
    P("csv-not-utf8", lambda f: _DS.load_csv(f / "latin1.csv", target="label"), DataError,
      "not UTF-8"),
    P("csv-nul", lambda f: _DS.load_csv(f / "nul.csv", target="label"), DataError,
      "not valid CSV|expected a finite number"),
    P("csv-bad-quote", lambda f: _DS.load_csv(f / "bad-quote.csv", target="label"), DataError,
      "expected 3 fields|not valid CSV"),
    P("csv-duplicate-names", lambda f: _DS.load_csv(f / "dup-names.csv", target="a"), DataError,
      "2 columns named 'a'"),
    # data sets
    P("dataset-unknown", lambda f: _DS.load_dataset("banana"), DataError,
      "unknown data set 'banana'"),
    P("dataset-int", lambda f: _DS.load_dataset(3), DataError, "must be a string or a path"),
    P("dataset-csv-no-target", lambda f: _DS.load_dataset(str(f / "data.csv")), DataError,
      "needs the target column"),
    P("dataset-option", lambda f: _DS.load_dataset("xor", banana=1), DataError,
      "does not accept banana"),
    P("dataset-test-fraction", lambda f: _DS.load_dataset("moons", test_fraction=2), DataError,
      r"test_fraction must be in \[0, 1\)"),
    P("dataset-test-fraction-str", lambda f: _DS.load_dataset("moons", test_fraction="a"),
      DataError, "must be a number"),
    P("mnist-dtype", lambda f: _DS.load_mnist(f, download=False, dtype="int8"), DataError,
      "floating dtype when normalize=True"),
    P("mnist-dtype-junk", lambda f: _DS.load_mnist(f, download=False, dtype="no-such"),
      DataError, "NumPy floating dtype"),
    P("mnist-data-dir-empty", lambda f: _DS.load_mnist(data_dir=""), DataError,
      "data_dir is an empty string"),
    P("mnist-not-found", lambda f: _DS.load_mnist(f / "a-folder", download=False),
      datasets.DatasetNotFoundError, "downloading is off"),
    P("mnist-wrong-file", lambda f: _DS.load_mnist(f / "mnist-bad", download=False), DataError,
      "is not the MNIST file train-images-idx3-ubyte"),
    # IDX files
    P("idx-missing", lambda f: _DS.read_idx(f / "nope"), DataError, "does not exist"),
    P("idx-magic", lambda f: _DS.read_idx(f / "idx-magic"), DataError, "bad magic number"),
    P("idx-type", lambda f: _DS.read_idx(f / "idx-type"), DataError, "unknown data type code 0x0A"),
    P("idx-zero-dims", lambda f: _DS.read_idx(f / "idx-zero-dims"), DataError, "0 dimensions"),
    P("idx-65-dims", lambda f: _DS.read_idx(f / "idx-65-dims"), DataError,
      "declares 65 dimensions: expected at most"),
    P("idx-short-header", lambda f: _DS.read_idx(f / "idx-short-header"), DataError,
      "truncated: its header declares 3 dimension"),
    P("idx-truncated", lambda f: _DS.read_idx(f / "idx-truncated"), DataError,
      "is truncated.*16 data bytes"),
    P("idx-trailing", lambda f: _DS.read_idx(f / "idx-trailing"), DataError, "trailing bytes"),
    P("idx-int64-overflow", lambda f: _DS.read_idx(f / "idx-int64-overflow"), DataError,
      r"79228162458924105385300197375 data bytes"),
    P("idx-too-big-for-numpy", lambda f: _DS.read_idx(f / "idx-too-big-zero"), DataError,
      "too large for an array"),
    P("idx-bad-gzip", lambda f: _DS.read_idx(f / "idx-bad.gz"), DataError, "damaged gzip"),
    P("idx-truncated-gzip", lambda f: _DS.read_idx(f / "idx-truncated.gz"), DataError,
      "damaged gzip"),
    P("idx-gzip-bomb", lambda f: _DS.read_idx(f / "idx-bomb.gz"), DataError,
      r"decompresses to more than 19 bytes \(what its IDX header declares"),
    P("idx-parse-str", lambda f: _DS.idx.parse_idx("abc"), DataError, "expected bytes, got str"),
    P("idx-write-int64", lambda f: _DS.write_idx(f / "w.idx", np.zeros(3, np.int64)), DataError,
      "cannot store dtype int64"),
    P("idx-write-0d", lambda f: _DS.write_idx(f / "w.idx", np.float32(1)), DataError,
      "1 to 255 dimensions"),
    # pictures
    P("image-missing", lambda f: load_digit_image(f / "nope.png"), DataError, "does not exist"),
    P("image-folder", lambda f: load_digit_image(f / "a-folder"), DataError, "is a folder"),
    P("image-text", lambda f: load_digit_image(f / "data.csv"), DataError,
      "cannot read .* as an image"),
    P("image-truncated", lambda f: load_digit_image(f / "truncated.png"), DataError,
      "cannot read .* as an image"),
    P("image-blank", lambda f: load_digit_image(f / "blank.png"), DataError, "looks blank"),
    P("image-bomb", lambda f: load_digit_image(f / "bomb.png"), DataError,
      "decompression bomb"),
    P("image-56-megapixels", lambda f: load_digit_image(f / "too-big.png"), DataError,
      "8000 x 7000 pixels .56 megapixels., more than the 50"),
    P("image-size-0", lambda f: load_digit_image(f / "digit.png", size=0), DataError,
      "size must be an integer from 1 to 4096, got 0"),
    P("image-size-str", lambda f: load_digit_image(f / "digit.png", size="28"), DataError,
      "got '28'"),
    P("image-box-negative", lambda f: load_digit_image(f / "digit.png", box=-3), DataError,
      "box must be"),
    P("image-path-int", lambda f: load_digit_image(3), DataError, "expected an image path"),
    # settings of a network and of fit (issue 16's raw TypeErrors/ValueErrors)
    P("dtype-banana", lambda f: _net(dtype="banana"), NeuronalError,
      "dtype must be 'float32' or 'float64', got 'banana'"),
    P("copy-dtype-banana", lambda f: _net().copy(dtype="banana"), NeuronalError,
      "dtype must be"),
    P("seed-text", lambda f: nl.Network.from_shape("4x2", seed="abc"), NeuronalError,
      "seed must be an integer >= 0"),
    P("seed-fraction", lambda f: nl.Network.from_shape("4x2", seed=1.5), NeuronalError,
      "got 1.5"),
    P("seed-negative", lambda f: nl.Network.from_shape("4x2", seed=-1), NeuronalError,
      "seed must be an integer >= 0"),
    P("callbacks-single", lambda f: _fit(callbacks=nl.EarlyStopping()), NeuronalError,
      r"callbacks=\[EarlyStopping\(...\)\]"),
    P("callbacks-junk", lambda f: _fit(callbacks=[print]), NeuronalError,
      "callbacks.0. must be a neuronal Callback"),
    P("verbose-text", lambda f: _fit(verbose="a"), NeuronalError, "verbose must be 0"),
    P("momentum-2", lambda f: nl.SGD(0.1, momentum=2), NeuronalError,
      r"momentum must be in \[0, 1\)"),
    P("shape-fractional", lambda f: nl.Network.from_shape([4.5, 2]), NeuronalError,
      "layer sizes"),
    P("softmax-of-one", lambda f: nl.Network([nl.Dense(4, 1, activation="softmax")]),
      NeuronalError, "softmax of 1 neuron, whose output is always 1.0"),
    P("workers-3", lambda f: _fit(workers=3), NeuronalError, "workers must be 1"),
    P("workers-2-batchnorm", lambda f: nl.Network([nl.Dense(4, 3), nl.BatchNorm(3),
                                                   nl.Dense(3, 2, activation="softmax")]
                                                  ).fit(X4, Y2, workers=2, verbose=0),
      NeuronalError, "each sample on its own"),
    P("sample-weight-short", lambda f: _fit(sample_weight=[1.0, 2.0]), DataError,
      "one weight per sample"),
    P("sample-weight-negative", lambda f: _fit(sample_weight=[-1.0] * 6), DataError, ">= 0"),
    P("validation-split-1", lambda f: _fit(validation_split=1.0), NeuronalError,
      "fraction in .0, 1."),
    P("validation-both", lambda f: _fit(validation_split=0.5, validation_data=(X4, Y2)),
      NeuronalError, "not both"),
    P("reduction-bad", lambda f: nl.losses.get("mse", reduction="total"), NeuronalError,
      "reduction must be 'mean'"),
    P("engine-bad", lambda f: nl.set_engine("turbo"), NeuronalError, "engine must be one of"),
    P("explain-step-big-batch", lambda f: _net().explain_step(np.ones((300, 4)),
                                                            np.zeros(300, int)),
      ShapeError, "small batch"),
]


@pytest.mark.parametrize("case", PY, ids=[c.id for c in PY])
def test_python_api(case: P, files):
    with pytest.raises(case.error, match=case.fragment) as info:
        case.call(files)
    assert isinstance(info.value, NeuronalError)
    assert str(info.value).strip()


# ----------------------------------------------------------------------------- the command line

CLI = [
    C("no-dataset", "train", 2, "the following arguments are required: dataset"),
    C("unknown-dataset", "train banana", 1, "unknown data set 'banana'"),
    C("unknown-command", "banana", 2, "invalid choice: 'banana'"),
    C("unknown-option", "--debugx", 2, "unrecognized arguments: --debugx"),
    C("epochs-negative", "train xor --epochs -1", 2, "--epochs: must be >= 1, got -1"),
    C("epochs-zero", "train xor --epochs 0", 2, "--epochs: must be >= 1, got 0"),
    C("epochs-text", "train xor --epochs a", 2, "expected a whole number >= 1, got 'a'"),
    C("batch-0", "train xor --batch-size 0", 2, "--batch-size: must be >= 1, got 0"),
    C("shape-zero", "train xor --shape 2x0x1", 1, "positive sizes"),
    C("shape-inputs", "train xor --shape 3x3x1", 1, "starts with 3 inputs but the data have 2"),
    C("shape-outputs", "train xor --shape 2x3x5", 1,
      r"ends with 5 outputs but the data have 2 classes: use --shape \.\.\.x1 or \.\.\.x2"),
    C("hidden-unknown", "train xor --hidden banana", 1, "unknown activation 'banana'"),
    C("optimizer-unknown", "train xor --optimizer banana", 2,
      r"--optimizer: invalid choice: 'banana' \(choose from 'sgd'"),
    C("learning-rate-negative", "train xor --learning-rate -1", 2, "must be > 0, got -1"),
    C("learning-rate-nan", "train xor --learning-rate nan", 2, "a finite number, got 'nan'"),
    C("learning-rate-inf", "train xor --learning-rate inf", 2, "a finite number, got 'inf'"),
    C("learning-rate-text", "train xor --learning-rate fast", 2, "expected a number, got 'fast'"),
    C("dtype-float16", "train xor --dtype float16", 2, "invalid choice: 'float16'"),
    C("validation-split-2", "train xor --validation-split 2", 2, r"must be in \[0, 1\), got 2"),
    C("momentum-negative", "train xor --momentum -1", 2, r"momentum: must be in \[0, 1\), got -1"),
    C("schedule-unknown", "train xor --schedule banana", 2, "invalid choice: 'banana'"),
    C("loss-unknown", "train xor --loss banana", 1, "unknown loss 'banana'"),
    C("model-unknown", "train xor --model banana", 2, "invalid choice: 'banana'"),
    C("out-below-file", "train xor --epochs 1 --out {d}/data.csv/m.safetensors", 2,
      r"data\.csv' is a file, not a folder\); pick another path"),
    C("checkpoint-folder", "train xor --epochs 1 --checkpoint {d}/a-folder", 2,
      r"cannot write there \(it is a folder\); pick another path"),
    C("train-samples-0", "train xor --train-samples 0", 2, "--train-samples: must be >= 1, got 0"),
    C("train-samples-negative", "train xor --train-samples -59990", 2, "got -59990"),
    C("weight-decay-negative", "train xor --weight-decay -1", 2, "must be >= 0, got -1"),
    C("plots-is-a-file", "train xor --epochs 1 --plots {d}/data.csv", 2,
      "this is a file, but a folder is needed; pick another path"),
    C("plot-out-below-file", "plot activations --out {d}/data.csv/a.png", 2,
      r"data\.csv' is a file, not a folder\); pick another path"),
    C("resume-without-checkpoint", "train xor --resume", 2, "--resume needs --checkpoint"),
    C("csv-no-target", "train {d}/data.csv", 1, "needs the target column"),
    C("csv-unknown-target", "train {d}/data.csv --target zz", 1, "unknown target column 'zz'"),
    C("csv-missing", "train {d}/nope.csv --target label", 1, "does not exist"),
    C("csv-ragged", "train {d}/ragged.csv --target label", 1, "line 3: expected 3 fields"),
    C("csv-text", "train {d}/text-field.csv --target label", 1, "got 'two'"),
    C("csv-overflow", "train {d}/overflow.csv --target label", 1, "overflows float32"),
    C("mnist-wrong-file", "train mnist --data-dir {d}/mnist-bad --no-download", 1,
      "is not the MNIST file"),
    C("evaluate-missing-model", "evaluate {d}/nope.safetensors xor", 1, "no such file"),
    C("evaluate-csv-as-model", "evaluate {d}/data.csv xor", 1, "announce a header"),
    C("evaluate-pickle", "evaluate {d}/pickle.pt xor", 1, "never unpickles"),
    C("evaluate-unknown-dataset", "evaluate {d}/model.safetensors banana", 1,
      "unknown data set 'banana'"),
    C("evaluate-wrong-width", "evaluate {d}/model.safetensors xor", 1, "needs 4 features"),
    C("evaluate-huge-dense", "evaluate {d}/huge-dense.safetensors xor", 1,
      "tensors do not fit the saved architecture"),
    C("evaluate-nonfinite", "evaluate {d}/nonfinite.safetensors xor", 1,
      "NaN or infinite values"),
    C("predict-missing-image", "predict {d}/model.safetensors {d}/nope.png", 1, "does not exist"),
    C("predict-text-image", "predict {d}/model.safetensors {d}/text.png", 1,
      "cannot read .* as an image"),
    C("predict-csv-wrong-width", "predict {d}/model.safetensors {d}/data.csv", 1,
      r"line 2: expected 4 feature values, got 3 \(the model takes 4 inputs per row\)"),
    C("predict-csv-with-label", "predict {d}/model.safetensors {d}/labelled.csv", 1,
      r"expected 4 feature values, got 5 \(drop the label column with --target NAME\)"),
    C("predict-bomb-image", "predict {d}/model.safetensors {d}/bomb.png", 1,
      "decompression bomb"),
    C("predict-blank-image", "predict {d}/model.safetensors {d}/blank.png", 1, "looks blank"),
    C("summary-missing", "summary {d}/nope", 1, "no such file"),
    C("summary-folder", "summary {d}/a-folder", 1, "is a directory"),
    C("summary-truncated", "summary {d}/truncated.safetensors", 1, "truncated"),
    C("summary-foreign", "summary {d}/foreign.safetensors", 1, "not one written by neuronal"),
    C("summary-newer", "summary {d}/newer.safetensors", 1, "upgrade neuronal"),
    C("summary-edited", "summary {d}/edited.safetensors", 1, "metadata were altered"),
    C("summary-history", "summary {d}/inf-history.safetensors", 1, "'history' should be"),
    C("explain-index", "explain {d}/model.safetensors xor --index 999", 1,
      "--index must be in 0..3, got 999"),
    C("explain-negative-index", "explain {d}/model.safetensors xor --index -999", 1,
      "got -999"),
    C("plot-unknown", "plot banana --out x.png", 2, "invalid choice: 'banana'"),
    C("plot-weights-without-model", "plot weights --out {d}/w.png", 2, "needs a model file"),
    C("plot-weights-missing-model", "plot weights {d}/nope --out {d}/w.png", 1, "no such file"),
]


def _run_cli(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = cli.main(argv)
        except SystemExit as exc:  # argparse (2), or sys.exit("message") (1)
            if isinstance(exc.code, str):
                print(exc.code, file=err)
                status = 1
            else:
                status = exc.code
    return status, err.getvalue()


@pytest.mark.parametrize("case", CLI, ids=[c.id for c in CLI])
def test_command_line(case: C, files, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    status, err = _run_cli(case.argv.format(d=files).split())
    lines = err.strip().splitlines()
    assert status == case.status, err
    assert lines, "no message"
    if status == 1:
        assert len(lines) == 1, err  # one line, no traceback
    assert lines[-1].startswith("neuronal") and "error" in lines[-1], lines[-1]
    assert pytest.importorskip("re").search(case.fragment, lines[-1]), lines[-1]


def test_the_catalogue_is_large():
    assert len(PY) + len(CLI) >= 150
    assert len({c.id for c in PY}) == len(PY) and len({c.id for c in CLI}) == len(CLI)
