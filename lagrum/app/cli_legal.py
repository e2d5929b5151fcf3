"""`lagrum related` and `lagrum provision`: the legal structure from the command line.

    lagrum related test-beslut-lagerkameror        # what overturned, cites or replaces a document
    lagrum provision "23 § kameraövervakningslagen" --json   # every passage citing a provision

Both print the same JSON as `GET /documents/{id}/related` and `GET /provisions/{id}`.
"""

from __future__ import annotations

from typing import Any

from lagrum.errors import LagrumError
from lagrum.settings import Settings

RELATION_LABELS = {
    "cites": "cites",
    "cited_by": "cited by",
    "overturns": "overturns",
    "overturned_by": "overturned by",
    "upholds": "upholds",
    "upheld_by": "upheld by",
    "remands": "remands",
    "remanded_by": "remanded by",
    "appeals": "appeals",
    "appealed_by": "appealed by",
    "replaces": "replaces",
    "replaced_by": "replaced by",
    "repeals": "repeals",
    "repealed_by": "repealed by",
    "amends": "amends",
    "amended_by": "amended by",
}


def register(sub) -> None:
    """Add the `related` and `provision` commands to the `lagrum` parser's subcommands."""
    p = sub.add_parser("related", help="documents a document cites, overturns or replaces, and the reverse")
    p.add_argument("doc_id", metavar="DOC_ID")
    p.add_argument("--json", action="store_true", help="print the relations as JSON")
    p.set_defaults(handler=cmd_related)

    p = sub.add_parser("provision", help="a provision and every indexed passage citing it, newest first")
    p.add_argument("provision", metavar="ID", help="e.g. 'SFS 2013:460 23 §' or '23 § kameraövervakningslagen'")
    p.add_argument("--as-of", dest="as_of", metavar="DATE", help="quote the section as in force on DATE; list only documents dated up to it")
    p.add_argument("--json", action="store_true", help="print the provision view as JSON")
    p.set_defaults(handler=cmd_provision)


def cmd_related(args, settings: Settings) -> int:
    """Print the typed relations of one document; exit 2 when the id is not indexed."""
    from lagrum.app.cli import print_json
    from lagrum.legal.graph import related_view

    view = _with_service(settings, lambda service: related_view(service, args.doc_id))
    if view is None:
        raise LagrumError(f"no document with id {args.doc_id!r}; `lagrum search` or `lagrum stats` shows what is indexed")
    if args.json:
        print_json(view)
        return 0
    print(f"{view['title']}  [{view['doc_id']}]  {view.get('date') or ''}".rstrip())
    empty = True
    for kind, label in RELATION_LABELS.items():
        for item in view.get(kind) or []:
            empty = False
            print(f"  {label:>13}: {item['title']}  [{item['doc_id']}]  {item.get('date') or 'date unknown'}")
    for item in view.get("external") or []:
        empty = False
        print(f"  {RELATION_LABELS.get(item['type'], item['type']):>13}: {item['target']}  (not indexed)")
    status = view.get("status")
    if status:
        print(f"  {'standing':>13}: {status['outcome']} after the last instance")
        for step in status["chain"]:
            ids = ", ".join(step.get("identifiers") or [])
            print(f"  {'':>13}  {step.get('date') or 'date unknown'}  {step['title']}  [{step['doc_id']}{'; ' + ids if ids else ''}]  {step['outcome']} {step['on']}")
    if empty:
        print("  no relations to other indexed documents")
    return 0


def cmd_provision(args, settings: Settings) -> int:
    """Print a provision's statute status and the passages citing it; exit 2 for unrecognised text."""
    from lagrum.app.cli import print_json
    from lagrum.documents import parse_iso_date
    from lagrum.legal.provisions import provision_view

    try:
        as_of = parse_iso_date(getattr(args, "as_of", None), "--as-of")
    except ValueError as exc:
        raise LagrumError(str(exc)) from None
    if not args.provision.strip():
        raise LagrumError("the provision is empty; write it like 'SFS 2013:460 23 §' or '23 § kameraövervakningslagen'")
    view = _with_service(settings, lambda service: provision_view(service, args.provision, as_of=as_of))
    if view is None:
        raise LagrumError(
            f"{args.provision!r} is not a provision Lagrum recognises; write it like 'SFS 2013:460 23 §' or '23 § kameraövervakningslagen'"
        )
    if args.json:
        print_json(view)
        return 0
    statute = view.get("statute") or {}
    print(view["canonical"] + (f"  ({statute['title']})" if statute.get("title") else ""))
    if statute.get("repealed"):
        successor = f", replaced by {statute['replaced_by']}" if statute.get("replaced_by") else ""
        print(f"  ! repealed {statute['repealed']}{successor}")
    current = view.get("text_as_of")
    if current:
        print(f"  text as of {current['date']}  [{current['source_doc_id']}]  {current['start']}–{current['end']}")
        print(f"   {' '.join(current['text'].split())}")
        if current.get("note_en"):
            print(f"  ! {current['note_en']}")
        print()
    print(f"  {view['count']} passage(s) citing it, newest first\n")
    for passage in view["passages"]:
        print(f"{passage.get('date') or 'date unknown'}  {passage['title']}  [{passage['doc_id']}]  {passage['start']}–{passage['end']}")
        snippet = " ".join(passage["text"].split())
        print(f"   {snippet[:300]}{'…' if len(snippet) > 300 else ''}\n")
    return 0


def _with_service(settings: Settings, read) -> Any:
    """Open the existing index read-side, run `read(service)`, always close it."""
    from lagrum.app.service import LagrumService

    service = LagrumService.open(settings, create=False)
    try:
        return read(service)
    finally:
        service.close()
