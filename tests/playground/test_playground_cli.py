"""``neuronal playground`` from the command line: URL, port, Ctrl-C leaving nothing behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest

pytest.importorskip("uvicorn")
pytest.importorskip("websockets")


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def test_ctrl_c_with_a_page_training_leaves_nothing_behind(start_playground, tmp_path):
    from websockets.sync.client import connect

    server = start_playground("--port", "0", env={"TMPDIR": str(tmp_path)})
    url = server.url
    assert url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(url) as page:
        assert b"neuronal" in page.read()
    with connect(url.replace("http", "ws") + "ws") as ws:
        assert json.loads(ws.recv())["type"] == "hello"
        ws.send(json.dumps({"type": "setup", "setup": {"dataset": "spiral"}}))
        ws.send(json.dumps({"type": "play"}))
        while json.loads(ws.recv()).get("type") != "frame":
            pass
        with urllib.request.urlopen(url + "api/info") as info:
            assert json.load(info)["sessions"]["open"] == 1
        scratch = list(tmp_path.iterdir())
        assert [p.name[:20] for p in scratch] == ["neuronal-playground-"]
        if sys.platform.startswith("linux"):
            assert children(server.proc.pid) == []  # no worker processes
        t0 = time.monotonic()
        code, out = server.stop()  # Ctrl-C while the page is training
    assert code == 0, out
    assert time.monotonic() - t0 < 10
    assert "neuronal playground: stopped" in out and "Traceback" not in out
    assert list(tmp_path.iterdir()) == []  # the scratch folder is gone


def test_a_port_in_use_is_one_line_and_exit_1(start_playground):
    server = start_playground()
    port = server.url.rsplit(":", 1)[1].strip("/")
    run = subprocess.run([sys.executable, "-m", "neuronal", "playground", "--port", port],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [
        f"neuronal: error: cannot listen on 127.0.0.1:{port} (Address already in use): pick "
        "another --port, or leave it out for a free one (use --debug for the traceback)"]


def test_help_and_bad_options():
    from neuronal.cli import build_parser, main

    assert "playground" in build_parser().format_help()
    with pytest.raises(SystemExit) as exc:
        main(["playground", "--port", "70000"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["playground", "--max-sessions", "0"])
    assert exc.value.code == 2


def test_importing_neuronal_leaves_the_web_stack_alone():
    code = ("import sys, neuronal, neuronal.playground, neuronal.cli; "
            "print(sorted(m for m in ('starlette', 'uvicorn', 'websockets') if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert run.stdout.strip() == "[]", run.stderr


def test_open_opens_the_page_in_the_browser(start_playground, tmp_path):
    opened = tmp_path / "opened.txt"
    # webbrowser runs $BROWSER with the URL for %s: here a tiny program that writes it down
    write = f"import sys; open({str(opened)!r}, 'w').write(sys.argv[1])"
    browser = f'{sys.executable} -c "{write}" %s'
    server = start_playground("--open", env={"BROWSER": browser})
    deadline = time.monotonic() + 20
    while not (opened.exists() and opened.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert opened.read_text() == server.url
