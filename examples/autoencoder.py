"""An autoencoder on MNIST: squeeze each digit through 32 numbers and rebuild it.

784 -> 128 -> 32 -> 128 -> 784. The network is trained to output its own input (the target is
the image itself), so it must pack what matters about a digit into the 32-number *code* in the
middle. The script

1. trains it and reports the reconstruction mean squared error on the 10,000 test images,
2. saves a PNG with test originals above their reconstructions,
3. trains a *denoising* variant (noisy images in, clean images out) and saves noisy / denoised
   / clean rows,
4. uses the 32-number codes as features for a small classifier (32x10 softmax), to show the
   code keeps the digit's identity although it never saw a label.

Run::

    python examples/autoencoder.py               # 10 epochs, PNGs in outputs/
    python examples/autoencoder.py --quick       # a few seconds on a small subset
"""

from __future__ import annotations

import argparse
import os

import numpy as np

import neuronal as nl
from neuronal.datasets import load_mnist


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--noise", type=float, default=0.4,
                   help="std of the Gaussian noise of the denoising variant")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", default=None)
    p.add_argument("--out", default="outputs", help="folder for the PNG figures")
    p.add_argument("--quick", action="store_true",
                   help="3 epochs on 5,000 images, tested on 1,000 (a smoke test)")
    return p.parse_args(argv)


def autoencoder(seed: int) -> nl.Network:
    """784x128x32x128x784: ReLU encoder and decoder, sigmoid output (pixels lie in [0, 1])."""
    return nl.Network([
        nl.Dense(784, 128, activation="relu", name="encoder 1"),
        nl.Dense(128, 32, activation="relu", name="code"),
        nl.Dense(32, 128, activation="relu", name="decoder 1"),
        nl.Dense(128, 784, activation="sigmoid", name="image"),
    ], loss="mse", optimizer=nl.Adam(0.002), seed=seed)


def encode(net: nl.Network, X: np.ndarray) -> np.ndarray:
    """The 32-number codes: the output of the first two layers (the encoder)."""
    out = np.asarray(X, dtype=net.dtype)
    for layer in net.layers[:2]:
        out = layer.forward(out)
    return out


def save_rows(path: str, rows, titles) -> None:
    """A PNG with one row of 28x28 digits per array in ``rows``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(rows[0])
    fig, axes = plt.subplots(len(rows), n, figsize=(n * 0.9, len(rows) * 1.0 + 0.3))
    for r, (images, title) in enumerate(zip(rows, titles)):
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(images[c].reshape(28, 28), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(title, rotation=0, ha="right", va="center", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main(argv=None) -> dict:
    args = parse_args(argv)
    (X, y), (X_test, y_test) = load_mnist(args.data_dir)  # flat rows of 784 pixels in [0, 1]
    if args.quick:
        X, y, X_test, y_test = X[:5000], y[:5000], X_test[:1000], y_test[:1000]
        args.epochs, args.batch_size = 3, 64
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)

    # 1. the autoencoder: the target is the input itself
    net = autoencoder(args.seed)
    net.summary()
    net.fit(X, X, epochs=args.epochs, batch_size=args.batch_size, verbose=1)
    mse = net.evaluate(X_test, X_test)["loss"]
    print(f"test reconstruction MSE: {mse:.5f} (per pixel; predicting the mean image gives "
          f"{np.mean((X_test - X.mean(axis=0)) ** 2):.5f})")

    # 2. originals above reconstructions
    show = X_test[:10]
    recon_png = os.path.join(args.out, "autoencoder_reconstructions.png")
    save_rows(recon_png, [show, net.predict(show)], ["original", "rebuilt"])
    print(f"saved {recon_png}")

    # 3. denoising: noisy digits in, clean digits out
    def noisy(images):
        return np.clip(images + rng.normal(0, args.noise, images.shape), 0, 1).astype(np.float32)

    denoiser = autoencoder(args.seed)
    denoiser.fit(noisy(X), X, epochs=args.epochs, batch_size=args.batch_size, verbose=1)
    X_noisy = noisy(X_test)
    denoise_mse = denoiser.evaluate(X_noisy, X_test)["loss"]
    noise_mse = float(np.mean((X_noisy - X_test) ** 2))
    print(f"denoising: MSE to the clean test images {noise_mse:.5f} (noisy input) -> "
          f"{denoise_mse:.5f} (denoised)")
    denoise_png = os.path.join(args.out, "autoencoder_denoising.png")
    save_rows(denoise_png, [X_noisy[:10], denoiser.predict(X_noisy[:10]), show],
              ["noisy", "denoised", "clean"])
    print(f"saved {denoise_png}")

    # 4. the 32-number code as features for a small classifier
    codes, codes_test = encode(net, X), encode(net, X_test)
    scale = codes.max() or 1.0  # ReLU codes are >= 0; bring them to about [0, 1]
    clf = nl.Network.from_shape("32x10", output="softmax", optimizer=nl.Adam(0.01),
                                seed=args.seed)
    clf.fit(codes / scale, y, epochs=args.epochs, batch_size=args.batch_size, verbose=0)
    code_acc = clf.evaluate(codes_test / scale, y_test)["accuracy"]
    print(f"a 32x10 softmax classifier on the codes: test accuracy {code_acc:.2%} "
          f"(the autoencoder never saw a label)")
    return {"mse": mse, "denoise_mse": denoise_mse, "noise_mse": noise_mse,
            "code_accuracy": code_acc, "figures": [recon_png, denoise_png]}


if __name__ == "__main__":
    main()
