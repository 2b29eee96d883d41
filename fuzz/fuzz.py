#!/usr/bin/env python
"""Coverage-guided fuzzing of neuronal's parsers with atheris (libFuzzer for Python).

Usage (see README.md)::

    python fuzz/fuzz.py TARGET [CORPUS_DIR] [libFuzzer options...]
    python fuzz/fuzz.py load fuzz/corpus/load -runs=1000000 -max_len=4096 -timeout=10

TARGET is one of load, idx, csv, png. The corpus folder is created and filled with seed
inputs when empty. Any exception other than a neuronal error is a crash: libFuzzer stops,
prints the traceback and writes the input to ``crash-<sha1>``.
"""

from __future__ import annotations

import os
import sys

import atheris

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

NAMES = ("load", "load-sealed", "idx", "csv", "png")


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in NAMES:
        sys.exit(f"usage: fuzz.py {{{','.join(NAMES)}}} [CORPUS_DIR] [-runs=N ...]")
    name = sys.argv.pop(1)
    # Coverage feedback from neuronal's code, and from Pillow's for the picture reader.
    include = ["neuronal", "PIL"] if name == "png" else ["neuronal"]
    with atheris.instrument_imports(include=include):
        import targets

        if name == "png":  # Pillow loads its format plugins lazily: load them here
            from PIL import Image

            Image.init()
    corpus = next((a for a in sys.argv[1:] if not a.startswith("-")), None)
    if corpus is not None and not os.path.isfile(corpus):  # a file: replay that one input
        os.makedirs(corpus, exist_ok=True)
        if not os.listdir(corpus):
            for i, seed in enumerate(targets.SEEDS[name]()):
                with open(os.path.join(corpus, f"seed-{i}"), "wb") as fh:
                    fh.write(seed)
    one_input = targets.TARGETS[name]
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
