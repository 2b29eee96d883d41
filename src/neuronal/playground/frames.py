"""What the page draws, computed from a session: heatmaps, weights, metrics, digit, step.

Heatmaps are every neuron's output over a grid of the plane, each scaled into [-1, 1] (a
sigmoid or softmax output p as 2p - 1, anything else divided by its largest size on the grid
when that exceeds 1) and sent as one byte per grid cell, base64-encoded: row 0 is the top of
the plane (largest x2). The page colours -1 orange, 0 white, +1 blue, as TensorFlow Playground
does.
"""

from __future__ import annotations

import base64
import time

import numpy as np

from .. import metrics
from .config import FEATURES
from .data import features

__all__ = ["model_payload", "frame_payload", "digit_payload", "step_payload", "GRID",
           "OUTPUT_GRID"]

GRID = 32  #: cells along each side of a neuron's thumbnail heatmap
OUTPUT_GRID = 64  #: cells along each side of the large output heatmap
_METRIC_ROWS = 1000  # training rows evaluated for the live training loss (at most)
_IMAGE_EVERY = 0.3  # seconds between two sendings of MNIST's first-layer weight images


def encode(t: np.ndarray) -> str:
    """Values in [-1, 1] as base64 bytes 0..255 (NaN -> 0 -> 127.5, i.e. white)."""
    t = np.nan_to_num(np.asarray(t, dtype=np.float64), nan=0.0)
    q = np.rint((np.clip(t, -1.0, 1.0) + 1.0) * 127.5).astype(np.uint8)
    return base64.b64encode(q.tobytes()).decode("ascii")


def _scaled(a: np.ndarray, activation: str) -> np.ndarray:
    if activation in ("sigmoid", "softmax"):
        return 2.0 * a - 1.0
    return a / max(1.0, float(np.abs(a).max()) if a.size else 1.0)


def grid_points(bounds, size: int) -> np.ndarray:
    """Centres of a ``size`` x ``size`` grid over ``bounds``, row by row from the top."""
    (x0, x1), (y0, y1) = bounds
    xs = x0 + (np.arange(size) + 0.5) * (x1 - x0) / size
    ys = y1 - (np.arange(size) + 0.5) * (y1 - y0) / size
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()]).astype(np.float32)


def _forward_all(session, X: np.ndarray) -> list[np.ndarray]:
    """Every Dense layer's output for inputs X (inference: Dropout passes inputs through)."""
    outs, out = [], X
    for layer in session.net.layers:
        out = layer.forward(out, training=False)
        if hasattr(layer, "neurons"):
            outs.append(out)
    return outs


def _rounded(a: np.ndarray) -> list:
    return np.round(a.astype(np.float64), 5).tolist()


def _points(P, y, data) -> dict | None:
    if P is None:
        return None
    labels = y.reshape(-1) / max(1e-6, data.y_scale) if data.problem == "regression" else y
    return {"x": _rounded(P[:, 0]), "y": _rounded(P[:, 1]),
            "label": _rounded(labels) if data.problem == "regression" else labels.tolist()}


def model_payload(session) -> dict:
    """The structure a page draws after a (re)configuration, with the data's points."""
    data, net = session.data, session.net
    dense = session.dense_layers()
    layers = [{"neurons": lay.n_neurons, "inputs": lay.n_inputs,
               "activation": lay.activation.name, "index": i} for i, lay in dense]
    payload = {
        "type": "model", "setup": session.setup.to_dict(), "problem": data.problem,
        "classes": data.n_classes, "class_names": data.class_names,
        "inputs": data.input_names if not data.pixels else [], "n_inputs": data.n_inputs,
        "layers": layers, "shape": net.shape, "n_params": net.n_params, "loss": net.loss.name,
        "optimizer": repr(net.optimizer), "pixels": data.pixels, "notes": data.notes,
        "train_size": int(len(data.X_train)), "test_size": int(len(data.X_test)),
        "steps_per_epoch": session.steps_per_epoch, "grid": GRID, "output_grid": OUTPUT_GRID,
        "summary": net.summary(print_fn=None),
    }
    if not data.pixels:
        payload["bounds"] = [list(b) for b in data.bounds]
        payload["axis_names"] = data.axis_names
        payload["train"] = _points(data.points_train, data.y_train, data)
        payload["test"] = _points(data.points_test, data.y_test, data)
        grid = grid_points(data.bounds, GRID)
        X = data.to_inputs(grid)
        payload["input_maps"] = [encode(_scaled(X[:, k], "linear")) for k in range(X.shape[1])]
        if session.setup.plane:  # every feature, chosen or not, as the page offers them all
            F = features(grid, list(FEATURES))
            payload["feature_maps"] = {name: encode(_scaled(F[:, k], "linear"))
                                       for k, name in enumerate(FEATURES)}
    return payload


def _metric_sets(session) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """(name, inputs, prepared targets, labels) of the rows evaluated each frame, kept as
    float32 per session and data set (MNIST's pixels are converted once, not per frame)."""
    data = session.data
    cached = getattr(session, "_metric_cache", None)
    if cached is not None and cached[0] is data and cached[1] is session.Y_train:
        return cached[2]
    n = min(len(data.X_train), _METRIC_ROWS)
    sets = [("train", data.rows(data.X_train, slice(0, n)), session.Y_train[:n],
             data.y_train[:n]),
            ("test", data.rows(data.X_test, slice(None)), session.Y_test, data.y_test)]
    session._metric_cache = (data, session.Y_train, sets)
    return sets


def _loss(net, X: np.ndarray, Y: np.ndarray) -> tuple[float, np.ndarray]:
    """The network's mean loss on a prepared batch, and its output, in one forward pass
    (as ``Network.evaluate`` computes it, without re-checking the same inputs every frame)."""
    out = X
    for layer in net.layers:
        out = layer.forward(out, training=False)
    if net.loss.fused_with is not None:  # softmax/sigmoid + cross-entropy: from the logits
        return float(net.loss.value_from_logits(net.layers[-1].z, Y)), out
    return float(net.loss.value(out, Y)), out


def _metrics(session) -> dict:
    net, data = session.net, session.data
    out: dict = {}
    with np.errstate(all="ignore"):
        for name, X, Y, y in _metric_sets(session):
            if len(X) == 0:
                continue
            out[f"{name}_loss"], proba = _loss(net, X, Y)
            if data.problem == "classification":
                pred = (proba[:, 0] >= 0.5).astype(np.int64) if proba.shape[1] == 1 \
                    else proba.argmax(axis=1)
                out[f"{name}_accuracy"] = float(np.mean(pred == y))
                if name == "test":
                    cm = metrics.confusion_matrix(y, pred, n_classes=data.n_classes)
                    out["confusion"] = cm.tolist()
    return out


def _weights(session, skip_first: bool) -> list[dict]:
    layers = []
    for k, (_, lay) in enumerate(session.dense_layers()):
        entry = {"b": _rounded(lay.bias)}
        if not (skip_first and k == 0):
            entry["W"] = _rounded(lay.weights)
        layers.append(entry)
    return layers


def weight_images(session) -> list[str]:
    """MNIST: each first-layer neuron's 784 weights as a 28x28 image scaled by its largest."""
    W = session.dense_layers()[0][1].weights.astype(np.float64)
    return [encode(w / max(1e-12, float(np.abs(w).max()))) for w in W]


def digit_payload(session) -> dict | None:
    """Every layer's activations for the drawn digit, the probabilities and the prediction."""
    if session.digit is None or session.net is None or not session.data.pixels:
        return None
    with np.errstate(all="ignore"):
        outs = _forward_all(session, session.digit.reshape(1, -1))
    proba = outs[-1][0]
    return {"activations": [_rounded(o[0]) for o in outs[:-1]],
            "probabilities": _rounded(proba), "prediction": int(np.argmax(proba))}


def frame_payload(session, images: bool = False) -> dict:
    """One live update: epoch, step count, metrics, weights, heatmaps (or the digit view)."""
    data = session.data
    frame = {"type": "frame", "epoch": session.epoch, "steps": session.steps,
             "learning_rate": float(session.net.optimizer.learning_rate),
             "metrics": _metrics(session), "weights": _weights(session, data.pixels)}
    if data.pixels:
        now = time.perf_counter()
        if images or now - getattr(session, "_images_sent", 0.0) >= _IMAGE_EVERY:
            frame["images"] = weight_images(session)
            session._images_sent = now
        frame["digit"] = digit_payload(session)
        return frame
    with np.errstate(all="ignore"):
        small = _forward_all(session, data.to_inputs(grid_points(data.bounds, GRID)))
        big = _forward_all(session, data.to_inputs(grid_points(data.bounds, OUTPUT_GRID)))[-1]
    maps = []
    for (_, lay), out in zip(session.dense_layers(), small):
        act = lay.activation.name
        maps.append([encode(_scaled(out[:, j], act)) for j in range(out.shape[1])])
    frame["maps"] = maps
    if data.problem == "regression":
        frame["output"] = {"kind": "value", "map": encode(big[:, 0] / data.y_scale)}
    elif big.shape[1] == 1:
        frame["output"] = {"kind": "binary", "map": encode(2.0 * big[:, 0] - 1.0)}
    else:
        conf = big.max(axis=1)
        classes = big.argmax(axis=1).astype(np.uint8)
        frame["output"] = {"kind": "classes",
                           "class": base64.b64encode(classes.tobytes()).decode("ascii"),
                           "map": encode(2.0 * conf - 1.0)}
    return frame


def _dense_number(session) -> dict[int, int]:
    return {i: k for k, (i, _) in enumerate(session.dense_layers())}


def step_payload(session, step) -> dict:
    """A ``StepExplanation`` as the page animates it (layer numbers count Dense layers)."""
    number = _dense_number(session)
    pixels = session.data.pixels
    layers = []
    for ls in step.layers:
        if ls.index not in number:
            continue
        k = number[ls.index]
        entry = {"layer": k, "a": _rounded(np.asarray(ls.a)[0]),
                 "delta": _rounded(np.asarray(ls.delta)[0]),
                 "db": _rounded(np.asarray(ls.updates["bias"]))
                 if "bias" in ls.updates else None}
        dW = np.asarray(ls.updates["weight"])
        if pixels and k == 0:
            peak = max(1e-12, float(np.abs(dW).max()))
            entry["images"] = [encode(row / peak) for row in dW]
        else:
            entry["dW"] = _rounded(dW)
        layers.append(entry)

    def connections(items) -> list[dict]:
        return [{"layer": number.get(c.layer, c.layer), "neuron": int(c.neuron),
                 "input": int(c.input), "weight": float(c.weight), "change": float(c.change)}
                for c in items]

    def as_list(v):
        return None if v is None else np.asarray(v).reshape(-1).tolist()

    text = str(step)
    if len(number) != len(session.net.layers):
        text = ("(The layer numbers below count every layer of the network, Dropout included; "
                "the drawing numbers only the Dense layers.)\n\n" + text)
    return {"type": "backprop", "text": text, "loss": float(step.loss),
            "learning_rate": float(step.learning_rate), "applied": bool(step.applied),
            "output": _rounded(np.asarray(step.output)[0]),
            "predicted": as_list(step.predicted), "target": as_list(step.target),
            "correct": as_list(step.correct), "layers": layers,
            "strengthened": connections(step.strengthened),
            "weakened": connections(step.weakened)}
