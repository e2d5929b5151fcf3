"""Lagrum's hybrid retrieval (`lagrum.retrieval.Retriever`) over a Lagrum index, as a component."""

from __future__ import annotations

from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict

from lagrum.components.convert import hit_to_document
from lagrum.components.text_embedder import QueryVectors
from lagrum.filters import SearchFilters

# Grouped search (`per_document`) reads this many passages per wanted hit, and never more than MAX_POOL.
POOL_PER_HIT = 5
MAX_POOL = 200


@component
class LagrumHybridRetriever:
    """Retrieves passages by dense e5 and Swedish BM25, fused per query language, with legal boosts.

    Returns Haystack Documents (see `lagrum.components.convert` for the meta fields): `id` is the
    chunk id, `content` the passage, `score` the fused score, `meta["doc_id"]`, `title`, `date`,
    `start`/`end` (offsets into the document's canonical text), `citations`, ...

    Usage example:
    ```python
    retriever = LagrumHybridRetriever(data_dir="data", top_k=5)
    retriever.warm_up()
    retriever.run(query="is mandatory webcam use legal")["documents"][0].meta["doc_id"]
    ```

    :param data_dir: the Lagrum data directory holding the index (default `LAGRUM_DATA`, else ./data).
    :param top_k: passages returned.
    :param mode: "hybrid" (default), "dense", "bm25" or "rrf" (see `lagrum.retrieval.MODES`).
    """

    def __init__(self, data_dir: str | None = None, top_k: int = 10, mode: str = "hybrid"):
        from lagrum.retrieval import MODES

        if mode not in MODES:
            raise ValueError(f"LagrumHybridRetriever mode={mode!r} is not a retrieval mode; use one of: {', '.join(MODES)}")
        if top_k < 1:
            raise ValueError(f"LagrumHybridRetriever top_k={top_k}: give at least 1")
        self.data_dir = data_dir
        self.top_k = top_k
        self.mode = mode
        self._service: Any = None

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(self, data_dir=self.data_dir, top_k=self.top_k, mode=self.mode)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "LagrumHybridRetriever":
        return default_from_dict(cls, data)

    def bind(self, service: Any) -> None:
        """Search through an opened `LagrumService` (the CLI's, the API's) instead of opening the index."""
        self._service = service

    def warm_up(self) -> None:
        """Open the index (or find the one already open in this process)."""
        if self._service is None:
            from lagrum.components.resources import service_for

            self._service = service_for(self.data_dir)

    @component.output_types(documents=list[Document])
    def run(
        self,
        query: str,
        query_embedding: list[float] | None = None,
        query_vectors: QueryVectors | None = None,
        filters: Any = None,
        top_k: int | None = None,
        mode: str | None = None,
        per_document: int | None = None,
        language: str | None = None,
    ) -> dict[str, Any]:
        """
        :param query: the question or search words.
        :param query_embedding: its e5 query vector (from any text embedder); embedded here when omitted.
        :param query_vectors: its e5 query vector and its glossary rendering's, from `E5TextEmbedder`
            (what Lagrum's query pipeline connects: cheaper to pass than `query_embedding`).
        :param filters: a `lagrum.filters.SearchFilters`, or a dict of its `build` arguments
            (`{"doc_type": ["dom"], "since": "2020-01-01", "as_of": "2023-05-01"}`).
        :param top_k: passages returned (default: the `top_k` given at init).
        :param mode: retrieval mode (default: the `mode` given at init).
        :param per_document: at most this many passages from any one document.
        :param language: the query's language ("sv"/"en"); detected when omitted.
        :returns: `documents`, the passages best first.
        """
        self.warm_up()
        limit = top_k or self.top_k
        search_filters = _filters(filters)
        retriever = self._service.retriever
        known = None
        if query_vectors is not None:
            query_embedding = query_vectors.vector if query_embedding is None else query_embedding
            known = query_vectors.others
        options = dict(filters=search_filters, mode=mode or self.mode, language=language, vector=query_embedding, known_vectors=known)
        if not per_document:
            hits = retriever.search(query, limit=limit, **options)
        else:
            pool = retriever.search(query, limit=min(MAX_POOL, limit * POOL_PER_HIT), **options)
            taken: dict[str, int] = {}
            hits = []
            for hit in pool:
                if taken.get(hit.doc_id, 0) < per_document and len(hits) < limit:
                    taken[hit.doc_id] = taken.get(hit.doc_id, 0) + 1
                    hits.append(hit)
        return {"documents": [hit_to_document(h) for h in hits]}


def _filters(filters: Any) -> SearchFilters | None:
    if filters is None or isinstance(filters, SearchFilters):
        return filters
    if isinstance(filters, dict):
        try:
            return SearchFilters.build(**filters)
        except TypeError as exc:
            raise ValueError(
                f"LagrumHybridRetriever filters {sorted(filters)}: {exc}; use doc_type, source, language, since, until, doc_id, citation, as_of"
            ) from None
    raise ValueError(f"LagrumHybridRetriever filters must be a dict or SearchFilters, not {type(filters).__name__}")
