"""One name written several ways counts once when quotes are scored (issue 16, the decisive passage).

A question naming IMY has its other names added for BM25 ("Integritetsskyddsmyndigheten",
"Datainspektionen"). Scored word by word, IMY's standard opening sentence "Integritetsskyddsmyndigheten
(IMY) är tillsynsmyndighet enligt dataskyddsförordningen." then shared two of the question's words
and tied with the sentence naming the party the question asks about ("IMY har mottagit en stor
mängd klagomål mot Nusvar AB som tillhandahåller söktjänsten Mrkoll …"), and led for standing
first. A name and its equivalents now count as one word of the question
(`lagrum.legal.query.name_groups`).

IMY's real letter to Nusvar AB from ../shared/realdata, real e5, a real Qdrant Edge shard. In the
whole real corpus (`lagrum eval`): English decisive@1 real 0.484 → 0.516, dev 0.300 → 0.333; nothing
fell on any set, alone or with distractors.
"""

from __future__ import annotations

import pytest

from lagrum.answer import _grouped_overlap, _overlap
from lagrum.legal.query import name_groups
from tests.conftest import realdata_files, service_over

QUESTION = "Why is IMY looking into the people-search site Mrkoll?"


def test_a_name_and_its_equivalents_are_one_group():
    groups = name_groups("Vad beslutade IMY om Mrkoll?")
    assert len(groups) == 1 and groups[0][0] == "IMY"
    assert {"integritetsskyddsmyndigheten", "datainspektionen"} <= {n.casefold() for n in groups[0]}
    assert name_groups("Får min chef läsa min mejl?") == []


def test_a_group_counts_once():
    query, group = {1, 2, 3, 4}, {1, 2}
    assert _grouped_overlap(query, [group], {1, 2}) == pytest.approx(1 / 3**0.5)  # one name, however written
    assert _grouped_overlap(query, [group], {1, 3}) == pytest.approx(2 / 3**0.5)  # the name and another word
    assert _grouped_overlap(query, [], {1, 2}) == _overlap(query, {1, 2})


@pytest.fixture(scope="module")
def service(corpus_settings, embedder, tmp_path_factory):
    with service_over(realdata_files("imy-decisions/record_0011.json"), corpus_settings.with_(data_dir=tmp_path_factory.mktemp("name-groups")), embedder) as service:
        yield service


def test_the_sentence_naming_the_party_leads_not_the_authoritys_self_description(service):
    lead = service.ask(QUESTION)["citations"][0]
    assert "Mrkoll" in lead["quote"] and "är tillsynsmyndighet enligt" not in lead["quote"], lead
