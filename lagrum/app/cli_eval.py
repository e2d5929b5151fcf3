"""`lagrum eval`: retrieval and answer quality on a question set, per language and retrieval mode.

    lagrum eval                      # eval/data/dev
    lagrum eval --set holdout
    lagrum eval --set real           # real documents read from ../shared/realdata ($LAGRUM_REALDATA)
    lagrum eval --set dev --with sets   # also with the other sets' documents as distractors
    lagrum eval --set dev --with real --with path/to/documents/
"""

from __future__ import annotations

from pathlib import Path

from lagrum.settings import Settings


def register(sub) -> None:
    p = sub.add_parser("eval", help="measure retrieval and answer quality on a question set")
    p.add_argument("--set", dest="question_set", default="eval/data/dev", help="question set: a directory, or a set name under eval/data (dev, holdout, real); default eval/data/dev")
    p.add_argument("--mode", action="append", help="retrieval mode(s) to compare (default: bm25, dense, rrf, hybrid)")
    p.add_argument("--no-ask", action="store_true", help="skip the answer metrics")
    p.add_argument("--out", default="eval/reports", help="where the Markdown table and PNG chart go")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--limit", type=int, metavar="N", help="evaluate only the first N questions (the whole corpus is still ingested)")
    p.add_argument(
        "--with", dest="with_", action="append", metavar="DOCS",
        help="also evaluate with these documents in the index as distractors (repeatable): 'real' (the real corpus), "
        "'sets' (every other bundled set's documents), a question set directory, or a file or folder of documents; "
        "writes distractors-<set>.md/json beside the report",
    )
    p.set_defaults(handler=cmd_eval)


def cmd_eval(args, settings: Settings) -> int:
    from lagrum.app.cli import print_json
    from lagrum.app.evaluation import MODES_COMPARED, evaluate, markdown_report, resolve_set, write_reports
    from lagrum.retrieval import MODES
    from lagrum.errors import LagrumError

    modes = args.mode or list(MODES_COMPARED)
    for mode in modes:
        if mode not in MODES:
            raise LagrumError(f"--mode {mode!r} is not a retrieval mode; use one of: {', '.join(MODES)}")
    if args.limit is not None and args.limit < 1:
        raise LagrumError(f"--limit {args.limit}: give a number of questions, at least 1")
    directory = resolve_set(args.question_set)
    components = None
    if getattr(args, "with_", None):
        from lagrum.app.eval_distractors import resolve_with

        components = resolve_with(args.with_, directory, settings.data_dir)  # checked before anything is embedded
    # The evaluation gets its own index next to the main one, so it never mixes test material into it.
    eval_settings = settings.with_(data_dir=settings.data_dir / f"eval-{directory.name}")
    report = evaluate(directory, eval_settings, modes=modes, ask=not args.no_ask, questions_limit=args.limit)
    md, png = write_reports(report, Path(args.out))
    if components:
        from lagrum.app.eval_distractors import run_with

        return run_with(args, settings, directory, components, report, modes, (md, png))
    if args.json:
        compact = {k: v for k, v in report.items() if k != "per_question"}
        if "ask" in compact:
            compact["ask"] = {k: v for k, v in compact["ask"].items() if k != "per_question"}
        print_json(compact)
    else:
        print(markdown_report(report))
        print(f"Written: {md}, {png}")
    return 0
