"""Lagrum's records as Haystack `Document`s and back, field for field.

A retrieved passage (`lagrum.retrieval.Hit`) becomes a `Document` whose `id` is the chunk id
(`"doc-id#3"`), `content` the passage text, `score` the fused score, and `meta` every other
field of the hit (`doc_id`, `title`, `date`, `doc_type`, `source`, `url`, `language`, `start`,
`end`, `section`, `citations`, `dense_score`, `sparse_score`, `valid_from`, `valid_until`).
`document_to_hit(hit_to_document(hit)) == hit`.

A whole legal document (`lagrum.documents.Document`) becomes a `Document` with `id` = its id,
`content` = its canonical text and `meta` = its metadata plus `origin` and `id_from`.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from haystack import Document

from lagrum.documents import Chunk
from lagrum.documents import Document as LegalDocument
from lagrum.retrieval import Hit

_HIT_META = tuple(f.name for f in fields(Hit) if f.name not in ("chunk_id", "text", "score"))
_LEGAL_META = tuple(f.name for f in fields(LegalDocument) if f.name not in ("id", "text"))


def hit_to_document(hit: Hit) -> Document:
    # A hit's fields are strings and numbers and `citations` a list of strings, so a copy of that
    # list keeps the Document independent of the hit (`asdict`, which recurses, took 4x as long).
    meta = {k: getattr(hit, k) for k in _HIT_META}
    meta["citations"] = list(hit.citations)
    return Document(id=hit.chunk_id, content=hit.text, score=hit.score, meta=meta)


def document_to_hit(document: Document) -> Hit:
    meta = document.meta
    missing = [k for k in ("doc_id",) if k not in meta]
    if missing:
        raise ValueError(
            f"Document {document.id!r} has no meta field {missing[0]!r}: Lagrum's components read passages retrieved "
            "from a Lagrum index (LagrumHybridRetriever, LagrumDocumentStore); give each Document meta['doc_id']"
        )
    values = {k: meta[k] for k in _HIT_META if k in meta}
    values["citations"] = list(values.get("citations") or [])
    return Hit(chunk_id=document.id, text=document.content or "", score=float(document.score or 0.0), **{"title": "", "date": None, "doc_type": "", "source": "", "url": "", "language": "", "start": 0, "end": 0, **values})


def legal_to_document(document: LegalDocument) -> Document:
    data = asdict(document)
    return Document(id=document.id, content=document.text, meta={k: data[k] for k in _LEGAL_META})


def document_to_legal(document: Document) -> LegalDocument:
    meta = document.meta
    values: dict[str, Any] = {k: meta[k] for k in _LEGAL_META if k in meta}
    return LegalDocument(id=str(meta.get("id") or document.id), text=document.content or "", **values)


def chunk_of(document: Document) -> Chunk:
    """The Lagrum chunk a passage `Document` (from the legal splitter) stands for."""
    meta = document.meta
    return Chunk(
        doc_id=meta["doc_id"], index=int(meta["index"]), start=int(meta["start"]), end=int(meta["end"]),
        text=document.content or "", section=meta.get("section"), citations=list(meta.get("citation_spans") or []),
    )
