"""The playground server without a browser: pages, sessions and their limits, uploads, files."""

from __future__ import annotations

import threading

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx2")
from starlette.testclient import TestClient  # noqa: E402

import neuronal as nl  # noqa: E402
from neuronal.playground import Limits, create_app  # noqa: E402
from neuronal.playground.models import onnx_available  # noqa: E402


@pytest.fixture
def client():
    with TestClient(create_app(Limits(max_sessions=3, max_upload_bytes=4096))) as c:
        yield c


def open_session(ws, setup=None) -> str:
    hello = ws.receive_json()
    assert hello["type"] == "hello"
    ws.send_json({"type": "setup", "setup": setup or {}})
    kinds = [ws.receive_json() for _ in range(3)]
    assert [k["type"] for k in kinds] == ["model", "state", "frame"]
    return hello["session"]


def test_the_page_and_its_files_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and "neuronal" in page.text
    assert '<script type="module" src="/static/js/app.js">' in page.text
    for name in ("app.js", "controls.js", "draw.js", "files.js", "network.js", "pad.js"):
        js = client.get(f"/static/js/{name}")
        assert js.status_code == 200 and "javascript" in js.headers["content-type"]
        assert "http://" not in js.text.replace("http://www.w3.org/2000/svg", "")  # no CDN
    assert client.get("/static/style.css").status_code == 200
    info = client.get("/api/info").json()
    assert info["limits"]["max_sessions"] == 3 and "spiral" in info["plane_sets"]
    assert set(info["mnist"]) == {"available", "message", "short"}
    assert info["defaults"]["lr"] == 0.03


def test_a_session_trains_and_answers(client):
    with client.websocket_connect("/ws") as ws:
        open_session(ws, {"dataset": "spiral", "layers": [8, 8]})
        ws.send_json({"type": "step"})
        msgs = [ws.receive_json(), ws.receive_json()]
        assert msgs[0] == {"type": "state", "playing": False}
        assert msgs[1]["type"] == "frame" and msgs[1]["epoch"] == 1
        ws.send_json({"type": "explain", "layer": 0, "neuron": 1, "point": [1, 2]})
        text = ws.receive_json()["text"]
        assert "layer 0, neuron 1" in text
        assert "Neuron with 2 inputs (x0, x1), activation tanh" in text
        ws.send_json({"type": "set_weight", "layer": 0, "neuron": 0, "input": 1, "value": 3})
        assert ws.receive_json()["weights"][0]["W"][0][1] == 3.0
        ws.send_json({"type": "play"})
        assert ws.receive_json() == {"type": "state", "playing": True}
        epochs = []
        for _ in range(5):
            frame = ws.receive_json()
            epochs.append(frame["epoch"])
            ws.send_json({"type": "ack"})
        assert epochs == sorted(epochs) and epochs[-1] > 1
        ws.send_json({"type": "pause"})
        while (m := ws.receive_json())["type"] != "state":
            assert m["type"] == "frame"
        assert m["playing"] is False


def test_bad_messages_get_an_error_and_the_session_goes_on(client):
    with client.websocket_connect("/ws") as ws:
        assert ws.receive_json()["type"] == "hello"
        for kind in ("step", "play", "reset", "explain_step", "explain"):  # nothing set up yet
            ws.send_json({"type": kind, "layer": 0, "neuron": 0, "point": [0, 0]})
            message = ws.receive_json()
            while message["type"] == "state":
                message = ws.receive_json()
            assert message == {"type": "error", "message": "this page has no network yet: "
                               "send its set-up first"}, kind
        ws.send_json({"type": "setup", "setup": {}})
        assert [ws.receive_json()["type"] for _ in range(3)] == ["model", "state", "frame"]
        ws.send_text("{not json")
        assert ws.receive_json() == {"type": "error", "message": "a message must be JSON text"}
        ws.send_json({"type": "fly"})
        assert ws.receive_json()["message"] == "unknown message type 'fly'"
        ws.send_json({"type": "setup", "setup": {"layers": [99]}})
        assert "hidden layer sizes from 1 to 16" in ws.receive_json()["message"]
        ws.send_json({"type": "set_weight", "layer": 0})
        assert ws.receive_json()["message"].startswith("bad message")
        ws.send_json({"type": "step"})
        assert ws.receive_json()["type"] == "state" and ws.receive_json()["epoch"] == 1


def test_sessions_are_bounded_and_separate(client):
    with client.websocket_connect("/ws") as a, client.websocket_connect("/ws") as b, \
            client.websocket_connect("/ws") as c:
        sa, sb = open_session(a), open_session(b, {"dataset": "xor", "layers": [3]})
        open_session(c)
        assert sa != sb
        with client.websocket_connect("/ws") as d:
            full = d.receive_json()
            assert full["type"] == "error" and full["fatal"]
            assert "already has 3 pages open, its limit" in full["message"]
        b.send_json({"type": "step"})  # the second tab trains; the first one does not move
        b.receive_json()
        assert b.receive_json()["epoch"] == 1
        a.send_json({"type": "explain", "layer": 0, "neuron": 0, "point": [0, 0]})
        assert a.receive_json()["type"] == "explanation"
        assert client.app.state.playground.connections[sa].session.epoch == 0
        assert client.app.state.playground.connections[sb].session.net.shape == "2x3x1"
    assert client.app.state.playground.connections == {}  # closed tabs free their sessions
    with client.websocket_connect("/ws") as e:
        assert e.receive_json()["type"] == "hello"


def test_other_web_sites_cannot_open_a_session(client):
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect) as exc:
        with client.websocket_connect("/ws", headers={"origin": "http://elsewhere.example"}):
            pass
    assert exc.value.code == 1008
    with client.websocket_connect("/ws", headers={"origin": "http://testserver"}) as ws:
        assert ws.receive_json()["type"] == "hello"  # the page's own origin


def test_csv_uploads(client):
    with client.websocket_connect("/ws") as ws:
        sid = open_session(ws)
        bad = client.post(f"/api/session/{sid}/csv?name=bad.csv", content=b"a,b\n1,2\n3\n")
        assert bad.status_code == 400
        assert bad.json()["error"] == ("the CSV file 'bad.csv', line 3: 1 field but the header "
                                       "has 2; every row needs one value per column")
        big = client.post(f"/api/session/{sid}/csv?name=big.csv", content=b"x" * 5000)
        assert big.status_code == 413 and "the limit is 4,096" in big.json()["error"]
        rows = "".join(f"{i % 7},{(i * 3) % 5},{'ab'[i % 2]}\n" for i in range(60))
        good = client.post(f"/api/session/{sid}/csv?name=t.csv", content=f"u,v,c\n{rows}")
        assert good.status_code == 200 and good.json()["rows"] == 60
        ws.send_json({"type": "setup", "setup": {"dataset": "csv", "csv_features": ["u", "v"],
                                                 "csv_target": "c", "problem": "classification"}})
        model = ws.receive_json()
        assert model["type"] == "model" and model["class_names"] == ["a", "b"]
        assert model["axis_names"] == ["u", "v"] and model["train_size"] == 30
    gone = client.post(f"/api/session/{sid}/csv", content=b"a,b\n1,2\n")
    assert gone.status_code == 404 and "reload the page" in gone.json()["error"]


def test_model_files_round_trip(client, tmp_path):
    with client.websocket_connect("/ws") as ws:
        sid = open_session(ws, {"layers": [5], "activations": ["relu"]})
        saved = client.get(f"/api/session/{sid}/model.safetensors")
        assert saved.status_code == 200
        assert 'filename="playground-2x5x1.safetensors"' in saved.headers["content-disposition"]
        (tmp_path / "m.safetensors").write_bytes(saved.content)
        assert nl.load(tmp_path / "m.safetensors").shape == "2x5x1"
        ws.send_json({"type": "setup", "setup": {"layers": [2, 2]}})
        [ws.receive_json() for _ in range(3)]
        loaded = client.post(f"/api/session/{sid}/model", content=saved.content)
        assert loaded.status_code == 200 and loaded.json()["shape"] == "2x5x1"
        kinds = [ws.receive_json()["type"] for _ in range(4)]
        assert kinds == ["state", "model", "reset", "frame"]
        junk = client.post(f"/api/session/{sid}/model", content=b"\0" * 100)
        assert junk.status_code == 400 and junk.json()["error"].startswith("cannot load")
        onnx = client.get(f"/api/session/{sid}/model.onnx")
        if onnx_available():
            assert onnx.status_code == 200 and len(onnx.content) > 100
        else:
            assert onnx.status_code == 400 and "ONNX export is unavailable" in onnx.json()["error"]


def test_shutdown_leaves_no_threads_or_files():
    before = set(threading.enumerate())
    app = create_app()
    with TestClient(app) as c:
        with c.websocket_connect("/ws") as ws:
            sid = open_session(ws)
            ws.send_json({"type": "play"})
            ws.receive_json()
            c.get(f"/api/session/{sid}/model.safetensors")
            state = app.state.playground
            scratch = state.scratch
            assert scratch.is_dir()
            workers = [t for t in threading.enumerate() if t.name.startswith("neuronal-playground")]
            assert workers
    assert not scratch.exists() and state.executor is None
    assert not any(t.is_alive() for t in workers)
    left = [t for t in set(threading.enumerate()) - before if t.is_alive()]
    assert left == []
