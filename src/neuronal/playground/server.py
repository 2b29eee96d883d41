"""The playground's web server: Starlette routes, one WebSocket per page, uvicorn to run it.

Routes
------
``GET /``                                   the page (files from the package's ``static/``)
``GET /static/...``                         its scripts and styles
``GET /api/info``                           limits, choices, whether MNIST and ONNX are there
``WS  /ws``                                 one page's session (see ``live.py``)
``POST /api/session/{id}/csv?name=F``       upload a CSV file (the raw bytes as the body)
``POST /api/session/{id}/model``            load a ``.safetensors`` model (raw bytes)
``GET /api/session/{id}/model.safetensors`` save the network
``GET /api/session/{id}/model.onnx``        export it to ONNX

A session lives as long as its page's WebSocket: one per tab, none shared, at most
``Limits.max_sessions`` at once. Only the page itself may open one (a WebSocket from another
origin, i.e. another web site open in the same browser, is refused). The server's worker
threads and scratch folder exist between start-up and shut-down only, so stopping the server
leaves no thread, process or file behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import socket
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from .. import __version__
from .config import FEATURES, HIDDEN_ACTIVATIONS, OPTIMIZERS, PLANE_SETS, SCHEDULES, Setup
from .data import MnistSource
from .limits import Limits, PlaygroundError

__all__ = ["create_app", "serve", "bind", "STATIC"]

#: The page's files, shipped inside the package.
STATIC = Path(__file__).resolve().parent / "static"
_WORKERS = 2  # threads that run sessions' calls (training, frames, uploads)
_WS_MAX_BYTES = 1 << 20  # the largest message a page sends is a drawn digit (~15 kB)


class ServerState:
    """What all pages of one server share: limits, sessions, worker threads, scratch folder."""

    def __init__(self, limits: Limits, data_dir=None) -> None:
        self.limits = limits
        self.mnist = MnistSource(data_dir)
        self.connections: dict = {}
        self.executor: ThreadPoolExecutor | None = None
        self.scratch: Path | None = None
        self._blas = None  # threadpoolctl's controller of the BLAS libraries, found once

    def start(self) -> None:
        self.executor = ThreadPoolExecutor(_WORKERS, thread_name_prefix="neuronal-playground")
        self.scratch = Path(tempfile.mkdtemp(prefix="neuronal-playground-"))

    async def close(self) -> None:
        for conn in list(self.connections.values()):
            await conn.stop()
        self.connections.clear()
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None

    async def run(self, fn, *args):
        """``fn(*args)`` in a worker thread, its matrix products on one BLAS thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self._one_blas_thread, fn, args)

    def _one_blas_thread(self, fn, args):
        # Every product here is small (a few thousand rows at most through layers of at most
        # a few hundred neurons), and small products run faster on one thread than on two,
        # much faster on a busy machine (benchmarks/RESULTS_playground.md). The count is set
        # in the worker thread and put back after the call (NumPy's OpenBLAS keeps a count
        # per thread; see neuronal.engine.threads, which does the same for fit).
        if self._blas is None:
            from threadpoolctl import ThreadpoolController

            self._blas = ThreadpoolController().select(user_api="blas")
        limit = self._blas.limit(limits=1)
        try:
            return fn(*args)
        finally:
            limit.restore_original_limits()


def _error(message: str, status: int = 400):
    from starlette.responses import JSONResponse

    return JSONResponse({"error": message}, status_code=status)


async def _body(request, limit: int, what: str) -> bytes:
    """The request's body, refused past ``limit`` bytes without reading the rest."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise PlaygroundError(f"the {what} has {int(length):,} bytes; the limit is {limit:,}: "
                              f"use a smaller file")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PlaygroundError(f"the {what} is larger than the limit of {limit:,} bytes: "
                                  f"use a smaller file")
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(limits: Limits | None = None, data_dir=None, on_started=None):
    """The playground as an ASGI application (Starlette).

    Parameters
    ----------
    limits : Limits, optional
        Bounds on sessions, networks, data and uploads (default ``Limits()``).
    data_dir : str or Path, optional
        Looked in first for MNIST (then ``$NEURONAL_DATA`` and the user cache).
    on_started : callable, optional
        Called (in a worker thread) once the server is up, e.g. to open a browser.

    Returns
    -------
    starlette.applications.Starlette
        With ``app.state.playground`` holding the shared :class:`ServerState`.
    """
    from starlette.applications import Starlette
    from starlette.responses import FileResponse, JSONResponse, Response
    from starlette.routing import Mount, Route, WebSocketRoute
    from starlette.staticfiles import StaticFiles

    from . import frames, models
    from .live import Connection
    from .session import Session
    from .upload import parse_csv

    state = ServerState(limits or Limits(), data_dir)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        state.start()
        if on_started is not None:
            asyncio.get_running_loop().run_in_executor(state.executor, on_started)
        try:
            yield
        finally:
            await state.close()

    async def index(request):
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def info(request):
        mnist = await state.run(state.mnist.status)
        return JSONResponse({
            "version": __version__, "limits": state.limits.to_dict(), "mnist": mnist,
            "onnx": models.onnx_available(), "defaults": Setup().to_dict(),
            "plane_sets": PLANE_SETS, "features": FEATURES, "activations": HIDDEN_ACTIVATIONS,
            "optimizers": OPTIMIZERS, "schedules": SCHEDULES,
            "sessions": {"open": len(state.connections), "max": state.limits.max_sessions},
        })

    async def websocket(ws):
        origin = ws.headers.get("origin")
        if origin is not None and urlsplit(origin).netloc != ws.headers.get("host"):
            # another web site open in the same browser may not drive the playground
            await ws.close(code=1008)
            return
        await ws.accept()
        if len(state.connections) >= state.limits.max_sessions:
            await ws.send_json({"type": "error", "fatal": True, "message": (
                f"this playground already has {state.limits.max_sessions} pages open, its "
                f"limit: close a tab (or ask for a server started with a higher "
                f"--max-sessions) and reload")})
            await ws.close(code=1013)
            return
        token = secrets.token_urlsafe(16)
        conn = Connection(ws, Session(state.limits, state.mnist), state)
        state.connections[token] = conn
        try:
            await conn.serve({"type": "hello", "session": token,
                              "limits": state.limits.to_dict()})
        finally:
            state.connections.pop(token, None)

    def _conn(request):
        conn = state.connections.get(request.path_params["sid"])
        if conn is None:
            raise LookupError
        return conn

    async def upload_csv(request):
        try:
            conn = _conn(request)
            name = request.query_params.get("name", "upload.csv")[:200]
            content = await _body(request, state.limits.max_upload_bytes, "CSV file")
            table = await conn.call(parse_csv, content, name, state.limits)
            conn.session.table = table
            return JSONResponse(table.describe())
        except LookupError:
            return _error("this page's session has ended: reload the page", 404)
        except PlaygroundError as exc:
            return _error(str(exc), 413 if "limit" in str(exc) else 400)

    async def load_model(request):
        try:
            conn = _conn(request)
            content = await _body(request, state.limits.max_upload_bytes, "model file")
            await conn.stop()
            await conn.send({"type": "state", "playing": False})
            await conn.call(models.load_model, conn.session, content, state.scratch)
            await conn.send(await conn.call(frames.model_payload, conn.session))
            await conn.send({"type": "reset"})
            await conn.send_frame(images=True)
            return JSONResponse({"ok": True, "shape": conn.session.net.shape})
        except LookupError:
            return _error("this page's session has ended: reload the page", 404)
        except PlaygroundError as exc:
            return _error(str(exc), 413 if "limit" in str(exc) else 400)

    def _download(fn, suffix: str, media: str):
        async def endpoint(request):
            try:
                conn = _conn(request)
                content = await conn.call(fn, conn.session, state.scratch)
            except LookupError:
                return _error("this page's session has ended: reload the page", 404)
            except PlaygroundError as exc:
                return _error(str(exc), 400)
            name = f"playground-{conn.session.net.shape}{suffix}"
            return Response(content, media_type=media,
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})
        return endpoint

    routes = [
        Route("/", index),
        Route("/api/info", info),
        WebSocketRoute("/ws", websocket),
        Route("/api/session/{sid}/csv", upload_csv, methods=["POST"]),
        Route("/api/session/{sid}/model", load_model, methods=["POST"]),
        Route("/api/session/{sid}/model.safetensors",
              _download(models.save_model, ".safetensors", "application/octet-stream")),
        Route("/api/session/{sid}/model.onnx",
              _download(models.export_onnx_model, ".onnx", "application/octet-stream")),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.playground = state
    return app


def bind(port: int = 0) -> socket.socket:
    """A listening socket on 127.0.0.1 (``port`` 0: a free port chosen by the system)."""
    if not 0 <= int(port) <= 65535:
        raise PlaygroundError(f"port must be 0 (any free port) to 65535, got {port}")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", int(port)))
    except OSError as exc:
        sock.close()
        raise PlaygroundError(f"cannot listen on 127.0.0.1:{port} ({exc.strerror}): pick "
                              f"another --port, or leave it out for a free one") from None
    sock.listen(128)
    return sock


def serve(sock: socket.socket, limits: Limits | None = None, data_dir=None,
          on_started=None) -> None:
    """Run the playground on a socket from :func:`bind` until interrupted (Ctrl-C).

    Uvicorn handles the interrupt: it closes the pages' WebSockets, the application's
    shut-down stops training, joins the worker threads and removes the scratch folder.
    """
    import uvicorn

    app = create_app(limits, data_dir, on_started)
    config = uvicorn.Config(app, log_level="warning", lifespan="on",
                            timeout_graceful_shutdown=5, ws_max_size=_WS_MAX_BYTES)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
