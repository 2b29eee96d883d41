#!/usr/bin/env python
"""Peak memory and time of ``nl.load`` for a large model and for small hostile files.

Each load runs in a fresh Python process that imports neuronal, resets its peak-RSS counter
(``/proc/self/clear_refs``), loads the file, and reports the peak RSS above the level before the
load (``VmHWM`` minus ``VmRSS``), the wall time and the outcome. Linux only.

Cases:

* ``model-100MB``: a Dense 5000x5000 network (float32: 100 MB of tensors), saved normally;
  the bound of issue 16 is 1.5x the file's tensor bytes plus the model (its parameters,
  gradients and buffers once loaded).
* ``hostile-config``: a ~1.4 KB file whose (re-sealed) architecture says Dense(16000, 16000)
  while its header holds the small tensors of a 4x3x2 network (before issue 16: 3.9 GB, 10 s).
* ``hostile-header``: a ~1 KB file whose header declares a 16000x16000 float32 tensor that the
  file does not hold.
* ``hostile-both``: architecture and header agree on Dense(16000, 16000), the data are missing.

Usage::

    python benchmarks/bench_load_memory.py            # prints a table
    python benchmarks/bench_load_memory.py --json     # one JSON object per case

``tests/test_io_hostile.py`` runs the hostile cases with a generous bound.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import safetensors.numpy

import neuronal as nl
from neuronal.io.format import seal

_CHILD = r"""
import json, sys, time
import neuronal as nl

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
try:
    open("/proc/self/clear_refs", "w").write("5")  # reset VmHWM to the current RSS
except OSError:
    pass
before = status("VmRSS")
t0 = time.perf_counter()
try:
    net = nl.load(sys.argv[1])
    outcome = "loaded"
    model = sum(a.nbytes for l in net.layers for a in (*l.params().values(),
                *l.grads().values(), *l.buffers().values()))
except nl.ModelFileError as exc:
    outcome, model = "ModelFileError: " + str(exc)[:150], 0
seconds = time.perf_counter() - t0
print(json.dumps({"peak_bytes": status("VmHWM") - before, "seconds": seconds,
                  "outcome": outcome, "model_bytes": model}))
"""


def measure(path: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _tensors_and_metadata(net) -> tuple[dict, dict]:
    from neuronal.io.writing import _layer_tensors, _metadata

    return _layer_tensors(net), _metadata(net, "model")


def hostile_config(path: Path, n: int = 16000) -> Path:
    """A small file whose architecture declares Dense(n, n) over tiny tensors, re-sealed."""
    tensors, meta = _tensors_and_metadata(nl.Network.from_shape("4x3x2", seed=0))
    config = json.loads(meta["config"])
    config["layers"] = [{"type": "Dense", "config": {"n_inputs": n, "n_neurons": n}}]
    meta["config"] = json.dumps(config)
    path.write_bytes(safetensors.numpy.save(tensors, metadata=seal(tensors, meta)))
    return path


def hostile_header(path: Path, n: int = 16000, config_too: bool = False) -> Path:
    """A small file whose header declares an (n, n) float32 weight it does not hold."""
    tensors, meta = _tensors_and_metadata(nl.Network.from_shape("4x3x2", seed=0))
    if config_too:
        config = json.loads(meta["config"])
        config["layers"] = [{"type": "Dense", "config": {"n_inputs": n, "n_neurons": n}}]
        meta["config"] = json.dumps(config)
    meta = seal(tensors, meta)
    header = {"__metadata__": meta,
              "0.weight": {"dtype": "F32", "shape": [n, n], "data_offsets": [0, 4 * n * n]},
              "0.bias": {"dtype": "F32", "shape": [n],
                         "data_offsets": [4 * n * n, 4 * n * n + 4 * n]}}
    text = json.dumps(header).encode()
    path.write_bytes(len(text).to_bytes(8, "little") + text + bytes(64))
    return path


def big_model(path: Path, n: int = 5000) -> Path:
    net = nl.Network([nl.Dense(n, n, activation="tanh")], seed=0)
    nl.save(net, path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--size", type=int, default=5000, help="n of the Dense n x n model")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cases = {
            "model-100MB": big_model(tmp / "big.safetensors", args.size),
            "hostile-config": hostile_config(tmp / "hc.safetensors"),
            "hostile-header": hostile_header(tmp / "hh.safetensors"),
            "hostile-both": hostile_header(tmp / "hb.safetensors", config_too=True),
        }
        rows = []
        for name, path in cases.items():
            size = path.stat().st_size
            r = measure(path) | {"case": name, "file_bytes": size}
            rows.append(r)
        if args.json:
            for r in rows:
                print(json.dumps(r))
            return
        print(f"{'case':16} {'file':>12} {'peak above start':>17} {'model':>12} {'bound':>12} "
              f"{'time':>8}  outcome")
        for r in rows:
            # loaded: 1.5x the file's tensor bytes plus the model; refused: issue 16's 50 MB
            loaded = r["outcome"] == "loaded"
            bound = 1.5 * r["file_bytes"] + r["model_bytes"] if loaded else 50e6
            print(f"{r['case']:16} {r['file_bytes']:>12,} {r['peak_bytes']:>17,} "
                  f"{r['model_bytes']:>12,} {bound:>12,.0f} {r['seconds']:>7.3f}s  "
                  f"{r['outcome'][:70]}")



if __name__ == "__main__":
    main()
