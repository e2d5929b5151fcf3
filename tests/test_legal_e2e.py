"""Legal structure end to end on the real engine: relations, status warnings, provisions, answers.

Everything runs on the bundled e5 model and real Qdrant Edge shards. The lager-camera decision
and ruling (tests/data/legal/test-material.jsonl) and the `test-meta-*` documents below are
fictional test material; the Datainspektionen/Försäkringskassan facts come from the curated
registry (corpus/registry/). One process may open an Edge shard only once, so the order tests
build their own indexes in their own temp dirs and never reopen the session corpus index.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests.conftest import TEST_DATA

DECISION = "test-beslut-lagerkameror"
RULING = "test-dom-lagerkameror"
DI_ARTICLE = "di-kameraovervakningen-hos-forsakringskassan-ar-olaglig"
ARBETAREN = "arbetaren-forsakringskassan-filmar-sina-anstallda"
WAREHOUSE_SV = "Får ett lagerbolag kamerabevaka personalen vid packborden?"
WAREHOUSE_EN = "Is it legal to film warehouse staff at the packing tables?"

# Fictional documents linked only through metadata `relations` (their texts state no relation).
META_DECISION = {
    "id": "test-meta-beslut",
    "title": "Beslut om loggkontroll (fiktivt testmaterial)",
    "date": "2021-05-03",
    "doc_type": "beslut",
    "source": "Testmaterial (fiktivt)",
    "dnr": "TEST-2021-11",
    "text": "Myndigheten har granskat hur bolaget kontrollerar sina loggar. Granskningen avslutas med kritik.",
    "relations": [{"type": "overturned_by", "target": "test-meta-dom"}],
}
META_RULING = {
    "id": "test-meta-dom",
    "title": "Dom om loggkontroll (fiktivt testmaterial)",
    "date": "2022-01-17",
    "doc_type": "dom",
    "source": "Testmaterial (fiktivt)",
    "text": "Domstolen har prövat bolagets överklagande. Bolaget får rätt i målet.",
}
META_COMMENT = {
    "id": "test-meta-kommentar",
    "title": "Kommentar om loggkontroll (fiktivt testmaterial)",
    "date": "2021-06-01",
    "doc_type": "debatt",
    "source": "Testmaterial (fiktivt)",
    "text": "En jurist kommenterar granskningen av loggar och vad den betyder för andra bolag.",
    "relations": [{"type": "cites", "target": "dnr TEST-2021-11"}],
}


def _lager_records() -> list[dict]:
    lines = (TEST_DATA / "legal" / "test-material.jsonl").read_text(encoding="utf-8").splitlines()
    records = {r["id"]: r for r in (json.loads(line) for line in lines if line.strip())}
    return [records[DECISION], records[RULING]]


@pytest.fixture(scope="module")
def ordered_views(tmp_path_factory, embedder):
    """Each ingest order in its own fresh index; related views taken after every single ingest."""
    from ingest.loaders import documents_from_records
    from lagrum.index import Index
    from lagrum.legal.graph import related_view
    from lagrum.app.service import LagrumService
    from lagrum.settings import Settings

    decision, ruling = _lager_records()
    orders = {
        "ruling_first": [ruling, META_RULING, META_COMMENT, decision, META_DECISION],
        "decision_first": [decision, META_DECISION, META_COMMENT, ruling, META_RULING],
    }
    views: dict[str, dict] = {}
    for name, records in orders.items():
        settings = Settings().with_(data_dir=tmp_path_factory.mktemp(f"order-{name}") / "data")
        service = LagrumService(Index.open(settings, create=True, embedder=embedder))
        try:
            after_first = None
            for n, record in enumerate(records):
                summary = service.add_documents(documents_from_records([record], origin=name))
                assert summary["failed"] == 0, summary["errors"]
                if n == 0:
                    after_first = related_view(service, record["id"])
            ids = [DECISION, RULING, META_DECISION["id"], META_RULING["id"], META_COMMENT["id"]]
            views[name] = {
                "first": after_first,
                "related": {doc_id: related_view(service, doc_id) for doc_id in ids},
                "warnings": {doc_id: service.warnings_for(doc_id) for doc_id in ids},
            }
        finally:
            service.close()
    return views


def _ids(items: list[dict]) -> list[str]:
    return [item["doc_id"] for item in items]


# --- relations, in both ingest orders --------------------------------------------------------


@pytest.mark.parametrize("order", ["ruling_first", "decision_first"])
def test_text_statement_links_ruling_and_decision_in_either_ingest_order(ordered_views, order):
    related = ordered_views[order]["related"]
    assert _ids(related[DECISION]["overturned_by"]) == [RULING]
    assert _ids(related[RULING]["overturns"]) == [DECISION]
    later = related[DECISION]["overturned_by"][0]
    assert later["date"] == "2020-02-11" and later["title"].startswith("Dom om kamerabevakning")
    assert later["via"] == "text"


def test_ruling_alone_has_no_link_until_the_decision_arrives(ordered_views):
    first = ordered_views["ruling_first"]["first"]
    assert first["doc_id"] == RULING and first["overturns"] == []


@pytest.mark.parametrize("order", ["ruling_first", "decision_first"])
def test_metadata_relations_link_both_ways_by_doc_id_and_by_dnr(ordered_views, order):
    related = ordered_views[order]["related"]
    decision, ruling, comment = (related[d] for d in ("test-meta-beslut", "test-meta-dom", "test-meta-kommentar"))
    assert _ids(decision["overturned_by"]) == ["test-meta-dom"] and decision["overturned_by"][0]["via"] == "metadata"
    assert _ids(ruling["overturns"]) == ["test-meta-beslut"]
    # "dnr TEST-2021-11" names the decision through its metadata `dnr` field.
    assert _ids(comment["cites"]) == ["test-meta-beslut"] and comment["external"] == []
    assert _ids(decision["cited_by"]) == ["test-meta-kommentar"]


@pytest.mark.parametrize("order", ["ruling_first", "decision_first"])
def test_overturned_decision_warns_with_later_ruling_and_date(ordered_views, order):
    warnings = ordered_views[order]["warnings"]
    overturned = [w for w in warnings[DECISION] if w["kind"] == "overturned"]
    assert [(w["by"], w["date"]) for w in overturned] == [(RULING, "2020-02-11")]
    assert "2020-02-11" in overturned[0]["message"] and "upphäv" in overturned[0]["message"]
    assert not any(w["kind"] == "overturned" for w in warnings[RULING])
    meta = [w for w in warnings["test-meta-beslut"] if w["kind"] == "overturned"]
    assert [(w["by"], w["date"]) for w in meta] == [("test-meta-dom", "2022-01-17")]


def test_related_view_of_corpus_lists_title_and_date(corpus_service):
    from lagrum.legal.graph import related_view

    view = related_view(corpus_service, DECISION)
    for key in ("cites", "cited_by", "overturns", "overturned_by", "replaces", "replaced_by"):
        assert key in view
    assert [(i["doc_id"], i["date"]) for i in view["overturned_by"]] == [(RULING, "2020-02-11")]
    assert related_view(corpus_service, "test-no-such-document") is None


# --- registry warnings on the bundled corpus -------------------------------------------------


def test_di_article_warns_that_the_reported_decision_was_overturned(corpus_service):
    warnings = corpus_service.warnings_for(DI_ARTICLE)
    cases = [w for w in warnings if w["kind"] == "cites_overturned" and w.get("case") == "dnr 388-2015"]
    assert len(cases) == 1
    assert "mål 383-16" in cases[0]["message"] and "2016-10-20" in cases[0]["message"]
    assert "mål 383-16" in cases[0]["message_en"] and "2016-10-20" in cases[0]["message_en"]


def test_articles_citing_kameraovervakningslagen_warn_it_was_repealed(corpus_service):
    for doc_id in (DI_ARTICLE, ARBETAREN):
        record = corpus_service.index.store.get_document(doc_id, with_text=False)
        assert any(c.startswith("SFS 2013:460") for c in record["citations"]), record["citations"]
        repealed = [w for w in corpus_service.warnings_for(doc_id) if w["kind"] == "repealed"]
        assert [(w["statute"], w["date"], w["replaced_by"]) for w in repealed] == [("SFS 2013:460", "2018-08-01", "SFS 2018:1200")]


def test_datainspektionen_is_flagged_as_renamed_to_imy(corpus_service):
    renamed = [w for w in corpus_service.warnings_for(DI_ARTICLE) if w["kind"] == "renamed"]
    assert len(renamed) == 1
    assert renamed[0]["authority"] == "Datainspektionen" and renamed[0]["date"] == "2021-01-01"
    assert "Integritetsskyddsmyndigheten" in renamed[0]["now"]


# --- answers never rest on the overturned decision --------------------------------------------


@pytest.mark.parametrize("question, lead, overturned_words", [(WAREHOUSE_SV, "Obs:", "har upphävts av"), (WAREHOUSE_EN, "Note:", "was overturned by")])
def test_ask_cites_the_later_ruling_and_says_the_decision_was_overturned(corpus_service, question, lead, overturned_words):
    result = corpus_service.ask(question)
    cited = {c["doc_id"] for c in result["citations"]}
    assert RULING in cited, result
    assert result["answer"].startswith(lead), result["answer"]
    if DECISION in cited:
        notes = [n for n in result["notes"] if overturned_words in n]
        assert notes and all("2019-03-04" in n and "2020-02-11" in n for n in notes), result["notes"]
    for citation in result["citations"]:
        text = corpus_service.index.store.get_document(citation["doc_id"])["text"]
        assert text[citation["start"] : citation["end"]] == citation["quote"]
        assert " ".join(citation["quote"].split()) in result["answer"]


# --- HTTP: related documents and provisions ---------------------------------------------------


@pytest.fixture(scope="module")
def client(corpus_settings, corpus_service):
    from fastapi.testclient import TestClient

    from api.app import create_app

    with TestClient(create_app(corpus_settings, service=corpus_service)) as test_client:
        yield test_client


def test_get_related_over_http_shows_both_directions(client):
    decision = client.get(f"/documents/{DECISION}/related")
    ruling = client.get(f"/documents/{RULING}/related")
    assert decision.status_code == 200 and ruling.status_code == 200
    assert [(i["doc_id"], i["date"]) for i in decision.json()["overturned_by"]] == [(RULING, "2020-02-11")]
    assert [(i["doc_id"], i["title"]) for i in ruling.json()["overturns"]] == [(DECISION, "Beslut om kamerabevakning av lagerpersonal (fiktivt testmaterial)")]
    assert client.get("/documents/test-no-such-document/related").status_code == 404


@pytest.mark.parametrize("provision", ["SFS 2013:460 23 §", "paragraf 23 i kameraövervakningslagen", "KÖL 23 §"])
def test_provision_lists_the_arbetaren_passage_newest_first(client, corpus_service, provision):
    response = client.get(f"/provisions/{quote(provision)}")
    assert response.status_code == 200, response.text
    view = response.json()
    assert view["canonical"] == "SFS 2013:460 23 §"
    assert view["statute"]["repealed"] == "2018-08-01" and view["statute"]["replaced_by"] == "SFS 2018:1200"
    assert ARBETAREN in [p["doc_id"] for p in view["passages"]]
    dates = [p["date"] or "" for p in view["passages"]]
    assert dates == sorted(dates, reverse=True)
    passage = next(p for p in view["passages"] if p["doc_id"] == ARBETAREN)
    text = corpus_service.index.store.get_document(ARBETAREN)["text"]
    spans = [r for r in passage["references"] if r["canonical"] == "SFS 2013:460 23 §"]
    assert [text[r["start"] : r["end"]] for r in spans] == ["paragraf 23 i kameraövervakningslagen"]


def test_unknown_provision_text_is_404_with_advice(client):
    response = client.get(f"/provisions/{quote('inget lagrum alls')}")
    assert response.status_code == 404
    assert "SFS 2013:460 23 §" in json.dumps(response.json(), ensure_ascii=False)


@pytest.mark.parametrize("query", ["23 § kameraövervakningslagen", "KÖL 23 §"])
def test_query_naming_a_provision_ranks_a_passage_citing_it_first(corpus_service, query):
    top = corpus_service.search(query, limit=3)["hits"][0]
    assert "SFS 2013:460 23 §" in top["citations"], top


# --- CLI ----------------------------------------------------------------------------------------


def test_cli_related_unknown_id_exits_2_with_a_clear_error(tmp_path, capsys, embedder):
    from lagrum.app.cli import main
    from lagrum.index import Index
    from lagrum.settings import Settings

    # A fresh, empty data dir of its own: the session's index may not be opened twice.
    Index.open(Settings().with_(data_dir=tmp_path / "data"), create=True, embedder=embedder).close()
    assert main(["--data", str(tmp_path / "data"), "related", "test-no-such-document", "--json"]) == 2
    assert "no document with id 'test-no-such-document'" in capsys.readouterr().err
    assert main(["--data", str(tmp_path / "data"), "provision", "inget lagrum alls"]) == 2
    assert "not a provision" in capsys.readouterr().err


# --- what was written about a case ranks with it ----------------------------------------

CASE_RECORDS = [  # fictional test material: one decision and what was written around it
    {
        "id": "test-case-beslut",
        "title": "Beslut efter tillsyn – loggning av truckförares körningar (fiktivt testmaterial)",
        "date": "2021-05-10",
        "doc_type": "beslut",
        "source": "Testmaterial: tillsynsmyndighet (fiktiv)",
        "text": "Beslut efter tillsyn\n\nDiarienummer: DI-2021-4711\n\nMyndigheten konstaterar att Lagerhuset Solbacken Fiktiv AB "
        "har loggat truckförarnas körningar minut för minut utan rättslig grund. Bolaget ska upphöra med loggningen.",
    },
    {
        "id": "test-case-nyhet",
        "title": "Lagerjätte fälls för övervakning av förare (fiktivt testmaterial)",
        "date": "2021-05-12",
        "doc_type": "nyhet",
        "source": "Testmaterial: nyhetssajt (fiktiv)",
        "text": "Lagerhuset Solbacken Fiktiv AB får kritik. Facket välkomnar beskedet och säger att medlemmarna länge känt sig iakttagna.",
    },
    {
        "id": "test-case-gammal",
        "title": "Lagerhuset bygger ut (fiktivt testmaterial)",
        "date": "2019-02-01",
        "doc_type": "nyhet",
        "source": "Testmaterial: nyhetssajt (fiktiv)",
        "text": "Lagerhuset Solbacken Fiktiv AB bygger ett nytt lager och anställer fyrtio personer.",
    },
    {
        "id": "test-case-annan",
        "title": "Annat bolag får kritik (fiktivt testmaterial)",
        "date": "2021-05-12",
        "doc_type": "nyhet",
        "source": "Testmaterial: nyhetssajt (fiktiv)",
        "text": "Åkeriet Norrsken Fiktiv AB får kritik av facket för sina scheman.",
    },
]


@pytest.fixture(scope="module")
def case_service(tmp_path_factory, embedder):
    from ingest.loaders import documents_from_records, iter_documents
    from lagrum.index import Index
    from lagrum.app.service import LagrumService
    from lagrum.settings import Settings
    from tests.conftest import CORPUS

    settings = Settings().with_(data_dir=tmp_path_factory.mktemp("case-reports") / "data")
    service = LagrumService(Index.open(settings, create=True, embedder=embedder))
    assert service.add_documents([*iter_documents([CORPUS]), *documents_from_records(CASE_RECORDS, origin="test")])["failed"] == 0
    yield service
    service.close()


def test_a_question_naming_a_case_ranks_what_was_written_about_it_next(case_service):
    """The news item names the company, not the diary number; it is dated two days after the decision."""
    ranked = list(dict.fromkeys(h["doc_id"] for h in case_service.search("Vad beslutades i ärende DI-2021-4711?", limit=10)["hits"]))
    assert ranked[:2] == ["test-case-beslut", "test-case-nyhet"], ranked
    # Same company but two years earlier, or another company the same week: not about this case.
    assert ranked.index("test-case-gammal") > 2 if "test-case-gammal" in ranked else True
    assert ranked.index("test-case-annan") > 2 if "test-case-annan" in ranked else True
    # Lowercase diary numbers are the same case.
    lower = list(dict.fromkeys(h["doc_id"] for h in case_service.search("vad beslutades i ärende di-2021-4711", limit=10)["hits"]))
    assert lower[:2] == ranked[:2]


def test_without_the_case_number_nothing_is_lifted(case_service):
    plain = case_service.retriever.search("Vad har facket sagt om kritiken?", limit=10)
    lifted = [h for h in plain if h.dense_score is None and h.sparse_score is None]
    assert not lifted, [h.doc_id for h in lifted]
