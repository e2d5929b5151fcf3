import time
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from lagrum.answer import MAX_QUESTION_CHARS
from lagrum.filters import SearchFilters
from lagrum.highlight import snippet_for
from lagrum.retrieval import MODES
from lagrum.app.service import LagrumService
from lagrum.text import query_problem

from api.deps import check_params, get_service, require_read_access
from api.schemas import DATE_SCHEMA, DOC_TYPE_PATTERN, LANGUAGE_PATTERN, WORDS_PATTERN, SearchResponse, problems

router = APIRouter(tags=["search"])
SEARCH_PARAMS = {"q", "limit", "offset", "doc_type", "source", "language", "since", "until", "mode", "per_document", "as_of"}


DOC_TYPE_QUERY = Query(description="document types, repeated or comma-separated", json_schema_extra={"items": {"type": "string", "pattern": DOC_TYPE_PATTERN}})
LANGUAGE_QUERY = Query(description="sv or en, repeated or comma-separated", json_schema_extra={"items": {"type": "string", "pattern": LANGUAGE_PATTERN}})
SINCE_QUERY = Query(description="ISO date, inclusive (not after `until`)", json_schema_extra=DATE_SCHEMA)
UNTIL_QUERY = Query(description="ISO date, inclusive", json_schema_extra=DATE_SCHEMA)
AS_OF_QUERY = Query(description="ISO date: the law as in force that day (nothing dated later, no statute wording not yet or no longer in force)", json_schema_extra=DATE_SCHEMA)


def build_filters(doc_type, source, language, since, until, prefix: str = "", as_of: str | None = None) -> SearchFilters:
    """Validated filters; a bad value is a 422 naming the field (`prefix` + name, e.g. "filters.since")."""
    try:
        return SearchFilters.build(doc_type=doc_type, source=source, language=language, since=since, until=until, as_of=as_of)
    except ValueError as exc:
        field = prefix + str(exc).split(" ", 1)[0]
        raise HTTPException(422, {"error": prefix + str(exc), "field": field}) from None


@router.get("/search", response_model=SearchResponse, dependencies=[Depends(require_read_access)], responses=problems(400, 401, 422))
def search(
    request: Request,
    q: Annotated[
        str, Query(min_length=1, max_length=MAX_QUESTION_CHARS, description="the query, Swedish or English (at least one letter or digit)", json_schema_extra={"pattern": WORDS_PATTERN})
    ],
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: Annotated[int, Query(ge=0, le=1000)] = 0,
    doc_type: Annotated[list[str] | None, DOC_TYPE_QUERY] = None,
    source: Annotated[list[str] | None, Query()] = None,
    language: Annotated[list[str] | None, LANGUAGE_QUERY] = None,
    since: Annotated[str | None, SINCE_QUERY] = None,
    until: Annotated[str | None, UNTIL_QUERY] = None,
    as_of: Annotated[str | None, AS_OF_QUERY] = None,
    mode: Annotated[str, Query(json_schema_extra={"enum": list(MODES)})] = "hybrid",
    per_document: Annotated[int | None, Query(ge=1, le=10, description="at most this many passages from one document (the search page uses 1)")] = None,
    service: LagrumService = Depends(get_service),
) -> dict:
    """Hybrid search: the same hits as `lagrum search --json`, with a highlighted snippet per hit."""
    check_params(request, SEARCH_PARAMS)
    if problem := query_problem(q):
        raise HTTPException(422, {"error": f"q: the query {problem}", "field": "q"})
    if mode not in MODES:
        raise HTTPException(422, {"error": f"mode: {mode!r} is not one of {', '.join(MODES)}", "field": "mode"})
    filters = build_filters(doc_type, source, language, since, until, as_of=as_of)
    started = time.perf_counter()
    result = service.search(q, limit=limit + offset, filters=filters, mode=mode, per_document=per_document)
    result["hits"] = result["hits"][offset:]
    lexical = service.retriever.plan(q).lexical_text
    for hit in result["hits"]:
        hit["snippet"], spans = snippet_for(hit["text"], lexical, service.index.bm25)
        hit["highlights"] = [[hit["start"] + s, hit["start"] + e] for s, e in spans]
    result["took_ms"] = round((time.perf_counter() - started) * 1000, 1)
    result["offset"] = offset
    return result
