"""Bring an embedded index back when Qdrant Edge refuses to open it (`lagrum repair`).

An Edge shard is its segments (what was flushed) plus a write-ahead log of every update since.
When the engine cannot replay one WAL entry (a payload nested too deep, a torn or corrupted
entry), it refuses the whole shard. Repair rebuilds it from what is recoverable:

1. the damaged index is copied aside first (`index.broken-YYYYmmdd-HHMMSS`), never modified;
2. the segments are opened without the log and every point is copied into a new shard;
3. the log is read entry by entry (it is CBOR, in the engine's `wal` layout) and each update
   the engine could replay is applied again, in order; entries it could not are counted as lost,
   with the ids of the points and documents they carried;
4. chunks whose document record is missing are removed, documents whose write was cut short
   stay `pending` (the next `lagrum ingest` redoes them), missing payload indexes are created;
5. the new shard takes the index's place.

Replaying updates that the segments already hold is harmless for Lagrum's updates: every upsert
writes a whole point and the log is applied in its own order, so each point ends in its last state.

>>> report = repair_edge_index(Path("data/index"))  # doctest: +SKIP
>>> report.lost_documents  # doctest: +SKIP
['deep-doc']
"""

from __future__ import annotations

import json
import shutil
import struct
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

import qdrant_edge as qe

from lagrum.errors import LagrumError
from lagrum.store.base import DENSE, PAYLOAD_INDEXES, SPARSE
from lagrum.store.limits import check_payload, PayloadRefused

_BATCH = 256
_INDEX_TYPES = {
    "keyword": qe.PayloadSchemaType.Keyword,
    "datetime": qe.PayloadSchemaType.Datetime,
    "integer": qe.PayloadSchemaType.Integer,
    "float": qe.PayloadSchemaType.Float,
    "bool": qe.PayloadSchemaType.Bool,
    "text": qe.PayloadSchemaType.Text,
    "uuid": qe.PayloadSchemaType.Uuid,
}


@dataclass
class RepairReport:
    """What `repair_edge_index` recovered and what it could not."""

    path: str
    backup: str
    points_from_segments: int = 0
    wal_entries: int = 0
    wal_entries_replayed: int = 0
    wal_entries_lost: int = 0
    lost_points: list[str] = field(default_factory=list)
    lost_documents: list[str] = field(default_factory=list)
    orphan_chunks_removed: int = 0
    pending_documents: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    documents: int = 0
    chunks: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def repair_edge_index(path: Path) -> RepairReport:
    """Rebuild the Edge shard at `path` from its segments and the replayable part of its log."""
    from lagrum.store.edge import EdgeStore, _locked_by_live_process

    started = time.perf_counter()
    path = Path(path)
    if not (path / "segments").exists() and not (path / "wal").exists():
        raise LagrumError(f"no index at {path}; nothing to repair")
    holder = _locked_by_live_process(path)
    if holder:
        raise LagrumError(f"the index at {path} is in use by {holder}; stop it before repairing")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backup = path.with_name(f"{path.name}.broken-{stamp}")
    shutil.copytree(path, backup)
    report = RepairReport(path=str(path), backup=str(backup))

    work = path.with_name(f"{path.name}.repair-segments")
    rebuilt = path.with_name(f"{path.name}.repair-new")
    for tmp in (work, rebuilt):
        shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(path, work, ignore=shutil.ignore_patterns("wal", "owner.json"))
    config = _config_of(path)
    try:
        old = qe.EdgeShard.load(str(work))
    except Exception as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise LagrumError(f"the index's segments at {path} cannot be read either ({exc}); restore it from a backup or rebuild it with `lagrum ingest` (a copy is at {backup})") from None
    rebuilt.mkdir(parents=True)
    new = qe.EdgeShard.create(str(rebuilt), config)
    try:
        report.points_from_segments = _copy_points(old, new)
        old.close()
        for entry in _wal_entries(backup / "wal", report):
            _replay(new, entry, report)
        _settle(new, report)
        report.documents = new.count(qe.CountRequest(filter=_kind("document"), exact=True))
        report.chunks = new.count(qe.CountRequest(filter=_kind("chunk"), exact=True))
        new.flush()
        new.close()
    except BaseException:
        shutil.rmtree(rebuilt, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    damaged = path.with_name(f"{path.name}.repair-old")
    shutil.rmtree(damaged, ignore_errors=True)
    path.rename(damaged)
    rebuilt.rename(path)
    shutil.rmtree(damaged, ignore_errors=True)  # the untouched copy is `backup`
    EdgeStore.open(path, dim=_dim_of(path)).close()  # proves it opens, and settles indexes
    report.seconds = round(time.perf_counter() - started, 2)
    return report


# --- the parts ------------------------------------------------------------------------


def _config_of(path: Path) -> qe.EdgeConfig:
    from lagrum.store.edge import EdgeStore, _quantized

    return EdgeStore._config(_dim_of(path), "int8" if _quantized(path) else None)


def _dim_of(path: Path) -> int:
    try:
        config = json.loads((path / "edge_config.json").read_text(encoding="utf-8"))
        return int(config["vectors"][DENSE]["size"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LagrumError(f"cannot read {path / 'edge_config.json'} ({exc}); the index cannot be repaired, rebuild it with `lagrum ingest`") from None


def _kind(kind: str) -> qe.Filter:
    return qe.Filter(must=[qe.FieldCondition(key="kind", match=qe.MatchValue(kind))])


def _copy_points(old: qe.EdgeShard, new: qe.EdgeShard) -> int:
    copied, offset = 0, None
    while True:
        records, offset = old.scroll(qe.ScrollRequest(offset=offset, limit=_BATCH, with_payload=True, with_vector=True))
        points = [qe.Point(str(r.id), _vectors(r.vector), dict(r.payload or {})) for r in records]
        if points:
            new.update(qe.UpdateOperation.upsert_points(points))
            copied += len(points)
        if offset is None:
            return copied


def _vectors(vector: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in (vector or {}).items() if isinstance(vector, dict) else []:
        if hasattr(value, "indices"):
            out[name] = qe.SparseVector(list(value.indices), list(value.values))
        elif isinstance(value, dict) and "indices" in value:
            out[name] = qe.SparseVector(list(value["indices"]), list(value["values"]))
        elif value is not None:
            out[name] = list(map(float, value))
    return out


def _wal_entries(wal: Path, report: RepairReport) -> Iterator[Any]:
    """Decoded WAL entries in order; an undecodable one is counted as lost, with what it carried."""
    import cbor2

    files = sorted((f for f in wal.glob("*-*") if f.name.split("-")[-1].isdigit()), key=lambda f: int(f.name.split("-")[-1]))
    for file in files:
        data = file.read_bytes()
        pos = 8  # "wal\0" and the segment's CRC seed
        while pos + 8 <= len(data):
            (length,) = struct.unpack_from("<Q", data, pos)
            if length == 0:
                break
            if pos + 8 + length > len(data):
                report.wal_entries += 1
                report.wal_entries_lost += 1
                report.problems.append(f"{file.name}: an entry at byte {pos} is cut short (a write interrupted by a crash)")
                break
            body = data[pos + 8 : pos + 8 + length]
            pos = (pos + 8 + length + 4 + 7) // 8 * 8  # length, data, padding, a 4-byte CRC at the end
            report.wal_entries += 1
            try:
                yield cbor2.loads(body)
            except RecursionError:
                _lost(report, None, f"{file.name}: an entry nests too deeply to read")
            except Exception as exc:
                _lost(report, None, f"{file.name}: an unreadable entry ({type(exc).__name__})")


def _lost(report: RepairReport, points: list[dict[str, Any]] | None, problem: str) -> None:
    report.wal_entries_lost += 1
    report.problems.append(problem)
    for point in points or []:
        report.lost_points.append(_point_id(point.get("id")))
        payload = point.get("payload") or {}
        if isinstance(payload, dict) and payload.get("kind") == "document" and payload.get("doc_id"):
            report.lost_documents.append(str(payload["doc_id"]))


def _point_id(raw: Any) -> str:
    if isinstance(raw, (bytes, bytearray)) and len(raw) == 16:
        return str(uuid.UUID(bytes=bytes(raw)))
    return str(raw)


def _replay(shard: qe.EdgeShard, entry: Any, report: RepairReport) -> None:
    if not isinstance(entry, dict) or len(entry) != 1:
        _lost(report, None, f"an update of unknown shape ({type(entry).__name__})")
        return
    ((kind, body),) = entry.items()
    try:
        if kind == "upsert_points":
            points = list(body.get("points") or [])
            for point in points:
                check_payload(dict(point.get("payload") or {}), f"point {_point_id(point.get('id'))}")
            shard.update(qe.UpdateOperation.upsert_points([qe.Point(_point_id(p["id"]), _vectors(p.get("vector")), dict(p.get("payload") or {})) for p in points]))
        elif kind == "delete_points":
            shard.update(qe.UpdateOperation.delete_points([_point_id(i) for i in body.get("ids") or []]))
        elif kind == "delete_points_by_filter":
            shard.update(qe.UpdateOperation.delete_points_by_filter(_filter(body)))
        elif kind == "create_index":
            schema = body.get("field_schema")
            name = schema if isinstance(schema, str) else (schema or {}).get("type")
            shard.update(qe.UpdateOperation.create_field_index(body["field_name"], _INDEX_TYPES[name]))
        else:
            _lost(report, None, f"an update of a kind repair does not replay: {kind}")
            return
    except PayloadRefused as exc:
        _lost(report, list(body.get("points") or []), str(exc))
        return
    except Exception as exc:  # what the engine refuses again is lost, not fatal
        _lost(report, list(body.get("points") or []) if isinstance(body, dict) else None, f"{kind}: {type(exc).__name__}: {exc}")
        return
    report.wal_entries_replayed += 1


def _filter(body: dict[str, Any]) -> qe.Filter:
    """A filter as the log stores it, for the conditions Lagrum writes (match value / any)."""

    def conditions(items: Any) -> list[Any]:
        out = []
        for item in items or []:
            if "key" not in item or "match" not in item:
                raise ValueError(f"filter condition {item!r} is not a field match")
            match = item["match"]
            if "value" in match:
                out.append(qe.FieldCondition(key=item["key"], match=qe.MatchValue(match["value"])))
            elif "any" in match:
                out.append(qe.FieldCondition(key=item["key"], match=qe.MatchAny(list(match["any"]))))
            else:
                raise ValueError(f"filter match {match!r} is not replayed")
        return out

    return qe.Filter(must=conditions(body.get("must")) or None, should=conditions(body.get("should")) or None, must_not=conditions(body.get("must_not")) or None)


def _settle(shard: qe.EdgeShard, report: RepairReport) -> None:
    """Remove chunks without a document record; list documents whose write was cut short."""
    documents: dict[str, tuple[str, int, str]] = {}  # doc id -> (state, chunk_count, point id)
    offset = None
    while True:
        records, offset = shard.scroll(
            qe.ScrollRequest(offset=offset, limit=512, filter=_kind("document"), with_payload=qe.PayloadSelector.Include(["doc_id", "state", "chunk_count"]))
        )
        for r in records:
            state = str(r.payload.get("state") or "complete")
            documents[str(r.payload.get("doc_id"))] = (state, int(r.payload.get("chunk_count") or 0), str(r.id))
        if offset is None:
            break
    counts: dict[str, int] = {}
    offset = None
    while True:
        records, offset = shard.scroll(
            qe.ScrollRequest(offset=offset, limit=1024, filter=_kind("chunk"), with_payload=qe.PayloadSelector.Include(["doc_id"]))
        )
        for r in records:
            doc_id = str(r.payload.get("doc_id"))
            counts[doc_id] = counts.get(doc_id, 0) + 1
        if offset is None:
            break
    orphans = {d for d in counts if d not in documents}
    for doc_id, (state, chunk_count, point) in documents.items():
        if state == "complete" and counts.get(doc_id, 0) != chunk_count:
            # A chunk update was lost: the document must be ingested again, as after a crash.
            shard.update(qe.UpdateOperation.set_payload([point], {"state": "pending"}))
            documents[doc_id] = ("pending", chunk_count, point)
            report.problems.append(f"document {doc_id!r} had {counts.get(doc_id, 0)} of its {chunk_count} chunks; marked pending")
    report.pending_documents = sorted(d for d, (state, _, _) in documents.items() if state != "complete")
    for doc_id in sorted(orphans | set(report.pending_documents)):
        filt = qe.Filter(must=[qe.FieldCondition(key="kind", match=qe.MatchValue("chunk")), qe.FieldCondition(key="doc_id", match=qe.MatchValue(doc_id))])
        count = shard.count(qe.CountRequest(filter=filt, exact=True))
        shard.update(qe.UpdateOperation.delete_points_by_filter(filt))
        if doc_id in orphans:
            report.orphan_chunks_removed += count
    report.lost_documents = sorted(set(report.lost_documents) | orphans)
    present = set((shard.info().payload_schema or {}).keys())
    for name, kind in PAYLOAD_INDEXES.items():
        if name not in present:
            shard.update(qe.UpdateOperation.create_field_index(name, _INDEX_TYPES[kind]))
