"""Validate the Lagrum real evaluation set (`eval/data/real`) and print a summary.

The set's documents are real files in the shared realdata folder (`../shared/realdata` from the
repository root, or `$LAGRUM_REALDATA`); they are never copied into the repository. This script
checks:

- `corpus.json`: every listed file exists in the realdata folder, paths and ids are unique, and
  each `doc_id` is what `lagrum.app.evaluation.expected_doc_id` computes from the file (the id the
  native reader is to produce);
- `questions.jsonl`: the schema, unique ids, languages and kinds; every `relevant` id and
  `answer.doc_id` is a manifest document, the answer's document is among the relevant ones;
  every quote is a verbatim span of its document's source text (statute JSON
  `fulltext.forfattningstext`, a record's `text`, the generic readers' text of HTML/XHTML/PDF),
  compared after whitespace normalisation; near-domain and out-of-domain questions have no
  relevant documents and no answer, and none of a near-domain question's `absent_terms` occurs
  in any corpus document (the grep that shows the corpus does not answer it);
- the mix: at least 60 questions, as many Swedish as English, at least 10 near-domain and 5
  out-of-domain ones.

Usage (from the repository root):

```
LAGRUM_REALDATA=/path/to/realdata python eval/data/real/check.py
python eval/data/real/check.py --no-texts     # schema and manifest ids only, no realdata needed
LAGRUM_REALDATA=/path/to/realdata python eval/data/real/check.py --reader-ids
```

`--reader-ids` reads every manifest file through `ingest.loaders.iter_documents` (format
detection, as ingest does; nothing is embedded) and reports each file not read as exactly its
expected document id: the check for the native readers once they are merged (until then it
fails for statute JSON, court and IMY records and the GDPR).

Exit status 0 when everything passes, 1 when any problem is found (each printed with the file,
line and field, and what to do), 2 when the realdata folder is missing.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LANGUAGES = ("sv", "en")
ANSWERED_KINDS = ("exact", "provision", "outcome", "holding", "paraphrase")
UNANSWERED_KINDS = ("near-domain", "out-of-domain")
KINDS = ANSWERED_KINDS + UNANSWERED_KINDS
QUESTION_FIELDS = ("id", "question", "language", "kind", "relevant", "answer")
MIN_QUESTIONS = 60
MIN_NEAR_DOMAIN = 10
MIN_OUT_OF_DOMAIN = 5
MAX_QUOTE_CHARS = 400


def check_manifest(directory: Path, realdata: Path | None) -> tuple[list[str], dict[str, str]]:
    """Problems in `corpus.json`, and `{doc_id: path}`; file checks only when `realdata` is given."""
    from lagrum.errors import LagrumError
    from lagrum.app.evaluation import MANIFEST, expected_doc_id, manifest_entries

    problems: list[str] = []
    where = directory / MANIFEST
    try:
        entries = manifest_entries(directory)
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
        return [f"{where}: cannot read the manifest ({exc}); it needs 'documents': [{{'path', 'doc_id', ...}}]"], {}
    ids: dict[str, str] = {}
    seen_paths: set[str] = set()
    for n, entry in enumerate(entries):
        at = f"{where}: documents[{n}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str) or not isinstance(entry.get("doc_id"), str):
            problems.append(f"{at}: needs string fields 'path' and 'doc_id'")
            continue
        path, doc_id = entry["path"], entry["doc_id"]
        if path in seen_paths:
            problems.append(f"{at}: path {path!r} is listed twice; remove one")
        seen_paths.add(path)
        if doc_id in ids:
            problems.append(f"{at}: doc_id {doc_id!r} is also the id of {ids[doc_id]}; ids must be unique")
        ids[doc_id] = path
        if entry.get("role") not in ("on-topic", "distractor"):
            problems.append(f"{at}: 'role' must be 'on-topic' or 'distractor', not {entry.get('role')!r}")
        if realdata is None:
            continue
        if not (realdata / path).is_file():
            problems.append(f"{at}: {realdata / path} does not exist; fetch it again (see SOURCES.md there) or remove the entry")
            continue
        try:
            expected = expected_doc_id(Path(path), realdata)
        except LagrumError as exc:
            problems.append(f"{at}: {exc}")
            continue
        if expected != doc_id:
            problems.append(f"{at}: doc_id {doc_id!r} but the file's expected id is {expected!r}; set doc_id to {expected!r}")
    return problems, ids


def load_questions(path: Path) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    problems: list[str] = []
    rows: list[tuple[int, dict[str, Any]]] = []
    if not path.exists():
        return [f"{path}: does not exist"], rows
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path}:{n}: not JSON ({exc.msg}); one question object per line")
            continue
        if not isinstance(data, dict):
            problems.append(f"{path}:{n}: expected a JSON object")
            continue
        rows.append((n, data))
    return problems, rows


def check_questions(path: Path, rows: list[tuple[int, dict[str, Any]]], ids: dict[str, str]) -> list[str]:
    """Schema and reference problems (no source texts needed)."""
    problems: list[str] = []
    seen: set[str] = set()
    for n, q in rows:
        at = f"{path}:{n}"
        missing = [f for f in QUESTION_FIELDS if f not in q]
        if missing:
            problems.append(f"{at}: missing field(s) {', '.join(missing)}")
            continue
        if q["id"] in seen:
            problems.append(f"{at}: id {q['id']!r} is used twice")
        seen.add(q["id"])
        if not isinstance(q["question"], str) or not q["question"].strip():
            problems.append(f"{at}: 'question' must be a non-empty string")
        if q["language"] not in LANGUAGES:
            problems.append(f"{at}: 'language' {q['language']!r} must be one of {', '.join(LANGUAGES)}")
        if q["kind"] not in KINDS:
            problems.append(f"{at}: 'kind' {q['kind']!r} must be one of {', '.join(KINDS)}")
            continue
        relevant, answer = q["relevant"], q["answer"]
        if not isinstance(relevant, list) or not all(isinstance(r, str) for r in relevant):
            problems.append(f"{at}: 'relevant' must be a list of document ids")
            continue
        for r in relevant:
            if r not in ids:
                problems.append(f"{at}: relevant id {r!r} is not a document of corpus.json")
        if q["kind"] in UNANSWERED_KINDS:
            if relevant or answer is not None:
                problems.append(f"{at}: a {q['kind']} question has 'relevant': [] and 'answer': null")
            if q["kind"] == "near-domain" and not q.get("absent_terms"):
                problems.append(f"{at}: a near-domain question lists 'absent_terms' (words that answer it and occur in no corpus document)")
            continue
        if not relevant:
            problems.append(f"{at}: a {q['kind']} question needs relevant documents")
        if not isinstance(answer, dict) or not isinstance(answer.get("doc_id"), str) or not isinstance(answer.get("quote"), str):
            problems.append(f"{at}: 'answer' must be {{'doc_id': ..., 'quote': ...}}")
            continue
        if answer["doc_id"] not in relevant:
            problems.append(f"{at}: answer.doc_id {answer['doc_id']!r} is not in 'relevant'; add it")
        if len(answer["quote"]) > MAX_QUOTE_CHARS:
            problems.append(f"{at}: answer.quote has {len(answer['quote'])} characters; keep it to the decisive sentence (at most {MAX_QUOTE_CHARS})")
    return problems


def check_texts(path: Path, rows: list[tuple[int, dict[str, Any]]], ids: dict[str, str], realdata: Path) -> list[str]:
    """Quotes are verbatim spans; near-domain terms occur in no document."""
    from lagrum.app.evaluation import normalise_space, source_text

    problems: list[str] = []
    texts: dict[str, str] = {}

    def text_of(doc_id: str) -> str:
        if doc_id not in texts:
            texts[doc_id] = normalise_space(source_text(realdata / ids[doc_id]))
        return texts[doc_id]

    for n, q in rows:
        answer = q.get("answer")
        if isinstance(answer, dict) and answer.get("doc_id") in ids and isinstance(answer.get("quote"), str):
            quote = normalise_space(answer["quote"])
            if quote not in text_of(answer["doc_id"]):
                problems.append(f"{path}:{n}: answer.quote is not a verbatim span of {answer['doc_id']} ({ids[answer['doc_id']]}) after whitespace normalisation; copy it from the file's text")
        for term in q.get("absent_terms") or []:
            pattern = re.compile(r"(?<!\w)" + re.escape(term), re.IGNORECASE)
            found = [doc_id for doc_id in ids if pattern.search(text_of(doc_id))]
            if found:
                problems.append(f"{path}:{n}: near-domain term {term!r} occurs in {', '.join(found[:3])}; the corpus may answer this question: check, then change the question or the term")
    return problems


def check_mix(path: Path, rows: list[tuple[int, dict[str, Any]]]) -> list[str]:
    problems: list[str] = []
    languages = Counter(q.get("language") for _, q in rows)
    kinds = Counter(q.get("kind") for _, q in rows)
    if len(rows) < MIN_QUESTIONS:
        problems.append(f"{path}: {len(rows)} questions; the set needs at least {MIN_QUESTIONS}")
    if languages["sv"] != languages["en"]:
        problems.append(f"{path}: {languages['sv']} Swedish and {languages['en']} English questions; keep them equal")
    if kinds["near-domain"] < MIN_NEAR_DOMAIN:
        problems.append(f"{path}: {kinds['near-domain']} near-domain questions; at least {MIN_NEAR_DOMAIN}")
    if kinds["out-of-domain"] < MIN_OUT_OF_DOMAIN:
        problems.append(f"{path}: {kinds['out-of-domain']} out-of-domain questions; at least {MIN_OUT_OF_DOMAIN}")
    return problems


def run(directory: Path = HERE, texts: bool = True) -> tuple[list[str], dict[str, Any]]:
    """All problems and a summary; raises `FileNotFoundError` when texts are wanted and realdata is missing."""
    from lagrum.app.evaluation import realdata_root

    realdata = realdata_root() if texts else None
    if realdata is not None and not realdata.is_dir():
        raise FileNotFoundError(f"REALDATA MISSING: {realdata} does not exist; set LAGRUM_REALDATA to the shared realdata folder (or run with --no-texts)")
    problems, ids = check_manifest(directory, realdata)
    path = directory / "questions.jsonl"
    more, rows = load_questions(path)
    problems += more
    problems += check_questions(path, rows, ids)
    problems += check_mix(path, rows)
    if realdata is not None and ids:
        problems += check_texts(path, rows, ids, realdata)
    summary = {
        "documents": len(ids),
        "questions": len(rows),
        "per_language_kind": {f"{lang}/{kind}": n for (lang, kind), n in sorted(Counter((q.get("language"), q.get("kind")) for _, q in rows).items())},
        "texts_checked": realdata is not None,
    }
    return problems, summary


def check_reader_ids(directory: Path = HERE) -> list[str]:
    """Each manifest file read as ingest reads it: problems where the ids are not the expected ones."""
    from lagrum.app.evaluation import manifest_entries, read_realdata, realdata_paths

    files = realdata_paths([e["path"] for e in manifest_entries(directory)])
    _, check = read_realdata(files)
    return [
        f"{m['path']}: expected document id {m['expected']!r}, the readers produced "
        + (", ".join(repr(i) for i in m["produced"]) or "nothing")
        + (f" ({m['error']})" if m["error"] else "")
        for m in check["mismatched"]
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-texts", action="store_true", help="skip the checks that read the realdata files")
    parser.add_argument("--reader-ids", action="store_true", help="only read every file as ingest does and compare its ids with the expected ones")
    parser.add_argument("--dir", default=str(HERE), help="the set's directory (default: this one)")
    args = parser.parse_args(argv)
    if args.reader_ids:
        from lagrum.errors import LagrumError

        try:
            problems = check_reader_ids(Path(args.dir))
        except LagrumError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        for problem in problems:
            print(problem)
        print(f"{len(problems)} file(s) not read as their expected id" if problems else "OK: every file read as its expected id")
        return 1 if problems else 0
    try:
        problems, summary = run(Path(args.dir), texts=not args.no_texts)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for problem in problems:
        print(problem)
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    if problems:
        print(f"{len(problems)} problem(s)")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
