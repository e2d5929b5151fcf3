"""The relation graph between indexed documents: cites, overturns, upholds, replaces, amends.

Edges come from three places, and every edge is stored in both directions so the order in
which documents were ingested never matters:

* metadata `relations` (`{"type": "overturned_by", "target": "<doc id or dnr/mål nr>"}`);
* statements detected in the text ("Förvaltningsrätten upphäver Datainspektionens beslut,
  dnr 388-2015", or a ruling's operative part deciding on the decision its head names) whose
  target is an identifier another indexed document carries; a target no indexed document
  carries is kept in `external` until it arrives;
* citations of such identifiers in the text (`cites`).

The graph is rebuilt from the document records (no text) after each write and cached.

>>> graph = relation_graph(service)  # doctest: +SKIP
>>> graph.related("test-beslut-lagerkameror")["overturned_by"][0]["doc_id"]  # doctest: +SKIP
'test-dom-lagerkameror'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

INVERSE = {
    "overturns": "overturned_by",
    "upholds": "upheld_by",
    "appeals": "appealed_by",
    "remands": "remanded_by",
    "replaces": "replaced_by",
    "repeals": "repealed_by",
    "amends": "amended_by",
    "cites": "cited_by",
}
INVERSE.update({v: k for k, v in list(INVERSE.items())})
VIEW_KEYS = ("cites", "cited_by", "overturns", "overturned_by", "upholds", "upheld_by", "remands", "remanded_by", "appeals", "appealed_by", "replaces", "replaced_by", "repeals", "repealed_by", "amends", "amended_by")
_CASE_KINDS = ("case", "dnr")


@dataclass
class Edge:
    doc_id: str
    via: str  # metadata | text | citation


@dataclass
class RelationGraph:
    briefs: dict[str, dict[str, Any]]
    identifiers: dict[str, list[str]]  # canonical identifier -> doc ids carrying it
    edges: dict[str, dict[str, dict[str, Edge]]] = field(default_factory=dict)
    external: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # targets not indexed
    # Status warnings derived from this graph; they live and die with it, so a rebuild never serves stale ones.
    warnings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    display_ids: dict[str, list[str]] = field(default_factory=dict)  # doc id -> its identifiers as written

    def add(self, source: str, kind: str, target: str, via: str) -> None:
        if source == target or kind not in INVERSE:
            return
        self.edges.setdefault(source, {}).setdefault(kind, {}).setdefault(target, Edge(target, via))
        self.edges.setdefault(target, {}).setdefault(INVERSE[kind], {}).setdefault(source, Edge(source, via))

    def targets(self, doc_id: str, kind: str) -> list[dict[str, Any]]:
        out = []
        for edge in self.edges.get(doc_id, {}).get(kind, {}).values():
            brief = self.briefs.get(edge.doc_id)
            if brief:
                out.append({**brief, "via": edge.via})
        return sorted(out, key=lambda b: (b.get("date") or "", b["doc_id"]))

    def related(self, doc_id: str) -> dict[str, Any] | None:
        brief = self.briefs.get(doc_id)
        if brief is None:
            return None
        view: dict[str, Any] = {"doc_id": doc_id, "title": brief["title"], "date": brief["date"]}
        for kind in VIEW_KEYS:
            view[kind] = self.targets(doc_id, kind)
        view["external"] = [{**e, "external": True} for e in self.external.get(doc_id, [])]
        view["status"] = standing(self, doc_id)
        return view

    def identifiers_of(self, doc_id: str) -> list[str]:
        """The identifiers a document carries as written ("mål T 1299-22"), for naming it in a chain."""
        return list(self.display_ids.get(doc_id, []))

    def resolve(self, target: str, exclude: str = "") -> list[str]:
        """Doc ids a relation target names: a doc id, or an identifier (dnr, mål nr) a document carries."""
        if target in self.briefs:
            return [target]
        return [d for d in self.identifiers.get(canonical_identifier(target), []) if d != exclude]


_DECIDING = {"overturned_by": "overturned", "upheld_by": "upheld", "remanded_by": "remanded"}


def standing(graph: "RelationGraph", doc_id: str) -> dict[str, Any] | None:
    """Where a decision stands after every later instance: the last valid instance decides.

    The rulings that decided on `doc_id` (overturned, upheld or remanded it) are taken latest
    first; one that a later ruling overturned in its turn has no effect, so the next one counts,
    and with none left the decision stands as first made ("restored" when an instance had
    overturned it). Returns `{"outcome", "by", "chain"}`: `outcome` one of "overturned", "upheld",
    "remanded", "restored"; `by` the ruling whose effect holds (None when restored); `chain`
    every step from the decision on, by date (`doc_id`, `title`, `date`, `identifiers`,
    `outcome`, `on`: the document the step decided on). None when no indexed ruling decided on it.
    """
    steps: list[dict[str, Any]] = []
    seen = {doc_id}
    frontier = [doc_id]
    while frontier and len(steps) < 50:
        current = frontier.pop()
        for ruling, outcome in _deciders(graph, current):
            steps.append({**_step(graph, ruling), "outcome": outcome, "on": current})
            if ruling not in seen:
                seen.add(ruling)
                frontier.append(ruling)
    if not steps:
        return None
    steps.sort(key=lambda s: (s.get("date") or "", s["doc_id"]))
    outcome, by = _effect(graph, doc_id, frozenset())
    if outcome is None:
        outcome = "restored"
    return {"outcome": outcome, "by": by, "chain": steps}


def _deciders(graph: "RelationGraph", doc_id: str) -> list[tuple[str, str]]:
    found = []
    for kind, outcome in _DECIDING.items():
        for edge in graph.edges.get(doc_id, {}).get(kind, {}).values():
            if edge.doc_id in graph.briefs:
                found.append((edge.doc_id, outcome))
    return found


def _step(graph: "RelationGraph", doc_id: str) -> dict[str, Any]:
    brief = graph.briefs[doc_id]
    return {"doc_id": doc_id, "title": brief["title"], "date": brief.get("date"), "identifiers": graph.identifiers_of(doc_id)}


def _effect(graph: "RelationGraph", doc_id: str, path: frozenset) -> tuple[str | None, str | None]:
    """The outcome the last valid decider gave `doc_id`, and that decider; (None, None) when none holds."""
    if doc_id in path or len(path) > 12:
        return None, None
    deciders = sorted(
        _deciders(graph, doc_id),
        key=lambda d: (graph.briefs[d[0]].get("date") or "", _rank(d[1])),
        reverse=True,
    )
    for ruling, outcome in deciders:
        if _effect(graph, ruling, path | {doc_id})[0] == "overturned":
            continue  # that ruling was itself overturned: it no longer has its effect
        return outcome, ruling
    return None, None


def _rank(outcome: str) -> int:
    return {"overturned": 3, "remanded": 2, "upheld": 1}.get(outcome, 0)


def canonical_identifier(value: str) -> str:
    """`Mål nr 383-16` -> `mål 383-16`; `dnr 388-2015` stays; unknown forms are case-folded."""
    try:
        from lagrum.legal.references import extract_references

        refs = [r for r in extract_references(value) if r.kind in _CASE_KINDS]
        if refs:
            return refs[0].canonical.casefold()
    except ImportError:
        pass
    return " ".join(value.split()).casefold()


def record_identifiers(record: dict[str, Any]) -> list[str]:
    """The ids (dnr, mål nr) a stored document record carries, including metadata-only ones.

    The annotator stores `identifiers`; ids given only as extra metadata fields (`dnr: 388-2015`
    in a sidecar or JSON record) sit under `extra`, so they are read from there as well.
    """
    found = list(record.get("identifiers") or [])
    extra = record.get("extra") or {}
    if isinstance(extra, dict) and extra:
        from lagrum.legal.relations import _metadata_identifiers

        found += _metadata_identifiers(extra)
    return list(dict.fromkeys(found))


def build_graph(records: list[dict[str, Any]]) -> RelationGraph:
    briefs = {
        r["id"]: {"doc_id": r["id"], "title": r.get("title", ""), "date": r.get("date"), "doc_type": r.get("doc_type", "")}
        for r in records
        if r.get("state") == "complete"
    }
    identifiers: dict[str, list[str]] = {}
    for r in records:
        if r["id"] not in briefs:
            continue
        for ident in record_identifiers(r):
            identifiers.setdefault(canonical_identifier(ident), []).append(r["id"])
    graph = RelationGraph(briefs, identifiers)
    graph.display_ids = {r["id"]: record_identifiers(r) for r in records if r["id"] in briefs}
    for r in records:
        doc_id = r["id"]
        if doc_id not in briefs:
            continue
        own = {canonical_identifier(i) for i in record_identifiers(r)}
        for relation in r.get("relations") or []:
            resolved = graph.resolve(relation["target"], exclude=doc_id)
            for target in resolved:
                graph.add(doc_id, relation["type"], target, "metadata")
            if not resolved:
                graph.external.setdefault(doc_id, []).append({"type": relation["type"], "target": relation["target"]})
        for statement in r.get("relation_statements") or []:
            if canonical_identifier(statement["target"]) in own or statement["type"] not in INVERSE:
                continue
            resolved = graph.resolve(statement["target"], exclude=doc_id)
            for target in resolved:
                graph.add(doc_id, statement["type"], target, "text")
            if not resolved:
                # Not in the knowledge base (yet): kept by identifier; the link appears when it arrives.
                entry = {"type": statement["type"], "target": statement["target"], "via": statement.get("via") or "text"}
                if entry not in graph.external.setdefault(doc_id, []):
                    graph.external[doc_id].append(entry)
        for citation in r.get("citations") or []:
            key = canonical_identifier(citation)
            if key in own:
                continue
            for target in identifiers.get(key, []):
                if target != doc_id:
                    graph.add(doc_id, "cites", target, "citation")
    return graph


def relation_graph(service: Any) -> RelationGraph:
    """The service's cached graph (dropped by `service.invalidate()` after writes)."""
    graph = service.__dict__.get("_relations")
    if graph is None:
        graph = build_graph(list(service.index.store.document_records()))
        service.__dict__["_relations"] = graph
    return graph


def related_view(service: Any, doc_id: str) -> dict[str, Any] | None:
    """`GET /documents/{id}/related` and `lagrum related`: typed links with title and date."""
    return relation_graph(service).related(doc_id)


def canonical_provision(text: str) -> str | None:
    """`23 § kameraövervakningslagen`, `KÖL 23 §` or `SFS 2013:460 23 §` -> `SFS 2013:460 23 §`."""
    text = " ".join(text.split()).rstrip(" .,;:")
    text = re.sub(r"(?i)\b(sfs|eu)(?= \d{4}[:/])", lambda m: m.group(1).upper(), text)  # "sfs 2013:460"
    if not text:
        return None
    try:
        from lagrum.legal.references import extract_references

        refs = extract_references(text)
    except ImportError:
        refs = []
    # The whole text must be the provision: "SFS 2013:460 1000 §" or "23 § blah" is not a
    # wider or nearby provision, and must not silently become the whole statute.
    whole = [r for r in refs if r.start == 0 and r.end == len(text)]
    if whole:
        return max(whole, key=lambda r: len(r.canonical)).canonical
    if not refs and re.fullmatch(r"SFS \d{4}:\d+|EU \d{4}/\d+", text):
        return text
    return None


def _parents(canonical: str) -> set[str]:
    parts = canonical.split()
    return {" ".join(parts[:2])} if canonical.startswith(("SFS ", "EU ")) and len(parts) > 2 else set()


def authorities_mentioned(text: str) -> list[str]:
    """Registry ids of authorities named in `text` (names case-insensitively, abbreviations exactly)."""
    from lagrum.legal.registry import default_registry

    registry = default_registry()
    found: list[str] = []
    for authority in registry.authorities():
        names = [authority.name, *authority.aliases]
        for name in names:
            flags = 0 if name.isupper() and len(name) <= 5 else re.IGNORECASE
            if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, flags):
                found.append(authority.id)
                break
    return found
