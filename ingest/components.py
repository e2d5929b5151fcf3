"""Lagrum's ingest pieces as Haystack components: the legal cleaner, the legal splitter and the
document writer into a Lagrum index.

With the core's `LegalReferenceAnnotator` and `E5DocumentEmbedder` they make the ingest pipeline
(`lagrum.app.pipelines.build_ingest_pipeline`): whole documents in, passages with citations, dense
and BM25 vectors in the index out — the same records and passages `ingest.pipeline.IngestPipeline`
writes (`tests/test_components.py` compares them point for point).

A whole document travels as a Haystack `Document` with `id` = its Lagrum id, `content` = its
text and `meta` = its Lagrum metadata (`title`, `date`, `doc_type`, `source`, `url`, `language`,
`relations`, `extra`, `origin`, `id_from`; see `lagrum.components.convert`).

>>> cleaner, splitter = LegalCleaner(), LegalSplitter()
>>> splitter.warm_up()
>>> parts = splitter.run(documents=cleaner.run(documents=[Document(id="x", content="1 § Text.\\n\\n2 § Mer.", meta={"doc_type": "lag"})])["documents"])
>>> [d.meta["section"] for d in parts["documents"]]
['1–2 §§']
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict

from lagrum.components.convert import chunk_of, document_to_legal
from lagrum.errors import InputError

from ingest.chunking import chunk_text
from lagrum.cleaning import clean_text


@component
class LegalCleaner:
    """Removes web boilerplate (menus, share buttons, captions) from documents' text, keeping offsets
    meaningful: every later offset points into the text this returns (`lagrum.cleaning.clean_text`).

    Legal documents keep repeated sentences (a ruling quotes its operative part in its reasons);
    other documents also lose pull quotes, as `lagrum ingest` does.

    Usage example:
    ```python
    LegalCleaner().run(documents=[Document(content="Domen meddelades.\\n\\nPrenumerera")])["documents"][0].content
    # 'Domen meddelades.'
    ```

    :param pull_quotes: "auto" (default: drop pull quotes except in legal document types), or
        True / False for every document.
    """

    def __init__(self, pull_quotes: str | bool = "auto"):
        if pull_quotes not in ("auto", True, False):
            raise ValueError(f"LegalCleaner pull_quotes={pull_quotes!r}: use 'auto', true or false")
        self.pull_quotes = pull_quotes

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(self, pull_quotes=self.pull_quotes)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "LegalCleaner":
        return default_from_dict(cls, data)

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        from ingest.loaders import _LEGAL_TYPES

        out = []
        for document in documents:
            doc_type = str(document.meta.get("doc_type") or "").strip().lower()
            pull = (doc_type not in _LEGAL_TYPES) if self.pull_quotes == "auto" else bool(self.pull_quotes)
            out.append(replace(document, content=clean_text(document.content or "", pull_quotes=pull)))
        return {"documents": out}


@component
class LegalSplitter:
    """Cuts documents into passages that fit the embedder, at the law's own structure.

    Statutes at chapters and sections ("2 kap. 5 a §"), EU acts at articles and recitals,
    decisions and rulings at their headings and paragraphs (`ingest.chunking.chunk_text`). Each
    passage is a Document with `id` "doc-id#n", `content` = `text[start:end]` of its document and
    `meta`: `doc_id`, `index`, `start`, `end`, `section`, the document's `title`, `date`,
    `doc_type`, `source`, `url`, `language`, and `embedding_text` / `lexical_text` (what the dense
    model and BM25 read: the passage with its title and section).

    Outputs the passages (`documents`) and the whole documents they came from (`sources`, with
    `meta["content_hash"]`, which makes writing them idempotent).

    :param model: the embedder whose tokens are counted ("e5" default, as `LAGRUM_EMBEDDER`).
    :param chunk_tokens: token budget per passage (default `LAGRUM_CHUNK_TOKENS`, 320), never over the model's limit.
    :param chunk_overlap: trailing sentences repeated at the start of the next passage (default `LAGRUM_CHUNK_OVERLAP`).
    """

    def __init__(self, model: str = "e5", chunk_tokens: int | None = None, chunk_overlap: int | None = None):
        self.model = model
        self.chunk_tokens = chunk_tokens
        self.chunk_overlap = chunk_overlap
        self._embedder: Any = None

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(self, model=self.model, chunk_tokens=self.chunk_tokens, chunk_overlap=self.chunk_overlap)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "LegalSplitter":
        return default_from_dict(cls, data)

    def bind(self, embedder: Any) -> None:
        self._embedder = embedder

    def warm_up(self) -> None:
        """Load the embedder's tokenizer (the model itself, for e5)."""
        if self._embedder is None:
            from lagrum.embedders import load_embedder

            self._embedder = load_embedder(self.model)

    def budget(self) -> tuple[int, int]:
        """(tokens per passage, overlap sentences) as `IngestPipeline` computes them."""
        from lagrum.settings import Settings

        settings = Settings.from_env()
        limit = self._embedder.max_tokens - 8
        tokens = min(self.chunk_tokens or settings.chunk_tokens, limit)
        overlap = settings.chunk_overlap if self.chunk_overlap is None else self.chunk_overlap
        return tokens, overlap

    def hash_key(self) -> str:
        """What a document's content hash covers besides the document, as `IngestPipeline._prepare`
        computes it: the embedder, BM25, the budget, the annotator's version and names."""
        from lagrum.lexical import Bm25Encoder

        from ingest.pipeline import _annotation_id, default_annotator, hash_key

        self.warm_up()
        tokens, overlap = self.budget()
        return hash_key(self._embedder.id, Bm25Encoder().config_id, tokens, overlap, _annotation_id(default_annotator()))

    @component.output_types(documents=list[Document], sources=list[Document])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        from lagrum.documents import Chunk

        from ingest.pipeline import embedding_text, lexical_text

        self.warm_up()
        tokens, overlap = self.budget()
        hash_key = self.hash_key()
        passages: list[Document] = []
        sources: list[Document] = []
        for source in documents:
            legal = document_to_legal(source)
            if not legal.text.strip():
                raise InputError(legal.origin or legal.id, "no text to split (the document is empty or only boilerplate)")
            spans = chunk_text(legal.text, legal.doc_type, count_tokens=self._embedder.count_tokens, max_tokens=tokens, overlap_sentences=overlap)
            shared = {k: getattr(legal, k) for k in ("title", "date", "doc_type", "source", "url", "language")}
            for i, span in enumerate(spans):
                chunk = Chunk(doc_id=legal.id, index=i, start=span.start, end=span.end, text=legal.text[span.start : span.end], section=span.section)
                passages.append(
                    Document(
                        id=chunk.chunk_id,
                        content=chunk.text,
                        meta={
                            "doc_id": legal.id, "index": i, "start": span.start, "end": span.end, "section": span.section, **shared,
                            "embedding_text": embedding_text(legal, chunk), "lexical_text": lexical_text(legal, chunk),
                        },
                    )
                )
            sources.append(replace(source, meta={**source.meta, "content_hash": legal.content_hash(hash_key), "chunk_count": len(spans)}))
        return {"documents": passages, "sources": sources}


@component
class LagrumDocumentWriter:
    """Writes documents and their embedded passages into a Lagrum index, idempotently.

    The write order survives being killed at any point, as in `lagrum ingest`: the document record
    is marked `pending`, its old passages deleted, the new ones upserted under ids derived from
    "doc-id#n", then the record is marked `complete`. A document whose `content_hash` (from
    `LegalSplitter`) matches its complete record is skipped. The record holds the document's text,
    metadata, annotations (`meta["lagrum_record"]`, from `LegalReferenceAnnotator`) and its title
    vector (`embedding` of the source, from `E5DocumentEmbedder(text_field="title")`).

    :param data_dir: the Lagrum data directory (default `LAGRUM_DATA`, else ./data).
    """

    def __init__(self, data_dir: str | None = None):
        self.data_dir = data_dir
        self._index: Any = None

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(self, data_dir=self.data_dir)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "LagrumDocumentWriter":
        return default_from_dict(cls, data)

    def bind(self, index: Any) -> None:
        """Write into an opened `lagrum.index.Index` instead of opening it."""
        self._index = index

    def warm_up(self) -> None:
        if self._index is None:
            from lagrum.components.resources import service_for

            self._index = service_for(self.data_dir).index

    @component.output_types(documents_written=int, summary=dict)
    def run(self, documents: list[Document], sources: list[Document]) -> dict[str, Any]:
        """
        :param documents: embedded, annotated passages (`meta["doc_id"]` names their source).
        :param sources: the whole documents, with `content_hash` and (optionally) a title `embedding`.
        :returns: `documents_written` (passages written) and `summary` (`ingested`, `skipped`, `failed`,
            `chunks`, `errors`, `ingested_ids`, as `lagrum ingest --json`).
        """
        from lagrum.store.base import ChunkPoint, point_id

        from ingest.pipeline import _authorities_mentioned, _check_derived_id, _check_storable, chunk_payload

        self.warm_up()
        store = self._index.store
        started = time.perf_counter()
        summary: dict[str, Any] = {"ingested": 0, "skipped": 0, "failed": 0, "chunks": 0, "errors": [], "ingested_ids": []}
        by_doc: dict[str, list[Document]] = {}
        for passage in documents:
            if passage.embedding is None:
                raise ValueError(f"passage {passage.id!r} has no embedding: put E5DocumentEmbedder before LagrumDocumentWriter")
            by_doc.setdefault(passage.meta["doc_id"], []).append(passage)
        written = 0
        for source in sources:
            legal = document_to_legal(source)
            try:
                existing = store.get_document(legal.id, with_text=False)
                _check_derived_id(legal, existing)
                if existing and existing.get("content_hash") == source.meta.get("content_hash") and existing.get("state") == "complete":
                    summary["skipped"] += 1
                    continue
                passages = sorted(by_doc.get(legal.id, []), key=lambda d: d.meta["index"])
                chunks = [chunk_of(p) for p in passages]
                record = {
                    **legal.metadata(),
                    "text": legal.text,
                    "origin": legal.origin,
                    "id_from": legal.id_from or "",
                    "content_hash": source.meta.get("content_hash", ""),
                    "chunk_count": len(chunks),
                    "ingested_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    **(source.meta.get("lagrum_record") or {}),
                }
                record["authorities"] = _authorities_mentioned(legal)
                _check_storable(legal, record, chunks)
            except InputError as exc:
                summary["failed"] += 1
                summary["errors"].append({"source": exc.source, "error": exc.reason})
                continue
            title_vector = list(source.embedding) if source.embedding is not None and legal.title else None
            store.put_document({**record, "state": "pending"}, title_vector)
            store.delete_chunks(legal.id)
            store.upsert_chunks(
                [
                    ChunkPoint(id=point_id(c.chunk_id), dense=list(p.embedding), sparse=self._index.bm25.document(p.meta["lexical_text"]), payload=chunk_payload(legal, c))
                    for p, c in zip(passages, chunks)
                ]
            )
            store.put_document({**record, "state": "complete"}, title_vector)
            written += len(chunks)
            summary["ingested"] += 1
            summary["chunks"] += len(chunks)
            summary["ingested_ids"].append(legal.id)
        store.flush()
        summary["seconds"] = round(time.perf_counter() - started, 2)
        return {"documents_written": written, "summary": summary}
