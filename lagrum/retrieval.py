"""Hybrid retrieval: dense e5 and Swedish BM25, fused with weights that depend on the query language.

Modes (`lagrum eval` compares them all): `dense`, `bm25`, `rrf` (equal-weight reciprocal rank
fusion, the naive baseline) and `hybrid` (the default; see README "Fusion" for the numbers
behind its weights).

>>> retriever = Retriever(index)  # doctest: +SKIP
>>> hits = retriever.search("is mandatory webcam use legal", limit=5)  # doctest: +SKIP
>>> hits[0].doc_id  # doctest: +SKIP
'di-kameraovervakningen-hos-forsakringskassan-ar-olaglig'
"""

from __future__ import annotations

import datetime as _dt
import re
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from lagrum.documents import STATUTE_TYPES
from lagrum.embedders import embed_queries
from lagrum.filters import SearchFilters
from lagrum.index import Index
from lagrum.language import detect_language
from lagrum.lexical import BM25_LANGUAGE_CODE
from lagrum.store.base import ScoredPayload, Search

MODES = ("hybrid", "dense", "bm25", "rrf")
CASE_REPORT_DAYS = 60  # what was written about a decision within this many days names its parties
# A token that can be a case or diary number ("9919-22", "388-2015", "di-2021-4711"), in any case.
_CASE_NUMBER = re.compile(r"(?:[a-zåäö]{2,5}-)?\d{1,5}-\d{2,5}", re.IGNORECASE)
MAX_PARTIES = 3
CANDIDATES = 50  # per retriever, before fusion
RRF_K = 60
PLANS_KEPT = 256  # query plans kept for the answers being composed (`Retriever.plan`)
# A query naming a document's own number ("SFS 2021:890", "lag (2021:890)", "mål 383-16") wants
# that document first: its chunks get more than any other chunk can gather from the ranked lists
# (dense 1 + BM25 0.5 + exact 1 at rank one is 2.5/61) and the provision boost (1/60) together.
OWN_BOOST = 3.0 / RRF_K
# A digit next to a separator followed by more (":", "-", "/") or next to a letter.
_IDENTIFIER_TOKEN = re.compile(r"\d[:/\-–]\w|\w[:/\-–]\d|\d[A-Za-zÅÄÖåäö]|[A-Za-zÅÄÖåäö]\d")
_BARE_SFS = re.compile(r"(?<![\w/:])(\d{4}):(\d{1,5})(?![\w/:])")
_BARE_CELEX = re.compile(r"(?<![\w])(?:CELEX\s*:?\s*)?(\d{5}[A-Z]\d{4})(?![\w])")
# An authority's code of regulations ("författningssamling") by its series: AFS, MSBFS, SKVFS, FFFS.
_REGULATION_SERIES = re.compile(r"(?<![\w])((?!SFS)[A-ZÅÄÖ]{1,6}FS)\s*(\d{4}):(\d{1,4})(?![\w:])")
# A statute's, an EU act's or a regulation's own number as `OwnNumbers` writes it ("sfs 2021:890", "afs 2023:1").
_STATUTE_NUMBER = re.compile(r"(?:sfs|eu|celex|[a-zåäö]{1,6}fs) ")
# Förarbeten by their number, as the Riksdagen reader writes their identifiers ("prop. 2017/18:105").
_FORARBETE = re.compile(r"(?<![\w])(prop\.|bet\.|SOU|Ds|dir\.|skr\.)\s*(\d{4}(?:/\d{2})?):\s*([0-9A-Za-zÅÄÖåäö]+)(?![\w])", re.IGNORECASE)


@dataclass(frozen=True)
class FusionWeights:
    """Weights of the dense and BM25 ranks in reciprocal rank fusion, per query language."""

    dense: float
    sparse: float
    provision_boost: float = 0.0  # added (in RRF units) to chunks citing a provision the query names
    exact: float = 0.0  # BM25 over the query's identifier-like tokens only (dnr, mål nr, SFS numbers)
    translated: float = 0.0  # e5 over the glossary rendering of the query in the other language
    cross_sparse: float = 0.0  # BM25 over the English glossary rendering of a Swedish query, English documents only
    own_boost: float = 0.0  # added (in RRF units) to chunks of the document whose own number the query names


# Chosen by eval/tune_fusion.py on the development set (eval/data/dev), the Swedish BM25 weight on
# dev and holdout together; see README "Fusion" and eval/reports/fusion-*.md. Swedish: BM25 at a
# tenth of the dense weight (names and numbers still count) plus an exact-identifier pass, and
# a BM25 pass over the glossary's English rendering, on English documents only, so they are reached too.
# English: Swedish BM25 alone is noise for English words, so it gets half weight, and a second e5
# query over the glossary's Swedish rendering of the question carries the cross-lingual match.
HYBRID_WEIGHTS = {
    "sv": FusionWeights(dense=1.0, sparse=0.1, provision_boost=1.0 / RRF_K, exact=1.0, cross_sparse=0.25, own_boost=OWN_BOOST),
    "en": FusionWeights(dense=1.0, sparse=0.5, provision_boost=1.0 / RRF_K, exact=1.0, translated=0.5, own_boost=OWN_BOOST),
}


@dataclass
class Hit:
    """One retrieved chunk with the metadata a citation needs."""

    doc_id: str
    chunk_id: str
    score: float
    title: str
    date: str | None
    doc_type: str
    source: str
    url: str
    language: str
    text: str
    start: int
    end: int
    section: str | None = None
    citations: list[str] = field(default_factory=list)
    dense_score: float | None = None
    sparse_score: float | None = None
    # A statute passage's own dates (`ingest.chunking.chunk_validity`): in force from / until.
    valid_from: str | None = None
    valid_until: str | None = None

    @classmethod
    def from_payload(cls, payload: dict[str, Any], score: float) -> "Hit":
        return cls(
            doc_id=payload["doc_id"],
            chunk_id=payload["chunk_id"],
            score=score,
            title=payload.get("title", ""),
            date=payload.get("date"),
            doc_type=payload.get("doc_type", ""),
            source=payload.get("source", ""),
            url=payload.get("url", ""),
            language=payload.get("language", ""),
            text=payload.get("text", ""),
            start=payload.get("start", 0),
            end=payload.get("end", 0),
            section=payload.get("section"),
            citations=list(payload.get("citations") or []),
            valid_from=payload.get("valid_from"),
            valid_until=payload.get("valid_until"),
        )

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["score"] = round(self.score, 6)
        return data


@dataclass
class QueryPlan:
    """How a query was understood: its language, the lexical text for BM25, provisions it names."""

    text: str
    language: str
    lexical_text: str
    provisions: list[str] = field(default_factory=list)
    cross_text: str = ""  # the glossary's rendering of the query in the other language
    names: tuple[str, ...] = ()  # the names it gives (`lagrum.legal.query.name_words`)
    parties: tuple[str, ...] = ()  # those that name a party to a matter (`_parties`)

    @property
    def exact_text(self) -> str:
        """Identifier-like tokens: digits joined to more by a separator or to letters (`DI-2019-9903`,
        `9918-21`, `2018:1200`, `C-311/18`, `32016R0679`). A bare number ("2022", "11 §", "30 000")
        is a year, a section or an amount that any number of documents contain, not an identifier."""
        return " ".join(t for t in (t.strip("?.,;()") for t in self.text.split()) if _IDENTIFIER_TOKEN.search(t))

    @property
    def own_numbers(self) -> "OwnNumbers":
        """The documents' own numbers the query names: statutes (also bare "2021:890"), provisions, cases, CELEX.

        A question that also names a party ("… fick förbunden av Stora Kraft … enligt 11 § MBL")
        asks about a matter the statute was applied to, and no statute names parties: the
        statute it names is then context, not the document asked for (cases named by their
        number still are)."""
        own = OwnNumbers.of(self.text, self.provisions)
        return own.without_statutes() if self.parties else own

    @property
    def translated_text(self) -> str:
        """The Swedish terms the glossary added to an English query (empty when it added none)."""
        return self.lexical_text[len(self.text) :].strip() if self.lexical_text.startswith(self.text) else ""


class Retriever:
    """Searches an `Index` in one of the `MODES`."""

    def __init__(self, index: Index, registry: Any = None):
        self.index = index
        self.registry = registry if registry is not None else _load_registry(index)
        self._query_registry: Any = None
        self._names_lock = threading.Lock()
        # Plans of recent queries: one answer reads its question's plan in several places.
        self._plans: OrderedDict[tuple[str, str | None], QueryPlan] = OrderedDict()

    def invalidate(self) -> None:
        """The document set changed: statutes' names are read again before the next query."""
        with self._names_lock:
            self._query_registry = None
            self._plans.clear()

    @property
    def query_registry(self) -> Any:
        """The registry plus the names of the statutes in the index, read from their titles
        ("8 § polislagen" then names SFS 1984:387 even when the curated registry lacks it)."""
        with self._names_lock:
            if self._query_registry is None and self.registry is not None:
                self._query_registry = self.registry.with_statute_titles(_statute_titles(self.index.store)) if hasattr(self.registry, "with_statute_titles") else self.registry
            return self._query_registry

    def plan(self, query: str, language: str | None = None) -> QueryPlan:
        """How `query` is read (a `QueryPlan`); the same object for the same query until the
        document set changes (`invalidate`), so treat it as read-only."""
        key = (query, language)
        with self._names_lock:
            known = self._plans.get(key)
            if known is not None:
                self._plans.move_to_end(key)
                return known
        plan = self._plan(query, language)
        with self._names_lock:
            self._plans[key] = plan
            while len(self._plans) > PLANS_KEPT:
                self._plans.popitem(last=False)
        return plan

    def _plan(self, query: str, language: str | None = None) -> QueryPlan:
        language = language or detect_language(query)
        if self.registry is not None:
            try:
                from lagrum.legal.query import parse_query
            except ImportError:
                return QueryPlan(query, language, query)
            parsed = parse_query(query, language, self.query_registry)
            names = tuple(parsed.names)
            parties = _parties(parsed.names, parsed.provisions, self.query_registry)
            return QueryPlan(query, language, parsed.lexical_text, list(parsed.provisions), " ".join(parsed.cross_terms), names, parties)
        return QueryPlan(query, language, query)

    def _weights(self, plan: QueryPlan, mode: str) -> tuple["FusionWeights", str]:
        """The fusion weights of `mode` for `plan`, and the glossary rendering its dense pass may search."""
        weights = FusionWeights(1.0, 1.0) if mode == "rrf" else HYBRID_WEIGHTS.get(plan.language, HYBRID_WEIGHTS["sv"])
        return weights, plan.translated_text if plan.language == "en" else plan.cross_text

    def query_texts(self, query: str, mode: str = "hybrid", language: str | None = None) -> list[str]:
        """The texts whose e5 query vectors `search(query, mode=mode, language=language)` embeds:
        the query and, when this mode searches it, its glossary rendering (one call for both)."""
        if mode == "bm25":
            return []
        if mode == "dense":
            return [query]
        weights, cross = self._weights(self.plan(query, language), mode)
        return [query, cross] if weights.translated and cross and cross != query else [query]

    def search(
        self,
        query: str,
        limit: int = 10,
        filters: SearchFilters | None = None,
        mode: str = "hybrid",
        language: str | None = None,
        vector: Any = None,
        known_vectors: Any = None,
    ) -> list[Hit]:
        """`vector`: the query's e5 embedding when already computed (the query pipeline's text
        embedder); `known_vectors`: a mapping of other texts to their e5 query vectors, already
        computed (the text embedder embeds the glossary rendering `query_texts` names in the
        question's call); whatever this search needs and is not given is embedded here, in one call."""
        if mode not in MODES:
            raise ValueError(f"mode {mode!r} is not a retrieval mode; use one of: {', '.join(MODES)}")
        plan = self.plan(query, language)
        store = self.index.store
        if mode == "bm25":
            sparse = store.search_sparse(self.index.bm25.query(plan.lexical_text), limit, filters)
            return [_hit(p, p.score, sparse=p.score) for p in sparse]
        given = np.asarray(vector, dtype=np.float32) if vector is not None else None
        if mode == "dense":
            vector = given if given is not None else self.index.embedder.embed_query(query)
            return [_hit(p, p.score, dense=p.score) for p in store.search_dense(vector.tolist(), limit, filters)]
        weights, cross = self._weights(plan, mode)
        # The question and its glossary rendering in one embedder call (lagrum.batching), or none
        # when the query pipeline's text embedder already embedded both.
        texts = [query, cross] if weights.translated and cross else [query]
        known = dict(known_vectors or {})
        if given is not None:
            known[query] = given
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            known.update(zip(missing, embed_queries(self.index.embedder, missing)))
        vectors = [np.asarray(known[t], dtype=np.float32) for t in texts]
        vector = vectors[0]
        boost = weights.provision_boost if plan.provisions else 0.0
        own = plan.own_numbers if weights.own_boost else OwnNumbers()
        # Candidates come back as ids and scores only: reading a payload costs more than the
        # search itself at scale, and only the `limit` fused hits need theirs.
        fields: bool | tuple[str, ...] = ("citations",) if boost else False
        if own:
            fields = ("citations", "identifiers", "section")
        lexical = plan.lexical_text if mode != "rrf" else query
        searches = [
            (Search(vector.tolist(), CANDIDATES, filters, fields), weights.dense),
            (Search(self.index.bm25.query(lexical), CANDIDATES, filters, fields), weights.sparse),
        ]
        exact_pass = None
        if weights.exact and plan.exact_text:
            exact_pass = len(searches)
            searches.append((Search(self.index.bm25.query(plan.exact_text), CANDIDATES, filters, fields), weights.exact))
        if weights.translated and cross:
            searches.append((Search(vectors[1].tolist(), CANDIDATES, filters, fields), weights.translated))
        if weights.cross_sparse and plan.language != "en" and plan.cross_text:
            # Only documents in the other language: the English words would otherwise reorder
            # the Swedish documents that the Swedish passes already rank well.
            other_language = _other_language(filters, plan.language)
            if other_language is not None:
                english = Search(self.index.bm25.query(plan.cross_text), CANDIDATES, other_language, fields)
                searches.append((english, weights.cross_sparse))
        if own and own.doc_ids and not (filters and filters.doc_ids):
            # The documents the official readers name by their number ("sfs-2021-890") are
            # searched on their own, so their chunks are candidates however many others cite them.
            scoped = replace(filters or SearchFilters(), doc_ids=own.doc_ids)
            searches.append((Search(vector.tolist(), CANDIDATES, scoped, fields), 0.0))
        ranked = store.search_batch([search for search, _ in searches])
        if exact_pass is not None and own:
            # The exact pass finds the passages that write an identifier. A statute's or regulation's
            # own number is already served by the own-number boost, which lifts every passage of it:
            # within it the pass would only rank its cover and its transitional provisions ("2021:890
            # 1. Denna lag träder i kraft …") above the section asked for.
            ranked[exact_pass] = [p for p in ranked[exact_pass] if not own.names_statute(p.payload.get("identifiers") or [])]
        fused = fuse(list(zip(ranked, (weight for _, weight in searches))), plan.provisions, boost, own, weights.own_boost)
        if weights.exact and any(_CASE_NUMBER.fullmatch(token) for token in plan.exact_text.split()):
            fused = self._with_case_reports(fused, plan, filters)
        fused = fused[:limit]
        payloads = store.payloads([f.id for f in fused])
        # A chunk deleted by a concurrent ingest between the two calls is left out.
        fused = [f for f in fused if f.id in payloads]
        if mode == "hybrid" and plan.language != BM25_LANGUAGE_CODE:
            fused = _passages_by_meaning(fused, {f.id: payloads[f.id].get("doc_id") for f in fused})
        return [_hit(ScoredPayload(f.score, payloads[f.id], f.id), f.score, f.dense, f.sparse) for f in fused]


    def _with_case_reports(self, fused: list["Fused"], plan: QueryPlan, filters: SearchFilters | None) -> list["Fused"]:
        """A question naming a case or diary number also wants what was written about that case.

        When the best hit's document is the case the query names (its own mål nr or dnr), the
        documents that name the same company (with its legal form) and are dated on the day of the
        decision or within `CASE_REPORT_DAYS` after it — the press release, the news item, the
        appeal — are ranked right after it. They rarely repeat the case number, so neither BM25
        nor e5 reaches them from the number alone.
        """
        try:
            from lagrum.legal.graph import record_identifiers
            from lagrum.legal.relations import parties_of
        except ImportError:
            return fused
        store = self.index.store
        top = store.payloads([fused[0].id]).get(fused[0].id) if fused else None
        anchor = store.get_document(top["doc_id"], with_text=True) if top else None
        if not anchor or anchor.get("state") != "complete" or not anchor.get("date"):
            return fused
        own = [i.split(" ", 1)[-1] for i in record_identifiers(anchor)]  # "dnr DI-2021-4711" -> "DI-2021-4711"
        parties = parties_of(anchor.get("text", ""))[:MAX_PARTIES]
        if not parties or not any(number.casefold() in plan.text.casefold() for number in own):
            return fused
        first = _dt.date.fromisoformat(anchor["date"])
        base = filters or SearchFilters()
        since = max(base.since or anchor["date"], anchor["date"])
        until = min(base.until or "9999-12-31", (first + _dt.timedelta(days=CASE_REPORT_DAYS)).isoformat())
        if since > until:
            return fused
        window = replace(base, since=since, until=until)
        searches = [Search(self.index.bm25.query(party), CANDIDATES, window, ("doc_id", "text")) for party in parties]
        reports: dict[str, str] = {}  # document -> its best chunk naming the party
        for party, found in zip(parties, store.search_batch(searches)):
            for item in found:
                doc_id = item.payload.get("doc_id")
                if doc_id and doc_id != top["doc_id"] and doc_id not in reports and party in item.payload.get("text", ""):
                    reports[doc_id] = item.id
        if not reports:
            return fused
        position = {f.id: n for n, f in enumerate(fused)}
        by_id = {f.id: f for f in fused}
        chosen = sorted(reports.values(), key=lambda key: position.get(key, len(fused)))
        step = fused[0].score * 1e-6
        lifted = [replace(by_id[key], score=fused[0].score - step * (n + 1)) if key in by_id else Fused(key, fused[0].score - step * (n + 1)) for n, key in enumerate(chosen)]
        return [fused[0], *lifted, *(f for f in fused[1:] if f.id not in reports.values())]


@dataclass
class Fused:
    """A candidate after fusion: its point id, fused score, and raw dense and BM25 scores."""

    id: str
    score: float
    dense: float | None = None
    sparse: float | None = None


def fuse(
    lists: list[tuple[list[ScoredPayload], float]],
    provisions: list[str] = (),
    provision_boost: float = 0.0,
    own: "OwnNumbers | None" = None,
    own_boost: float = 0.0,
) -> list[Fused]:
    """Weighted reciprocal rank fusion of ranked lists, with optional provision and own-number boosts.

    The first list is the dense one and the second the BM25 one: their raw scores are kept
    (`Fused.dense`, `Fused.sparse`) for the answer layer's relevance bar. The provision boost
    needs the candidates' `citations` in their payloads; the own-number boost (`own`) their
    `identifiers` and `section`.
    """
    scores: dict[str, float] = {}
    citations: dict[str, list[str]] = {}
    payloads: dict[str, dict[str, Any]] = {}
    raw: list[dict[str, float]] = [{} for _ in lists]
    for n, (ranked, weight) in enumerate(lists):
        for rank, item in enumerate(ranked):
            scores[item.id] = scores.get(item.id, 0.0) + weight / (RRF_K + rank + 1)
            citations[item.id] = item.payload.get("citations") or []
            payloads[item.id] = item.payload
            raw[n][item.id] = item.score
    if provisions and provision_boost:
        wanted = set(provisions)
        for key, cited in citations.items():
            if wanted & _provision_keys(cited):
                scores[key] += provision_boost
    if own and own_boost:
        for key, payload in payloads.items():
            if own.names(payload.get("identifiers") or [], payload.get("section")):
                scores[key] += own_boost
    dense_raw = raw[0] if raw else {}
    sparse_raw = raw[1] if len(raw) > 1 else {}
    ranked_keys = sorted(scores, key=lambda k: (-scores[k], k))
    return [Fused(k, scores[k], dense_raw.get(k), sparse_raw.get(k)) for k in ranked_keys]


@dataclass(frozen=True)
class OwnNumbers:
    """The numbers a query names that a document can carry as its own.

    `documents` are canonical, case-folded identifiers ("sfs 2021:890", "mål 383-16",
    "celex 32016r0679"): every chunk of the document carrying one matches. `provisions` are
    (statute, chapter, section) of provisions named with a section ("2 kap. 16 §
    tryckfrihetsförordningen"): only the statute's chunks whose section label covers it match.
    `numbers` are bare case or diary numbers ("383-16"), matched against the number part.

    >>> own = OwnNumbers.of("Vad reglerar 2021:890?", [])
    >>> own.documents, own.doc_ids, own.names(["SFS 2021:890"], "3 §"), own.names(["SFS 2021:949"], None)
    (('sfs 2021:890',), ('sfs-2021-890',), True, False)
    >>> OwnNumbers.of("2 kap. 16 § TF", ["SFS 1949:105 2 kap. 16 §"]).names(["SFS 1949:105"], "2 kap. 13–16 §§")
    True
    >>> OwnNumbers.of("Vad föreslog SOU 2017:66 och prop. 2017/18:105?", []).documents
    ('sou 2017:66', 'prop. 2017/18:105')
    >>> OwnNumbers.of("Vad säger AFS 2023:1 om riskbedömningar?", []).documents
    ('afs 2023:1',)
    """

    documents: tuple[str, ...] = ()
    provisions: tuple[tuple[str, str | None, str | None], ...] = ()
    numbers: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.documents or self.provisions or self.numbers)

    @classmethod
    def of(cls, text: str, provisions: list[str]) -> "OwnNumbers":
        documents: list[str] = []
        sections: list[tuple[str, str | None, str | None]] = []
        for canonical in provisions:
            parts = canonical.split()
            if canonical.startswith("SFS ") and len(parts) > 2:
                match = re.match(r"SFS (\S+)(?: (\d+ ?[a-z]?) kap\.)?(?: (\d+(?: [a-z])?) §)?$", canonical)
                if match and (match.group(3) or match.group(2)):
                    sections.append((f"sfs {match.group(1)}", match.group(2), match.group(3)))  # a section, or a whole chapter
                elif match:
                    documents.append(f"sfs {match.group(1)}")
            elif canonical.startswith("EU ") and len(parts) > 3 and parts[2] == "art.":
                # An article of an EU act ("EU 2016/679 art. 6.1 f"): the act's chunks labelled "art. 6".
                sections.append((f"eu {parts[1]}", None, f"art. {parts[3].split('.')[0]}"))
            elif canonical.startswith("SFS ") or not canonical.startswith(("EU ",)):
                documents.append(canonical.casefold())
        forarbeten = list(_FORARBETE.finditer(text))
        documents += [f"{m.group(1)} {m.group(2)}:{m.group(3)}".casefold() for m in forarbeten]
        # An authority's regulations by their series ("AFS 2023:1", "MSBFS 2020:6"), as their readers
        # write the identifier.
        series = list(_REGULATION_SERIES.finditer(text))
        documents += [f"{m.group(1)} {m.group(2)}:{int(m.group(3))}".casefold() for m in series]
        inside = [(m.start(), m.end()) for m in forarbeten + series]
        documents += [
            f"sfs {m.group(1)}:{int(m.group(2))}"
            for m in _BARE_SFS.finditer(text)
            if not any(start <= m.start() < end for start, end in inside)  # "SOU 2017:66" is no SFS number
        ]
        documents += [f"celex {m.group(1).lower()}" for m in _BARE_CELEX.finditer(text)]
        numbers = [m.group(0).casefold() for m in _CASE_NUMBER.finditer(text) if not any(m.group(0).casefold() in d for d in documents)]
        return cls(tuple(dict.fromkeys(documents)), tuple(dict.fromkeys(sections)), tuple(dict.fromkeys(numbers)))

    def names_statute(self, identifiers: list[str]) -> bool:
        """Whether a document carrying `identifiers` is a statute, EU act or authority regulation
        named here by its number ("SFS 2021:890", "AFS 2023:1"), not a case or a förarbete.

        >>> own = OwnNumbers.of("Vad säger SFS 2021:890 och AFS 2023:1, och vad sa HD i mål Ö 6478-25?", [])
        >>> own.names_statute(["SFS 2021:890"]), own.names_statute(["AFS 2023:1"]), own.names_statute(["Mål Ö 6478-25"])
        (True, True, False)
        """
        own = {" ".join(i.split()).casefold() for i in identifiers}
        return any(d in own and _STATUTE_NUMBER.match(d) for d in self.documents)

    def without_statutes(self) -> "OwnNumbers":
        """Only the cases, förarbeten and other documents named by number: no statute, EU act or provision.

        >>> OwnNumbers.of("mål 383-16 och 2 kap. 16 § TF", ["SFS 1949:105 2 kap. 16 §"]).without_statutes()
        OwnNumbers(documents=(), provisions=(), numbers=('383-16',))
        """
        kept = tuple(d for d in self.documents if not d.startswith(("sfs ", "eu ", "celex ")))
        return OwnNumbers(kept, (), self.numbers)

    @property
    def doc_ids(self) -> tuple[str, ...]:
        """Document ids the official readers give the named statutes ("sfs-2021-890")."""
        statutes = [d for d in self.documents if d.startswith("sfs ")] + [p[0] for p in self.provisions]
        # "sfs 2021:890" -> "sfs-2021-890", "eu 2016/679" -> "eu-2016-679"
        return tuple(dict.fromkeys(s.replace(" ", "-", 1).replace(":", "-").replace("/", "-") for s in statutes))

    def names(self, identifiers: list[str], section: str | None) -> bool:
        """True when a chunk of a document carrying `identifiers`, labelled `section`, is what the query names."""
        if not identifiers:
            return False
        own = {" ".join(i.split()).casefold() for i in identifiers}
        if own & set(self.documents):
            return True
        if self.numbers and any(i.rsplit(" ", 1)[-1] in self.numbers for i in own):
            return True
        return any(statute in own and _label_covers(section, chapter, number) for statute, chapter, number in self.provisions)


def _label_covers(label: str | None, chapter: str | None, section: str | None) -> bool:
    if section and section.startswith("art. "):  # an EU act's article: its chunks are labelled "art. 83" ("art. 83 (lydelse 2)")
        return bool(label) and label.split(" (")[0].strip() == section
    return _section_label_covers(label, chapter, section)


def _section_label_covers(label: str | None, chapter: str | None, section: str | None) -> bool:
    """Whether a chunk labelled "2 kap. 13–16 §§" (or "16 §", "2 kap. 16 § (lydelse 2)") holds
    `chapter` `section`; with `section` None, any chunk of that chapter."""
    if not label:
        return False
    match = re.match(r"(?:(\d+ ?[a-z]?) kap\.\s*)?(?:(\d+(?: [a-z])?)(?:–(\d+(?: [a-z])?))? §§?)?", label)
    if not match or (match.group(1) or None) != (chapter or None):
        return False
    if section is None:
        return chapter is not None
    if not match.group(2):
        return False
    key = _section_key(section)
    first, last = _section_key(match.group(2)), _section_key(match.group(3) or match.group(2))
    return first <= key <= last


def _passages_by_meaning(fused: list["Fused"], documents: dict[str, str | None]) -> list["Fused"]:
    """`fused` with every document (`documents`: point id -> doc_id) keeping the places it holds,
    and its passages, within them, ordered by their e5 cosine (those dense did not rank after the
    others, in their order). A place keeps its fused score, so scores still fall down the list.

    For a question in another language than the BM25 analyser's (`lagrum.lexical`), the lexical
    passes read only the glossary's topic words and stray foreign words: they say which documents
    are about the subject, not which of a document's passages answers. e5 is the one pass that
    reads the whole question, so it orders a document's passages.
    """
    places: dict[str | None, list[int]] = {}
    for n, item in enumerate(fused):
        places.setdefault(documents.get(item.id), []).append(n)
    ordered = list(fused)
    for slots in places.values():
        passages = sorted((fused[n] for n in slots), key=lambda f: (f.dense is None, -(f.dense or 0.0)))
        for n, passage in zip(slots, passages):
            ordered[n] = replace(passage, score=fused[n].score)
    return ordered


def _section_key(section: str) -> tuple[int, str]:
    number, _, letter = section.strip().partition(" ")
    return (int(number), letter) if number.isdigit() else (0, section)


def _other_language(filters: SearchFilters | None, language: str) -> SearchFilters | None:
    """`filters` narrowed to documents not in `language`; None when the filters leave none."""
    other = tuple(l for l in ("sv", "en") if l != language)
    base = filters or SearchFilters()
    if base.languages:
        other = tuple(l for l in base.languages if l != language)
        if not other:
            return None
    return replace(base, languages=other)


def _provision_keys(citations: list[str]) -> set[str]:
    """A chunk citing "SFS 2013:460 23 §" also answers a query naming "SFS 2013:460"."""
    keys = set(citations)
    for citation in citations:
        if citation.startswith(("SFS ", "EU ")):
            keys.add(" ".join(citation.split()[:2]))
    return keys


def _hit(item: ScoredPayload, score: float, dense: float | None = None, sparse: float | None = None) -> Hit:
    hit = Hit.from_payload(item.payload, score)
    hit.dense_score = dense
    hit.sparse_score = sparse
    return hit


# A public body by how Swedish ones are named ("Statskontoret", "Skatteverket", "Värmdö kommun"):
# statutes name them (an instruction names its authority), so they do not mark a party's matter.
_PUBLIC_BODY = re.compile(r"(?:verket|myndigheten|kontoret|inspektionen|nämnden|styrelsen|kommun|regionen|domstolen|rätten|ombudsmannen|kanslern)s?$", re.IGNORECASE)


def _parties(names: list[str], provisions: list[str], registry: Any) -> tuple[str, ...]:
    """The names of a query that name a party to a matter: not a public body (`_PUBLIC_BODY`) and
    not a word of the title of a statute the query names ("förordning (2007:827) med instruktion
    för Statskontoret")."""
    titles = []
    for canonical in provisions:
        statute = registry.statute(canonical) if registry is not None and hasattr(registry, "statute") else None
        if statute is not None and getattr(statute, "title", None):
            titles.append(statute.title.casefold())
    return tuple(n for n in names if not _PUBLIC_BODY.search(n) and not any(n.casefold() in t for t in titles))


def _statute_titles(store: Any) -> dict[str, str]:
    """SFS number -> official title of every statute document in the store."""
    titles: dict[str, str] = {}
    for record in store.document_records():
        if record.get("doc_type") not in STATUTE_TYPES or record.get("state", "complete") != "complete":
            continue
        title = str(record.get("title") or "")
        found = re.search(r"\((\d{4}:\d+)\)", title)
        if found:
            titles.setdefault(f"SFS {found.group(1)}", title)
    return titles


def _load_registry(index: Index) -> Any:
    try:
        from lagrum.legal.registry import Registry
    except ImportError:
        return None
    return Registry.load(index.settings.registry_dir)
