"""Is this still good law? Warnings for overturned decisions, repealed statutes and renamed authorities.

A warning is `{"kind", "message" (Swedish), "message_en", ...}` with the dates and documents
behind it. Sources: the relation graph of indexed documents (a later ruling that overturned a
decision) and the curated registry in `corpus/registry/` (statute repeals, case outcomes,
authority renamings).

>>> warnings_for(service, "test-beslut-lagerkameror")[0]["kind"]
'overturned'
"""

from __future__ import annotations

from typing import Any

from lagrum.legal.graph import canonical_identifier, relation_graph

_CASE_PREFIXES = ("dnr ", "mål ")


def warnings_for(service: Any, doc_id: str) -> list[dict[str, Any]]:
    graph = relation_graph(service)
    cache = service.__dict__.setdefault("_warnings", {})
    key = (id(graph), doc_id)
    if key in cache:
        return cache[key]
    record = service.index.store.get_document(doc_id, with_text=False)
    warnings: list[dict[str, Any]] = []
    if record is not None:
        warnings = _overturned(graph, doc_id) + _registry_cases(service, record) + _cites_overturned(graph, doc_id)
        warnings += _repealed(service, record) + _renamed(service, record)
    cache[key] = warnings
    return warnings


def _overturned(graph, doc_id: str) -> list[dict[str, Any]]:
    out = []
    for later in graph.targets(doc_id, "overturned_by"):
        when = later.get("date") or "okänt datum"
        out.append(
            {
                "kind": "overturned",
                "by": later["doc_id"],
                "date": later.get("date"),
                "message": f"Beslutet har upphävts: {later['title']} ({when}) upphäver det. Det gäller inte längre.",
                "message_en": f"Overturned: {later['title']} ({later.get('date') or 'date unknown'}) set this decision aside; it is no longer good law.",
            }
        )
    return out


def _registry_cases(service: Any, record: dict[str, Any]) -> list[dict[str, Any]]:
    """Decisions the registry knows were overturned, carried or cited by this document."""
    registry = service.registry
    if registry is None:
        return []
    own = {canonical_identifier(i) for i in record.get("identifiers") or []}
    cited = {canonical_identifier(c) for c in record.get("citations") or [] if c.lower().startswith(_CASE_PREFIXES)}
    cited |= {canonical_identifier(r["target"]) for r in record.get("relations") or [] if r["type"] == "cites"}
    out = []
    for case in registry.case_facts():
        if not case.overturned_by:
            continue
        ref = canonical_identifier(case.reference)
        if ref not in own and ref not in cited:
            continue
        if canonical_identifier(case.overturned_by) in own:
            continue
        court = case.court or "domstol"
        if ref in own:
            sv = f"Beslutet ({case.reference}, {case.date}) upphävdes av {court} {case.overturned_on} ({case.overturned_by}). Det gäller inte längre."
            en = f"This decision ({case.reference}, {case.date}) was overturned by {court} on {case.overturned_on} ({case.overturned_by}); it is no longer good law."
            kind = "overturned"
        else:
            sv = f"Texten gäller beslutet {case.reference} ({case.date}), som upphävdes av {court} {case.overturned_on} ({case.overturned_by})."
            en = f"This text concerns decision {case.reference} ({case.date}), which {court} overturned on {case.overturned_on} ({case.overturned_by})."
            kind = "cites_overturned"
        out.append({"kind": kind, "case": case.reference, "by": case.overturned_by, "date": case.overturned_on, "message": sv, "message_en": en})
    return out


def _cites_overturned(graph, doc_id: str) -> list[dict[str, Any]]:
    out = []
    for cited in graph.targets(doc_id, "cites"):
        for later in graph.targets(cited["doc_id"], "overturned_by"):
            if later["doc_id"] == doc_id:
                continue
            out.append(
                {
                    "kind": "cites_overturned",
                    "case": cited["doc_id"],
                    "by": later["doc_id"],
                    "date": later.get("date"),
                    "message": f"Texten hänvisar till {cited['title']}, som har upphävts av {later['title']} ({later.get('date') or 'okänt datum'}).",
                    "message_en": f"This text refers to {cited['title']}, which was overturned by {later['title']} ({later.get('date') or 'date unknown'}).",
                }
            )
    return out


def _repealed(service: Any, record: dict[str, Any]) -> list[dict[str, Any]]:
    registry = service.registry
    if registry is None:
        return []
    statutes = {c for c in record.get("citations") or [] if c.startswith(("SFS ", "EU ")) and len(c.split()) == 2}
    statutes |= {" ".join(c.split()[:2]) for c in record.get("citations") or [] if c.startswith(("SFS ", "EU "))}
    out = []
    for sfs in sorted(statutes):
        status = registry.status_of_statute(sfs)
        if not status["known"] or not status["repealed"]:
            continue
        statute = registry.statute(sfs)
        name = statute.display_name if statute else sfs
        successor = registry.statute(status["replaced_by"]) if status["replaced_by"] else None
        by_sv = f" och ersattes av {successor.display_name} ({successor.sfs})" if successor else ""
        by_en = f" and was replaced by {successor.display_name} ({successor.sfs})" if successor else ""
        out.append(
            {
                "kind": "repealed",
                "statute": sfs,
                "date": status["repealed"],
                "replaced_by": status["replaced_by"],
                "message": f"{name.capitalize()} ({sfs}) gäller inte längre: den upphörde {status['repealed']}{by_sv}.",
                "message_en": f"{name} ({sfs}) is no longer in force: it was repealed on {status['repealed']}{by_en}.",
            }
        )
    return out


def _renamed(service: Any, record: dict[str, Any]) -> list[dict[str, Any]]:
    registry = service.registry
    if registry is None:
        return []
    out = []
    for authority_id in record.get("authorities") or []:
        authority = registry.authority(authority_id)
        if authority is None or not authority.renamed_to:
            continue
        current, renamed_on = registry.current_authority_name(authority.name)
        out.append(
            {
                "kind": "renamed",
                "authority": authority.name,
                "now": current,
                "date": renamed_on,
                "message": f"{authority.name} heter sedan {renamed_on} {current}.",
                "message_en": f"{authority.name} has been called {current} since {renamed_on}.",
            }
        )
    return out


def annotate_answer(service: Any, answer: Any) -> None:
    """Make sure an answer never presents an overturned decision as current law.

    For every cited decision that a later indexed document overturned, the later document is
    cited too (its best passage for the question) and `notes` says so plainly, with dates.
    Registry-known outcomes of cited decisions are noted as well.
    """
    from lagrum.answer import citation_from_hit
    from lagrum.filters import SearchFilters

    graph = relation_graph(service)
    cited_docs = {c["doc_id"] for c in answer.citations}
    added: set[str] = set()
    en = answer.language == "en"
    for citation in list(answer.citations):
        doc_id = citation["doc_id"]
        for later in graph.targets(doc_id, "overturned_by"):
            n_later = next((c["n"] for c in answer.citations if c["doc_id"] == later["doc_id"]), None)
            if n_later is None and later["doc_id"] not in added:
                passage = _best_passage(service, answer.question, later["doc_id"], SearchFilters)
                if passage is not None:
                    hit, start, end, quote = passage
                    n_later = len(answer.citations) + 1
                    answer.citations.append(citation_from_hit(n_later, hit, start, end, quote))
                    added.add(later["doc_id"])
                    answer.answer += f" {' '.join(quote.split())} [{n_later}]"
            ref = f" [{n_later}]" if n_later else ""
            if en:
                note = (
                    f"Source [{citation['n']}] ({citation['title']}, {citation['date'] or 'date unknown'}) was overturned by "
                    f"{later['title']} ({later.get('date') or 'date unknown'}){ref}; it is not current law."
                )
            else:
                note = (
                    f"Källa [{citation['n']}] ({citation['title']}, {citation['date'] or 'okänt datum'}) har upphävts av "
                    f"{later['title']} ({later.get('date') or 'okänt datum'}){ref}; den gäller inte längre."
                )
            if note not in answer.notes:
                answer.notes.append(note)
        for warning in service.warnings_for(doc_id):
            if warning["kind"] in ("overturned", "cites_overturned") and warning.get("case"):
                text = warning["message_en"] if en else warning["message"]
                note = f"[{citation['n']}] {text}"
                if not any(text in n for n in answer.notes):
                    answer.notes.append(note)
    if answer.notes and not answer.answer.startswith(("Obs", "Note")):
        lead = "Note: a cited decision has been overturned; see the notes." if en else "Obs: ett citerat beslut har upphävts; se noteringarna."
        answer.answer = f"{lead}\n\n{answer.answer}"
    _ = cited_docs


def _best_passage(service: Any, question: str, doc_id: str, filters_cls) -> tuple[Any, int, int, str] | None:
    """The best quotable sentence of `doc_id` for `question` (retrieval restricted to the document)."""
    from lagrum.answer import _quotable, _sentences_of

    hits = service.retriever.search(question, limit=3, filters=filters_cls(doc_ids=(doc_id,)))
    terms = set(service.index.bm25.query(service.retriever.plan(question).lexical_text + " upphäver upphävs overturns").indices)
    best = None
    for hit in hits:
        for start, end in _sentences_of(hit):
            text = hit.text[start - hit.start : end - hit.start]
            if not _quotable(text):
                continue
            score = len(terms & set(service.index.bm25.query(text).indices))
            if best is None or score > best[0]:
                best = (score, hit, start, end, text)
    return None if best is None else best[1:]
