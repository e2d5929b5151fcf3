"""Statutes in the index are found by the names they are cited by, read from their own titles.

"8 § polislagen" is how a lawyer writes; the curated registry names a few dozen statutes, the
index holds many more. Real statute JSON from ../shared/realdata; real e5, real Edge shard.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lagrum.legal.query import parse_query
from lagrum.legal.registry import default_registry, statute_names_from_title

ROOT = Path(__file__).resolve().parent.parent
REALDATA = Path(os.environ.get("LAGRUM_REALDATA") or ROOT.parent / "shared" / "realdata")
STATUTES = REALDATA / "rkrattsbaser-sfs-json"


def test_names_follow_the_title():
    assert statute_names_from_title("Säkerhetsskyddslag (2018:585)")[1][0] == "säkerhetsskyddslagen"
    assert statute_names_from_title("Offentlighets- och sekretesslag (2009:400)")[1][0] == "offentlighets- och sekretesslagen"
    assert statute_names_from_title("Lag (1982:80) om anställningsskydd") == ("SFS 1982:80", ["lagen om anställningsskydd"])
    assert statute_names_from_title("Tillkännagivande (2025:1582) av uppgift om Riksbankens referensränta") is None


def test_curated_names_win_and_unknown_statutes_are_added():
    registry = default_registry()
    curated = next(s for s in registry.statutes() if s.short_names)
    added = registry.with_statute_titles({curated.sfs: "Annan lag (1999:1)", "SFS 2019:438": "Kustbevakningsdataförordning (2019:438)"})
    assert added.statute_names()[curated.short_names[0].casefold()] == curated.sfs
    assert added.statute_names()["kustbevakningsdataförordningen"] == "SFS 2019:438"
    parsed = parse_query("Vem får direktåtkomst enligt 3 § kustbevakningsdataförordningen?", "sv", added)
    assert "SFS 2019:438 3 §" in parsed.provisions
    assert parse_query("Vem får direktåtkomst enligt 3 § kustbevakningsdataförordningen?", "sv", registry).provisions == []


def test_a_statute_ingested_later_is_found_by_name(fresh_settings, embedder):
    files = [STATUTES / "sfs-2019-438.json", STATUTES / "sfs-1993-1633.json", STATUTES / "sfs-2018-254.json"]
    if not all(f.exists() for f in files):
        pytest.skip(f"REALDATA MISSING: {STATUTES}; set LAGRUM_REALDATA to the shared realdata folder")
    from ingest.loaders import iter_documents
    from lagrum.index import Index
    from lagrum.app.service import LagrumService

    service = LagrumService(Index.open(fresh_settings, embedder=embedder))
    try:
        service.add_documents(list(iter_documents(files[1:])))
        question = "Vem får direktåtkomst enligt 3 § kustbevakningsdataförordningen?"
        assert service.retriever.plan(question).provisions == []  # not in the index yet
        service.add_documents(list(iter_documents(files[:1])))
        assert "SFS 2019:438 3 §" in service.retriever.plan(question).provisions
        hits = service.search(question, limit=3)["hits"]
        from lagrum.retrieval import _label_covers

        assert hits[0]["doc_id"] == "sfs-2019-438" and _label_covers(hits[0]["section"], None, "3"), hits[0]
    finally:
        service.close()
