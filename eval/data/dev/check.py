"""Validate the Lagrum dev evaluation set and print a summary.

The dev set is fictional test material written by the Lagrum team (see README.md next to this
file). This script checks that `documents.jsonl` and `questions.jsonl` follow the schema, that every
referenced document exists (in this set or in `corpus/documents/`), that every answer quote occurs
exactly once, verbatim, in its document, and that the question mix meets the agreed minimum counts.

Usage:

```
cd /work/main && .venv/bin/python eval/data/dev/check.py
```

Exit status 0 when everything passes, 1 when any problem is found (each problem is printed with
the file, line and field, and what to do about it).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS_DIR = HERE.parents[2] / "corpus" / "documents"

DOC_ID_PREFIX = "test-dev-"
SOURCE_PREFIX = "Testmaterial"
LANGUAGES = ("sv", "en")
DOC_TYPES = (
    "beslut", "dom", "lag", "förordning", "förarbete", "vägledning",
    "nyhet", "debatt", "pressmeddelande", "övrigt",
)
RELATION_TYPES = (
    "overturns", "overturned_by", "appeals", "upholds", "replaces", "repealed_by", "amends", "cites",
)
INVERSE_RELATIONS = {"overturns": "overturned_by", "overturned_by": "overturns"}
KINDS = ("exact", "paraphrase", "provision", "general", "status", "ood", "near-domain")
# Minimum number of questions per language and kind; "ood" must match exactly.
MIN_PER_KIND = {"exact": 6, "paraphrase": 8, "provision": 4, "status": 2, "ood": 6}
EXACT_OOD = 6
MAX_SEED_QUESTIONS_PER_LANGUAGE = 6
MAX_QUOTE_CHARS = 400
BOILERPLATE_MARKERS = ("Prenumerera", "Till toppen av sidan", "Dela artikeln", "Nyhetsbrev", "Cookie")
DOC_FIELDS = ("id", "title", "text", "date", "doc_type", "source", "url", "language")
QUESTION_FIELDS = ("id", "question", "language", "kind", "relevant", "answer")

# Function words ignored when checking that a paraphrase shares no content word with its answer.
STOPWORDS = frozenset("""
alla andra annan annat bara blev blir både dock där därför dessa detta denna deras efter eftersom
eller ett från fått får hade har hela hennes hans inte inför kommer kunna måste medan mycket något
några också samma sedan sina sitt till under utan vara varit vilka vilken vilket vill över
about after also been before being because could does from have into more only other over should
some than that their them then there they this were what when where which while with would your
""".split())


def load_jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """
    Read a JSON Lines file into (line number, object) pairs.

    :param path: The file to read.
    :returns: One pair per non-empty line.
    :raises SystemExit: If the file is missing or a line is not a JSON object; the message names the line.
    """
    if not path.is_file():
        raise SystemExit(f"{path}: file not found. Run this script from the repository or pass --dir.")
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as error:
            raise SystemExit(f"{path.name} line {number}: not valid JSON ({error}). Fix the line and rerun.")
        if not isinstance(obj, dict):
            raise SystemExit(f"{path.name} line {number}: expected a JSON object, got {type(obj).__name__}.")
        records.append((number, obj))
    return records


def load_corpus_texts(corpus_dir: Path) -> dict[str, str]:
    """
    Read the bundled corpus documents (`<id>.txt`) so questions may target them by id.

    :param corpus_dir: The `corpus/documents` directory.
    :returns: A mapping from document id to its text; empty if the directory does not exist.
    """
    if not corpus_dir.is_dir():
        return {}
    return {path.stem: path.read_text(encoding="utf-8") for path in sorted(corpus_dir.glob("*.txt"))}


def check_document(number: int, doc: dict[str, Any]) -> list[str]:
    """
    Check one document record against the schema.

    :param number: The line number in documents.jsonl, for messages.
    :param doc: The parsed record.
    :returns: A list of problems, empty if the record is valid.
    """
    where = f"documents.jsonl line {number} ({doc.get('id', '?')})"
    problems = [f"{where}: missing field '{field}'." for field in DOC_FIELDS if field not in doc]
    if problems:
        return problems
    if not str(doc["id"]).startswith(DOC_ID_PREFIX):
        problems.append(f"{where}: field 'id' must start with '{DOC_ID_PREFIX}'.")
    if not str(doc["source"]).startswith(SOURCE_PREFIX):
        problems.append(f"{where}: field 'source' must start with '{SOURCE_PREFIX}' (this is test material).")
    if doc["doc_type"] not in DOC_TYPES:
        problems.append(f"{where}: field 'doc_type' is '{doc['doc_type']}'; use one of {', '.join(DOC_TYPES)}.")
    if doc["language"] not in LANGUAGES:
        problems.append(f"{where}: field 'language' is '{doc['language']}'; use 'sv' or 'en'.")
    if doc["url"] != "":
        problems.append(f"{where}: field 'url' must be an empty string for fictional documents.")
    if not str(doc["title"]).strip():
        problems.append(f"{where}: field 'title' is empty.")
    try:
        date.fromisoformat(str(doc["date"]))
    except ValueError:
        problems.append(f"{where}: field 'date' is '{doc['date']}'; write an ISO date such as 2021-05-03.")
    problems.extend(check_text(where, str(doc["text"])))
    return problems


def check_text(where: str, text: str) -> list[str]:
    """
    Check that a document text is clean plain text with paragraphs separated by one blank line.

    :param where: A location prefix for messages.
    :param text: The document text.
    :returns: A list of problems.
    """
    problems = []
    if not text.strip():
        problems.append(f"{where}: field 'text' is empty.")
    if text != text.strip():
        problems.append(f"{where}: field 'text' has leading or trailing whitespace; strip it.")
    if "\r" in text or "\n\n\n" in text:
        problems.append(f"{where}: field 'text' must separate paragraphs with exactly one blank line ('\\n\\n').")
    for marker in BOILERPLATE_MARKERS:
        if marker in text:
            problems.append(f"{where}: field 'text' contains web boilerplate '{marker}'; remove it.")
    return problems


def check_relations(docs: dict[str, dict[str, Any]]) -> list[str]:
    """
    Check relation types and targets, and that overturns/overturned_by agree where both are given.

    :param docs: Dev documents by id.
    :returns: A list of problems.
    """
    problems = []
    declared = {(doc_id, rel.get("type"), rel.get("target"))
                for doc_id, doc in docs.items() for rel in doc.get("relations", []) if isinstance(rel, dict)}
    for doc_id, doc in docs.items():
        relations = doc.get("relations", [])
        if not isinstance(relations, list):
            problems.append(f"documents.jsonl ({doc_id}): field 'relations' must be a list of {{type, target}}.")
            continue
        for rel in relations:
            kind, target = (rel.get("type"), rel.get("target")) if isinstance(rel, dict) else (None, None)
            if kind not in RELATION_TYPES:
                problems.append(f"documents.jsonl ({doc_id}): relation type '{kind}' unknown; use one of "
                                f"{', '.join(RELATION_TYPES)}.")
            if target not in docs or target == doc_id:
                problems.append(f"documents.jsonl ({doc_id}): relation target '{target}' is not another document "
                                "in this set.")
                continue
            inverse = INVERSE_RELATIONS.get(kind)
            target_declares_inverse_kind = any(d == target and k == inverse for d, k, _ in declared)
            if inverse and target_declares_inverse_kind and (target, inverse, doc_id) not in declared:
                problems.append(f"documents.jsonl ({doc_id}): '{kind} {target}' disagrees with the relations "
                                f"declared on {target}; make them name each other.")
    return problems


def content_stems(text: str) -> set[str]:
    """
    Return crude stems (first five letters) of the content words in a text.

    :param text: Any Swedish or English text.
    :returns: The set of stems of words with four or more letters that are not function words.
    """
    words = re.findall(r"[^\W\d_]+", text.lower())
    return {word[:5] for word in words if len(word) >= 4 and word not in STOPWORDS}


def exact_terms(question: str) -> list[str]:
    """
    Return the distinctive terms of an exact-term question: tokens with digits and capitalised names.

    :param question: The question text.
    :returns: Candidate terms, in order of appearance.
    """
    tokens = re.findall(r"[\w:§&/-]+", question)
    with_digits = [t.strip("-/:") for t in tokens if any(c.isdigit() for c in t) and len(t) >= 4]
    names = [t for t in tokens[1:] if t[:1].isupper() and len(t) >= 3]
    return with_digits + names


def check_question(number: int, item: dict[str, Any], texts: dict[str, str],
                   doc_meta: dict[str, dict[str, Any]]) -> list[str]:
    """
    Check one question: schema, references, the verbatim quote and rules for its kind.

    :param number: The line number in questions.jsonl.
    :param item: The parsed question.
    :param texts: Texts of every document a question may target (dev set and corpus), by id.
    :param doc_meta: Dev documents by id (for doc_type and date in status questions).
    :returns: A list of problems.
    """
    where = f"questions.jsonl line {number} ({item.get('id', '?')})"
    problems = [f"{where}: missing field '{field}'." for field in QUESTION_FIELDS if field not in item]
    if problems:
        return problems
    language, kind, relevant, answer = item["language"], item["kind"], item["relevant"], item["answer"]
    if not re.fullmatch(rf"dev-{language}-\d\d", str(item["id"])):
        problems.append(f"{where}: field 'id' must look like 'dev-{language}-01' and match the language.")
    if language not in LANGUAGES:
        problems.append(f"{where}: field 'language' is '{language}'; use 'sv' or 'en'.")
    if kind not in KINDS:
        problems.append(f"{where}: field 'kind' is '{kind}'; use one of {', '.join(KINDS)}.")
    if not isinstance(relevant, list) or len(set(relevant)) != len(relevant):
        return problems + [f"{where}: field 'relevant' must be a list of distinct document ids."]
    for doc_id in relevant:
        if doc_id not in texts:
            problems.append(f"{where}: relevant id '{doc_id}' is neither in documents.jsonl nor in corpus/documents.")
    if kind == "ood":
        if relevant or answer is not None:
            problems.append(f"{where}: out-of-domain questions need 'relevant': [] and 'answer': null.")
        return problems
    if kind == "near-domain":
        # A question in the set's legal domain that its documents do not answer: `absent_terms` are
        # the words an answer would need, and none occurs in any document (corpus/documents included).
        if relevant or answer is not None:
            problems.append(f"{where}: near-domain questions need 'relevant': [] and 'answer': null.")
        terms = item.get("absent_terms")
        if not terms or not isinstance(terms, list):
            return problems + [f"{where}: near-domain questions list 'absent_terms' (the words an answer needs, found in no document)."]
        for term in terms:
            pattern = re.compile(r"(?<!\w)" + re.escape(str(term)), re.IGNORECASE)
            found = [doc_id for doc_id, text in texts.items() if pattern.search(text)]
            if found:
                problems.append(f"{where}: near-domain term {term!r} occurs in {', '.join(found[:3])}; the set may answer it: change the question or the term.")
        return problems
    if not relevant or not isinstance(answer, dict):
        return problems + [f"{where}: in-domain questions need a non-empty 'relevant' and an 'answer' object."]
    problems.extend(check_answer(where, answer, relevant, texts))
    if kind == "paraphrase":
        shared = content_stems(item["question"]) & content_stems(str(answer.get("quote", "")))
        if shared:
            problems.append(f"{where}: paraphrase shares content words with its quote ({', '.join(sorted(shared))}); "
                            "reword the question.")
    if kind == "exact":
        terms = exact_terms(item["question"])
        if not any(term in texts.get(doc_id, "") for term in terms for doc_id in relevant):
            problems.append(f"{where}: exact-term question has no term ({', '.join(terms) or 'none'}) that occurs "
                            "verbatim in a relevant document.")
    if kind == "status":
        problems.extend(check_status(where, answer, relevant, doc_meta))
    return problems


def check_answer(where: str, answer: dict[str, Any], relevant: list[str], texts: dict[str, str]) -> list[str]:
    """
    Check that the answer names a relevant document and quotes it verbatim exactly once.

    :param where: A location prefix for messages.
    :param answer: The answer object with 'doc_id' and 'quote'.
    :param relevant: The question's relevant document ids.
    :param texts: Document texts by id.
    :returns: A list of problems.
    """
    doc_id, quote = answer.get("doc_id"), answer.get("quote")
    if doc_id not in relevant:
        return [f"{where}: answer.doc_id '{doc_id}' must also be listed in 'relevant'."]
    if not isinstance(quote, str) or not quote.strip():
        return [f"{where}: answer.quote is empty."]
    problems = []
    if len(quote) > MAX_QUOTE_CHARS:
        problems.append(f"{where}: answer.quote has {len(quote)} characters; quote 1-2 sentences "
                        f"(at most {MAX_QUOTE_CHARS}).")
    count = texts.get(doc_id, "").count(quote)
    if count != 1:
        problems.append(f"{where}: answer.quote occurs {count} times in '{doc_id}'; it must occur exactly once, "
                        "verbatim (copy it from the text, or lengthen it to make it unique).")
    return problems


def check_status(where: str, answer: dict[str, Any], relevant: list[str],
                 doc_meta: dict[str, dict[str, Any]]) -> list[str]:
    """
    Check that a status question lists a decision and a later ruling, and answers from the ruling.

    :param where: A location prefix for messages.
    :param answer: The answer object.
    :param relevant: The question's relevant document ids.
    :param doc_meta: Dev documents by id.
    :returns: A list of problems.
    """
    ruling = doc_meta.get(answer.get("doc_id"), {})
    if ruling.get("doc_type") != "dom":
        return [f"{where}: a status question must be answered from a ruling (doc_type 'dom') in this set."]
    earlier_decisions = [doc_id for doc_id in relevant
                         if doc_meta.get(doc_id, {}).get("doc_type") == "beslut"
                         and str(doc_meta[doc_id]["date"]) < str(ruling["date"])]
    if not earlier_decisions:
        return [f"{where}: a status question must list the earlier decision (doc_type 'beslut') in 'relevant'."]
    return []


def summarize(docs: list[dict[str, Any]], questions: list[dict[str, Any]], corpus_ids: set[str]) -> str:
    """
    Describe the set: documents by language, type and length; questions by language and kind.

    :param docs: Dev documents.
    :param questions: Questions.
    :param corpus_ids: Ids of the bundled corpus documents.
    :returns: A printable multi-line summary.
    """
    lengths = [len(doc["text"]) for doc in docs]
    by_language = sorted(Counter(d["language"] for d in docs).items())
    by_type = sorted(Counter(d["doc_type"] for d in docs).items())
    lines = [
        f"documents: {len(docs)}  " + "  ".join(f"{k}={v}" for k, v in by_language),
        "  doc_type: " + ", ".join(f"{k}={v}" for k, v in by_type),
        f"  length: short(<700)={sum(n < 700 for n in lengths)} medium={sum(700 <= n < 1500 for n in lengths)} "
        f"long(1500-4000)={sum(1500 <= n <= 4000 for n in lengths)} over4000={sum(n > 4000 for n in lengths)}",
        f"  with relations: {sum(bool(d.get('relations')) for d in docs)}",
        f"questions: {len(questions)}",
        "  " + "lang".ljust(6) + "".join(kind.rjust(12) for kind in KINDS) + "total".rjust(8) + "seed".rjust(6),
    ]
    for language in LANGUAGES:
        subset = [q for q in questions if q.get("language") == language]
        counts = Counter(q.get("kind") for q in subset)
        seeds = sum(any(r in corpus_ids for r in q.get("relevant", [])) for q in subset)
        lines.append("  " + language.ljust(6) + "".join(str(counts[k]).rjust(12) for k in KINDS)
                     + str(len(subset)).rjust(8) + str(seeds).rjust(6))
    return "\n".join(lines)


def check_counts(questions: list[dict[str, Any]], corpus_ids: set[str]) -> list[str]:
    """
    Check the agreed minimum number of questions per language and kind.

    :param questions: Questions.
    :param corpus_ids: Ids of the bundled corpus documents.
    :returns: A list of problems.
    """
    problems = []
    for language in LANGUAGES:
        subset = [q for q in questions if q.get("language") == language]
        counts = Counter(q.get("kind") for q in subset)
        for kind, minimum in MIN_PER_KIND.items():
            if counts[kind] < minimum:
                problems.append(f"questions.jsonl: {language} has {counts[kind]} '{kind}' questions; "
                                f"need at least {minimum}.")
        if counts["ood"] != EXACT_OOD:
            problems.append(f"questions.jsonl: {language} has {counts['ood']} 'ood' questions; "
                            f"need exactly {EXACT_OOD}.")
        seeds = sum(any(r in corpus_ids for r in q.get("relevant", [])) for q in subset)
        if seeds > MAX_SEED_QUESTIONS_PER_LANGUAGE:
            problems.append(f"questions.jsonl: {language} has {seeds} questions on corpus seed documents; "
                            f"keep it at most {MAX_SEED_QUESTIONS_PER_LANGUAGE}.")
    return problems


def duplicate_ids(ids: list[str], file_name: str) -> list[str]:
    """
    Report ids that occur more than once.

    :param ids: The ids in file order.
    :param file_name: The file name for messages.
    :returns: A list of problems.
    """
    return [f"{file_name}: id '{i}' occurs {n} times; ids must be unique." for i, n in Counter(ids).items() if n > 1]


def run(data_dir: Path, corpus_dir: Path) -> int:
    """
    Validate the dev set in a directory and print the problems and a summary.

    :param data_dir: The directory with documents.jsonl and questions.jsonl.
    :param corpus_dir: The bundled corpus documents directory.
    :returns: 0 if no problems were found, otherwise 1.
    """
    doc_records = load_jsonl(data_dir / "documents.jsonl")
    question_records = load_jsonl(data_dir / "questions.jsonl")
    corpus_texts = load_corpus_texts(corpus_dir)
    docs = [doc for _, doc in doc_records]
    questions = [q for _, q in question_records]

    problems: list[str] = []
    for number, doc in doc_records:
        problems.extend(check_document(number, doc))
    problems.extend(duplicate_ids([str(d.get("id")) for d in docs], "documents.jsonl"))
    problems.extend(f"documents.jsonl: id '{d['id']}' collides with a corpus document." for d in docs
                    if d.get("id") in corpus_texts)
    doc_meta = {d["id"]: d for d in docs if "id" in d}
    problems.extend(check_relations(doc_meta))

    texts = {**corpus_texts, **{doc_id: str(d.get("text", "")) for doc_id, d in doc_meta.items()}}
    for number, item in question_records:
        problems.extend(check_question(number, item, texts, doc_meta))
    problems.extend(duplicate_ids([str(q.get("id")) for q in questions], "questions.jsonl"))
    problems.extend(check_counts(questions, set(corpus_texts)))

    print(summarize(docs, questions, set(corpus_texts)))
    if problems:
        print(f"\n{len(problems)} problem(s):")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print("\nOK: no problems found.")
    return 0


def main(argv: list[str] | None = None) -> int:
    """
    Command-line entry point.

    :param argv: Arguments (defaults to sys.argv[1:]).
    :returns: The exit status.
    """
    parser = argparse.ArgumentParser(description="Validate the Lagrum dev evaluation set.")
    parser.add_argument("--dir", type=Path, default=HERE, help="directory with documents.jsonl and questions.jsonl")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS_DIR, help="corpus/documents directory")
    args = parser.parse_args(argv)
    return run(args.dir, args.corpus)


if __name__ == "__main__":
    sys.exit(main())
