"""An LSTM that reads each MNIST digit row by row, then names it.

Each 28x28 image becomes a sequence of 28 steps of 28 pixels (top row first). The LSTM
(hidden state of 64 numbers) reads the rows one at a time, carrying what it has seen in its
cell; after the last row a softmax layer classifies its final hidden state. Training unrolls
the 28 steps and backpropagates through all of them. Adam with a cosine-decayed learning rate
(0.002 down to 0 over the run), batch 128. Target: >= 97 % test accuracy.

Run::

    python examples/mnist_lstm.py                # 5 epochs on all 60,000 images
    python examples/mnist_lstm.py --quick        # a few seconds on a small subset
"""

from __future__ import annotations

import argparse
import time

import neuronal as nl
from neuronal.datasets import load_mnist
from neuronal.models import mnist_lstm


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--learning-rate", type=float, default=0.002,
                   help="initial learning rate of the cosine schedule")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", default=None)
    p.add_argument("--save", default=None, help="save the trained network to this file")
    p.add_argument("--quick", action="store_true",
                   help="train 3 epochs on 4,000 images and test on 500 (a smoke test)")
    return p.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    # flatten=False gives (N, 28, 28): batch, steps (rows), features (pixels of a row)
    (X, y), (X_test, y_test) = load_mnist(args.data_dir, flatten=False)
    if args.quick:
        X, y, X_test, y_test = X[:4000], y[:4000], X_test[:500], y_test[:500]
        args.epochs = 3
    schedule = nl.CosineDecay(args.learning_rate, epochs=args.epochs)
    net = mnist_lstm(seed=args.seed, hidden=args.hidden, optimizer=nl.Adam(schedule))
    net.summary()
    t0 = time.perf_counter()
    history = net.fit(X, y, epochs=args.epochs, batch_size=args.batch_size,
                      validation_data=(X_test, y_test), verbose=1)
    seconds = (time.perf_counter() - t0) / max(1, args.epochs)
    result = net.evaluate(X_test, y_test)
    print(f"test accuracy {result['accuracy']:.2%} (loss {result['loss']:.4f}) after "
          f"{args.epochs} epoch(s), {seconds:.1f} s per epoch including validation")
    if args.save:
        net.save(args.save)
        print(f"saved to {args.save}")
    return {"accuracy": result["accuracy"], "loss": result["loss"],
            "seconds_per_epoch": seconds, "history": history.history}


if __name__ == "__main__":
    main()
