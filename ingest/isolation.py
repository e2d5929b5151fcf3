"""Run a parser on an untrusted file in a worker process, so the file cannot starve the server.

pypdf and python-docx parse in pure Python, and lxml holds the GIL while it builds a tree: read
in the server's own process, a PDF that takes ten seconds makes every other thread (the event
loop answering `/health`, a search) wait its turn for the GIL, measured at 0.4-1.0 s per
request. A worker is a separate Python process, started afresh with `python -c` so that it
inherits nothing of the server (threads, locks, the open index). It is limited to
`WORKER_MEMORY_MB` of address space, killed when a call outlives its timeout (a parser stuck
inside one page cannot check its own clock), and replaced after `WORKER_CALLS` calls.

>>> status, value = call_isolated("ingest.loaders.parse_for_worker", args, timeout=70)  # doctest: +SKIP
>>> status in ("ok", "error", "memory")  # doctest: +SKIP
True

`status` is "ok" (`value` is what the function returned), "error" (it raised; `value` names
the exception) or "memory" (it ran out of memory). `WorkerFailed` means the worker timed out
or died. Calls travel to the worker as pickles; answers come back as JSON, so `value` must be
JSON (a worker reads hostile files: what it sends back must not be able to run code here).
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
from typing import Any

WORKERS = 2  # files read at once; the machine this was measured on has two cores
WORKER_CALLS = 20  # a worker is replaced after this many files: a large parse leaves memory behind
WORKER_MEMORY_MB = 3000  # address space of one worker; a DOCX unpacking to 100 MB takes ~0.7 GB

_HEADER = struct.Struct("!Q")  # every message: its length, then a pickle (calls) or JSON (answers)
_slots = threading.BoundedSemaphore(WORKERS)
_idle: list["_Worker"] = []
_idle_lock = threading.Lock()


class WorkerFailed(Exception):
    """The worker did not answer: it timed out (`timed_out`) or died."""

    def __init__(self, reason: str, timed_out: bool = False):
        super().__init__(reason)
        self.timed_out = timed_out


def call_isolated(target: str, args: tuple, timeout: float) -> tuple[str, Any]:
    """Call the function named `target` ("module.function") with `args` in a worker process.

    :param timeout: seconds until the worker is killed (its start-up included).
    """
    with _slots:
        with _idle_lock:
            worker = _idle.pop() if _idle else None
        if worker is None or worker.process.poll() is not None:
            worker = _Worker()
        keep = False
        try:
            status, value = worker.call(target, args, timeout)
            keep = status != "memory" and worker.calls < WORKER_CALLS
            return status, value
        finally:
            if keep:
                with _idle_lock:
                    _idle.append(worker)
            else:
                worker.stop()


class _Worker:
    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from ingest.isolation import serve; serve()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            bufsize=0,
        )
        self.calls = 0

    def call(self, target: str, args: tuple, timeout: float) -> tuple[str, Any]:
        deadline = time.monotonic() + timeout
        payload = pickle.dumps((target, args), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            _write_all(self.process.stdin.fileno(), _HEADER.pack(len(payload)) + payload)
        except OSError:
            raise WorkerFailed(f"the reader process ended (exit code {self.process.poll()})") from None
        (size,) = _HEADER.unpack(self._read(_HEADER.size, deadline))
        status, value = json.loads(self._read(size, deadline + 30))  # the answer is written: it comes quickly
        self.calls += 1
        return status, value

    def _read(self, size: int, deadline: float) -> bytes:
        fd = self.process.stdout.fileno()
        chunks: list[bytes] = []
        while size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise WorkerFailed("the reader process did not answer in time", timed_out=True)
            chunk = os.read(fd, min(size, 1 << 20))
            if not chunk:
                raise WorkerFailed(f"the reader process ended (exit code {self.process.wait()})")
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            stream.close()


@atexit.register
def _stop_idle_workers() -> None:
    with _idle_lock:
        while _idle:
            _idle.pop().stop()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exact(fd: int, size: int) -> bytes | None:
    chunks: list[bytes] = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def serve() -> None:
    """The worker's loop: read a call from stdin, answer on stdout, until stdin closes."""
    import resource

    answers = os.dup(1)
    os.dup2(2, 1)  # a library's print() must not end up inside an answer
    limit = WORKER_MEMORY_MB * 1_000_000
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):  # a lower hard limit is already in force
        pass
    while True:
        header = _read_exact(0, _HEADER.size)
        if header is None:
            return
        body = _read_exact(0, _HEADER.unpack(header)[0])
        if body is None:
            return
        target, args = pickle.loads(body)
        module, name = target.rsplit(".", 1)
        try:
            answer: tuple[str, Any] = ("ok", getattr(importlib.import_module(module), name)(*args))
            data = json.dumps(answer, ensure_ascii=False).encode("utf-8")
        except MemoryError:
            data = json.dumps(("memory", None)).encode()
        except Exception as exc:  # reported to the caller, who names the file
            data = json.dumps(("error", f"{type(exc).__name__}: {exc}"), ensure_ascii=False).encode("utf-8")
        _write_all(answers, _HEADER.pack(len(data)) + data)
