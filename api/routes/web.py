"""The journalists' search page, the document view and the intranet chat widget (static files)."""

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

STATIC = Path(__file__).resolve().parent.parent / "static"
router = APIRouter(include_in_schema=False)


def _static(name: str, media_type: str | None = None) -> FileResponse:
    path = STATIC / name
    if not path.is_file():
        raise HTTPException(404, {"error": f"{name} is not part of this build"})
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "no-cache"})


@router.get("/")
def index_page() -> FileResponse:
    return _static("index.html", "text/html; charset=utf-8")


@router.get("/d/{doc_id:path}")
def document_page(doc_id: str) -> FileResponse:
    return _static("document.html", "text/html; charset=utf-8")


@router.get("/widget.js")
def widget() -> FileResponse:
    return _static("widget.js", "application/javascript; charset=utf-8")


@router.get("/static/{name}")
def asset(name: str) -> FileResponse:
    if "/" in name or name.startswith("."):
        raise HTTPException(404, {"error": "not found"})
    return _static(name)
