from fastapi import APIRouter, Depends, HTTPException

from lagrum.service import LagrumService

from api.deps import get_service, require_read_access
from api.schemas import problems

router = APIRouter(tags=["legal structure"])


@router.get(
    "/provisions/{canonical:path}",
    dependencies=[Depends(require_read_access)],
    responses=problems(400, 401, 404, 422, _404="not a provision Lagrum recognises (or lookups are not in this build)"),
)
def provision(canonical: str, service: LagrumService = Depends(get_service)) -> dict:
    """A provision (e.g. `SFS 2013:460 23 §`) and every indexed passage citing it, newest first."""
    try:
        from lagrum.legal.graph import provision_view
    except ImportError:
        raise HTTPException(404, {"error": "provision lookups are not available in this build"}) from None
    view = provision_view(service, canonical)
    if view is None:
        raise HTTPException(404, {"error": f"{canonical!r} is not a provision Lagrum recognises; write it like 'SFS 2013:460 23 §' or '23 § kameraövervakningslagen'", "field": "canonical"})
    return view


def related(doc_id: str, service: LagrumService) -> dict:
    """cites, cited_by, overturns, overturned_by, replaces, replaced_by — each with title and date."""
    try:
        from lagrum.legal.graph import related_view
    except ImportError:
        raise HTTPException(404, {"error": "relations are not available in this build"}) from None
    view = related_view(service, doc_id)
    if view is None:
        raise HTTPException(404, {"error": f"no document with id {doc_id!r}", "field": "id"})
    return view
