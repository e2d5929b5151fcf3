"""Finds the legal references in passages ("23 § kameraövervakningslagen" → "SFS 2013:460 23 §")."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict

from lagrum.components.convert import chunk_of, document_to_legal


@component
class LegalReferenceAnnotator:
    """Annotates passages with the statutes, provisions, cases and EU acts they cite.

    Each passage Document gets `meta["citation_spans"]`: `{"canonical", "kind", "start", "end", "raw"}`
    with offsets into its whole document's text (`lagrum.legal.annotate.annotate_document`). When the
    whole documents are given too (`sources`, as the legal splitter emits them), each gets
    `meta["lagrum_record"]`: the record-level annotations (all citations, its own identifiers, what it
    says it overturns or upholds) that Lagrum stores with the document.

    Usage example:
    ```python
    annotator = LegalReferenceAnnotator()
    passage = Document(content="Enligt 23 § kameraövervakningslagen ...", meta={"doc_id": "d", "index": 0, "start": 0, "end": 40})
    annotator.run(documents=[passage])["documents"][0].meta["citation_spans"][0]["canonical"]
    # 'SFS 2013:460 23 §'
    ```
    """

    def __init__(self) -> None:
        self._registry: Any = None

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "LegalReferenceAnnotator":
        return default_from_dict(cls, data)

    def warm_up(self) -> None:
        """Load the legal registry (statute names, authorities) once."""
        if self._registry is None:
            from lagrum.legal.registry import default_registry

            self._registry = default_registry()

    @component.output_types(documents=list[Document], sources=list[Document])
    def run(self, documents: list[Document], sources: list[Document] | None = None) -> dict[str, Any]:
        """:param documents: passages with `meta` `doc_id`, `index`, `start`, `end`.
        :param sources: their whole documents (content = the canonical text), optional.
        :returns: `documents` with `citation_spans`, `sources` with `lagrum_record`."""
        from lagrum.documents import Document as LegalDocument
        from lagrum.legal.annotate import annotate_document

        self.warm_up()
        by_doc: dict[str, list[int]] = {}
        for i, passage in enumerate(documents):
            if "doc_id" not in passage.meta or "start" not in passage.meta:
                raise ValueError(f"passage {passage.id!r} has no meta['doc_id'] / meta['start']: split documents with LegalSplitter first")
            by_doc.setdefault(passage.meta["doc_id"], []).append(i)
        out = list(documents)
        annotated_sources = []
        parents = {d.id: d for d in sources or []}
        for doc_id, positions in by_doc.items():
            chunks = [chunk_of(documents[i]) for i in positions]
            parent = parents.get(doc_id)
            record: dict[str, Any] = {}
            if parent is not None:
                annotate_document(document_to_legal(parent), chunks, record, self._registry)
            else:  # passages only: their own references (offsets still into the whole text)
                text = "\n".join(c.text for c in chunks)
                annotate_document(LegalDocument(id=doc_id, text=text), chunks, record, self._registry)
            for i, chunk in zip(positions, chunks):
                out[i] = replace(documents[i], meta={**documents[i].meta, "citation_spans": chunk.citations})
            if parent is not None:
                parents[doc_id] = replace(parent, meta={**parent.meta, "lagrum_record": record})
        annotated_sources = [parents[d.id] for d in sources or []]
        return {"documents": out, "sources": annotated_sources}
