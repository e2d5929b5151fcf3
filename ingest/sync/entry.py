"""One entry of a source, synced: its documents in, its old ones out, the source's state saved.

`EntrySync` is the step every connector (`atom`, `riksdagen`, `web`) shares; `SyncSummary` keeps
the counts of one source's sync and `Sink` is where the documents go. They live below both the
connectors and `ingest.sync.engine`, which picks a connector per source kind and runs it, so the
connectors never import the engine that imports them.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from lagrum.documents import Document
from lagrum.errors import InputError

from ingest.sync.http import PoliteFetcher
from ingest.sync.sources import Source, SyncState


class Sink(Protocol):
    """Where documents go: the ingest pipeline over an opened index, or the running service."""

    def ingest(self, items: list[Document | InputError]) -> dict[str, Any]: ...

    def delete(self, doc_id: str) -> bool: ...


@dataclass
class SyncSummary:
    """What one source's sync did; `failed > 0` makes `lagrum sync` exit non-zero."""

    source: str
    kind: str
    fetched: int = 0  # entries whose document was downloaded
    ingested: int = 0  # documents written (new or changed)
    unchanged: int = 0  # entries not downloaded (stamps unchanged) or whose documents were skipped
    deleted: int = 0  # documents removed (tombstones, retracted entries, replaced ids)
    failed: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    pipeline: dict[str, int] = field(default_factory=lambda: {"ingested": 0, "skipped": 0, "chunks": 0})
    seconds: float = 0.0

    def fail(self, where: str, reason: str) -> None:
        self.failed += 1
        self.errors.append(f"{self.source}: {where}: {reason}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "kind": self.kind,
            "fetched": self.fetched,
            "ingested": self.ingested,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "failed": self.failed,
            "requests": self.requests,
            "errors": list(self.errors),
            "pipeline": dict(self.pipeline),
            "seconds": round(self.seconds, 2),
        }

    def line(self) -> str:
        return (
            f"{self.source}: {self.fetched} fetched, {self.ingested} ingested, {self.unchanged} unchanged, "
            f"{self.deleted} deleted, {self.failed} failed, {self.requests} requests in {self.seconds:.1f} s"
        )


class EntrySync:
    """The shared step of every connector: one entry's documents in, its old ones out, state saved.

    :param source: the source being synced.
    :param state: its saved state.
    :param fetcher: its polite fetcher.
    :param sink: where documents go.
    :param summary: the counts being kept.
    :param max_bytes: the size limit for one document (LAGRUM_MAX_FILE_MB).
    :param full: ignore stored stamps and validators: read everything again (the pipeline still
        skips unchanged documents).
    """

    def __init__(self, source: Source, state: SyncState, fetcher: PoliteFetcher, sink: Sink, summary: SyncSummary, max_bytes: int, full: bool = False):
        self.source = source
        self.state = state
        self.fetcher = fetcher
        self.sink = sink
        self.summary = summary
        self.max_bytes = max_bytes
        self.full = full

    def known(self, key: str, stamp: str | None) -> bool:
        """True when the entry was synced with this stamp before (and not `full`)."""
        entry = self.state.entries.get(key)
        return bool(not self.full and entry and stamp and entry.get("stamp") == stamp)

    def apply(self, key: str, items: list[Document | InputError], stamp: str | None, url: str, extra: dict[str, Any] | None = None) -> bool:
        """Ingest one entry's documents; False (and one error line) when it failed."""
        problems = [i for i in items if isinstance(i, InputError)]
        documents = [i for i in items if isinstance(i, Document)]
        if problems:  # all of an entry or none of it: a half-read entry is tried again next time
            self.summary.fail(url, "; ".join(f"{p.reason}" for p in problems))
            return False
        if not documents:
            self.summary.fail(url, "no document in this entry")
            return False
        result = self.sink.ingest(documents)
        for name in ("ingested", "skipped", "chunks"):
            self.summary.pipeline[name] += int(result.get(name, 0))
        if result.get("failed"):
            errors = "; ".join(e.get("error", "") for e in result.get("errors", []))
            self.summary.fail(url, f"could not ingest: {errors}")
            return False
        self.summary.ingested += int(result.get("ingested", 0))
        if result.get("skipped") and not result.get("ingested"):
            self.summary.unchanged += 1
        new_ids = [d.id for d in documents]
        previous = (self.state.entries.get(key) or {}).get("docs") or []
        for doc_id in previous:
            if doc_id not in new_ids and not self.state.doc_owners(doc_id, except_key=key):
                if self.sink.delete(doc_id):
                    self.summary.deleted += 1
        record = {"stamp": stamp, "docs": new_ids, "url": url, "synced_at": _now()}
        record.update(extra or {})
        self.state.entries[key] = record
        self.state.save()
        return True

    def retract(self, key: str, why: str = "") -> None:
        """The source withdrew the entry (tombstone, no longer listed): delete its documents."""
        entry = self.state.entries.get(key)
        if entry is None:
            return
        for doc_id in entry.get("docs") or []:
            if not self.state.doc_owners(doc_id, except_key=key) and self.sink.delete(doc_id):
                self.summary.deleted += 1
        del self.state.entries[key]
        self.state.save()

    def fetch(self, url: str, conditional_key: str | None = None, accept: str | None = None):
        """GET through the fetcher, conditionally on the validators stored under `conditional_key`."""
        validators = self.state.validators(conditional_key) if conditional_key and not self.full else {}
        return self.fetcher.get(url, etag=validators.get("etag"), last_modified=validators.get("last_modified"), accept=accept)


def content_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
