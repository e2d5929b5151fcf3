"""Validate the held-out evaluation set (documents.jsonl, questions.jsonl) in this directory.

Checks the schema of both files, unique ids, that every relevant id and answer doc exists,
that every answer quote occurs exactly once verbatim in its document, the required question
counts per language and kind, the two overturned decision→ruling pairs, and that paraphrase
questions share no content word with their quote. Prints a summary of counts and every
problem found (file, line, field, what to fix); exits with status 1 when there is a problem.

Usage:

    cd /work/main && .venv/bin/python eval/data/holdout/check.py [DIRECTORY]
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

try:  # the project's own vocabulary, when the package is importable
    from lagrum.documents import DOC_TYPES, RELATION_TYPES
except ImportError:  # keep the checker runnable with a bare Python; mirrors lagrum/documents.py
    DOC_TYPES = ("beslut", "dom", "lag", "förordning", "förarbete", "vägledning", "nyhet", "debatt",
                 "pressmeddelande", "övrigt")
    RELATION_TYPES = ("overturns", "overturned_by", "appeals", "appealed_by", "upholds", "upheld_by", "replaces",
                      "replaced_by", "repealed_by", "repeals", "amends", "amended_by", "cites", "cited_by")

DOC_KEYS = {"id", "title", "text", "date", "doc_type", "source", "url", "language"}
DOC_OPTIONAL_KEYS = {"relations"}
QUESTION_KEYS = {"id", "question", "language", "kind", "relevant", "answer"}
KINDS = ("exact", "paraphrase", "provision", "general", "status", "ood", "near-domain")
LANGUAGES = ("sv", "en")
QUESTIONS_PER_LANGUAGE = 24  # besides the near-domain questions (added later, see README)
MIN_PER_KIND = {"exact": 4, "paraphrase": 6, "provision": 2}
EXACT_PER_KIND = {"status": 2, "ood": 5, "near-domain": 5}
DOC_COUNT_RANGE = (18, 26)
EN_DOC_RANGE = (3, 6)
INVERSE = {"overturns": "overturned_by", "overturned_by": "overturns"}
PROVISION_PATTERN = re.compile(r"§|\bartikel\b|\barticle\b|\bkap\.|\bchapter\b|\bsection\b", re.IGNORECASE)
DNR_PATTERN = re.compile(r"^(?:Diarienummer:|Dnr) (\S+)$", re.MULTILINE)
# Function words ignored when comparing a paraphrase question with its quote (words of 4+ letters only).
STOPWORDS = frozenset(
    """från till över under efter eller även inte utan vara varit blir blev bara detta dessa denna därför
    därmed enligt också sina sitt hans hennes deras någon något några alla allt helt vilken vilket vilka
    varför sedan samt dock ändå emellertid alltså således mycket när vad hur som med för det den att och
    what when which where that this with from have does about there their they them into over while would
    could should been being were will your mine than then only also such some just""".split()
)


class Report:
    """Collects problems and counts; each problem names the file, line and field."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")


def load_jsonl(path: Path, report: Report) -> list[tuple[int, dict[str, Any]]]:
    """Return (line number, object) pairs from a JSONL file; report unreadable lines."""
    if not path.is_file():
        report.problem(str(path), "file is missing; create it next to check.py")
        return []
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            report.problem(f"{path.name}:{number}", f"not valid JSON ({error.msg}); write one object per line")
            continue
        if not isinstance(value, dict):
            report.problem(f"{path.name}:{number}", "line is not a JSON object")
            continue
        rows.append((number, value))
    return rows


def check_keys(where: str, record: dict[str, Any], required: set[str], optional: set[str], report: Report) -> None:
    """Report missing and unknown keys of one record."""
    for key in sorted(required - record.keys()):
        report.problem(where, f"field {key!r} is missing")
    for key in sorted(record.keys() - required - optional):
        report.problem(where, f"field {key!r} is not part of the schema; remove it or add it to the README")


def check_document(where: str, doc: dict[str, Any], report: Report) -> None:
    """Check one document's fields (not its relations, which need the full id set)."""
    check_keys(where, doc, DOC_KEYS, DOC_OPTIONAL_KEYS, report)
    for key in ("id", "title", "text", "date", "doc_type", "source", "url", "language"):
        if key in doc and not isinstance(doc[key], str):
            report.problem(where, f"field {key!r} must be a string")
            return
    if not doc.get("id", "").startswith("test-ho-"):
        report.problem(where, f"id {doc.get('id')!r} must start with 'test-ho-' (fictional held-out material)")
    if not doc.get("title", "").strip():
        report.problem(where, "title is empty")
    text = doc.get("text", "")
    if not text.strip() or text != text.strip() or "\n\n\n" in text:
        report.problem(where, "text must be non-empty, trimmed, with paragraphs separated by exactly one blank line")
    try:
        dt.date.fromisoformat(doc.get("date", ""))
    except ValueError:
        report.problem(where, f"date {doc.get('date')!r} is not an ISO date (YYYY-MM-DD)")
    if doc.get("doc_type") not in DOC_TYPES:
        report.problem(where, f"doc_type {doc.get('doc_type')!r} is not one of {', '.join(DOC_TYPES)}")
    if not doc.get("source", "").startswith("Testmaterial"):
        report.problem(where, "source must start with 'Testmaterial' so nobody mistakes it for a real source")
    if doc.get("url") != "":
        report.problem(where, "url must be the empty string for fictional material")
    if doc.get("language") not in LANGUAGES:
        report.problem(where, f"language {doc.get('language')!r} must be one of {', '.join(LANGUAGES)}")


def check_relations(docs: dict[str, dict[str, Any]], lines: dict[str, str], report: Report) -> None:
    """Check relation types and targets, and that overturn links are recorded on both sides."""
    for doc_id, doc in docs.items():
        relations = doc.get("relations", [])
        if not isinstance(relations, list):
            report.problem(lines[doc_id], "relations must be a list of {type, target} objects")
            continue
        for relation in relations:
            if not isinstance(relation, dict) or set(relation) != {"type", "target"}:
                report.problem(lines[doc_id], f"relation {relation!r} must have exactly the keys type and target")
                continue
            kind, target = relation["type"], relation["target"]
            if kind not in RELATION_TYPES:
                report.problem(lines[doc_id], f"relation type {kind!r} is not one of {', '.join(RELATION_TYPES)}")
            if target not in docs or target == doc_id:
                report.problem(lines[doc_id], f"relation target {target!r} is not another document id in this set")
                continue
            inverse = INVERSE.get(kind)
            if inverse and {"type": inverse, "target": doc_id} not in docs[target].get("relations", []):
                report.problem(lines[doc_id], f"{kind} → {target}: add the inverse {inverse} → {doc_id} on {target}")


def overturn_pairs(docs: dict[str, dict[str, Any]]) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """Return (pairs linked by relations, pairs linked only through the ruling's text) as (decision, ruling)."""
    by_metadata = {
        (doc_id, rel["target"])
        for doc_id, doc in docs.items()
        for rel in doc.get("relations", [])
        if rel.get("type") == "overturned_by" and rel.get("target") in docs
    }
    by_text = set()
    for decision_id, decision in docs.items():
        if decision["doc_type"] != "beslut":
            continue
        for dnr in DNR_PATTERN.findall(decision["text"]):
            for ruling_id, ruling in docs.items():
                linked = any(rel.get("target") in (decision_id, ruling_id) for rel in
                             decision.get("relations", []) + ruling.get("relations", []))
                upphaver = re.search(r"upphäver[^.]*" + re.escape(dnr), ruling["text"])
                if ruling["doc_type"] == "dom" and upphaver and not linked:
                    by_text.add((decision_id, ruling_id))
    return by_metadata, by_text


def content_words(text: str) -> set[str]:
    """Lower-cased words of 4+ letters, minus function words, cut to a 5-letter stem."""
    words = re.findall(r"[^\W\d_]+", text.lower())
    return {word[:5] for word in words if len(word) >= 4 and word not in STOPWORDS}


def distinctive_terms(question: str) -> list[str]:
    """Tokens of a question that name something: containing a digit, or capitalised after the first word."""
    tokens = [token.strip("?,.:;()”“\"'") for token in question.split()]
    return [t for i, t in enumerate(tokens) if t and (any(c.isdigit() for c in t) or (i > 0 and t[0].isupper()))]


def count_sentences(quote: str) -> int:
    """Rough sentence count: terminal punctuation followed by a space and a capital letter, plus one."""
    return 1 + len(re.findall(r"[.!?] +[A-ZÅÄÖ]", quote))


def check_question(where: str, q: dict[str, Any], docs: dict[str, dict[str, Any]], report: Report) -> None:
    """Check one question's schema, its relevant ids and its answer quote."""
    check_keys(where, q, QUESTION_KEYS, {"absent_terms"} if q.get("kind") == "near-domain" else set(), report)
    language, kind = q.get("language"), q.get("kind")
    if language not in LANGUAGES:
        report.problem(where, f"language {language!r} must be one of {', '.join(LANGUAGES)}")
    if kind not in KINDS:
        report.problem(where, f"kind {kind!r} must be one of {', '.join(KINDS)}")
    if not re.fullmatch(rf"ho-{language}-\d\d", str(q.get("id"))):
        report.problem(where, f"id {q.get('id')!r} must look like 'ho-{language}-01'")
    question = q.get("question")
    if not isinstance(question, str) or not question.strip():
        report.problem(where, "question must be a non-empty string")
        return
    relevant, answer = q.get("relevant"), q.get("answer")
    if not isinstance(relevant, list) or len(set(relevant)) != len(relevant):
        report.problem(where, "relevant must be a list of distinct document ids")
        return
    for doc_id in relevant:
        if doc_id not in docs:
            report.problem(where, f"relevant id {doc_id!r} is not in documents.jsonl")
    if kind == "ood":
        if relevant or answer is not None:
            report.problem(where, "an out-of-domain question needs relevant [] and answer null")
        return
    if kind == "near-domain":
        # In the set's legal domain, not answered by its documents: none of `absent_terms` (the
        # words an answer needs) occurs in any document of the set or of corpus/documents.
        if relevant or answer is not None:
            report.problem(where, "a near-domain question needs relevant [] and answer null")
        terms = q.get("absent_terms")
        if not terms or not isinstance(terms, list):
            report.problem(where, "a near-domain question lists absent_terms (the words an answer needs, found in no document)")
            return
        texts = {doc_id: doc.get("text", "") for doc_id, doc in docs.items()}
        corpus = Path(__file__).resolve().parents[3] / "corpus" / "documents"
        texts.update({path.name: path.read_text(encoding="utf-8", errors="replace") for path in sorted(corpus.glob("*")) if path.is_file()})
        for term in terms:
            pattern = re.compile(r"(?<!\w)" + re.escape(str(term)), re.IGNORECASE)
            found = [name for name, text in texts.items() if pattern.search(text)]
            if found:
                report.problem(where, f"near-domain term {term!r} occurs in {', '.join(found[:3])}; the set may answer it: change the question or the term")
        return
    if not relevant:
        report.problem(where, "relevant is empty; only ood questions may have no relevant documents")
    if not isinstance(answer, dict) or set(answer) != {"doc_id", "quote"}:
        report.problem(where, "answer must be {doc_id, quote}")
        return
    doc_id, quote = answer["doc_id"], answer["quote"]
    if doc_id not in relevant:
        report.problem(where, f"answer doc_id {doc_id!r} must be one of the relevant ids")
    if doc_id not in docs:
        report.problem(where, f"answer doc_id {doc_id!r} is not in documents.jsonl")
        return
    occurrences = docs[doc_id]["text"].count(quote) if isinstance(quote, str) and quote else 0
    if occurrences != 1:
        report.problem(where, f"quote occurs {occurrences} times in {doc_id}; copy 1–2 sentences verbatim, once")
    elif count_sentences(quote) > 2:
        report.problem(where, "quote is longer than two sentences; shorten it")
    check_kind_rules(where, q, docs, report)


def check_kind_rules(where: str, q: dict[str, Any], docs: dict[str, dict[str, Any]], report: Report) -> None:
    """Rules that make each kind of question test what its name says."""
    kind, question, answer = q["kind"], q["question"], q["answer"]
    doc = docs[answer["doc_id"]]
    if kind == "exact":
        haystack = doc["title"] + "\n" + doc["text"]
        if not any(term in haystack for term in distinctive_terms(question)):
            report.problem(where, "an exact question must contain a name or number that occurs in its answer document")
    elif kind == "paraphrase":
        shared = content_words(question) & content_words(answer["quote"])
        if shared:
            report.problem(where, f"a paraphrase question shares words with its quote (stems {sorted(shared)}); reword")
    elif kind == "provision" and not PROVISION_PATTERN.search(question):
        report.problem(where, "a provision question must name a provision (§, artikel/article, kap./chapter)")
    elif kind == "status":
        check_status(where, q, docs, report)


def check_status(where: str, q: dict[str, Any], docs: dict[str, dict[str, Any]], report: Report) -> None:
    """A status question lists an overturned decision and the ruling, and is answered from the ruling."""
    relevant = q["relevant"]
    types = sorted(docs[d]["doc_type"] for d in relevant if d in docs)
    if types != ["beslut", "dom"]:
        report.problem(where, "a status question's relevant ids must be one decision (beslut) and one ruling (dom)")
        return
    if docs[q["answer"]["doc_id"]]["doc_type"] != "dom":
        report.problem(where, "a status question must be answered from the ruling that overturned the decision")
    by_metadata, by_text = overturn_pairs(docs)
    decision = next(d for d in relevant if docs[d]["doc_type"] == "beslut")
    ruling = next(d for d in relevant if docs[d]["doc_type"] == "dom")
    if (decision, ruling) not in by_metadata | by_text:
        report.problem(where, f"{ruling} does not overturn {decision} (neither by relations nor by dnr in its text)")


def check_counts(docs: dict[str, dict[str, Any]], questions: list[dict[str, Any]], report: Report) -> Counter:
    """Check the required totals; return counts per (language, kind)."""
    low, high = DOC_COUNT_RANGE
    if not low <= len(docs) <= high:
        report.problem("documents.jsonl", f"{len(docs)} documents; the set should hold {low}–{high}")
    english = sum(doc.get("language") == "en" for doc in docs.values())
    if not EN_DOC_RANGE[0] <= english <= EN_DOC_RANGE[1]:
        report.problem("documents.jsonl", f"{english} English documents; expected {EN_DOC_RANGE[0]}–{EN_DOC_RANGE[1]}")
    by_metadata, by_text = overturn_pairs(docs)
    if not by_metadata:
        report.problem("documents.jsonl", "no decision→ruling pair linked by overturned_by/overturns relations")
    if not by_text:
        report.problem("documents.jsonl", "no decision→ruling pair linked only by the decision's dnr in the ruling")
    counts = Counter((q.get("language"), q.get("kind")) for q in questions)
    for language in LANGUAGES:
        total = sum(n for (lang, kind), n in counts.items() if lang == language and kind != "near-domain")
        if total != QUESTIONS_PER_LANGUAGE:
            report.problem("questions.jsonl", f"{total} {language} questions; expected {QUESTIONS_PER_LANGUAGE}")
        for kind, minimum in MIN_PER_KIND.items():
            if counts[(language, kind)] < minimum:
                report.problem("questions.jsonl", f"{counts[(language, kind)]} {language} {kind} questions; need ≥{minimum}")
        for kind, exact in EXACT_PER_KIND.items():
            if counts[(language, kind)] != exact:
                report.problem("questions.jsonl", f"{counts[(language, kind)]} {language} {kind} questions; need {exact}")
    return counts


def print_summary(docs: dict[str, dict[str, Any]], counts: Counter) -> None:
    """Print document and question counts."""
    lengths = [len(doc["text"]) for doc in docs.values()]
    print(f"documents: {len(docs)} "
          f"(languages {dict(Counter(d['language'] for d in docs.values()))}; "
          f"types {dict(sorted(Counter(d['doc_type'] for d in docs.values()).items()))}; "
          f"text length {min(lengths, default=0)}–{max(lengths, default=0)} chars, "
          f"{sum(n >= 1500 for n in lengths)} of ≥1500)")
    by_metadata, by_text = overturn_pairs(docs)
    print(f"overturned pairs: by relations {sorted(by_metadata)}; by text only {sorted(by_text)}")
    for language in LANGUAGES:
        per_kind = {kind: counts[(language, kind)] for kind in KINDS}
        print(f"questions {language}: {sum(per_kind.values())} {per_kind}")


def main(directory: Path) -> int:
    """Run every check on the set in `directory`; return the process exit status."""
    report = Report()
    docs: dict[str, dict[str, Any]] = {}
    lines: dict[str, str] = {}
    for number, doc in load_jsonl(directory / "documents.jsonl", report):
        where = f"documents.jsonl:{number}"
        check_document(where, doc, report)
        doc_id = doc.get("id")
        if doc_id in docs:
            report.problem(where, f"duplicate id {doc_id!r} (first at {lines[doc_id]})")
            continue
        if isinstance(doc_id, str) and isinstance(doc.get("text"), str):
            docs[doc_id], lines[doc_id] = doc, where
    check_relations(docs, lines, report)
    questions: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    for number, q in load_jsonl(directory / "questions.jsonl", report):
        where = f"questions.jsonl:{number}"
        if q.get("id") in seen:
            report.problem(where, f"duplicate id {q.get('id')!r} (first at {seen[q.get('id')]})")
        seen[str(q.get("id"))] = where
        check_question(where, q, docs, report)
        questions.append(q)
    counts = check_counts(docs, questions, report)
    print_summary(docs, counts)
    for problem in report.problems:
        print(f"PROBLEM {problem}", file=sys.stderr)
    print(f"{len(report.problems)} problem(s)" if report.problems else "OK: held-out set is valid")
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent))
