"""Embeds passages (or titles) with multilingual e5 (`lagrum.embedders`), as Lagrum's ingest does."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict


@component
class E5DocumentEmbedder:
    """Sets each Document's `embedding` to the e5 passage vector of its text.

    What is embedded is `meta[text_field]` when the Document has it, else its `content`: the legal
    splitter (`ingest.components.LegalSplitter`) stores in `meta["embedding_text"]` the passage
    with its title and section, which is what Lagrum's index holds. With `text_field="title"` and
    `skip_empty=True` it embeds documents' titles (the answer's relevance bar compares questions
    with them); Documents without a title keep `embedding=None`.

    Given `sources` too (the whole documents the passages come from), it embeds their titles in
    the same model call as the passages and returns them as `sources` with their title vectors:
    one call per batch instead of two (the model streams its weights once per call, so fewer,
    larger calls embed more per second). Sources without a title keep `embedding=None`.

    Usage example:
    ```python
    embedder = E5DocumentEmbedder()
    embedder.warm_up()
    embedder.run(documents=[Document(content="Arbetsgivaren satte upp kameror.")])["documents"][0].embedding[:2]
    ```

    :param model: "e5" (default) or "st:<model>", as `LAGRUM_EMBEDDER`.
    :param text_field: the meta field holding the text to embed; `content` when absent.
    :param skip_empty: leave Documents whose text is empty without an embedding instead of failing.
    :param batch_size: passages per model call (titles of `sources` included).
    """

    def __init__(self, model: str = "e5", text_field: str | None = "embedding_text", skip_empty: bool = False, batch_size: int = 64):
        if batch_size < 1:
            raise ValueError(f"E5DocumentEmbedder batch_size={batch_size}: give at least 1")
        self.model = model
        self.text_field = text_field
        self.skip_empty = skip_empty
        self.batch_size = batch_size
        self._embedder: Any = None

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(self, model=self.model, text_field=self.text_field, skip_empty=self.skip_empty, batch_size=self.batch_size)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "E5DocumentEmbedder":
        return default_from_dict(cls, data)

    def bind(self, embedder: Any) -> None:
        self._embedder = embedder

    def warm_up(self) -> None:
        if self._embedder is None:
            from lagrum.embedders import load_embedder

            self._embedder = load_embedder(self.model)

    def _text(self, document: Document) -> str:
        if self.text_field and self.text_field in document.meta:
            return str(document.meta[self.text_field] or "")
        return document.content or ""

    @component.output_types(documents=list[Document], sources=list[Document])
    def run(self, documents: list[Document], sources: list[Document] | None = None) -> dict[str, Any]:
        """:param documents: passages (or whole documents).
        :param sources: optionally, the documents the passages come from: their titles are embedded
            in the same call.
        :returns: `documents`, with `embedding` set, and `sources` (with their title vectors; empty
            when none were given)."""
        for name, given in (("documents", documents), ("sources", sources or [])):
            if not isinstance(given, list) or any(not isinstance(d, Document) for d in given):
                raise TypeError(f"E5DocumentEmbedder expects {name} as a list of Documents; embed a question with E5TextEmbedder")
        self.warm_up()
        texts = [self._text(d) for d in documents]
        wanted = [i for i, t in enumerate(texts) if t]
        if not self.skip_empty and len(wanted) < len(texts):
            empty = documents[next(i for i, t in enumerate(texts) if not t)]
            raise ValueError(f"Document {empty.id!r} has no text to embed (meta[{self.text_field!r}] and content are empty); pass skip_empty=True to leave it unembedded")
        sources = sources or []
        titles = [str(s.meta.get("title") or "") for s in sources]
        titled = [i for i, t in enumerate(titles) if t]
        all_texts = [texts[i] for i in wanted] + [titles[i] for i in titled]
        vectors: list[list[float]] = []
        for start in range(0, len(all_texts), self.batch_size):
            vectors.extend(v.tolist() for v in self._embedder.embed_passages(all_texts[start : start + self.batch_size]))
        embedded = dict(zip(wanted, vectors))
        title_vectors = dict(zip(titled, vectors[len(wanted) :]))
        return {
            "documents": [replace(d, embedding=embedded[i]) if i in embedded else d for i, d in enumerate(documents)],
            "sources": [replace(s, embedding=title_vectors[i]) if i in title_vectors else s for i, s in enumerate(sources)],
        }
