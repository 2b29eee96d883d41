"""Redraw the pictures the README shows (docs/images/): python docs/make_images.py

The notebook view is photographed with a headless Chromium when one is installed."""

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

import neuronal as nl

HERE = Path(__file__).resolve().parent / "images"


def main() -> None:
    HERE.mkdir(exist_ok=True)
    X = np.array([[(k >> i) & 1 for i in range(4)] for k in range(16)], dtype=np.float32)
    y = (X[:, 0] + X[:, 1] > X[:, 2] + X[:, 3]).astype(np.int64)
    net = nl.Network.from_shape("4x3x1", hidden="sigmoid",
                                optimizer=nl.SGD(learning_rate=2.0), seed=0)
    nl.plot.plot_step(net, X[3], y[3], HERE / "plot_step-4x3x1.png")
    net.fit(X, y, epochs=300, batch_size=4, verbose=0)
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("no chromium: the notebook view was not photographed")
        return
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "net.html"
        page.write_text(f"<html><body style='margin: 8px'>{net._repr_html_()}</body></html>")
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                        f"--screenshot={HERE / 'notebook-network.png'}", "--window-size=560,560",
                        page.as_uri()], check=True, capture_output=True, timeout=120)


if __name__ == "__main__":
    main()
