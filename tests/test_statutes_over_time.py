"""Statutes over time: a section's wording as in force on a date, the amendment register, `as_of`.

Real files from `../shared/realdata` (see its SOURCES.md), skipped loudly when absent:

* Rättsinformationsförordning (SFS 1999:175) from lagrummet/rinfo: the base text as issued
  (`documents/publ/Forfattningar/SFS/1999/SFS-1999_175.xhtml`), the consolidated version of
  2011-05-02 (`testfeeds/.../1999_175_konsolidering_senaste.xhtml`, "i lydelse enligt SFS
  2010:1990") and the amendments SFS 2000:80 (in force 2000-04-10) and SFS 2008:1394 (in force
  2009-01-01). 14 § as issued ends "... överta ansvaret."; SFS 2000:80 added "för att
  informationen görs elektroniskt tillgänglig och sprids". 15 § named Regeringskansliet as the
  coordinating authority until SFS 2008:1394 made it Domstolsverket.
* Lag (1998:620) om belastningsregister (statute JSON): 6 § printed twice, the wording of SFS
  2020:1111 "/Upphör att gälla U:2026-03-01/" and that of SFS 2025:1467 "/Träder i kraft
  I:2026-03-01/" (Säkerhets- och integritetsskyddsnämnden becomes Myndigheten för säkerhet och
  integritetsskydd).
* Förordning (2007:827) med instruktion för Statskontoret (statute JSON), repealed 2026-01-01
  by SFS 2025:681; Förordning (1980:628) om rättsdatasystemet (its 1998 consolidation in the
  feed), repealed by SFS 1999:175 ("Genom denna förordning upphävs förordningen (1980:628)").
* Offentlighets- och sekretesslag (SFS 2009:400): its 380 amendments, read through the reader
  only (the statute is far too long to embed in a test).

Seven documents (about 50 passages) are ingested once with the real e5 model into a real Qdrant Edge
shard in a temp dir; HTTP goes through a real uvicorn. The store-filter test at the end uses
made-up payloads (ids `test-asof-…`) on both store backends.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from conftest import API_KEY, TEST_HOSTS, LiveServer

ROOT = Path(__file__).resolve().parents[1]
REALDATA = Path(os.environ.get("LAGRUM_REALDATA") or ROOT.parent / "shared" / "realdata")
RINFO = REALDATA / "lagrummet-rinfo"
BASE_1999_175 = RINFO / "documents/publ/Forfattningar/SFS/1999/SFS-1999_175.xhtml"
FEED = RINFO / "testfeeds/rattsinformationsforordningen"
CONSOLIDATED_1999_175 = FEED / "1999_175_konsolidering_senaste.xhtml"
AMENDMENTS_1999_175 = [FEED / "2000_80_andr.xhtml", FEED / "2008_1394_andr.xhtml"]
SFS_1998_620 = REALDATA / "rkrattsbaser-sfs-json/sfs-1998-620.json"
SFS_2009_400 = REALDATA / "rkrattsbaser-sfs-json/sfs-2009-400.json"
SFS_2007_827 = REALDATA / "rkrattsbaser-sfs-json/sfs-2007-827.json"  # repealed 2026-01-01 by SFS 2025:681
CONSOLIDATED_1980_628 = FEED / "1980_628_konsolidering_senaste.xhtml"  # repealed by SFS 1999:175
FILES = [BASE_1999_175, CONSOLIDATED_1999_175, *AMENDMENTS_1999_175, SFS_1998_620, SFS_2007_827, CONSOLIDATED_1980_628]

OLD_14 = "14 § Om det finns särskilda skäl får samordningsmyndigheten på begäran av den informationsansvariga myndigheten överta ansvaret."
NEW_14 = (
    "14 § Om det finns särskilda skäl får samordningsmyndigheten på begäran av den informationsansvariga myndigheten "
    "överta ansvaret för att informationen görs elektroniskt tillgänglig och sprids. Förordning (2000:80)."
)
OLD_6_NAME = "Säkerhets- och integritetsskyddsnämnden"
NEW_6_NAME = "Myndigheten för säkerhet och integritetsskydd"


def _require(*paths: Path) -> None:
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        pytest.skip(f"REALDATA MISSING: {', '.join(missing)} (see /work/shared/realdata/SOURCES.md; set LAGRUM_REALDATA)")


@pytest.fixture(scope="module")
def statute_settings(tmp_path_factory, embedder):
    """The five real documents ingested into a fresh index, which is closed again afterwards."""
    _require(*FILES)
    from ingest.loaders import iter_documents
    from ingest.pipeline import IngestPipeline
    from lagrum.index import Index
    from lagrum.settings import Settings

    settings = Settings().with_(data_dir=tmp_path_factory.mktemp("statutes-over-time"), api_keys=(API_KEY,), allowed_hosts=TEST_HOSTS)
    index = Index.open(settings, create=True, embedder=embedder)
    summary = IngestPipeline(index).ingest(iter_documents(FILES))
    index.close()
    assert summary.failed == 0, summary.errors
    assert summary.ingested == 7
    return settings


def _cli(settings, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LAGRUM_DATA": str(settings.data_dir)}
    return subprocess.run([sys.executable, "-m", "lagrum.app.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


# The CLI opens the index in its own process: these run before this module's service opens it.


def test_cli_provision_as_of_quotes_the_wording_of_that_day(statute_settings):
    before = _cli(statute_settings, "provision", "SFS 1999:175 14 §", "--as-of", "2000-01-01", "--json")
    assert before.returncode == 0, before.stderr
    after = _cli(statute_settings, "provision", "SFS 1999:175 14 §", "--as-of", "2005-01-01", "--json")
    assert after.returncode == 0, after.stderr
    old, new = json.loads(before.stdout)["text_as_of"], json.loads(after.stdout)["text_as_of"]
    assert old["text"] == OLD_14 and old["source_doc_id"] == "sfs-1999-175"
    assert old["valid_from"] == "1999-05-01" and old["valid_until"] == "2000-04-10"
    assert new["text"] == NEW_14 and new["source_doc_id"] == "sfs-1999-175-konsolidering-2011-05-02"
    assert new["valid_from"] == "2000-04-10" and new["changed_by"] == "SFS 2000:80"
    text = _cli(statute_settings, "provision", "SFS 1999:175 14 §", "--as-of", "2000-01-01")
    assert text.returncode == 0 and "text as of 2000-01-01" in text.stdout and "överta ansvaret." in text.stdout


def test_cli_bad_as_of_is_a_clear_error(statute_settings):
    bad = _cli(statute_settings, "provision", "SFS 1999:175 14 §", "--as-of", "1 maj 2000")
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    assert "--as-of" in bad.stderr and "YYYY-MM-DD" in bad.stderr
    bad = _cli(statute_settings, "search", "samordningsmyndighet", "--as-of", "2000-13-01")
    assert bad.returncode != 0 and "as_of" in bad.stderr and "Traceback" not in bad.stderr


def test_cli_search_as_of_leaves_out_a_wording_not_yet_in_force(statute_settings):
    result = _cli(statute_settings, "search", "personuppgifter ur belastningsregistret ska lämnas ut", "--as-of", "2025-01-01", "--json", "--limit", "20")
    assert result.returncode == 0, result.stderr
    sections = [h.get("section") for h in json.loads(result.stdout)["hits"] if h["doc_id"] == "sfs-1998-620"]
    assert "6 §" in sections and "6 § (lydelse 2)" not in sections


@pytest.fixture(scope="module")
def service(statute_settings, embedder):
    from lagrum.index import Index
    from lagrum.app.service import LagrumService

    service = LagrumService(Index.open(statute_settings, create=False, embedder=embedder))
    yield service
    service.close()


@pytest.fixture()
def on_2026_06_01(monkeypatch):
    """"Now" is 2026-06-01: after 6 § of SFS 1998:620 stopped applying in its old wording."""
    import lagrum.legal.timeline as timeline

    monkeypatch.setattr(timeline, "today", lambda: "2026-06-01")


def _verbatim(service, text_as_of: dict) -> None:
    record = service.index.store.get_document(text_as_of["source_doc_id"])
    assert record["text"][text_as_of["start"] : text_as_of["end"]] == text_as_of["text"]
    chunk = next(c for c in service.index.store.chunks_of(text_as_of["source_doc_id"]) if c["chunk_id"] == text_as_of["chunk_id"])
    assert chunk["start"] <= text_as_of["start"] < chunk["end"]


# --- SFS 1999:175 from the lagrummet feed ----------------------------------------------------


def test_dates_before_and_after_an_amendment_give_the_right_wording(service):
    from lagrum.legal.timeline import text_as_of

    before = text_as_of(service, "SFS 1999:175 14 §", "2000-04-09")
    after = text_as_of(service, "SFS 1999:175 14 §", "2000-04-10")
    assert before["text"] == OLD_14 and before["in_force_on_date"] is True and before["note_en"] is not None  # it ceased later
    assert after["text"] == NEW_14 and after["in_force_on_date"] is True and after["note"] is None
    for quote in (before, after):
        _verbatim(service, quote)
    # 15 §: Domstolsverket from SFS 2008:1394 (in force 2009-01-01), quoted for 2010 with no note.
    on_2010 = text_as_of(service, "SFS 1999:175 15 §", "2010-01-01")
    assert on_2010["text"].startswith("15 § Domstolsverket ska vara samordningsmyndighet") and on_2010["note"] is None
    assert on_2010["valid_from"] == "2009-01-01" and on_2010["changed_by"] == "SFS 2008:1394"


def test_a_day_whose_wording_the_data_lacks_gets_the_current_text_with_a_note(service):
    from lagrum.legal.timeline import text_as_of

    # In 2005 15 § may already have been changed by amendments whose dates the data lacks
    # (SFS 2000:668 … 2008:1205 are named by the consolidation only): no wording is vouched for.
    on_2005 = text_as_of(service, "SFS 1999:175 15 §", "2005-01-01")
    assert on_2005["in_force_on_date"] is False
    assert on_2005["text"].startswith("15 § Domstolsverket")
    assert "since 2009-01-01" in on_2005["note_en"] and "SFS 2008:1394" in on_2005["note_en"]
    assert "sedan 2009-01-01" in on_2005["note"]
    _verbatim(service, on_2005)


def test_the_base_text_is_not_quoted_as_current_law(service):
    result = service.search("Regeringskansliet skall vara samordningsmyndighet för rättsinformationssystemet", limit=10)
    base = [h for h in result["hits"] if h["doc_id"] == "sfs-1999-175" and "15 §" in h["text"] and "Regeringskansliet skall vara samordningsmyndighet" in h["text"]]
    assert base, [h["chunk_id"] for h in result["hits"]]
    messages = [w["message_en"] for w in base[0]["warnings"] if w["kind"] == "ceased_to_apply"]
    assert any(m.startswith("15 § as first issued no longer applies: it was amended by SFS 2008:1394 (in force 2009-01-01)") for m in messages), base[0]["warnings"]
    # Amendment documents are statutes of their own: no time warnings of 1999:175 on them.
    assert all(w["kind"] not in ("ceased_to_apply", "amended") for h in result["hits"] if h["doc_id"] == "sfs-2000-80" for w in h["warnings"])


def test_statute_status_lists_the_amendments_and_the_consolidation(service):
    from lagrum.legal.timeline import statute_status

    status = statute_status(service, "SFS 1999:175")
    assert status["base_doc_id"] == "sfs-1999-175" and status["in_force"] == "1999-05-01"
    assert status["consolidations"] == [{"doc_id": "sfs-1999-175-konsolidering-2011-05-02", "date": "2011-05-02"}]
    amendments = {a["sfs"]: a for a in status["amendments"]}
    assert len(amendments) == 16  # the consolidation basis
    assert amendments["SFS 2000:80"]["in_force"] == "2000-04-10" and amendments["SFS 2000:80"]["doc_id"] == "sfs-2000-80"
    assert amendments["SFS 2008:1394"]["in_force"] == "2009-01-01"
    assert amendments["SFS 2010:1990"]["in_force"] is None  # named, not indexed: no date is made up


# --- SFS 1998:620: a section marked to stop applying ----------------------------------------------


def test_a_section_that_stopped_applying_is_not_quoted_as_current_law(service, on_2026_06_01):
    from lagrum.legal.timeline import text_as_of

    now = text_as_of(service, "SFS 1998:620 6 §")
    assert now["date"] == "2026-06-01" and NEW_6_NAME in now["text"] and OLD_6_NAME not in now["text"]
    assert now["valid_from"] == "2026-03-01" and now["changed_by"] == "SFS 2025:1467" and now["note"] is None
    old = text_as_of(service, "SFS 1998:620 6 §", "2025-01-01")
    assert OLD_6_NAME in old["text"] and old["text"].endswith("Lag (2020:1111).")
    assert old["valid_from"] == "2021-01-01" and old["valid_until"] == "2026-03-01" and old["in_force_on_date"] is True
    assert old["note"] == "upphörde att gälla 2026-03-01" and old["note_en"] == "ceased to apply 2026-03-01"
    for quote in (now, old):
        _verbatim(service, quote)
    earlier = text_as_of(service, "SFS 1998:620 6 §", "2020-01-01")
    assert earlier["in_force_on_date"] is False and NEW_6_NAME in earlier["text"]
    assert "SFS 2020:1111 (in force 2021-01-01)" in earlier["note_en"]  # what changed it since, from the register


def test_search_without_as_of_marks_the_old_wording(service, on_2026_06_01):
    from lagrum.filters import SearchFilters

    hits = service.search("personuppgifter ur belastningsregistret ska lämnas ut", limit=20, filters=SearchFilters(doc_ids=("sfs-1998-620",)))["hits"]
    by_section = {h["section"]: h for h in hits}
    old, new = by_section["6 §"], by_section["6 § (lydelse 2)"]
    assert old["valid_until"] == "2026-03-01" and new["valid_from"] == "2026-03-01"
    ceased = [w for w in old["warnings"] if w["kind"] == "ceased_to_apply"]
    assert ceased and ceased[0]["message"].startswith("6 § i denna lydelse upphörde att gälla 2026-03-01")
    assert ceased[0]["replaced_by"]["changed_by"] == "SFS 2025:1467"
    assert not [w for w in new["warnings"] if w["kind"] in ("ceased_to_apply", "not_yet_in_force")]
    amended = [w["message_en"] for w in new["warnings"] if w["kind"] == "amended"]
    assert amended == ["6 § amended by SFS 2025:1467 (in force 2026-03-01)."]


def test_as_of_search_takes_the_law_of_that_day(service):
    from lagrum.filters import SearchFilters

    query = "personuppgifter ur belastningsregistret ska lämnas ut Riksdagens ombudsmän Justitiekanslern"
    sections = lambda day: [h["section"] for h in service.search(query, limit=30, filters=SearchFilters.build(as_of=day, doc_id="sfs-1998-620"))["hits"]]
    assert "6 §" in sections("2025-01-01") and "6 § (lydelse 2)" not in sections("2025-01-01")
    assert "6 § (lydelse 2)" in sections("2026-03-01") and "6 § (lydelse 2)" in sections("2026-06-01")
    assert "6 §" not in sections("2026-03-01")
    # Documents dated after the day are left out: the 2011 consolidation is not the law of 2005.
    docs = {h["doc_id"] for h in service.search("samordningsmyndighet för rättsinformationssystemet", limit=20, filters=SearchFilters.build(as_of="2005-01-01"))["hits"]}
    assert "sfs-1999-175" in docs and "sfs-1999-175-konsolidering-2011-05-02" not in docs
    # Passages without validity fields are not left out by the validity rule.
    assert "sfs-1999-175" in {h["doc_id"] for h in service.search("samordningsmyndighet", limit=20, filters=SearchFilters.build(as_of="2026-06-01"))["hits"]}


def test_a_repealed_statute_and_its_successor(service, on_2026_06_01):
    from lagrum.filters import SearchFilters
    from lagrum.legal.timeline import statute_status

    # Repealed in its own metadata, by a statute not in the index.
    status = statute_status(service, "SFS 2007:827")
    assert status["repealed"] == "2026-01-01" and status["repealed_by"] == "SFS 2025:681"
    hits = service.search("Statskontoret ska på regeringens uppdrag genomföra utredningar", limit=5, filters=SearchFilters(doc_ids=("sfs-2007-827",)))["hits"]
    repealed = [w for w in hits[0]["warnings"] if w["kind"] == "statute_repealed"]
    assert [w["message_en"] for w in repealed] == ["SFS 2007:827 repealed 2026-01-01, replaced by SFS 2025:681."]
    assert [w["message"] for w in repealed] == ["SFS 2007:827 upphävd 2026-01-01, ersatt av SFS 2025:681."]
    before = service.search("Statskontoret ska på regeringens uppdrag genomföra utredningar", limit=5, filters=SearchFilters.build(doc_id="sfs-2007-827", as_of="2025-01-01"))["hits"]
    assert before and not [w for w in before[0]["warnings"] if w["kind"] == "statute_repealed"]
    # Repealed by an indexed statute: the successor and its date come from SFS 1999:175.
    old = statute_status(service, "SFS 1980:628")
    assert old["successor"]["doc_id"] == "sfs-1999-175" and old["repealed_by"] == "SFS 1999:175" and old["repealed"] == "1999-05-01"
    hits = service.search("rättsdatasystemet", limit=5, filters=SearchFilters(doc_ids=("sfs-1980-628-konsolidering-1998-07-01",)))["hits"]
    assert any(w["message_en"] == "SFS 1980:628 repealed 1999-05-01, replaced by SFS 1999:175." for w in hits[0]["warnings"])
    # The successor's own hits carry no repeal warning of the statute it replaced.
    hits = service.search("upphävs förordningen (1980:628) om rättsdatasystemet", limit=5, filters=SearchFilters(doc_ids=("sfs-1999-175",)))["hits"]
    assert hits and not [w for h in hits for w in h["warnings"] if w["kind"] == "statute_repealed"]


# --- HTTP: /provisions, /search, /ask ---------------------------------------------------------------


@pytest.fixture(scope="module")
def http(statute_settings, service):
    from api.app import create_app

    with LiveServer(create_app(statute_settings, service=service)) as server:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=120) as client:
            yield client


def test_http_provision_as_of(http, service):
    before = http.get("/provisions/SFS 1999:175 14 §", params={"as_of": "2000-01-01"})
    assert before.status_code == 200, before.text
    body = before.json()
    assert {"canonical", "statute", "section", "count", "passages"} <= set(body)  # the fields it always had
    assert body["text_as_of"]["text"] == OLD_14 and body["text_as_of"]["date"] == "2000-01-01"
    after = http.get("/provisions/SFS 1999:175 14 §", params={"as_of": "2005-01-01"}).json()["text_as_of"]
    assert after["text"] == NEW_14
    _verbatim(service, after)
    bad = http.get("/provisions/SFS 1999:175 14 §", params={"as_of": "yesterday"})
    assert bad.status_code == 422 and bad.json()["field"] == "as_of"


def test_http_search_and_ask_as_of(http, on_2026_06_01):
    question = "Vilka myndigheter ska få personuppgifter ur belastningsregistret för sin tillsynsverksamhet?"
    hits = http.get("/search", params={"q": question, "as_of": "2025-01-01", "limit": 20}).json()["hits"]
    assert "sfs-1998-620#7" not in {h["chunk_id"] for h in hits}  # 6 § (lydelse 2), in force from 2026-03-01
    answer = http.post("/ask", json={"question": question, "filters": {"as_of": "2025-01-01"}})
    assert answer.status_code == 200, answer.text
    cited = {c["chunk_id"] for c in answer.json()["citations"]}
    assert "sfs-1998-620#7" not in cited
    later = http.post("/ask", json={"question": question, "filters": {"as_of": "2026-06-01"}}).json()
    assert "sfs-1998-620#6" not in {c["chunk_id"] for c in later["citations"]}  # the wording that ceased 2026-03-01
    bad = http.post("/ask", json={"question": question, "filters": {"as_of": "2025-02-30"}})
    assert bad.status_code == 422 and bad.json()["field"] == "filters.as_of"
    bad = http.get("/search", params={"q": question, "as_of": "soon"})
    assert bad.status_code == 422 and bad.json()["field"] == "as_of"


def test_an_answer_quoting_a_wording_that_ceased_says_so_first(service, on_2026_06_01):
    from lagrum.filters import SearchFilters

    answer = service.ask("Regeringskansliet skall vara samordningsmyndighet för rättsinformationssystemet", filters=SearchFilters(doc_ids=("sfs-1999-175",)))
    quoted = [c for c in answer["citations"] if "Regeringskansliet skall vara samordningsmyndighet" in c["quote"]]
    assert quoted, answer
    n = quoted[0]["n"]
    assert answer["answer"].startswith(f"Obs: [{n}] 15 § i grundförfattningens lydelse gäller inte längre")
    assert any(note.startswith(f"[{n}] 15 §") and "SFS 2008:1394" in note for note in answer["notes"])
    # The wording that replaced it is cited too, verbatim from the consolidated text.
    current = [c for c in answer["citations"] if c["doc_id"] == "sfs-1999-175-konsolidering-2011-05-02"]
    assert current and current[0]["quote"].startswith("15 § Domstolsverket ska vara samordningsmyndighet")
    record = service.index.store.get_document(current[0]["doc_id"])
    assert record["text"][current[0]["start"] : current[0]["end"]] == current[0]["quote"]
    assert f"[{current[0]['n']}]" in answer["answer"] and any(f"Gällande lydelse: [{current[0]['n']}]" in note for note in answer["notes"])


# --- SFS 2009:400 through the reader ---------------------------------------------------------------


def test_sfs_2009_400_register_says_which_sfs_changed_which_section_when():
    _require(SFS_2009_400)
    from ingest.loaders import load_bytes
    from lagrum.legal.timeline import Statute, register_amendments, section_history

    document = load_bytes(SFS_2009_400.name, SFS_2009_400.read_bytes())[0]
    register = register_amendments(document.extra["amendments"])
    assert len(register) == 380
    assert register["SFS 2025:1470"].in_force == "2026-03-01"
    assert register["SFS 2025:1470"].sections("amended") == ["1 kap. 7 §", "42 kap. 5 §", "42 kap. 6 §", "42 kap. 7 §", "42 kap. 8 §"]
    assert register["SFS 2011:553"].sections("added") == ["17 kap. 4 a §", "29 kap. 12 a §"]
    history = section_history(Statute("SFS 2009:400", amendments=register), "1 kap. 7 §")
    assert history[0] == {"sfs": "SFS 2009:613", "in_force": "2009-07-01", "change": "amended"}
    assert history[-1] == {"sfs": "SFS 2025:1470", "in_force": "2026-03-01", "change": "amended"}
    assert all(h["sfs"] != "SFS 2015:603" for h in history)  # it changed 11 kap. 7 §, not 1 kap. 7 §


# --- the as_of filter on both store backends (made-up payloads) ---------------------------------------


@pytest.mark.parametrize("kind", ["edge", "local"])
def test_as_of_filter_on_both_backends(kind, tmp_path):
    from lagrum.filters import SearchFilters
    from lagrum.lexical import Bm25Encoder
    from lagrum.store.base import ChunkPoint, point_id

    if kind == "edge":
        from lagrum.store.edge import EdgeStore

        store = EdgeStore.open(tmp_path / "edge", dim=4)
    else:
        from lagrum.store.server import ServerStore

        store = ServerStore.open(f"local:{tmp_path / 'local'}", dim=4)
    made_up = {  # chunk -> (date, valid_from, valid_until); invented for this test
        "old-wording": ("2009-05-20", None, "2026-03-01"),
        "new-wording": ("2009-05-20", "2026-03-01", None),
        "no-validity": ("2009-05-20", None, None),
        "later-ruling": ("2020-02-01", None, None),
        "undated": (None, None, None),
    }
    bm25 = Bm25Encoder()
    points = []
    for i, (name, (date, valid_from, valid_until)) in enumerate(made_up.items()):
        payload = {"doc_id": f"test-asof-{name}", "chunk_id": f"test-asof-{name}#0", "index": 0, "text": name, "date": date, "doc_type": "lag"}
        payload |= {k: v for k, v in (("valid_from", valid_from), ("valid_until", valid_until)) if v}
        points.append(ChunkPoint(point_id(payload["chunk_id"]), [1.0, 0.1 * i, 0.0, 0.0], bm25.document(name), payload))
    store.upsert_chunks(points)
    store.flush()
    try:
        found = lambda day: sorted(c["doc_id"][len("test-asof-") :] for c in store.find_chunks(SearchFilters.build(as_of=day)))
        assert found("2015-01-01") == ["no-validity", "old-wording", "undated"]
        assert found("2026-02-28") == ["later-ruling", "no-validity", "old-wording", "undated"]
        assert found("2026-03-01") == ["later-ruling", "new-wording", "no-validity", "undated"]
        assert store.count_chunks(SearchFilters.build(as_of="2026-03-01")) == 4
        assert len(store.find_chunks(SearchFilters())) == 5
    finally:
        store.close()
