"""The store interface: what ingest, retrieval and the API need from a vector store.

One collection holds three kinds of points, told apart by the payload field `kind`:
`chunk` (dense + BM25 vectors, payload with text, offsets and denormalised metadata),
`document` (payload only: metadata, canonical text, content hash, ingest state) and
`meta` (payload only: which embedder built the index). Keeping documents in the same
collection means a backup, a snapshot or a migration carries everything at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Iterator, Protocol

from lagrum.filters import SearchFilters

DENSE = "dense"
SPARSE = "bm25"
SCHEMA_VERSION = 1
# Payload fields with an index, and their type; the same on every backend.
PAYLOAD_INDEXES = {
    "kind": "keyword",
    "doc_id": "keyword",
    "doc_type": "keyword",
    "date": "datetime",
    "source": "keyword",
    "language": "keyword",
    "citations": "keyword",
}
_NAMESPACE = uuid.UUID("6f1e3a52-3c2b-4d8e-9a51-1b2c3d4e5f60")


def as_of_exclusions(filters: SearchFilters | None) -> list[tuple[str, dict[str, str]]]:
    """The date ranges `filters.as_of` excludes, as (payload field, {gt|lte: timestamp}), the same on
    every backend: documents dated after the day, statute passages in force only after it
    (`valid_from`), and passages that stopped applying on or before it (`valid_until`). A point
    without the field is never excluded by its condition.

    >>> as_of_exclusions(SearchFilters(as_of="2015-06-01"))[0]
    ('date', {'gt': '2015-06-01T23:59:59Z'})
    """
    if not filters or not filters.as_of:
        return []
    end_of_day = f"{filters.as_of}T23:59:59Z"
    return [("date", {"gt": end_of_day}), ("valid_from", {"gt": end_of_day}), ("valid_until", {"lte": end_of_day})]


def point_id(key: str) -> str:
    """A stable point id for a chunk id, a document id or the meta record."""
    return str(uuid.uuid5(_NAMESPACE, key))


def dense_vectors_by_key(records: Any, keys: dict[str, str]) -> dict[str, list[float]]:
    """`keys[point id]` -> the record's named dense vector, for retrieved records that have one."""
    out: dict[str, list[float]] = {}
    for record in records:
        vector = (record.vector or {}).get(DENSE) if isinstance(record.vector, dict) else None
        if vector:
            out[keys[str(record.id)]] = list(vector)
    return out


def document_point_id(doc_id: str) -> str:
    return point_id("document:" + doc_id)


META_POINT_ID = point_id("meta:lagrum")


@dataclass
class SparseVector:
    indices: list[int]
    values: list[float]


@dataclass
class ChunkPoint:
    """A chunk ready to store: its id, both vectors, and its payload."""

    id: str
    dense: list[float]
    sparse: SparseVector
    payload: dict[str, Any]


@dataclass
class ScoredPayload:
    score: float
    payload: dict[str, Any]
    id: str = ""  # the point id; the payload may be empty or partial (see `Search.payload`)


@dataclass(frozen=True)
class Search:
    """One ranked search of chunks, for `Store.search_batch`.

    :param query: a dense vector (list of floats) or a BM25 `SparseVector`.
    :param payload: True for the whole payload; False for ids and scores only (the payload of the
        few hits that survive fusion is then read with `Store.payloads`); a tuple of field names for
        just those fields. Reading payloads is most of a query's cost at a million chunks.
    :param exact: dense only: a full scan of the original vectors (no HNSW, no quantization), the
        ground truth for recall measurements.
    """

    query: Any
    limit: int
    filters: SearchFilters | None = None
    payload: bool | tuple[str, ...] = True
    exact: bool = False

    @property
    def sparse(self) -> bool:
        return isinstance(self.query, SparseVector)

    @property
    def matches_nothing(self) -> bool:
        """A BM25 query without terms (only stopwords, say): no request is sent."""
        return self.sparse and not self.query.indices


@dataclass
class StoredPoint:
    """A point as read back for migration: vectors may be empty for payload-only points."""

    id: str
    payload: dict[str, Any]
    dense: list[float] | None = None
    sparse: SparseVector | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Store(Protocol):
    """A vector store backend (Qdrant Edge embedded, or a Qdrant server/cluster)."""

    backend: str

    def get_meta(self) -> dict[str, Any] | None: ...

    def set_meta(self, meta: dict[str, Any]) -> None: ...

    def get_document(self, doc_id: str, with_text: bool = True) -> dict[str, Any] | None: ...

    def put_document(self, record: dict[str, Any], title_vector: list[float] | None = None) -> None:
        """Store a document record; `title_vector` (the title's passage embedding) rides on the
        document point's dense vector, which searches never see (they are scoped to chunks)."""
        ...

    def title_vectors(self, doc_ids: list[str]) -> dict[str, list[float]]:
        """The stored title vectors of these documents (documents ingested without one are absent)."""
        ...

    def delete_document(self, doc_id: str) -> bool: ...

    def delete_chunks(self, doc_id: str) -> None: ...

    def upsert_chunks(self, chunks: list[ChunkPoint]) -> None: ...

    def chunks_of(self, doc_id: str) -> list[dict[str, Any]]: ...

    def count_chunks(self, filters: SearchFilters | None = None) -> int: ...

    def document_records(self, with_text: bool = False) -> Iterator[dict[str, Any]]: ...

    def search_batch(self, searches: list[Search]) -> list[list[ScoredPayload]]:
        """Run several searches in one call (one planned batch where the backend has one); one
        ranked list per search, in order. A sparse query without terms gives an empty list."""
        ...

    def payloads(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """Point id -> whole payload, for the ids that exist."""
        ...

    def search_dense(self, vector: list[float], limit: int, filters: SearchFilters | None = None) -> list[ScoredPayload]: ...

    def search_sparse(self, sparse: SparseVector, limit: int, filters: SearchFilters | None = None) -> list[ScoredPayload]: ...

    def iter_points(self, batch: int = 256, offset: str | None = None) -> Iterator[tuple[list[StoredPoint], str | None]]: ...

    def write_points(self, points: list[StoredPoint]) -> None: ...

    def count_points(self) -> int: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


class SingleSearches:
    """`search_batch` around a backend's `_search_many`, and `search_dense` / `search_sparse` as
    one-element batches (mixed into the backends)."""

    def _search_many(self, searches: list[Search]) -> list[list[ScoredPayload]]:
        raise NotImplementedError

    def search_batch(self, searches: list[Search]) -> list[list[ScoredPayload]]:
        todo = [(n, search) for n, search in enumerate(searches) if not search.matches_nothing]
        results: list[list[ScoredPayload]] = [[] for _ in searches]
        if todo:
            for (n, _), hits in zip(todo, self._search_many([search for _, search in todo])):
                results[n] = hits
        return results

    def search_dense(self, vector: list[float], limit: int, filters: SearchFilters | None = None) -> list[ScoredPayload]:
        return self.search_batch([Search(list(map(float, vector)), limit, filters)])[0]

    def search_sparse(self, sparse: SparseVector, limit: int, filters: SearchFilters | None = None) -> list[ScoredPayload]:
        return self.search_batch([Search(sparse, limit, filters)])[0]
