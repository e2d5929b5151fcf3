from fastapi import APIRouter, Depends

from lagrum import __version__
from lagrum.app.service import LagrumService

from api.deps import get_service, require_read_access
from api.schemas import Health, problems

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, dependencies=[Depends(require_read_access)], responses=problems(400, 401))
def health(service: LagrumService = Depends(get_service)) -> Health:
    """Status of the index: document and chunk counts, embedder, backend, version."""
    stats = service.stats()
    return Health(
        status="ok",
        documents=stats["documents"],
        chunks=stats["chunks"],
        embedder=stats["embedder"],
        backend=stats["backend"],
        version=__version__,
    )
