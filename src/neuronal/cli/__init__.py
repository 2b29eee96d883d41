"""The ``neuronal`` command line: train, evaluate, predict, summary, explain, plot, playground,
export.

One module per command (or group of commands), each with an ``add_parser(sub)`` that
registers it and a ``cmd_*`` function that runs it.

Exit status: 0 on success, 2 on usage errors (argparse), 1 on any other error, reported in one
line without a traceback (``--debug`` shows it). Only the public API is used here, and heavy
modules are imported inside the commands so ``neuronal --help`` starts fast.
"""

from __future__ import annotations

import argparse
import os
import sys

EPILOG = """examples:
  neuronal train mnist
  neuronal train mnist --shape 784x16x10 --hidden sigmoid --epochs 10 --batch-size 32 \\
      --optimizer sgd --learning-rate 0.5 --schedule cosine --seed 0 --out model.safetensors
  neuronal train mnist --model lenet --epochs 3 --optimizer adam --learning-rate 0.001
  neuronal train xor --shape 2x3x1 --hidden tanh --epochs 500 --batch-size 4 \\
      --learning-rate 0.05
  neuronal train data.csv --target label --epochs 50 --out csv-model.safetensors
  neuronal evaluate model.safetensors mnist
  neuronal predict model.safetensors digit.png --show seen.png
  neuronal explain model.safetensors mnist --index 7
  neuronal plot weights model.safetensors --out pictures/
  neuronal plot activations --out activations.png
  neuronal playground --open
  neuronal export model.safetensors model.onnx

data: MNIST is looked for in --data-dir, then $NEURONAL_DATA, then ~/.cache/neuronal, then
downloaded. Offline without it, `train mnist` falls back to scikit-learn's 8x8 digits.
"""


def build_parser() -> argparse.ArgumentParser:
    from . import export, inspect_model, playground, plot, train

    parser = argparse.ArgumentParser(
        prog="neuronal", description="Neural networks from scratch on NumPy.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debug", action="store_true",
                        help="show tracebacks on errors (accepted anywhere on the line)")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (train, inspect_model, plot, playground, export):
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # --debug is accepted anywhere on the line (before a "--" that ends the options)
    end = argv.index("--") if "--" in argv else len(argv)
    debug = "--debug" in argv[:end]
    argv = [a for i, a in enumerate(argv) if not (i < end and a == "--debug")]
    parser = build_parser()
    args = parser.parse_args(argv)
    args.debug = debug
    if args.version:
        from .. import __version__

        print(f"neuronal {__version__}")
        return 0
    if not args.command:
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("neuronal: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _closed_pipe()
    except SystemExit:
        raise
    except Exception as exc:  # one line, no traceback, unless --debug
        if args.debug or os.environ.get("NEURONAL_DEBUG"):
            raise
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"neuronal: error: {message} (use --debug for the traceback)", file=sys.stderr)
        return 1


def _closed_pipe() -> int:
    """The reader went away (``neuronal ... | head``): stop quietly, as a Unix tool does.

    stdout is pointed at /dev/null so that the interpreter's final flush does not report the
    closed pipe once more; 141 is what a shell shows for a program ended by SIGPIPE.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real stdout (an embedding program): nothing to flush
        pass
    return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
