"""A Haystack `DocumentStore` over a Lagrum index: its passages (chunks) as Haystack Documents.

So Haystack's own retrievers, evaluators and tools run on what `lagrum ingest` built. A Document
is one passage: `id` the chunk id, `content` its text, `embedding` its dense vector, `meta` the
rest of its stored payload (`doc_id`, `title`, `date`, `doc_type`, `citations`, `start`, `end`, ...).
Document records (whole documents) and the index's own metadata are not passages and are not
listed; write whole legal documents with `lagrum ingest` (or the ingest pipeline), which also
chunks, annotates and keeps them idempotent.

>>> store = LagrumDocumentStore(data_dir="data")
>>> store.count_documents() == store.index.store.count_chunks()  # doctest: +SKIP
True
>>> store.filter_documents({"field": "meta.doc_type", "operator": "==", "value": "beslut"})[0].meta["doc_id"]  # doctest: +SKIP
'di-kameraovervakningen-hos-forsakringskassan-ar-olaglig'
"""

from __future__ import annotations

from typing import Any, Iterable

from haystack import Document, default_from_dict, default_to_dict
from haystack.document_stores.errors import DuplicateDocumentError
from haystack.document_stores.types import DuplicatePolicy
from haystack.errors import FilterError
from haystack.utils.filters import document_matches_filter

from lagrum.store.base import ChunkPoint, SparseVector, point_id

# Payload keys Lagrum itself sets on every point; a Document's meta cannot use them.
_RESERVED = ("kind", "text", "chunk_id")


class LagrumDocumentStore:
    """Lagrum's passages through Haystack's `DocumentStore` protocol (Edge or Qdrant server backend).

    Writing a Document stores it as a passage: its `embedding` as the dense vector (embedded with
    the index's e5 model when it has none), BM25 over its `content` as the sparse vector, and its
    `meta` as payload, so Lagrum's hybrid retriever finds it too. `meta["doc_id"]` groups passages
    into documents (default: the Document's own id).

    :param data_dir: the Lagrum data directory (default `LAGRUM_DATA`, else ./data).
    """

    def __init__(self, data_dir: str | None = None, index: Any = None):
        self.data_dir = data_dir
        self._index = index

    @property
    def index(self) -> Any:
        """The opened `lagrum.index.Index` (the attached service's, or opened on first use)."""
        if self._index is None:
            from lagrum.components.resources import service_for

            self._index = service_for(self.data_dir).index
        return self._index

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(self, data_dir=self.data_dir)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "LagrumDocumentStore":
        return default_from_dict(cls, data)

    # --- the protocol -----------------------------------------------------------------

    def count_documents(self) -> int:
        return self.index.store.count_chunks()

    def filter_documents(self, filters: dict[str, Any] | None = None) -> list[Document]:
        """Passages matching Haystack `filters` (`{"field": "meta.doc_type", "operator": "==", "value": "dom"}`,
        logic `AND`/`OR`/`NOT`); every passage when None. Filters are applied while reading the
        passages in order, so this reads the whole index: use it for evaluation and export."""
        if filters:
            _validate_filters(filters)
        out = []
        for document in self._passages():
            if not filters or document_matches_filter(filters=filters, document=document):
                out.append(document)
        return out

    def write_documents(self, documents: list[Document], policy: DuplicatePolicy = DuplicatePolicy.NONE) -> int:
        """Store `documents` as passages; `DuplicatePolicy.NONE` means `FAIL` (an existing id raises
        `DuplicateDocumentError` and nothing of that call is written)."""
        if not isinstance(documents, list) or any(not isinstance(d, Document) for d in documents):
            raise ValueError("write_documents expects a list of Haystack Documents")
        if policy == DuplicatePolicy.NONE:
            policy = DuplicatePolicy.FAIL
        store = self.index.store
        unique: dict[str, Document] = {}
        for document in documents:
            if document.id in unique and policy == DuplicatePolicy.FAIL:
                raise DuplicateDocumentError(f"ID '{document.id}' appears twice in this write; give every Document its own id")
            if policy == DuplicatePolicy.SKIP:
                unique.setdefault(document.id, document)  # the first of repeated ids is kept
            else:
                unique[document.id] = document  # OVERWRITE: the last one wins
        existing = set(store.payloads([point_id(i) for i in unique]))
        if policy == DuplicatePolicy.FAIL and existing:
            taken = next(i for i in unique if point_id(i) in existing)
            raise DuplicateDocumentError(f"ID '{taken}' already exists in the Lagrum index; write with DuplicatePolicy.OVERWRITE to replace it or SKIP to keep it")
        wanted = [d for i, d in unique.items() if not (policy == DuplicatePolicy.SKIP and point_id(i) in existing)]
        points = [self._point(d) for d in wanted]
        missing = [p for p in points if p.dense is None]
        if missing and self.index.embedder is not None:
            vectors = self.index.embedder.embed_passages([p.payload["text"] for p in missing])
            for point, vector in zip(missing, vectors):
                point.dense = vector.tolist()
        _upsert(store, points)
        store.flush()
        return len(points)

    def delete_documents(self, document_ids: list[str]) -> None:
        """Remove these passages (ids not in the index are ignored)."""
        store = self.index.store
        delete = getattr(store, "delete_points", None)
        if delete is not None:
            delete([point_id(i) for i in document_ids])
        else:
            _delete_points(store, [point_id(i) for i in document_ids])
        store.flush()

    # --- helpers ----------------------------------------------------------------------

    def _passages(self) -> Iterable[Document]:
        for points, _ in self.index.store.iter_points():
            for point in points:
                if point.payload.get("kind") == "chunk":
                    yield _document(point.payload, point.dense)

    def _point(self, document: Document) -> ChunkPoint:
        clash = [k for k in _RESERVED if k in document.meta]
        if clash:
            raise ValueError(f"Document {document.id!r}: meta field {clash[0]!r} is Lagrum's own; rename it")
        content = document.content or ""
        dim = getattr(self.index.embedder, "dim", None) if self.index.embedder is not None else None
        if document.embedding is not None and dim is not None and len(document.embedding) != dim:
            raise ValueError(
                f"Document {document.id!r} has an embedding of {len(document.embedding)} dimensions, but the index holds "
                f"{dim}-dimensional {self.index.embedder.id} vectors; leave embedding empty and the store embeds the content"
            )
        payload = {**document.meta, "doc_id": document.meta.get("doc_id", document.id), "chunk_id": document.id, "text": content}
        sparse = self.index.bm25.document(content) if content else SparseVector([], [])
        return ChunkPoint(id=point_id(document.id), dense=list(document.embedding) if document.embedding is not None else None, sparse=sparse, payload=payload)  # type: ignore[arg-type]


def _document(payload: dict[str, Any], dense: list[float] | None) -> Document:
    meta = {k: v for k, v in payload.items() if k not in _RESERVED}
    if meta.get("doc_id") == payload.get("chunk_id"):
        meta.pop("doc_id")  # written as a bare Haystack Document: its own id was its doc_id
    return Document(id=str(payload.get("chunk_id")), content=payload.get("text"), embedding=list(dense) if dense is not None else None, meta=meta)


def _upsert(store: Any, points: list[ChunkPoint]) -> None:
    """Points with a dense vector go through `upsert_chunks`; without one (no embedder), through `write_points`."""
    from lagrum.store.base import StoredPoint

    full = [p for p in points if p.dense is not None]
    bare = [p for p in points if p.dense is None]
    if full:
        store.upsert_chunks(full)
    if bare:
        store.write_points([StoredPoint(id=p.id, payload={**p.payload, "kind": "chunk"}, sparse=p.sparse if p.sparse.indices else None) for p in bare])


def _delete_points(store: Any, ids: list[str]) -> None:
    shard = getattr(store, "_shard", None)
    if shard is not None:  # the embedded Edge shard
        import qdrant_edge as qe

        shard.update(qe.UpdateOperation.delete_points(ids))
        return
    client = getattr(store, "_client", None)
    if client is not None:  # a Qdrant server
        from qdrant_client import models

        client.delete(store.collection, points_selector=models.PointIdsList(points=ids))
        return
    raise NotImplementedError(f"LagrumDocumentStore cannot delete points from a {type(store).__name__}")


def _validate_filters(filters: dict[str, Any]) -> None:
    if "operator" not in filters and "conditions" not in filters:
        raise ValueError("Invalid filter syntax. See https://docs.haystack.deepset.ai/docs/metadata-filtering for details.")
    if "operator" not in filters:
        raise FilterError("filters need an 'operator' ('==', '>', 'in', ... or 'AND'/'OR'/'NOT')")
