"""The embedded backend: one Qdrant Edge shard on local disk, owned by one process.

>>> store = EdgeStore.open(Path("data/index"), dim=384)
>>> store.count_chunks()
0
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import qdrant_edge as qe

from lagrum.errors import IndexLockedError, IndexUnreadableError, LagrumError
from lagrum.filters import SearchFilters
from lagrum.store.limits import check_payload
from lagrum.store.base import (
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
    as_of_exclusions,
    dense_vectors_by_key,
    document_point_id,
)

OWNER_FILE = "owner.json"
_INDEX_TYPES = {"keyword": qe.PayloadSchemaType.Keyword, "datetime": qe.PayloadSchemaType.Datetime}
_DOCUMENT_TEXT_FIELDS = ["text"]


def edge_filter(filters: SearchFilters | None, kind: str | None = "chunk") -> qe.Filter | None:
    """Translate `SearchFilters` into a Qdrant Edge filter (always scoped to one point kind)."""
    must: list[Any] = []
    if kind:
        must.append(qe.FieldCondition(key="kind", match=qe.MatchValue(kind)))
    if filters:
        for key, values in (
            ("doc_type", filters.doc_types),
            ("source", filters.sources),
            ("language", filters.languages),
            ("doc_id", filters.doc_ids),
            ("citations", filters.citations),
        ):
            if values:
                must.append(qe.FieldCondition(key=key, match=qe.MatchAny(list(values))))
        if filters.since or filters.until:
            must.append(
                qe.FieldCondition(
                    key="date",
                    range=qe.RangeDateTime(
                        gte=f"{filters.since}T00:00:00Z" if filters.since else None,
                        lte=f"{filters.until}T23:59:59Z" if filters.until else None,
                    ),
                )
            )
    must_not = [qe.FieldCondition(key=key, range=qe.RangeDateTime(**bound)) for key, bound in as_of_exclusions(filters)]
    if must_not:
        return qe.Filter(must=must, must_not=must_not)
    return qe.Filter(must=must) if must else None


# Search defaults, from eval/bench_scale.py at 1M chunks (README, Scale). HNSW ef 256 on every
# shard: float32 recall@10 0.924 -> 0.996 against exact search (hybrid p95 13.0 -> 13.7 ms). On
# an int8 shard also 1.5x rescoring with the originals: recall 0.986 at p95 15-18 ms, where the
# engine's defaults (no rescoring) gave 0.84.
DEFAULT_HNSW_EF = 256
QUANTIZED_OVERSAMPLING = 1.5
EDGE_CONFIG_FILE = "edge_config.json"
WARM_SHARE = 0.5  # warm the page cache only with files up to half the available memory
WARM_BLOCK = 8 << 20


def _quantized(path: Path) -> bool:
    """Whether the shard at `path` keeps quantized dense vectors (its persisted config says so)."""
    try:
        config = json.loads((Path(path) / EDGE_CONFIG_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(((config.get("vectors") or {}).get(DENSE) or {}).get("quantization_config"))


_EXACT = qe.SearchParams(exact=True, quantization=qe.QuantizationSearchParams(ignore=True))


def _search_params(hnsw_ef: int, oversampling: float | None) -> qe.SearchParams:
    """Dense search parameters: HNSW ef, and rescoring of quantized candidates with the originals."""
    quantization = qe.QuantizationSearchParams(rescore=True, oversampling=oversampling) if oversampling else None
    return qe.SearchParams(hnsw_ef=hnsw_ef, quantization=quantization)


class EdgeStore(SingleSearches):
    """A `Store` on a Qdrant Edge shard; see `lagrum.store.base` for the data layout."""

    backend = "edge"

    def __init__(self, shard: qe.EdgeShard, path: Path, hnsw_ef: int | None = None, oversampling: float | None = None):
        self._shard = shard
        self.path = path
        # Unset parameters take the values measured to keep recall at 1M chunks.
        hnsw_ef = hnsw_ef or DEFAULT_HNSW_EF
        if _quantized(path):
            oversampling = oversampling or QUANTIZED_OVERSAMPLING
        self.hnsw_ef, self.oversampling = hnsw_ef, oversampling
        self._params = _search_params(hnsw_ef, oversampling)

    @classmethod
    def open(
        cls,
        path: Path,
        dim: int,
        create: bool = True,
        quantization: str | None = None,
        hnsw_ef: int | None = None,
        oversampling: float | None = None,
    ) -> "EdgeStore":
        """Open (or create) the shard at `path`; a shard held by another process raises `IndexLockedError`.

        :param quantization: "int8" creates a new shard with int8 vectors in RAM and the original
            vectors and payload on disk (memory-mapped); an existing shard keeps its own layout.
        :param hnsw_ef: HNSW ef at search time (None: 256).
        :param oversampling: with quantization, rescore this many times the limit with the originals
            (None: 1.5 on a quantized shard).
        """
        path = Path(path)
        exists = (path / "segments").exists() or (path / "wal").exists()
        if not exists and not create:
            raise LagrumError(f"no index at {path}; run `lagrum ingest corpus/` first")
        try:
            if exists:
                shard = qe.EdgeShard.load(str(path))
            else:
                path.mkdir(parents=True, exist_ok=True)
                shard = qe.EdgeShard.create(str(path), cls._config(dim, quantization))
        except Exception as exc:  # the binding raises plain Exception; tell the lock apart from the rest
            if "WouldBlock" in str(exc):
                raise IndexLockedError(_locked_message(path)) from None
            raise IndexUnreadableError(
                f"cannot open the index at {path}: the storage engine refused it ({exc}). "
                f"Run `lagrum --data {path.parent} repair` to rebuild it from what is recoverable "
                "(a copy of the damaged index is kept beside it, and the repair says what was lost)."
            ) from None
        store = cls(shard, path, hnsw_ef, oversampling)
        # Also on reopen: a first ingest killed within its first second may have left some out.
        store.ensure_payload_indexes()
        _write_owner(path)
        return store

    def ensure_payload_indexes(self) -> list[str]:
        """Create the payload indexes the shard lacks; returns the names created."""
        present = set((self._shard.info().payload_schema or {}).keys())
        missing = [name for name in PAYLOAD_INDEXES if name not in present]
        for field_name in missing:
            self._shard.update(qe.UpdateOperation.create_field_index(field_name, _INDEX_TYPES[PAYLOAD_INDEXES[field_name]]))
        return missing

    def pending_document_ids(self) -> list[str]:
        """Documents whose write was cut short (state `pending`)."""
        pending = qe.Filter(must=[qe.FieldCondition(key="kind", match=qe.MatchValue("document")), qe.FieldCondition(key="state", match=qe.MatchValue("pending"))])
        out, offset = [], None
        while True:
            records, offset = self._shard.scroll(qe.ScrollRequest(offset=offset, limit=512, filter=pending, with_payload=qe.PayloadSelector.Include(["doc_id"])))
            out.extend(str(r.payload.get("doc_id")) for r in records)
            if offset is None:
                return out

    @staticmethod
    def _config(dim: int, quantization: str | None = None) -> qe.EdgeConfig:
        sparse = {SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)}
        if quantization is None:
            return qe.EdgeConfig(vectors={DENSE: qe.EdgeVectorParams(size=dim, distance=qe.Distance.Cosine)}, sparse_vectors=sparse)
        if quantization != "int8":
            raise LagrumError(f"quantization {quantization!r} is not supported; use int8")
        # At a million chunks: int8 copies pinned in RAM (a quarter of float32), originals and
        # payload memory-mapped from disk and paged in on demand (rescoring reads a few).
        dense = qe.EdgeVectorParams(
            size=dim,
            distance=qe.Distance.Cosine,
            memory=qe.Memory.Cold,
            quantization_config=qe.ScalarQuantizationConfig(qe.ScalarType.Int8, quantile=0.99, memory=qe.Memory.Pinned),
        )
        return qe.EdgeConfig(vectors={DENSE: dense}, sparse_vectors=sparse, payload_memory=qe.Memory.Cold)

    # --- meta and documents -------------------------------------------------------------

    def get_meta(self) -> dict[str, Any] | None:
        records = self._shard.retrieve([META_POINT_ID], with_payload=True, with_vector=False)
        return dict(records[0].payload) if records else None

    def set_meta(self, meta: dict[str, Any]) -> None:
        check_payload(meta, "index metadata")
        self._shard.update(qe.UpdateOperation.upsert_points([qe.Point(META_POINT_ID, {}, {**meta, "kind": "meta"})]))

    def get_document(self, doc_id: str, with_text: bool = True) -> dict[str, Any] | None:
        records = self._shard.retrieve([document_point_id(doc_id)], with_payload=True, with_vector=False)
        if not records:
            return None
        payload = dict(records[0].payload)
        if not with_text:
            payload.pop("text", None)
        return payload

    def put_document(self, record: dict[str, Any], title_vector: list[float] | None = None) -> None:
        check_payload(record, f"document {record.get('id')!r}")
        vectors = {DENSE: list(map(float, title_vector))} if title_vector is not None else {}
        point = qe.Point(document_point_id(record["id"]), vectors, {**record, "kind": "document", "doc_id": record["id"]})
        self._shard.update(qe.UpdateOperation.upsert_points([point]))

    def title_vectors(self, doc_ids: list[str]) -> dict[str, list[float]]:
        if not doc_ids:
            return {}
        ids = {document_point_id(d): d for d in doc_ids}
        return dense_vectors_by_key(self._shard.retrieve(list(ids), with_payload=False, with_vector=True), ids)

    def delete_document(self, doc_id: str) -> bool:
        existed = self.get_document(doc_id, with_text=False) is not None
        self.delete_chunks(doc_id)
        self._shard.update(qe.UpdateOperation.delete_points([document_point_id(doc_id)]))
        return existed

    def document_records(self, with_text: bool = False) -> Iterator[dict[str, Any]]:
        selector: Any = True if with_text else qe.PayloadSelector.Exclude(_DOCUMENT_TEXT_FIELDS)
        offset = None
        while True:
            records, offset = self._shard.scroll(
                qe.ScrollRequest(offset=offset, limit=512, filter=edge_filter(None, "document"), with_payload=selector)
            )
            for record in records:
                payload = dict(record.payload)
                if not with_text:
                    payload.pop("text", None)
                yield payload
            if offset is None:
                return

    # --- chunks ---------------------------------------------------------------------

    def delete_chunks(self, doc_id: str) -> None:
        self._shard.update(qe.UpdateOperation.delete_points_by_filter(edge_filter(SearchFilters(doc_ids=(doc_id,)))))

    def upsert_chunks(self, chunks: list[ChunkPoint]) -> None:
        for chunk in chunks:
            check_payload(chunk.payload, f"chunk {chunk.payload.get('chunk_id', chunk.id)!r}")
        if not chunks:
            return
        points = [
            qe.Point(c.id, {DENSE: list(map(float, c.dense)), SPARSE: qe.SparseVector(c.sparse.indices, c.sparse.values)}, {**c.payload, "kind": "chunk"})
            for c in chunks
        ]
        self._shard.update(qe.UpdateOperation.upsert_points(points))

    def chunks_of(self, doc_id: str) -> list[dict[str, Any]]:
        return sorted(self.find_chunks(SearchFilters(doc_ids=(doc_id,))), key=lambda p: p.get("index", 0))

    def find_chunks(self, filters: SearchFilters, limit: int | None = None) -> list[dict[str, Any]]:
        """Chunk payloads matching `filters` (no ranking), at most `limit`."""
        out: list[dict[str, Any]] = []
        offset = None
        while True:
            records, offset = self._shard.scroll(
                qe.ScrollRequest(offset=offset, limit=512, filter=edge_filter(filters), with_payload=True)
            )
            out.extend(dict(r.payload) for r in records)
            if offset is None or (limit is not None and len(out) >= limit):
                break
        return out[:limit] if limit is not None else out

    def count_chunks(self, filters: SearchFilters | None = None) -> int:
        return self._shard.count(qe.CountRequest(filter=edge_filter(filters), exact=True))

    def count_documents(self) -> int:
        return self._shard.count(qe.CountRequest(filter=edge_filter(None, "document"), exact=True))

    # --- search ---------------------------------------------------------------------

    def _search_many(self, searches: list[Search]) -> list[list[ScoredPayload]]:
        requests = [self._request(search) for search in searches]
        if len(requests) == 1:
            answers = [self._shard.query(requests[0])]
        else:  # one planned batch: the searches share a pass over the segments
            answers = self._shard.query_batch(qe.QueryBatchRequest(requests))
        return [[ScoredPayload(p.score, dict(p.payload) if p.payload else {}, str(p.id)) for p in points] for points in answers]

    def _request(self, search: Search) -> qe.QueryRequest:
        if search.sparse:
            query = qe.Query.Nearest(qe.SparseVector(search.query.indices, search.query.values), using=SPARSE)
        else:
            query = qe.Query.Nearest(list(map(float, search.query)), using=DENSE)
        payload = search.payload
        return qe.QueryRequest(
            limit=search.limit,
            query=query,
            filter=edge_filter(search.filters),
            with_payload=qe.PayloadSelector.Include(list(payload)) if isinstance(payload, tuple) else payload,
            params=None if search.sparse else (_EXACT if search.exact else self._params),
        )

    def payloads(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        records = self._shard.retrieve(list(ids), with_payload=True, with_vector=False)
        return {str(r.id): dict(r.payload) for r in records}

    # --- migration ------------------------------------------------------------------

    def iter_points(self, batch: int = 256, offset: str | None = None) -> Iterator[tuple[list[StoredPoint], str | None]]:
        """Every point with its vectors, in batches, each with the offset to resume after it."""
        while True:
            records, next_offset = self._shard.scroll(
                qe.ScrollRequest(offset=offset, limit=batch, with_payload=True, with_vector=True)
            )
            points = []
            for r in records:
                vectors = r.vector or {}
                dense = vectors.get(DENSE) if isinstance(vectors, dict) else None
                sparse = vectors.get(SPARSE) if isinstance(vectors, dict) else None
                points.append(
                    StoredPoint(
                        id=str(r.id),
                        payload=dict(r.payload or {}),
                        dense=list(dense) if dense is not None else None,
                        sparse=SparseVector(list(sparse.indices), list(sparse.values)) if sparse is not None else None,
                    )
                )
            yield points, (str(next_offset) if next_offset is not None else None)
            if next_offset is None:
                return
            offset = next_offset

    def write_points(self, points: list[StoredPoint]) -> None:
        for point in points:
            check_payload(point.payload, f"point {point.id}")
        converted = []
        for p in points:
            vectors: dict[str, Any] = {}
            if p.dense is not None:
                vectors[DENSE] = list(p.dense)
            if p.sparse is not None:
                vectors[SPARSE] = qe.SparseVector(p.sparse.indices, p.sparse.values)
            converted.append(qe.Point(p.id, vectors, p.payload))
        if converted:
            self._shard.update(qe.UpdateOperation.upsert_points(converted))

    def count_points(self) -> int:
        return self._shard.count(qe.CountRequest(exact=True))

    # --- lifecycle ------------------------------------------------------------------

    def warm(self, budget: float = WARM_SHARE) -> int:
        """Read the shard's segment files once, so that the kernel holds them in its page cache.

        With payload and original vectors memory-mapped (the int8 layout), a query otherwise waits
        for the disk for the pages it touches first: at 1M chunks the payloads of ten hits took
        3 ms at p50 and 15 ms at p95 from a cold cache, 0.5 ms from a warm one. Nothing is read
        when the files exceed `budget` of the memory the kernel reports available (the cache
        would evict itself); the page cache stays reclaimable either way.

        :returns: the bytes read (0 when skipped).
        """
        files = [f for f in (self.path / "segments").rglob("*") if f.is_file()]
        size = sum(f.stat().st_size for f in files)
        available = _available_memory()
        if available is not None and size > budget * available:
            return 0
        done = 0
        for file in files:
            try:
                with open(file, "rb", buffering=0) as handle:
                    while block := handle.read(WARM_BLOCK):
                        done += len(block)
            except OSError:
                continue  # a segment merged away while reading: nothing to warm there
        return done

    def flush(self) -> None:
        self._shard.flush()

    def optimize(self) -> None:
        self._shard.optimize()

    def close(self) -> None:
        try:
            self._shard.flush()
            self._shard.close()
        finally:
            _clear_owner(self.path)


def _available_memory() -> int | None:
    """MemAvailable from /proc/meminfo in bytes (None where there is no such file)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _write_owner(path: Path) -> None:
    info = {"pid": os.getpid(), "command": " ".join(sys.argv[:3]) or "python", "since": time.strftime("%Y-%m-%d %H:%M:%S")}
    if os.environ.get("LAGRUM_SERVING_URL"):  # set by `lagrum serve`
        info["url"] = os.environ["LAGRUM_SERVING_URL"]
    try:
        (path / OWNER_FILE).write_text(json.dumps(info), encoding="utf-8")
    except OSError:
        pass  # informational only; the WAL lock is what protects the shard


def _clear_owner(path: Path) -> None:
    try:
        owner = json.loads((path / OWNER_FILE).read_text(encoding="utf-8"))
        if owner.get("pid") == os.getpid():
            (path / OWNER_FILE).unlink()
    except (OSError, ValueError):
        pass


def _locked_by_live_process(path: Path) -> str | None:
    """Who holds the shard, when its owner file names a process that is still alive (not us)."""
    try:
        owner = json.loads((path / OWNER_FILE).read_text(encoding="utf-8"))
        pid = int(owner["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if pid == os.getpid():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return f"process {pid} (`{owner.get('command', '?')}`)"


def _locked_message(path: Path) -> str:
    holder, url = "another process", None
    try:
        owner = json.loads((path / OWNER_FILE).read_text(encoding="utf-8"))
        holder = f"process {owner['pid']} (`{owner['command']}`, since {owner['since']})"
        url = owner.get("url")
    except (OSError, ValueError, KeyError, TypeError):
        pass
    if url:
        return (
            f"the index at {path} is in use by {holder}, serving {url}. One process owns an embedded index; "
            f"send documents through the server instead: `lagrum ingest --server {url} --api-key KEY PATH...`"
        )
    return (
        f"the index at {path} is in use by {holder}. One process owns an embedded index. "
        "If that is `lagrum serve`, send documents through it instead: "
        "`lagrum ingest --server http://HOST:PORT --api-key KEY PATH...`; otherwise stop that process and retry."
    )
