"""Attach legal annotations to a document and its chunks during ingest.

The ingest pipeline calls `annotate_document(document, chunks, record)` for every document before it
is written: each chunk gets the references it contains (offsets into the document's text, so a
citation can be quoted exactly), and the stored record gets the document's citations, its own
identifiers and what it says it overturns, upholds or appeals.

>>> from lagrum.documents import Chunk, Document
>>> doc = Document(id="test-dom", text="Mål nr 383-16. Enligt 23 § kameraövervakningslagen gäller detta.")
>>> chunk = Chunk(doc_id=doc.id, index=0, start=15, end=len(doc.text), text=doc.text[15:])
>>> record = {}
>>> annotate_document(doc, [chunk], record)
>>> chunk.citations[0]["canonical"], doc.text[chunk.citations[0]["start"]:chunk.citations[0]["end"]]
('SFS 2013:460 23 §', '23 § kameraövervakningslagen')
>>> record["citations"], record["identifiers"]
(['SFS 2013:460 23 §', 'mål 383-16'], ['mål 383-16'])
"""

from __future__ import annotations

import re
from typing import Any

from lagrum.documents import Chunk, Document
from lagrum.legal.references import extract_references
from lagrum.legal.registry import Registry, default_registry
from lagrum.legal.relations import detect_relation_statements, identifiers_of


def annotate_document(
    document: Document,
    chunks: list[Chunk],
    record: dict[str, Any],
    registry: Registry | None = None,
) -> None:
    """Set `chunk.citations` on every chunk and `citations`, `identifiers`, `relation_statements` on `record`.

    A chunk's citations are `{"canonical", "kind", "start", "end", "raw"}` with `start`/`end` offsets
    into `document.text`. `record["citations"]` is the sorted set of canonical ids in the whole text.

    :param document: the document being ingested.
    :param chunks: its chunks; their `citations` are replaced.
    :param record: the document record to be stored; updated in place.
    :param registry: the legal registry; the default registry (loaded once per process) when omitted.
    """
    registry = registry if registry is not None else default_registry()
    for chunk in chunks:
        chunk.citations = [
            {"canonical": r.canonical, "kind": r.kind, "start": chunk.start + r.start, "end": chunk.start + r.end, "raw": r.raw}
            for r in extract_references(chunk.text, registry)
        ]
    identifiers = identifiers_of(document.metadata() | _record_identifiers(record), document.text)
    references = extract_references(document.text, registry)
    record["citations"] = sorted({r.canonical for r in references})
    record["statute_mentions"] = statute_mentions(document.text, references)
    record["authority_mentions"] = authority_mentions(f"{document.title}\n{document.text}", registry)
    record["identifiers"] = identifiers
    record["relation_statements"] = relation_statements_of(document, identifiers)


# A sentence that says the statute is gone, or speaks of it in the past, mentions it historically.
_HISTORICAL = re.compile(
    r"\b(?:upphäv(?:s|des|ts|d|da|t)|upphör(?:de)?\s+att\s+gälla|ersätt(?:s|er)|ersattes|ersatte|tidigare|dåvarande|gamla|"
    r"gällde|numera|repealed|replaced|former|previous)\b",
    re.IGNORECASE,
)


def statute_mentions(text: str, references: list[Any]) -> dict[str, dict[str, Any]]:
    """Per cited statute ("SFS 1998:204"), the passage that cites it: the first present-tense one.

    `{"raw", "start", "end", "passage", "historical"}`; `historical` is True when every sentence
    citing the statute speaks of it as gone or past ("Genom lagen upphävs personuppgiftslagen
    (1998:204)", "I den tidigare kameraövervakningslagen (2013:460) ..."), which is no reliance on it.
    """
    from lagrum.legal.relations import split_sentences

    sentences = None
    found: dict[str, dict[str, Any]] = {}
    for ref in references:
        if not ref.canonical.startswith(("SFS ", "EU ")):
            continue
        statute = " ".join(ref.canonical.split()[:2])
        current = found.get(statute)
        if current is not None and not current["historical"]:
            continue
        if sentences is None:
            sentences = split_sentences(text)
        start, end = next(((a, b) for a, b in sentences if a <= ref.start < b), (ref.start, ref.end))
        passage = text[start:end]
        mention = {"raw": ref.raw, "start": ref.start, "end": ref.end, "passage": passage[:300],
                   "historical": bool(_HISTORICAL.search(passage))}
        if current is None or not mention["historical"]:
            found[statute] = mention
    return found


def authority_mentions(text: str, registry: Registry) -> dict[str, dict[str, Any]]:
    """Per authority named in the text: how often, and where first (`count`, `raw`, `start`, `end`)."""
    out: dict[str, dict[str, Any]] = {}
    for authority in registry.authorities():
        for name in [authority.name, *authority.aliases]:
            flags = 0 if name.isupper() and len(name) <= 5 else re.IGNORECASE
            hits = list(re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text, flags))
            if hits:
                entry = out.setdefault(authority.id, {"count": 0, "raw": hits[0].group(0), "start": hits[0].start(), "end": hits[0].end()})
                entry["count"] += len(hits)
    return out


def relation_statements_of(document: Document, identifiers: list[str]) -> list[dict[str, Any]]:
    """What the document decides about other decisions.

    A ruling with an operative part (its head read by the court reader, or found in the text)
    is decided by that part alone: statements in its reasoning or in an appended lower ruling
    are history, not this document's outcome. Other texts get the sentence detector, with one
    outcome per target.
    """
    from lagrum.legal.operative import one_outcome_per_target, operative_relations

    extra = document.extra or {}
    head = extra.get("head") if isinstance(extra.get("head"), dict) else None
    court = str(extra.get("court") or extra.get("authority") or "")
    if document.doc_type in ("dom", "beslut") or head:
        decided = operative_relations(head, document.text, own=identifiers, court=court)
        if decided is not None and (decided or head):
            return decided
    return one_outcome_per_target(detect_relation_statements(document.text, exclude=identifiers))


def _record_identifiers(record: dict[str, Any]) -> dict[str, Any]:
    """Identifier fields a loader may already have put on the record (`dnr`, `case_number`, ...)."""
    return {k: record[k] for k in ("case_number", "dnr", "mål", "identifiers", "identifier") if record.get(k)}
