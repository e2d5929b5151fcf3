"""Follow-up questions and the streamed answer, on the real engine (e5, Qdrant Edge, uvicorn).

Two conversations of seven turns, one in Swedish (continued by `conversation_id`) and one in
English (sent as `history`), over the session's bundled corpus: the fictional lager-camera
decision and the ruling that overturned it (tests/data/legal, made up for tests), and the real
news articles about Datainspektionen's decision on Försäkringskassan's webcams (dnr 388-2015,
overturned in mål 383-16, which the corpus holds only as a registry fact). Each follow-up must
resolve to the right documents. One more conversation runs over real IMY decisions read by
`ingest/formats/imy.py` from ../shared/realdata. `POST /ask/stream` is read from a real uvicorn.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lagrum.followup import ConversationStore, Turn, is_follow_up, time_filter

DECISION = "test-beslut-lagerkameror"  # fictional, 2019-03-04, overturned by RULING
RULING = "test-dom-lagerkameror"  # fictional, 2020-02-11
DI_ARTICLE = "di-kameraovervakningen-hos-forsakringskassan-ar-olaglig"  # real news, 2015-12-24
ROOT = Path(__file__).resolve().parents[1]
REALDATA = Path(os.environ.get("LAGRUM_REALDATA") or ROOT.parent / "shared" / "realdata")


@pytest.fixture(scope="module")
def client(corpus_settings, corpus_service):
    from api.app import create_app

    with TestClient(create_app(corpus_settings, service=corpus_service), raise_server_exceptions=False) as c:
        yield c


def cited(answer: dict) -> list[str]:
    return list(dict.fromkeys(c["doc_id"] for c in answer["citations"]))


def dates(client: TestClient, doc_ids: list[str]) -> dict[str, str | None]:
    return {d: client.get(f"/documents/{d}").json().get("date") for d in doc_ids}


# --- recognising a follow-up, without a model ----------------------------------------------------


@pytest.mark.parametrize(
    "question",
    ["Och vad sa domstolen?", "what about after 2018?", "vilken lag gäller nu?", "Hur stor blev avgiften?", "and the fine?",
     "Och före 2015?", "Vad sa de om det?", "What did the court decide?", "Which law applies now?", "Gäller den fortfarande?"],
)
def test_elliptic_questions_are_follow_ups(question):
    assert is_follow_up(question)


@pytest.mark.parametrize(
    "question",
    ["Får Försäkringskassan kräva att handläggare arbetar framför webbkamera?", "Vad säger GDPR om samtycke på arbetsplatsen?",
     "Can an employer film warehouse staff at the packing tables?", "Är det lagligt att spela in anställdas skärmar hos Telia?",
     "Vad säger lagen om kameraövervakning?", "What does the law say about camera surveillance?"],
)
def test_questions_with_their_own_subject_are_not(question):
    assert not is_follow_up(question)


def test_time_phrases_become_date_bounds():
    assert time_filter("what about after 2018?") == ("2018-01-01", None)
    assert time_filter("Och före 2015?") == (None, "2014-12-31")
    assert time_filter("och sedan 2016?") == ("2016-01-01", None)
    assert time_filter("What happened in 2016?") == ("2016-01-01", "2016-12-31")
    assert time_filter("Och vad sa domstolen?") == (None, None)
    assert time_filter("Och efter 2013:460?") == (None, None)  # a statute's number, not a year


def test_conversation_store_is_bounded_in_number_turns_and_age():
    now = [0.0]
    store = ConversationStore(max_conversations=3, max_turns=2, max_age=60, clock=lambda: now[0])
    ids = [store.put(None, [Turn(f"fråga {n}")]) for n in range(4)]
    assert store.get(ids[0]) is None and len(store) == 3  # the least recently used went first
    cid = store.put(ids[1], [Turn("a"), Turn("b"), Turn("c")])
    assert cid == ids[1] and [t.question for t in store.get(cid)] == ["b", "c"]
    assert store.put("chosen-by-a-client", [Turn("x")]) != "chosen-by-a-client"  # ids are never the client's
    now[0] = 61
    assert store.get(cid) is None and len(store) == 0


# --- a Swedish conversation over the bundled corpus, continued by conversation_id ----------------


def test_swedish_conversation_resolves_each_follow_up(client):
    def ask(question: str, cid: str | None) -> dict:
        body = {"question": question, **({"conversation_id": cid} if cid else {})}
        response = client.post("/ask", json=body)
        assert response.status_code == 200, response.text
        data = response.json()
        assert data["conversation_id"]
        return data

    # 1. The matter: the warehouse cameras.
    first = ask("Får ett lagerbolag kamerabevaka personalen vid packborden?", None)
    assert first["resolved"] is None and DECISION in cited(first)
    cid = first["conversation_id"]

    # 2. "the court" is the ruling that overturned the decision cited before (relation graph).
    court = ask("Och vad sa domstolen?", cid)
    assert court["conversation_id"] == cid
    assert court["resolved"]["follow_up"] and court["resolved"]["doc_ids"] == [RULING]
    assert "packborden" in court["resolved"]["question"] and court["language"] == "sv"
    assert cited(court) == [RULING]

    # 3. A time: the same matter, since 2020; the earlier documents no longer bind.
    later = ask("Och efter 2020?", cid)
    assert later["resolved"]["filters"]["since"] == "2020-01-01" and later["resolved"]["doc_ids"] == []
    assert RULING in cited(later)
    assert all(d and d >= "2020-01-01" for d in dates(client, cited(later)).values())

    # 4. Before 2020: the decision; the ruling only as the status note's citation of it.
    earlier = ask("Och före 2020?", cid)
    assert earlier["resolved"]["filters"]["until"] == "2019-12-31"
    assert cited(earlier)[0] == DECISION
    assert all(d is None or d <= "2019-12-31" for doc, d in dates(client, cited(earlier)).items() if doc != RULING)

    # 5. A question of its own ignores the history.
    fk = ask("Får Försäkringskassan kräva att handläggare arbetar framför webbkamera?", cid)
    assert fk["resolved"]["follow_up"] is False and fk["resolved"]["doc_ids"] == []
    assert fk["resolved"]["question"] == "Får Försäkringskassan kräva att handläggare arbetar framför webbkamera?"
    assert DI_ARTICLE in cited(fk) and DECISION not in cited(fk)

    # 6. No ruling on dnr 388-2015 is indexed: the answer stays with the earlier documents and the
    #    registry names the ruling.
    fk_court = ask("Och vad sa domstolen?", cid)
    assert DI_ARTICLE in fk_court["resolved"]["doc_ids"] and RULING not in fk_court["resolved"]["doc_ids"]
    assert set(cited(fk_court)) <= set(fk_court["resolved"]["doc_ids"])
    assert any("mål 383-16" in note for note in fk_court["notes"])

    # 7. The law in force now: kameraövervakningslagen (2013:460), cited by the article, was
    #    replaced by kamerabevakningslagen (2018:1200); the one document citing that is the decision.
    law = ask("Vilken lag gäller nu?", cid)
    statutes = law["resolved"]["statutes"]
    assert [(s["sfs"], s["current"]) for s in statutes] == [("SFS 2013:460", "SFS 2018:1200")]
    assert law["resolved"]["doc_ids"] == [DECISION]
    assert any("Kamerabevakningslag (2018:1200)" in note for note in law["notes"])


# --- an English conversation over the bundled corpus, sent as history ----------------------------


def test_english_conversation_sent_as_history_resolves_each_follow_up(client):
    history: list[dict] = []

    def ask(question: str) -> dict:
        response = client.post("/ask", json={"question": question, "history": history})
        assert response.status_code == 200, response.text
        data = response.json()
        history.append({"question": question, "doc_ids": cited(data)})
        return data

    first = ask("Is it legal to film warehouse staff at the packing tables?")
    assert first["resolved"]["follow_up"] is False and DECISION in cited(first)

    court = ask("And what did the court say?")
    assert court["resolved"]["doc_ids"] == [RULING] and cited(court) == [RULING]
    assert court["language"] == "en" and "warehouse" in court["resolved"]["question"]

    later = ask("what about after 2020?")
    assert later["resolved"]["filters"]["since"] == "2020-01-01"
    assert RULING in cited(later) and all(d and d >= "2020-01-01" for d in dates(client, cited(later)).values())

    earlier = ask("and before 2020?")
    assert earlier["resolved"]["filters"]["until"] == "2019-12-31" and cited(earlier)[0] == DECISION
    assert all(d is None or d <= "2019-12-31" for doc, d in dates(client, cited(earlier)).items() if doc != RULING)

    fk = ask("Can Försäkringskassan require case handlers to work in front of a webcam?")
    assert fk["resolved"]["follow_up"] is False and DI_ARTICLE in cited(fk)

    fk_court = ask("And what did the court say?")
    assert any("overturned decision dnr 388-2015" in note and "mål 383-16" in note for note in fk_court["notes"])
    assert DI_ARTICLE in fk_court["resolved"]["doc_ids"] and set(cited(fk_court)) <= set(fk_court["resolved"]["doc_ids"])

    law = ask("Which law applies now?")
    assert [(s["sfs"], s["current"]) for s in law["resolved"]["statutes"]] == [("SFS 2013:460", "SFS 2018:1200")]
    assert "Kameraövervakningslag (2013:460) was repealed on 2018-08-01; Kamerabevakningslag (2018:1200) applies now." in law["notes"]
    assert law["resolved"]["doc_ids"] == [DECISION]


def test_an_english_follow_up_to_a_swedish_question_is_answered_in_english(client):
    history = [{"question": "Får ett lagerbolag kamerabevaka personalen vid packborden?", "doc_ids": [DECISION]}]
    answer = client.post("/ask", json={"question": "and what did the court say?", "history": history}).json()
    assert answer["resolved"]["doc_ids"] == [RULING] and "packborden" in answer["resolved"]["question"]
    assert answer["language"] == "en" and cited(answer) == [RULING]


def test_conversation_problems_are_named(client):
    unknown = client.post("/ask", json={"question": "Och vad sa domstolen?", "conversation_id": "expired-or-never-was"})
    assert unknown.status_code == 200
    body = unknown.json()
    assert body["resolved"]["follow_up"] is False and body["conversation_id"] != "expired-or-never-was"
    assert "not known here" in body["resolved"]["notes"][0] and "history" in body["resolved"]["notes"][0]
    for history, field in (
        ([{"question": "", "doc_ids": []}], "history.0.question"),
        ([{"question": "kamera", "doc_ids": [], "filters": {}}], "history.0.filters"),
        ([{"question": "kamera", "doc_ids": "test-dom"}], "history.0.doc_ids"),
    ):
        response = client.post("/ask", json={"question": "Och domstolen?", "history": history})
        assert response.status_code == 422 and response.json()["field"] == field, response.text
    # An earlier question with no letter or digit carries no subject: passed over, not refused
    # (JSON Schema's patterns cannot say "a Unicode letter", so the schema does not refuse it either).
    assert client.post("/ask", json={"question": "Och domstolen?", "history": [{"question": "\u200b", "doc_ids": []}]}).status_code == 200
    bad_id = client.post("/ask", json={"question": "Och domstolen?", "conversation_id": "no spaces/slashes"})
    assert bad_id.status_code == 422 and bad_id.json()["field"] == "conversation_id"


# --- real documents: IMY decisions --------------------------------------------------------------


@pytest.fixture(scope="module")
def real_client(tmp_path_factory, embedder, corpus_settings):
    """IMY's decisions on SportAdmin (a 6 000 000 kronor fine) and on Försäkringskassan, and a third.

    SportAdmin's decision is 58,000 characters; it is cut after its operative part and background
    (the first of its sections, verbatim) to keep embedding time within seconds.
    """
    from api.app import create_app
    from ingest.loaders import iter_documents
    from lagrum.index import Index
    from lagrum.app.service import LagrumService

    folder = REALDATA / "imy-decisions"
    files = [folder / name for name in ("record_0002.json", "record_0003.json", "record_0008.json")]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        pytest.skip(f"REALDATA MISSING: {missing}; set LAGRUM_REALDATA to the shared realdata folder (see its SOURCES.md)")
    documents = list(iter_documents(files))
    assert all(hasattr(d, "text") for d in documents), documents
    sportadmin = next(d for d in documents if d.id == "imy-sportadmin-i-skandinavien-ab")
    cut = sportadmin.text.index("Diarienummer: IMY-2025-7801")
    documents = [replace(d, text=d.text[:cut].rstrip()) if d is sportadmin else d for d in documents]
    settings = corpus_settings.with_(data_dir=tmp_path_factory.mktemp("imy-followup"))
    service = LagrumService(Index.open(settings, create=True, embedder=embedder))
    summary = service.add_documents(documents)
    assert summary["failed"] == 0 and summary["ingested"] == 3, summary
    with TestClient(create_app(settings, service=service), raise_server_exceptions=False) as c:
        yield c
    service.close()


def test_real_imy_conversation_finds_the_fine_of_the_decision_asked_about(real_client):
    history: list[dict] = []

    def ask(question: str) -> dict:
        data = real_client.post("/ask", json={"question": question, "history": history}).json()
        history.append({"question": question, "doc_ids": cited(data)})
        return data

    first = ask("Vad beslutade IMY om SportAdmins bristande säkerhet?")
    assert cited(first)[0] == "imy-sportadmin-i-skandinavien-ab"
    fine = ask("Hur stor blev sanktionsavgiften?")
    assert fine["resolved"]["follow_up"] and fine["resolved"]["doc_ids"][0] == "imy-sportadmin-i-skandinavien-ab"
    assert any("6 000 000 kronor" in c["quote"] for c in fine["citations"]), fine["citations"]

    other = ask("Vad granskade IMY hos Försäkringskassan?")
    assert other["resolved"]["follow_up"] is False and cited(other)[0] == "imy-forsakringskassan"
    outcome = ask("Och vad kom myndigheten fram till?")
    assert outcome["resolved"]["doc_ids"][0] == "imy-forsakringskassan"
    assert "imy-sportadmin-i-skandinavien-ab" not in cited(outcome)
    # The fine question now concerns Försäkringskassan: SportAdmin's fine must not answer it.
    no_fine = ask("Hur stor blev avgiften?")
    assert no_fine["resolved"]["doc_ids"][0] == "imy-forsakringskassan"
    assert not any("6 000 000" in c["quote"] for c in no_fine["citations"])

    english: list[dict] = []
    for question in ("What did IMY decide about SportAdmin's security breach?", "and the fine?"):
        data = real_client.post("/ask", json={"question": question, "history": english}).json()
        english.append({"question": question, "doc_ids": cited(data)})
    assert data["resolved"]["follow_up"] and "imy-sportadmin-i-skandinavien-ab" in data["resolved"]["doc_ids"]
    assert any("6 000 000 kronor" in c["quote"] for c in data["citations"])


# --- POST /ask/stream over a real uvicorn ---------------------------------------------------------


def read_events(response) -> list[tuple[str, dict]]:
    events, name, data = [], None, []
    for line in response.iter_lines():
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif not line and name:
            events.append((name, json.loads("\n".join(data))))
            name, data = None, []
    return events


HISTORY = [{"question": "Får ett lagerbolag kamerabevaka personalen vid packborden?", "doc_ids": [DECISION]}]


def test_stream_sends_parts_in_order_and_ends_with_the_ask_json(live_server):
    import httpx

    body = {"question": "Och vad sa domstolen?", "history": HISTORY}
    with httpx.Client(base_url=live_server.url, timeout=60) as http:
        with http.stream("POST", "/ask/stream", json=body) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
            events = read_events(response)
        plain = http.post("/ask", json=body).json()
    names = [n for n, _ in events]
    assert names[0] == "resolved" and names[1] == "lead" and names[-1] == "done", names
    assert names.count("done") == 1 and "error" not in names
    assert events[0][1]["doc_ids"] == [RULING]  # said before the answer is composed
    done = events[-1][1]
    # The final event is /ask's JSON (its own conversation id and timing aside).
    assert {k: v for k, v in done.items() if k not in ("took_ms", "conversation_id")} == {k: v for k, v in plain.items() if k not in ("took_ms", "conversation_id")}
    # The parts put together are the answer; each citation comes before the first part citing it.
    assert "".join(d["text"] for n, d in events if n in ("lead", "part")) == done["answer"]
    assert [d for n, d in events if n == "citation"] == done["citations"]
    assert [d["text"] for n, d in events if n == "note"] == done["notes"]
    seen: set[int] = set()
    for name, data in events:
        if name == "citation":
            seen.add(data["n"])
        elif name == "part":
            for n in (int(m) for m in __import__("re").findall(r"\[(\d+)\]", data["text"])):
                assert n in seen, (n, data["text"])
    assert cited(done) == [RULING]


def test_stream_refuses_bad_input_before_streaming_and_reports_failures_as_events(live_server, corpus_service, monkeypatch):
    import httpx

    with httpx.Client(base_url=live_server.url, timeout=60) as http:
        refused = http.post("/ask/stream", json={"question": "Och domstolen?", "history": [{"question": "", "doc_ids": []}]})
        assert refused.status_code == 422 and refused.headers["content-type"].startswith("application/json")
        assert refused.json()["field"] == "history.0.question"

        def broken(*args, **kwargs):
            raise RuntimeError("the index went away")

        monkeypatch.setattr(corpus_service, "ask", broken)
        with http.stream("POST", "/ask/stream", json={"question": "Och vad sa domstolen?", "history": HISTORY}) as response:
            assert response.status_code == 200
            events = read_events(response)
    assert [n for n, _ in events] == ["resolved", "error"]
    assert events[-1][1]["field"] is None and "RuntimeError" in events[-1][1]["error"] and "POST /ask" in events[-1][1]["error"]
