"""Relation statements (overturns, upholds, appeals) and a document's own identifiers.

Sentences are written for these tests. dnr 388-2015 and mål 383-16 are the real Försäkringskassan
case numbers; every other dnr and mål number here is fictional.
"""

from __future__ import annotations

import pytest

from lagrum.documents import Chunk, Document
from lagrum.legal.annotate import annotate_document
from lagrum.legal.relations import detect_relation_statements, identifiers_of, split_sentences


def relations(text: str) -> list[tuple[str, str]]:
    return [(s["type"], s["target"]) for s in detect_relation_statements(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Förvaltningsrätten upphäver Datainspektionens beslut (dnr 388-2015).", [("overturns", "dnr 388-2015")]),
        (
            "Datainspektionen fattade beslut i ärende dnr 388-2015. Förvaltningsrätten upphäver det överklagade beslutet.",
            [("overturns", "dnr 388-2015")],
        ),
        (
            "Kammarrätten undanröjer beslutet den 3 mars 2020 i ärende dnr DI-2019-1234.",  # fictional dnr
            [("overturns", "dnr DI-2019-1234")],
        ),
        ("Förvaltningsrätten bifaller överklagandet och upphäver beslutet dnr 388-2015.", [("overturns", "dnr 388-2015")]),
        (
            "Förvaltningsrätten anser att lagen inte är tillämplig och upphäver därför Datainspektionens beslut (dnr 388-2015).",
            [("overturns", "dnr 388-2015")],
        ),
        ("Kammarrätten fastställer förvaltningsrättens dom i mål nr 1234-19.", [("upholds", "mål 1234-19")]),  # fictional
        (
            "Förvaltningsrätten avslår överklagandet. Beslutet i ärende dnr 388-2015 står därmed fast.",
            [("upholds", "dnr 388-2015")],
        ),
        ("Försäkringskassan överklagar beslut dnr 388-2015 till förvaltningsrätten.", [("appeals", "dnr 388-2015")]),
        ("Försäkringskassan har överklagat Datainspektionens beslut (dnr 388-2015).", [("appeals", "dnr 388-2015")]),
    ],
)
def test_swedish_statements(text, expected):
    assert relations(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("The Administrative Court overturns the decision of the Data Inspection Board (dnr 388-2015).", [("overturns", "dnr 388-2015")]),
        ("The court set aside the decision (dnr 388-2015).", [("overturns", "dnr 388-2015")]),
        ("The court annulled the decision in dnr 388-2015.", [("overturns", "dnr 388-2015")]),
        ("The decision (dnr 388-2015) was overturned by the Administrative Court in mål 383-16.", [("overturns", "dnr 388-2015")]),
        ("The court of appeal upholds the ruling in mål 383-16.", [("upholds", "mål 383-16")]),
        ("The agency appealed the decision (dnr 388-2015).", [("appeals", "dnr 388-2015")]),
    ],
)
def test_english_statements(text, expected):
    assert relations(text) == expected


def test_passive_voice_names_the_acting_court_as_subject():
    [statement] = detect_relation_statements(
        "Beslutet (dnr 388-2015) upphävdes av Förvaltningsrätten i Stockholm i mål 383-16."
    )
    assert (statement["type"], statement["target"], statement["subject"]) == ("overturns", "dnr 388-2015", "mål 383-16")


def test_statement_span_is_its_sentence():
    text = "Inledning utan beslut. Förvaltningsrätten upphäver beslutet dnr 388-2015. Slut."
    [statement] = detect_relation_statements(text)
    assert text[statement["start"] : statement["end"]] == "Förvaltningsrätten upphäver beslutet dnr 388-2015."
    assert statement["trigger"] == "upphäver"


@pytest.mark.parametrize(
    "text",
    [
        "Försäkringskassan yrkar att förvaltningsrätten upphäver beslutet (dnr 388-2015).",  # a party's claim
        "Om ni vill överklaga beslutet (dnr 388-2015) ska ni skriva till förvaltningsrätten.",  # instructions
        "Upphäver förvaltningsrätten beslutet dnr 388-2015?",  # a question
        "Förvaltningsrätten upphäver inte beslutet dnr 388-2015.",  # negated
        "Förvaltningsrätten upphäver beslutet.",  # no target anywhere
        "Vi behöver en undersökning för att fastställa nivån på hot och våld.",
        "You may appeal the decision (dnr 388-2015) within three weeks.",
        "Datainspektionen fattade beslut i ärende dnr 388-2015.",
    ],
)
def test_no_statement(text):
    assert detect_relation_statements(text) == []


def test_the_documents_own_id_is_not_a_target():
    text = "DOM\nMål nr 383-16\n\nFörvaltningsrätten upphäver Datainspektionens beslut den 18 december 2015, dnr 388-2015."
    assert relations(text) == [("overturns", "dnr 388-2015")]
    # Without the dnr, the header's own mål nr is still not taken as the target.
    assert relations("DOM\nMål nr 383-16\n\nFörvaltningsrätten upphäver beslutet.") == []


def test_sentence_splitting_keeps_legal_abbreviations():
    text = "Se t.ex. 5 kap. 1 § arbetsmiljölagen och dnr. 388-2015 här. Nästa mening."
    assert [text[a:b] for a, b in split_sentences(text)] == [
        "Se t.ex. 5 kap. 1 § arbetsmiljölagen och dnr. 388-2015 här.",
        "Nästa mening.",
    ]


def test_identifiers_from_header_lines():
    text = "FÖRVALTNINGSRÄTTEN I STOCKHOLM\nDOM\nMål nr 383-16\n\nFörvaltningsrätten upphäver Datainspektionens beslut, dnr 388-2015."
    assert identifiers_of({}, text) == ["mål 383-16"]
    assert identifiers_of({}, "Diarienummer: DI-2019-1234\nBeslut\n\nDatainspektionen förelägger bolaget att ...") == [
        "dnr DI-2019-1234"  # fictional
    ]
    assert identifiers_of({}, "Beslut\nDnr 388-2015\n\nDatainspektionen förelägger Försäkringskassan att ...") == ["dnr 388-2015"]
    assert identifiers_of({}, "Målnummer: 4321-16\nDOM\n\nText.") == ["mål 4321-16"]  # fictional


def test_identifiers_from_metadata_and_title():
    metadata = {"dnr": "388-2015", "case_number": ["mål 99-16"], "title": "Beslut dnr 388-2015"}  # mål 99-16 fictional
    assert identifiers_of(metadata, "Datainspektionen förelägger Försäkringskassan ...") == ["mål 99-16", "dnr 388-2015"]
    assert identifiers_of({"identifiers": "HFD 2016 ref. 12"}, "Text.") == ["HFD 2016 ref. 12"]


def test_ids_the_document_acts_on_are_not_its_own():
    # The appealed ruling in a court of appeal's header, and an overturned decision in the title.
    text = "KAMMARRÄTTENS DOM\nMål nr 4321-16\nÖverklagat avgörande: Förvaltningsrättens dom i mål nr 383-16\n\nKammarrätten fastställer förvaltningsrättens dom."
    assert identifiers_of({}, text) == ["mål 4321-16"]  # 4321-16 is fictional
    # The header label states the appeal; the ruling upholds the appealed judgment.
    assert relations(text) == [("appeals", "mål 383-16"), ("upholds", "mål 383-16")]
    assert identifiers_of({"title": "Förvaltningsrätten upphäver beslut dnr 388-2015"}, "Text.") == []
    news = "2016-10-25\n\nFörvaltningsrätten upphäver Datainspektionens beslut dnr 388-2015 om webbkameror."
    assert identifiers_of({}, news) == []


def test_annotate_document_sets_chunk_and_record_fields():
    text = (
        "DOM\nMål nr 383-16\n\n"
        "Datainspektionen ansåg att 23 § kameraövervakningslagen gällde. "
        "Förvaltningsrätten upphäver Datainspektionens beslut (dnr 388-2015)."
    )
    document = Document(id="test-dom-383-16", text=text, title="Dom", doc_type="dom")
    split = text.index("Förvaltningsrätten")
    chunks = [
        Chunk(doc_id=document.id, index=0, start=0, end=split, text=text[:split]),
        Chunk(doc_id=document.id, index=1, start=split, end=len(text), text=text[split:]),
    ]
    record: dict = {}
    annotate_document(document, chunks, record)
    assert [c["canonical"] for c in chunks[0].citations] == ["mål 383-16", "SFS 2013:460 23 §"]
    [citation] = chunks[1].citations
    assert citation["canonical"] == "dnr 388-2015" and citation["kind"] == "dnr"
    assert text[citation["start"] : citation["end"]] == citation["raw"] == "dnr 388-2015"
    assert record["citations"] == ["SFS 2013:460 23 §", "dnr 388-2015", "mål 383-16"]
    assert record["identifiers"] == ["mål 383-16"]
    assert [(s["type"], s["target"]) for s in record["relation_statements"]] == [("overturns", "dnr 388-2015")]
