"""Probe: a decision and the ruling that overturns it, written in the courts' real style.

Both texts are MADE UP for this test (test material, not real documents), modelled on how a
Swedish förvaltningsrätt writes: the ruling's head names "ÖVERKLAGAT BESLUT Datainspektionens
beslut den 18 december 2015, dnr 388-2015" and its DOMSLUT says "Förvaltningsrätten bifaller
överklagandet och upphäver Datainspektionens beslut." — the identifier and the verb are in
different parts of the ruling. Each variant (either ingest order, with and without `relations`
metadata) gets a fresh real Qdrant Edge index and the real e5 model, and a copy of the curated
registry with the entry for this case (dnr 388-2015, overturned by mål 383-16) removed, so only
the documents themselves can make the answers right.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

DECISION = {
    "id": "probe-di-beslut-webbkameror",
    "title": "Beslut om webbkameror för handläggare (påhittat testmaterial)",
    "date": "2015-12-18",
    "doc_type": "beslut",
    "source": "Datainspektionen",
    "text": (
        "Datainspektionen\nBeslut\nDnr 388-2015\n2015-12-18\n\n"
        "Tillsyn enligt kameraövervakningslagen (2013:460) av Försäkringskassans webbmöten\n\n"
        "Datainspektionens beslut\n"
        "Datainspektionen förelägger Försäkringskassan att upphöra med att kräva att handläggarna "
        "använder webbkamera i tjänsten Personligt webbmöte.\n\n"
        "Skälen för beslutet\n"
        "Handläggarna filmas av en webbkamera under hela mötet. Datainspektionen anser att "
        "användningen är kameraövervakning som kräver tillstånd."
    ),
}
RULING = {
    "id": "probe-fr-dom-webbkameror",
    "title": "Dom om webbkameror för handläggare (påhittat testmaterial)",
    "date": "2016-10-20",
    "doc_type": "dom",
    "source": "Förvaltningsrätten i Stockholm",
    "text": (
        "FÖRVALTNINGSRÄTTEN I STOCKHOLM DOM\nMål nr 383-16\n2016-10-20\n\n"
        "KLAGANDE\nFörsäkringskassan\n\nMOTPART\nDatainspektionen\n\n"
        "ÖVERKLAGAT BESLUT\nDatainspektionens beslut den 18 december 2015, dnr 388-2015\n\n"
        "DOMSLUT\nFörvaltningsrätten bifaller överklagandet och upphäver Datainspektionens beslut.\n\n"
        "YRKANDEN M.M.\nFörsäkringskassan yrkar att beslutet ska upphävas. Datainspektionen anser att "
        "överklagandet ska avslås.\n\n"
        "SKÄLEN FÖR AVGÖRANDET\nHandläggarnas webbkameror används för att handläggaren och kunden ska se "
        "varandra under mötet, inte för att övervaka handläggarna. Kameraövervakningslagen är därför "
        "inte tillämplig, och handläggarna får använda webbkamera i Personligt webbmöte."
    ),
}
QUESTION = "Får Försäkringskassan kräva att handläggarna använder webbkamera i Personligt webbmöte?"


@pytest.fixture(scope="module")
def registry_without_the_case(tmp_path_factory):
    folder = tmp_path_factory.mktemp("registry")
    for name in ("statutes.yaml", "authorities.yaml", "cases.yaml", "glossary.yaml"):
        shutil.copy(ROOT / "corpus" / "registry" / name, folder / name)
    cases = yaml.safe_load((folder / "cases.yaml").read_text(encoding="utf-8"))
    before = len(cases["cases"])
    cases["cases"] = [c for c in cases["cases"] if c.get("reference") != "dnr 388-2015"]
    assert len(cases["cases"]) == before - 1, "the curated registry no longer holds dnr 388-2015; update the probe"
    (folder / "cases.yaml").write_text(yaml.safe_dump(cases, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


VARIANTS = [(order, meta) for order in ("decision_first", "ruling_first") for meta in (False, True)]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory, embedder, registry_without_the_case):
    from ingest.loaders import documents_from_records
    from lagrum.index import Index
    from lagrum.legal.graph import related_view
    from lagrum.app.service import LagrumService
    from lagrum.settings import Settings

    results = {}
    for order, meta in VARIANTS:
        ruling = dict(RULING)
        if meta:
            ruling["relations"] = [{"type": "overturns", "target": "dnr 388-2015"}]
        records = [DECISION, ruling] if order == "decision_first" else [ruling, DECISION]
        data = tmp_path_factory.mktemp(f"probe-{order}-{meta}") / "data"
        settings = Settings().with_(data_dir=data, registry_dir=registry_without_the_case)
        service = LagrumService(Index.open(settings, create=True, embedder=embedder))
        try:
            assert not any(c.reference == "dnr 388-2015" for c in service.registry.case_facts())
            first = None
            for n, record in enumerate(records):
                summary = service.add_documents(documents_from_records([record], origin=f"probe-{order}"))
                assert summary["failed"] == 0, summary["errors"]
                if n == 0:
                    first = related_view(service, record["id"])
            results[(order, meta)] = {
                "first": first,
                "decision": related_view(service, DECISION["id"]),
                "ruling": related_view(service, RULING["id"]),
                "warnings": service.warnings_for(DECISION["id"]),
                "answer": service.ask(QUESTION),
            }
        finally:
            service.close()
    return results


@pytest.mark.parametrize("order, meta", VARIANTS)
def test_the_decision_is_overturned_by_the_ruling(outcomes, order, meta):
    view = outcomes[(order, meta)]["decision"]
    assert [i["doc_id"] for i in view["overturned_by"]] == [RULING["id"]]
    assert [i["doc_id"] for i in outcomes[(order, meta)]["ruling"]["overturns"]] == [DECISION["id"]]
    assert view["status"]["outcome"] == "overturned"


@pytest.mark.parametrize("order, meta", VARIANTS)
def test_the_warning_names_the_ruling_with_its_date(outcomes, order, meta):
    overturned = [w for w in outcomes[(order, meta)]["warnings"] if w["kind"] == "overturned"]
    assert [(w["by"], w["date"]) for w in overturned] == [(RULING["id"], "2016-10-20")]
    assert overturned[0]["trigger"]


@pytest.mark.parametrize("order, meta", VARIANTS)
def test_the_answer_cites_the_ruling_with_the_warning(outcomes, order, meta):
    answer = outcomes[(order, meta)]["answer"]
    cited = [c["doc_id"] for c in answer["citations"]]
    assert DECISION["id"] in cited and RULING["id"] in cited, answer
    assert answer["answer"].startswith("Obs:") and "2016-10-20" in answer["answer"].split("\n")[0], answer["answer"]
    assert any("har upphävts" in note and "2016-10-20" in note for note in answer["notes"]), answer["notes"]


def test_the_ruling_alone_records_the_decision_as_an_external_target(outcomes):
    first = outcomes[("ruling_first", False)]["first"]
    assert first["overturns"] == []
    assert {"type": "overturns", "target": "dnr 388-2015", "via": "operative", "external": True} in first["external"]
