"""Native readers of rulings, authority decisions, EU acts and ferenda XHTML, on the real files.

The files are real public documents in ../shared/realdata (see its SOURCES.md); they are read in
place, never copied into the repository. A missing file skips its test loudly. Chunking runs the
real chunker with a word counter (no embedding) so the whole file stays fast.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.chunking import chunk_text
from lagrum.cleaning import clean_text, is_boilerplate_line
from ingest.formats import detect
from ingest.loaders import iter_documents

ROOT = Path(__file__).resolve().parents[1]
# ../shared/realdata next to the checkout; a git worktree under /work/wt/NAME finds it one level up.
REAL = next((p for p in (ROOT.parent / "shared" / "realdata", ROOT.parent.parent / "shared" / "realdata") if p.exists()), ROOT.parent / "shared" / "realdata")


def words(text: str) -> int:
    return int(len(text.split()) * 1.5) + 2


def real(relative: str) -> Path:
    path = REAL / relative
    if not path.exists():
        pytest.skip(f"REALDATA MISSING: {path} (see ../shared/realdata/SOURCES.md)")
    return path


def load_one(path: Path, **kwargs):
    items = list(iter_documents([path], **kwargs))
    errors = [i for i in items if not hasattr(i, "text")]
    assert not errors, errors
    assert len(items) == 1, items
    return items[0]


def sections(doc) -> list[str | None]:
    return [s.section for s in chunk_text(doc.text, doc.doc_type, count_tokens=words)]


# Lines of the courts' PDF page furniture: page headers, page numbers, footers, Dok.Id.
PAGE_FURNITURE = re.compile(
    r"^(?:HÖGSTA DOMSTOLEN (?:DOM|BESLUT)|SVEA HOVRÄTT|Sid \d|Sida \d|Dok\.Id|Postadress|Besöksadress|"
    r"Mark- och miljööverdomstolen$|Patent- och marknadsöverdomstolen$|\d$|[dDIo]$|\.k$)"
)


# --- Domstolsverket rättspraxis records ----------------------------------------------------


def test_hfd_ruling_id_case_number_date_and_head():
    doc = load_one(real("domstol-avgoranden/HFD/HFD-3217-21.json"))
    assert doc.id == "hfd-3217-21"
    assert doc.doc_type == "dom"
    assert doc.date == "2026-01-27"
    assert doc.extra["court"] == "Högsta förvaltningsdomstolen"
    assert doc.extra["case_numbers"] == ["3217-21"]
    assert doc.extra["identifiers"] == ["mål 3217-21"]
    assert doc.extra["ruling_kind"] == "dom"
    assert doc.extra["is_precedent"] is True
    head = doc.extra["head"]
    assert head["parties"]["klagande"][0]["name"] == "Aktiebolaget Högkullen"
    assert head["parties"]["motpart"][0]["name"] == "Skatteverket"
    assert head["appealed"]["court_or_authority"] == "Kammarrätten i Göteborg"
    assert head["appealed"]["date"] == "2021-03-03"
    assert head["appealed"]["number"] == "3386-19"
    assert head["matter"] == "Mervärdesskatt samt skattetillägg"
    assert head["operative"].startswith("Högsta förvaltningsdomstolen upphäver kammarrättens avgörande")
    found = sections(doc)
    assert "KLAGANDE" in found and "HÖGSTA FÖRVALTNINGSDOMSTOLENS AVGÖRANDE" in found and "BAKGRUND" in found


def test_hd_ruling_head_parts_and_no_page_furniture_in_sections():
    doc = load_one(real("domstol-avgoranden/HD/record_006.json"))
    assert doc.id == "hd-t-9218-24"
    assert doc.date == "2025-12-30"
    assert doc.extra["identifiers"] == ["mål T 9218-24"]
    head = doc.extra["head"]
    assert head["parties"]["klagande"] == [{"name": "L.K.", "ombud": "Juristen D.K."}]
    assert head["parties"]["motpart"][0]["name"] == "Justitiekanslern"
    assert head["appealed"] == {
        "text": "Svea hovrätts dom 2024-11-06 i mål T 4382-23",
        "court_or_authority": "Svea hovrätt",
        "date": "2024-11-06",
        "number": "T 4382-23",
    }
    assert head["matter"] == "Skadestånd"
    # Both orders of the operative part survive cleaning (the second recurs in the reasons).
    assert head["operative"] == "Högsta domstolen fastställer hovrättens domslut.\nVardera parten ska bära sin rättegångskostnad i Högsta domstolen."
    assert "Vardera parten ska bära sin rättegångskostnad i Högsta domstolen." in doc.text
    found = sections(doc)
    for part in ("PARTER", "DOMSLUT", "Bakgrund", "Frågan i målet", "Slutsats"):
        assert part in found, (part, found)
    for line in doc.text.split("\n\n", 1)[-1].split("\n"):
        assert not PAGE_FURNITURE.match(line), line
    assert "Riddarhustorget" not in doc.text and "HÖGSTA DOMSTOLEN DOM T 9218-24" not in doc.text


def test_hd_beslut_is_a_ruling_with_its_kind():
    doc = load_one(real("domstol-avgoranden/HD/record_003.json"))
    assert doc.id == "hd-of-5877-24"
    assert doc.doc_type == "dom"
    assert doc.extra["ruling_kind"] == "beslut"
    assert doc.extra["identifiers"] == ["mål ÖF 5877-24"]
    assert doc.extra["head"]["appealed"]["number"] == "ÖF 4341-23"
    assert "HÖGSTA DOMSTOLENS AVGÖRANDE" in sections(doc)


@pytest.mark.parametrize("folder", ["HD", "HFD", "hovratter-specialdomstolar"])
def test_no_chunk_section_is_a_page_header(folder):
    files = sorted((REAL / "domstol-avgoranden" / folder).glob("*.json")) if REAL.exists() else []
    if not files:
        pytest.skip(f"REALDATA MISSING: {REAL / 'domstol-avgoranden' / folder}")
    ids = set()
    for path in files:  # every real record reads, none with page furniture in a section
        doc = load_one(path)
        assert re.fullmatch(r"(hd|hfd|mod|pmod)-[a-z0-9-]+", doc.id), doc.id
        ids.add(doc.id)
        for section in sections(doc):
            if section is None:
                continue
            assert not PAGE_FURNITURE.match(section), (path.name, section)
            assert not re.search(r"\b(?:DOM|BESLUT)\b.*\d+-\d{2}$", section), (path.name, section)
        # The first paragraph is the title and the ruling's own title block (court, date, case).
        for line in doc.text.split("\n\n", 1)[-1].split("\n"):
            assert not PAGE_FURNITURE.match(line), (path.name, line)
    assert len(ids) == len(files)  # ids are unique


def test_mod_record_id_and_footer_removed():
    doc = load_one(real("domstol-avgoranden/hovratter-specialdomstolar/record_002.json"))
    assert doc.id == "mod-p-9602-25"
    assert doc.extra["court_code"] == "MMOD"
    assert "Dok.Id" not in doc.text and "Birger Jarls Torg" not in doc.text
    assert "MARK- OCH MILJÖÖVERDOMSTOLENS DOMSLUT" in sections(doc)


def test_dv_record_detected_and_forced():
    data = real("domstol-avgoranden/HD/record_001.json").read_bytes()
    assert detect(".json", data, "record_001.json").name == "dv-record"
    assert detect(".json", b'{"id": "x", "text": "Hej"}', "x.json") is None


# --- cleaning: letterheads -----------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "Postadress: Box 8114 104 20 Stockholm Webbplats: www.imy.se E-post: imy@imy.se Telefon: 08-657 61 00",
        "1(4)",
        "Sid 2 (12)",
        "Dok.Id 2294760",
        "Om ni har frågor om ärendet kontakta: registrator@imy.se",
        "Postadress Besöksadress Telefon Telefax Expeditionstid",
        "Telefon: 010-730 90 00",
        "E-post: arbetsmiljoverket@av.se",
        "www.av.se",
        "Integritetsskyddsmyndigheten Diarienummer: IMY-2024-1499 2(15) Datum: 2026-01-22",
    ],
)
def test_letterhead_lines_are_boilerplate(line):
    assert is_boilerplate_line(line)
    assert clean_text(f"Beslutet gäller.\n{line}\nSkälen följer.") == "Beslutet gäller.\nSkälen följer."


def test_letterhead_words_inside_a_sentence_stay():
    assert not is_boilerplate_line("IMY:s postadress och telefon framgår av beslutets första sida.")
    assert not is_boilerplate_line("Sid 2 (12) i bilagan visar kartan.")
    assert not is_boilerplate_line("Telefon 08-657 61 00 är öppen på vardagar.")
    assert not is_boilerplate_line("E-post till imy@imy.se räknas som inkommen handling.")


# --- EUR-Lex: the GDPR in Swedish ----------------------------------------------------------


def test_gdpr_articles_are_sections_with_their_text():
    doc = load_one(real("gdpr-sv/gdpr-transformed.html"))
    assert doc.id == "eu-2016-679"
    assert doc.doc_type == "förordning"
    assert doc.extra["celex"] == "32016R0679"
    assert doc.extra["identifiers"] == ["EU 2016/679", "CELEX 32016R0679"]
    assert doc.title == "Allmän dataskyddsförordning (GDPR) – förordning (EU) 2016/679"
    spans = chunk_text(doc.text, doc.doc_type, count_tokens=words)
    art88 = [doc.text[s.start : s.end] for s in spans if s.section == "art. 88"]
    assert art88, [s.section for s in spans]
    joined = "\n".join(art88)
    assert joined.startswith("Artikel 88\nBehandling i anställningsförhållanden")
    assert "fastställa mer specifika regler för att säkerställa skyddet av rättigheter och friheter vid behandling av anställdas personuppgifter" in joined
    assert "senast den 25 maj 2018" in joined
    assert "Artikel 89" not in joined and "Artikel 87" not in joined
    # The chapter heading opens its first article; recitals are labelled.
    art85 = next(doc.text[s.start : s.end] for s in spans if s.section == "art. 85")
    assert art85.startswith("KAPITEL IX\nBestämmelser om särskilda behandlingssituationer\n\nArtikel 85")
    labels = [s.section for s in spans]
    assert "skäl 1–3" in labels or "skäl 1" in labels
    assert sum(1 for label in labels if label and label.startswith("art. ")) >= 99
    assert any(label and label.startswith("skäl 17") for label in labels)


def test_eurlex_detected_from_content_only():
    data = real("gdpr-sv/gdpr-transformed.html").read_bytes()
    assert detect(".html", data, "gdpr.html").name == "eurlex"
    assert detect(".html", b"<html><body><p>Artikel 1</p></body></html>", "x.html") is None


# --- IMY decisions -------------------------------------------------------------------------


def test_imy_decision_with_sanction_and_diary_number():
    doc = load_one(real("imy-decisions/record_0002.json"))
    assert doc.id == "imy-sportadmin-i-skandinavien-ab"
    assert doc.doc_type == "beslut"
    assert doc.date == "2026-01-26"  # the decision's date, not the web page's (2025-04-15)
    assert doc.extra["diary_number"] == "IMY-2025-7801"
    assert doc.extra["identifiers"] == ["dnr IMY-2025-7801"]
    assert doc.extra["sanction_sek"] == 6_000_000
    assert doc.extra["status"] == "Beslut"
    assert doc.extra["authority"] == "Integritetsskyddsmyndigheten"
    assert doc.extra["pdf_url"].endswith("sportadmin-i-skandinavien-ab.pdf")
    assert "ska betala en administrativ sanktionsavgift på 6 000 000 kronor" in doc.text
    found = sections(doc)
    assert found[0] == "Integritetsskyddsmyndighetens beslut"
    assert "Hur man överklagar" in found or "Hur man överklagar" in doc.text.split("\n")


def test_imy_heading_after_a_signature_is_a_heading():
    """ "… medverkat. Eric Leijonram Hur man överklagar Om ni vill överklaga …": the signature ends
    no sentence, yet a heading of three words is one there too (its appeal instructions are not
    quoted as "Eric Leijonram Hur man överklagar Om ni vill …")."""
    doc = load_one(real("imy-decisions/record_0009.json"))
    lines = doc.text.split("\n")
    assert "Hur man överklagar" in lines
    assert not any("Leijonram Hur man" in line for line in lines)
    letter = load_one(real("imy-decisions/record_0000.json"))  # a letter's title, then its first heading
    assert "Bakgrund och syfte med granskningen" in letter.text.split("\n")


def test_imy_letterhead_page_headers_and_contents_are_gone():
    doc = load_one(real("imy-decisions/record_0001.json"))
    assert doc.id == "imy-polismyndigheten2"
    assert doc.extra["diary_number"] == "IMY-2024-1499"
    assert "sanction_sek" not in doc.extra
    for furniture in ("Postadress", "Webbplats: www.imy.se", "08-657 61 00", "2(15)", "15(15)", "Innehållsförteckning", "......"):
        assert furniture not in doc.text, furniture
    assert doc.text.count("Diarienummer: IMY-2024-1499") == 1  # the first page's box only
    found = sections(doc)
    for heading in ("1. Integritetsskyddsmyndighetens beslut", "2.1 Bakgrund", "3.1.1 Den enskildes rättighetsskydd och tillämplig reglering", "3.3.3 Slutsats"):
        assert heading in found, (heading, found)


def test_imy_older_decision_fine_in_millions_and_contact_lines_cleaned():
    tele2 = load_one(real("imy-decisions/record_0010.json"))
    assert tele2.extra["diary_number"] == "DI-2020-11373"
    assert tele2.extra["sanction_sek"] == 12_000_000
    assert tele2.date == "2023-06-30"
    letter = load_one(real("imy-decisions/record_0004.json"))
    assert letter.extra["status"] == "Pågår"
    assert "Om ni har frågor om ärendet" not in letter.text
    assert "mans.lysen@imy.se" not in letter.text
    assert not any(is_boilerplate_line(line) for line in letter.text.split("\n"))


def test_imy_web_page_record_loses_its_chrome():
    doc = load_one(real("imy-decisions/record_0008.json"))
    assert doc.id == "imy-sverigedemokraterna"
    assert doc.extra["identifiers"] == []
    assert doc.text.startswith("Sverigedemokraterna")
    for chrome in ("Startsida", "Lyssna", "Steg 1 av 3", "Skriv ut", "Sidans etiketter", "(pdf, 180 kB)"):
        assert chrome not in doc.text, chrome
    assert "IMY ger Sverigedemokraterna en reprimand för överträdelsen." in doc.text


def test_imy_web_page_record_has_its_title_and_status_heading_on_lines_of_their_own():
    """The page's title stood twice and its "Beslut" heading was glued into the first sentence
    ("… Beslut 2025-10-22. Beslut IMY har efter …"), which an answer then quoted as "Beslut IMY har
    efter att ha tagit emot klagomål …", and its preamble was quoted as "Tillsyn enligt
    dataskyddsförordningen."; under its own heading the text is the decision's operative part."""
    from lagrum.legal.operative import is_operative_section

    doc = load_one(real("imy-decisions/record_0008.json"))
    lines = doc.text.split("\n")
    assert lines[0] == "Sverigedemokraterna" and doc.text.count("Sverigedemokraterna Sverigedemokraterna") == 0
    assert "Tillsyn enligt dataskyddsförordningen" not in doc.text  # the preamble, a caption, is metadata
    assert doc.extra["preamble"] == "Tillsyn enligt dataskyddsförordningen. Beslut 2025-10-22."
    at = lines.index("Beslut")
    assert is_operative_section(lines[at]) and lines[at + 1].startswith("IMY har efter att ha tagit emot klagomål"), lines[: at + 2]


# --- AFS föreskrifter through the generic PDF reader ----------------------------------------


def test_afs_pdf_keeps_sections_and_loses_running_headers():
    doc = load_one(real("afs-arbetsmiljoverket/AFS-2023-2.pdf"))
    assert doc.id == "afs-2023-2"
    assert doc.extra["identifiers"] == ["AFS 2023:2"]
    assert doc.doc_type == "förordning"
    assert doc.date == "2023-09-15"
    lines = doc.text.split("\n")
    assert "2 kap. Organisatorisk och social arbetsmiljö" in lines
    assert any(line.startswith("1 § Syftet med dessa föreskrifter") for line in lines)
    assert not any(re.search(r"\.{5,}\s*\d+$", line) for line in lines)  # contents lines
    assert sum(1 for line in lines if line == "AFS 2023:2") == 2  # the cover and the title page, not every page (73)
    assert "Kapitel 2" not in lines  # the running chapter tab
    assert not any(re.fullmatch(r"\d{1,3}", line) for line in lines)  # page numbers
    labels = [s.section for s in chunk_text(doc.text, doc.doc_type, count_tokens=words)]
    for label in ("1 kap. 1 §", "2 kap. 3 §", "bilaga 1", "övergångsbestämmelser"):
        assert label in labels, (label, labels)
    # The last section, short once the transitional provisions are their own segment, shares a passage.
    from lagrum.retrieval import _label_covers

    assert any(_label_covers(label, "9", "14") for label in labels), labels
    third = next(doc.text[s.start : s.end] for s in chunk_text(doc.text, doc.doc_type, count_tokens=words) if s.section == "2 kap. 3 §")
    assert third.startswith("Definitioner\n3 § I detta kapitel har följande begrepp dessa betydelser.")


def test_afs_2023_1_sections():
    doc = load_one(real("afs-arbetsmiljoverket/AFS-2023-1.pdf"))
    assert doc.id == "afs-2023-1"
    assert doc.extra["identifiers"] == ["AFS 2023:1"]
    labels = [s.section for s in chunk_text(doc.text, doc.doc_type, count_tokens=words)]
    assert "6 §" in labels and "16 §" in labels
    assert "Telefon: 010-730 90 00" not in doc.text


# --- ferenda (lagen.nu) XHTML ---------------------------------------------------------------


def test_ferenda_ad_ruling_metadata_from_rdfa():
    doc = load_one(real("ferenda-lagen-nu/dv/AD-2013-63.xhtml"))
    assert doc.id == "ad-2013-63"
    assert doc.doc_type == "dom"
    assert doc.date == "2013-08-21"
    assert doc.title == "AD 2013 nr 63"
    assert doc.extra["court"] == "Arbetsdomstolen"
    assert doc.extra["case_numbers"] == ["B-114-2012"]
    assert doc.extra["identifiers"] == ["AD 2013 nr 63", "mål B-114-2012"]
    assert doc.extra["keywords"] == ["Föräldraledighet", "Missgynnande", "Tillfällig föräldrapenning"]
    assert doc.extra["legal_provisions"] == ["16 § föräldraledighetslagen (1995:584)"]
    assert doc.extra["summary"].startswith("En arbetsgivare har krävt att en arbetstagare")
    assert "AD 2011 nr 23" not in doc.text  # ferenda's metadata box is not text
    found = sections(doc)
    assert "Rättsliga utgångspunkter" in found and "Domslut" in found


def test_ferenda_ids_for_hfd_notis_jo_and_forarbeten():
    expected = {
        "dv/HFD-2014-not-85.xhtml": ("hfd-2014-not-85", "dom", "2014-12-23", ["HFD 2014 not 85", "mål 4217-14"]),
        "dv/HFD-33-12.xhtml": ("hfd-2013-29", "dom", "2013-05-27", ["HFD 2013:29", "mål 33-12"]),
        "jo/jo-2012-6356.xhtml": ("jo-2012-6356", "beslut", "2014-03-28", ["JO dnr 6356-2012", "JO dnr 6488-2012"]),
        "forarbeten/prop-1997-98-44.xhtml": ("prop-1997-98-44", "förarbete", "1997-01-01", ["Prop. 1997/98:44"]),
        "forarbeten/dir-2016-15.xhtml": ("dir-2016-15", "förarbete", "2016-02-29", ["Dir. 2016:15"]),
    }
    for relative, (doc_id, doc_type, date, identifiers) in expected.items():
        doc = load_one(real(f"ferenda-lagen-nu/{relative}"))
        assert (doc.id, doc.doc_type, doc.date, doc.extra["identifiers"]) == (doc_id, doc_type, date, identifiers), relative
    jo = load_one(real("ferenda-lagen-nu/jo/jo-2012-6356.xhtml"))
    assert jo.extra["authority"] == "Justitieombudsmannen"
    assert {"Bakgrund och anmälningar till JO", "Utredning", "Bedömning"} <= set(sections(jo))
    prop = load_one(real("ferenda-lagen-nu/forarbeten/prop-1997-98-44.xhtml"))
    assert prop.title == "Prop. 1997/98:44 Personuppgiftslag"
    assert prop.text.startswith("18 Författningskommentar\n\n18.1 Förslaget till personuppgiftslag")


# --- through the real CLI: real e5, a real Qdrant Edge shard in a temp dir --------------------


def test_cli_ingests_native_records_with_sections_and_identifiers(tmp_path, capsys):
    import json
    import shutil

    from lagrum.app.cli import main as lagrum_main

    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(real("domstol-avgoranden/HFD/HFD-3944-25.json"), docs / "HFD-3944-25.json")
    shutil.copy(real("imy-decisions/record_0003.json"), docs / "imy-fk.json")
    data = tmp_path / "data"
    assert lagrum_main(["--data", str(data), "ingest", str(docs), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["ingested"], report["failed"]) == (2, 0), report
    assert lagrum_main(["--data", str(data), "show", "hfd-3944-25", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["doc_type"] == "dom" and shown["date"] == "2026-01-29"
    metadata = {**shown, **shown.get("extra", {})}
    assert metadata["identifiers"] == ["mål 3944-25"]
    sections = [c["section"] for c in shown["chunks"]]
    assert "ÖVERKLAGAT AVGÖRANDE" in sections or "HÖGSTA FÖRVALTNINGSDOMSTOLENS AVGÖRANDE" in sections, sections
    assert all(c["end"] > c["start"] for c in shown["chunks"])
    assert lagrum_main(["--data", str(data), "show", "imy-forsakringskassan", "--json"]) == 0
    imy = json.loads(capsys.readouterr().out)
    assert {**imy, **imy.get("extra", {})}["diary_number"] == "IMY-2025-11828"
    assert not any(c["section"] and "Postadress" in c["section"] for c in imy["chunks"])


def test_forced_format_that_does_not_fit_names_the_file_and_field(tmp_path, capsys):
    from lagrum.app.cli import main as lagrum_main

    made_up = tmp_path / "made-up-not-a-ruling.json"  # made up for this test, not a real record
    made_up.write_text('{"_source": "SE/IMY", "text": "Ett påhittat beslut."}', encoding="utf-8")
    code = lagrum_main(["--data", str(tmp_path / "data"), "ingest", str(made_up), "--format", "dv-record", "--json"])
    out, err = capsys.readouterr()
    assert code != 0
    assert "made-up-not-a-ruling.json" in out + err and "primary_case_number" in out + err
    code = lagrum_main(["--data", str(tmp_path / "data"), "ingest", str(made_up), "--json"])
    out, err = capsys.readouterr()
    assert code != 0 and "'_id' is missing" in out + err


def test_appended_lower_court_ruling_does_not_add_to_the_head():
    doc = load_one(real("domstol-avgoranden/hovratter-specialdomstolar/record_003.json"))
    assert doc.id == "mod-p-13176-25"
    head = doc.extra["head"]
    assert head["parties"] == {"klagande": [{"name": "P.J."}], "motpart": [{"name": "Miljö- och byggnämnden i Strömstads kommun"}]}
    assert head["appealed"]["court_or_authority"] == "Vänersborgs tingsrätt, mark- och miljödomstolen"
    assert head["appealed"]["number"] == "P 2512-25"
    assert head["operative"].startswith("Mark- och miljööverdomstolen ändrar mark- och miljödomstolens")
    pmod = load_one(real("domstol-avgoranden/hovratter-specialdomstolar/record_020.json"))
    assert pmod.extra["head"]["parties"]["motpart"] == [{"name": "Konsumentombudsmannen", "ombud": "processrådet L.L."}]


# --- chunker and heading rules the readers rely on (texts made up for these tests) ----------


def test_heading_rules_for_rulings_and_decisions():
    from lagrum.sentences import is_heading_line

    assert is_heading_line("YRKANDEN I HÖGSTA DOMSTOLEN M.M.")
    assert not is_heading_line("Se även SFS m.m.")
    assert is_heading_line("1. Integritetsskyddsmyndighetens beslut", "Integritetsskyddsmyndigheten konstaterar att ...")
    assert is_heading_line("2. Redogörelse för tillsynsärendet")
    assert not is_heading_line("1. Första punkten", "2. Andra punkten")


def test_eu_act_and_appendix_labels_on_made_up_text():
    act = (
        "Förordning (påhittad)\n\n(1) Ett skäl.\n\n(2) Ett skäl till.\n\nKAPITEL I\nAllmänt\n\n"
        "Artikel 1\nSyfte\n\n1. Förordningen gäller.\n\nArtikel 2\nDefinitioner\n\nOrd betyder ord."
    )
    spans = chunk_text(act, "förordning", count_tokens=words, max_tokens=64)
    assert [s.section for s in spans] == [None, "skäl 1–2", "art. 1", "art. 2"]
    assert act[spans[2].start : spans[2].end].startswith("KAPITEL I\nAllmänt\n\nArtikel 1")
    law = "Föreskrift (påhittad)\n\n1 § Regeln gäller.\n\n2 § Den gäller alltid.\n\nBilaga 1 Blankett\n\nFyll i namn och datum."
    labels = [s.section for s in chunk_text(law, "förordning", count_tokens=words, max_tokens=64)]
    assert labels[-1] == "bilaga 1" and "2 §" in labels[-2]


# Made up for this test: a tiny act in EUR-Lex's own layout (doc-ti, ti-art, sti-art, recitals
# as tables). Not a real act; written to a temp file, never part of the corpus.
MADE_UP_EURLEX_ACT = """<html lang="sv"><head><title>EUR-Lex - 32099R0001</title><link rel="canonical" href="https://eur-lex.europa.eu/legal-content/SV/TXT/?uri=CELEX:32099R0001"/></head>
<body><div id="document1">
<p class="doc-ti">EUROPAPARLAMENTETS OCH RÅDETS FÖRORDNING (EU) 2099/1</p>
<p class="doc-ti">av den 3 mars 2099</p>
<p class="doc-ti">om påhittade regler</p>
<p class="normal">av följande skäl:</p>
<table><tr><td><p class="normal">(1)</p></td><td><p class="normal">Ett första skäl.</p></td></tr></table>
<table><tr><td><p class="normal">(2)</p></td><td><p class="normal">Ett andra skäl.</p></td></tr></table>
<p class="ti-section-1">KAPITEL I</p><p class="ti-section-2">Allmänna bestämmelser</p>
<p class="ti-art">Artikel 1</p><p class="sti-art">Syfte</p>
<p class="normal">1.   Denna förordning gäller påhittade saker.</p>
<p class="ti-art">Artikel 2</p><p class="sti-art">Ikraftträdande</p>
<p class="normal">Denna förordning träder i kraft i dag.</p>
</div></body></html>
"""


def test_eurlex_own_layout_on_a_made_up_act(tmp_path):
    path = tmp_path / "made-up-eurlex-act.html"
    path.write_text(MADE_UP_EURLEX_ACT, encoding="utf-8")
    doc = load_one(path)
    assert doc.id == "eu-2099-1"
    assert doc.title == "Europaparlamentets och rådets förordning (EU) 2099/1 av den 3 mars 2099 om påhittade regler"
    assert doc.date == "2099-03-03"
    assert doc.extra["identifiers"] == ["EU 2099/1", "CELEX 32099R0001"]
    spans = chunk_text(doc.text, doc.doc_type, count_tokens=words, max_tokens=40)
    assert [s.section for s in spans] == [None, "skäl 1–2", "art. 1", "art. 2"]
    assert doc.text[spans[2].start : spans[2].end] == "KAPITEL I\nAllmänna bestämmelser\n\nArtikel 1\nSyfte\n\n1. Denna förordning gäller påhittade saker."


def test_made_up_records_with_odd_fields_are_read_or_refused_by_name(tmp_path):
    # Made up for this test: not real rulings or decisions.
    odd = tmp_path / "made-up-odd-ruling.json"
    odd.write_text(
        '{"_source": "SE/SupremeCourt", "court": "Högsta domstolen", "court_code": "HDO", "case_numbers": "Ö 1-99",'
        ' "keywords": "Påhittat", "date": "2099-01-02", "text": "HÖGSTA DOMSTOLENS\\nBESLUT\\nSAKEN\\nPåhittad sak\\n'
        'HÖGSTA DOMSTOLENS AVGÖRANDE\\nHögsta domstolen avslår överklagandet."}',
        encoding="utf-8",
    )
    doc = load_one(odd)
    assert doc.id == "hd-o-1-99" and doc.extra["case_numbers"] == ["Ö 1-99"] and doc.extra["keywords"] == ["Påhittat"]
    assert doc.extra["head"] == {"matter": "Påhittad sak", "operative": "Högsta domstolen avslår överklagandet."}
    assert doc.extra["ruling_kind"] == "beslut"
    bad_date = tmp_path / "made-up-bad-date.json"
    bad_date.write_text('{"_source": "SE/IMY", "_id": "IMY/x", "date": "igår", "text": "Ett påhittat beslut."}', encoding="utf-8")
    items = list(iter_documents([bad_date]))
    assert len(items) == 1 and not hasattr(items[0], "text")
    assert "made-up-bad-date.json" in str(items[0]) and "date" in str(items[0])
    not_json = tmp_path / "made-up-broken.json"
    not_json.write_bytes(b'{"_source": "SE/SupremeCourt", "text": "avbruten')
    items = list(iter_documents([not_json]))
    assert len(items) == 1 and "made-up-broken.json" in str(items[0]) and "rättspraxis" in str(items[0])


def test_a_ferenda_folder_ingests_without_its_ttl_companions(tmp_path):
    import shutil

    folder = tmp_path / "dv"
    folder.mkdir()
    for name in ("AD-1994-103.xhtml", "AD-1994-103.ttl"):
        shutil.copy(real(f"ferenda-lagen-nu/dv/{name}"), folder / name)
    items = list(iter_documents([folder]))
    assert [getattr(i, "id", str(i)) for i in items] == ["ad-1994-103"]
    assert items[0].extra["case_numbers"] == ["A-295-1993"]


@pytest.mark.parametrize("folder,pattern", [("imy-decisions", "*.json"), ("ferenda-lagen-nu", "*/*.xhtml")])
def test_every_real_file_of_a_format_reads(folder, pattern):
    files = sorted((REAL / folder).glob(pattern)) if REAL.exists() else []
    if not files:
        pytest.skip(f"REALDATA MISSING: {REAL / folder}")
    ids = []
    for path in files:
        doc = load_one(path)
        ids.append(doc.id)
        assert doc.extra["identifiers"] or folder == "imy-decisions", path.name
        assert not any(is_boilerplate_line(line) for line in doc.text.split("\n")), path.name
        assert "Postadress: Box 8114" not in doc.text and "Innehållsförteckning" not in doc.text, path.name
    assert len(set(ids)) == len(ids)


def test_imy_contents_headed_innehall_gives_numbered_sections():
    doc = load_one(real("imy-decisions/record_0009.json"))
    assert doc.id == "imy-moderata-samlingspartiet-riksorganisationen"
    assert doc.extra["diary_number"] == "IMY-2023-4458" and doc.date == "2025-10-22"
    found = sections(doc)
    for heading in ("1.2.4 Moderaternas rättsliga grund för behandlingen", "2.1.2 IMY:s bedömning", "3 Val av ingripande"):
        assert heading in found, (heading, found)
    assert "............" not in doc.text


def test_imy_letter_of_inquiry_keeps_addressee_and_title_apart_from_its_first_sentence():
    # The PDF text runs the addressee, the letter's title and its first sentence into one line;
    # a quote of that "sentence" would name Region Västmanland and a heading as if it were prose.
    doc = load_one(real("imy-decisions/record_0007.json"))
    assert doc.id == "imy-region-vastmanland"
    lines = doc.text.split("\n")
    assert "Region Västmanland" in lines
    title = next(line for line in lines if line.startswith("Tillsyn enligt dataskyddsförordningen"))
    assert title.endswith("begäran om information"), title
    assert any(line.startswith("Integritetsskyddsmyndigheten (IMY) är tillsynsmyndighet") for line in lines)
