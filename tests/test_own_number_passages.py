"""A statute or regulation named by its number: the section asked about, not its cover (issue 16).

"Vad säger SFS 2021:890 om repressalier?" names the Whistleblower Act by its own number, and the
own-number boost lifts every passage of it above all others. Within it, the exact-identifier pass
(BM25 over "2021:890") then ordered the passages by where the number is written: the transitional
provisions ("2021:890 1. Denna lag träder i kraft …", in the passage of 10 kap. 5 §) and, for
Arbetsmiljöverket's AFS 2023:1, its cover and enacting formula ("Arbetsmiljöverket föreskriver
följande …"). For a statute's, EU act's or regulation's own number the exact pass no longer ranks
that document's passages; it still finds the other documents that write the number (a guide on
the act the index holds instead of the act), and a case's number still finds the ruling's head,
where its operative part stands. An authority's regulation series ("AFS 2023:1") is now an own
number, and its letters are no party's name.

The real Lag (2021:890) and the real AFS 2023:1 (its PDF) from ../shared/realdata, real e5, a real
Qdrant Edge shard. In the whole real corpus (`lagrum eval --set real`): Swedish decisive@1 0.667 →
0.697, answer_in_citations 0.697 → 0.727 (alone and with distractors); every other figure of dev,
holdout and real unchanged.
"""

from __future__ import annotations

import pytest

from lagrum.retrieval import OwnNumbers
from tests.conftest import realdata_files, service_over

FILES = ("swedish-law-mcp-seeds/2021_890.json", "afs-arbetsmiljoverket/AFS-2023-1.pdf")


def test_a_regulation_series_number_is_an_own_number():
    own = OwnNumbers.of("Vad säger AFS 2023:1 om riskbedömningar?", [])
    assert own.documents == ("afs 2023:1",) and own.names(["AFS 2023:1"], None) and not own.names(["AFS 2023:2"], None)
    assert own.names_statute(["AFS 2023:1"])
    assert not OwnNumbers.of("Vad sa HD i mål Ö 6478-25?", ["mål Ö 6478-25"]).names_statute(["Mål Ö 6478-25"])


@pytest.fixture(scope="module")
def service(corpus_settings, embedder, tmp_path_factory):
    with service_over(realdata_files(*FILES), corpus_settings.with_(data_dir=tmp_path_factory.mktemp("own-number-passages")), embedder) as service:
        yield service


@pytest.mark.parametrize(
    "question, doc_id, provision, quoted",
    [
        ("Vad säger SFS 2021:890 om repressalier?", "sfs-2021-890", "3 kap.", "repressalier"),
        ("Vad säger AFS 2023:1 om dokumentation av riskbedömningar?", "afs-2023-1", None, "dokumenteras"),
    ],
)
def test_the_section_asked_about_leads(service, question, doc_id, provision, quoted):
    hits = service.retriever.search(question, limit=12)
    assert hits and hits[0].doc_id == doc_id, [(h.doc_id, h.section) for h in hits[:3]]
    assert "träder i kraft" not in hits[0].text[:200] and "föreskriver" not in hits[0].text[:300], hits[0].text[:300]
    lead = service.ask(question)["citations"][0]
    assert lead["doc_id"] == doc_id and quoted in lead["quote"], lead
    if provision:
        assert (lead["provision"] or "").startswith(provision), lead
