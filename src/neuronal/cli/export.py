"""``neuronal export``: a saved model as an ONNX file, for ONNX Runtime and other runtimes."""

from __future__ import annotations

from ._common import _load_model


def _shape(text: str) -> tuple:
    """"1,28,28" or "1x28x28" -> (1, 28, 28); "?" or "none" leaves a size open."""
    import argparse

    parts = [p.strip() for p in text.replace("x", ",").split(",") if p.strip()]
    try:
        return tuple(None if p.lower() in ("?", "none") else int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected the shape of one sample such as 1,28,28, got {text!r}") from None


def cmd_export(args) -> int:
    from ..errors import NeuronalError
    from ..export import export_onnx

    net = _load_model(args.model)
    try:
        model = export_onnx(net, args.out, opset=args.opset, input_shape=args.input_shape,
                            dtype=args.dtype)
    except NeuronalError as exc:
        if "input_shape=" not in str(exc):
            raise
        raise type(exc)(f"{exc} (on the command line: --input-shape SHAPE)") from None
    graph = model.graph

    def shape(value) -> str:
        dims = value.type.tensor_type.shape.dim
        return "(" + ", ".join(d.dim_param or (str(d.dim_value) if d.dim_value else "?")
                               for d in dims) + ")"

    opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    print(f"exported Network {net.shape} to {args.out} (opset {opset}, IR version "
          f"{model.ir_version}, {len(graph.node)} nodes)")
    print(f"input {graph.input[0].name!r} {shape(graph.input[0])}, output "
          f"{graph.output[0].name!r} {shape(graph.output[0])}")
    return 0


def add_parser(sub) -> None:
    """Register ``export`` on ``sub``."""
    from ..export import DEFAULT_OPSET

    x = sub.add_parser("export", help="write a saved model as an ONNX file (needs onnx)")
    x.add_argument("model", help="a model file saved by neuronal (.safetensors)")
    x.add_argument("out", help="the ONNX file to write (.onnx)")
    x.add_argument("--opset", type=int, default=DEFAULT_OPSET,
                   help=f"ONNX operator set (default {DEFAULT_OPSET}: ONNX Runtime 1.13 and later)")
    x.add_argument("--input-shape", type=_shape, default=None, metavar="SHAPE",
                   help="shape of one input sample, e.g. 1,28,28 (default: what the model was "
                   "trained on)")
    x.add_argument("--dtype", choices=["float32", "float64"], default=None,
                   help="float type of the ONNX model (default: the model's own)")
    x.set_defaults(func=cmd_export)
