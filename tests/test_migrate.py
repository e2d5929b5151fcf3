"""`lagrum migrate`: Edge shard -> qdrant-client collection -> Edge shard, resumable, verified.

A real Qdrant server is not available here; the server side is qdrant-client's local mode
(`local:DIR`), which executes the same client API calls (scroll, upsert, count) a server
receives. All documents are fictional test material (ids prefixed `test-`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lagrum.app.cli import main as lagrum_main
from lagrum.app.cli_migrate import migrate, open_pair, progress_path
from lagrum.filters import SearchFilters
from lagrum.lexical import Bm25Encoder
from lagrum.settings import Settings
from lagrum.store.base import ChunkPoint, point_id
from lagrum.store.edge import EdgeStore

DIM = 24
CHUNKS_PER_DOC = 30
WORDS = "kamera bevakning personal arbetsgivare beslut dom tillsyn journal skärm inspelning samtycke ändamål".split()


def _build_edge(data: Path) -> None:
    rng = np.random.default_rng(11)
    bm25 = Bm25Encoder()
    store = EdgeStore.open(data / "index", dim=DIM)
    try:
        store.set_meta({"embedder": "test", "dim": DIM, "bm25": bm25.config_id, "schema": 1})
        for d, doc_type in enumerate(("beslut", "dom", "nyhet")):
            doc_id = f"test-migrate-{d}"
            store.put_document({"id": doc_id, "title": f"Testdokument {d}", "doc_type": doc_type, "text": "fiktiv text", "state": "complete"})
            centre = rng.normal(size=DIM)
            chunks = []
            for i in range(CHUNKS_PER_DOC):
                text = " ".join(rng.choice(WORDS, size=8))
                vector = centre + 0.5 * rng.normal(size=DIM)
                payload = {"doc_id": doc_id, "chunk_id": f"{doc_id}#{i}", "index": i, "text": text, "doc_type": doc_type, "date": f"201{d}-05-0{1 + i % 9}", "citations": []}
                chunks.append(ChunkPoint(point_id(payload["chunk_id"]), (vector / np.linalg.norm(vector)).tolist(), bm25.document(text), payload))
            store.upsert_chunks(chunks)
    finally:
        store.close()


def _results(store) -> list[list[str]]:
    rng = np.random.default_rng(5)
    bm25 = Bm25Encoder()
    out = []
    for _ in range(5):
        vector = rng.normal(size=DIM)
        out.append([h.payload["chunk_id"] for h in store.search_dense((vector / np.linalg.norm(vector)).tolist(), 10)])
        out.append([h.payload["chunk_id"] for h in store.search_dense(vector.tolist(), 10, SearchFilters(doc_types=("dom",)))])
    for query in ("kamera personal", "skärm inspelning samtycke", "tillsyn journal"):
        # random word salad gives many equal BM25 scores; order ties by id so both stores agree
        hits = store.search_sparse(bm25.query(query), 100)
        out.append(sorted(f"{-round(h.score, 4):.4f} {h.payload['chunk_id']}" for h in hits))
    return out


def _run(capsys, *args: str) -> tuple[int, dict]:
    code = lagrum_main(list(args))
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_edge_to_local_to_edge_round_trip_keeps_counts_and_results(tmp_path, capsys):
    source_data, back_data = tmp_path / "a", tmp_path / "b"
    url = f"local:{tmp_path / 'qdrant'}"
    _build_edge(source_data)
    original = EdgeStore.open(source_data / "index", dim=DIM, create=False)
    expected = _results(original)
    original.close()

    code, summary = _run(capsys, "--data", str(source_data), "migrate", "--to", url, "--batch", "25", "--json")
    assert code == 0 and summary["verified"], summary
    assert summary["counts"]["target"] == {"points": 94, "documents": 3, "chunks": 90}
    assert summary["batches"] == 4 and summary["target_backend"] == "local" and not summary["resumed"]

    from lagrum.store.server import ServerStore

    server = ServerStore.open(url, dim=DIM, create=False)
    assert _results(server) == expected
    assert server.get_meta()["embedder"] == "test"
    server.close()

    code, summary = _run(capsys, "--data", str(back_data), "migrate", "--from", url, "--json")
    assert code == 0 and summary["verified"] and summary["target_backend"] == "edge"
    assert summary["counts"]["target"] == {"points": 94, "documents": 3, "chunks": 90}
    back = EdgeStore.open(back_data / "index", dim=DIM, create=False)
    try:
        assert _results(back) == expected
        assert back.get_document("test-migrate-1")["doc_type"] == "dom"
    finally:
        back.close()


def test_interrupted_migration_resumes_from_the_recorded_offset(tmp_path, capsys):
    data = tmp_path / "data"
    _build_edge(data)
    settings = Settings().with_(data_dir=data, qdrant_url=f"local:{tmp_path / 'qdrant'}")
    progress = progress_path(settings, "to")

    def crash_after_first_batch(n: int) -> None:
        raise KeyboardInterrupt("simulated crash")

    source, target = open_pair(settings, "to")
    try:
        with pytest.raises(KeyboardInterrupt):
            migrate(source, target, progress, batch=20, after_batch=crash_after_first_batch)
        assert target.count_points() == 20
    finally:
        source.close()
        target.close()
    state = json.loads(progress.read_text())
    assert state["copied"] == 20 and state["offset"] and not state["done"]

    code, summary = _run(capsys, "--data", str(data), "migrate", "--to", settings.qdrant_url, "--batch", "20", "--json")
    assert code == 0 and summary["verified"] and summary["resumed"]
    assert summary["batches"] == 4 and summary["copied"] == 94  # 74 more points: it did not start over
    assert json.loads(progress.read_text())["done"] is True


def test_migrate_reports_a_missing_source_clearly(tmp_path, capsys):
    code = lagrum_main(["--data", str(tmp_path / "none"), "migrate", "--to", f"local:{tmp_path / 'q'}"])
    assert code == 2
    assert "no index at" in capsys.readouterr().err
    code = lagrum_main(["--data", str(tmp_path / "none"), "migrate", "--from", f"local:{tmp_path / 'q'}"])
    assert code == 2
    assert "no collection 'lagrum'" in capsys.readouterr().err
