"""The `lagrum` command line: a thin layer over the library.

    lagrum ingest corpus/                 # load, clean, chunk, embed, index
    lagrum search "webbkamera på jobbet"  # hybrid search
    lagrum show DOC_ID                    # a document's metadata and canonical text
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, Sequence

from lagrum.errors import LagrumError
from lagrum.settings import Settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.data:
        settings = settings.with_(data_dir=Path(args.data))
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args, settings) or 0)
    except LagrumError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `lagrum search ... | head`: the reader left, nothing is wrong
        sys.stderr.close()
        return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lagrum", description="Search Swedish legal material with verifiable citations.")
    parser.add_argument("--data", metavar="DIR", help="data directory holding the index (env LAGRUM_DATA, default ./data)")
    sub = parser.add_subparsers(metavar="COMMAND")

    p = sub.add_parser("ingest", help="add files or directories to the index")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--server", metavar="URL", help="send the documents to a running `lagrum serve` instead")
    p.add_argument("--api-key", metavar="KEY", help="API key for --server (env LAGRUM_API_KEY)")
    p.add_argument("--format", metavar="NAME", help="read every file as this format (default: detected from each file's content)")
    p.set_defaults(handler=cmd_ingest)

    p = sub.add_parser("search", help="hybrid search")
    p.add_argument("query")
    _add_filter_args(p)
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--mode", default="hybrid", help="hybrid (default), dense, bm25 or rrf")
    p.add_argument("--per-document", type=int, metavar="N", help="at most N passages from one document")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_search)

    p = sub.add_parser("show", help="a document's metadata and canonical text")
    p.add_argument("doc_id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_show)

    p = sub.add_parser("stats", help="what the index holds")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_stats)

    p = sub.add_parser("delete", help="remove a document and its chunks")
    p.add_argument("doc_id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_delete)

    p = sub.add_parser("repair", help="rebuild an index the storage engine refuses to open, from what is recoverable")
    p.add_argument("--json", action="store_true", help="print the repair report as JSON")
    p.set_defaults(handler=cmd_repair)

    p = sub.add_parser("demo", help="print a demo search over the bundled corpus")
    p.set_defaults(handler=cmd_demo)

    p = sub.add_parser("pipeline", help="the Haystack pipelines Lagrum runs: dump them as YAML, or check a YAML file loads")
    pipeline_sub = p.add_subparsers(metavar="ACTION")
    q = pipeline_sub.add_parser("dump", help="print the ingest or query pipeline as YAML (Pipeline.dumps)")
    q.add_argument("name", choices=("ingest", "query"))
    q.set_defaults(handler=cmd_pipeline_dump)
    q = pipeline_sub.add_parser("load", help="load a dumped pipeline back (Pipeline.loads) and list its components")
    q.add_argument("file", help="a YAML file, or - for standard input")
    q.set_defaults(handler=cmd_pipeline_load)

    _register_optional(sub)
    return parser


def _add_filter_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--type", dest="doc_type", action="append", help="document type (repeatable)")
    p.add_argument("--source", action="append")
    p.add_argument("--language", action="append", help="sv or en")
    p.add_argument("--since", metavar="DATE")
    p.add_argument("--until", metavar="DATE")
    p.add_argument("--as-of", dest="as_of", metavar="DATE", help="the law as in force on DATE: nothing dated later, no statute wording not yet or no longer in force")


def _register_optional(sub) -> None:
    """Commands living in other modules register themselves here (ask, serve, related, eval, migrate)."""
    for module_name in ("lagrum.app.cli_ask", "lagrum.app.cli_legal", "lagrum.app.cli_eval", "lagrum.app.cli_migrate", "lagrum.app.cli_sync"):
        try:
            module = __import__(module_name, fromlist=["register"])
        except ImportError:
            continue
        module.register(sub)


# --- helpers shared by commands ------------------------------------------------------


def open_index(settings: Settings, create: bool = True):
    from lagrum.index import Index

    return Index.open(settings, create=create)


def filters_from_args(args) -> Any:
    from lagrum.filters import SearchFilters

    try:
        return SearchFilters.build(
            doc_type=args.doc_type, source=args.source, language=args.language, since=args.since, until=args.until,
            as_of=getattr(args, "as_of", None),
        )
    except ValueError as exc:
        raise LagrumError(str(exc)) from None


def print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


# --- commands -----------------------------------------------------------------------


def cmd_repair(args, settings: Settings) -> int:
    """Rebuild the embedded index from its segments and the replayable part of its log."""
    if settings.qdrant_url:
        raise LagrumError("`lagrum repair` rebuilds the embedded index; a Qdrant server recovers its own storage (see its logs and snapshots)")
    from lagrum.store.repair import repair_edge_index

    report = repair_edge_index(settings.index_dir).as_dict()
    if args.json:
        print_json(report)
        return 0
    print(f"repaired {report['path']}: {report['documents']} documents, {report['chunks']} chunks (a copy of the damaged index is at {report['backup']})")
    print(f"  {report['points_from_segments']} points from the segments; {report['wal_entries_replayed']} of {report['wal_entries']} logged updates replayed")
    if report["wal_entries_lost"] or report["lost_documents"] or report["orphan_chunks_removed"]:
        print(f"  lost: {report['wal_entries_lost']} logged updates, {len(report['lost_points'])} points, {report['orphan_chunks_removed']} chunks without a document")
    for problem in report["problems"]:
        print(f"  - {problem}")
    if report["lost_documents"]:
        print(f"  documents to ingest again: {', '.join(report['lost_documents'])}")
    if report["pending_documents"]:
        print(f"  documents whose write was cut short (the next `lagrum ingest` redoes them): {', '.join(report['pending_documents'])}")
    return 0


def cmd_ingest(args, settings: Settings) -> int:
    from ingest.loaders import iter_documents, parse_limits

    paths = [Path(p) for p in args.paths]
    if args.format:
        from ingest.formats import format_names

        if args.format not in format_names():
            raise LagrumError(f"unknown format {args.format!r}; use one of {', '.join(format_names())}")
    if args.server:
        from lagrum.app.client import ingest_via_server

        summary = ingest_via_server(
            args.server, paths, api_key=args.api_key or os.environ.get("LAGRUM_API_KEY"), max_bytes=settings.max_file_mb * 1_000_000
        )
    else:
        from ingest.pipeline import ProgressBar
        from lagrum.app.pipelines import PipelineIngest

        index = open_index(settings)
        try:
            bar = ProgressBar(total=None)
            documents = iter_documents(paths, max_bytes=settings.max_file_mb * 1_000_000, format=args.format, **parse_limits(settings))
            summary = PipelineIngest(index).ingest(documents, progress=bar)  # the Haystack ingest pipeline
            bar.finish()
        finally:
            index.close()
        summary = summary.as_dict()
    if args.json:
        print_json(summary)
    else:
        for error in summary["errors"]:
            print(f"failed: {error['source']}: {error['error']}", file=sys.stderr)
        print(
            f"{summary['ingested']} ingested ({summary['chunks']} chunks), {summary['skipped']} unchanged and skipped, "
            f"{summary['failed']} failed in {summary.get('seconds', 0)} s"
        )
    return 1 if summary["failed"] else 0


def open_service(settings: Settings, create: bool = False):
    from lagrum.app.service import LagrumService

    return LagrumService.open(settings, create=create)


def cmd_search(args, settings: Settings) -> int:
    filters = filters_from_args(args)
    from lagrum.text import query_problem

    if problem := query_problem(args.query):
        raise LagrumError(f"the query {problem}")
    if args.limit < 1:
        raise LagrumError("--limit must be at least 1")
    per_document = getattr(args, "per_document", None)
    if per_document is not None and per_document < 1:
        raise LagrumError("--per-document must be at least 1")
    service = open_service(settings)
    try:
        try:
            result = service.search(args.query, limit=args.limit, filters=filters, mode=args.mode, per_document=per_document)
        except ValueError as exc:
            raise LagrumError(str(exc)) from None
    finally:
        service.close()
    if args.json:
        print_json(result)
        return 0
    if not result["hits"]:
        print("No matching passages.")
    for n, hit in enumerate(result["hits"], 1):
        meta = " · ".join(x for x in (hit["date"], hit["doc_type"], hit["source"]) if x)
        print(f"{n}. {hit['title']}  [{hit['doc_id']}]  {meta}  score {hit['score']:.4f}")
        for warning in hit.get("warnings", []):
            print(f"   ! {warning['message']}")
        snippet = " ".join(hit["text"].split())
        print(f"   {snippet[:300]}{'…' if len(snippet) > 300 else ''}\n")
    return 0


def cmd_show(args, settings: Settings) -> int:
    service = open_service(settings)
    try:
        data = service.get_document(args.doc_id)
    finally:
        service.close()
    if data is None:
        raise LagrumError(f"no document with id {args.doc_id!r}; `lagrum search` or `lagrum stats` shows what is indexed")
    if args.json:
        print_json(data)
        return 0
    for key in ("id", "title", "date", "doc_type", "source", "url", "language"):
        if data.get(key):
            print(f"{key:>9}: {data[key]}")
    for warning in data.get("warnings", []):
        print(f"  warning: {warning['message']}")
    print(f"   chunks: {len(data['chunks'])}\n")
    print(data["text"])
    return 0


def cmd_stats(args, settings: Settings) -> int:
    index = open_index(settings, create=False)
    try:
        stats = index.stats()
        stats["data_dir"] = str(settings.data_dir)
        by_type: dict[str, int] = {}
        for record in index.store.document_records():
            by_type[record.get("doc_type", "")] = by_type.get(record.get("doc_type", ""), 0) + 1
        stats["doc_types"] = dict(sorted(by_type.items()))
    finally:
        index.close()
    if args.json:
        print_json(stats)
    else:
        for key, value in stats.items():
            print(f"{key:>10}: {value}")
    return 0


def cmd_delete(args, settings: Settings) -> int:
    index = open_index(settings, create=False)
    try:
        removed = index.store.delete_document(args.doc_id)  # the record and all its passages
        index.store.flush()
    finally:
        index.close()
    if args.json:
        print_json({"doc_id": args.doc_id, "deleted": removed})
    elif removed:
        print(f"deleted {args.doc_id}")
    else:
        print(f"no document with id {args.doc_id!r}; nothing deleted", file=sys.stderr)
    return 0 if removed else 1


def cmd_pipeline_dump(args, settings: Settings) -> int:
    from lagrum.app.pipelines import build_pipeline

    sys.stdout.write(build_pipeline(args.name, settings).dumps())
    return 0


def cmd_pipeline_load(args, settings: Settings) -> int:
    from lagrum.app.pipelines import load_pipeline

    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LagrumError(f"cannot read the pipeline file {args.file}: {exc}; give a YAML file written by `lagrum pipeline dump`") from None
    try:
        pipeline = load_pipeline(text)
    except Exception as exc:  # Haystack raises several kinds (YAML, deserialisation, allowlist); all mean "not loadable"
        raise LagrumError(f"{args.file} is not a loadable Haystack pipeline: {exc}") from None
    for name, instance in pipeline.walk():
        print(f"{name}: {type(instance).__module__}.{type(instance).__name__}")
    return 0


def cmd_demo(args, settings: Settings) -> int:
    for query in ("Får arbetsgivaren kräva att handläggare arbetar framför webbkamera?", "is mandatory webcam use legal"):
        print(f"$ lagrum search {query!r} --limit 3\n")
        cmd_search(argparse.Namespace(query=query, doc_type=None, source=None, language=None, since=None, until=None, limit=3, mode="hybrid", json=False), settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
