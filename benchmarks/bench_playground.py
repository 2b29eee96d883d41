#!/usr/bin/env python
"""How live the playground's page is while it trains: screen updates per second, measured in
the browser.

Starts ``python -m neuronal playground`` as a user does, opens it in Debian's headless Chromium
(Playwright), sets a network up through the URL, presses play, lets it warm up, then counts in
the page, for ``--seconds`` seconds, the frames it drew (each a full redraw: every neuron's
heatmap, the output map, edges, loss curve, confusion matrix) and the training steps the server
took between them (the page's own counters, ``window.__playground``).

Usage::

    python benchmarks/bench_playground.py                 # spiral 2-8-8-1, circle, MNIST; 10 s each
    python benchmarks/bench_playground.py --seconds 3 --cases spiral

Tests never assert on these rates; the table is recorded by hand in ``RESULTS_playground.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

CASES = {
    "spiral": ("spiral 2-8-8-1, tanh, batch 10, 200 training points",
               "#dataset=spiral&points=400&layers=8,8&activations=tanh,tanh&features=x1,x2"
               "&batch=10&lr=0.03"),
    "spiral-big": ("spiral 7-16x6-1 (all features), batch 10",
                   "#dataset=spiral&layers=16,16,16,16,16,16&features=x1,x2,x1^2,x2^2,x1*x2,"
                   "sin(x1),sin(x2)&batch=10&lr=0.01&optimizer=adam"),
    "mnist": ("MNIST 784-32-10, relu, batch 32, 10,000 images",
              "#dataset=mnist&layers=32&activations=relu&batch=32&lr=0.1&mnist_train=10000"),
}
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def measure(page, url: str, seconds: float, warmup: float) -> dict:
    page.goto(url)
    page.wait_for_function("window.__playground && window.__playground.frames > 0",
                           timeout=60_000)
    page.click("#play")
    time.sleep(warmup)
    probe = ("({f: __playground.frames, s: __playground.steps, e: __playground.epoch, "
             "r: __playground.renderMs, t: performance.now()})")
    start = page.evaluate(probe)
    time.sleep(seconds)
    end = page.evaluate(probe)
    page.click("#play")
    elapsed = (end["t"] - start["t"]) / 1000
    frames = end["f"] - start["f"]
    return {"updates_per_s": frames / elapsed, "steps_per_update": (end["s"] - start["s"])
            / max(1, frames), "epochs_per_s": (end["e"] - start["e"]) / elapsed,
            "seconds": elapsed, "render_ms": end["r"]}


def mnist_available(url: str) -> bool:
    with urllib.request.urlopen(url + "api/info") as info:
        return bool(json.load(info)["mnist"]["available"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    server = subprocess.Popen([sys.executable, "-m", "neuronal", "playground"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = re.search(r"http://\S+/", server.stdout.readline()).group(0)
        print(f"{os.cpu_count()} CPUs; {args.seconds:g} s per case after {args.warmup:g} s "
              f"of warm-up\n")
        print("| case | screen updates / s | training steps / update | epochs / s | "
              "drawing one update (ms) |")
        print("| --- | ---: | ---: | ---: | ---: |")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=ARGS)
            for case in args.cases:
                label, hash_ = CASES[case]
                page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                if case == "mnist" and not mnist_available(url):
                    print(f"| {label} | (MNIST not available) | | | |")
                    page.context.close()
                    continue
                r = measure(page, url + hash_, args.seconds, args.warmup)
                print(f"| {label} | {r['updates_per_s']:.1f} | {r['steps_per_update']:.1f} | "
                      f"{r['epochs_per_s']:.1f} | {r['render_ms']:.1f} |", flush=True)
                page.context.close()
            browser.close()
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
