"""Reference extraction: every supported form maps to its canonical id, and near-misses stay silent.

Sentences are written for these tests. Statute numbers and the Försäkringskassan case numbers
(dnr 388-2015, mål 383-16) are real; other dnr and mål numbers are fictional.
"""

from __future__ import annotations

import pytest

from lagrum.legal.references import Reference, extract_references
from lagrum.legal.registry import default_registry


def canon(text: str) -> list[tuple[str, str]]:
    return [(r.kind, r.canonical) for r in extract_references(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Enligt 23 § kameraövervakningslagen krävs tillstånd.", "SFS 2013:460 23 §"),
        ("Se paragraf 23 i kameraövervakningslagen.", "SFS 2013:460 23 §"),
        ("Enligt 23 § kameraövervakningslagen (2013:460) krävs tillstånd.", "SFS 2013:460 23 §"),
        ("Enligt 23 § lagen (2013:460) om kameraövervakning krävs tillstånd.", "SFS 2013:460 23 §"),
        ("Läs KÖL 23 § noga.", "SFS 2013:460 23 §"),
        ("Arbetsgivaren ansvarar enligt 5 kap. 1 § arbetsmiljölagen.", "SFS 1977:1160 5 kap. 1 §"),
        ("Se 2 kap. 4 a § arbetsmiljölagen.", "SFS 1977:1160 2 kap. 4 a §"),
        ("Se 23 § första stycket kameraövervakningslagen.", "SFS 2013:460 23 §"),
        ("Se AML 3 kap. 2 a §.", "SFS 1977:1160 3 kap. 2 a §"),
        ("Se 2 kap. 1 § RF.", "SFS 1974:152 2 kap. 1 §"),
        ("See section 23 of the Camera Surveillance Act.", "SFS 2013:460 23 §"),
        ("Se 3 kap. 2 § skollagen (2010:800).", "SFS 2010:800 3 kap. 2 §"),
    ],
)
def test_swedish_provision_forms_share_one_canonical_id(text, expected):
    assert canon(text) == [("provision", expected)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Lagen trädde i kraft genom SFS 2018:1200.", "SFS 2018:1200"),
        ("Numera gäller lagen (2018:1200) om kamerabevakning.", "SFS 2018:1200"),
        ("Kamerabevakningslagen kompletterar dataskyddsförordningen.", "SFS 2018:1200"),
        ("Kameraövervakningslagens regler var strängare.", "SFS 2013:460"),
        ("Det följer av lagen om kameraövervakning.", "SFS 2013:460"),
        ("Skollagen (2010:800) gäller också.", "SFS 2010:800"),
    ],
)
def test_statute_forms(text, expected):
    assert ("statute", expected) in canon(text)


def test_inflected_and_named_statutes_resolve_through_the_registry():
    assert canon("Kamerabevakningslagen gäller sedan 2018.") == [("statute", "SFS 2018:1200")]
    assert canon("enligt GDPR och PUL") == [("eu_act", "EU 2016/679"), ("statute", "SFS 1998:204")]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Behandlingen stöds av artikel 6.1 f dataskyddsförordningen.", "EU 2016/679 art. 6.1 f"),
        ("Behandlingen stöds av art. 6.1 f GDPR.", "EU 2016/679 art. 6.1 f"),
        ("Processing relies on Article 6(1)(f) GDPR.", "EU 2016/679 art. 6.1 f"),
        ("Processing relies on Article 6(1)(f) of the GDPR.", "EU 2016/679 art. 6.1 f"),
        ("Se artikel 88 i dataskyddsförordningen.", "EU 2016/679 art. 88"),
        ("Se GDPR art. 88.", "EU 2016/679 art. 88"),
        ("Se artikel 6.1 f i EU:s dataskyddsförordning.", "EU 2016/679 art. 6.1 f"),
        ("Se artikel 9.2 i i dataskyddsförordningen.", "EU 2016/679 art. 9.2 i"),
    ],
)
def test_eu_provision_forms(text, expected):
    assert canon(text) == [("eu_provision", expected)]


def test_eu_act_alone():
    assert canon("Sedan 2018 gäller GDPR.") == [("eu_act", "EU 2016/679")]
    assert canon("Förordning (EU) 2016/679 gäller direkt.") == [("eu_act", "EU 2016/679")]


@pytest.mark.parametrize(
    "text, kind, expected",
    [
        ("Förvaltningsrätten i mål nr 383-16 fann annat.", "case", "mål 383-16"),
        ("Domen i mål 383-16 vann laga kraft.", "case", "mål 383-16"),
        ("Beslutet har dnr 388-2015.", "dnr", "dnr 388-2015"),
        ("Beslutet har diarienummer 388-2015.", "dnr", "dnr 388-2015"),
        ("Dnr DI-2019-1234 (fictional).", "dnr", "dnr DI-2019-1234"),
        ("Ärendet dnr IMY-2022-1234 (fictional) avslutades.", "dnr", "dnr IMY-2022-1234"),
        ("Se HFD 2016 ref. 12.", "case", "HFD 2016 ref. 12"),
        ("Se NJA 2011 s. 357.", "case", "NJA 2011 s. 357"),
        ("Se RÅ 2002 ref. 5.", "case", "RÅ 2002 ref. 5"),
        ("Se AD 2013 nr 63.", "case", "AD 2013 nr 63"),
        ("Se RH 2005:12.", "case", "RH 2005:12"),
        ("Se MÖD 2019:5.", "case", "MÖD 2019:5"),
        ("Se HFD 2020 not. 3.", "case", "HFD 2020 not. 3"),
        ("What did the court decide in case no. 383-16?", "case", "mål 383-16"),
        ("The ruling in Case Number 383-16 stands.", "case", "mål 383-16"),
        ("The decision (diary no. 388-2015) was appealed.", "dnr", "dnr 388-2015"),
        ("Vad beslutades i ärende IMY-2022-1234 (fictional)?", "dnr", "dnr IMY-2022-1234"),
        ("What was DI-2019-1234 (fictional) about?", "dnr", "dnr DI-2019-1234"),
        ("Registration number: IMY-2023-1234 (fictional)", "dnr", "dnr IMY-2023-1234"),
    ],
)
def test_cases_and_diary_numbers(text, kind, expected):
    assert canon(text) == [(kind, expected)]


@pytest.mark.parametrize(
    "text",
    [
        "Enligt 23 § ska skyltar sättas upp.",  # a section with no statute named
        "Kapitlet om tillsyn är långt och varje kap. har rubriker.",
        "Mötet började klockan 2018:1200 enligt protokollet.",
        "Förhållandet var 2013:460 mellan grupperna.",
        "Artisten gav en art. om konst.",
        "Artikeln publicerades i går.",
        "Mätningen SE-2020-12-01 och COVID-19-2020 är inga diarienummer.",
        "ADAM och ADVOKATEN läste, år 2016 nr 5 kom ut.",
        "Ring 08-657 61 00 eller skriv till nr 5.",
        "Året 2016 var händelserikt.",
        "Birgitta Målsäter skrev repliken; målet var att nå ut.",
        "Lagen är tydlig och förordningen likaså.",
        "Se RF och TF för grundlagarna.",  # two-letter abbreviations only count next to a provision
        "In case no one answers, call 2016-05 again.",  # "case no" without a case number after it
        "Just in case number 5 is late.",
    ],
)
def test_near_misses_produce_nothing(text):
    assert extract_references(text) == []


def test_offsets_point_into_the_text():
    text = "Enligt 5 kap. 1 § arbetsmiljölagen och art. 6.1 f GDPR, se även mål 383-16."
    refs = extract_references(text)
    assert [r.kind for r in refs] == ["provision", "eu_provision", "case"]
    for ref in refs:
        assert isinstance(ref, Reference)
        assert text[ref.start : ref.end] == ref.raw


def test_provision_beats_the_statute_it_contains():
    refs = extract_references("Se 23 § kameraövervakningslagen (2013:460).")
    assert [(r.kind, r.raw) for r in refs] == [("provision", "23 § kameraövervakningslagen (2013:460)")]


def test_sfs_number_in_parentheses_wins_over_the_name():
    # "Förvaltningslag (1986:223)" is the old act even though "förvaltningslag" names the current one.
    assert canon("Förvaltningslag (1986:223) gällde då.") == [("statute", "SFS 1986:223")]


@pytest.mark.parametrize(
    "canonical",
    [
        "SFS 2013:460 23 §",
        "SFS 1977:1160 5 kap. 1 §",
        "SFS 1977:1160 2 kap. 4 a §",
        "SFS 1977:1160 5 kap.",
        "SFS 2018:1200",
        "EU 2016/679 art. 6.1 f",
        "EU 2016/679",
        "mål 383-16",
        "dnr 388-2015",
        "HFD 2016 ref. 12",
    ],
)
def test_canonical_ids_read_back_as_themselves(canonical):
    [ref] = extract_references(canonical)
    assert ref.canonical == canonical and ref.raw == canonical


def test_explicit_registry_is_used():
    refs = extract_references("Se 23 § KÖL.", default_registry())
    assert refs[0].canonical == "SFS 2013:460 23 §"


def test_long_text_is_fast():
    import time

    text = ("Enligt 23 § kameraövervakningslagen och art. 6.1 f GDPR prövades ärendet dnr 388-2015. " * 20 + "Vanlig text utan referenser. " * 400)
    started = time.perf_counter()
    refs = extract_references(text)
    assert len(refs) == 60
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("SFS 2013:460 23 §", "SFS 2013:460 23 §"),
        ("sfs 2013:460 23 §", "SFS 2013:460 23 §"),
        ("Sfs 2013:460 23 §.", "SFS 2013:460 23 §"),
        ("KÖL 23 §", "SFS 2013:460 23 §"),
        ("SFS 2013:460", "SFS 2013:460"),
        ("eu 2016/679 art. 6", "EU 2016/679 art. 6"),
        ("1 kap. 2 § lag (2018:218)", "SFS 2018:218 1 kap. 2 §"),
        # Not a provision as a whole: never widened to the statute or narrowed to a part.
        ("SFS 2013:460 1000 §", None),
        ("SFS 2013:460 23 § blah", None),
        ("SFS 2013:460 blah", None),
        ("inget lagrum alls", None),
    ],
)
def test_canonical_provision_takes_only_a_whole_provision(text, canonical):
    from lagrum.legal.graph import canonical_provision

    assert canonical_provision(text) == canonical


def test_brottsdatalagen_in_a_real_imy_decision_is_cited_by_its_abbreviation():
    """IMY's decision on the police's drone surveillance (../shared/realdata) cites the Criminal
    Data Act as "BDL" ("… följer av 5 kap. 6 § BDL …", "2 kap. 8 § BDL") and once by name with its
    number. With the act in the registry those are references to SFS 2018:1177's sections, so a
    question naming "5 kap. 6 § brottsdatalagen" (or "the Criminal Data Act") reaches the decision
    applying it: before, it led with an unrelated section of the Public Access and Secrecy Act."""
    import json
    import os
    from pathlib import Path

    from lagrum.legal.query import parse_query

    root = Path(__file__).resolve().parent.parent
    record = Path(os.environ.get("LAGRUM_REALDATA") or root.parent / "shared" / "realdata") / "imy-decisions" / "record_0001.json"
    if not record.exists():
        pytest.skip(f"REALDATA MISSING: {record}; set LAGRUM_REALDATA to the shared realdata folder (see its SOURCES.md)")
    text = " ".join(json.loads(record.read_text(encoding="utf-8"))["text"].split())
    cited = {r.canonical for r in extract_references(text, default_registry())}
    assert {"SFS 2018:1177 5 kap. 6 §", "SFS 2018:1177 5 kap. 7 §", "SFS 2018:1177 2 kap. 8 §"} <= cited, sorted(c for c in cited if "2018:1177" in c)
    assert parse_query("Vad säger 5 kap. 6 § brottsdatalagen?", "sv", default_registry()).provisions == ["SFS 2018:1177 5 kap. 6 §"]
    assert parse_query("What does the Criminal Data Act say about drones?", "en", default_registry()).provisions == ["SFS 2018:1177"]
