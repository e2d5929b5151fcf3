"""`POST /ask` (an answer as JSON) and `POST /ask/stream` (the same answer as server-sent events).

Both take the conversation so far (`history`, or a `conversation_id` the server keeps) and
resolve follow-up questions against it (`lagrum.followup`). The stream sends `resolved` (for a
follow-up, before retrieval), then `lead`, one `citation` before each `part` that first cites it,
`note`s, and finally `done`, whose data is exactly the JSON `/ask` returns. Bad input is a 422
before the stream starts; a failure while composing is an `error` event `{error, field}`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
from typing import Any, AsyncIterator

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import StreamingResponse

from lagrum.filters import SearchFilters
from lagrum.followup import ConversationStore, FollowUpResolver, Turn
from lagrum.app.service import LagrumService
from lagrum.text import query_problem

from api.deps import get_service, require_read_access
from api.routes.search import build_filters
from api.schemas import AskRequest, AskResponse, problems

router = APIRouter(tags=["answers"])
log = logging.getLogger("lagrum.api")
_MARKER = re.compile(r"\[(\d{1,3})\]")


EVENT_NAMES = ("resolved", "lead", "citation", "part", "note", "done", "error")


class EventStream(StreamingResponse):
    media_type = "text/event-stream"


STREAM_RESPONSES = {
    200: {
        "description": "server-sent events: `resolved` (follow-ups), `lead`, `citation`, `part`, `note`, then `done` with the JSON `POST /ask` returns; "
        "a failure while composing is an `error` event with `{error, field}`",
        "content": {
            "text/event-stream": {
                "schema": {
                    "type": "object",
                    "description": "one event; `data` is one line of JSON",
                    "required": ["event", "data"],
                    "properties": {
                        "event": {"type": "string", "enum": list(EVENT_NAMES)},
                        "data": {"type": "string", "contentMediaType": "application/json"},
                    },
                }
            }
        },
    },
    # Refusals come before the stream, as JSON: named here, or FastAPI would file them under text/event-stream.
    **{
        code: {"description": entry["description"], "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        for code, entry in problems(400, 401, 422).items()
    },
}


def conversations(request: Request) -> ConversationStore:
    store = getattr(request.app.state, "conversations", None)
    if store is None:
        store = request.app.state.conversations = ConversationStore()
    return store


class Prepared:
    """A validated `/ask` request: the question, its filters, and the conversation it continues."""

    def __init__(self, body: AskRequest, store: ConversationStore):
        if problem := query_problem(body.question):
            raise HTTPException(422, {"error": f"question: the question {problem}", "field": "question"})
        f = body.filters
        self.question = body.question
        self.limit = body.limit
        self.filters: SearchFilters | None = build_filters(f.doc_type, f.source, f.language, f.since, f.until, prefix="filters.", as_of=f.as_of) if f else None
        self.store = store
        self.conversation_id = body.conversation_id
        self.history: list[Turn] | None = None
        self.lost: str | None = None
        if body.history is not None:
            # An earlier question with nothing to search for carries no subject: passed over.
            self.history = [Turn(t.question, tuple(t.doc_ids)) for t in body.history if not query_problem(t.question)]
        elif body.conversation_id is not None:
            self.history = store.get(body.conversation_id)
            if self.history is None:
                self.lost = (
                    f"conversation_id {body.conversation_id!r} is not known here (kept 30 minutes, per server process): "
                    "answered without the earlier turns; send `history` to keep a conversation across servers"
                )
                self.conversation_id = None
                self.history = []

    def answer(self, service: LagrumService) -> dict[str, Any]:
        result = service.ask(self.question, limit=self.limit, filters=self.filters, history=self.history)
        if self.lost:
            result.setdefault("resolved", FollowUpResolver(service).resolve(self.question, [], self.filters).as_dict())
            result["resolved"]["notes"].insert(0, self.lost)
        resolved = result.get("resolved") or {}
        kept = _kept_filters(self.filters, self.history, resolved) if resolved.get("follow_up") else self.filters
        cited = tuple(dict.fromkeys(c["doc_id"] for c in result.get("citations", [])))
        turns = [*(self.history or []), Turn(self.question, cited, kept)]
        result["conversation_id"] = self.store.put(self.conversation_id, turns)
        return result


def _kept_filters(given: SearchFilters | None, earlier: list[Turn] | None, resolved: dict[str, Any]) -> SearchFilters | None:
    """The filters a follow-up ran with, without its document restriction (the next turn has its own):
    the given ones, else the earlier turn's (as `lagrum.followup` merges them), with the resolved dates."""
    base = given if given is not None and not given.is_empty() else (earlier[-1].filters if earlier else None)
    f = resolved.get("filters") or {}
    return dataclasses.replace(base or SearchFilters(), since=f.get("since"), until=f.get("until"), doc_ids=(), citations=())


@router.post("/ask", response_model=AskResponse, dependencies=[Depends(require_read_access)], responses=problems(400, 401, 422))
def ask(body: AskRequest, request: Request, service: LagrumService = Depends(get_service)) -> dict:
    """An answer built from cited passages; `quote == document text[start:end]` for every citation.

    With `history` or `conversation_id`, a follow-up question is resolved against the earlier
    turns first, and `resolved` says how (the question searched, the documents, the filters).
    """
    return Prepared(body, conversations(request)).answer(service)


@router.post("/ask/stream", response_class=EventStream, dependencies=[Depends(require_read_access)], responses=STREAM_RESPONSES)
async def ask_stream(body: AskRequest, request: Request, service: LagrumService = Depends(get_service)) -> EventStream:
    """The answer of `POST /ask` as server-sent events, part by part, ending with `done` (the full JSON)."""
    prepared = Prepared(body, conversations(request))  # a 422 here comes before any event
    return EventStream(_events(prepared, service), headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def _events(prepared: Prepared, service: LagrumService) -> AsyncIterator[bytes]:
    try:
        if prepared.history:
            early = await asyncio.to_thread(FollowUpResolver(service).resolve, prepared.question, prepared.history, prepared.filters)
            if early.follow_up:
                yield event("resolved", early.as_dict())
        result = await asyncio.to_thread(prepared.answer, service)
        done = jsonable_encoder(AskResponse.model_validate(result))
        for name, data in answer_events(done):
            yield event(name, data)
        yield event("done", done)
    except Exception as exc:  # the stream has begun: the failure must arrive as an event
        log.exception("POST /ask/stream failed while composing")
        yield event("error", {"error": f"the answer could not be composed ({type(exc).__name__}); the server log has the details; try POST /ask", "field": None})


def answer_events(answer: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The answer cut into events: `lead` (up to the first blank line), then a `citation` before
    the first `part` that cites it, the `part`s, leftover citations, then `note`s.

    Concatenating `lead.text` and every `part.text` gives `answer` exactly.

    >>> [n for n, _ in answer_events({"answer": "Källorna:\\n\\nJa [1]. Nej [2].", "citations": [{"n": 1}, {"n": 2}], "notes": []})]
    ['lead', 'citation', 'part', 'citation', 'part']
    """
    text = answer.get("answer", "")
    lead, sep, rest = text.partition("\n\n")
    events: list[tuple[str, dict[str, Any]]] = [("lead", {"text": lead + sep})]
    by_number = {c["n"]: c for c in answer.get("citations", [])}
    sent: set[int] = set()
    for part in _parts(rest):
        for m in _MARKER.finditer(part):
            n = int(m.group(1))
            if n in by_number and n not in sent:
                sent.add(n)
                events.append(("citation", by_number[n]))
        events.append(("part", {"text": part}))
    for n, citation in by_number.items():
        if n not in sent:
            events.append(("citation", citation))
    events += [("note", {"text": note}) for note in answer.get("notes", [])]
    return events


def _parts(text: str) -> list[str]:
    """`text` cut after each citation marker run and at line breaks, keeping every character."""
    parts = re.findall(r".*?(?:\[\d{1,3}\](?:\s*\[\d{1,3}\])*[.,;:]?\s*|\n+|$)", text, re.S)
    return [p for p in parts if p]


def event(name: str, data: Any) -> bytes:
    """One server-sent event; the data is one line of JSON."""
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n".encode("utf-8")
