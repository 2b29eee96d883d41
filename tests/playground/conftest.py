"""A playground server started as a user starts it, and headless Chromium from Debian."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


class Playground:
    """``python -m neuronal playground`` in a subprocess; ``url`` once it listens."""

    def __init__(self, *args: str, env: dict | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "neuronal", "playground", *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, **(env or {})})
        first = self._readline(30)
        match = re.search(r"http://127\.0\.0\.1:\d+/", first)
        if not match:
            self.proc.kill()
            raise RuntimeError(f"the playground did not start: {first!r}")
        self.url = match.group(0)

    def _readline(self, timeout: float) -> str:
        box: list[str] = []
        reader = threading.Thread(target=lambda: box.append(self.proc.stdout.readline()))
        reader.start()
        reader.join(timeout)
        return box[0] if box else ""

    def stop(self, timeout: float = 15) -> tuple[int, str]:
        """Ctrl-C (SIGINT), as in a terminal; returns the exit status and the rest of the output."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
            return -9, out
        return self.proc.returncode, out


@pytest.fixture(scope="module")
def playground():
    server = Playground("--max-sessions", "8")
    yield server
    code, out = server.stop()
    assert code == 0, out


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip("needs Debian's chromium: apt-get install chromium")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def open_page(browser, playground):
    """Open the playground in a new tab (its own browser context) at ``#hash``; wait for it."""
    contexts = []

    def open_at(hash_: str = "", server: Playground | None = None, width: int = 1400):
        ctx = browser.new_context(viewport={"width": width, "height": 1000},
                                  accept_downloads=True)
        contexts.append(ctx)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.js_errors = errors
        page.goto((server or playground).url + hash_)
        page.wait_for_function("window.__playground && window.__playground.frames > 0",
                               timeout=30_000)
        return page

    yield open_at
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def start_playground():
    """Start more servers (``start_playground(*args, env=...)``); each must stop cleanly."""
    servers = []

    def start(*args: str, env: dict | None = None) -> Playground:
        servers.append(Playground(*args, env=env))
        return servers[-1]

    yield start
    for server in servers:
        code, out = server.stop()
        assert code == 0, out
