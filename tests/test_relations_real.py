"""What real rulings decide about the decisions they review: a labelled table over the real files.

Every HD, HFD, MÖD (and PMÖD), AD and JO document in ../shared/realdata (`domstol-avgoranden/`,
`ferenda-lagen-nu/dv/`, `ferenda-lagen-nu/jo/`) was read by hand; `LABELS` writes down, per
document, each relation it states about an earlier decision or ruling, with the operative words
that state it. Documents that decide on no earlier decision (a first-instance AD judgment, JO
decisions, an interim HD ruling granting leave, an HFD request for a preliminary ruling, two
records holding only a summary without any number of the reviewed ruling) are in the table with
no relations: whatever the detector finds there is a false positive.

The real readers (`ingest.loaders.iter_documents`, which picks the Domstolsverket and ferenda
readers from the content) and the real annotator (`lagrum.legal.annotate.annotate_document`)
run on each file; no index and no embedding are needed. Precision and recall are computed over
(document, relation type, target) triples.

Relation types: "overturns" (upphäver, undanröjer, ändrar, med ändring av, bifaller
överklagandet), "upholds" (fastställer, avslår överklagandet; also meddelar inte
prövningstillstånd and avvisar överklagandet, where the lower ruling stands untried), "remands"
(återförvisar, visar målet åter), each aimed at the reviewed decision named in the head
(ÖVERKLAGAT AVGÖRANDE) or an identifier written in the operative part itself. A reviewed
decision without a number (ferenda's reports) is named by its court and date.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest.loaders import iter_documents
from lagrum.legal.annotate import annotate_document

ROOT = Path(__file__).resolve().parents[1]
REALDATA = Path(os.environ.get("LAGRUM_REALDATA") or ROOT.parent / "shared" / "realdata")

O, U, R = "overturns", "upholds", "remands"
HD, HFD, MOD = "domstol-avgoranden/HD", "domstol-avgoranden/HFD", "domstol-avgoranden/hovratter-specialdomstolar"

# file -> (document id, [(relation, target)], why: the operative words)
LABELS: dict[str, tuple[str, list[tuple[str, str]], str]] = {
    f"{HD}/record_001.json": ("hd-o-6478-25", [(O, "dnr D-2025/0253"), (O, "dnr D-2025/0089")], "HD upphäver beslutet om uteslutning (disciplinnämndens beslut i ärendena D-2025/0253 och D-2025/0089)"),
    f"{HD}/record_002.json": ("hd-t-5816-24", [(U, "mål T 1299-22")], "HD fastställer hovrättens domslut"),
    f"{HD}/record_003.json": ("hd-of-5877-24", [(O, "mål ÖF 4341-23"), (R, "mål ÖF 4341-23")], "HD ändrar Mark- och miljööverdomstolens beslut ... och visar målet åter"),
    f"{HD}/record_004.json": ("hd-b-4595-25", [], "HD förklarar ... meddelar prövningstillstånd: an interim ruling, nothing decided on the hovrätt's judgment"),
    f"{HD}/record_005.json": ("hd-b-10233-25", [], "no text and no summary naming the reviewed ruling"),
    f"{HD}/record_006.json": ("hd-t-9218-24", [(U, "mål T 4382-23")], "HD fastställer hovrättens domslut"),
    f"{HD}/record_007.json": ("hd-b-5546-24", [(U, "mål B 8046-22")], "HD fastställer hovrättens domslut"),
    f"{HD}/record_008.json": ("hd-b-4130-24", [(U, "mål B 14697-23")], "HD fastställer hovrättens domslut"),
    f"{HD}/record_009.json": ("hd-o-1052-25", [(O, "mål Ö 424-25")], "Med ändring av hovrättens beslut meddelar HD tillstånd till målets prövning i hovrätten"),
    f"{HD}/record_010.json": ("hd-b-1865-25", [(U, "mål B 17441-24")], "HD fastställer hovrättens domslut"),
    f"{HD}/record_011.json": ("hd-b-2499-25", [(O, "mål B 5390-24")], "HD ändrar hovrättens dom på det sättet att ... påföljdseftergift"),
    f"{HD}/record_012.json": ("hd-ft-8543-24", [(U, "mål FT 4444-23")], "HD fastställer hovrättens domslut"),
    f"{HD}/record_013.json": ("hd-t-5499-24", [(O, "mål B 5778-24")], "HD ändrar hovrättens dom (and fastställer its sekretessförordnanden: the change wins)"),
    f"{HD}/record_014.json": ("hd-om-2337-24", [(O, "mål ÖM 7938-23"), (R, "mål ÖM 7938-23")], "HD undanröjer Mark- och miljööverdomstolens beslut och visar målet åter"),
    f"{HD}/record_015.json": ("hd-t-67-24", [(U, "mål T 6986-23")], "HD fastställer hovrättens domslut"),
    f"{HFD}/HFD-1989-25.json": ("hfd-1989-25", [(O, "mål 823-25")], "HFD bifaller överklagandet och bestämmer att ersättning ska betalas"),
    f"{HFD}/HFD-2752-23.json": ("hfd-2752-23", [(O, "mål 7456-22"), (R, "mål 7456-22")], "HFD upphäver underinstansernas avgöranden och visar målet åter (avslår yrkandet om förhandsavgörande: no relation)"),
    f"{HFD}/HFD-3034-24.json": ("hfd-3034-24", [(U, "mål 5422-23")], "HFD meddelar inte prövningstillstånd i målet i övrigt. Kammarrättens avgörande står därmed fast"),
    f"{HFD}/HFD-3096-25.json": ("hfd-3096-25", [(U, "dnr 71-24")], "HFD fastställer Skatterättsnämndens förhandsbesked"),
    f"{HFD}/HFD-3217-21.json": ("hfd-3217-21", [(O, "mål 3386-19")], "HFD upphäver kammarrättens avgörande ... samt fastställer förvaltningsrättens avgörande (no number for the latter)"),
    f"{HFD}/HFD-3660-25.json": ("hfd-3660-25", [], "Förhandsavgörande ska hämtas in från EU-domstolen: nothing decided yet"),
    f"{HFD}/HFD-3857-25.json": ("hfd-3857-25", [(U, "dnr 37/2025")], "HFD avvisar överklagandet: the arvodesnämnd's decision stands"),
    f"{HFD}/HFD-3944-25.json": ("hfd-3944-25", [(U, "dnr SAN 8-2025")], "HFD avslår överklagandet"),
    f"{HFD}/HFD-3981-25.json": ("hfd-3981-25", [(U, "dnr 4/2025")], "HFD avslår överklagandet"),
    f"{HFD}/HFD-4452-25.json": ("hfd-4452-25", [(U, "dnr 15-25")], "HFD fastställer Skatterättsnämndens förhandsbesked i den del det har överklagats"),
    f"{HFD}/HFD-4559-25.json": ("hfd-4559-25", [(U, "dnr 119-24")], "HFD fastställer Skatterättsnämndens förhandsbesked"),
    f"{HFD}/HFD-4731-25.json": ("hfd-4731-25", [(U, "dnr 107-24")], "HFD fastställer Skatterättsnämndens förhandsbesked"),
    f"{MOD}/record_001.json": ("mod-p-16273-24", [(O, "mål P 975-24"), (O, "dnr BN 2023/935")], "MÖD ändrar mark- och miljödomstolens dom och Byggnadsnämndens beslut (ärendenr BN 2023/935)"),
    f"{MOD}/record_002.json": ("mod-p-9602-25", [(O, "mål P 5480-24"), (R, "mål P 5480-24")], "MÖD undanröjer mark- och miljödomstolens dom och återförvisar målet"),
    f"{MOD}/record_003.json": ("mod-p-13176-25", [(O, "mål P 2512-25"), (O, "dnr MBN-2024-1534")], "MÖD ändrar mark- och miljödomstolens dom och upphäver nämndens beslut (dnr MBN-2024-1534)"),
    f"{MOD}/record_004.json": ("pmod-pma-6106-24", [], "a summary only (PMÖD har upprätthållit KO:s beslut): no number of the reviewed ruling"),
    f"{MOD}/record_005.json": ("mod-m-11808-23", [(O, "mål M 3497-21")], "MÖD ändrar mark- och miljödomstolens dom på följande sätt (avslår yrkande om avvisning: no relation)"),
    f"{MOD}/record_006.json": ("mod-m-9853-25", [(U, "mål M 2683-25")], "MÖD avslår överklagandet"),
    f"{MOD}/record_007.json": ("mod-m-12731-24", [(O, "mål M 1350-24"), (O, "dnr A 41652-2023"), (R, "mål M 1350-24")], "MÖD undanröjer mark- och miljödomstolens dom och Skogsstyrelsens beslut att avsluta ärende nr A 41652-2023 samt återförvisar ärendet"),
    f"{MOD}/record_008.json": ("mod-om-6378-25", [(O, "mål M 3062-24"), (R, "mål M 3062-24")], "MÖD undanröjer mark- och miljödomstolens beslut och återförvisar målet (ÖM 13005-23 in the background is history)"),
    f"{MOD}/record_009.json": ("mod-m-11431-25", [(O, "mål M 3829-24")], "MÖD ändrar mark- och miljödomstolens dom endast på så sätt att strandskyddsdispens beviljas"),
    f"{MOD}/record_010.json": ("mod-p-6026-25", [(O, "mål P 1928-24"), (U, "dnr 2018/449")], "MÖD ändrar mark- och miljödomstolens dom och fastställer Byggnadsnämndens beslut (dnr 2018/449)"),
    f"{MOD}/record_011.json": ("mod-f-12067-25", [(U, "mål F 4007-24")], "MÖD avslår överklagandet"),
    f"{MOD}/record_012.json": ("mod-m-3878-25", [(O, "mål M 173-25"), (O, "dnr 25981-2023"), (R, "mål M 173-25")], "MÖD undanröjer mark- och miljödomstolens dom och Länsstyrelsens beslut (dnr 25981-2023) och visar målet åter"),
    f"{MOD}/record_013.json": ("mod-m-3171-25", [(O, "mål M 4697-23"), (R, "mål M 4697-23")], "MÖD ändar [sic] mark- och miljödomstolen dom ... undanröjs och målet återförvisas i den delen"),
    f"{MOD}/record_014.json": ("mod-m-6629-24", [(U, "mål M 480-24")], "MÖD avslår överklagandet"),
    f"{MOD}/record_015.json": ("mod-m-6098-24", [(O, "mål M 55-24"), (U, "dnr A 36220-2023")], "Med ändring av mark- och miljödomstolens dom fastställer MÖD Skogsstyrelsens beslut (ärendenr A 36220-2023)"),
    f"{MOD}/record_016.json": ("mod-m-10546-24", [(O, "mål M 3981-23"), (U, "dnr 555-8549-2022")], "Med ändring av mark- och miljödomstolens dom fastställer MÖD länsstyrelsens beslut (ärende nr 555-8549-2022); Överklagandet i övrigt avslås"),
    f"{MOD}/record_017.json": ("mod-m-12514-25", [(O, "mål M 1968-25"), (U, "dnr 2025-188")], "MÖD ändrar mark- och miljödomstolens dom och fastställer nämndens beslut i ärende nr 2025-188"),
    f"{MOD}/record_018.json": ("mod-p-7673-25", [(U, "mål P 1877-25")], "MÖD avslår överklagandena"),
    f"{MOD}/record_019.json": ("mod-m-9261-25", [(O, "mål M 1042-25"), (R, "mål M 1042-25")], "MÖD ändrar mark- och miljödomstolens dom och undanröjer nämndens beslut ... och återförvisar ärendet"),
    f"{MOD}/record_020.json": ("pmod-pmt-10755-25", [(O, "mål PMT 12582-24")], "PMÖD ändrar Patent- och marknadsdomstolens dom på följande sätt"),
    "ferenda-lagen-nu/dv/AD-1994-103.xhtml": ("ad-1994-103", [], "AD as first and only instance (stämning vid arbetsdomstolen): no earlier ruling"),
    "ferenda-lagen-nu/dv/AD-2013-63.xhtml": ("ad-2013-63", [(O, "mål T 11891-11")], "Med ändring av tingsrättens domslut under punkten 1 förpliktar Arbetsdomstolen ..."),
    "ferenda-lagen-nu/dv/HFD-2014-not-85.xhtml": ("hfd-2014-not-85", [(O, "Skatterättsnämnden 2014-07-10")], "Högsta förvaltningsdomstolens undanröjer förhandsbeskedet och avvisar ansökningen"),
    "ferenda-lagen-nu/dv/HFD-2016-not-2.xhtml": ("hfd-2016-not-2", [(U, "Skatterättsnämnden 2015-06-24")], "Högsta förvaltningsdomstolen fastställer Skatterättsnämndens förhandsbesked"),
    "ferenda-lagen-nu/dv/HFD-33-12.xhtml": ("hfd-2013-29", [(O, "Kammarrätten i Göteborg 2011-11-02")], "Med ändring av kammarrättens dom förklarar HFD att ..."),
    "ferenda-lagen-nu/jo/jo-2004-1000.xhtml": ("jo-2004-1000", [], "JO criticises; it decides on no earlier decision"),
    "ferenda-lagen-nu/jo/jo-2012-6356.xhtml": ("jo-2012-6356", [], "JO criticises the chairman (kan inte undgå kritik); 'fastställa ordningsregler' is a quote, not an outcome"),
}


def _read(relative: str):
    path = REALDATA / relative
    if not path.exists():
        pytest.skip(f"REALDATA MISSING: {path} (see ../shared/realdata/SOURCES.md; set LAGRUM_REALDATA)")
    items = list(iter_documents([path]))
    documents = [i for i in items if hasattr(i, "text")]
    assert len(documents) == 1, items
    document = documents[0]
    record: dict = {}
    annotate_document(document, [], record)
    return document, record


def _predicted() -> dict[str, set[tuple[str, str]]]:
    out = {}
    for relative, (doc_id, _, _) in LABELS.items():
        document, record = _read(relative)
        assert document.id == doc_id, relative
        out[relative] = {(s["type"], s["target"]) for s in record["relation_statements"]}
    return out


@pytest.fixture(scope="module")
def predicted():
    return _predicted()


def test_the_table_covers_every_ruling_in_realdata():
    """A new HD/HFD/MÖD/AD/JO file in realdata must be read and labelled, not silently left out."""
    if not REALDATA.exists():
        pytest.skip(f"REALDATA MISSING: {REALDATA}")
    present = {str(p.relative_to(REALDATA)) for p in (REALDATA / "domstol-avgoranden").rglob("*.json")}
    present |= {str(p.relative_to(REALDATA)) for folder in ("dv", "jo") for p in (REALDATA / "ferenda-lagen-nu" / folder).glob("*.xhtml")}
    assert present == set(LABELS)


def test_precision_and_recall_over_the_labelled_table(predicted):
    gold = {(f, t) for f, (_, pairs, _) in LABELS.items() for t in pairs}
    found = {(f, t) for f, pairs in predicted.items() for t in pairs}
    true = gold & found
    precision = len(true) / len(found) if found else 0.0
    recall = len(true) / len(gold)
    report = f"gold {len(gold)}, found {len(found)}, right {len(true)}; missed {sorted(gold - found)}; wrong {sorted(found - gold)}"
    print(f"precision {precision:.3f} recall {recall:.3f}: {report}")
    assert precision >= 0.95, report
    assert recall >= 0.9, report


def test_no_document_both_overturns_and_upholds_one_target(predicted):
    for relative, pairs in predicted.items():
        overturned = {t for kind, t in pairs if kind == "overturns"}
        upheld = {t for kind, t in pairs if kind == "upholds"}
        assert not overturned & upheld, (relative, overturned & upheld)


def test_hfd_3217_21_overturns_the_kammarratt_and_nothing_else(predicted):
    """It "upphäver kammarrättens avgörande ... samt fastställer förvaltningsrättens avgörande": mål 3386-19 is the kammarrätt's."""
    assert predicted[f"{HFD}/HFD-3217-21.json"] == {("overturns", "mål 3386-19")}


def test_a_target_is_never_the_documents_own_identifier():
    for relative in (f"{HD}/record_002.json", f"{MOD}/record_008.json", "ferenda-lagen-nu/dv/AD-2013-63.xhtml"):
        document, record = _read(relative)
        own = {i.casefold() for i in record["identifiers"]}
        assert own and not {s["target"].casefold() for s in record["relation_statements"]} & own


def test_near_misses_in_real_rulings_state_nothing(predicted):
    """A party's claim and the history of the case are not outcomes of this document."""
    # mod-om-6378-25: "GHAB har yrkat att Mark- och miljööverdomstolen ska undanröja ..." and the
    # earlier round "Mark- och miljööverdomstolen undanröjde den 3 juli 2024 i mål ÖM 13005-23 avgörandet".
    pairs = predicted[f"{MOD}/record_008.json"]
    assert not {t for _, t in pairs} & {"mål ÖM 13005-23", "mål M 2735-23"}
    # mod-p-6026-25 appends the lower court's ruling, which "upphäver beslut ... (dnr 2018/449)";
    # the MÖD itself fastställer that decision.
    assert ("overturns", "dnr 2018/449") not in predicted[f"{MOD}/record_010.json"]
    # hfd-2752-23 "avslår yrkandet om att hämta in ett förhandsavgörande": not the appeal.
    assert ("upholds", "mål 7456-22") not in predicted[f"{HFD}/HFD-2752-23.json"]


# Made-up ruling text (not a real case; dnr 388-2015 is the real Datainspektionen number the probe uses).
MADE_UP_RULING = """FÖRVALTNINGSRÄTTEN I STOCKHOLM DOM
Mål nr 9999-16

ÖVERKLAGAT BESLUT
Datainspektionens beslut den 18 december 2015, dnr 388-2015

DOMSLUT
Förvaltningsrätten bifaller överklagandet och upphäver Datainspektionens beslut.

YRKANDEN
Datainspektionen yrkar att överklagandet ska avslås och att beslutet ska fastställas.

SKÄL
I mål nr 1234-14 upphävde kammarrätten ett liknande beslut. Förvaltningsrätten gör samma bedömning.
"""


def test_made_up_ruling_in_court_style_decides_on_the_decision_named_in_its_head():
    from lagrum.documents import Document

    document = Document(id="made-up-dom", text=MADE_UP_RULING, doc_type="dom")
    record: dict = {}
    annotate_document(document, [], record)
    assert {(s["type"], s["target"]) for s in record["relation_statements"]} == {("overturns", "dnr 388-2015")}
    assert "mål 9999-16" in record["identifiers"]


def test_every_detected_statement_reaches_the_relation_graph():
    """Built from the records of all the real rulings: each statement is a link or an external target."""
    from lagrum.legal.graph import build_graph

    records = []
    for relative in LABELS:
        document, record = _read(relative)
        records.append({**document.metadata(), **record, "state": "complete"})
    graph = build_graph(records)
    statements = 0
    for record in records:
        for statement in record["relation_statements"]:
            statements += 1
            linked = graph.resolve(statement["target"], exclude=record["id"])
            external = {(e["type"], e["target"]) for e in graph.related(record["id"])["external"]}
            assert linked or (statement["type"], statement["target"]) in external, (record["id"], statement)
    assert statements >= 60


# Made-up operative parts (not real rulings; mål 1111-23 and dnr 2222-2023 are fictional).
KR = {"text": "Kammarrätten i Stockholms dom den 1 mars 2024 i mål nr 1111-23"}
NAMND = {"text": "Tillsynsnämndens beslut den 2 februari 2023, dnr 2222-2023"}


@pytest.mark.parametrize(
    "appealed, operative, expected",
    [
        (KR, "Högsta förvaltningsdomstolen upphäver kammarrättens dom och visar målet åter till kammarrätten.", {(O, "mål 1111-23"), (R, "mål 1111-23")}),
        (KR, "Högsta förvaltningsdomstolen avslår yrkandet om förhandsavgörande och avslår överklagandet.", {(U, "mål 1111-23")}),
        (KR, "Högsta förvaltningsdomstolen avslår yrkandet om förhandsavgörande.", set()),
        (KR, "Högsta förvaltningsdomstolen meddelar inte prövningstillstånd. Kammarrättens avgörande står därmed fast.", {(U, "mål 1111-23")}),
        (KR, "Högsta förvaltningsdomstolen meddelar prövningstillstånd.", set()),
        (KR, "Med ändring av kammarrättens dom förklarar Högsta förvaltningsdomstolen att bolaget har rätt till avdrag.", {(O, "mål 1111-23")}),
        (KR, "Bolaget yrkar att Högsta förvaltningsdomstolen upphäver kammarrättens dom.", set()),
        (KR, "Högsta förvaltningsdomstolen fastställer förvaltningsrättens avgörande.", set()),  # not the reviewed ruling, no number
        (NAMND, "Förvaltningsrätten upphäver det överklagade beslutet.", {(O, "dnr 2222-2023")}),
        (NAMND, "Förvaltningsrätten avvisar överklagandet.", {(U, "dnr 2222-2023")}),
        (NAMND, "Förvaltningsrätten lämnar överklagandet utan bifall.", {(U, "dnr 2222-2023")}),
        (NAMND, "Förvaltningsrätten återförvisar ärendet till Tillsynsnämnden för ny handläggning.", {(R, "dnr 2222-2023")}),
        (NAMND, "Förvaltningsrätten avslår bolagets yrkande om inhibition.", set()),
    ],
)
def test_made_up_operative_parts(appealed, operative, expected):
    from lagrum.legal.operative import operative_relations

    found = operative_relations({"appealed": appealed, "operative": operative}, "")
    assert {(s["type"], s["target"]) for s in found} == expected
