"""Generative answers: citation markers checked against the passages, verbatim quotes kept.

No language model can run here, so `FakeChatServer` is a stand-in: a tiny OpenAI-compatible
`POST /v1/chat/completions` on loopback that replies with a fixed text. Everything else is
real: Haystack's `OpenAIChatGenerator` talks HTTP to it, and retrieval runs on the session's
corpus index (e5 + Qdrant Edge).
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lagrum.answer import AnswerComposer
from lagrum.generative import GenerativeAnswerer
from tests.conftest import free_port

QUESTION = "Får arbetsgivaren spela in de anställdas skärmar?"


class FakeChatServer:
    """A stand-in for an OpenAI-compatible chat endpoint (no LLM can run here).

    :param reply: the assistant message content every request gets.
    :param status: HTTP status to answer with; anything but 200 sends an error body.
    """

    def __init__(self, reply: str = "", status: int = 200):
        self.reply = reply
        self.status = status
        self.requests: list[dict] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
                fake.requests.append({"path": self.path, "body": body})
                if fake.status != 200 or self.path != "/v1/chat/completions":
                    self._send(fake.status if fake.status != 200 else 404, {"error": {"message": "fake failure", "type": "server_error"}})
                    return
                self._send(200, {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body.get("model", "fake"),
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": fake.reply}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
                })

            def _send(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        return Handler

    def passages_sent(self) -> int:
        """How many numbered passages the last request showed the model."""
        user = [m for m in self.requests[-1]["body"]["messages"] if m["role"] == "user"][-1]
        content = user["content"] if isinstance(user["content"], str) else " ".join(p.get("text", "") for p in user["content"])
        return len(re.findall(r"^\[(\d+)\] ", content, flags=re.MULTILINE))

    def __enter__(self) -> "FakeChatServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def composer(service, url: str) -> AnswerComposer:
    return AnswerComposer(service, GenerativeAnswerer(url, "fake", timeout=10))


def assert_verbatim(service, citations: list[dict]) -> None:
    for c in citations:
        text = service.get_document(c["doc_id"])["text"]
        assert text[c["start"] : c["end"]] == c["quote"], c


def test_unsupported_marker_is_removed_and_reported(corpus_service):
    reply = "Arbetsgivaren planerar inspelning [1]. Det kräver en rättslig grund [2]. Det är alltid tillåtet [9]."
    with FakeChatServer(reply) as server:
        result = composer(corpus_service, server.url).ask(QUESTION)
        shown = server.passages_sent()
    assert shown >= 2, "the question should retrieve at least two relevant passages"
    assert server.requests[-1]["path"] == "/v1/chat/completions"
    assert server.requests[-1]["body"]["model"] == "fake"
    assert result["mode"] == "generative" and result["found"] is True
    assert "[9]" not in result["answer"]
    assert "[1]" in result["answer"] and "[2]" in result["answer"]
    assert any("[9]" in note for note in result["notes"]), result["notes"]
    # Citations only for the passages the answer used, numbered as they appear.
    assert [c["n"] for c in result["citations"]] == [1, 2]
    assert_verbatim(corpus_service, result["citations"])


def test_citations_follow_the_order_the_answer_uses(corpus_service):
    with FakeChatServer("Först [2], sedan [1], igen [2].") as server:
        result = composer(corpus_service, server.url).ask(QUESTION)
    assert result["found"] is True and result["notes"] == [] or all("[" not in n for n in result["notes"])
    assert [c["n"] for c in result["citations"]] == [1, 2]
    assert re.findall(r"\[(\d+)\]", result["answer"]) == ["1", "2", "1"]
    assert_verbatim(corpus_service, result["citations"])


def test_reply_without_markers_is_not_shown(corpus_service):
    from lagrum.answer import NOT_FOUND

    with FakeChatServer("Ja, det får arbetsgivaren alltid göra.") as server:
        result = composer(corpus_service, server.url).ask(QUESTION)
    assert result["found"] is False and result["citations"] == []
    assert result["answer"] == NOT_FOUND["sv"]
    assert result["notes"]


def test_english_question_gets_the_english_lead_in(corpus_service):
    from lagrum.answer import LEAD_IN

    with FakeChatServer("Mandatory webcams were found unlawful [1].") as server:
        result = composer(corpus_service, server.url).ask("is mandatory webcam use legal")
    assert result["mode"] == "generative" and result["language"] == "en"
    assert LEAD_IN["en"] in result["answer"]
    assert_verbatim(corpus_service, result["citations"])


def test_out_of_domain_question_never_reaches_the_model(corpus_service):
    with FakeChatServer("Frankrike vann [1].") as server:
        result = composer(corpus_service, server.url).ask("Who won the 2018 football world cup?")
    assert result["found"] is False and result["citations"] == []
    assert server.requests == []


@pytest.mark.parametrize("failure", ["http-500", "down"])
def test_failing_model_falls_back_to_extractive_with_a_note(corpus_service, failure):
    if failure == "down":
        url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
        result = composer(corpus_service, url).ask(QUESTION)
    else:
        with FakeChatServer(status=500) as server:
            result = composer(corpus_service, server.url).ask(QUESTION)
        assert server.requests, "the model should have been asked"
    assert result["mode"] == "extractive" and result["found"] is True
    assert any("LAGRUM_LLM_URL" in note for note in result["notes"]), result["notes"]
    assert_verbatim(corpus_service, result["citations"])
