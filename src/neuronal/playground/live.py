"""One page's WebSocket: its messages, and the live training loop that feeds it frames.

The page sends JSON messages ``{"type": ..., ...}``; each is answered (a frame, an
explanation, an error) on the same socket. While playing, a task trains in the server's
worker threads and sends a frame whenever the page has drawn the previous one (it answers
each frame with ``{"type": "ack"}``): the page is never flooded, stays responsive, and training
does not outrun what the page can show by more than one chunk (one epoch, or about 30 ms of
steps on large data).

Calls into the session run in the server's thread pool, one at a time per session (an
asyncio lock), so the event loop stays free for the other pages.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ..errors import NeuronalError
from . import frames
from .limits import PlaygroundError

__all__ = ["Connection"]

log = logging.getLogger("neuronal.playground")

CHUNK_SECONDS = 0.03  #: longest training call between two frames
ACK_TIMEOUT = 1.0  #: a page that does not answer a frame (hidden tab) gets the next anyway


class Connection:
    """The WebSocket of one page and its :class:`~neuronal.playground.session.Session`.

    Parameters
    ----------
    websocket : starlette.websockets.WebSocket
    session : Session
    server : ServerState
        The thread pool, the scratch folder and the limits shared by all pages.
    """

    def __init__(self, websocket, session, server) -> None:
        self.ws = websocket
        self.session = session
        self.server = server
        self.lock = asyncio.Lock()  # one session call at a time
        self.send_lock = asyncio.Lock()  # one message at a time on the socket
        self.drawn = asyncio.Event()
        self.drawn.set()
        self.playing = False
        self.task: asyncio.Task | None = None

    async def call(self, fn, *args):
        """Run ``fn(*args)`` in the server's thread pool, alone for this session."""
        async with self.lock:
            return await self.server.run(fn, *args)

    async def send(self, message: dict) -> None:
        async with self.send_lock:
            await self.ws.send_json(message)

    async def send_frame(self, images: bool = False) -> None:
        if self.session.net is None:
            return
        self.drawn.clear()
        await self.send(await self.call(frames.frame_payload, self.session, images))

    # ------------------------------------------------------------------ the loop

    async def serve(self, hello: dict) -> None:
        """Greet the page, then answer its messages until it goes away."""
        from starlette.websockets import WebSocketDisconnect

        await self.send(hello)
        try:
            while True:
                text = await self.ws.receive_text()
                await self.handle(text)
        except WebSocketDisconnect:
            pass
        finally:
            await self.stop()

    async def stop(self) -> None:
        """Stop the training task (if any) and wait for it."""
        self.playing = False
        task, self.task = self.task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass

    async def handle(self, text: str) -> None:
        """Carry out one message; a bad one gets an error message, the socket stays open."""
        import json

        try:
            message = json.loads(text)
            if not isinstance(message, dict) or not isinstance(message.get("type"), str):
                raise PlaygroundError("a message must be a JSON object with a 'type'")
            handler = getattr(self, "on_" + message["type"], None)
            if handler is None:
                raise PlaygroundError(f"unknown message type {message['type']!r}")
            await handler(message)
        except (json.JSONDecodeError, UnicodeDecodeError):
            await self.send({"type": "error", "message": "a message must be JSON text"})
        except NeuronalError as exc:  # PlaygroundError and the library's own errors
            await self.send({"type": "error", "message": str(exc)})
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            await self.send({"type": "error", "message": f"bad message: {exc}"})
        except Exception as exc:  # a bug of ours: say so, log it, keep the page's session
            if type(exc).__name__ == "WebSocketDisconnect":
                raise
            log.exception("playground: %s message failed", text[:40])
            await self.send({"type": "error", "message": f"internal error ({type(exc).__name__}: "
                             f"{exc}); the page's session goes on"})

    async def _play(self) -> None:
        try:
            while self.playing:
                try:
                    await self.call(self.session.train, CHUNK_SECONDS, 1.0)
                except NeuronalError as exc:
                    self.playing = False
                    await self.send({"type": "error", "message": str(exc)})
                    await self.send({"type": "state", "playing": False})
                    await self.send_frame()
                    return
                try:
                    await asyncio.wait_for(self.drawn.wait(), ACK_TIMEOUT)
                except asyncio.TimeoutError:
                    pass
                if self.playing:
                    await self.send_frame()
        except asyncio.CancelledError:
            raise
        except Exception:  # the page went away mid-send: nothing to tell it
            self.playing = False
            log.debug("training loop ended", exc_info=True)

    # ------------------------------------------------------------------ messages

    async def on_setup(self, m: dict[str, Any]) -> None:
        await self.stop()
        await self.call(self.session.configure, m.get("setup", {}))
        await self.send(await self.call(frames.model_payload, self.session))
        await self.send({"type": "state", "playing": False})
        await self.send_frame(images=True)

    async def on_play(self, m) -> None:
        self.session._require()
        if not self.playing:
            self.playing = True
            self.drawn.set()
            self.task = asyncio.create_task(self._play())
        await self.send({"type": "state", "playing": True})

    async def on_pause(self, m) -> None:
        await self.stop()
        await self.send({"type": "state", "playing": False})
        await self.send_frame(images=True)

    async def on_ack(self, m) -> None:
        self.drawn.set()

    async def on_step(self, m) -> None:
        await self.stop()
        await self.send({"type": "state", "playing": False})
        await self.call(self.session.step_epoch)
        await self.send_frame(images=True)

    async def on_reset(self, m) -> None:
        await self.stop()
        await self.call(self.session.reset)
        await self.send({"type": "state", "playing": False})
        await self.send({"type": "reset"})
        await self.send_frame(images=True)

    async def on_set_weight(self, m) -> None:
        source = m.get("input")
        await self.call(self.session.set_param, int(m["layer"]), int(m["neuron"]), m["value"],
                        None if source is None else int(source))
        if not self.playing:
            await self.send_frame(images=True)

    async def on_explain(self, m) -> None:
        reply = await self.call(self.session.explain_neuron, int(m["layer"]),
                                int(m["neuron"]), m.get("point"))
        await self.send({"type": "explanation", **reply})

    async def on_draw(self, m) -> None:
        await self.call(self.session.set_digit, m.get("pixels"))
        await self.send({"type": "digit",
                         "digit": await self.call(frames.digit_payload, self.session)})

    async def on_explain_step(self, m) -> None:
        await self.stop()
        await self.send({"type": "state", "playing": False})
        await self.send(await self.call(self.session.explain_step))
        await self.send_frame(images=True)
