"""`lagrum ask` and `lagrum serve`."""

from __future__ import annotations

import argparse
import sys

from lagrum.errors import LagrumError
from lagrum.settings import Settings


def register(sub) -> None:
    from lagrum.app.cli import _add_filter_args

    p = sub.add_parser("ask", help="answer a question with cited passages")
    p.add_argument("question")
    p.add_argument("--limit", type=int, default=4, help="at most this many cited sentences (1-10)")
    _add_filter_args(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_ask)

    p = sub.add_parser("serve", help="run the HTTP API (and the web page) with uvicorn")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1, help="uvicorn workers; more than one needs the Qdrant server backend")
    p.add_argument("--sync-interval", type=int, metavar="S", help="sync the configured sources every S seconds (env LAGRUM_SYNC_INTERVAL; default never)")
    p.set_defaults(handler=cmd_serve)


def cmd_ask(args, settings: Settings) -> int:
    from lagrum.app.cli import filters_from_args, print_json
    from lagrum.app.service import LagrumService
    from lagrum.text import query_problem

    question = args.question.strip()
    if problem := query_problem(question):
        raise LagrumError(f"the question {problem}")
    if not 1 <= args.limit <= 10:
        raise LagrumError("--limit must be between 1 and 10")
    filters = filters_from_args(args)
    service = LagrumService.open(settings, create=False)
    try:
        result = service.ask(question, limit=args.limit, filters=filters)
    finally:
        service.close()
    if args.json:
        print_json(result)
        return 0
    print(result["answer"])
    if result["citations"]:
        print()
    for c in result["citations"]:
        meta = " · ".join(x for x in (c["date"], c["doc_type"], c["source"]) if x)
        title = f"{c['title']}, {c['provision']}" if c.get("provision") else c["title"]
        print(f"[{c['n']}] {title} ({meta}) — {c['doc_id']} {c['start']}–{c['end']}")
    for note in result["notes"]:
        print(f"\nObs: {note}" if result.get("language") == "sv" else f"\nNote: {note}")
    return 0


def cmd_serve(args, settings: Settings) -> int:
    import os

    import uvicorn

    from api.app import create_app, is_loopback, is_wildcard

    if args.workers < 1:
        raise LagrumError("--workers must be at least 1")
    if getattr(args, "sync_interval", None) is not None:
        settings = settings.with_(sync_interval=args.sync_interval)
    if settings.sync_interval < 0:
        raise LagrumError(f"the sync interval {settings.sync_interval} is negative; give --sync-interval / LAGRUM_SYNC_INTERVAL in seconds, or 0 for never")
    if settings.sync_interval and args.workers > 1:
        raise LagrumError("--sync-interval runs in the server process and needs --workers 1; with more workers run `lagrum sync` from cron")
    if args.workers > 1 and not settings.qdrant_url:
        raise LagrumError(
            f"--workers {args.workers} needs the Qdrant server backend: one process owns an embedded index. "
            "Set LAGRUM_QDRANT_URL (see README 'Scale') or run with --workers 1"
        )
    if not is_loopback(args.host) and not settings.public_read and not settings.api_keys:
        print("warning: listening beyond loopback without LAGRUM_API_KEYS: every request will be refused until keys are set (or LAGRUM_PUBLIC_READ=1 for reads)", file=sys.stderr)
    if is_wildcard(args.host) and not settings.allowed_hosts:
        print(
            f"warning: --host {args.host!r} listens on every interface, but only requests naming localhost, 127.0.0.1 or ::1 in their Host header are answered; "
            "set LAGRUM_ALLOWED_HOSTS to the names clients use (comma-separated, '*.example.org' for subdomains)",
            file=sys.stderr,
        )
    print(f"Lagrum serving {settings.data_dir} on http://{args.host}:{args.port}  (API docs: /docs)", file=sys.stderr)
    bind = "0.0.0.0" if args.host.strip() == "*" else args.host  # uvicorn knows no "*"
    if args.workers > 1:
        os.environ["LAGRUM_BIND_HOST"] = args.host
        if settings.data_dir:
            os.environ["LAGRUM_DATA"] = str(settings.data_dir)
        uvicorn.run("api.app:create_app_from_env", factory=True, host=bind, port=args.port, workers=args.workers, log_level="warning")
        return 0
    host = "127.0.0.1" if is_wildcard(args.host) else args.host
    os.environ["LAGRUM_SERVING_URL"] = f"http://{host}:{args.port}"  # the index's owner record names it (lagrum.store.edge)
    uvicorn.run(create_app(settings, host=args.host), host=bind, port=args.port, log_level="warning")
    return 0
