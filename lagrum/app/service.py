"""The Lagrum service: one facade over index, retrieval, ingest and answers.

The CLI and the HTTP API both call this, so `lagrum search --json` and `GET /search` (and
`lagrum ask --json` and `POST /ask`) return the same JSON by construction.

>>> service = LagrumService.open(Settings.from_env())  # doctest: +SKIP
>>> service.search("webbkamera")["hits"][0]["doc_id"]  # doctest: +SKIP
'di-kameraovervakningen-hos-forsakringskassan-ar-olaglig'
"""

from __future__ import annotations

import threading
from typing import Any, Iterable

from lagrum.documents import Document
from lagrum.errors import InputError
from lagrum.filters import SearchFilters
from lagrum.index import Index
from lagrum.retrieval import Hit, Retriever
from lagrum.settings import Settings


# Stored with every document but not part of what readers get: store bookkeeping, and the
# server-side file path it was read from (`origin`), which says nothing about the law.
INTERNAL_FIELDS = ("kind", "doc_id", "state", "origin", "content_hash", "id_from")


class LagrumService:
    """Opened once per process; thread-safe for reads, writes are serialised."""

    def __init__(self, index: Index):
        self.index = index
        self.settings = index.settings
        self.retriever = Retriever(index)
        self.registry = self.retriever.registry
        self._write_lock = threading.Lock()
        from lagrum.components.resources import attach

        attach(self)  # pipeline components loaded from YAML in this process use this opened index

    @classmethod
    def open(cls, settings: Settings, create: bool = True) -> "LagrumService":
        return cls(Index.open(settings, create=create))

    def close(self) -> None:
        from lagrum.components.resources import detach

        detach(self)
        self.index.close()

    @property
    def pipelines(self) -> Any:
        """The Haystack query pipelines `search` and `ask` run (`lagrum.app.pipelines.QueryPipelines`)."""
        pipelines = self.__dict__.get("_pipelines")
        if pipelines is None:
            from lagrum.app.pipelines import QueryPipelines

            pipelines = self.__dict__["_pipelines"] = QueryPipelines(self)
        return pipelines

    def warm_up(self) -> None:
        """Load what the first question would otherwise wait for (the answer's topic vectors)."""
        self.composer.warm_up()

    def warm_in_background(self) -> threading.Thread | None:
        """Start reading the embedded index into the page cache (see `EdgeStore.warm`); a server
        backend keeps its own caches, so nothing happens there."""
        warm = getattr(self.index.store, "warm", None)
        if warm is None:
            return None
        thread = threading.Thread(target=warm, name="lagrum-warm", daemon=True)
        thread.start()
        return thread

    # --- reads ----------------------------------------------------------------------

    def search(
        self, query: str, limit: int = 10, filters: SearchFilters | None = None, mode: str = "hybrid", per_document: int | None = None
    ) -> dict[str, Any]:
        """The best `limit` passages; with `per_document`, at most that many from any one document
        (a long decision otherwise fills a page with its own passages)."""
        hits = self.pipelines.search(query, limit=limit, filters=filters, mode=mode, per_document=per_document)
        reference = filters.as_of if filters else None
        return {"query": query, "hits": [self.hit_json(h, reference) for h in hits]}

    def ask(self, question: str, limit: int = 4, filters: SearchFilters | None = None, history: list | None = None) -> dict[str, Any]:
        """An answer built from cited passages (see `lagrum.answer`); `history` resolves follow-ups (`lagrum.followup`)."""
        return self.composer.ask(question, limit=limit, filters=filters, history=history)

    @property
    def composer(self) -> Any:
        composer = self.__dict__.get("_composer")
        if composer is None:
            from lagrum.answer import AnswerComposer
            from lagrum.generative import GenerativeAnswerer

            composer = AnswerComposer(self, GenerativeAnswerer.from_settings(self.settings))
            composer.runner = self.pipelines.answer
            self.__dict__["_composer"] = composer
        return composer

    def hit_json(self, hit: Hit, reference: str | None = None) -> dict[str, Any]:
        """A hit as JSON with its warnings: the document's, and for a statute's own passage its
        wording's dates and amendments as of `reference` (the `as_of` day; today when None)."""
        data = {k: v for k, v in hit.as_dict().items() if k not in ("dense_score", "sparse_score") and not (k in ("valid_from", "valid_until") and v is None)}
        data["warnings"] = self.warnings_for(hit.doc_id) + self.passage_warnings(data, reference)
        return data

    def passage_warnings(self, passage: dict[str, Any], reference: str | None = None) -> list[dict[str, Any]]:
        """Statute-time warnings for one passage of a statute (see `lagrum.legal.timeline`)."""
        try:
            from lagrum.legal.status import statute_passage_warnings
        except ImportError:
            return []
        return statute_passage_warnings(self, passage, reference)

    def warnings_for(self, doc_id: str) -> list[dict[str, Any]]:
        """Status warnings (overturned decision, repealed statute, renamed authority) for a document."""
        try:
            from lagrum.legal.status import warnings_for
        except ImportError:
            return []
        return warnings_for(self, doc_id)

    def get_document(self, doc_id: str) -> dict[str, Any] | None:
        record = self.index.store.get_document(doc_id)
        if record is None or record.get("state") != "complete":
            return None
        chunks = self.index.store.chunks_of(doc_id)
        data = {k: v for k, v in record.items() if k not in INTERNAL_FIELDS}
        data["chunks"] = [
            {
                "chunk_id": c["chunk_id"],
                "index": c["index"],
                "start": c["start"],
                "end": c["end"],
                "section": c.get("section"),
                "citations": c.get("citations", []),
            }
            for c in chunks
        ]
        data["warnings"] = self.warnings_for(doc_id)
        return data

    def list_documents(self, filters: SearchFilters | None = None, offset: int = 0, limit: int = 20) -> dict[str, Any]:
        """Documents (without text), newest first, filtered like search."""
        records = [r for r in self.index.store.document_records() if r.get("state") == "complete" and _matches(r, filters)]
        records.sort(key=lambda r: (r.get("date") or "", r.get("id")), reverse=True)
        page = records[offset : offset + limit]
        return {
            "total": len(records),
            "offset": offset,
            "limit": limit,
            "documents": [{k: v for k, v in r.items() if k not in INTERNAL_FIELDS} for r in page],
        }

    def stats(self) -> dict[str, Any]:
        return self.index.stats()

    # --- writes ---------------------------------------------------------------------

    def add_documents(self, items: Iterable[Document | InputError]) -> dict[str, Any]:
        """Ingest through the same pipeline as `lagrum ingest`; returns its summary."""
        from lagrum.app.pipelines import PipelineIngest  # the service composes ingest; ingest never imports the API

        with self._write_lock:
            summary = PipelineIngest(self.index).ingest(items)
            self.invalidate()
        return summary.as_dict()

    def delete_document(self, doc_id: str) -> bool:
        with self._write_lock:
            removed = self.index.store.delete_document(doc_id)  # the record and all its passages
            self.index.store.flush()
            self.invalidate()
        return removed

    def invalidate(self) -> None:
        """Drop caches derived from the document set (the relation graph, statutes' names)."""
        self.__dict__.pop("_relations", None)
        self.retriever.invalidate()


def _matches(record: dict[str, Any], filters: SearchFilters | None) -> bool:
    if not filters:
        return True
    if filters.doc_types and record.get("doc_type") not in filters.doc_types:
        return False
    if filters.sources and record.get("source") not in filters.sources:
        return False
    if filters.languages and record.get("language") not in filters.languages:
        return False
    if filters.doc_ids and record.get("id") not in filters.doc_ids:
        return False
    date = record.get("date")
    if filters.since and (not date or date < filters.since):
        return False
    if filters.until and (not date or date > filters.until):
        return False
    if filters.as_of and date and date > filters.as_of:
        return False
    return True
