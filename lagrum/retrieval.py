"""Hybrid retrieval: dense e5 and Swedish BM25, fused with weights that depend on the query language.

Modes (`lagrum eval` compares them all): `dense`, `bm25`, `rrf` (equal-weight reciprocal rank
fusion, the naive baseline) and `hybrid` (the default; see README "Fusion" for the numbers
behind its weights).

>>> retriever = Retriever(index)
>>> hits = retriever.search("is mandatory webcam use legal", limit=5)
>>> hits[0].doc_id
'di-kameraovervakningen-hos-forsakringskassan-ar-olaglig'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from lagrum.filters import SearchFilters
from lagrum.index import Index
from lagrum.language import detect_language
from lagrum.store.base import ScoredPayload

MODES = ("hybrid", "dense", "bm25", "rrf")
CANDIDATES = 50  # per retriever, before fusion
RRF_K = 60


@dataclass(frozen=True)
class FusionWeights:
    """Weights of the dense and BM25 ranks in reciprocal rank fusion, per query language."""

    dense: float
    sparse: float
    provision_boost: float = 0.0  # added (in RRF units) to chunks citing a provision the query names


# Chosen on the development set (eval/data/dev); see README "Fusion" and eval/reports/.
HYBRID_WEIGHTS = {
    "sv": FusionWeights(dense=1.0, sparse=1.0, provision_boost=1.0 / RRF_K),
    "en": FusionWeights(dense=1.0, sparse=0.25, provision_boost=1.0 / RRF_K),
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


class Retriever:
    """Searches an `Index` in one of the `MODES`."""

    def __init__(self, index: Index, registry: Any = None):
        self.index = index
        self.registry = registry if registry is not None else _load_registry(index)

    def plan(self, query: str, language: str | None = None) -> QueryPlan:
        language = language or detect_language(query)
        if self.registry is not None:
            try:
                from lagrum.legal.query import parse_query
            except ImportError:
                return QueryPlan(query, language, query)
            parsed = parse_query(query, language, self.registry)
            return QueryPlan(query, language, parsed.lexical_text, list(parsed.provisions))
        return QueryPlan(query, language, query)

    def search(
        self,
        query: str,
        limit: int = 10,
        filters: SearchFilters | None = None,
        mode: str = "hybrid",
        language: str | None = None,
    ) -> list[Hit]:
        if mode not in MODES:
            raise ValueError(f"mode {mode!r} is not a retrieval mode; use one of: {', '.join(MODES)}")
        plan = self.plan(query, language)
        dense = sparse = []
        if mode != "bm25":
            vector = self.index.embedder.embed_query(query)
            dense = self.index.store.search_dense(vector.tolist(), CANDIDATES if mode != "dense" else limit, filters)
        if mode != "dense":
            sparse = self.index.store.search_sparse(self.index.bm25.query(plan.lexical_text), CANDIDATES if mode != "bm25" else limit, filters)
        if mode == "dense":
            return [_hit(p, p.score, dense=p.score) for p in dense[:limit]]
        if mode == "bm25":
            return [_hit(p, p.score, sparse=p.score) for p in sparse[:limit]]
        weights = FusionWeights(1.0, 1.0) if mode == "rrf" else HYBRID_WEIGHTS.get(plan.language, HYBRID_WEIGHTS["sv"])
        return fuse(dense, sparse, weights, plan.provisions)[:limit]


def fuse(dense: list[ScoredPayload], sparse: list[ScoredPayload], weights: FusionWeights, provisions: list[str] = ()) -> list[Hit]:
    """Weighted reciprocal rank fusion of two ranked lists, with an optional provision boost."""
    scores: dict[str, float] = {}
    payloads: dict[str, dict[str, Any]] = {}
    dense_scores: dict[str, float] = {}
    sparse_scores: dict[str, float] = {}
    for rank, item in enumerate(dense):
        key = item.payload["chunk_id"]
        scores[key] = scores.get(key, 0.0) + weights.dense / (RRF_K + rank + 1)
        payloads[key] = item.payload
        dense_scores[key] = item.score
    for rank, item in enumerate(sparse):
        key = item.payload["chunk_id"]
        scores[key] = scores.get(key, 0.0) + weights.sparse / (RRF_K + rank + 1)
        payloads[key] = item.payload
        sparse_scores[key] = item.score
    if provisions and weights.provision_boost:
        wanted = set(provisions)
        for key, payload in payloads.items():
            if wanted & _provision_keys(payload.get("citations") or []):
                scores[key] += weights.provision_boost
    ranked = sorted(scores, key=lambda k: (-scores[k], k))
    return [_hit(ScoredPayload(scores[k], payloads[k]), scores[k], dense_scores.get(k), sparse_scores.get(k)) for k in ranked]


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


def _load_registry(index: Index) -> Any:
    try:
        from lagrum.legal.registry import Registry
    except ImportError:
        return None
    return Registry.load(index.settings.registry_dir)
