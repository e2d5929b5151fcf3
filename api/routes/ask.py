from fastapi import APIRouter, Depends, HTTPException

from lagrum.service import LagrumService
from lagrum.text import query_problem

from api.deps import get_service, require_read_access
from api.routes.search import build_filters
from api.schemas import AskRequest, AskResponse, problems

router = APIRouter(tags=["answers"])


@router.post("/ask", response_model=AskResponse, dependencies=[Depends(require_read_access)], responses=problems(400, 401, 422))
def ask(body: AskRequest, service: LagrumService = Depends(get_service)) -> dict:
    """An answer built from cited passages; `quote == document text[start:end]` for every citation."""
    if problem := query_problem(body.question):
        raise HTTPException(422, {"error": f"question: the question {problem}", "field": "question"})
    f = body.filters
    filters = build_filters(f.doc_type, f.source, f.language, f.since, f.until, prefix="filters.", as_of=f.as_of) if f else None
    return service.ask(body.question, limit=body.limit, filters=filters)
