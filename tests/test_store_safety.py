"""No input may make the index unreadable; an index the engine refuses can be repaired.

Real parts: the bundled e5 model, real Qdrant Edge shards in temp dirs, the real CLI in
subprocesses (an abort or a SIGKILL must not take the test session down). The documents here
are made up for the tests.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lagrum.errors import InputError
from lagrum.store.limits import MAX_METADATA_DEPTH, PayloadRefused, check_metadata, check_payload, payload_depth

ROOT = Path(__file__).resolve().parent.parent


def nested(depth: int, leaf: object = "x") -> object:
    value: object = leaf
    for _ in range(depth):
        value = {"k": value}
    return value


def cli(data: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lagrum.app.cli", "--data", str(data), *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def test_payload_depth_is_measured_without_recursion():
    assert payload_depth({"a": 1}) == 1
    assert payload_depth(nested(5000)) == 5000  # far beyond Python's recursion limit


@pytest.mark.parametrize("depth", [122, 128, 130, 5000])
def test_deep_metadata_is_refused_naming_the_field(depth):
    with pytest.raises(InputError) as caught:
        check_metadata({"court": nested(depth)}, "bulk.jsonl:3")
    assert caught.value.source == "bulk.jsonl:3"
    assert "'court.k.k" in caught.value.reason and f"more than {MAX_METADATA_DEPTH} levels" in caught.value.reason


@pytest.mark.parametrize(
    "value, words",
    [(2**70, "beyond 64 bits"), (-(2**64), "beyond 64 bits"), (float("nan"), "NaN"), (float("inf"), "NaN or infinite")],
)
def test_values_the_store_would_change_or_refuse_are_named(value, words):
    with pytest.raises(InputError, match=words):
        check_metadata({"amount": [1, {"sek": value}]}, "x.json")


def test_store_refuses_an_unreadable_payload_before_writing(fresh_settings):
    from lagrum.store.edge import EdgeStore

    path = fresh_settings.index_dir
    store = EdgeStore.open(path, dim=4)
    with pytest.raises(PayloadRefused, match="nothing was written"):
        store.put_document({"id": "deep", "text": "x", "meta": nested(130)})
    store.put_document({"id": "fine", "text": "x", "meta": nested(20)})
    store.close()
    reopened = EdgeStore.open(path, dim=4, create=False)
    assert reopened.get_document("deep") is None and reopened.get_document("fine") is not None
    reopened.close()


def test_deep_jsonl_line_front_matter_and_json_file_are_refused_and_the_batch_goes_on(tmp_path):
    """Audit defect 1: depth >= 122 was accepted ("1 ingested") and the next open failed for good."""
    docs = tmp_path / "in"
    docs.mkdir()
    deep = json.dumps({"id": "deep-line", "text": "Beslut om kamerabevakning i lagret.", "meta": nested(130)})
    fine = json.dumps({"id": "fine-line", "text": "Beslut om kamerabevakning i butiken."})
    (docs / "bulk.jsonl").write_text(deep + "\n" + fine + "\n", encoding="utf-8")
    front = "---\nid: deep-md\nmeta: " + "{k: " * 125 + "x" + "}" * 125 + "\n---\nText om webbkameror.\n"
    (docs / "deep.md").write_text(front, encoding="utf-8")
    (docs / "very-deep.json").write_text('{"id": "very-deep", "text": "t", "m": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    data = tmp_path / "data"
    done = cli(data, "ingest", str(docs), "--json")
    assert "Traceback" not in done.stderr, done.stderr
    summary = json.loads(done.stdout)
    assert summary["ingested"] == 1 and summary["failed"] == 3, summary
    errors = {e["source"]: e["error"] for e in summary["errors"]}
    assert any(s.endswith("bulk.jsonl:1") and "levels deep" in e for s, e in errors.items()), errors
    assert any(s.endswith("deep.md") and "levels deep" in e for s, e in errors.items()), errors
    assert any(s.endswith("very-deep.json") and "nested too deeply" in e for s, e in errors.items()), errors
    stats = cli(data, "stats", "--json")
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["documents"] == 1


_BREAK = """
import os, sys, uuid
import qdrant_edge as qe
from lagrum.store.base import document_point_id, point_id
shard = qe.EdgeShard.load(sys.argv[1])
# What an older Lagrum let through: a document (and one chunk) nested 130 levels deep.
deep = x = {}
for _ in range(130):
    x["k"] = {}
    x = x["k"]
record = {"id": "deep-doc", "doc_id": "deep-doc", "kind": "document", "state": "complete", "text": "t", "chunk_count": 1, "meta": deep}
shard.update(qe.UpdateOperation.upsert_points([qe.Point(document_point_id("deep-doc"), {}, record)]))
chunk = {"doc_id": "deep-doc", "kind": "chunk", "chunk_id": "deep-doc#0", "text": "t"}
shard.update(qe.UpdateOperation.upsert_points([qe.Point(point_id("deep-doc#0"), {}, chunk)]))
print("written", flush=True)
os.kill(os.getpid(), 9)  # killed before any flush: the update lives only in the write-ahead log
"""


def test_an_index_the_engine_refuses_is_explained_and_repaired(tmp_path):
    docs = tmp_path / "in"
    docs.mkdir()
    (docs / "a.txt").write_text("Beslut om kamerabevakning\n\nIMY förelägger bolaget att ta ned kamerorna i personalrummet.", encoding="utf-8")
    (docs / "b.txt").write_text("Dom om webbkameror\n\nFörvaltningsrätten upphäver beslutet om webbkameror.", encoding="utf-8")
    data = tmp_path / "data"
    assert cli(data, "ingest", str(docs)).returncode == 0
    broken = subprocess.run([sys.executable, "-c", _BREAK, str(data / "index")], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "written" in broken.stdout and broken.returncode == -signal.SIGKILL, broken.stderr

    refused = cli(data, "stats")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "lagrum" in refused.stderr and "repair" in refused.stderr, refused.stderr

    repaired = cli(data, "repair", "--json")
    assert repaired.returncode == 0, repaired.stderr
    report = json.loads(repaired.stdout)
    assert report["lost_documents"] == ["deep-doc"]
    assert report["documents"] == 2 and report["wal_entries_lost"] >= 1
    assert Path(report["backup"]).is_dir()  # the damaged index is kept, untouched

    stats = json.loads(cli(data, "stats", "--json").stdout)
    assert stats["documents"] == 2 and stats["chunks"] >= 2
    hits = json.loads(cli(data, "search", "webbkameror", "--json").stdout)
    assert {h["doc_id"] for h in hits["hits"]} <= {"a", "b"} and hits["hits"]


_KILL_MID_UPDATE = """
import os, sys
from pathlib import Path
from ingest.loaders import iter_documents
from ingest.pipeline import IngestPipeline
from lagrum.index import Index
from lagrum.settings import Settings

index = Index.open(Settings().with_(data_dir=Path(sys.argv[1])))
store = index.store
original = store.put_document
def put_document(record, title_vector=None):
    if record.get("state") == "complete":
        os.kill(os.getpid(), 9)  # the new chunks are written, the document is still pending
    original(record, title_vector)
store.put_document = put_document
IngestPipeline(index).ingest(iter_documents([Path(sys.argv[2])]))
"""


def test_a_document_cut_short_is_invisible_to_search_and_payload_indexes_come_back(tmp_path, embedder):
    """Audit defect 6: after a kill mid-update the pending document's chunks were searchable."""
    import qdrant_edge as qe

    from lagrum.index import Index
    from lagrum.settings import Settings
    from lagrum.store.base import PAYLOAD_INDEXES

    docs = tmp_path / "in"
    docs.mkdir()
    (docs / "tangent.txt").write_text("Tangentloggning på kontoret\n\nArbetsgivaren installerade tangentloggare på alla datorer.", encoding="utf-8")
    data = tmp_path / "data"
    killed = subprocess.run([sys.executable, "-c", _KILL_MID_UPDATE, str(data), str(docs)], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    # A first ingest killed early can leave payload indexes out: drop one to stand for that.
    shard = qe.EdgeShard.load(str(data / "index"))
    shard.update(qe.UpdateOperation.delete_field_index("doc_type"))
    shard.close()

    index = Index.open(Settings().with_(data_dir=data), embedder=embedder)
    try:
        assert index.store.get_document("tangent", with_text=False)["state"] == "pending"
        assert index.store.count_chunks() == 0  # the pending document's chunks left the index
        assert set(PAYLOAD_INDEXES) <= set(index.store._shard.info().payload_schema)
        from lagrum.app.service import LagrumService

        service = LagrumService(index)
        assert not [h for h in service.search("tangentloggare")["hits"] if h["doc_id"] == "tangent"]
        from ingest.loaders import iter_documents
        from ingest.pipeline import IngestPipeline

        summary = IngestPipeline(index).ingest(iter_documents([docs]))
        assert summary.ingested == 1  # the next ingest redoes it
        assert index.store.get_document("tangent", with_text=False)["state"] == "complete"
    finally:
        index.close()
