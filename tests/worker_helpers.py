"""Helpers for tests of worker processes (``_split``, ``_feeder``, ``_columns``)."""

import os
import time


def reaped(pid, timeout=10.0):
    """Whether the worker ``pid`` has exited and been reaped (workers' exits are not waited
    for by the library itself, so give it a moment)."""
    from neuronal import _split

    end = time.monotonic() + timeout
    while True:
        _split.reap_exited()
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return pid not in _split._exiting
        if time.monotonic() > end:
            return False
        time.sleep(0.01)
