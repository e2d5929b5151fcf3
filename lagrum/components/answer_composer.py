"""Lagrum's answer (`lagrum.answer.AnswerComposer`): cited, verbatim quotes from retrieved passages."""

from __future__ import annotations

from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict
from haystack.dataclasses import GeneratedAnswer

from lagrum.components.convert import document_to_hit


@component
class LagrumAnswerComposer:
    """Composes an answer with citations from the passages a `LagrumHybridRetriever` returned.

    Extractive by default (generative when `LAGRUM_LLM_URL` is configured); every citation's quote
    is `text[start:end]` of the cited document. When no passage clears the relevance bar the answer
    says so and cites nothing (`found: false`).

    Outputs `answer`, Lagrum's answer JSON (the same as `lagrum ask --json` and `POST /ask`), and
    `answers`, one Haystack `GeneratedAnswer` whose `documents` are the cited quotes.

    Usage example:
    ```python
    composer = LagrumAnswerComposer(data_dir="data")
    composer.warm_up()
    composer.run(query="Är webbkamera på jobbet lagligt?", documents=retrieved)["answer"]["citations"]
    ```

    :param data_dir: the Lagrum data directory (default `LAGRUM_DATA`, else ./data).
    """

    def __init__(self, data_dir: str | None = None):
        self.data_dir = data_dir
        self._service: Any = None

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(self, data_dir=self.data_dir)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "LagrumAnswerComposer":
        return default_from_dict(cls, data)

    def bind(self, service: Any) -> None:
        self._service = service

    def warm_up(self) -> None:
        """Open the index if needed and embed the relevance bar's everyday topics."""
        if self._service is None:
            from lagrum.components.resources import service_for

            self._service = service_for(self.data_dir)
        self._service.composer.warm_up()

    @component.output_types(answer=dict, answers=list[GeneratedAnswer])
    def run(self, query: str, documents: list[Document], limit: int = 4, filters: Any = None, language: str | None = None) -> dict[str, Any]:
        """
        :param query: the question.
        :param documents: the retrieved passages, best first (Lagrum's composer reads the best 12).
        :param limit: at most this many cited sentences.
        :param filters: the search's `SearchFilters` (its `as_of` day dates the status notes).
        :param language: "sv" or "en" for the framing; the question's by default.
        """
        if self._service is None:
            self.warm_up()
        from lagrum.components.retriever import _filters

        hits = [document_to_hit(d) for d in documents]
        answer = self._service.composer.compose(query, hits, limit=limit, filters=_filters(filters), language=language)
        cited = [Document(id=f"{c['doc_id']}:{c['start']}-{c['end']}", content=c["quote"], meta=c) for c in answer["citations"]]
        generated = GeneratedAnswer(data=answer["answer"], query=query, documents=cited, meta={k: v for k, v in answer.items() if k not in ("answer", "citations")})
        return {"answer": answer, "answers": [generated]}
