"""A local worker pair: the calling process (rank 0) and one worker process (rank 1).

The worker is started fresh with ``subprocess`` (a new Python that imports neuronal: the
calling process is never forked, so other threads, a BLAS call in flight or a runtime that
forbids ``fork`` cannot hang it), and ends when ``fit`` ends, however it ends. The two share
memory through ``memfd`` files that exist only while one of them holds them (nothing is left
in /dev/shm, even after a crash): one holds the training data, copied in once, the other the
exchange areas of :meth:`LocalPair.allreduce` and :meth:`LocalPair.broadcast`, two per rank
used in turns. Each collective call sends a 9-byte token through a pipe to the other side
and blocks reading the other side's token (no spinning: a waiting process takes no core).

A token carries the call's number and a kind: ready, failure (followed by the error's text),
"epoch aborted" (rank 0 continues the epoch alone, see ``parallel.PairRunner``) or, once,
"hello" (the worker has started: rank 0 never waits for that); tokens of aborted calls are
skipped by number.
"""

from __future__ import annotations

import json
import mmap
import os
import select
import struct
import subprocess
import sys
import time

import numpy as np

from ..errors import NeuronalError
from .comm import Communicator

__all__ = ["LocalPair", "EpochAborted"]

_TOKEN = struct.Struct("<bq")  # kind, call number
_READY, _FAILED, _ABORT, _HELLO = 1, 2, 3, 4
_LEN = struct.Struct("<q")


class EpochAborted(Exception):
    """Raised on the worker when rank 0 goes on with the epoch alone."""


def _shared(size: int, fd: int | None = None) -> tuple[int, mmap.mmap]:
    """A memfd of ``size`` bytes mapped shared (a new one unless ``fd`` is given)."""
    if fd is None:
        fd = os.memfd_create("neuronal", 0)
        os.ftruncate(fd, max(1, size))
    return fd, mmap.mmap(fd, max(1, size))


class LocalPair(Communicator):
    """Rank 0 (:meth:`start`) or rank 1 (:meth:`attach`) of a pair on one machine."""

    def __init__(self, rank: int, area_bytes: int, area_mem: mmap.mmap, send_fd: int,
                 recv_fd: int, process: subprocess.Popen | None = None) -> None:
        self.rank, self.size = rank, 2
        self._areas = area_mem
        self._area_bytes = area_bytes
        self._send, self._recv = send_fd, recv_fd
        self.process = process
        self.calls = 0
        self._skip_before = 0  # tokens of calls below this number are stale (aborted)
        self.wait_seconds = 0.0  # time spent blocked on the other side in the last call
        self._closed = False

    # ------------------------------------------------------------------ set-up

    @classmethod
    def start(cls, data: dict[str, np.ndarray], area_bytes: int, setup: dict) -> tuple:
        """Start the worker; returns (communicator, {name: shared copy of data[name]}).

        ``setup`` (JSON-able) reaches the worker with the layout of the shared data.
        """
        total = sum(a.nbytes for a in data.values())
        data_fd, data_mem = _shared(total)
        views, offset, layout = {}, 0, {}
        for name, arr in data.items():
            view = np.ndarray(arr.shape, arr.dtype, buffer=data_mem, offset=offset)
            view[...] = arr
            views[name] = view
            layout[name] = [offset, list(arr.shape), arr.dtype.str]
            offset += arr.nbytes
        area_fd, area_mem = _shared(4 * area_bytes)
        to_worker_r, to_worker_w = os.pipe()
        from_worker_r, from_worker_w = os.pipe()
        fds = (data_fd, area_fd, to_worker_r, from_worker_w)
        env = {**os.environ, "NEURONAL_ENGINE": "fast"}
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "neuronal.engine.worker", *map(str, fds)],
                pass_fds=fds, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, env=env, close_fds=True)
        finally:
            for fd in fds:
                os.close(fd)
        comm = cls(0, area_bytes, area_mem, to_worker_w, from_worker_r, process)
        comm._data_mem = data_mem
        header = json.dumps({**setup, "layout": layout, "area_bytes": area_bytes,
                             "data_bytes": total}).encode()
        comm._write(_LEN.pack(len(header)) + header)
        return comm, views

    @classmethod
    def attach(cls, data_fd: int, area_fd: int, recv_fd: int, send_fd: int):
        """In the worker: (communicator, setup, {name: shared data}) from the parent's fds."""
        comm = cls(1, 0, None, send_fd, recv_fd)
        size = _LEN.unpack(comm._read_exactly(_LEN.size))[0]
        setup = json.loads(comm._read_exactly(size))
        comm._area_bytes = setup["area_bytes"]
        _, comm._areas = _shared(4 * comm._area_bytes, area_fd)
        _, comm._data_mem = _shared(setup["data_bytes"], data_fd)
        views = {name: np.ndarray(shape, np.dtype(dtype), buffer=comm._data_mem, offset=off)
                 for name, (off, shape, dtype) in setup["layout"].items()}
        return comm, setup, views

    # ------------------------------------------------------------------ collectives

    def _area(self, rank: int, call: int, like: np.ndarray) -> np.ndarray:
        if like.nbytes > self._area_bytes:
            raise NeuronalError(f"a {like.nbytes}-byte buffer does not fit the exchange area "
                                f"of {self._area_bytes} bytes")
        offset = (2 * rank + call % 2) * self._area_bytes
        return np.ndarray(like.shape, like.dtype, buffer=self._areas, offset=offset)

    def allreduce(self, buffer: np.ndarray) -> None:
        call = self._next_call()
        self._area(self.rank, call, buffer)[...] = buffer
        self._token(_READY, call)
        self._await(call)
        np.add(self._area(0, call, buffer), self._area(1, call, buffer), out=buffer)

    def broadcast(self, buffer: np.ndarray, root: int = 0) -> None:
        call = self._next_call()
        if self.rank == root:
            self._area(root, call, buffer)[...] = buffer
            self._token(_READY, call)
            self._await(call)  # the other side has copied it
        else:
            self._await(call)
            buffer[...] = self._area(root, call, buffer)
            self._token(_READY, call)

    def hello(self) -> None:
        """The worker: tell rank 0 it is ready (before any collective call)."""
        self._token(_HELLO, -1)

    def ready(self) -> bool:
        """Rank 0: whether the worker's hello has arrived (never blocks; True only once a
        hello was read, after which collectives may start)."""
        if select.select([self._recv], [], [], 0)[0]:
            kind, _ = _TOKEN.unpack(self._read_exactly(_TOKEN.size))
            if kind == _FAILED:
                size = _LEN.unpack(self._read_exactly(_LEN.size))[0]
                text = self._read_exactly(size).decode(errors="replace")
                raise NeuronalError(f"the worker process sharing each batch failed:\n{text}")
            return kind == _HELLO
        if self.process is not None and self.process.poll() is not None:
            raise self._ended()
        return False

    def wait_hello(self) -> None:
        """Rank 0: block until the worker's hello arrives (or its failure, or its end)."""
        while not self.ready():
            select.select([self._recv], [], [], 1.0)

    def abort_epoch(self) -> None:
        """Rank 0: tell the worker to leave the rest of this epoch to rank 0."""
        call = self._next_call()
        self._token(_ABORT, call)
        self._skip_before = call + 1  # the worker's token of this call is stale

    def fail(self, message: str) -> None:
        try:
            data = message.encode(errors="replace")
            self._write(_TOKEN.pack(_FAILED, self.calls) + _LEN.pack(len(data)) + data)
        except OSError:
            pass

    def _next_call(self) -> int:
        call = self.calls
        self.calls += 1
        return call

    def _token(self, kind: int, call: int) -> None:
        self._write(_TOKEN.pack(kind, call))

    def _await(self, call: int) -> None:
        """Block until the other side's token for ``call`` arrives (skipping stale ones)."""
        t0 = time.perf_counter()
        while True:
            kind, number = _TOKEN.unpack(self._read_exactly(_TOKEN.size))
            if kind == _FAILED:
                size = _LEN.unpack(self._read_exactly(_LEN.size))[0]
                text = self._read_exactly(size).decode(errors="replace")
                raise NeuronalError(f"the worker process sharing each batch failed:\n{text}"
                                    if self.rank == 0 else f"rank 0 failed: {text}")
            if number < self._skip_before:
                continue
            if kind == _ABORT:
                self._skip_before = number + 1
                raise EpochAborted()
            if number != call:
                raise NeuronalError(f"the worker pair lost step: call {call}, got {number}")
            self.wait_seconds = time.perf_counter() - t0
            return

    # ------------------------------------------------------------------ pipes

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                n = os.write(self._send, view)
            except BrokenPipeError:
                raise self._ended() from None
            view = view[n:]

    def _read_exactly(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            if self.process is not None:  # rank 0: notice a worker that died
                ready, _, _ = select.select([self._recv], [], [], 1.0)
                if not ready:
                    if self.process.poll() is not None:
                        raise self._ended()
                    continue
            part = os.read(self._recv, n - len(data))
            if not part:
                raise self._ended()
            data += part
        return data

    def _ended(self) -> NeuronalError:
        if self.rank == 1:
            return NeuronalError("rank 0 went away")
        code = self.process.poll() if self.process is not None else None
        return NeuronalError(
            f"the worker process sharing each batch ended unexpectedly (exit status {code}: "
            f"killed, or out of memory?); train without workers=2 to use one process")

    def close(self, kill: bool = False) -> None:
        """Close the pipes (the worker then exits) and wait for the worker to end; ``kill``:
        end it at once (a worker still starting up has nothing to finish)."""
        if self._closed:
            return
        self._closed = True
        for fd in (self._send, self._recv):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.process is not None:
            if kill:
                self.process.kill()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for mem in (self._areas, getattr(self, "_data_mem", None)):
            if mem is not None:
                try:
                    mem.close()
                except BufferError:  # a view is still alive; the mapping goes with it
                    pass
