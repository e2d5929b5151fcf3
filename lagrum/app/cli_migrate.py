"""`lagrum migrate`: copy an index between the embedded Edge shard and a Qdrant server.

    lagrum migrate --to http://qdrant:6333      # DATA/index (Edge) -> server collection
    lagrum migrate --from http://qdrant:6333    # server collection -> DATA/index (Edge)

Every point is copied with its vectors and payload (documents, chunks, the meta record), so
nothing is re-embedded. The copy runs in batches and records its position in
`DATA/migrate-<hash>.json` after each one; run the same command again after an interruption
and it continues from there (upserts are idempotent, so a batch copied twice does no harm).
At the end the points, documents and chunks on both sides are counted and compared.

>>> summary = migrate(edge_store, server_store, progress_file=Path("data/migrate-1a2b.json"))  # doctest: +SKIP
>>> summary["verified"]  # doctest: +SKIP
True
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable

from lagrum.errors import LagrumError
from lagrum.settings import Settings
from lagrum.store.base import StoredPoint

DEFAULT_BATCH = 256


def register(sub) -> None:
    p = sub.add_parser("migrate", help="copy the index between the embedded shard and a Qdrant server")
    direction = p.add_mutually_exclusive_group(required=True)
    direction.add_argument("--to", metavar="URL", help="copy DATA/index to the Qdrant server at URL (or local:PATH)")
    direction.add_argument("--from", dest="source", metavar="URL", help="copy the collection at URL into DATA/index")
    p.add_argument("--collection", help="server collection (env LAGRUM_QDRANT_COLLECTION, default lagrum)")
    p.add_argument("--api-key", help="server API key (env LAGRUM_QDRANT_API_KEY)")
    p.add_argument("--batch", type=int, default=DEFAULT_BATCH, help=f"points per batch (default {DEFAULT_BATCH})")
    p.add_argument("--restart", action="store_true", help="ignore a recorded position and copy everything again")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(handler=cmd_migrate)


def cmd_migrate(args, settings: Settings) -> int:
    if args.batch < 1:
        raise LagrumError("--batch must be at least 1")
    url = args.to or args.source
    settings = settings.with_(
        qdrant_url=url,
        qdrant_collection=args.collection or settings.qdrant_collection,
        qdrant_api_key=args.api_key or settings.qdrant_api_key,
    )
    direction = "to" if args.to else "from"
    progress_file = progress_path(settings, direction)
    if args.restart and progress_file.exists():
        progress_file.unlink()
    source, target = open_pair(settings, direction)
    try:
        summary = migrate(source, target, progress_file, batch=args.batch, report=None if args.json else _print_progress)
    finally:
        source.close()
        target.close()
    summary["url"] = url
    summary["collection"] = settings.qdrant_collection
    summary["index_dir"] = str(settings.index_dir)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        _print_summary(summary)
    return 0 if summary["verified"] else 1


def progress_path(settings: Settings, direction: str) -> Path:
    """Where a migration between DATA/index and this server collection records its position."""
    key = f"{direction}|{settings.qdrant_url}|{settings.qdrant_collection}|{settings.index_dir.resolve()}"
    return settings.data_dir / f"migrate-{hashlib.sha1(key.encode()).hexdigest()[:10]}.json"


def open_pair(settings: Settings, direction: str) -> tuple[Any, Any]:
    """(source, target) stores: the Edge shard at DATA/index and the collection at settings.qdrant_url."""
    from lagrum.store.edge import EdgeStore
    from lagrum.store.server import ServerStore

    if direction == "to":
        source = EdgeStore.open(settings.index_dir, dim=0, create=False)
        try:
            target = ServerStore.connect(settings, dim=_dim_of(source), create=True)
        except Exception:
            source.close()
            raise
        return source, target
    source = ServerStore.open(
        settings.qdrant_url or "", dim=None, create=False, collection=settings.qdrant_collection,
        api_key=settings.qdrant_api_key, data_dir=settings.data_dir,
    )
    try:
        target = EdgeStore.open(settings.index_dir, dim=_dim_of(source), create=True)
    except Exception:
        source.close()
        raise
    return source, target


def migrate(
    source: Any,
    target: Any,
    progress_file: Path,
    batch: int = DEFAULT_BATCH,
    report: Callable[[int, int], None] | None = None,
    after_batch: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Copy every point from `source` to `target` in batches, resumably, then compare counts.

    :param progress_file: JSON file recording the scroll offset after each batch; an unfinished
        one makes this call continue where the last one stopped.
    :param report: called with (points copied, points in the source) after each batch.
    :param after_batch: called with the batch number after it is recorded (tests interrupt here).
    :returns: a summary with the counts on both sides and `verified`.
    """
    started = time.perf_counter()
    state = _load_progress(progress_file)
    resumed = state.get("offset") is not None
    offset = state.get("offset")
    copied = int(state.get("copied", 0)) if resumed else 0
    total = source.count_points()
    batches = 0
    for points, next_offset in source.iter_points(batch=batch, offset=offset):
        target.write_points(_without_extras(points))
        copied += len(points)
        batches += 1
        _save_progress(progress_file, {"offset": next_offset, "copied": copied, "done": next_offset is None})
        if report:
            report(copied, total)
        if after_batch:
            after_batch(batches)
    target.flush()
    counts = {
        side: {"points": store.count_points(), "documents": store.count_documents(), "chunks": store.count_chunks()}
        for side, store in (("source", source), ("target", target))
    }
    return {
        "source_backend": source.backend,
        "target_backend": target.backend,
        "copied": copied,
        "batches": batches,
        "resumed": resumed,
        "seconds": round(time.perf_counter() - started, 2),
        "counts": counts,
        "verified": counts["source"] == counts["target"],
        "progress_file": str(progress_file),
    }


def _dim_of(store: Any) -> int:
    """The dense size from the meta record (or the first chunk), to create the target with."""
    meta = store.get_meta() or {}
    if meta.get("dim"):
        return int(meta["dim"])
    for points, _ in store.iter_points(batch=64):
        for point in points:
            if point.dense:
                return len(point.dense)
    raise LagrumError("the source index holds no dense vectors and no meta record; nothing to migrate")


def _without_extras(points: list[StoredPoint]) -> list[StoredPoint]:
    return [StoredPoint(p.id, p.payload, p.dense, p.sparse) for p in points]


def _load_progress(path: Path) -> dict[str, Any]:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise LagrumError(f"cannot read the migration progress file {path}: {exc}; delete it or pass --restart") from None
    return {} if state.get("done") else state  # a finished migration starts over: a fresh full copy


def _save_progress(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({**state, "updated": time.strftime("%Y-%m-%dT%H:%M:%S")}), encoding="utf-8")
    tmp.replace(path)  # atomic: a crash never leaves half a progress file


def _print_progress(copied: int, total: int) -> None:
    print(f"\rcopied {copied}/{total} points", end="", file=sys.stderr, flush=True)


def _print_summary(summary: dict[str, Any]) -> None:
    print(file=sys.stderr)
    src, dst = summary["counts"]["source"], summary["counts"]["target"]
    how = "resumed and copied" if summary["resumed"] else "copied"
    print(
        f"{how} {summary['copied']} points in {summary['batches']} batches ({summary['seconds']} s): "
        f"{summary['source_backend']} -> {summary['target_backend']} {summary['url']} collection {summary['collection']!r}"
    )
    for name in ("points", "documents", "chunks"):
        mark = "ok" if src[name] == dst[name] else "MISMATCH"
        print(f"  {name:>9}: source {src[name]:>8}  target {dst[name]:>8}  {mark}")
    if summary["verified"]:
        print("verified: the counts match.")
    else:
        print(
            "the counts differ: the target held other points before (copy into an empty collection or "
            "--data directory), or the source changed during the copy; run again to re-copy."
        )
