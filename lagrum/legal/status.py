"""Is this still good law? Warnings for overturned decisions, repealed statutes and renamed authorities.

A warning is `{"kind", "message" (Swedish), "message_en", ...}` with the dates and documents
behind it. Sources: the relation graph of indexed documents (a later ruling that overturned a
decision) and the curated registry in `corpus/registry/` (statute repeals, case outcomes,
authority renamings).

>>> warnings_for(service, "test-beslut-lagerkameror")[0]["kind"]  # doctest: +SKIP
'overturned'
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from lagrum.legal.graph import canonical_identifier, record_identifiers, relation_graph, standing

_CASE_PREFIXES = ("dnr ", "mål ")


def warnings_for(service: Any, doc_id: str) -> list[dict[str, Any]]:
    """Every status warning for one indexed document; empty for an unknown id.

    Cached on the relation graph, so `service.invalidate()` after a write drops them together.

    :param service: the open `LagrumService`.
    :param doc_id: the document's id.
    :returns: warnings in order: overturned, registry outcomes, cited-and-overturned, repealed, renamed.
    """
    graph = relation_graph(service)
    cache = graph.warnings
    key = doc_id
    if key in cache:
        return cache[key]
    record = service.index.store.get_document(doc_id, with_text=False)
    warnings = record_warnings(service.registry, graph, record) if record is not None else []
    cache[key] = warnings
    return warnings


def record_warnings(registry: Any, graph: Any, record: dict[str, Any]) -> list[dict[str, Any]]:
    """The warnings of one stored document record, from the relation graph and the registry.

    Every warning names what triggered it in `trigger`: the citation and its passage, the
    metadata field, the relations of the chain, or the registry entry.
    """
    doc_id = record["id"]
    holder = _RegistryHolder(registry)
    warnings = _overturned(graph, doc_id) + _registry_cases(holder, record) + _cites_overturned(graph, doc_id)
    warnings += _own_repeal(registry, record) + _repealed(holder, record) + _renamed(holder, record)
    return warnings


class _RegistryHolder:
    """What the warning helpers need of a service: its registry."""

    def __init__(self, registry: Any) -> None:
        self.registry = registry


_STEP_SV = {"overturned": "upphävde", "upheld": "fastställde", "remanded": "återförvisade"}
_STEP_EN = {"overturned": "overturned", "upheld": "upheld", "remanded": "remanded"}


def _step_text(step: dict[str, Any], en: bool) -> str:
    ids = ", ".join(step.get("identifiers") or [])
    when = step.get("date") or ("date unknown" if en else "okänt datum")
    verb = (_STEP_EN if en else _STEP_SV)[step["outcome"]]
    return f"{step['title']} ({when}{', ' + ids if ids else ''}) {verb}"


def chain_text(chain: list[dict[str, Any]], en: bool = False) -> str:
    """Each instance with its date and case numbers and what it did to the one before, in date order."""
    first = chain[0]["on"] if chain else None
    parts = []
    for step in chain:
        if step["on"] == first:
            what = "the decision" if en else "beslutet"
        else:
            on = next((s for s in chain if s["doc_id"] == step["on"]), None)
            label = ", ".join(on.get("identifiers") or []) if on else ""
            what = (f"that ruling ({label})" if label else "that ruling") if en else (f"det avgörandet ({label})" if label else "det avgörandet")
        parts.append(f"{_step_text(step, en)} {what}")
    return "; ".join(parts)


def final_overturner(graph, doc_id: str) -> dict[str, Any] | None:
    """The indexed ruling whose overturning of `doc_id` holds after the last instance; None when it stands."""
    status = standing(graph, doc_id)
    if status is None or status["outcome"] != "overturned" or not status["by"]:
        return None
    return graph.briefs.get(status["by"])


def _overturned(graph, doc_id: str) -> list[dict[str, Any]]:
    """The decision's standing after its last instance, with the chain of instances behind it."""
    status = standing(graph, doc_id)
    if status is None or status["outcome"] == "upheld" and all(s["outcome"] == "upheld" for s in status["chain"]):
        return []
    chain = status["chain"]
    last = chain[-1]
    by = graph.briefs.get(status["by"]) if status["by"] else None
    steps_sv, steps_en = chain_text(chain), chain_text(chain, en=True)
    base = {"by": status["by"] or last["doc_id"], "date": (by or last).get("date"), "chain": chain,
            "trigger": {"relations": [f"{s['doc_id']} {s['outcome']} {s['on']}" for s in chain]}}
    if status["outcome"] == "overturned":
        if len(chain) == 1:
            when = by.get("date") or "okänt datum"
            sv = f"Beslutet har upphävts: {by['title']} ({when}) upphäver det. Det gäller inte längre."
            en = f"Overturned: {by['title']} ({by.get('date') or 'date unknown'}) set this decision aside; it is no longer good law."
        else:
            sv = f"Beslutet gäller inte längre efter sista instansen: {steps_sv}."
            en = f"No longer good law after the last instance: {steps_en}."
        return [{"kind": "overturned", **base, "message": sv, "message_en": en}]
    if status["outcome"] in ("restored", "upheld"):
        sv = f"Beslutet står fast efter sista instansen: {steps_sv}."
        en = f"The decision stands after the last instance: {steps_en}."
        return [{"kind": "restored", **base, "message": sv, "message_en": en}]
    sv = f"Målet har återförvisats och är inte slutligt avgjort: {steps_sv}."
    en = f"The case was remanded and is not finally decided: {steps_en}."
    return [{"kind": "remanded", **base, "message": sv, "message_en": en}]


def _registry_cases(service: Any, record: dict[str, Any]) -> list[dict[str, Any]]:
    """Decisions the registry knows were overturned, carried or cited by this document."""
    registry = service.registry
    if registry is None:
        return []
    own = {canonical_identifier(i) for i in record_identifiers(record)}
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
        trigger = {"registry": case.reference, "field": "identifiers" if ref in own else "citations"}
        out.append({"kind": kind, "case": case.reference, "by": case.overturned_by, "date": case.overturned_on, "trigger": trigger, "message": sv, "message_en": en})
    return out


def _cites_overturned(graph, doc_id: str) -> list[dict[str, Any]]:
    out = []
    for cited in graph.targets(doc_id, "cites"):
        final = final_overturner(graph, cited["doc_id"])
        for later in [final] if final else []:
            if later["doc_id"] == doc_id:
                continue
            out.append(
                {
                    "kind": "cites_overturned",
                    "case": cited["doc_id"],
                    "trigger": {"citation": cited["doc_id"]},
                    "by": later["doc_id"],
                    "date": later.get("date"),
                    "message": f"Texten hänvisar till {cited['title']}, som har upphävts av {later['title']} ({later.get('date') or 'okänt datum'}).",
                    "message_en": f"This text refers to {cited['title']}, which was overturned by {later['title']} ({later.get('date') or 'date unknown'}).",
                }
            )
    return out


def _own_identifiers(record: dict[str, Any]) -> set[str]:
    return {i for i in record_identifiers(record) if i.startswith(("SFS ", "EU "))}


def _own_repeal(registry: Any, record: dict[str, Any]) -> list[dict[str, Any]]:
    """A statute that is itself repealed: by its own metadata (`repealed`), else by the registry."""
    if str(record.get("doc_type") or "") not in ("lag", "förordning"):
        return []
    extra = record.get("extra") if isinstance(record.get("extra"), dict) else {}
    own = sorted(_own_identifiers(record))
    repealed = extra.get("repealed") or record.get("repealed")
    trigger: dict[str, Any] = {"field": "repealed", "value": repealed}
    replaced_by = extra.get("replaced_by") or None
    sfs = own[0] if own else record["id"]
    if not repealed and registry is not None:
        for candidate in own:
            status = registry.status_of_statute(candidate)
            if status["known"] and status["repealed"] and not status["in_force"]:
                repealed, replaced_by, sfs = status["repealed"], status["replaced_by"], candidate
                trigger = {"registry": candidate, "field": "repealed", "value": repealed}
                break
    if not repealed:
        return []
    repealed = str(repealed)[:10]
    replaced_by = replaced_by or extra.get("repealed_by") or None
    if registry is not None and not replaced_by:
        status = registry.status_of_statute(sfs)
        replaced_by = status["replaced_by"] if status["known"] else None
    successor = registry.statute(replaced_by) if (registry is not None and replaced_by) else None
    name = (record.get("title") or sfs).strip()
    if repealed > _dt.date.today().isoformat():
        return [
            {
                "kind": "repeal_scheduled",
                "statute": sfs,
                "date": repealed,
                "replaced_by": replaced_by,
                "own": True,
                "trigger": trigger,
                "message": f"{name} upphör att gälla {repealed}.",
                "message_en": f"{name} will be repealed on {repealed}.",
            }
        ]
    by_sv = f" och ersattes av {successor.display_name} ({successor.sfs})" if successor else (f" och ersattes av {replaced_by}" if replaced_by else "")
    by_en = f" and was replaced by {successor.display_name} ({successor.sfs})" if successor else (f" and was replaced by {replaced_by}" if replaced_by else "")
    return [
        {
            "kind": "repealed",
            "statute": sfs,
            "date": repealed,
            "replaced_by": replaced_by,
            "own": True,
            "trigger": trigger,
            "message": f"{name} gäller inte längre: den upphävdes {repealed}{by_sv}.",
            "message_en": f"{name} is no longer in force: it was repealed on {repealed}{by_en}.",
        }
    ]


def _repealed(service: Any, record: dict[str, Any]) -> list[dict[str, Any]]:
    """Repealed statutes this document relies on: cited in the present tense, before the repeal.

    No warning for the statute's successor or the act that repealed it, for a document written
    after the repeal (it mentions the old law historically), or when every passage citing the
    statute speaks of it as gone ("upphävs", "den tidigare ...").
    """
    registry = service.registry
    if registry is None:
        return []
    statutes = {c for c in record.get("citations") or [] if c.startswith(("SFS ", "EU ")) and len(c.split()) == 2}
    statutes |= {" ".join(c.split()[:2]) for c in record.get("citations") or [] if c.startswith(("SFS ", "EU "))}
    own = _own_identifiers(record)
    mentions = record.get("statute_mentions") or {}
    written = str(record.get("date") or "")
    out = []
    for sfs in sorted(statutes - own):
        status = registry.status_of_statute(sfs)
        if not status["known"] or not status["repealed"]:
            continue
        if own & set(status.get("replaced_by_all") or []) or status["replaced_by"] in own:
            continue  # the successor names what it replaced
        if written and written >= status["repealed"]:
            continue  # written after the repeal: a historical mention
        mention = mentions.get(sfs)
        if mention is not None and mention.get("historical"):
            continue
        statute = registry.statute(sfs)
        name = statute.display_name if statute else sfs
        successor = registry.statute(status["replaced_by"]) if status["replaced_by"] else None
        by_sv = f" och ersattes av {successor.display_name} ({successor.sfs})" if successor else ""
        by_en = f" and was replaced by {successor.display_name} ({successor.sfs})" if successor else ""
        trigger = {"citation": sfs, **({k: mention[k] for k in ("raw", "start", "end", "passage")} if mention else {})}
        quoted_sv = f" Texten hänvisar till den: ”{mention['raw']}”." if mention else ""
        quoted_en = f" The text cites it: “{mention['raw']}”." if mention else ""
        out.append(
            {
                "kind": "repealed",
                "statute": sfs,
                "date": status["repealed"],
                "replaced_by": status["replaced_by"],
                "trigger": trigger,
                "message": f"{name.capitalize()} ({sfs}) gäller inte längre: den upphörde {status['repealed']}{by_sv}.{quoted_sv}",
                "message_en": f"{name} ({sfs}) is no longer in force: it was repealed on {status['repealed']}{by_en}.{quoted_en}",
            }
        )
    return out


def _by_authority(record: dict[str, Any], names: list[str]) -> str | None:
    """The metadata field naming `names` as the document's author (source, court, authority), if any."""
    extra = record.get("extra") if isinstance(record.get("extra"), dict) else {}
    for field_name in ("source", "court", "authority"):
        value = str(record.get(field_name) or extra.get(field_name) or "")
        if value and any(n.casefold() in value.casefold() for n in names):
            return field_name
    return None


def _renamed(service: Any, record: dict[str, Any]) -> list[dict[str, Any]]:
    """An authority that has been renamed, when the document is by it or is about it.

    A document is about it when written before the renaming (or undated) and naming it in the
    title or at least twice; a statute naming a court in passing ("Regeringsrätten" in
    regeringsformen's transitional provisions) gets no warning unless it is the author.
    """
    registry = service.registry
    if registry is None:
        return []
    mentions = record.get("authority_mentions") or {}
    out = []
    for authority_id in record.get("authorities") or []:
        authority = registry.authority(authority_id)
        if authority is None or not authority.renamed_to:
            continue
        current, renamed_on = registry.current_authority_name(authority.name)
        names = [authority.name, *authority.aliases]
        author_field = _by_authority(record, names)
        mention = mentions.get(authority_id)
        if author_field:
            trigger: dict[str, Any] = {"field": author_field}
        else:
            if str(record.get("doc_type") or "") in ("lag", "förordning"):
                continue
            written = str(record.get("date") or "")
            if written and renamed_on and written >= str(renamed_on):
                continue
            in_title = any(n.casefold() in str(record.get("title") or "").casefold() for n in names)
            if mention is not None and not in_title and mention.get("count", 0) < 2:
                continue
            trigger = {"mention": mention} if mention else {"field": "authorities"}
        out.append(
            {
                "kind": "renamed",
                "authority": authority.name,
                "now": current,
                "date": renamed_on,
                "trigger": trigger,
                "message": f"{authority.name} heter sedan {renamed_on} {current}.",
                "message_en": f"{authority.name} has been called {current} since {renamed_on}.",
            }
        )
    return out


def annotate_answer(service: Any, answer: Any) -> None:
    """Make sure an answer never presents an overturned decision as current law.

    For every cited decision that a later indexed document overturned, the later document is
    cited too (its best passage for the question) and `notes` says so plainly, with dates: one
    note per overturned document, naming all its citation numbers. Registry-known outcomes of
    cited decisions are noted as well. When any such note is added, the answer opens with an
    "Obs:" (Swedish) or "Note:" (English) line; notes of other origins never trigger it.
    """
    from lagrum.citations import citation_from_hit
    from lagrum.filters import SearchFilters

    graph = relation_graph(service)
    en = answer.language == "en"
    overturned = False
    registry_outcome = False
    status_notes: list[str] = []
    for doc_id, numbers in _citation_numbers(answer.citations).items():
        first = next(c for c in answer.citations if c["doc_id"] == doc_id)
        final = final_overturner(graph, doc_id)
        for later in [final] if final else []:
            n_later = next((c["n"] for c in answer.citations if c["doc_id"] == later["doc_id"]), None)
            if n_later is None:
                passage = _best_passage(service, answer.question, later["doc_id"], SearchFilters)
                if passage is not None:
                    hit, start, end, quote = passage
                    n_later = len(answer.citations) + 1
                    answer.citations.append(citation_from_hit(n_later, hit, start, end, quote))
                    answer.answer += f" {' '.join(quote.split())} [{n_later}]"
            note = _overturned_note(first, numbers, later, n_later, en)
            if note not in answer.notes:
                answer.notes.append(note)
                status_notes.append(note)
            overturned = True
        for warning in service.warnings_for(doc_id):
            if warning["kind"] in ("overturned", "cites_overturned") and warning.get("case"):
                text = warning["message_en"] if en else warning["message"]
                if not any(text in n for n in answer.notes):
                    answer.notes.append(f"{_numbers_label(numbers)} {text}")
                    status_notes.append(f"{_numbers_label(numbers)} {text}")
                registry_outcome = True
    if (overturned or registry_outcome) and not answer.answer.startswith(("Obs", "Note")):
        if overturned:
            # Say it where it cannot be missed: the first line of the answer, with dates.
            first_note = status_notes[0] if status_notes else ("a cited decision has been overturned; see the notes." if en else "ett citerat beslut har upphävts; se noteringarna.")
            lead = f"Note: {first_note}" if en else f"Obs: {first_note}"
        else:
            first_note = status_notes[0] if status_notes else ("a cited text concerns a decision that was later overturned; see the notes." if en else "en citerad text gäller ett beslut som senare har upphävts; se noteringarna.")
            lead = f"Note: {first_note}" if en else f"Obs: {first_note}"
        answer.answer = f"{lead}\n\n{answer.answer}"


def _citation_numbers(citations: list[dict[str, Any]]) -> dict[str, list[int]]:
    """Citation numbers per cited document, in the order documents are first cited."""
    numbers: dict[str, list[int]] = {}
    for citation in citations:
        numbers.setdefault(citation["doc_id"], []).append(citation["n"])
    return numbers


def _numbers_label(numbers: list[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)


def _overturned_note(first: dict[str, Any], numbers: list[int], later: dict[str, Any], n_later: int | None, en: bool) -> str:
    """One plain sentence: which cited source was overturned, by what, and when."""
    ref = f" [{n_later}]" if n_later else ""
    label = _numbers_label(numbers)
    later_part_en = f"{later['title']} ({later.get('date') or 'date unknown'}){ref}"
    later_part_sv = f"{later['title']} ({later.get('date') or 'okänt datum'}){ref}"
    if en:
        if len(numbers) == 1:
            return f"Source {label} ({first['title']}, {first['date'] or 'date unknown'}) was overturned by {later_part_en}; it is not current law."
        return f"Sources {label} quote a decision ({first['title']}, {first['date'] or 'date unknown'}) that was overturned by {later_part_en}; it is not current law."
    if len(numbers) == 1:
        return f"Källa {label} ({first['title']}, {first['date'] or 'okänt datum'}) har upphävts av {later_part_sv}; den gäller inte längre."
    return f"Källorna {label} citerar ett beslut ({first['title']}, {first['date'] or 'okänt datum'}) som har upphävts av {later_part_sv}; det gäller inte längre."


def _best_passage(service: Any, question: str, doc_id: str, filters_cls) -> tuple[Any, int, int, str] | None:
    """The best quotable sentence of `doc_id` for `question` (retrieval restricted to the document)."""
    from lagrum.citations import _quotable, _sentences_of

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


# --- statutes over time: warnings on a statute's own passages (see lagrum.legal.timeline) -----


def statute_passage_warnings(service: Any, passage: dict[str, Any], reference: str | None = None) -> list[dict[str, Any]]:
    """Warnings for one passage (a hit or a chunk payload) of a statute's own text, as of
    `reference` (today when None): its wording ceased to apply or is not yet in force, the
    section's latest amendment ("amended by SFS X (in force DATE)"), the statute repealed
    ("repealed DATE, replaced by Y"). Each names the statute and section it is about."""
    from lagrum.legal.timeline import passage_warnings

    return passage_warnings(
        service, passage["doc_id"], passage.get("start"), passage.get("end"), passage.get("valid_from"), passage.get("valid_until"), reference
    )


def annotate_statute_answer(service: Any, answer: Any, reference: str | None = None) -> None:
    """Notes for cited statute passages whose wording is not the law on `reference` (today), and
    their amendments. A quoted wording that ceased to apply is followed by the wording that
    replaced it, cited verbatim from its stored document, and the answer opens with "Obs:"/"Note:"."""
    from lagrum.store.base import point_id

    en = answer.language == "en"
    ids = {point_id(c["chunk_id"]): c for c in answer.citations}
    payloads = service.index.store.payloads(list(ids))
    lead = None
    for pid, citation in list(ids.items()):
        payload = payloads.get(pid)
        if not payload:
            continue
        # The quoted sentence, not the whole passage: its own section's warnings.
        quoted = {**payload, "start": citation["start"], "end": citation["end"]}
        for warning in statute_passage_warnings(service, quoted, reference):
            text = f"[{citation['n']}] {warning['message_en'] if en else warning['message']}"
            if warning["kind"] == "ceased_to_apply" and warning.get("replaced_by"):
                n = _cite_wording(service, answer, warning["replaced_by"])
                if n is not None:
                    text += f" {'The wording in force' if en else 'Gällande lydelse'}: [{n}]."
            if text not in answer.notes:
                answer.notes.append(text)
            if warning["kind"] in ("ceased_to_apply", "not_yet_in_force", "statute_repealed") and lead is None:
                lead = text
    if lead and not answer.answer.startswith(("Obs", "Note")):
        answer.answer = f"{'Note' if en else 'Obs'}: {lead}\n\n{answer.answer}"


def _cite_wording(service: Any, answer: Any, wording: dict[str, Any]) -> int | None:
    """Cite `text[start:end]` of a stored statute document (a section's other wording); its number."""
    from lagrum.legal.timeline import provision_cited

    for citation in answer.citations:
        if citation["doc_id"] == wording["doc_id"] and citation["start"] == wording["start"] and citation["end"] == wording["end"]:
            return citation["n"]
    record = service.index.store.get_document(wording["doc_id"])
    if not record or not record.get("text"):
        return None
    chunk = next((c for c in service.index.store.chunks_of(wording["doc_id"]) if c["start"] <= wording["start"] < c["end"]), None)
    if chunk is None:
        return None
    quote = record["text"][wording["start"] : wording["end"]]
    n = len(answer.citations) + 1
    answer.citations.append(
        {
            "n": n, "doc_id": wording["doc_id"], "chunk_id": chunk["chunk_id"], "title": record.get("title", ""), "date": record.get("date"),
            "doc_type": record.get("doc_type", ""), "source": record.get("source", ""), "url": record.get("url", ""),
            "quote": quote, "start": wording["start"], "end": wording["end"], "score": 0.0,
            "provision": provision_cited(service, wording["doc_id"], wording["start"], wording["end"]),
        }
    )
    answer.answer += f" {' '.join(quote.split())} [{n}]"
    return n
