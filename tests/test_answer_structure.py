"""The decisive passage first, found by the documents' structure (issue 16), on real documents.

A question about what a ruling decided leads with its operative part; one asking for a figure,
with the operative sentence stating it; one about what a statute regulates, with its opening
provision; one naming a provision, with that provision (not its neighbour in the same passage).
Real e5, a real Qdrant Edge shard, documents read from ../shared/realdata.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lagrum.answer import _FIGURE, _authority, _named_provisions
from lagrum.retrieval import Hit
from tests.conftest import service_over

ROOT = Path(__file__).resolve().parent.parent
REALDATA = Path(os.environ.get("LAGRUM_REALDATA") or ROOT.parent / "shared" / "realdata")
FILES = (
    ("domstol-avgoranden", "HFD", "HFD-3857-25.json"),  # HFD: two operative sentences
    ("domstol-avgoranden", "HD", "record_003.json"),  # HD ÖF 5877-24: a head that reads "HÖGSTA DOMSTOLENS BESLUT"
    ("ferenda-lagen-nu", "dv", "AD-2013-63.xhtml"),  # AD 2013 nr 63: damages in the operative part
    ("rkrattsbaser-sfs-json", "sfs-2023-421.json"),  # lag om ordningsvakter
    ("rkrattsbaser-sfs-json", "sfs-1994-260.json"),  # lag om offentlig anställning: 7 § shares a passage with 7 a–7 d §§
    # MÖD P 13176-25: its own DOMSLUT under "MARK- OCH MILJÖÖVERDOMSTOLENS DOMSLUT", the lower court's annexed after it
    ("domstol-avgoranden", "hovratter-specialdomstolar", "record_003.json"),
    ("ferenda-lagen-nu", "dv", "AD-1994-103.xhtml"),  # AD 1994 nr 103: 56 passages, its DOMSLUT the last one
    ("afs-arbetsmiljoverket", "AFS-2023-1.pdf"),  # the registry does not know AFS numbers; its PDF lines are hard-wrapped
)


def _real(*parts: str) -> Path:
    path = REALDATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"REALDATA MISSING: {path}; set LAGRUM_REALDATA to the shared realdata folder (see its SOURCES.md)")
    return path


@pytest.fixture(scope="module")
def service(corpus_settings, embedder, tmp_path_factory):
    files = [_real(*parts) for parts in FILES]
    with service_over(files, corpus_settings.with_(data_dir=tmp_path_factory.mktemp("answer-structure")), embedder) as service:
        yield service


def _lead(service, question: str) -> dict:
    result = service.ask(question)
    assert result["found"] and result["citations"], result["answer"]
    lead = result["citations"][0]
    # The lead is verbatim and the answer's first line names its source.
    text = service.get_document(lead["doc_id"])["text"]
    assert text[lead["start"] : lead["end"]] == lead["quote"]
    return lead


@pytest.mark.parametrize(
    "question, doc_id, quoted",
    [
        # The whole operative part, both of its sentences, in one quote.
        ("Vad beslutade Högsta förvaltningsdomstolen i mål 3857-25?", "hfd-3857-25", ("avslår yrkandet om", "avvisar överklagandet")),
        ("What did the Supreme Administrative Court decide in case 3857-25?", "hfd-3857-25", ("avvisar överklagandet",)),
        # Not the head's "Mål nr / meddelat i Stockholm ..." under the title "HÖGSTA DOMSTOLENS BESLUT".
        ("Vad beslutade Högsta domstolen i mål ÖF 5877-24?", "hd-of-5877-24", ("Högsta domstolen ändrar Mark- och miljööverdomstolens beslut",)),
        # What a decision is about is what it decided.
        ("Vad handlar Högsta domstolens mål ÖF 5877-24 om?", "hd-of-5877-24", ("Högsta domstolen ändrar Mark- och miljööverdomstolens beslut",)),
        # The court's own operative part, not the annexed lower court's ("Mark- och miljödomstolen avslår överklagandet").
        ("Vad beslutade Mark- och miljööverdomstolen i mål P 13176-25?", "mod-p-13176-25", ("Mark- och miljööverdomstolen ändrar mark- och miljödomstolens dom",)),
    ],
)
def test_a_question_about_the_outcome_leads_with_the_operative_part(service, question, doc_id, quoted):
    lead = _lead(service, question)
    assert lead["doc_id"] == doc_id, lead
    for words in quoted:
        assert words in lead["quote"], lead["quote"]


@pytest.mark.parametrize(
    "question",
    [
        "Hur avslutade Högsta förvaltningsdomstolen mål 3857-25?",
        "Vad blev utgången i mål 3857-25 i Högsta förvaltningsdomstolen?",
        "How did the Supreme Administrative Court end case 3857-25?",
    ],
)
def test_how_a_case_ended_is_its_operative_part(service, question):
    lead = _lead(service, question)
    assert lead["doc_id"] == "hfd-3857-25" and "avvisar överklagandet" in lead["quote"], lead


@pytest.mark.parametrize(
    "question, outcome",
    [
        ("Hur avslutade IMY tillsynen av Försäkringskassan?", True),
        ("Vilken åtgärd vidtog IMY mot Moderaterna?", True),
        ("What action did IMY take against the party?", True),
        ("Vilka åtgärder måste arbetsgivaren vidta?", False),  # what the law requires, not what was decided
    ],
)
def test_outcome_questions_are_recognised(question, outcome):
    from lagrum.answer import _ASKS_FOR_OUTCOME

    assert bool(_ASKS_FOR_OUTCOME.search(question)) is outcome


def test_a_date_line_on_a_cover_page_is_not_the_lead(service):
    """AFS 2023:1's PDF opens "22 november 2023 / beslutade den 15 september 2023.": not a statement."""
    result = service.ask("Vad säger AFS 2023:1 om dokumentation av riskbedömningar?")
    assert all(not c["quote"].startswith("22 november 2023") for c in result["citations"]), result["citations"]


def test_a_question_for_a_figure_leads_with_the_operative_sentence_stating_it(service):
    lead = _lead(service, "How much did the law firm have to pay the receptionist it asked for a doctor's note during parental leave (AD 2013 no 63)?")
    assert lead["doc_id"] == "ad-2013-63" and "30 000 kr" in lead["quote"], lead


@pytest.mark.parametrize("question", ["Vad säger 13 § i AFS 2023:1?", "What does section 13 of AFS 2023:1 say?"])
def test_a_section_named_by_its_number_alone_leads(service, question):
    """A section of a document the registry does not resolve is found by its number, and its
    wrapped lines (a PDF's) are one statement; not the cover page that matches "AFS 2023:1"."""
    lead = _lead(service, question)
    assert lead["doc_id"] == "afs-2023-1" and lead["quote"].startswith("13 § Arbetsgivaren ska omedelbart"), lead["quote"]


def test_an_operative_part_at_the_end_of_a_long_ruling_is_found(service):
    """AD 1994 nr 103 writes its DOMSLUT after 55 passages of facts and reasoning; the amount stands
    in words with the figures in brackets ("trettiotusen (30 000) kr")."""
    lead = _lead(service, "Hur stort allmänt skadestånd fick fackförbunden av Stora Kraft i AD 1994 nr 103?")
    assert lead["doc_id"] == "ad-1994-103" and "förpliktar" in lead["quote"] and "(30 000) kr" in lead["quote"], lead


def test_a_question_about_what_a_statute_regulates_leads_with_its_opening_provision(service):
    lead = _lead(service, "Vad reglerar lagen (2023:421) om ordningsvakter?")
    assert lead["doc_id"] == "sfs-2023-421", lead
    assert lead["quote"].startswith("1 § Denna lag innehåller bestämmelser om under vilka förutsättningar"), lead["quote"]


def test_a_named_section_leads_even_when_its_passage_opens_with_another(service):
    lead = _lead(service, "Vad säger 7 § lagen (1994:260) om offentlig anställning om bisysslor?")
    assert lead["doc_id"] == "sfs-1994-260" and lead["quote"].startswith("7 § "), lead["quote"]


def test_named_provisions_of_the_leading_document():
    assert _named_provisions(["SFS 2009:400 21 kap. 7 §"], "sfs-2009-400") == [("21", "7", None)]
    assert _named_provisions(["EU 2016/679 art. 83.5"], "eu-2016-679") == [(None, "art. 83", "5")]
    assert _named_provisions(["SFS 2009:400 21 kap. 7 §"], "sfs-1994-260") == []  # another document's provision
    assert _named_provisions(["SFS 2009:400"], "sfs-2009-400") == []  # the statute, no provision


@pytest.mark.parametrize(
    "text, figure",
    [
        ("förpliktar Arbetsdomstolen bolaget att till S.J. betala 30 000 kr", True),
        ("en administrativ sanktionsavgift på 12 miljoner (tolv miljoner) kronor", True),
        ("Bildmaterialet får bevaras i högst 72 timmar.", True),
        ("utge allmänt skadestånd med trettiotusen (30 000) kr.", True),  # the amount in words, then in figures
        ("IMY imposes an administrative fine of SEK 5,000,000 on the company.", True),  # the currency first
        # The number written out, the unit closing a compound (semesterlagen 4 §).
        ("En arbetstagare har rätt till tjugofem semesterdagar varje semesterår.", True),
        ("Uppsägningstiden är sex månader om arbetstagaren har varit anställd i minst tio år.", True),
        ("The data must be deleted after two years.", True),
        # A word that opens with a number's letters is not one ("sjukdagar", "tredje dagen").
        ("Arbetsgivaren får begära läkarintyg för sjukdagar och från den tredje dagen.", False),
        ("upp till 20 000 000 EUR eller 4 % av den totala globala årsomsättningen", True),
        # A digit is not a figure: a list's number, an SFS number, a date.
        ("2. För ärenden enligt lagen (2007:592) om kassaregister", False),
        ("1. Denna lag träder i kraft den 1 juni 2012.", False),
    ],
)
def test_a_figure_is_a_quantity_with_its_unit(text, figure):
    assert bool(_FIGURE.search(text)) is figure


def _hit(doc_type: str, valid_until: str | None = None) -> Hit:
    return Hit(doc_id="d", chunk_id="d:0", score=0.0, title="", date=None, doc_type=doc_type, source="", url="", language="sv", text="", start=0, end=0, valid_until=valid_until)


def test_authority_orders_statute_ruling_decision_guidance_news():
    today = "2026-12-01"
    tiers = [_authority(_hit(t), today) for t in ("lag", "dom", "beslut", "vägledning", "nyhet")]
    assert tiers == sorted(tiers, reverse=True) and len(set(tiers)) == 5, tiers
    # A wording no longer in force is never preferred for being a statute: below the news item.
    assert _authority(_hit("lag", valid_until="2020-01-01"), today) < _authority(_hit("nyhet"), today)
    assert _authority(_hit("lag", valid_until="2030-01-01"), today) == _authority(_hit("lag"), today)


@pytest.mark.parametrize(
    "text, quotable",
    [
        # IMY's letters of inquiry (imy-decisions): contact details and reply instructions inside sentences.
        ("Det går också att skicka era svar till: Integritetsskyddsmyndigheten, Box 8114, 104 20 Stockholm.", False),
        ("Ange IMY-2026-4550 när ni svarar.", False),
        ("Miljödata i Karlskrona AB Ronnebygatan 46 371 14 Karlskrona Tillsyn enligt dataskyddsförordningen – begäran om information.", False),
        ("Om ni har frågor kan ni skriva till imy@imy.se och ange ärendets nummer.", False),
        ("Kopia till: Dataskyddsombudet Information om IMY:s behandling av personuppgifter https://www.imy.se/behandling-av-personuppgifter", False),
        ("Vänligen svara senast den 1 april 2026.", False),
        ("Era svar Svara skriftligt till IMY senast den 24 november 2025.", False),
        # HD's heads (domstol-avgoranden): counsel and parties on lines of their own.
        ("Ombud och målsägandebiträde för 1–4: Advokat H.W.\nMotpart", False),
        ("Ombud: Föredraganden A.M. och A.Å.\nAdress som ovan", False),
        ("Ombudet har yrkat ersättning för tolv timmars arbete.", True),
        # A letter's signature and distribution list run into its appeal instructions (IMY).
        ("Andreas Persson Kopia till: Dataskyddsombudet Hur man överklagar Om ni vill överklaga beslutet ska ni skriva till IMY.", False),
        # The tail of a list of precedents (HFD 3857-25), not a statement; a list of sections is one.
        ("21, NJA 2020 s. 717 och HFD 2025 not.", False),
        ("12, 13 och 14 §§ gäller inte för arbetstagare som avses i 2 §.", True),
        # A ruling's head: lines that end no statement.
        ("Mål nr 3857-25\nmeddelat i Stockholm den 29 januari 2026", False),
        # The rest of a sentence the layout cut: AFS 2023:1's running head on every PDF page.
        ("med arbetsgivaransvar;\nAFS 2023:1", False),
        ("och att arbetsgivaren har dokumenterat bedömningen skriftligt.", False),
        # AFS 2023:1's cover: a date line alone, then the rest of a sentence.
        ("22 november 2023\nbeslutade den 15 september 2023.", False),
        ("2023-11-22\nArbetsmiljöverket föreskriver följande.", True),
        # A lettered point of an article opens in lower case and stands.
        ("a) behandlingen är nödvändig för att fullgöra ett avtal i vilket den registrerade är part.", True),
        # Statements, amounts and wrapped statute lines stay quotable.
        ("Integritetsskyddsmyndigheten beslutar att bolaget ska betala en administrativ sanktionsavgift på 200 000 kronor.", True),
        ("10 § Arbetsgivaren ska se till att alla arbetstagare har tillräckliga kunskaper\nom arbetet, och riskerna i arbetet.", True),
    ],
)
def test_contact_details_and_head_lines_are_never_quoted(text, quotable):
    from lagrum.citations import _quotable

    assert _quotable(text) is quotable


@pytest.mark.parametrize(
    "text, asks",
    [
        # IMY's letter to Miljödata i Karlskrona AB (imy-decisions): its questions in the imperative.
        ("Ange vilka typer av personuppgifter som har omfattats av personuppgiftsincidenten.", True),
        ("9. Redogör för hur ni bedömt riskerna med behandlingen av personuppgifter inom ramen för tjänsterna.", True),
        ("Om avtalet sett olika ut för respektive tjänst, bifoga ett exempel för varje tjänst.", True),
        # What a decision states stands.
        ("IMY bedömer att bolaget har brutit mot artikel 32.1 i dataskyddsförordningen.", False),
        ("Om behandlingen upphör, ska uppgifterna raderas.", False),
    ],
)
def test_a_letters_questions_to_its_addressee_are_not_evidence(text, asks):
    from lagrum.answer import _asks_the_addressee

    hit = Hit(doc_id="d", chunk_id="d:0", score=0.0, title="", date=None, doc_type="beslut", source="", url="", language="sv", text=text, start=0, end=len(text))
    assert _asks_the_addressee(hit, 0, text) is asks


def test_a_ruling_whose_read_passages_are_its_head_still_answers_from_its_operative_part(service):
    # In this small index the English question reads only HFD 3857-25's head and parties, neither
    # of which holds a statement; the operative part is found by structure.
    lead = _lead(service, "What did the Supreme Administrative Court decide in case 3857-25?")
    assert "Högsta förvaltningsdomstolen avvisar överklagandet." in lead["quote"]


@pytest.mark.parametrize(
    "question, names",
    [
        ("May a state employee have a side job under the Public Employment Act?", True),  # english name, registry
        ("Vad säger lagen (1994:260) om offentlig anställning om bisysslor?", True),  # its number
        ("Får en statligt anställd ha en bisyssla?", False),  # names no statute: the relevance bar decides
        ("What does the Police Act say about the use of force?", False),  # a statute this index does not hold
    ],
)
def test_a_question_naming_a_retrieved_statute_is_about_the_index(service, question, names):
    # Long statutes sit as far from a short question as the everyday topics do; a question that
    # names one the index returns is not refused for it (`Composer._names_a_retrieved_statute`).
    hits = service.retriever.search(question, limit=12)
    assert service.composer._names_a_retrieved_statute(question, hits) is names
    if names:
        assert service.ask(question)["found"]


@pytest.mark.parametrize(
    "heading, assessment",
    [
        ("Bedömning", True), ("IMY:s bedömning", True), ("JO:s bedömning", True), ("SKÄLEN FÖR AVGÖRANDET", True),
        ("Skäl för beslutet", True), ("DOMSKÄL", True), ("Motivering av beslutet", True),
        ("DOMSLUT", False), ("Bakgrund", False), ("Beslut", False), ("Vad som har kommit fram i ärendet", False),
    ],
)
def test_the_reasoning_is_recognised_by_its_heading(heading, assessment):
    from lagrum.answer import _ASSESSMENT_HEADING

    assert bool(_ASSESSMENT_HEADING.match(heading)) is assessment


@pytest.mark.parametrize(
    "heading, facts",
    [
        ("Bakgrund", True), ("Bakgrund och syfte med granskningen", True), ("YRKANDEN I HÖGSTA DOMSTOLEN M.M.", True),
        ("Anmälan från Mattias R. (JO:s ärende dnr 6356-2012)", True), ("Redogörelse för tillsynsärendet", True),
        ("Utredning", True), ("PARTER", True), ("Yttrande", True), ("2.1 Bakgrund", True), ("Parternas inställning", True),
        ("Vad som har kommit fram i ärendet", True),
        ("Bedömning", False), ("DOMSLUT", False), ("Skälen för avgörandet", False), ("Utredningsskyldighet", False),
        ("Partiets ansvar", False), ("Sammantagen intresseavvägning", False),
    ],
)
def test_the_facts_and_claims_are_recognised_by_their_heading(heading, facts):
    from lagrum.answer import _FACTS_HEADING

    assert bool(_FACTS_HEADING.match(heading)) is facts


def test_a_sentence_under_the_facts_heading_weighs_less_than_one_under_the_assessment():
    """The same sentence, in a ruling's "Bakgrund" and in its "Skäl": the story of the case is not
    what was decided about it. A statute's section has no such part."""
    from lagrum.answer import _in_assessment, _in_facts

    def ruling(heading: str, doc_type: str = "dom") -> Hit:
        text = f"{heading}\n\nBolaget har spelat in skärmarna under hela arbetsdagen."
        return Hit("d", "d#1", 0.0, "t", None, doc_type, "s", "", "sv", text, 100, 100 + len(text))

    start = 100 + len("Bakgrund\n\n")
    assert _in_facts(ruling("Bakgrund"), start) and not _in_assessment(ruling("Bakgrund"), start)
    start = 100 + len("Skäl\n\n")
    assert _in_assessment(ruling("Skäl"), start) and not _in_facts(ruling("Skäl"), start)
    assert not _in_facts(ruling("Bakgrund", "lag"), 100 + len("Bakgrund\n\n"))


def test_a_provision_sentence_introducing_points_holds_them():
    """MADE-UP article text (not law): a numbered paragraph's points are lettered, and the next
    numbered paragraph is not one of them; a section's numbered items are its points."""
    from lagrum.answer import _through_points
    from lagrum.citations import _sentences_of

    def chunk(text: str) -> Hit:
        return Hit("d", "d#0", 0.0, "t", None, "lag", "s", "", "sv", text, 0, len(text), section="art. 99")

    article = chunk("1. Den ansvarige ska utse ett ombud om\n\na) behandlingen sker hos en myndighet,\n\nb) den sker i stor omfattning.\n\n2. Ett ombud får utses för flera.")
    spans = _sentences_of(article)
    end = _through_points(article, spans, 0)
    assert article.text[:end].endswith("den sker i stor omfattning.") and "2. Ett ombud" not in article.text[:end]
    section = chunk("25 § Myndigheten får ta ut en avgift av den som\n1. bryter mot kravet i 9 §,\n2. bryter mot kravet i 10 §.\n\nAvgiften tillfaller staten.")
    end = _through_points(section, _sentences_of(section), 0)
    assert section.text[:end].endswith("kravet i 10 §.") and "tillfaller" not in section.text[:end]


@pytest.fixture(scope="module")
def jo_service(corpus_settings, embedder, tmp_path_factory):
    files = [_real("ferenda-lagen-nu", "jo", "jo-2004-1000.xhtml"), _real("ferenda-lagen-nu", "jo", "jo-2012-6356.xhtml")]
    with service_over(files, corpus_settings.with_(data_dir=tmp_path_factory.mktemp("answer-jo")), embedder) as service:
        yield service


def test_a_decision_without_an_operative_part_leads_with_what_it_concludes(jo_service):
    """JO's decision of 2004 has no headings; "I sitt beslut den 17 november 2004 anförde JO Lundin
    följande." opens the decision, which ends with the criticism."""
    lead = _lead(jo_service, "Vad kom JO fram till om ledamoten i socialförsäkringsnämnden som ringde upp den försäkrade?")
    assert lead["doc_id"] == "jo-2004-1000" and "allvarlig kritik" in lead["quote"], lead["quote"]


def test_the_decision_in_brief_is_its_operative_summary_and_an_assessment_ends_with_its_conclusion(jo_service):
    from lagrum.legal.operative import is_operative_section

    assert is_operative_section("Beslutet i korthet") and is_operative_section("Summary of the decision")
    # JO 6356-2012 writes "Beslutet i korthet:" inline, not as a heading; its "Bedömning" ends with the decision.
    lead = _lead(jo_service, "Vad beslutade JO om förbudet mot att filma Utbildningsstyrelsens sammanträde i Värmdö?")
    assert lead["doc_id"] == "jo-2012-6356" and lead["quote"].startswith("Ärendet avslutas med den kritik"), lead["quote"]


def test_the_parties_and_their_counsel_are_never_quoted():
    from lagrum.answer import _PARTIES_HEADING, _under_parties

    assert all(_PARTIES_HEADING.match(h) for h in ("PARTER", "Klagande", "Motpart", "Ombud", "Parter:"))
    assert not any(_PARTIES_HEADING.match(h) for h in ("Partiets ansvar", "Bakgrund", "DOMSLUT"))
    # ferenda's reports: "Parter:" with its colon, then the parties (MADE-UP names).
    text = "Parter:\n\nExempelbolaget AB; A.B.\n\nNr 1"
    hit = Hit("d", "d#0", 0.0, "t", None, "dom", "s", "", "sv", text, 0, len(text))
    assert _under_parties(hit, text.index("Exempelbolaget")) and not _under_parties(hit, text.index("Nr 1"))
