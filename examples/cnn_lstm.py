"""A CNN feeding an LSTM: which way is the digit moving?

Each sample is a short film: ``--steps`` frames of 28x28 in which a small MNIST digit (14x14)
slides right, left, down or up by one pixel per frame. No single frame tells the direction;
the order of the frames does. The network composes the layers of the previous examples:

    (N, T, 1, 28, 28) --Conv2D+ReLU--> (N, T, 8, 14, 14) --MaxPool2D--> (N, T, 8, 7, 7)
        --Flatten(start_dim=2)--> (N, T, 392) --LSTM--> (N, 32) --Dense softmax--> (N, 4)

The convolution and pooling layers treat the extra time axis as more batch (every frame is
one image); ``Flatten(start_dim=2)`` keeps the time axis, so the LSTM receives a sequence of
392-number frame descriptions and its last hidden state decides the direction.

Run::

    python examples/cnn_lstm.py                  # 2,000 films, 5 epochs
    python examples/cnn_lstm.py --quick          # a few seconds
"""

from __future__ import annotations

import argparse

import numpy as np

import neuronal as nl
from neuronal.datasets import load_mnist

DIRECTIONS = ["right", "left", "down", "up"]
_MOVES = [(0, 1), (0, -1), (1, 0), (-1, 0)]  # (dy, dx) per frame


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--train", type=int, default=2000, help="training films")
    p.add_argument("--test", type=int, default=500, help="test films")
    p.add_argument("--steps", type=int, default=6, help="frames per film")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", default=None)
    p.add_argument("--quick", action="store_true", help="400 films, 2 epochs (a smoke test)")
    return p.parse_args(argv)


def moving_digits(images: np.ndarray, n: int, steps: int, rng: np.random.Generator):
    """``n`` films (n, steps, 1, 28, 28) of a 14x14 digit moving one pixel per frame.

    The digit is an MNIST image shrunk 2x (mean of each 2x2 block). Its direction, the label,
    is one of ``DIRECTIONS``; the start is random within the range that keeps it in view.
    """
    small = images.reshape(-1, 14, 2, 14, 2).mean(axis=(2, 4))  # (M, 14, 14)
    X = np.zeros((n, steps, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 4, size=n)
    picks = rng.integers(0, len(small), size=n)
    room = 28 - 14 - (steps - 1)  # free pixels along the direction of travel
    for k in range(n):
        dy, dx = _MOVES[y[k]]
        # start so that the whole path stays inside the frame
        y0 = rng.integers(0, room + 1) + (steps - 1 if dy < 0 else 0) if dy else rng.integers(0, 15)
        x0 = rng.integers(0, room + 1) + (steps - 1 if dx < 0 else 0) if dx else rng.integers(0, 15)
        for t in range(steps):
            r, c = y0 + dy * t, x0 + dx * t
            X[k, t, 0, r : r + 14, c : c + 14] = small[picks[k]]
    return X, y


def build(steps: int, seed: int) -> nl.Network:
    return nl.Network([
        nl.Conv2D(1, 8, 5, stride=2, padding=2, activation="relu"),  # every frame: (8, 14, 14)
        nl.MaxPool2D(2),  # (8, 7, 7)
        nl.Flatten(start_dim=2),  # keep (batch, time), flatten each frame: (N, T, 392)
        nl.LSTM(8 * 7 * 7, 32),  # reads the frames in order
        nl.Dense(32, 4, activation="softmax"),  # right, left, down, up
    ], optimizer=nl.Adam(0.003), seed=seed)


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.quick:
        args.train, args.test, args.epochs = 400, 200, 2
    rng = np.random.default_rng(args.seed)
    (digits, _), (test_digits, _) = load_mnist(args.data_dir, flatten=False)
    X, y = moving_digits(digits, args.train, args.steps, rng)
    X_test, y_test = moving_digits(test_digits, args.test, args.steps, rng)
    print(f"{args.train} training and {args.test} test films of {args.steps} frames, "
          f"input shape {X.shape}")
    net = build(args.steps, args.seed)
    net.summary()
    net.fit(X, y, epochs=args.epochs, batch_size=args.batch_size,
            validation_data=(X_test, y_test), verbose=1)
    result = net.evaluate(X_test, y_test)
    # the same frames, each film's in a random order: the motion is gone, the digits are not
    shuffled = rng.permuted(X_test, axis=1)
    shuffled_acc = net.evaluate(shuffled, y_test)["accuracy"]
    print(f"test accuracy {result['accuracy']:.1%} (chance 25%); the same films with their "
          f"frames shuffled: {shuffled_acc:.1%}, so it is the order of the frames, read by "
          f"the LSTM, that carries the answer")
    return {"accuracy": result["accuracy"], "shuffled_accuracy": shuffled_acc}


if __name__ == "__main__":
    main()
