"""`lagrum sources add|list|remove` and `lagrum sync`; the background sync of `lagrum serve`.

    lagrum sources add sfst atom https://example.org/sfst/index.atom --min-interval 2
    lagrum sources add rd riksdagen https://data.riksdagen.se --sfs 1999:175
    lagrum sources add imy web https://www.imy.se/nyheter/rss/ --doc-type nyhet
    lagrum sync                 # every source; `lagrum sync sfst rd` for some
    lagrum serve --sync-interval 3600
"""

from __future__ import annotations

import logging
import sys
import threading

from lagrum.errors import LagrumError
from lagrum.settings import Settings

log = logging.getLogger("lagrum.sync")


def register(sub) -> None:
    sources_parser = p = sub.add_parser("sources", help="configure the feeds and sites `lagrum sync` reads")
    actions = p.add_subparsers(metavar="ACTION")

    a = actions.add_parser("add", help="add a source: NAME KIND URL [URL...]")
    a.add_argument("name", metavar="NAME", help="a short name (letters, digits, '-', '_')")
    a.add_argument("kind", metavar="KIND", choices=("atom", "riksdagen", "web"), help="atom (rinfo Atom feed), riksdagen (open data API root) or web (pages, PDFs, RSS)")
    a.add_argument("urls", nargs="+", metavar="URL", help="the feed, the API root, or (web) one or more addresses")
    a.add_argument("--sfs", action="append", metavar="YEAR:NR", help="riksdagen: sync this SFS number (repeatable)")
    a.add_argument("--since", metavar="DATE", help="riksdagen: every SFS document changed since DATE (YYYY-MM-DD)")
    a.add_argument("--doc-type", help="web: document type of the pages (nyhet, beslut, ...)")
    a.add_argument("--source", dest="source_label", metavar="LABEL", help="web: the 'source' field of the pages (e.g. IMY)")
    a.add_argument("--min-interval", type=float, metavar="S", help="seconds between two requests to this source (default 1)")
    a.add_argument("--timeout", type=float, metavar="S", help="seconds without an answer before giving up (default 30)")
    a.add_argument("--retries", type=int, metavar="N", help="further attempts after 429, 5xx or a broken connection (default 3)")
    a.add_argument("--max-redirects", type=int, metavar="N", help="redirects followed per request (default 5)")
    a.add_argument("--backoff", type=float, metavar="S", help="first wait after a 5xx, doubling per attempt (default 1)")
    a.add_argument("--replace", action="store_true", help="replace a source of the same name")
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=cmd_sources_add)

    a = actions.add_parser("list", help="the configured sources and when each was synced")
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=cmd_sources_list)

    a = actions.add_parser("remove", help="forget a source (its documents stay indexed)")
    a.add_argument("name", metavar="NAME")
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=cmd_sources_remove)
    sources_parser.set_defaults(handler=lambda args, settings: (sources_parser.print_help(), 2)[1])

    p = sub.add_parser("sync", help="fetch what changed in the configured sources and index it")
    p.add_argument("names", nargs="*", metavar="NAME", help="sources to sync (default: all)")
    p.add_argument("--full", action="store_true", help="ignore stored stamps and read every entry again (unchanged documents are still skipped)")
    p.add_argument("--json", action="store_true", help="print the summaries as JSON")
    p.set_defaults(handler=cmd_sync)


def cmd_sources_add(args, settings: Settings) -> int:
    from lagrum.app.cli import print_json
    from lagrum.documents import parse_iso_date

    from ingest.sync.sources import Source, add_source

    if args.kind != "web" and len(args.urls) > 1:
        raise LagrumError(f"the {args.kind} kind takes one URL (only web takes several); got {len(args.urls)}")
    if (args.sfs or args.since) and args.kind != "riksdagen":
        raise LagrumError("--sfs and --since are for riksdagen sources")
    for url in args.urls:
        if not url.lower().startswith(("http://", "https://")):
            raise LagrumError(f"{url!r} is not a web address; give the http:// or https:// address")
    options = {
        "min_interval": args.min_interval,
        "timeout": args.timeout,
        "retries": args.retries,
        "max_redirects": args.max_redirects,
        "backoff": args.backoff,
    }
    if args.kind == "riksdagen":
        options["sfs"] = args.sfs or []
        if args.since:
            try:
                options["since"] = parse_iso_date(args.since, "--since")
            except ValueError as exc:
                raise LagrumError(str(exc)) from None
    if args.kind == "web":
        options["pages"] = args.urls[1:]
        options["doc_type"] = args.doc_type
        options["source"] = args.source_label
    for name in ("min_interval", "timeout"):
        if options.get(name) is not None and options[name] < 0:
            raise LagrumError(f"--{name.replace('_', '-')} must not be negative")
    source = Source(args.name, args.kind, args.urls[0], {k: v for k, v in options.items() if v not in (None, [], "")})
    add_source(settings.data_dir, source, replace=args.replace)
    if args.json:
        print_json(source.as_dict())
    else:
        print(f"added {source.name} ({source.kind}) {source.url}; run `lagrum sync {source.name}`")
    return 0


def cmd_sources_list(args, settings: Settings) -> int:
    from lagrum.app.cli import print_json

    from ingest.sync.sources import SyncState, load_sources

    rows = []
    for source in load_sources(settings.data_dir):
        state = SyncState.load(settings.data_dir, source.name)
        synced = max((e.get("synced_at") or "" for e in state.entries.values()), default="")
        documents = sorted({d for e in state.entries.values() for d in e.get("docs") or []})
        rows.append({**source.as_dict(), "entries": len(state.entries), "documents": len(documents), "last_change": synced or None})
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("no sources; add one with `lagrum sources add NAME KIND URL`")
    for row in rows:
        print(f"{row['name']:<16} {row['kind']:<9} {row['url']}  ({row['documents']} documents, last change {row['last_change'] or 'never'})")
    return 0


def cmd_sources_remove(args, settings: Settings) -> int:
    from lagrum.app.cli import print_json

    from ingest.sync.sources import remove_source

    source = remove_source(settings.data_dir, args.name)
    if args.json:
        print_json({"removed": source.as_dict()})
    else:
        print(f"removed {source.name}; its documents stay indexed (`lagrum delete DOC_ID` removes one)")
    return 0


def cmd_sync(args, settings: Settings) -> int:
    from lagrum.app.cli import open_index, print_json

    from ingest.sync.engine import IndexSink, sync_sources
    from lagrum.app.pipelines import PipelineIngest
    from ingest.sync.sources import load_sources

    configured = load_sources(settings.data_dir)
    if not configured:
        raise LagrumError("no sources configured; add one with `lagrum sources add NAME KIND URL` (KIND: atom, riksdagen, web)")
    missing = [n for n in args.names if n not in {s.name for s in configured}]
    if missing:  # before the index (and the model) is opened
        raise LagrumError(f"no source named {', '.join(map(repr, missing))}; configured: {', '.join(s.name for s in configured)} (lagrum sources list)")

    def report(summary) -> None:
        if args.json:
            return
        for error in summary.errors:
            print(f"failed: {error}", file=sys.stderr)
        print(summary.line())

    index = open_index(settings)
    try:
        summaries = sync_sources(settings, IndexSink(PipelineIngest(index)), names=args.names, full=args.full, report=report)
    finally:
        index.close()
    if args.json:
        print_json({"sources": [s.as_dict() for s in summaries], "failed": sum(s.failed for s in summaries)})
    return 1 if any(s.failed for s in summaries) else 0


class BackgroundSync:
    """`lagrum serve --sync-interval S`: sync every source each S seconds, through the service.

    Runs in a daemon thread; the first sync starts after one interval (the server comes up
    first). Writes go through the service's write lock, so searches keep being answered.
    """

    def __init__(self, service, settings: Settings, interval: float):
        self.service = service
        self.settings = settings
        self.interval = float(interval)
        self.stopped = threading.Event()
        self.runs = 0
        self.last: list = []
        self.thread = threading.Thread(target=self._loop, name="lagrum-sync", daemon=True)

    def start(self) -> "BackgroundSync":
        self.thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self.stopped.set()
        self.thread.join(timeout=timeout)

    def run_once(self) -> list:
        from ingest.sync.engine import ServiceSink, sync_sources
        from ingest.sync.sources import load_sources

        if not load_sources(self.settings.data_dir):
            return []
        summaries = sync_sources(self.settings, ServiceSink(self.service))
        for summary in summaries:
            for error in summary.errors:
                log.warning("sync failed: %s", error)
            log.info("sync %s", summary.line())
        self.runs += 1
        self.last = summaries
        return summaries

    def _loop(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                self.run_once()
            except Exception:  # one bad round must not end the schedule
                log.exception("sync round failed")


def start_background_sync(service, settings: Settings) -> BackgroundSync | None:
    """Called by the API's startup when `settings.sync_interval` is set."""
    if not settings.sync_interval or settings.sync_interval <= 0:
        return None
    return BackgroundSync(service, settings, settings.sync_interval).start()
