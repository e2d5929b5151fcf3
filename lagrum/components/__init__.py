"""Lagrum's core pieces as Haystack components: embedders, reference annotator, retriever,
answer composer, and a `DocumentStore` over a Lagrum index.

They plug into any Haystack `Pipeline` and its YAML serialisation; `lagrum.app.pipelines` builds
Lagrum's own query and ingest pipelines from them (the ingest-only pieces — cleaner, legal
splitter, document writer — live in `ingest.components`, since the core never imports ingest).

>>> from haystack import Pipeline
>>> pipeline = Pipeline()
>>> pipeline.add_component("embedder", E5TextEmbedder())  # doctest: +SKIP
>>> pipeline.add_component("retriever", LagrumHybridRetriever(data_dir="data"))  # doctest: +SKIP
>>> pipeline.connect("embedder.embedding", "retriever.query_embedding")  # doctest: +SKIP
>>> pipeline.run({"embedder": {"text": "webbkamera"}, "retriever": {"query": "webbkamera"}})["retriever"]["documents"][0].meta["doc_id"]  # doctest: +SKIP
'di-kameraovervakningen-hos-forsakringskassan-ar-olaglig'
"""

import lagrum

if lagrum.HAYSTACK_TELEMETRY_DEFAULTED:  # haystack may have been imported first (Hayhooks, a user's script)
    import haystack.telemetry._telemetry as _haystack_telemetry

    _haystack_telemetry.telemetry = None

from lagrum.components.annotator import LegalReferenceAnnotator
from lagrum.components.answer_composer import LagrumAnswerComposer
from lagrum.components.document_embedder import E5DocumentEmbedder
from lagrum.components.document_store import LagrumDocumentStore
from lagrum.components.retriever import LagrumHybridRetriever
from lagrum.components.text_embedder import E5TextEmbedder

__all__ = [
    "E5DocumentEmbedder",
    "E5TextEmbedder",
    "LagrumAnswerComposer",
    "LagrumDocumentStore",
    "LagrumHybridRetriever",
    "LegalReferenceAnnotator",
]
