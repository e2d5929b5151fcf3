"""Appeal chains and external targets: a decision's status follows its last instance.

All documents here are MADE UP for the test (fictional authority "Tillsynsnämnden", fictional
numbers dnr 4711-2019, mål 5555-19, mål 6666-19), written the way Swedish courts write: the
head names the reviewed decision, the operative part decides on it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from lagrum.documents import Document
from lagrum.legal.annotate import annotate_document
from lagrum.legal.graph import build_graph, standing

ROOT = Path(__file__).resolve().parents[1]

DECISION = {
    "id": "chain-beslut", "title": "Tillsynsnämndens beslut om loggar (påhittat)", "date": "2019-03-01", "doc_type": "beslut",
    "source": "Tillsynsnämnden",
    "text": "Tillsynsnämnden\nBeslut\nDnr 4711-2019\n\nTillsynsnämnden förelägger bolaget att radera loggarna över de anställdas inloggningar.",
}
FIRST = {
    "id": "chain-fr", "title": "Förvaltningsrättens dom om loggar (påhittat)", "date": "2019-09-10", "doc_type": "dom",
    "source": "Förvaltningsrätten i Stockholm",
    "text": (
        "FÖRVALTNINGSRÄTTEN I STOCKHOLM DOM\nMål nr 5555-19\n\nÖVERKLAGAT BESLUT\nTillsynsnämndens beslut den 1 mars 2019, dnr 4711-2019\n\n"
        "DOMSLUT\nFörvaltningsrätten bifaller överklagandet och upphäver Tillsynsnämndens beslut.\n\n"
        "SKÄL\nLoggarna behövs för att bolaget ska kunna följa upp behörigheterna."
    ),
}
SECOND_CHANGES = {
    "id": "chain-kr", "title": "Kammarrättens dom om loggar (påhittat)", "date": "2020-04-02", "doc_type": "dom",
    "source": "Kammarrätten i Stockholm",
    "text": (
        "KAMMARRÄTTEN I STOCKHOLM DOM\nMål nr 6666-19\n\nÖVERKLAGAT AVGÖRANDE\nFörvaltningsrätten i Stockholms dom den 10 september 2019 i mål nr 5555-19\n\n"
        "DOMSLUT\nKammarrätten upphäver förvaltningsrättens dom och fastställer Tillsynsnämndens beslut.\n\n"
        "BAKGRUND\nTillsynsnämndens beslut den 1 mars 2019 (dnr 4711-2019) förelade bolaget att radera loggarna. "
        "Förvaltningsrätten upphävde beslutet. Tillsynsnämnden har överklagat domen."
    ),
}
SECOND_UPHOLDS = {
    **SECOND_CHANGES,
    "text": SECOND_CHANGES["text"].replace("Kammarrätten upphäver förvaltningsrättens dom och fastställer Tillsynsnämndens beslut.", "Kammarrätten avslår överklagandet."),
}


def _records(*items: dict) -> list[dict]:
    out = []
    for item in items:
        document = Document(**item)
        record = {**document.metadata(), "state": "complete"}
        annotate_document(document, [], record)
        out.append(record)
    return out


def test_a_later_instance_that_changes_the_ruling_restores_the_decision():
    graph = build_graph(_records(DECISION, FIRST, SECOND_CHANGES))
    status = standing(graph, "chain-beslut")
    assert status["outcome"] == "upheld" and status["by"] == "chain-kr"
    assert [(s["doc_id"], s["outcome"], s["on"]) for s in status["chain"]] == [
        ("chain-fr", "overturned", "chain-beslut"),
        ("chain-kr", "upheld", "chain-beslut"),
        ("chain-kr", "overturned", "chain-fr"),
    ]


def test_a_later_instance_that_upholds_the_ruling_keeps_the_decision_overturned():
    graph = build_graph(_records(DECISION, FIRST, SECOND_UPHOLDS))
    status = standing(graph, "chain-beslut")
    assert status["outcome"] == "overturned" and status["by"] == "chain-fr"
    assert [(s["doc_id"], s["outcome"], s["on"]) for s in status["chain"]] == [
        ("chain-fr", "overturned", "chain-beslut"),
        ("chain-kr", "upheld", "chain-fr"),
    ]


def test_either_order_of_records_gives_the_same_standing():
    records = _records(DECISION, FIRST, SECOND_CHANGES)
    assert standing(build_graph(records), "chain-beslut") == standing(build_graph(records[::-1]), "chain-beslut")


@pytest.fixture(scope="module")
def chain_index(tmp_path_factory, embedder):
    """The three documents in a real Edge index with the real e5 model; the higher ruling first."""
    from ingest.loaders import documents_from_records
    from lagrum.index import Index
    from lagrum.app.service import LagrumService
    from lagrum.settings import Settings

    data = tmp_path_factory.mktemp("chain") / "data"
    settings = Settings().with_(data_dir=data)
    service = LagrumService(Index.open(settings, create=True, embedder=embedder))
    try:
        external = None
        for n, record in enumerate([SECOND_CHANGES, FIRST, DECISION]):
            summary = service.add_documents(documents_from_records([record], origin="chain"))
            assert summary["failed"] == 0, summary["errors"]
            if n == 0:
                from lagrum.legal.graph import related_view

                external = related_view(service, "chain-kr")["external"]
        warnings = service.warnings_for("chain-beslut")
    finally:
        service.close()
    return data, external, warnings


def test_statements_whose_target_is_not_indexed_reach_related_as_external(chain_index):
    _, external, _ = chain_index
    assert {"type": "overturns", "target": "mål 5555-19", "via": "operative", "external": True} in external
    assert {"type": "upholds", "target": "dnr 4711-2019", "via": "operative", "external": True} in external


def test_the_warning_tells_the_chain_with_dates_and_case_numbers(chain_index):
    _, _, warnings = chain_index
    restored = [w for w in warnings if w["kind"] == "restored"]
    assert len(restored) == 1, warnings
    message = restored[0]["message"]
    for part in ("2019-09-10", "mål 5555-19", "2020-04-02", "mål 6666-19", "står fast"):
        assert part in message, message
    assert not [w for w in warnings if w["kind"] == "overturned"]


def test_lagrum_related_and_the_api_show_the_chain(chain_index):
    data, _, _ = chain_index
    env = {**os.environ, "LAGRUM_DATA": str(data)}
    done = subprocess.run([sys.executable, "-m", "lagrum.app.cli", "related", "chain-beslut", "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    view = json.loads(done.stdout)
    assert [i["doc_id"] for i in view["overturned_by"]] == ["chain-fr"] and [i["doc_id"] for i in view["upheld_by"]] == ["chain-kr"]
    assert view["status"]["outcome"] == "upheld" and [s["doc_id"] for s in view["status"]["chain"]] == ["chain-fr", "chain-kr", "chain-kr"]

    from api.app import create_app
    from lagrum.settings import Settings
    from tests.conftest import LiveServer

    with LiveServer(create_app(Settings().with_(data_dir=data))) as server:
        with urllib.request.urlopen(f"{server.url}/documents/chain-fr/related", timeout=30) as response:
            related = json.loads(response.read())
    assert [i["doc_id"] for i in related["overturns"]] == ["chain-beslut"]
    assert [i["doc_id"] for i in related["overturned_by"]] == ["chain-kr"]


def test_asked_whether_the_decision_stands_the_last_instance_leads(tmp_path, embedder):
    """Decision overturned by the förvaltningsrätt, whose ruling the kammarrätt upheld: the answer
    leads with the kammarrätt's ruling (the last word), not the förvaltningsrätt's it upheld."""
    from ingest.loaders import documents_from_records
    from lagrum.app.service import LagrumService
    from lagrum.index import Index
    from lagrum.settings import Settings

    service = LagrumService(Index.open(Settings().with_(data_dir=tmp_path / "data"), create=True, embedder=embedder))
    try:
        summary = service.add_documents(documents_from_records([DECISION, FIRST, SECOND_UPHOLDS], origin="chain"))
        assert summary["failed"] == 0, summary["errors"]
        result = service.ask("Gäller Tillsynsnämndens föreläggande att radera loggarna över inloggningar?")
        assert result["found"], result["answer"]
        assert result["citations"][0]["doc_id"] == "chain-kr", [(c["doc_id"], c["quote"]) for c in result["citations"]]
        assert "chain-fr" in {c["doc_id"] for c in result["citations"]} or result["notes"], result
    finally:
        service.close()
