"""The distributed backend: a Qdrant server or cluster through `qdrant-client`.

The collection has the same schema as the embedded Edge shard (`lagrum.store.edge`): a named
dense vector `dense` (cosine), a sparse vector `bm25` with the IDF modifier, the payload
indexes of `lagrum.store.base.PAYLOAD_INDEXES`, the same point ids and the same payloads. So
`lagrum migrate` copies points between the two without re-embedding, and search results match.

`LAGRUM_QDRANT_URL` chooses the server:

- `http://qdrant:6333` (or https): a Qdrant server or cluster; `LAGRUM_QDRANT_API_KEY` is sent.
- `local:/path/to/dir`: qdrant-client's local mode on disk (pure Python, no server). For tests and
  small experiments: it runs the same client API calls a server receives, but is slow
  (see DESIGN.md) and, like Edge, one process owns the directory. `local:` alone means
  `DATA/qdrant-local`.
- `:memory:`: local mode in memory (gone when the process ends).

>>> store = ServerStore.connect(Settings().with_(qdrant_url=":memory:"), dim=384)
>>> store.count_chunks()
0
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Iterator

from qdrant_client import QdrantClient, models

from lagrum.errors import IndexLockedError, LagrumError
from lagrum.filters import SearchFilters
from lagrum.settings import Settings
from lagrum.store.limits import check_payload
from lagrum.store.base import (
    as_of_exclusions,
    DENSE,
    META_POINT_ID,
    PAYLOAD_INDEXES,
    SPARSE,
    ChunkPoint,
    ScoredPayload,
    Search,
    SingleSearches,
    SparseVector,
    StoredPoint,
    dense_vectors_by_key,
    document_point_id,
)

LOCAL_PREFIX = "local:"
MEMORY = ":memory:"
_INDEX_TYPES = {"keyword": models.PayloadSchemaType.KEYWORD, "datetime": models.PayloadSchemaType.DATETIME}
_DOCUMENT_TEXT_FIELDS = ["text"]
_SCROLL_PAGE = 512


def server_filter(filters: SearchFilters | None, kind: str | None = "chunk") -> models.Filter | None:
    """Translate `SearchFilters` into a qdrant-client filter; the same conditions as `edge_filter`."""
    must: list[models.Condition] = []
    if kind:
        must.append(models.FieldCondition(key="kind", match=models.MatchValue(value=kind)))
    if filters:
        for key, values in (
            ("doc_type", filters.doc_types),
            ("source", filters.sources),
            ("language", filters.languages),
            ("doc_id", filters.doc_ids),
            ("citations", filters.citations),
        ):
            if values:
                must.append(models.FieldCondition(key=key, match=models.MatchAny(any=list(values))))
        if filters.since or filters.until:
            must.append(
                models.FieldCondition(
                    key="date",
                    range=models.DatetimeRange(
                        gte=f"{filters.since}T00:00:00Z" if filters.since else None,
                        lte=f"{filters.until}T23:59:59Z" if filters.until else None,
                    ),
                )
            )
    must_not = [models.FieldCondition(key=key, range=models.DatetimeRange(**bound)) for key, bound in as_of_exclusions(filters)]
    if must_not:
        return models.Filter(must=must, must_not=must_not)
    return models.Filter(must=must) if must else None


def describe_url(url: str) -> str:
    """The backend name for a `LAGRUM_QDRANT_URL`: "local" for local mode, else "server"."""
    return "local" if url == MEMORY or url.startswith(LOCAL_PREFIX) else "server"


def make_client(url: str, api_key: str | None = None, data_dir: Path | None = None) -> QdrantClient:
    """A `QdrantClient` for a `LAGRUM_QDRANT_URL` value (server URL, `local:PATH` or `:memory:`)."""
    if url == MEMORY:
        return QdrantClient(location=MEMORY)
    if url.startswith(LOCAL_PREFIX):
        raw = url[len(LOCAL_PREFIX):]
        path = Path(raw) if raw else Path(data_dir or "data") / "qdrant-local"
        path.mkdir(parents=True, exist_ok=True)
        try:
            return QdrantClient(path=str(path))
        except RuntimeError as exc:  # portalocker: another QdrantClient holds the folder
            if "already accessed" in str(exc):
                raise IndexLockedError(
                    f"the local Qdrant folder {path} is in use by another process; "
                    "stop it, or use a Qdrant server (LAGRUM_QDRANT_URL=http://...) for several processes"
                ) from None
            raise
    if not url.startswith(("http://", "https://")):
        raise LagrumError(
            f"LAGRUM_QDRANT_URL={url!r} is not a Qdrant address; use http(s)://HOST:6333, local:/path or :memory:"
        )
    return QdrantClient(url=url, api_key=api_key, timeout=60)


class ServerStore(SingleSearches):
    """A `Store` on a Qdrant collection; see `lagrum.store.base` for the data layout."""

    def __init__(self, client: QdrantClient, collection: str, backend: str = "server"):
        self._client = client
        self.collection = collection
        self.backend = backend

    @classmethod
    def connect(cls, settings: Settings, dim: int, create: bool = True) -> "ServerStore":
        """Connect to `settings.qdrant_url` and open (or create) `settings.qdrant_collection`."""
        if not settings.qdrant_url:
            raise LagrumError("LAGRUM_QDRANT_URL is not set; the server backend needs a Qdrant address")
        return cls.open(
            settings.qdrant_url,
            dim=dim,
            create=create,
            collection=settings.qdrant_collection,
            api_key=settings.qdrant_api_key,
            shards=settings.qdrant_shards,
            replicas=settings.qdrant_replicas,
            write_consistency=settings.qdrant_write_consistency,
            data_dir=settings.data_dir,
        )

    @classmethod
    def open(
        cls,
        url: str,
        dim: int | None,
        create: bool = True,
        collection: str = "lagrum",
        api_key: str | None = None,
        shards: int = 1,
        replicas: int = 1,
        write_consistency: int = 1,
        data_dir: Path | None = None,
    ) -> "ServerStore":
        """Open the collection at `url`; shards, replicas and write consistency apply only when creating it.

        :param dim: the embedder's dense size, checked against an existing collection; None accepts
            any size (reading only, as `lagrum migrate --from` does) and cannot create.
        """
        client = make_client(url, api_key, data_dir)
        store = cls(client, collection, describe_url(url))
        try:
            exists = client.collection_exists(collection)
        except Exception as exc:  # connection refused, bad key, TLS: say where and what to check
            client.close()
            raise LagrumError(
                f"cannot reach Qdrant at {url}: {exc}. Check LAGRUM_QDRANT_URL and LAGRUM_QDRANT_API_KEY"
            ) from None
        if exists:
            if dim is not None:
                store._check_schema(dim)
        elif not create or dim is None:
            client.close()
            raise LagrumError(f"no collection {collection!r} at {url}; run `lagrum ingest` or `lagrum migrate --to {url}` first")
        else:
            store._create(dim, shards, replicas, write_consistency)
        return store

    def _create(self, dim: int, shards: int, replicas: int, write_consistency: int) -> None:
        try:
            self._client.create_collection(
                self.collection,
                vectors_config={DENSE: models.VectorParams(size=dim, distance=models.Distance.COSINE)},
                sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
                shard_number=shards,
                replication_factor=replicas,
                write_consistency_factor=write_consistency,
            )
        except Exception:
            # Several API containers starting at once: another one may have created it just now.
            if not self._client.collection_exists(self.collection):
                raise
            self._check_schema(dim)
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # local mode warns that payload indexes have no effect there
            for field_name, kind in PAYLOAD_INDEXES.items():
                self._client.create_payload_index(self.collection, field_name, _INDEX_TYPES[kind], wait=True)

    def _check_schema(self, dim: int) -> None:
        info = self._client.get_collection(self.collection)
        vectors = info.config.params.vectors
        params = vectors.get(DENSE) if isinstance(vectors, dict) else None
        if params is None or params.size != dim:
            found = params.size if params is not None else "no 'dense' vector"
            raise LagrumError(
                f"collection {self.collection!r} has dense size {found}, but the embedder gives {dim}; "
                "set LAGRUM_QDRANT_COLLECTION to another name or LAGRUM_EMBEDDER to the one that built it"
            )

    # --- meta and documents -------------------------------------------------------------

    def _retrieve_payload(self, point: str, exclude: list[str] | None = None) -> dict[str, Any] | None:
        selector: Any = models.PayloadSelectorExclude(exclude=exclude) if exclude else True
        records = self._client.retrieve(self.collection, [point], with_payload=selector, with_vectors=False)
        return dict(records[0].payload or {}) if records else None

    def get_meta(self) -> dict[str, Any] | None:
        return self._retrieve_payload(META_POINT_ID)

    def set_meta(self, meta: dict[str, Any]) -> None:
        check_payload(meta, "index metadata")
        self._upsert([models.PointStruct(id=META_POINT_ID, vector={}, payload={**meta, "kind": "meta"})])

    def get_document(self, doc_id: str, with_text: bool = True) -> dict[str, Any] | None:
        return self._retrieve_payload(document_point_id(doc_id), None if with_text else _DOCUMENT_TEXT_FIELDS)

    def put_document(self, record: dict[str, Any], title_vector: list[float] | None = None) -> None:
        check_payload(record, f"document {record.get('id')!r}")
        payload = {**record, "kind": "document", "doc_id": record["id"]}
        vector = {DENSE: list(map(float, title_vector))} if title_vector is not None else {}
        self._upsert([models.PointStruct(id=document_point_id(record["id"]), vector=vector, payload=payload)])

    def title_vectors(self, doc_ids: list[str]) -> dict[str, list[float]]:
        if not doc_ids:
            return {}
        ids = {document_point_id(d): d for d in doc_ids}
        return dense_vectors_by_key(self._client.retrieve(self.collection, list(ids), with_payload=False, with_vectors=[DENSE]), ids)

    def delete_document(self, doc_id: str) -> bool:
        existed = self.get_document(doc_id, with_text=False) is not None
        self.delete_chunks(doc_id)
        self._client.delete(self.collection, models.PointIdsList(points=[document_point_id(doc_id)]), wait=True)
        return existed

    def document_records(self, with_text: bool = False) -> Iterator[dict[str, Any]]:
        selector: Any = True if with_text else models.PayloadSelectorExclude(exclude=_DOCUMENT_TEXT_FIELDS)
        for record in self._scroll(server_filter(None, "document"), selector):
            yield dict(record.payload or {})

    # --- chunks ---------------------------------------------------------------------

    def delete_chunks(self, doc_id: str) -> None:
        selector = models.FilterSelector(filter=server_filter(SearchFilters(doc_ids=(doc_id,))))
        self._client.delete(self.collection, selector, wait=True)

    def upsert_chunks(self, chunks: list[ChunkPoint]) -> None:
        for chunk in chunks:
            check_payload(chunk.payload, f"chunk {chunk.payload.get('chunk_id', chunk.id)!r}")
        points = [
            models.PointStruct(
                id=c.id,
                vector={
                    DENSE: [float(x) for x in c.dense],
                    SPARSE: models.SparseVector(indices=list(c.sparse.indices), values=list(c.sparse.values)),
                },
                payload={**c.payload, "kind": "chunk"},
            )
            for c in chunks
        ]
        self._upsert(points)

    def chunks_of(self, doc_id: str) -> list[dict[str, Any]]:
        return sorted(self.find_chunks(SearchFilters(doc_ids=(doc_id,))), key=lambda p: p.get("index", 0))

    def find_chunks(self, filters: SearchFilters, limit: int | None = None) -> list[dict[str, Any]]:
        """Chunk payloads matching `filters` (no ranking), at most `limit`."""
        out: list[dict[str, Any]] = []
        for record in self._scroll(server_filter(filters), True):
            out.append(dict(record.payload or {}))
            if limit is not None and len(out) >= limit:
                break
        return out

    def count_chunks(self, filters: SearchFilters | None = None) -> int:
        return self._client.count(self.collection, count_filter=server_filter(filters), exact=True).count

    def count_documents(self) -> int:
        return self._client.count(self.collection, count_filter=server_filter(None, "document"), exact=True).count

    # --- search ---------------------------------------------------------------------

    def _search_many(self, searches: list[Search]) -> list[list[ScoredPayload]]:
        answers = self._client.query_batch_points(self.collection, requests=[self._request(search) for search in searches])
        return [[ScoredPayload(p.score, dict(p.payload or {}), str(p.id)) for p in response.points] for response in answers]

    def _request(self, search: Search) -> models.QueryRequest:
        if search.sparse:
            query: Any = models.SparseVector(indices=list(search.query.indices), values=list(search.query.values))
        else:
            query = [float(x) for x in search.query]
        payload = search.payload
        return models.QueryRequest(
            query=query,
            using=SPARSE if search.sparse else DENSE,
            filter=server_filter(search.filters),
            # Local mode always scans every point (and warns about search params).
            params=models.SearchParams(exact=True) if search.exact and not search.sparse and self.backend != "local" else None,
            limit=search.limit,
            with_payload=list(payload) if isinstance(payload, tuple) else payload,
        )

    def payloads(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        records = self._client.retrieve(self.collection, list(ids), with_payload=True, with_vectors=False)
        return {str(r.id): dict(r.payload or {}) for r in records}

    # --- migration ------------------------------------------------------------------

    def iter_points(self, batch: int = 256, offset: str | None = None) -> Iterator[tuple[list[StoredPoint], str | None]]:
        """Every point with its vectors, in batches, each with the offset to resume after it."""
        while True:
            records, next_offset = self._client.scroll(
                self.collection, limit=batch, offset=offset, with_payload=True, with_vectors=True
            )
            yield [_stored_point(r) for r in records], (str(next_offset) if next_offset is not None else None)
            if next_offset is None:
                return
            offset = str(next_offset)

    def write_points(self, points: list[StoredPoint]) -> None:
        for point in points:
            check_payload(point.payload, f"point {point.id}")
        converted = []
        for p in points:
            vectors: dict[str, Any] = {}
            if p.dense is not None:
                vectors[DENSE] = [float(x) for x in p.dense]
            if p.sparse is not None:
                vectors[SPARSE] = models.SparseVector(indices=list(p.sparse.indices), values=list(p.sparse.values))
            converted.append(models.PointStruct(id=p.id, vector=vectors, payload=p.payload))
        self._upsert(converted)

    def count_points(self) -> int:
        return self._client.count(self.collection, exact=True).count

    # --- lifecycle ------------------------------------------------------------------

    def flush(self) -> None:
        """Writes are acknowledged after the WAL (`wait=True`); nothing to do."""

    def optimize(self) -> None:
        """The server's optimizers run on their own; nothing to do."""

    def close(self) -> None:
        self._client.close()

    # --- helpers --------------------------------------------------------------------

    def _upsert(self, points: list[models.PointStruct]) -> None:
        if points:
            self._client.upsert(self.collection, points=points, wait=True)

    def _scroll(self, scroll_filter: models.Filter | None, with_payload: Any) -> Iterator[models.Record]:
        offset = None
        while True:
            records, offset = self._client.scroll(
                self.collection, scroll_filter=scroll_filter, limit=_SCROLL_PAGE, offset=offset, with_payload=with_payload
            )
            yield from records
            if offset is None:
                return


def _stored_point(record: models.Record) -> StoredPoint:
    vectors = record.vector if isinstance(record.vector, dict) else {}
    dense = vectors.get(DENSE)
    sparse = vectors.get(SPARSE)
    return StoredPoint(
        id=str(record.id),
        payload=dict(record.payload or {}),
        dense=list(dense) if dense is not None else None,
        sparse=SparseVector(list(sparse.indices), list(sparse.values)) if sparse is not None else None,
    )
