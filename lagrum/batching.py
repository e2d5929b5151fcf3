"""Batching of embedder calls: concurrent questions share one model call, ingest yields to questions.

One e5 call already keeps both cores busy, so concurrent callers gain nothing from threads: they
can only wait for each other. What they can gain is *batching*: sixteen questions embedded in one
call take about two thirds of the time of sixteen calls, and a question that arrives while a long
ingest batch embeds need not wait for all of it.

`EmbeddingBatcher` puts every request in a queue and lets one caller at a time (the *leader*)
run the model; it has no thread of its own. The next model call is chosen so:

1. queries first: every waiting query request, in arrival order, up to `max_batch` texts, goes
   into ONE call; when fewer are waiting and questions have been arriving concurrently (one came
   while the model was busy, within the last `CONTENTION_SECONDS`), the leader first waits at
   most `window_ms` (counted from the oldest one's arrival, so a query that already waited
   behind another call waits no longer) for more to arrive; a lone client never waits;
2. otherwise the next slice of the oldest waiting passage request: while questions are being
   asked (one in the last `QUESTIONS_ACTIVE_SECONDS`) a slice is `passage_slice` texts, so a
   question arriving during an ingest waits for one short call, and between two slices the
   waiting queries go first; with no question about it is `passage_batch` texts (larger calls
   embed more passages per second: the engine packs a call's tokens into one forward pass).

A caller whose request is not done and finds the model idle becomes the leader and runs the next
call (its own request or someone else's); it returns as soon as its own request is done. Results
are the same vectors as embedding each request alone (the model embeds each text independently
of the others in its call; `tests/test_batching.py` checks bit-identity with real e5), in the
order of the request's texts. An exception from the model reaches every caller whose texts were
in that call, as `EmbeddingError` naming what failed; `close()` refuses new requests and fails
the waiting ones, so no caller can wait forever.

>>> batcher = EmbeddingBatcher(model_queries, model_passages, dim=384)  # doctest: +SKIP
>>> batcher.embed_queries(["is mandatory webcam use legal", "kamerabevakning"]).shape  # doctest: +SKIP
(2, 384)
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from lagrum.errors import LagrumError

Encode = Callable[[list[str]], np.ndarray]
CONTENTION_SECONDS = 1.0  # how long one question arriving at a busy model counts as concurrent load
QUESTIONS_ACTIVE_SECONDS = 30.0  # how long after a question passages are embedded in short slices


class EmbeddingError(RuntimeError):
    """The embedder failed on a call this request was part of, or was closed before it ran.

    A fault of the server, not of the input (a `LagrumError` would answer HTTP 422): the API
    answers 500 and logs it, as it did for the engine's own exceptions before batching."""


@dataclass(frozen=True)
class BatchSettings:
    """How `EmbeddingBatcher` groups calls (see README "Configuration", `LAGRUM_EMBED_*`)."""

    window_ms: float = 2.0  # how long a query may wait for others to join its call (under load)
    max_batch: int = 32  # query texts per model call
    passage_slice: int = 8  # passages per model call while questions are asked; queries go first between slices
    passage_batch: int = 64  # passages per model call when no question was asked lately


class _Request:
    """One caller's texts; done when every text has its vector or a call with some of them failed."""

    __slots__ = ("kind", "texts", "parts", "remaining", "error", "done", "submitted", "waited", "started")

    def __init__(self, kind: str, texts: list[str], now: float):
        self.kind = kind
        self.texts = texts
        self.parts: dict[int, np.ndarray] = {}  # first text's position -> vectors of that slice
        self.remaining = len(texts)
        self.error: BaseException | None = None
        self.done = False
        self.submitted = now
        self.waited: float | None = None  # seconds from submission to its first model call
        self.started = False


@dataclass
class _Job:
    request: _Request
    start: int  # the texts request.texts[start:end]; a waiting passage job is cut from its start
    end: int

    @property
    def texts(self) -> list[str]:
        return self.request.texts[self.start : self.end]


class BatchStats:
    """Counters since the last `reset()`: cheap enough to keep always on (updated under the
    batcher's lock, a few additions per model call). Times are seconds of wall clock."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.query_calls = 0  # model calls that embedded queries
        self.query_texts = 0
        self.query_requests = 0
        self.query_wait_s = 0.0  # summed over query requests: submission to their model call
        self.query_embed_s = 0.0  # model time of query calls
        self.query_held_s = 0.0  # summed over query requests: the time of the call they were in
        self.passage_calls = 0
        self.passage_texts = 0
        self.passage_requests = 0
        self.passage_wait_s = 0.0  # summed over passage requests: submission to their first slice
        self.passage_embed_s = 0.0
        self.largest_query_call = 0

    def as_dict(self) -> dict[str, float]:
        out = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in vars(self).items()}
        out["mean_queries_per_call"] = round(self.query_texts / self.query_calls, 2) if self.query_calls else 0.0
        return out


class EmbeddingBatcher:
    """Groups concurrent embedding requests into few model calls (see the module docstring).

    :param encode_queries: embeds a list of query texts, one row per text (the model's own call).
    :param encode_passages: the same for passages.
    :param dim: vector size, for the empty result of an empty request.
    :param settings: window, query batch size and passage slice size.
    """

    def __init__(self, encode_queries: Encode, encode_passages: Encode, dim: int, settings: BatchSettings | None = None):
        self.settings = settings or BatchSettings()
        if min(self.settings.max_batch, self.settings.passage_slice, self.settings.passage_batch) < 1 or self.settings.window_ms < 0:
            raise LagrumError(f"embedding batch settings {self.settings}: max_batch, passage_slice and passage_batch must be at least 1, window_ms at least 0")
        self._encode = {"query": encode_queries, "passage": encode_passages}
        self.dim = dim
        self._cond = threading.Condition()
        self._queries: deque[_Job] = deque()
        self._passages: deque[_Job] = deque()
        self._busy = False
        self._closed = False
        self._contended_at = float("-inf")  # when a query last arrived while the model was busy
        self._asked_at = float("-inf")  # when the last query arrived
        self.stats = BatchStats()
        self.trace: deque[tuple[str, int]] = deque(maxlen=256)  # (kind, texts) of recent model calls, oldest first

    # --- the callers' side -------------------------------------------------------------

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for `texts` as queries, one row each, in order; all in one model call when
        they fit in `max_batch` (a question's variants are embedded together)."""
        texts = list(texts)
        size = self.settings.max_batch
        return self._submit("query", texts, [(i, min(i + size, len(texts))) for i in range(0, len(texts), size)])

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for `texts` as passages, in order, embedded a slice at a time (see the module docstring)."""
        texts = list(texts)
        return self._submit("passage", texts, [(0, len(texts))])  # cut into slices as they are taken

    def close(self) -> None:
        """Refuse new requests and fail the waiting ones; a model call already running finishes."""
        with self._cond:
            self._closed = True
            for queue in (self._queries, self._passages):
                while queue:
                    job = queue.popleft()
                    self._fail(job.request, EmbeddingError("the embedder was closed before this request ran; open the index again"))
            self._cond.notify_all()

    # --- inside -----------------------------------------------------------------------

    def _submit(self, kind: str, texts: list[str], bounds: list[tuple[int, int]]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._cond:
            if self._closed:
                raise EmbeddingError("the embedder is closed; open the index again")
            request = _Request(kind, texts, time.perf_counter())
            if kind == "query":
                self._asked_at = request.submitted
                if self._busy or self._queries:
                    self._contended_at = request.submitted
            queue = self._queries if kind == "query" else self._passages
            queue.extend(_Job(request, start, end) for start, end in bounds)
            self._cond.notify_all()  # a leader waiting in its window may take this one too
            while not request.done:
                if self._busy:
                    self._cond.wait()
                    continue
                self._lead()
        if request.error is not None:
            raise request.error
        parts = [request.parts[start] for start in sorted(request.parts)]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _lead(self) -> None:
        """Run the next model call; entered and left holding the lock, released during the call."""
        self._busy = True
        try:
            jobs = self._next_jobs()
            if not jobs:
                return
            kind = jobs[0].request.kind
            now = time.perf_counter()
            for job in jobs:
                if not job.request.started:
                    job.request.started = True
                    job.request.waited = now - job.request.submitted
            self.trace.append((kind, sum(j.end - j.start for j in jobs)))
            texts = [t for job in jobs for t in job.texts]
            self._cond.release()
            error: BaseException | None = None
            try:
                vectors = np.asarray(self._encode[kind](texts), dtype=np.float32).reshape(len(texts), self.dim)
            except BaseException as exc:  # every waiter must hear of it, whatever it is
                error = exc
            finally:
                self._cond.acquire()
            seconds = time.perf_counter() - now
            self._count(kind, jobs, len(texts), seconds)
            if error is not None:
                what = f"{len(texts)} {'queries' if kind == 'query' else 'passages'}"
                failure = EmbeddingError(f"the embedder failed on a call of {what}: {type(error).__name__}: {error}")
                failure.__cause__ = error
                for job in jobs:
                    self._fail(job.request, failure)
                if not isinstance(error, Exception):
                    raise error  # KeyboardInterrupt, SystemExit: the waiters are told, the leader stops
                return
            offset = 0
            for job in jobs:
                n = job.end - job.start
                request = job.request
                if not request.done:
                    request.parts[job.start] = vectors[offset : offset + n]
                    request.remaining -= n
                    request.done = request.remaining == 0
                offset += n
        finally:
            self._busy = False
            self._cond.notify_all()

    def _next_jobs(self) -> list[_Job]:
        """Waiting queries (after the window) or else one passage slice; holding the lock."""
        settings = self.settings
        if self._queries:
            oldest = self._queries[0].request.submitted
            contended = oldest - self._contended_at < CONTENTION_SECONDS
            deadline = oldest + settings.window_ms / 1000 if contended else oldest
            while not self._closed and self._waiting_query_texts() < settings.max_batch:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            jobs: list[_Job] = []
            total = 0
            while self._queries:
                job = self._queries[0]
                n = job.end - job.start
                if jobs and total + n > settings.max_batch:
                    break
                self._queries.popleft()
                if not job.request.done:
                    jobs.append(job)
                    total += n
            if jobs:
                return jobs
        asked = time.perf_counter() - self._asked_at < QUESTIONS_ACTIVE_SECONDS
        size = settings.passage_slice if asked else settings.passage_batch
        while self._passages:
            waiting = self._passages[0]
            if waiting.request.done:  # a request whose earlier slice failed is not embedded further
                self._passages.popleft()
                continue
            if waiting.end - waiting.start <= size:
                return [self._passages.popleft()]
            job = _Job(waiting.request, waiting.start, waiting.start + size)
            waiting.start += size
            return [job]
        return []

    def _waiting_query_texts(self) -> int:
        return sum(job.end - job.start for job in self._queries)

    def _fail(self, request: _Request, error: BaseException) -> None:
        if not request.done:
            request.error = error
            request.done = True

    def _count(self, kind: str, jobs: list[_Job], texts: int, seconds: float) -> None:
        s = self.stats
        first_slices = [j.request for j in jobs if j.start == 0]
        waited = sum(r.waited or 0.0 for r in first_slices)
        if kind == "query":
            s.query_calls += 1
            s.query_texts += texts
            s.query_requests += len(first_slices)
            s.query_wait_s += waited
            s.query_embed_s += seconds
            s.query_held_s += seconds * len(first_slices)
            s.largest_query_call = max(s.largest_query_call, texts)
        else:
            s.passage_calls += 1
            s.passage_texts += texts
            s.passage_requests += len(first_slices)
            s.passage_wait_s += waited
            s.passage_embed_s += seconds
