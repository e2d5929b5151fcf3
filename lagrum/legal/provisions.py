"""`GET /provisions/{id}` and `lagrum provision`: one provision, its statute's status over time, and
the passages citing it.

The view puts the relation graph (`lagrum.legal.graph`: canonical provisions, the documents
citing them) together with the statute's history (`lagrum.legal.timeline`: status on a day, the
section's wording in force then), so it sits above both: the timeline reads the graph, and
neither imports this module.
"""

from __future__ import annotations

from typing import Any

from lagrum.legal.graph import _parents, canonical_provision


def provision_view(service: Any, text: str, limit: int = 200, as_of: str | None = None) -> dict[str, Any] | None:
    """`GET /provisions/{id}`: the provision, its statute's status, and every passage citing it, newest first.

    With `as_of` (an ISO date) only documents dated on or before it are listed, and
    `text_as_of` is the section's wording in force that day (see `lagrum.legal.timeline`); without
    it `text_as_of` is today's wording. Passages of the statute's own text carry its time warnings.
    """
    from lagrum.filters import SearchFilters
    from lagrum.legal.timeline import statute_status, text_as_of

    canonical = canonical_provision(text)
    if canonical is None:
        return None
    statute_id = " ".join(canonical.split()[:2]) if canonical.startswith(("SFS ", "EU ")) else None
    statute = None
    registry = service.registry
    if statute_id and registry is not None:
        status = registry.status_of_statute(statute_id)
        statute = {k: status[k] for k in ("sfs", "title", "known", "in_force", "in_force_from", "repealed", "replaced_by", "replaced_by_title")}
    chunks = service.index.store.find_chunks(SearchFilters(citations=(canonical,), as_of=as_of), limit=limit)
    passages = []
    for chunk in chunks:
        spans = [c for c in chunk.get("citation_spans") or [] if c.get("canonical") == canonical or canonical in _parents(c.get("canonical", ""))]
        passages.append(
            {
                "doc_id": chunk["doc_id"],
                "chunk_id": chunk["chunk_id"],
                "title": chunk.get("title", ""),
                "date": chunk.get("date"),
                "doc_type": chunk.get("doc_type", ""),
                "source": chunk.get("source", ""),
                "start": chunk["start"],
                "end": chunk["end"],
                "text": chunk["text"],
                "references": spans,
                "warnings": service.warnings_for(chunk["doc_id"]) + service.passage_warnings(chunk, as_of),
            }
        )
    passages.sort(key=lambda p: (p["date"] or "", p["chunk_id"]), reverse=True)
    section = canonical[len(statute_id) :].strip() if statute_id else None
    view = {"canonical": canonical, "statute": statute, "section": section or None, "count": len(passages), "passages": passages}
    if statute_id and statute_id.startswith("SFS "):
        status = statute_status(service, statute_id, as_of)
        if status is not None:
            view["statute_over_time"] = {k: status[k] for k in ("in_force", "repealed", "repealed_by", "successor", "base_doc_id", "consolidations")}
            view["statute_over_time"]["amendment_count"] = len(status["amendments"])
        view["text_as_of"] = text_as_of(service, canonical, as_of) if section else None
    return view
