"""The ingest pipeline: documents in, chunks with dense and BM25 vectors out, idempotently.

Each document is hashed (text, metadata, embedder). An unchanged document is skipped without
embedding. A new or changed one is written in an order that survives being killed at any point:
the document record is first marked `pending`, then its old chunks are deleted, the new chunks
upserted under ids derived from `doc_id#index`, and finally the record is marked `complete`
with the new hash. A re-run finds `pending` and redoes the document, so chunks are never lost
or duplicated.

Stages overlap: a producer thread reads, cleans, chunks and annotates the next documents (at
most `PREPARE_AHEAD` ahead, in order) while this thread embeds and stores the current batch. The
producer only reads the store; every write happens here, in the order above, so a kill leaves
the same states as before. Results — chunks, ids, order, errors and their messages, progress
events — are those of reading the documents one after another. The embedder embeds each batch
in slices, so questions asked during an ingest wait for one slice, not the whole batch
(`lagrum.batching`). `IngestSummary.stages` says where the time went.

>>> summary = IngestPipeline(index).ingest(iter_documents([Path("corpus")]))  # doctest: +SKIP
>>> summary.failed  # doctest: +SKIP
0
"""

from __future__ import annotations

import queue
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from lagrum.documents import Chunk, Document
from lagrum.errors import InputError
from lagrum.index import Index
from lagrum.legal.references import EXTRACTOR_VERSION
from lagrum.legal.segments import SEGMENTS_VERSION
from lagrum.store.base import ChunkPoint, SparseVector, point_id
from lagrum.store.limits import PayloadRefused, check_payload

from ingest.chunking import chunk_text, chunk_validity

EMBED_BATCH = 32  # chunks per batch written (from half of it when the producer has nothing ready; the embedder embeds in slices)
PREPARE_AHEAD = 16  # documents (or reported failures) the producer may prepare ahead of the writes


_NO_IDLE = object()


def read_ahead(items: Iterable[Any], ahead: int = PREPARE_AHEAD, idle: Any = _NO_IDLE) -> Iterator[Any]:
    """`items` in order, read by a producer thread at most `ahead` items in front of the caller,
    so reading and parsing the next files overlaps whatever the caller does with the current one
    (embedding it). An exception raised by `items` is raised here, at its place in the order;
    closing the generator stops the producer at its next item. With `idle` given, it is yielded
    before waiting whenever nothing is read yet (the caller may act on what it holds).

    >>> list(read_ahead(iter(range(5)), ahead=2))
    [0, 1, 2, 3, 4]
    """
    buffer: queue.Queue = queue.Queue(maxsize=ahead)
    stop = threading.Event()

    def put(event: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                buffer.put(event, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(("item", item)):
                    return
            put(("end", None))
        except BaseException as exc:  # handed to the consuming thread, raised there
            put(("raise", exc))

    producer = threading.Thread(target=produce, name="lagrum-read-ahead", daemon=True)
    producer.start()
    try:
        while True:
            if idle is _NO_IDLE:
                outcome, value = buffer.get()
            else:
                try:
                    outcome, value = buffer.get_nowait()
                except queue.Empty:
                    yield idle
                    outcome, value = buffer.get()
            if outcome == "end":
                return
            if outcome == "raise":
                raise value
            yield value
    finally:
        stop.set()
        producer.join(timeout=None if not producer.is_alive() else 5)


@dataclass
class IngestSummary:
    """What one ingest run did; `failed > 0` makes the CLI exit non-zero."""

    ingested: int = 0
    skipped: int = 0
    failed: int = 0
    chunks: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    ingested_ids: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # Where the time went, in seconds (not part of `as_dict`): `read` (loading and cleaning, in the
    # producer), `prepare` (hashing, chunking, annotating, BM25, in the producer), `embed`
    # (this thread, waiting for and in the embedder), `store` (this thread, the writes) and
    # `idle` (this thread, waiting for the producer).
    stages: dict[str, float] = field(default_factory=lambda: dict.fromkeys(("read", "prepare", "embed", "store", "idle"), 0.0))

    def as_dict(self) -> dict[str, Any]:
        return {
            "ingested": self.ingested,
            "skipped": self.skipped,
            "failed": self.failed,
            "chunks": self.chunks,
            "seconds": round(self.seconds, 2),
            "errors": self.errors,
            "ingested_ids": self.ingested_ids,
        }


@dataclass
class _Pending:
    document: Document
    record: dict[str, Any]
    chunks: list[Chunk]
    payloads: list[dict[str, Any]] = field(default_factory=list)  # one per chunk, checked storable
    sparse: list[SparseVector] = field(default_factory=list)  # BM25 of each chunk


class IngestPipeline:
    """Chunk, cite, embed and store documents in an `Index`.

    :param index: the opened index (store + embedder + BM25 encoder).
    :param chunk_tokens: token budget per chunk (within the embedder's limit).
    :param chunk_overlap: trailing sentences repeated at the start of the next chunk.
    :param annotate: optional hook adding legal annotations (citations, identifiers,
        relation statements) to a document record and its chunks; see `lagrum.legal`.
    """

    def __init__(
        self,
        index: Index,
        chunk_tokens: int | None = None,
        chunk_overlap: int | None = None,
        annotate: Callable[[Document, list[Chunk], dict[str, Any]], None] | None = None,
    ):
        self.index = index
        limit = index.embedder.max_tokens - 8  # room for the "passage: " prefix and title line
        self.chunk_tokens = min(chunk_tokens or index.settings.chunk_tokens, limit)
        self.chunk_overlap = index.settings.chunk_overlap if chunk_overlap is None else chunk_overlap
        self.annotate = annotate if annotate is not None else default_annotator()
        self._annotation_id = _annotation_id(self.annotate)

    def ingest(
        self,
        items: Iterable[Document | InputError],
        progress: Callable[[str, str], None] | None = None,
    ) -> IngestSummary:
        """Ingest every document; bad inputs are counted and reported, never fatal."""
        started = time.perf_counter()
        summary = IngestSummary()
        batch: list[_Pending] = []
        events = self._prepared(items, summary.stages)
        try:
            while True:
                waiting = time.perf_counter()
                event = next(events, None)
                summary.stages["idle"] += time.perf_counter() - waiting
                if event is None:
                    break
                outcome, value = event
                if outcome == "waiting":  # nothing prepared yet: embed what there is instead of idling,
                    if batch and sum(len(p.chunks) for p in batch) >= EMBED_BATCH // 2:  # when that makes an efficient call
                        self._write_batch(batch, summary, progress)
                        batch = []
                elif outcome == "failed":
                    summary.failed += 1
                    summary.errors.append(value)
                    _notify(progress, "failed", value["source"])
                elif outcome == "skipped":
                    summary.skipped += 1
                    _notify(progress, "skipped", value)
                else:
                    batch.append(value)
                    if sum(len(p.chunks) for p in batch) >= EMBED_BATCH:
                        self._write_batch(batch, summary, progress)
                        batch = []
            if batch:
                self._write_batch(batch, summary, progress)
        finally:
            events.close()  # stops the producer (an error or an interrupt here)
        self.index.store.flush()
        summary.seconds = time.perf_counter() - started
        return summary

    def _prepared(self, items: Iterable[Document | InputError], stages: dict[str, float]):
        """("failed", error) / ("skipped", source) / ("pending", _Pending) for each item, in
        order, prepared by a producer thread at most `PREPARE_AHEAD` items ahead; ("waiting",
        None) before blocking when nothing is prepared yet (the caller writes a batch of half its
        size then, so the embedder does not idle while the producer reads). An exception
        from `items` itself (a path that does not exist) is raised here, as before."""
        return read_ahead(self._events(items, stages), PREPARE_AHEAD, idle=("waiting", None))

    def _events(self, items: Iterable[Document | InputError], stages: dict[str, float]):
        """What happens to each item, in order (runs in the producer thread; reads only)."""
        seen: dict[str, str] = {}
        iterator = iter(items)
        while True:
            clock = time.perf_counter()
            item = next(iterator, _END)
            stages["read"] += time.perf_counter() - clock
            if item is _END:
                return
            if isinstance(item, InputError):
                yield "failed", {"source": item.source, "error": item.reason}
                continue
            if item.id in seen:
                yield "failed", {"source": item.origin or item.id, "error": f"duplicate id {item.id!r}, already read from {seen[item.id]}; ids must be unique"}
                continue
            seen[item.id] = item.origin or item.id
            clock = time.perf_counter()
            try:
                pending = self._prepare(item)
            except InputError as exc:
                yield "failed", {"source": exc.source, "error": exc.reason}
                continue
            except Exception as exc:  # one document's failure must not stop the batch
                yield "failed", {"source": item.origin or item.id, "error": f"could not prepare: {exc}"}
                continue
            finally:
                stages["prepare"] += time.perf_counter() - clock
            if pending is None:
                yield "skipped", item.origin or item.id
                continue
            yield "pending", pending

    def delete(self, doc_id: str) -> bool:
        """Remove a document and all its chunks; False when it was not indexed."""
        removed = self.index.store.delete_document(doc_id)
        self.index.store.flush()
        return removed

    # --- steps ----------------------------------------------------------------------

    def _prepare(self, document: Document) -> _Pending | None:
        content_hash = document.content_hash(hash_key(self.index.embedder.id, self.index.bm25.config_id, self.chunk_tokens, self.chunk_overlap, self._annotation_id))
        existing = self.index.store.get_document(document.id, with_text=False)
        _check_derived_id(document, existing)
        if existing and existing.get("content_hash") == content_hash and existing.get("state") == "complete":
            return None
        spans = chunk_text(
            document.text,
            document.doc_type,
            count_tokens=self.index.embedder.count_tokens,
            max_tokens=self.chunk_tokens,
            overlap_sentences=self.chunk_overlap,
        )
        chunks = [
            Chunk(doc_id=document.id, index=i, start=s.start, end=s.end, text=document.text[s.start : s.end], section=s.section)
            for i, s in enumerate(spans)
        ]
        record = {
            **document.metadata(),
            "text": document.text,
            "origin": document.origin,
            "id_from": document.id_from or "",
            "content_hash": content_hash,
            "chunk_count": len(chunks),
            "ingested_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        if self.annotate:
            self.annotate(document, chunks, record)
        record["authorities"] = _authorities_mentioned(document)
        payloads = _check_storable(document, record, chunks)
        sparse = [self.index.bm25.document(lexical_text(document, chunk)) for chunk in chunks]
        return _Pending(document, record, chunks, payloads, sparse)

    def _write_batch(self, batch: list[_Pending], summary: IngestSummary, progress) -> None:
        """Embed the batch, then write it: every document `pending`, their old chunks deleted,
        all new chunks in one upsert, then each document `complete` (see the module docstring)."""
        clock = time.perf_counter()
        texts = [embedding_text(p.document, c) for p in batch for c in p.chunks]
        # Titles ride along in the same call: the answer layer compares questions with them.
        titles = [p.document.title for p in batch if p.document.title]
        vectors = self.index.embedder.embed_passages(texts + titles) if texts or titles else []
        summary.stages["embed"] += time.perf_counter() - clock
        clock = time.perf_counter()
        title_vectors = iter(vectors[len(texts) :])
        store = self.index.store
        titled = [next(title_vectors).tolist() if p.document.title else None for p in batch]
        for pending, title_vector in zip(batch, titled):
            store.put_document({**pending.record, "state": "pending"}, title_vector)
        for pending in batch:
            store.delete_chunks(pending.document.id)
        points = []
        offset = 0
        for pending in batch:
            points += [
                ChunkPoint(id=point_id(chunk.chunk_id), dense=vectors[offset + i].tolist(), sparse=pending.sparse[i], payload=pending.payloads[i])
                for i, chunk in enumerate(pending.chunks)
            ]
            offset += len(pending.chunks)
        if points:
            store.upsert_chunks(points)
        for pending, title_vector in zip(batch, titled):
            doc = pending.document
            store.put_document({**pending.record, "state": "complete"}, title_vector)
            summary.ingested += 1
            summary.chunks += len(pending.chunks)
            summary.ingested_ids.append(doc.id)
            _notify(progress, "ingested", doc.origin or doc.id)
        summary.stages["store"] += time.perf_counter() - clock


_END = object()


def embedding_text(document: Document, chunk: Chunk) -> str:
    """What the dense model sees: the title (and section) give a passage its context."""
    head = document.title
    if chunk.section and chunk.section not in head:
        head = f"{head} — {chunk.section}" if head else chunk.section
    return f"{head}\n{chunk.text}" if head and not chunk.text.startswith(head) else chunk.text


def lexical_text(document: Document, chunk: Chunk) -> str:
    """What BM25 indexes: the passage with its title and section, so names in a title match."""
    return "\n".join(part for part in (document.title, chunk.section or "", chunk.text) if part)


def chunk_payload(document: Document, chunk: Chunk) -> dict[str, Any]:
    return {
        "doc_id": document.id,
        "chunk_id": chunk.chunk_id,
        "index": chunk.index,
        "start": chunk.start,
        "end": chunk.end,
        "text": chunk.text,
        "section": chunk.section,
        "citations": sorted(_with_parents(c["canonical"] for c in chunk.citations)),
        "citation_spans": chunk.citations,
        "title": document.title,
        "date": document.date,
        "doc_type": document.doc_type,
        "source": document.source,
        "url": document.url,
        "language": document.language,
        **_own_numbers_and_validity(document, chunk),
    }


def _own_numbers_and_validity(document: Document, chunk: Chunk) -> dict[str, Any]:
    """The document's own identifiers ("SFS 2021:949", "mål 383-16") on every chunk, so a query
    naming them finds the document itself first; a statute chunk's `valid_from`/`valid_until`."""
    global _LAST_NUMBERS
    last = _LAST_NUMBERS  # read once: another thread may replace it meanwhile
    if last[0] is not document:
        try:
            from lagrum.legal.relations import identifiers_of

            numbers = identifiers_of(document.metadata(), document.text)
        except ImportError:
            numbers = []
        last = _LAST_NUMBERS = (document, numbers)
    out: dict[str, Any] = {"identifiers": list(last[1])} if last[1] else {}
    validity = document.extra.get("section_validity") if isinstance(document.extra, dict) else None
    if validity:
        out.update(chunk_validity(document.text, chunk.start, chunk.end, validity))
    return out


_LAST_NUMBERS: tuple[Any, list[str]] = (None, [])  # chunks come document by document: one entry is enough


def _with_parents(canonicals) -> set[str]:
    """A chunk citing "SFS 2013:460 23 §" also cites the statute "SFS 2013:460" (for filters)."""
    out: set[str] = set()
    for canonical in canonicals:
        out.add(canonical)
        if canonical.startswith(("SFS ", "EU ")) and len(canonical.split()) > 2:
            out.add(" ".join(canonical.split()[:2]))
    return out


def default_annotator() -> Callable[[Document, list[Chunk], dict[str, Any]], None] | None:
    """The legal annotator when `lagrum.legal` is available (it always is once installed)."""
    try:
        from lagrum.legal.annotate import annotate_document
    except ImportError:
        return None
    return annotate_document


def hash_key(embedder_id: str, bm25_id: str, chunk_tokens: int, chunk_overlap: int, annotation_id: str) -> str:
    """What a document's content hash covers besides the document itself: the embedder, BM25,
    the chunk budget, the annotator's version and names, title vectors and the statute
    segmenter's version. A change in any re-chunks and re-embeds the document on the next ingest."""
    return f"{embedder_id}|{bm25_id}|{chunk_tokens}|{chunk_overlap}|{annotation_id}|title-vectors|segments{SEGMENTS_VERSION}"


def _annotation_id(annotate: Callable[..., None] | None) -> str:
    """What a document's annotations depend on, part of its content hash: the reference
    extractor's version and, for the default annotator, the registry's names. Adding a statute
    to the registry re-reads the documents that may cite it on the next ingest."""
    if annotate is None:
        return "refs-none"
    if annotate is default_annotator():
        from lagrum.legal.registry import default_registry

        return f"refs{EXTRACTOR_VERSION}:{default_registry().names_fingerprint}"
    return f"refs{EXTRACTOR_VERSION}"


def _authorities_mentioned(document: Document) -> list[str]:
    try:
        from lagrum.legal.graph import authorities_mentioned
    except ImportError:
        return []
    return authorities_mentioned(f"{document.title}\n{document.text}")


_LINE_SUFFIX = re.compile(r"(:\d+|\[\d+\])$")  # "file.jsonl:12", "file.json[3]"


def _check_derived_id(document: Document, existing: dict[str, Any] | None) -> None:
    """An id derived from a file name may only replace the document derived from the same file.

    Otherwise `a/notes.txt` and `b/notes.txt`, ingested one at a time, would both become `notes`
    and the second would silently replace the first. Documents indexed before ids recorded
    their file carry no `id_from` and are replaced as before.
    """
    previous = (existing or {}).get("id_from")
    if document.id_from is None or previous is None or previous == document.id_from:
        return
    if previous and not previous.startswith("upload:") and not Path(_LINE_SUFFIX.sub("", previous)).exists():
        return  # that file is gone (moved, renamed, or the folder was): this one takes over the id
    holder = previous or "a document that was given this id explicitly"
    raise InputError(
        document.origin or document.id,
        f"the id {document.id!r}, derived from the file name, is already used by {holder}; give this file its own id "
        "('id:' in its front matter or .meta.yaml sidecar), or ingest from a common parent folder so the ids include the folder",
    )


def _check_storable(document: Document, record: dict[str, Any], chunks: list[Chunk]) -> list[dict[str, Any]]:
    """Refuse, before anything is written, what the store could not read back; the chunks' payloads."""
    payloads = []
    try:
        check_payload(record, "the document record")
        for chunk in chunks:
            payloads.append(chunk_payload(document, chunk))
            check_payload(payloads[-1], f"chunk {chunk.index}")
    except PayloadRefused as exc:
        raise InputError(document.origin or document.id, str(exc)) from None
    return payloads


def _notify(progress, event: str, source: str) -> None:
    if progress:
        progress(event, source)


class ProgressBar:
    """A one-line progress bar on a terminal (stderr); silent when stderr is not a TTY."""

    def __init__(self, total: int | None, stream=None):
        self.total = total
        self.done = 0
        self.counts = {"ingested": 0, "skipped": 0, "failed": 0}
        self.stream = stream or sys.stderr  # looked up now: sys.stderr may have been replaced since import
        self.enabled = self.stream.isatty()

    def __call__(self, event: str, source: str) -> None:
        self.done += 1
        self.counts[event] = self.counts.get(event, 0) + 1
        if not self.enabled:
            return
        total = f"/{self.total}" if self.total else ""
        width = 24
        filled = int(width * self.done / self.total) if self.total else 0
        bar = "#" * filled + "-" * (width - filled)
        tail = source[-40:]
        self.stream.write(
            f"\r[{bar}] {self.done}{total}  ingested {self.counts['ingested']}  skipped {self.counts['skipped']}  failed {self.counts['failed']}  {tail:<40}"
        )
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
