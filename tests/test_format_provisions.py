"""Statutes split into provisions (`swedish-law-mcp-seeds/`), rebuilt as chapters and sections.

Every test but the made-up error cases reads real files from `../shared/realdata` (see its
SOURCES.md, section "swedish-law-mcp-seeds") and skips loudly when they are absent. Chunking
uses a word-count token counter (no embedding); one search test ingests semesterlagen and
kamerabevakningslagen (about 30 chunks) with the real e5 model into a real Qdrant Edge shard
in a temp dir.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from ingest.chunking import chunk_text
from ingest.formats import detect
from ingest.loaders import load_bytes
from lagrum.legal.segments import statute_segments
from lagrum.documents import Document
from lagrum.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
# `../shared/realdata` next to the checkout; LAGRUM_REALDATA names it for a checkout elsewhere (a worktree).
REALDATA = Path(os.environ.get("LAGRUM_REALDATA") or ROOT.parent / "shared" / "realdata")
SEEDS = REALDATA / "swedish-law-mcp-seeds"
RANGE = re.compile(r"(\d+)(?: [a-z])?–(\d+)")


def words(text: str) -> int:
    return len(text.split()) + 2


def real(name: str) -> bytes:
    path = SEEDS / name
    if not path.exists():
        pytest.skip(f"REALDATA MISSING: {path} (see /work/shared/realdata/SOURCES.md)")
    return path.read_bytes()


def read_one(name: str) -> Document:
    items = load_bytes(name, real(name))
    assert len(items) == 1 and isinstance(items[0], Document), items
    return items[0]


def sections(doc: Document) -> dict[str, str]:
    """{label: text} of the statute's segments ("2 kap. 16 §"), as `statute_segments` cuts them."""
    return {s.label: doc.text[s.start : s.end] for s in statute_segments(doc.text) if s.section}


def _key(section: str) -> tuple[int, str]:
    number, _, letter = section.strip().partition(" ")
    return (int(number), letter)


def passage_with(doc: Document, chapter: str | None, section: str) -> tuple[str, str]:
    """(label, text) of the chunk whose label covers `chapter` kap. `section` § ("2 kap. 15–16 §§" covers 16 §)."""
    for span in chunk_text(doc.text, doc.doc_type, words, max_tokens=320):
        label = span.section or ""
        found = re.fullmatch(r"(?:(\d+) kap\. )?(\d+(?: [a-z])?)(?:–(\d+(?: [a-z])?))? §§?", label)
        if not found or found.group(1) != chapter:
            continue
        first, last = _key(found.group(2)), _key(found.group(3) or found.group(2))
        if first <= _key(section) <= last:
            return label, doc.text[span.start : span.end]
    raise AssertionError(f"{doc.id}: no passage covers {chapter} kap. {section} §")


def assert_labels_sound(doc: Document, chaptered: bool) -> None:
    """No label runs backwards ("13–1 §§"), and every section has its chapter when the statute has chapters."""
    for span in chunk_text(doc.text, doc.doc_type, words, max_tokens=320):
        label = span.section or ""
        found = RANGE.search(label)
        assert not found or int(found.group(1)) <= int(found.group(2)), f"{doc.id}: label {label!r} runs backwards"
    previous: dict[str | None, tuple[int, str]] = {}
    for segment in statute_segments(doc.text):
        if segment.section is None:
            continue
        assert bool(segment.chapter) == chaptered, f"{doc.id}: {segment.label!r}"
        number, _, letter = segment.section.partition(" ")
        key = (int(number), letter)
        assert key >= previous.get(segment.chapter, (0, "")), f"{doc.id}: {segment.label} after {previous[segment.chapter]}"
        previous[segment.chapter] = key


# --- Tryckfrihetsförordningen ---------------------------------------------------------------


def test_tf_is_detected_and_read_with_its_identifiers():
    data = real("tryckfrihetsforordningen.json")
    assert detect(".json", data, "tryckfrihetsforordningen.json").name == "law-provisions"
    doc = read_one("tryckfrihetsforordningen.json")
    assert doc.id == "sfs-1949-105" and doc.title == "Tryckfrihetsförordning (1949:105)"
    assert doc.doc_type == "lag" and doc.date == "1949-04-05" and doc.language == "sv"
    assert doc.extra["identifiers"] == ["SFS 1949:105"]
    assert doc.extra["aliases"] == ["TF"]
    assert doc.extra["status"] == "in_force" and "repealed" not in doc.extra
    assert doc.extra["forarbeten"].startswith("Prop. 1975/76:160, Prop. 1975/76:204")
    assert doc.url == "https://www.riksdagen.se/sv/dokument-och-lagar/dokument/svensk-forfattningssamling/sfs-1949-105"


def test_tf_2_kap_16_paragraf_is_labelled_with_its_chapter_and_holds_its_text():
    doc = read_one("tryckfrihetsforordningen.json")
    by_label = sections(doc)
    assert "2 kap. 16 §" in by_label, sorted(by_label)[:40]
    section = by_label["2 kap. 16 §"]
    text = "Den som önskar ta del av en allmän handling har även rätt att mot en fastställd avgift få en avskrift eller kopia av handlingen"
    assert text in section and "En begäran att få en avskrift eller kopia av en allmän handling ska behandlas skyndsamt." in section
    # The heading that was glued to the end of 15 § now stands above 16 §, not inside 15 §.
    assert section.startswith("Kopior av allmänna handlingar\n\n16 §")
    assert "Kopior av allmänna handlingar" not in by_label["2 kap. 15 §"]
    # The passage holding it is labelled in chapter 2, and 16 § of chapter 5 is another passage
    # (the audit found "16 §" without its chapter, so a search for 2 kap. 16 § found 5 kap. 16 §).
    label, passage = passage_with(doc, "2", "16")
    assert label == "2 kap. 15–16 §§" and text in passage
    label5, passage5 = passage_with(doc, "5", "16")
    assert label5.startswith("5 kap.") and text not in passage5


def test_tf_labels_run_forward_and_every_section_has_its_chapter():
    doc = read_one("tryckfrihetsforordningen.json")
    assert_labels_sound(doc, chaptered=True)
    chapters = re.findall(r"^(\d+) kap\.$", doc.text, re.MULTILINE)
    assert chapters == [str(n) for n in range(1, 15)], "one chapter line per chapter, 1-14, none dropped"


def test_tf_sections_inside_a_provision_cut_at_a_reference_are_found_again():
    # The file's "3:2" ends "... meddelare enligt 1 kap." and its "3:7" begins ". Detsamma gäller";
    # 3-7 §§ stood inside "3:7". Its "7:20" begins "§ anses vara" and held 7 kap. 2-20 §§.
    doc = read_one("tryckfrihetsforordningen.json")
    labels = [s.label for s in statute_segments(doc.text) if s.section]
    assert [l for l in labels if l.startswith("3 kap.")] == [f"3 kap. {n} §" for n in range(1, 9)]
    seventh = [l for l in labels if l.startswith("7 kap.")]
    assert seventh[:16] == [f"7 kap. {n} §" for n in range(1, 15)] + ["7 kap. 14 a §", "7 kap. 15 §"]
    assert len(seventh) == 30
    by_label = sections(doc)
    assert "meddelare enligt 1 kap. 7 §. Detsamma gäller frågan om vem som är utgivare" in by_label["3 kap. 2 §"]
    assert "ska de gärningar som anges i 2-20 §§ anses vara tryckfrihetsbrott" in by_label["7 kap. 1 §"]
    assert by_label["7 kap. 3 §"].startswith("Förtal\n\n3 § Som tryckfrihetsbrott anses förtal")
    assert len(labels) == 189


# --- kamerabevakningslagen, semesterlagen, PUL, RF -------------------------------------------


def test_kamerabevakningslagen_has_no_chapters_and_sections_1_to_29():
    doc = read_one("kamerabevakningslagen.json")
    assert doc.id == "sfs-2018-1200" and doc.doc_type == "lag"
    # The file gives "6:28" and "6:29" after 27 sections without a chapter: a reference read as a chapter.
    assert not re.search(r"^\d+ kap\.", doc.text, re.MULTILINE)
    assert_labels_sound(doc, chaptered=False)
    labels = [s.label for s in statute_segments(doc.text) if s.section]
    assert labels[0] == "1 §" and labels[-2:] == ["28 §", "29 §"] and len(labels) == 36
    by_label = sections(doc)
    assert "Syftet med denna lag är att tillgodose behovet av kamerabevakning för berättigade ändamål" in by_label["2 §"]
    assert by_label["2 §"].startswith("Lagens syfte\n\n2 §")


def test_semesterlagen_4_paragraf_gives_twenty_five_days():
    doc = read_one("semesterlagen.json")
    assert doc.id == "sfs-1977-480" and doc.doc_type == "lag" and doc.date == "1977-06-09"
    assert_labels_sound(doc, chaptered=False)
    by_label = sections(doc)
    assert "En arbetstagare har rätt till tjugofem semesterdagar varje semesterår." in by_label["4 §"]
    label, passage = passage_with(doc, None, "4")
    assert label == "4–7 §§" and "tjugofem semesterdagar" in passage
    # "Överenskommelser mellan arbetsgivare och arbetstagare" was glued to the end of 1 §.
    assert by_label["1 §"].rstrip().endswith("Lag (2012:333).")
    assert by_label["2 §"].startswith("Överenskommelser mellan arbetsgivare och arbetstagare\n\n2 §")


def test_pul_is_repealed_on_the_day_and_by_the_act_its_file_states():
    doc = read_one("personuppgiftslagen.json")
    assert doc.id == "sfs-1998-204" and doc.extra["aliases"] == ["PUL"]
    assert doc.extra["status"] == "repealed"
    assert doc.extra["repealed"] == "2018-05-25" and doc.extra["repealed_by"] == "SFS 2018:218"
    assert doc.relations == [{"type": "repealed_by", "target": "SFS 2018:218"}]
    assert doc.extra["in_force"] == "1998-10-24"


def test_grundlag_and_forordning_document_types():
    assert read_one("regeringsformen.json").doc_type == "lag"  # "Kungörelse (1974:152) om beslutad ny regeringsform"
    amf = read_one("arbetsmiljoforordningen.json")
    assert amf.doc_type == "förordning" and amf.id == "sfs-1977-1166"


@pytest.mark.parametrize(
    "name, chaptered",
    [
        ("2021_890.json", True),
        ("arbetsmiljolagen.json", True),
        ("dataskyddslagen.json", True),
        ("diskrimineringslagen.json", True),
        ("forvaltningsprocesslagen.json", False),
        ("las.json", False),
        ("medbestammandelagen.json", False),
        ("arbetstidslagen.json", False),
        ("sakerhetsskyddslagen.json", True),
    ],
)
def test_every_statute_chunks_with_sound_labels(name, chaptered):
    assert_labels_sound(read_one(name), chaptered)


def test_temporal_markers_become_section_validity():
    doc = read_one("arbetsmiljolagen.json")
    assert "Upphör att gälla" not in doc.text
    assert {"label": "6 kap. 17 §", "scope": "section", "expires": "2028-07-01"} in doc.extra["section_validity"]


def test_text_the_file_lost_is_reported_not_invented():
    doc = read_one("tryckfrihetsforordningen.json")
    # 7 kap. 27 § is "Om ett sådant tillhandahållande ur en databas som avses i" in the file, nothing more.
    assert "7 kap. 27 §" in doc.extra["incomplete_sections"]
    assert {"label": "7 kap. 28 §", "title": "Om preskription har inträtt ska ett beslut enligt första"} in doc.extra["unplaced_titles"]


# --- bad input (made up, not real statutes) ---------------------------------------------------


def _made_up(**record) -> bytes:
    base = {"id": "2099:1", "title": "Lag (2099:1) om fiktiva fel", "provisions": [{"provision_ref": "1", "section": "1", "content": "Text."}]}
    return json.dumps(base | record).encode()


@pytest.mark.parametrize(
    "record, field",
    [
        ({"id": "99"}, "field 'id' '99' is not an SFS number"),
        ({"provisions": []}, "field 'provisions' of SFS 2099:1 is empty"),
        ({"provisions": [{"provision_ref": "1", "section": "första", "content": "Text."}]}, "field 'provisions[0].section' 'första'"),
        ({"provisions": [{"provision_ref": "1", "section": "1", "content": " "}]}, "field 'provisions[0].content' (provision '1') is empty"),
        ({"issued_date": "igår"}, "field 'issued_date'"),
    ],
)
def test_bad_provisions_file_is_a_clear_error(record, field):
    items = load_bytes("fiktiv.json", _made_up(**record), format="law-provisions")
    assert len(items) == 1 and isinstance(items[0], InputError), items
    assert "fiktiv.json" in str(items[0]) and field in str(items[0])


# --- search (real e5, real Qdrant Edge shard) -------------------------------------------------


@pytest.fixture(scope="module")
def provisions_index(tmp_path_factory, embedder):
    from ingest.loaders import iter_documents
    from ingest.pipeline import IngestPipeline
    from lagrum.index import Index
    from lagrum.settings import Settings

    files = [SEEDS / "semesterlagen.json", SEEDS / "kamerabevakningslagen.json"]
    for file in files:
        real(file.name)
    settings = Settings().with_(data_dir=tmp_path_factory.mktemp("provisions") / "data")
    index = Index.open(settings, create=True, embedder=embedder)
    summary = IngestPipeline(index).ingest(iter_documents(files))
    assert summary.failed == 0, summary.errors
    yield index
    index.close()


def test_semesterdagar_found_in_4_paragraf(provisions_index):
    from lagrum.retrieval import Retriever

    hits = Retriever(provisions_index).search("Hur många semesterdagar har en arbetstagare rätt till varje semesterår?", limit=5)
    assert hits and hits[0].doc_id == "sfs-1977-480", [(h.doc_id, h.section) for h in hits]
    # Measured: the passage "3 a–4 §§" ranks second, after "18–19 §§" (semesterlön); both are semesterlagen.
    holding = [n for n, h in enumerate(hits[:3]) if h.doc_id == "sfs-1977-480" and "tjugofem semesterdagar" in h.text]
    assert holding, [(h.doc_id, h.section) for h in hits]
    assert re.fullmatch(r"(?:\d+(?: [a-z])?–)?4 §§?", hits[holding[0]].section), hits[holding[0]].section
    record = provisions_index.store.get_document("sfs-2018-1200", with_text=False)
    assert record["identifiers"] == ["SFS 2018:1200"]


def test_the_words_that_ask_do_not_pick_the_quote(provisions_index):
    """ "Hur många semesterdagar ...": the sentence that repeats "hur många semesterdagar"
    (semesterlagen 30 §, on notifying the employee) answers nothing; the lead states a number of days."""
    from lagrum.answer import _FIGURE
    from lagrum.app.service import LagrumService

    result = LagrumService(provisions_index).ask("Hur många semesterdagar har en arbetstagare rätt till per år enligt semesterlagen?")
    lead = result["citations"][0]["quote"]
    assert "hur många semesterdagar" not in lead and _FIGURE.search(lead), lead


@pytest.mark.parametrize(
    "question, opens",
    [
        ("Vad avses med semesterår?", "3 § Med semesterår avses tiden från och med den 1 april"),  # refused by the bar alone
        ("Vad menas med semesteråret?", "3 § Med semesterår avses tiden"),
        ("Vad är kamerabevakning?", "3 § Med kamerabevakning avses"),
    ],
)
def test_a_term_asked_about_leads_with_the_statute_defining_it(provisions_index, question, opens):
    from lagrum.app.service import LagrumService

    result = LagrumService(provisions_index).ask(question)
    assert result["found"] and result["citations"][0]["quote"].startswith(opens), result["answer"]


@pytest.mark.parametrize("question", ["När började kamerabevakningslagen gälla?", "When did the Camera Surveillance Act enter into force?"])
def test_when_a_statute_came_into_force_is_its_own_transitional_provision(provisions_index, question):
    """ "2018:1200 1. Denna lag träder i kraft den 1 augusti 2018.": under the act's own number."""
    from lagrum.app.service import LagrumService

    result = LagrumService(provisions_index).ask(question)
    assert result["citations"][0]["quote"] == "Denna lag träder i kraft den 1 augusti 2018.", result["answer"]


def test_a_section_named_by_its_heading_in_a_named_statute_leads(provisions_index):
    """Kamerabevakningslagen's heading "Sanktionsavgifter" over 25 §: one word is enough in the statute
    the question names; the transitional provisions' "upphör att gälla" shares as many words."""
    from lagrum.app.service import LagrumService

    lead = LagrumService(provisions_index).ask("Vilka regler finns om sanktionsavgifter i kamerabevakningslagen?")["citations"][0]
    assert lead["quote"].startswith("25 § Tillsynsmyndigheten får ta ut en sanktionsavgift"), lead["quote"]


def test_an_amending_acts_date_is_not_given_as_the_statutes(provisions_index):
    """Semesterlagen's transitional provisions begin with its amendments' ("1985:86 Denna lag träder i
    kraft den 1 juli 1985."): none of them dates the act of 1977."""
    from lagrum.app.service import LagrumService

    result = LagrumService(provisions_index).ask("När trädde semesterlagen i kraft?")
    assert all("träder i kraft" not in c["quote"] for c in result["citations"]), result["answer"]


def test_a_term_no_statute_defines_is_still_refused_out_of_domain(provisions_index):
    from lagrum.app.service import LagrumService

    assert not LagrumService(provisions_index).ask("Vad är en tulpanlök?")["found"]


def test_official_statute_json_is_not_taken_for_a_provisions_file():
    path = REALDATA / "rkrattsbaser-sfs-json" / "sfs-2018-585.json"
    if not path.exists():
        pytest.skip(f"REALDATA MISSING: {path} (see /work/shared/realdata/SOURCES.md)")
    assert detect(".json", path.read_bytes(), path.name).name == "sfs-json"


def test_a_named_section_leads_with_its_points(provisions_index):
    """25 § kamerabevakningslagen is one sentence over four numbered points: the lead holds them all."""
    from lagrum.app.service import LagrumService

    result = LagrumService(provisions_index).ask("Vad säger 25 § kamerabevakningslagen om sanktionsavgift?")
    lead = result["citations"][0]
    assert lead["doc_id"] == "sfs-2018-1200" and lead["quote"].startswith("25 § "), lead["quote"]
    assert all(f"{n}. " in lead["quote"] for n in (1, 2, 3, 4)), lead["quote"]


@pytest.fixture(scope="module")
def public_documents_service(tmp_path_factory, embedder, corpus_settings):
    """Tryckfrihetsförordningen's provisions on what an official document is (2 kap., from "Vad som
    är allmän handling" to 9 §): the real text, cut at test time."""
    import dataclasses

    from ingest.loaders import iter_documents
    from tests.conftest import service_over

    real("tryckfrihetsforordningen.json")
    act = next(iter(iter_documents([SEEDS / "tryckfrihetsforordningen.json"])))
    start = act.text.index("Vad som är allmän handling")
    excerpt = dataclasses.replace(act, text=act.text[start : act.text.index("9 §", start)])
    with service_over([excerpt], corpus_settings.with_(data_dir=tmp_path_factory.mktemp("tf")), embedder) as service:
        yield service


@pytest.mark.parametrize("question", ["Vad är allmän handling?", "Vad är en allmän handling?"])
def test_a_term_defined_as_a_noun_and_its_quality_leads(public_documents_service, question):
    """ "4 § En handling är allmän, om den förvaras hos en myndighet ...": "allmän handling" is
    defined by saying when a handling is allmän."""
    lead = public_documents_service.ask(question)["citations"][0]
    assert lead["quote"].startswith("4 § En handling är allmän, om den förvaras hos en myndighet"), lead["quote"]


def test_a_statute_quote_names_its_provision(provisions_index):
    """A lawyer cites "25 § kamerabevakningslagen", not the act alone: every statute citation
    carries the section its quote stands in (`provision`), and the answer's first line names it
    beside the act ("Kamerabevakningslag (2018:1200), 25 § (2018-06-20): …")."""
    from lagrum.app.service import LagrumService

    result = LagrumService(provisions_index).ask("Vad säger 25 § kamerabevakningslagen om sanktionsavgift?")
    lead = result["citations"][0]
    assert lead["doc_id"] == "sfs-2018-1200" and lead["quote"].startswith("25 §"), lead
    assert lead["provision"] == "25 §", lead
    first_line = result["answer"].split("\n\n")[1]
    assert first_line.startswith("Kamerabevakningslag (2018:1200), 25 § ("), first_line
    assert all(c["provision"] for c in result["citations"] if c["doc_id"].startswith("sfs-") and c["quote"][:1].isdigit() and " § " in c["quote"][:8]), result["citations"]


def test_a_transitional_provision_is_not_cited_as_the_last_section(provisions_index):
    """The seeds' JSON leaves the transitional provisions in the last section's text ("… Lag
    (2025:220). Övergångsbestämmelser 2018:1200 1. Denna lag träder i kraft …"): a quote from
    them names no section rather than 29 §."""
    from lagrum.app.service import LagrumService

    result = LagrumService(provisions_index).ask("När trädde kamerabevakningslagen i kraft?")
    lead = result["citations"][0]
    assert "Denna lag träder i kraft den 1 augusti 2018" in lead["quote"], lead
    assert lead["provision"] is None, lead
    assert result["answer"].split("\n\n")[1].startswith("Kamerabevakningslag (2018:1200) (2018-06-20): "), result["answer"]
