"""Request and response models of the HTTP API, in one place (OpenAPI is generated from them)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from lagrum.answer import MAX_QUESTION_CHARS
from lagrum.text import WORD_CHARACTERS
from lagrum.documents import DOC_TYPE_ALIASES, DOC_TYPES, LANGUAGE_ALIASES, LANGUAGES

# What the server accepts, written as JSON Schema patterns so that OpenAPI (and schemathesis)
# know it; the server still checks with its own code and messages. Patterns use only what
# ECMA-262 and Python share: no inline flags, so case-insensitivity is spelt per letter.


def _any_case(word: str) -> str:
    return "".join(f"[{c}{c.upper()}]" if c.upper() != c else (r"\s+" if c == " " else re.escape(c)) for c in word)


def _comma_list(name: str) -> str:
    """Names separated by commas, spaces around them and empty items allowed; empty means no filter."""
    return rf"^[\s,]*(?:{name}\s*(?:,[\s,]*{name}\s*)*)?$"


_DOC_TYPE = "(?:" + "|".join(_any_case(w) for w in sorted({*DOC_TYPES, *DOC_TYPE_ALIASES}, key=len, reverse=True)) + ")"
_LANGUAGE = "(?:(?:" + "|".join(_any_case(c) for c in LANGUAGES) + ")(?:[-_][^,]*)?|" + "|".join(_any_case(w) for w in LANGUAGE_ALIASES) + ")"
DOC_TYPE_PATTERN = _comma_list(_DOC_TYPE)
ONE_DOC_TYPE_PATTERN = rf"^\s*(?:{_DOC_TYPE}\s*)?$"  # a document has one type (empty: övrigt)
LANGUAGE_PATTERN = _comma_list(_LANGUAGE)
# A query or question needs one letter or digit somewhere (`lagrum.text.query_problem`).
WORDS_PATTERN = f"[{WORD_CHARACTERS}]"
# An ISO date, or empty for no bound (a sibling of pydantic's own anyOf, hence the allOf).
DATE_SCHEMA = {"allOf": [{"anyOf": [{"format": "date"}, {"maxLength": 0}]}]}


def codes_schema(pattern: str) -> dict[str, Any]:
    """For a value given as one string or a list of them: `pattern` binds strings, `items` list items."""
    return {"pattern": pattern, "items": {"type": "string", "pattern": pattern}}


def _json_integer(value: Any) -> Any:
    """JSON's integers, `6.0` included (JSON Schema calls it an integer); never `true` or `"6"`."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a whole number")
    return value


JsonInt = Annotated[int, BeforeValidator(_json_integer)]


class Filters(BaseModel):
    """Narrow retrieval; unknown keys are refused so a typo never silently widens a search."""

    model_config = ConfigDict(extra="forbid")

    doc_type: list[str] | str | None = Field(
        None, description="beslut, dom, lag, förordning, förarbete, vägledning, nyhet, debatt, pressmeddelande, övrigt (or English names, any case, comma-separated)",
        json_schema_extra=codes_schema(DOC_TYPE_PATTERN),
    )
    source: list[str] | str | None = None
    language: list[str] | str | None = Field(None, description="sv or en", json_schema_extra=codes_schema(LANGUAGE_PATTERN))
    since: str | None = Field(None, description="ISO date, inclusive (not after `until`)", json_schema_extra=DATE_SCHEMA)
    until: str | None = Field(None, description="ISO date, inclusive", json_schema_extra=DATE_SCHEMA)
    as_of: str | None = Field(
        None, description="ISO date: answer from the law as in force that day (nothing dated later, no statute wording not yet or no longer in force)",
        json_schema_extra=DATE_SCHEMA,
    )


CONVERSATION_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


class HistoryTurn(BaseModel):
    """One earlier turn of the conversation: its question and the documents its answer cited."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(..., min_length=1, max_length=MAX_QUESTION_CHARS, description="the earlier question, as asked (one with no letter or digit carries nothing and is passed over)")
    doc_ids: list[Annotated[str, Field(max_length=300)]] = Field(default_factory=list, max_length=50, description="ids of the documents the earlier answer cited (`citations[].doc_id`)")


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(
        ..., min_length=1, max_length=MAX_QUESTION_CHARS, examples=["Får arbetsgivaren kräva webbkamera?"],
        description="at least one letter or digit", json_schema_extra={"pattern": WORDS_PATTERN},
    )
    limit: JsonInt = Field(4, ge=1, le=10, strict=True, description="at most this many cited sentences")
    filters: Filters | None = None
    history: list[HistoryTurn] | None = Field(
        None, max_length=50,
        description="the conversation so far, oldest first: a follow-up ('Och vad sa domstolen?', 'what about after 2018?') is resolved against it; "
        "the last 20 turns are read. Takes precedence over `conversation_id`.",
    )
    conversation_id: str | None = Field(
        None, description="continue a conversation the server keeps (the `conversation_id` of an earlier answer; kept 30 minutes in memory). "
        "An unknown or expired id starts a new conversation, and `resolved.notes` says so.",
        pattern=CONVERSATION_ID_PATTERN,
    )


class Citation(BaseModel):
    n: int
    doc_id: str
    chunk_id: str
    title: str
    date: str | None
    doc_type: str
    source: str
    url: str
    quote: str = Field(..., description="verbatim: document text[start:end]")
    start: int
    end: int
    score: float
    provision: str | None = Field(None, description="for a statute or EU act: the provision the quote stands in, e.g. '2 kap. 16 §', 'art. 83.5'")


class ResolvedFilters(BaseModel):
    doc_type: list[str]
    source: list[str]
    language: list[str]
    since: str | None
    until: str | None
    citation: list[str]


class Resolved(BaseModel):
    """How a question was read against the conversation (see `lagrum.followup`)."""

    model_config = ConfigDict(extra="allow")

    follow_up: bool = Field(..., description="false: the question stands on its own and the history was not used")
    question: str = Field(..., description="the text retrieval searched for: the question and the earlier turn's subject")
    doc_ids: list[str] = Field(..., description="the documents the answer was restricted to (empty: not restricted)")
    filters: ResolvedFilters
    subject: list[str] = Field(..., description="the earlier turn's subject words carried into retrieval")
    statutes: list[dict[str, Any]] = Field(..., description="for 'vilken lag gäller nu?': each earlier statute, the one in force now and the chain of replaced_by between them")
    reasons: list[str]
    notes: list[str]


class AskResponse(BaseModel):
    question: str
    answer: str
    found: bool
    coverage: Literal["direct", "related", "none"] = Field(
        "none",
        description="direct: the quotes answer the question; related: the sources discuss the subject but do not answer it (the answer says so first); none: nothing found, no citations",
    )
    citations: list[Citation]
    notes: list[str]
    mode: str
    took_ms: float
    language: str
    conversation_id: str | None = Field(None, description="send it back as `conversation_id` to ask a follow-up")
    resolved: Resolved | None = Field(None, description="present when the request carried a conversation")


class SearchHit(BaseModel):
    model_config = ConfigDict(extra="allow")

    doc_id: str
    chunk_id: str
    score: float
    title: str
    date: str | None
    doc_type: str
    source: str
    text: str
    start: int
    end: int
    snippet: str = Field(..., description="HTML-escaped excerpt with <mark> around query terms")
    warnings: list[dict[str, Any]] = []


class SearchResponse(BaseModel):
    model_config = ConfigDict(extra="allow")

    query: str
    hits: list[SearchHit]
    took_ms: float


class Health(BaseModel):
    status: str
    documents: int
    chunks: int
    embedder: str
    backend: str
    version: str


class DocumentInput(BaseModel):
    """One document as in a JSONL line; extra metadata keys are kept.

    Describes what the loader (`ingest.loaders`) takes: a number where a name is expected is read
    as its text (`"id": 17`, `"source": 2024`), a relation's `target` likewise.
    """

    model_config = ConfigDict(extra="allow")

    id: str | int
    text: str
    title: str | float | None = None
    date: str | None = Field(None, json_schema_extra=DATE_SCHEMA)
    doc_type: str | None = Field(None, json_schema_extra={"pattern": ONE_DOC_TYPE_PATTERN})
    source: str | float | None = None
    url: str | float | None = None
    language: str | None = None
    relations: list[dict[str, Any]] | None = None


class IngestResult(BaseModel):
    ingested: int
    skipped: int
    failed: int
    chunks: int
    seconds: float
    errors: list[dict[str, str]]
    ingested_ids: list[str]


class Deleted(BaseModel):
    doc_id: str
    deleted: bool


class Problem(BaseModel):
    """Every error answer: what was wrong and what to do, and the field (parameter, header) at fault.

    A 422 from request validation adds `detail` (every problem found); a refused write adds
    `errors` (one per source).
    """

    model_config = ConfigDict(extra="allow")

    error: str = Field(..., description="what was wrong and what to do, prefixed with the field at fault")
    field: str | None = Field(..., description="the body field, query parameter or header at fault (`body`, `q`, `Host`, `Authorization`, ...); null when no one field is")


_PROBLEMS = {
    400: "the Host header is not a name in LAGRUM_ALLOWED_HOSTS (`field: \"Host\"`), or a multipart body could not be read (`field: \"body\"`)",
    401: "an API key is needed and none (or a wrong one) was sent: writes always, reads when the server listens beyond loopback without LAGRUM_PUBLIC_READ=1 (`field: \"Authorization\"`)",
    403: "writes are disabled: the server has no LAGRUM_API_KEYS (`field: \"Authorization\"`)",
    404: "nothing with that id or name",
    413: "the body or a file is over LAGRUM_MAX_FILE_MB",
    415: "unsupported file format or content type",
    422: "a parameter or body field is invalid, or the body is not JSON (`field` names it)",
}


def problems(*codes: int, **descriptions: str) -> dict[int, dict[str, Any]]:
    """OpenAPI `responses=` entries with the Problem schema; `descriptions` override, as `_404="..."`."""
    out = {}
    for code in codes:
        out[code] = {"model": Problem, "description": descriptions.get(f"_{code}", _PROBLEMS[code])}
    return out
