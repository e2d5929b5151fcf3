"""Statutes as they are really written: Regeringskansliet's statute JSON and Riksdagen open data.

Every test reads real files from `../shared/realdata` (see its SOURCES.md) and skips loudly
when they are absent. The search tests ingest three short real statutes with the real e5 model
into a real Qdrant Edge shard in a temp dir (20 chunks).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from ingest.chunking import chunk_text, chunk_validity
from ingest.formats import detect
from ingest.formats.riksdagen import parse_dokumentlista
from ingest.loaders import load_bytes
from lagrum.legal.segments import statute_segments
from lagrum.documents import Document
from lagrum.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
# `../shared/realdata` next to the checkout; LAGRUM_REALDATA names it for a checkout elsewhere (a worktree).
REALDATA = Path(os.environ.get("LAGRUM_REALDATA") or ROOT.parent / "shared" / "realdata")
SFS_JSON = REALDATA / "rkrattsbaser-sfs-json"
RIKSDAGEN = REALDATA / "riksdagen-opendata"


def words(text: str) -> int:
    return len(text.split()) + 2


def real(path: Path) -> bytes:
    if not path.exists():
        pytest.skip(f"REALDATA MISSING: {path} (see /work/shared/realdata/SOURCES.md)")
    return path.read_bytes()


def read_one(path: Path) -> Document:
    items = load_bytes(path.name, real(path))
    assert len(items) == 1, items
    assert isinstance(items[0], Document), items[0]
    return items[0]


def read_error(path: Path) -> InputError:
    items = load_bytes(path.name, real(path))
    assert len(items) == 1 and isinstance(items[0], InputError), items
    return items[0]


# --- Regeringskansliet statute JSON ---------------------------------------------------------


def test_sfs_json_is_detected_and_read_with_its_register():
    data = real(SFS_JSON / "sfs-2009-400.json")
    assert detect(".json", data, "sfs-2009-400.json").name == "sfs-json"
    doc = read_one(SFS_JSON / "sfs-2009-400.json")
    assert doc.id == "sfs-2009-400"
    assert doc.title == "Offentlighets- och sekretesslag (2009:400)"
    assert doc.doc_type == "lag" and doc.date == "2009-05-20" and doc.language == "sv"
    extra = doc.extra
    assert extra["identifiers"] == ["SFS 2009:400"]
    assert extra["in_force"] == "2009-06-30" and "repealed" not in extra
    assert extra["department"] == "Justitiedepartementet"
    assert extra["forarbeten"].startswith("Prop. 2008/09:150")
    assert extra["consolidated_to"] == "t.o.m. SFS 2025:1508"
    # The amendment register: 380 amending statutes, each with its date and what it changed.
    assert len(extra["amendments"]) == 380
    first = extra["amendments"][0]
    assert first["sfs"] == "2012:324" and first["in_force"] == "2013-01-01"
    assert first["changes"] == {"amended": "36 kap. 1 §"} and first["celex"] == ["32003R2201", "32009R0004"]
    assert extra["amendments"][-1]["sfs"] == "2025:1508"
    assert len(doc.relations) == 380 and {r["type"] for r in doc.relations} == {"amended_by"}
    assert doc.relations[0] == {"type": "amended_by", "target": "SFS 2012:324"}
    # The text: CRLF gone, the temporal markers read as validity and never quoted.
    assert "\r" not in doc.text
    assert not re.search(r"/(?:Rubriken |Kapitlet )?(?:[Tt]räder i kraft|[Uu]pphör att gälla)", doc.text)
    validity = {(v["label"], v["scope"]): v for v in extra["section_validity"]}
    assert validity[("1 kap. 7 §", "section")]["expires"] == "2026-03-01"
    assert validity[("1 kap. 7 § (lydelse 2)", "section")]["in_force"] == "2026-03-01"
    assert len(extra["section_validity"]) == 61


@pytest.mark.parametrize(
    "name, doc_type",
    [("sfs-2021-949.json", "förordning"), ("sfs-2010-110.json", "lag"), ("sfs-1994-260.json", "lag"), ("sfs-2025-1582.json", "övrigt")],
)
def test_sfs_json_document_types(name, doc_type):
    # Förordning, Socialförsäkringsbalk (a balk is a lag), Lag, Tillkännagivande.
    assert read_one(SFS_JSON / name).doc_type == doc_type


def test_sfs_json_repealed_statute_keeps_its_dates():
    doc = read_one(SFS_JSON / "sfs-2007-827.json")
    assert doc.extra["in_force"] == "2008-01-01" and doc.extra["repealed"] == "2026-01-01"
    assert len(doc.extra["amendments"]) == 7
    assert doc.extra["amendments"][0]["sfs"] == "2024:189" and doc.extra["amendments"][0]["in_force"] == "2024-05-01"


def test_sfs_json_without_text_is_a_clear_error():
    record = json.loads(real(SFS_JSON / "sfs-2021-949.json"))
    record["fulltext"]["forfattningstext"] = ""
    error = load_bytes("sfs-2021-949.json", json.dumps(record).encode())[0]
    assert isinstance(error, InputError)
    assert "fulltext.forfattningstext" in str(error) and "SFS 2021:949" in str(error)


def test_two_wordings_of_a_section_are_told_apart_with_their_dates():
    # Lag (1998:620) om belastningsregister prints 6 § twice: "/Upphör att gälla U:2026-03-01/"
    # and "/Träder i kraft I:2026-03-01/"; 1 c § and its heading come into force 2026-01-01.
    doc = read_one(SFS_JSON / "sfs-1998-620.json")
    labels = [s.label for s in statute_segments(doc.text)]
    assert labels.count("6 §") == 1 and labels.count("6 § (lydelse 2)") == 1
    validity = doc.extra["section_validity"]
    assert {"label": "6 §", "scope": "section", "expires": "2026-03-01"} in validity
    assert {"label": "6 § (lydelse 2)", "scope": "section", "in_force": "2026-03-01"} in validity
    assert {"label": "1 c §", "scope": "section", "in_force": "2026-01-01"} in validity
    spans = chunk_text(doc.text, doc.doc_type, words, max_tokens=320)
    by_label = {s.section: s for s in spans}
    assert "6 §" in by_label and "6 § (lydelse 2)" in by_label, "each wording is a passage of its own"
    old, new = by_label["6 §"], by_label["6 § (lydelse 2)"]
    assert chunk_validity(doc.text, old.start, old.end, validity) == {"valid_until": "2026-03-01"}
    assert chunk_validity(doc.text, new.start, new.end, validity) == {"valid_from": "2026-03-01"}
    ranges = [re.fullmatch(r"(\d+)(?: [a-z])?–(\d+)(?: [a-z])? §§", s.section or "") for s in spans]
    assert not any(r and int(r.group(1)) <= 6 <= int(r.group(2)) for r in ranges), "no wording shares a passage"


def test_three_wordings_and_a_date_the_government_decides():
    doc = read_one(SFS_JSON / "sfs-2010-110.json")
    validity = doc.extra["section_validity"]
    assert {"label": "13 kap. 20 § (lydelse 3)", "scope": "section", "in_force": "2028-07-01"} in validity
    assert {"label": "6 kap. 3 § (lydelse 2)", "scope": "section", "in_force": "den dag regeringen bestämmer"} in validity


def test_wrapped_reference_at_a_line_start_is_not_a_section():
    # Lag (2022:482) om elektronisk kommunikation: "... även om någon registrering enligt 9 kap.\r\n
    # 24 § inte har gjorts, ..." made a false "15 kap. 24 §"; Lag (2012:278): "... eller\r\n10 b §
    # andra stycket brottsbalken," made a false "10 b §" (twice).
    for name, false_start in (("sfs-2022-482.json", "24 § inte har gjorts"), ("sfs-2012-278.json", "10 b § andra stycket")):
        raw = json.loads(real(SFS_JSON / name))["fulltext"]["forfattningstext"].replace("\r\n", "\n")
        doc = read_one(SFS_JSON / name)
        for text in (doc.text, raw):  # the reader unwraps; the segmenter alone also refuses it
            starts = [text[s.start : s.end] for s in statute_segments(text)]
            assert not any(re.match(rf"(?:.*\n\n)?{re.escape(false_start)}", s, re.S) for s in starts), name
        assert not re.search(r"(?m)^24 § inte har gjorts|^10 b § andra stycket", doc.text)


def test_section_numbers_run_in_order_within_each_chapter():
    for name in ("sfs-2022-482.json", "sfs-2009-400.json", "sfs-2021-949.json"):
        doc = read_one(SFS_JSON / name)
        previous: dict[str | None, tuple[int, str]] = {}
        for segment in statute_segments(doc.text):
            if segment.section is None:
                continue
            number, _, letter = segment.section.partition(" ")
            key = (int(number), letter)
            assert key >= previous.get(segment.chapter, (0, "")), f"{name}: {segment.label} after {previous[segment.chapter]}"
            previous[segment.chapter] = key


def test_chapter_heading_ending_in_mm_keeps_its_sections_in_the_chapter():
    # Socialförsäkringsbalk: "1 kap. Innehåll m.m." was taken for a sentence, so 1-4 § had no chapter.
    doc = read_one(SFS_JSON / "sfs-2010-110.json")
    segments = statute_segments(doc.text)
    sections = [s for s in segments if s.section is not None]
    assert [s.label for s in sections[:4]] == ["1 kap. 1 §", "1 kap. 2 §", "1 kap. 3 §", "1 kap. 4 §"]
    assert all(s.chapter for s in sections)
    spans = chunk_text(doc.text, doc.doc_type, words, max_tokens=320)
    for span in spans:
        if span.section and "–" in span.section:
            first, last = re.search(r"(\d+)(?: [a-z])?–(\d+)", span.section).groups()
            assert int(first) <= int(last), span.section


def test_unwrapped_text_joins_a_paragraph_but_keeps_headings_apart():
    doc = read_one(SFS_JSON / "sfs-2021-949.json")
    assert doc.text.startswith("1 kap. Inledande bestämmelser\n\nFörordningens innehåll\n\n1 § Denna förordning innehåller")
    assert "2 kap. Externa rapporteringskanaler och förfaranden för rapportering och uppföljning\n\n" in doc.text
    labels = [s.label for s in statute_segments(doc.text)]
    assert labels[:3] == ["1 kap. 1 §", "1 kap. 2 §", "2 kap. 1 §"] and labels[-2:] == ["3 kap. 1 §", "övergångsbestämmelser"]
    assert len(labels) == 20  # 19 sections and the transitional provisions


# --- Riksdagen open data --------------------------------------------------------------------


def test_riksdagen_repealed_sfs_from_dokumentstatus_json():
    doc = read_one(RIKSDAGEN / "sfs-1976-114.json")
    assert doc.id == "sfs-1976-114" and doc.doc_type == "förordning" and doc.date == "1976-01-22"
    assert doc.extra["identifiers"] == ["SFS 1976:114"]
    assert doc.extra["repealed"] == "1989-01-01" and doc.extra["repealed_by"] == "SFS 1988:1081"
    assert doc.relations == [{"type": "repealed_by", "target": "SFS 1988:1081"}]
    assert "Upphävd: 1989-01-01" in doc.text and "<" not in doc.text


def test_riksdagen_sfs_from_dokumentstatus_xml():
    doc = read_one(RIKSDAGEN / "sfs-1994-2076.xml")
    assert doc.id == "sfs-1994-2076" and doc.doc_type == "lag" and doc.date == "1994-12-15"
    assert doc.extra["identifiers"] == ["SFS 1994:2076"]
    assert doc.extra["consolidated_to"] == "t.o.m. SFS 2010:460"
    assert doc.extra["department"] == "Arbetsmarknadsdepartementet ARM"
    assert doc.extra["in_force"] == "1995-07-01"
    # The XML's <text> lost its line breaks ("omtotalförsvarsplikt"); the text comes from <html>.
    assert "lagen (1994:1809) om totalförsvarsplikt" in doc.text and "omtotalförsvarsplikt" not in doc.text
    assert "\n2. som reservofficer," in doc.text and "Lag (2010:460)" in doc.text


def test_riksdagen_betankande_and_proposition_are_forarbeten():
    bet = read_one(RIKSDAGEN / "bet-2018-2021-h601au6.json")
    assert (bet.id, bet.doc_type, bet.date) == ("bet-2018-19-au6", "förarbete", "2019-03-22")
    assert bet.extra["identifiers"] == ["bet. 2018/19:AU6"] and bet.extra["dok_id"] == "H601AU6"
    assert any(r["kind"] == "mot" for r in bet.extra["references"])
    prop = read_one(RIKSDAGEN / "ferenda-fixtures" / "prop-1992-93-30_index.xml")
    assert (prop.id, prop.doc_type) == ("prop-1992-93-30", "förarbete")
    assert prop.extra["identifiers"] == ["prop. 1992/93:30"]
    assert len(prop.text) > 100_000


def test_riksdagen_dokumentstatus_without_text_says_where_the_text_is():
    error = read_error(RIKSDAGEN / "ferenda-fixtures" / "prop-2016-17-14_index.xml")
    message = str(error)
    assert "prop. 2016/17:14" in message and "'dummy'" in message
    assert "http://data.riksdagen.se/dokument/H40314/text" in message


def test_riksdagen_sou_and_proposition_ids():
    # Made up for this test (the real files hold no SOU): the fields a dokumentstatus gives.
    made_up = {"dokumentstatus": {"dokument": {"dok_id": "H5B366", "typ": "sou", "rm": "2017", "beteckning": "66", "titel": "Fiktiv utredning", "datum": "2017-06-30 00:00:00", "text": "Sammanfattning\n\nText."}}}
    doc = load_bytes("sou.json", json.dumps(made_up).encode())[0]
    assert (doc.id, doc.doc_type, doc.extra["identifiers"]) == ("sou-2017-66", "förarbete", ["SOU 2017:66"])
    made_up["dokumentstatus"]["dokument"].update(typ="prop", rm="2017/18", beteckning="105")
    doc = load_bytes("prop.json", json.dumps(made_up).encode())[0]
    assert (doc.id, doc.extra["identifiers"]) == ("prop-2017-18-105", ["prop. 2017/18:105"])


def test_parse_dokumentlista_pages_json_and_xml():
    entries, next_page = parse_dokumentlista(real(RIKSDAGEN / "dokumentlista.json"))
    assert len(entries) == 20
    assert next_page == "https://data.riksdagen.se/dokumentlista/?to=1900-12-31&a=s&utformat=json&doktyp=SFS&sort=rel&sortorder=desc&from=1880-01-01&p=2"
    by_id = {e["dok_id"]: e for e in entries}
    entry = by_id["sfs-1880-48 s.1"]
    assert entry["id"] == "sfs-1880-48-s-1" and entry["identifiers"] == ["SFS 1880:48 s.1"]
    assert entry["dokumentstatus_url"] == "https://data.riksdagen.se/dokumentstatus/sfs-1880-48%20s.1.json"
    assert "text" not in entry
    xml_entries, xml_next = parse_dokumentlista(real(RIKSDAGEN / "dokumentlista.xml"))
    assert len(xml_entries) == 20 and xml_next.endswith("&p=2")
    assert xml_entries[0]["title"] == "Lag (1904:48 s.1) om samäganderätt" and xml_entries[0]["doc_type"] == "lag"
    assert xml_entries[0]["excerpt"].startswith("1 § Äro två eller flera samfällt ägare")
    page1, next1 = parse_dokumentlista(real(RIKSDAGEN / "ferenda-fixtures" / "bet_dokumentlista_page1.json"))
    page2, next2 = parse_dokumentlista(real(RIKSDAGEN / "ferenda-fixtures" / "bet_dokumentlista_page2.json"))
    assert [e["id"] for e in page1] == ["bet-2026-27-fiu8", "bet-2025-26-ku45", "bet-2025-26-juu47"]
    assert next1.endswith("&p=2") and [e["dok_id"] for e in page2] == ["HD01JuU45"] and next2 is None


def test_dokumentlista_given_to_ingest_is_reported_not_ingested():
    message = str(read_error(RIKSDAGEN / "dokumentlista.json"))
    assert "dokumentlista" in message and "page 1 of 548" in message and "20 of 20 entries carry no text" in message
    assert "dokumentstatus" in message


# --- a statute's own numbers in search -------------------------------------------------------


@pytest.fixture(scope="module")
def statute_index(tmp_path_factory, embedder):
    from ingest.loaders import iter_documents
    from ingest.pipeline import IngestPipeline
    from lagrum.index import Index
    from lagrum.settings import Settings

    # Three short real instructions for authorities (20 chunks): alike in wording, told apart by number.
    files = [SFS_JSON / n for n in ("sfs-2018-254.json", "sfs-2007-827.json", "sfs-2025-681.json")]
    for file in files:
        real(file)
    settings = Settings().with_(data_dir=tmp_path_factory.mktemp("statutes") / "data")
    index = Index.open(settings, create=True, embedder=embedder)
    summary = IngestPipeline(index).ingest(iter_documents(files))
    assert summary.failed == 0, summary.errors
    yield index
    index.close()


@pytest.mark.parametrize(
    "query, expected",
    [
        ("Vad reglerar SFS 2018:254?", "sfs-2018-254"),
        # Förordning (2025:681) med instruktion för Statskontoret repeals and cites 2007:827, the
        # earlier instruction for Statskontoret: without its own number 2007:827 ranked second.
        ("Vad reglerar SFS 2007:827?", "sfs-2007-827"),
        ("förordning (2007:827) med instruktion för Statskontoret", "sfs-2007-827"),
        ("Vad gäller enligt 2007:827?", "sfs-2007-827"),
        ("Vad reglerar förordningen (2025:681)?", "sfs-2025-681"),
    ],
)
def test_statute_found_first_by_its_own_number(statute_index, query, expected):
    from lagrum.retrieval import Retriever

    hits = Retriever(statute_index).search(query, limit=5)
    assert hits and hits[0].doc_id == expected, [(h.doc_id, h.section) for h in hits]


def test_own_numbers_are_stored_on_the_record_and_the_chunks(statute_index):
    record = statute_index.store.get_document("sfs-2007-827", with_text=False)
    assert "SFS 2007:827" in record["identifiers"]
    chunks = statute_index.store.chunks_of("sfs-2007-827")
    assert chunks and all(c["identifiers"] == ["SFS 2007:827"] for c in chunks)
    newer = statute_index.store.chunks_of("sfs-2025-681")
    assert all("SFS 2007:827" not in c["identifiers"] for c in newer)


def test_a_statute_citing_anothers_number_links_to_it(statute_index):
    from lagrum.legal.graph import build_graph

    graph = build_graph(list(statute_index.store.document_records()))
    assert "sfs-2007-827" in [b["doc_id"] for b in graph.targets("sfs-2025-681", "cites")]
    assert "sfs-2025-681" in [b["doc_id"] for b in graph.targets("sfs-2007-827", "cited_by")]
    # Its amendments are named in the register; they are not indexed, so they stay external.
    assert {"type": "amended_by", "target": "SFS 2024:189"} in graph.external["sfs-2007-827"]


def test_transitional_provisions_are_not_the_last_section():
    """OSL's consolidated text ends with its transitional provisions ("Övergångsbestämmelser",
    the amending SFS numbers, "1. Denna lag träder i kraft den 30 juni 2009 ..."): they are their
    own segment, so a quote from them is never cited as 44 kap. 5 §."""
    from lagrum.legal.segments import statute_segments

    doc = read_one(SFS_JSON / "sfs-2009-400.json")
    segments = statute_segments(doc.text)
    last_section, transitional = segments[-2], segments[-1]
    assert last_section.label == "44 kap. 5 §" and transitional.label == "övergångsbestämmelser"
    assert "Denna lag träder i kraft den 30 juni 2009" in doc.text[transitional.start : transitional.end]
    assert "träder i kraft den 30 juni 2009" not in doc.text[last_section.start : last_section.end]
