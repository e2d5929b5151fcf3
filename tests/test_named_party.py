"""A question that names a party and a provision asks about the matter, not the statute (issue 18).

"Hur stort allmänt skadestånd fick förbunden av Stora Kraft för brott mot förhandlingsskyldigheten
enligt 11 § MBL?" names MBL's section, and a named provision is one of the statute's own numbers,
which hybrid retrieval lifts above anything the ranked lists can give (`OWN_BOOST`). No statute
names a company, though: with a party in the question, the statute is the legal ground of a
matter the question is about, and the ruling on that matter, which BM25 and e5 both rank first,
stays first. Real AD 1994 nr 103 and the real Medbestämmandelagen from ../shared/realdata, real e5,
a real Qdrant Edge shard.

In the whole real corpus (`lagrum eval --set real`) this lifted Swedish hybrid MRR@10 from 0.939
to 0.955 (the ruling ranked second behind MBL 10–12 §§), every other figure of dev, holdout and
real, alone and with distractors, unchanged.
"""

from __future__ import annotations

import pytest

from lagrum.legal.query import name_words, parse_query
from lagrum.retrieval import QueryPlan
from tests.conftest import realdata_files, service_over

FILES = ("ferenda-lagen-nu/dv/AD-1994-103.xhtml", "swedish-law-mcp-seeds/medbestammandelagen.json")
QUESTION = "Hur stort allmänt skadestånd fick förbunden av Stora Kraft för brott mot förhandlingsskyldigheten enligt 11 § MBL?"


@pytest.mark.parametrize(
    "question, names",
    [
        (QUESTION, ["Stora", "Kraft"]),
        ("Vad säger 11 § MBL om förhandlingsskyldigheten?", []),
        ("What does SFS 2021:890 regulate?", []),  # the reference's words are no party
        ("What did IMY decide about Försäkringskassan's webcams?", []),  # names the registry knows
        ("What does the Security Guards Act, lag (2023:421) om ordningsvakter, regulate?", []),
        ("Can my employer record my Microsoft Teams calls?", ["Microsoft", "Teams"]),
    ],
)
def test_the_names_a_question_gives_are_parties_not_authorities_statutes_or_references(question, names):
    assert name_words(question) == names


def test_a_named_party_makes_the_named_statute_context():
    parsed = parse_query(QUESTION)
    plan = QueryPlan(QUESTION, "sv", parsed.lexical_text, parsed.provisions, parties=tuple(parsed.names))
    assert parsed.provisions and not plan.own_numbers  # the section is still a provision the passages may cite
    alone = "Vad säger 11 § MBL om förhandlingsskyldigheten?"
    parsed = parse_query(alone)
    assert QueryPlan(alone, "sv", parsed.lexical_text, parsed.provisions, parties=tuple(parsed.names)).own_numbers.provisions
    with_case = "Vad sa Arbetsdomstolen i mål A 123-94 om Stora Kraft?"  # a case's own number stays
    parsed = parse_query(with_case)
    assert QueryPlan(with_case, "sv", parsed.lexical_text, parsed.provisions, parties=tuple(parsed.names)).own_numbers


@pytest.fixture(scope="module")
def service(corpus_settings, embedder, tmp_path_factory):
    with service_over(realdata_files(*FILES), corpus_settings.with_(data_dir=tmp_path_factory.mktemp("named-party")), embedder) as service:
        yield service


def test_the_ruling_on_the_named_party_ranks_above_the_provision(service):
    hits = service.retriever.search(QUESTION, limit=10)
    assert hits and hits[0].doc_id == "ad-1994-103", [(h.doc_id, h.section) for h in hits[:5]]
    result = service.ask(QUESTION)
    assert result["citations"][0]["doc_id"] == "ad-1994-103", result["citations"][0]


def test_without_a_party_the_named_provision_still_leads(service):
    hits = service.retriever.search("Vad säger 11 § MBL om förhandlingsskyldigheten?", limit=10)
    assert hits and hits[0].doc_id == "sfs-1976-580", [(h.doc_id, h.section) for h in hits[:5]]


@pytest.mark.parametrize(
    "question, provisions",
    [
        ("förordning (2007:827) med instruktion för Statskontoret", ["SFS 2007:827"]),  # the statute's own title
        ("Vad säger 21 kap. 7 § OSL om Skatteverket?", ["SFS 2009:400 21 kap. 7 §"]),  # a public body
    ],
)
def test_public_bodies_and_the_named_statutes_own_title_are_no_parties(question, provisions):
    from lagrum.legal.registry import default_registry
    from lagrum.retrieval import _parties

    registry = default_registry().with_statute_titles({"SFS 2007:827": "Förordning (2007:827) med instruktion för Statskontoret"})
    parsed = parse_query(question, registry)
    assert parsed.names and _parties(parsed.names, parsed.provisions, registry) == ()
