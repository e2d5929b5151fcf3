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
    record["citations"] = sorted({r.canonical for r in extract_references(document.text, registry)})
    record["identifiers"] = identifiers
    record["relation_statements"] = relation_statements_of(document, identifiers)


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
