from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from lagrum.app.service import LagrumService

from api.deps import get_service, require_read_access
from api.schemas import DATE_SCHEMA, problems

router = APIRouter(tags=["legal structure"])


@router.get(
    "/provisions/{canonical:path}",
    dependencies=[Depends(require_read_access)],
    responses=problems(400, 401, 404, 422, _404="not a provision Lagrum recognises (or lookups are not in this build)"),
)
def provision(
    canonical: str,
    as_of: Annotated[str | None, Query(description="ISO date: the section's wording in force that day (`text_as_of`), and only documents dated up to it", json_schema_extra=DATE_SCHEMA)] = None,
    service: LagrumService = Depends(get_service),
) -> dict:
    """A provision (e.g. `SFS 2013:460 23 §`) and every indexed passage citing it, newest first;
    `text_as_of` quotes the section as in force on `as_of` (today when absent)."""
    from lagrum.documents import parse_iso_date

    try:
        as_of = parse_iso_date(as_of, "as_of")
    except ValueError as exc:
        raise HTTPException(422, {"error": str(exc), "field": "as_of"}) from None
    try:
        from lagrum.legal.provisions import provision_view
    except ImportError:
        raise HTTPException(404, {"error": "provision lookups are not available in this build"}) from None
    view = provision_view(service, canonical, as_of=as_of)
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
