"""`LagrumDocumentStore` against Haystack's own DocumentStore test mixins, on a real Edge shard,
and Haystack's own retriever and evaluator run on a real Lagrum index (real e5)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from haystack import Document
from haystack.testing.document_store import CountDocumentsTest, DeleteDocumentsTest, FilterDocumentsTest, WriteDocumentsTest

from lagrum.components import LagrumDocumentStore
from lagrum.lexical import Bm25Encoder
from lagrum.settings import Settings
from lagrum.store import open_store


class TestLagrumDocumentStoreMixins(CountDocumentsTest, DeleteDocumentsTest, FilterDocumentsTest, WriteDocumentsTest):
    """The mixins write 768-dimensional random embeddings: the shard here holds 768-dimensional
    vectors and no model (e5's are 384), so documents without an embedding keep none, as written."""

    @pytest.fixture
    def document_store(self, tmp_path):
        store = open_store(Settings().with_(data_dir=tmp_path), dim=768, create=True)
        yield LagrumDocumentStore(index=SimpleNamespace(store=store, embedder=None, bm25=Bm25Encoder()))
        store.close()

    def test_write_documents(self, document_store):
        """Default policy NONE behaves as FAIL (as Haystack's in-memory store)."""
        from haystack.document_stores.errors import DuplicateDocumentError

        doc = Document(content="test doc")
        assert document_store.write_documents([doc]) == 1
        with pytest.raises(DuplicateDocumentError):
            document_store.write_documents([doc])
        self.assert_documents_are_equal(document_store.filter_documents(), [doc])

    def assert_documents_are_equal(self, received, expected):
        """The store returns passages in its own (point id) order, not in write order, and keeps
        vectors as Qdrant does for cosine distance: float32, scaled to unit length. An embedding is
        read back as the unit vector in its direction."""
        import numpy as np

        received, expected = sorted(received, key=lambda d: d.id), sorted(expected, key=lambda d: d.id)
        assert [(d.id, d.content, d.meta) for d in received] == [(d.id, d.content, d.meta) for d in expected]
        for got, want in zip(received, expected):
            assert (got.embedding is None) == (want.embedding is None), got.id
            if want.embedding is not None:
                unit = np.asarray(want.embedding) / np.linalg.norm(want.embedding)
                assert np.allclose(got.embedding, unit, rtol=0, atol=1e-6), got.id


def test_the_store_lists_a_lagrum_index_as_passages_and_haystacks_retriever_runs_on_them(corpus_service):
    from haystack.components.evaluators import DocumentMRREvaluator
    from haystack.components.retrievers.in_memory import InMemoryEmbeddingRetriever
    from haystack.document_stores.in_memory import InMemoryDocumentStore

    from lagrum.components import E5TextEmbedder

    store = LagrumDocumentStore(index=corpus_service.index)
    assert store.count_documents() == corpus_service.index.store.count_chunks() > 0
    decisions = store.filter_documents({"field": "meta.doc_type", "operator": "==", "value": "beslut"})
    assert decisions and all(d.meta["doc_type"] == "beslut" and len(d.embedding) == 384 for d in decisions)
    webcam = store.filter_documents(
        {"operator": "AND", "conditions": [{"field": "meta.doc_id", "operator": "==", "value": "di-kameraovervakningen-hos-forsakringskassan-ar-olaglig"}, {"field": "meta.index", "operator": ">=", "value": 0}]}
    )
    assert webcam and all(d.id.startswith("di-kameraovervakningen-hos-forsakringskassan-ar-olaglig#") for d in webcam)

    memory = InMemoryDocumentStore()
    memory.write_documents(store.filter_documents())
    embedder = E5TextEmbedder()
    embedder.bind(corpus_service.index.embedder)
    vector = embedder.run(text="Får arbetsgivaren spela in de anställdas skärmar?")["embedding"]
    found = InMemoryEmbeddingRetriever(memory, top_k=5).run(query_embedding=vector)["documents"]
    assert found[0].meta["doc_id"] == "telia-vill-spela-in-anstalldas-skarmar"
    truth = [[Document(content="telia-vill-spela-in-anstalldas-skarmar")]]
    ranked = [[Document(content=d.meta["doc_id"]) for d in found]]
    assert DocumentMRREvaluator().run(ground_truth_documents=truth, retrieved_documents=ranked)["score"] == 1.0


def test_a_written_document_is_found_by_lagrums_hybrid_search(tmp_path, embedder):
    from lagrum.index import Index
    from lagrum.retrieval import Retriever

    index = Index.open(Settings().with_(data_dir=tmp_path), create=True, embedder=embedder)
    try:
        store = LagrumDocumentStore(index=index)
        store.write_documents([Document(id="note-1", content="Arbetsgivaren får inte kräva påslagen webbkamera hela dagen.", meta={"title": "Anteckning (påhittad)"})])
        hits = Retriever(index, registry=None).search("webbkamera", limit=3)
        assert hits and hits[0].chunk_id == "note-1" and hits[0].title == "Anteckning (påhittad)"
        with pytest.raises(ValueError, match="768 dimensions.*384"):
            store.write_documents([Document(id="x", content="y", embedding=[0.0] * 768)])
        with pytest.raises(ValueError, match="meta field 'kind' is Lagrum's own"):
            store.write_documents([Document(id="z", content="y", meta={"kind": "x"})])
    finally:
        index.close()


def test_the_store_works_on_the_qdrant_server_backend_too(tmp_path):
    """qdrant-client's local mode: the same client calls a Qdrant server receives. (Haystack's own
    QdrantDocumentStore refuses this collection: its vectors are named `dense`/`bm25`, not
    `text-dense`/`text-sparse`, and it was "created outside of Haystack".)"""
    settings = Settings().with_(data_dir=tmp_path, qdrant_url=f"local:{tmp_path / 'qdrant'}")
    store = open_store(settings, dim=4, create=True)
    try:
        documents = LagrumDocumentStore(index=SimpleNamespace(store=store, embedder=None, bm25=Bm25Encoder()))
        assert documents.write_documents([Document(id="a", content="kamera på jobbet", embedding=[1.0, 0, 0, 0], meta={"doc_type": "dom"}), Document(id="b", content="skärminspelning", meta={"doc_type": "beslut"})]) == 2
        assert documents.count_documents() == 2
        assert [d.id for d in documents.filter_documents({"field": "meta.doc_type", "operator": "==", "value": "dom"})] == ["a"]
        documents.delete_documents(["a", "missing"])
        assert [d.id for d in documents.filter_documents()] == ["b"]
    finally:
        store.close()
