"""Callbacks that report, from inside a fit, what the process looks like (for the tests of
joblib workers): its pid, its child processes and its BLAS threads."""

import json
import os

import neuronal as nl


def child_processes(pid: int) -> list[list]:
    """[pid, command line] of each process whose parent is ``pid`` (read from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                command = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[1]) == pid:
            found.append([int(entry), command])
    return found


def engine_workers(record: dict) -> list[list]:
    """The children in a probe's record that are neuronal's own worker processes."""
    return [c for c in record["children"] if "neuronal.engine.worker" in c[1]]


class ProcessProbe(nl.Callback):
    """After every epoch, appends one JSON line to ``folder/<pid>.jsonl``."""

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def on_epoch_end(self, network, epoch, logs):
        from threadpoolctl import threadpool_info

        blas = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
        record = {"pid": os.getpid(), "epoch": epoch, "blas_threads": blas,
                  "children": child_processes(os.getpid())}
        with open(os.path.join(self.folder, f"{os.getpid()}.jsonl"), "a") as f:
            f.write(json.dumps(record) + "\n")


def read_probes(folder) -> list[dict]:
    out = []
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name)) as f:
            out += [json.loads(line) for line in f]
    return out
