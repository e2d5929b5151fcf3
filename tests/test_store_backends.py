"""One store test suite, run against both backends: the embedded Edge shard and qdrant-client.

A real Qdrant server is not available here (no Docker, no network). The second backend is
qdrant-client's local mode (`LAGRUM_QDRANT_URL=local:DIR`): `ServerStore` makes the same
client API calls a server receives (create_collection, upsert, query_points, scroll, count,
delete), and local mode executes them in Python. What it cannot prove: sharding, replication,
write consistency and network errors; deploy/README.md says how to check those on a cluster.

All documents here are fictional test material (ids prefixed `test-`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lagrum.filters import SearchFilters
from lagrum.lexical import Bm25Encoder
from lagrum.settings import Settings
from lagrum.store.base import ChunkPoint, Search, StoredPoint, document_point_id, point_id

from conftest import CORPUS

DIM = 16
DOCS = [
    {
        "id": "test-store-beslut",
        "title": "Fiktivt tillsynsbeslut om kamerabevakning",
        "doc_type": "beslut",
        "language": "sv",
        "source": "Testmyndigheten",
        "date": "2015-12-18",
        "citations": ["SFS 2013:460"],
        "texts": [
            "Testmyndigheten förelägger bolaget att upphöra med kamerabevakningen av personalen.",
            "Kamerorna i personalrummet saknar stöd i kameraövervakningslagen enligt myndigheten.",
            "Beslutet kan överklagas till förvaltningsrätten inom tre veckor.",
        ],
    },
    {
        "id": "test-store-dom",
        "title": "Fiktiv dom om webbkameror",
        "doc_type": "dom",
        "language": "sv",
        "source": "Testdomstolen",
        "date": "2016-10-20",
        "citations": ["SFS 2013:460", "SFS 2013:460 23 §"],
        "texts": [
            "Domstolen upphäver föreläggandet om webbkameror i handläggarnas arbete.",
            "Webbkamerorna sköttes på plats av handläggarna och lagen var därför inte tillämplig.",
            "Överklagandet bifalls och målet avgörs utan muntlig förhandling.",
        ],
    },
    {
        "id": "test-store-nyhet",
        "title": "Fictional news item on screen recording",
        "doc_type": "nyhet",
        "language": "en",
        "source": "Test News",
        "date": "2019-03-01",
        "citations": [],
        "texts": [
            "A fictional company plans to record the screens of its customer service staff.",
            "Unions say screen recording of employees needs a clear legal basis.",
            "The company says the recordings will be kept for thirty days.",
        ],
    },
]


def _open(kind: str, root: Path):
    if kind == "edge":
        from lagrum.store.edge import EdgeStore

        return EdgeStore.open(root / "edge", dim=DIM)
    if kind == "edge-int8":  # the layout for a million chunks: int8 in RAM, originals on disk, rescored
        from lagrum.store.edge import EdgeStore

        return EdgeStore.open(root / "edge-int8", dim=DIM, quantization="int8", hnsw_ef=64, oversampling=2.0)
    from lagrum.store.server import ServerStore

    return ServerStore.open(f"local:{root / 'local'}", dim=DIM)


def _fill(store) -> None:
    rng = np.random.default_rng(7)
    bm25 = Bm25Encoder()
    for d, doc in enumerate(DOCS):
        store.put_document({k: v for k, v in doc.items() if k != "texts"} | {"text": " ".join(doc["texts"]), "state": "complete"})
        centre = rng.normal(size=DIM)
        chunks = []
        for i, text in enumerate(doc["texts"]):
            vector = centre + 0.3 * rng.normal(size=DIM)
            payload = {k: doc[k] for k in ("doc_type", "language", "source", "date", "citations", "title")}
            payload |= {"doc_id": doc["id"], "chunk_id": f"{doc['id']}#{i}", "index": i, "text": text}
            chunks.append(ChunkPoint(point_id(payload["chunk_id"]), (vector / np.linalg.norm(vector)).tolist(), bm25.document(text), payload))
        store.upsert_chunks(chunks)
    store.set_meta({"embedder": "test", "dim": DIM})
    store.flush()


@pytest.fixture(params=["edge", "edge-int8", "local"])
def store(request, tmp_path):
    store = _open(request.param, tmp_path)
    _fill(store)
    yield store
    store.close()


def _query_vector(doc_index: int) -> list[float]:
    """The mean of a document's chunk vectors: its own chunks must rank first."""
    rng = np.random.default_rng(7)
    centres = []
    for doc in DOCS:
        centre = rng.normal(size=DIM)
        for _ in doc["texts"]:
            rng.normal(size=DIM)
        centres.append(centre)
    return (centres[doc_index] / np.linalg.norm(centres[doc_index])).tolist()


def test_backend_names(store):
    assert store.backend in ("edge", "local")


def test_documents_put_get_and_list(store):
    record = store.get_document("test-store-dom")
    assert record["title"] == "Fiktiv dom om webbkameror" and record["kind"] == "document" and record["text"]
    assert "text" not in store.get_document("test-store-dom", with_text=False)
    assert store.get_document("test-missing") is None
    listed = {r["id"]: r for r in store.document_records()}
    assert set(listed) == {d["id"] for d in DOCS}
    assert all("text" not in r for r in listed.values())
    assert all(r["text"] for r in store.document_records(with_text=True))
    assert store.count_documents() == 3


def test_delete_document_removes_its_chunks(store):
    assert store.delete_document("test-store-nyhet") is True
    assert store.get_document("test-store-nyhet") is None
    assert store.chunks_of("test-store-nyhet") == []
    assert store.count_chunks() == 6 and store.count_documents() == 2
    assert store.delete_document("test-store-nyhet") is False


def test_chunks_of_is_ordered_and_counts_exclude_other_kinds(store):
    chunks = store.chunks_of("test-store-beslut")
    assert [c["index"] for c in chunks] == [0, 1, 2]
    assert all(c["kind"] == "chunk" for c in chunks)
    assert store.count_chunks() == 9
    assert store.count_points() == 9 + 3 + 1  # chunks + documents + meta
    store.delete_chunks("test-store-beslut")
    assert store.count_chunks() == 6 and store.get_document("test-store-beslut") is not None


def test_upsert_is_idempotent(store):
    before = store.count_points()
    _fill(store)
    assert store.count_points() == before


def test_dense_search_ranks_the_nearest_document_first(store):
    hits = store.search_dense(_query_vector(1), limit=3)
    assert [h.payload["doc_id"] for h in hits] == ["test-store-dom"] * 3
    assert hits[0].score >= hits[1].score >= hits[2].score


def test_sparse_search_finds_exact_terms(store):
    bm25 = Bm25Encoder()
    hits = store.search_sparse(bm25.query("personalrummet kameraövervakningslagen"), limit=3)
    assert hits[0].payload["chunk_id"] == "test-store-beslut#1"
    assert store.search_sparse(bm25.query("och"), limit=3) == []  # a stopword only: no terms, no hits


def test_search_batch_matches_single_searches_and_reads_only_what_is_asked(store):
    bm25 = Bm25Encoder()
    sparse = bm25.query("personalrummet kameraövervakningslagen")
    filters = SearchFilters(doc_types=("beslut", "dom"))
    searches = [
        Search(_query_vector(1), 4),
        Search(sparse, 4, payload=False),
        Search(bm25.query("och"), 4),  # no terms: an empty list in its place, the others unaffected
        Search(_query_vector(2), 4, filters, payload=("doc_id",)),
    ]
    dense, ids_only, empty, selected = store.search_batch(searches)
    assert [(h.id, h.payload) for h in dense] == [(point_id(h.payload["chunk_id"]), h.payload) for h in store.search_dense(_query_vector(1), 4)]
    assert [h.id for h in ids_only] == [point_id(h.payload["chunk_id"]) for h in store.search_sparse(sparse, 4)]
    assert all(h.payload == {} for h in ids_only) and empty == []
    assert selected and all(set(h.payload) == {"doc_id"} and h.payload["doc_id"] in {"test-store-beslut", "test-store-dom"} for h in selected)
    assert [h.id for h in selected] == [point_id(h.payload["chunk_id"]) for h in store.search_dense(_query_vector(2), 4, filters)]
    payloads = store.payloads([h.id for h in ids_only] + [point_id("no-such-chunk")])
    assert set(payloads) == {h.id for h in ids_only}  # an id that does not exist is left out
    assert payloads[ids_only[0].id]["chunk_id"] == "test-store-beslut#1" and payloads[ids_only[0].id]["text"]
    assert store.payloads([]) == {}


def test_exact_dense_search_agrees_with_numpy(store):
    query = _query_vector(0)
    exact = store.search_batch([Search(query, 9, payload=False, exact=True)])[0]
    vectors = {p.id: np.asarray(p.dense) for batch, _ in store.iter_points() for p in batch if p.payload.get("kind") == "chunk"}
    truth = sorted(vectors, key=lambda i: -float(vectors[i] @ query / np.linalg.norm(vectors[i]) / np.linalg.norm(query)))
    assert [h.id for h in exact] == truth


FILTER_CASES = [
    (SearchFilters(doc_types=("beslut",)), {"test-store-beslut"}),
    (SearchFilters(doc_types=("beslut", "dom")), {"test-store-beslut", "test-store-dom"}),
    (SearchFilters(languages=("en",)), {"test-store-nyhet"}),
    (SearchFilters(sources=("Testdomstolen",)), {"test-store-dom"}),
    (SearchFilters(since="2016-01-01"), {"test-store-dom", "test-store-nyhet"}),
    (SearchFilters(until="2016-10-20"), {"test-store-beslut", "test-store-dom"}),
    (SearchFilters(since="2015-12-18", until="2015-12-18"), {"test-store-beslut"}),
    (SearchFilters(doc_ids=("test-store-nyhet", "test-store-dom")), {"test-store-dom", "test-store-nyhet"}),
    (SearchFilters(citations=("SFS 2013:460 23 §",)), {"test-store-dom"}),
    (SearchFilters(citations=("SFS 2013:460",), since="2016-01-01"), {"test-store-dom"}),
]


def test_filters_on_type_language_source_dates_ids_and_citations(store):
    query = Bm25Encoder().query("bolaget webbkameror screen kamerabevakningen")
    for filters, expected_docs in FILTER_CASES:
        dense = store.search_dense(_query_vector(2), limit=20, filters=filters)
        assert {h.payload["doc_id"] for h in dense} == expected_docs, filters
        assert store.count_chunks(filters) == 3 * len(expected_docs), filters
        assert {c["doc_id"] for c in store.find_chunks(filters)} == expected_docs, filters
        sparse = store.search_sparse(query, limit=20, filters=filters)
        assert sparse and {h.payload["doc_id"] for h in sparse} <= expected_docs, filters


def test_meta_round_trip(store):
    assert store.get_meta() == {"embedder": "test", "dim": DIM, "kind": "meta"}
    store.set_meta({"embedder": "other", "dim": DIM})
    assert store.get_meta()["embedder"] == "other"


def test_iter_points_and_write_points_round_trip(store, tmp_path):
    batches = list(store.iter_points(batch=4))
    points = [p for batch, _ in batches for p in batch]
    assert len(points) == 13 and len(batches) == 4 and batches[-1][1] is None
    resumed = [p.id for batch, _ in store.iter_points(batch=4, offset=batches[0][1]) for p in batch]
    assert resumed == [p.id for p in points[4:]]
    by_id = {p.id: p for p in points}
    chunk = by_id[point_id("test-store-dom#1")]
    assert len(chunk.dense) == DIM and chunk.sparse.indices
    assert by_id[document_point_id("test-store-dom")].dense is None

    other_kind = "local" if store.backend == "edge" else "edge"
    other = _open(other_kind, tmp_path / "copy")
    try:
        other.write_points(points)
        assert other.count_points() == 13 and other.count_documents() == 3 and other.count_chunks() == 9
        copied = {p.id: p for batch, _ in other.iter_points(batch=100) for p in batch}
        assert copied[chunk.id].payload == chunk.payload
        assert np.allclose(copied[chunk.id].dense, chunk.dense, atol=1e-6)
        assert copied[chunk.id].sparse.indices == chunk.sparse.indices
    finally:
        other.close()


def test_both_backends_rank_alike(tmp_path):
    stores = [_open("edge", tmp_path), _open("local", tmp_path)]
    try:
        for s in stores:
            _fill(s)
        bm25 = Bm25Encoder()
        for d in range(3):
            dense = [s.search_dense(_query_vector(d), limit=9) for s in stores]
            assert [h.payload["chunk_id"] for h in dense[0]] == [h.payload["chunk_id"] for h in dense[1]]
            assert np.allclose([h.score for h in dense[0]], [h.score for h in dense[1]], atol=1e-4)
        for query in ("webbkameror handläggare", "kamerabevakningen personalrummet", "screen recording employees"):
            sparse = [s.search_sparse(bm25.query(query), limit=9) for s in stores]
            assert [h.payload["chunk_id"] for h in sparse[0]] == [h.payload["chunk_id"] for h in sparse[1]], query
            assert np.allclose([h.score for h in sparse[0]], [h.score for h in sparse[1]], rtol=1e-3), query
    finally:
        for s in stores:
            s.close()


def test_server_store_errors_name_the_setting_and_what_to_do(tmp_path):
    from lagrum.errors import IndexLockedError, LagrumError
    from lagrum.store.server import ServerStore

    with pytest.raises(LagrumError, match="not a Qdrant address"):
        ServerStore.open("qdrant:6333", dim=DIM)
    with pytest.raises(LagrumError, match="no collection"):
        ServerStore.open(f"local:{tmp_path / 'empty'}", dim=DIM, create=False)
    first = ServerStore.open(f"local:{tmp_path / 'held'}", dim=DIM)
    with pytest.raises(IndexLockedError, match="in use by another process"):
        ServerStore.open(f"local:{tmp_path / 'held'}", dim=DIM)
    first.close()
    with pytest.raises(LagrumError, match="dense size 16"):
        ServerStore.open(f"local:{tmp_path / 'held'}", dim=DIM + 1)


def test_search_end_to_end_on_local_mode_matches_edge(tmp_path, embedder):
    """Real e5, real ingest pipeline: the same top document on the Edge shard and on qdrant-client."""
    from ingest.loaders import iter_documents
    from ingest.pipeline import IngestPipeline
    from lagrum.index import Index
    from lagrum.app.service import LagrumService

    files = [CORPUS / "telia-vill-spela-in-anstalldas-skarmar.txt", CORPUS / "di-kameraovervakningen-hos-forsakringskassan-ar-olaglig.txt"]
    base = Settings().with_(data_dir=tmp_path / "edge-data")
    results = {}
    for name, settings in (("edge", base), ("local", base.with_(data_dir=tmp_path / "local-data", qdrant_url=f"local:{tmp_path / 'qdrant'}"))):
        index = Index.open(settings, embedder=embedder)
        service = LagrumService(index)
        try:
            summary = IngestPipeline(index).ingest(iter_documents(files))
            assert summary.failed == 0 and summary.ingested == 2, summary.errors
            assert index.stats()["backend"] == name
            results[name] = [
                [h["doc_id"] for h in service.search(q, limit=3)["hits"]]
                for q in ("Får arbetsgivaren spela in de anställdas skärmar?", "is mandatory webcam use legal")
            ]
            results[name + "-stats"] = {k: v for k, v in index.stats().items() if k != "backend"}
        finally:
            service.close()
    assert results["edge"][0][0] == results["local"][0][0] == "telia-vill-spela-in-anstalldas-skarmar"
    assert results["edge"][1][0] == results["local"][1][0]
    assert results["edge-stats"] == results["local-stats"]


def test_int8_layout_is_recorded_with_the_shard_and_kept_on_reopen(tmp_path):
    import json

    from lagrum.store.edge import EdgeStore

    store = EdgeStore.open(tmp_path / "q", dim=DIM, quantization="int8")
    store.close()
    config = (tmp_path / "q" / "edge_config.json").read_text()
    assert "int8" in config.lower() and "cold" in config.lower(), config[:500]
    reopened = EdgeStore.open(tmp_path / "q", dim=DIM, quantization=None)  # an existing shard keeps its layout
    reopened.close()
    assert json.loads((tmp_path / "q" / "edge_config.json").read_text()) == json.loads(config)


def test_quantized_shards_search_with_rescoring_unless_told_otherwise(tmp_path):
    from lagrum.store.edge import DEFAULT_HNSW_EF, QUANTIZED_OVERSAMPLING, EdgeStore

    cases = [
        ("plain", None, {}, (DEFAULT_HNSW_EF, None)),  # no rescoring without quantization
        ("q", "int8", {}, (DEFAULT_HNSW_EF, QUANTIZED_OVERSAMPLING)),
        ("q", None, {}, (DEFAULT_HNSW_EF, QUANTIZED_OVERSAMPLING)),  # reopened: the shard is still int8
        ("q", None, {"hnsw_ef": 64}, (64, QUANTIZED_OVERSAMPLING)),
        ("q", None, {"hnsw_ef": 512, "oversampling": 3.0}, (512, 3.0)),
        ("plain", None, {"hnsw_ef": 64}, (64, None)),
    ]
    for name, quantization, given, expected in cases:
        store = EdgeStore.open(tmp_path / name, dim=DIM, quantization=quantization, **given)
        try:
            assert (store.hnsw_ef, store.oversampling) == expected, (name, quantization, given)
            _fill(store)
            assert store.search_dense(_query_vector(1), 3)[0].payload["doc_id"] == "test-store-dom"
        finally:
            store.close()


def test_warm_reads_the_segment_files_unless_they_would_crowd_memory(tmp_path):
    from lagrum.settings import Settings
    from lagrum.store.edge import EdgeStore

    store = EdgeStore.open(tmp_path / "w", dim=DIM, quantization="int8")
    try:
        _fill(store)
        store.flush()
        size = sum(f.stat().st_size for f in (tmp_path / "w" / "segments").rglob("*") if f.is_file())
        assert size > 0 and store.warm() == size
        assert store.warm(budget=0.0) == 0  # more than the share of available memory: skipped
        assert store.search_dense(_query_vector(1), 1)[0].payload["doc_id"] == "test-store-dom"
    finally:
        store.close()
    assert Settings.from_env({}).edge_warm and not Settings.from_env({"LAGRUM_EDGE_WARM": "0"}).edge_warm


def test_edge_settings_are_validated():
    from lagrum.errors import LagrumError
    from lagrum.settings import Settings

    settings = Settings.from_env({"LAGRUM_EDGE_QUANTIZATION": "int8", "LAGRUM_EDGE_HNSW_EF": "128", "LAGRUM_EDGE_OVERSAMPLING": "2"})
    assert (settings.edge_quantization, settings.edge_hnsw_ef, settings.edge_oversampling) == ("int8", 128, 2.0)
    with pytest.raises(LagrumError, match="LAGRUM_EDGE_QUANTIZATION"):
        Settings.from_env({"LAGRUM_EDGE_QUANTIZATION": "binary"})
    with pytest.raises(LagrumError, match="LAGRUM_EDGE_OVERSAMPLING"):
        Settings.from_env({"LAGRUM_EDGE_OVERSAMPLING": "lots"})


def test_title_vectors_ride_on_document_points_and_never_reach_searches(store):
    vector = np.ones(DIM) / np.sqrt(DIM)
    record = {"id": "title-test", "title": "T", "text": "x", "state": "complete"}
    store.put_document(record, vector.tolist())
    store.flush()
    got = store.title_vectors(["title-test", DOCS[0]["id"], "no-such-document"])
    assert set(got) == {"title-test"}  # documents stored without one are simply absent
    assert np.allclose(got["title-test"], vector, atol=1e-2)  # int8 layouts may round
    hits = store.search_dense(vector.tolist(), 50)
    assert hits and all(h.payload.get("kind", "chunk") == "chunk" and h.payload["doc_id"] != "title-test" for h in hits)
    assert store.get_document("title-test")["title"] == "T"
