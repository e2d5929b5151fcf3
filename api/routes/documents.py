import json
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from lagrum.errors import InputError
from lagrum.app.service import LagrumService

from api.deps import check_params, get_service, get_settings, require_read_access, require_write_key
from api.routes.search import DOC_TYPE_QUERY, LANGUAGE_QUERY, SINCE_QUERY, UNTIL_QUERY, build_filters
from api.schemas import Deleted, DocumentInput, IngestResult, Problem, problems

router = APIRouter(tags=["documents"])
LIST_PARAMS = {"offset", "limit", "doc_type", "source", "language", "since", "until"}
FORM_FIELDS = ("id", "title", "date", "doc_type", "source", "url", "language")
# A JSON body nested deeper than this is refused before anything reads it as documents: no
# document needs it, and the recursive steps after parsing (validation, payload encoding) must
# never meet a structure deep enough to exhaust the interpreter's stack.
MAX_BODY_DEPTH = 100
TOO_DEEP = "nested more than {depth} levels deep; send flat metadata (strings, numbers, short lists)"


@router.get("/documents", dependencies=[Depends(require_read_access)], responses=problems(400, 401, 422))
def list_documents(
    request: Request,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    doc_type: Annotated[list[str] | None, DOC_TYPE_QUERY] = None,
    source: Annotated[list[str] | None, Query()] = None,
    language: Annotated[list[str] | None, LANGUAGE_QUERY] = None,
    since: Annotated[str | None, SINCE_QUERY] = None,
    until: Annotated[str | None, UNTIL_QUERY] = None,
    service: LagrumService = Depends(get_service),
) -> dict:
    """Indexed documents (metadata only), newest first, paged and filtered."""
    check_params(request, LIST_PARAMS)
    filters = build_filters(doc_type, source, language, since, until)
    return service.list_documents(filters, offset=offset, limit=limit)


@router.get("/documents/{doc_id:path}", dependencies=[Depends(require_read_access)], responses=problems(400, 401, 404, 422, _404="no document with that id"))
def get_document(doc_id: str, request: Request, service: LagrumService = Depends(get_service)) -> dict:
    """Metadata, canonical text (every citation's `start`/`end` point into it), chunk offsets, warnings.

    `GET /documents/{id}/related` gives the document's relations instead: cites, cited_by,
    overturns, overturned_by, replaces, replaced_by, each with title and date.
    """
    document = service.get_document(doc_id)
    if document is None and doc_id.endswith("/related"):  # an id may itself end in "/related"
        from api.routes.legal import related

        return related(doc_id[: -len("/related")], service)
    if document is None:
        raise HTTPException(404, {"error": f"no document with id {doc_id!r}; GET /documents lists what is indexed", "field": "id"})
    return document


_DOCUMENT_SCHEMA = DocumentInput.model_json_schema()
_REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {"oneOf": [_DOCUMENT_SCHEMA, {"type": "array", "items": _DOCUMENT_SCHEMA, "minItems": 1}]},
            "example": {
                "id": "exempel-beslut-2024-1",
                "title": "Beslut om kamerabevakning (fiktivt exempel)",
                "text": "Fiktivt exempel. Nämnden beslutar att arbetsgivarens kamerabevakning av personalrummet ska upphöra.",
                "doc_type": "beslut",
                "date": "2024-05-01",
                "language": "sv",
            },
        },
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {"type": "string", "format": "binary", "description": "a .txt, .md, .html, .pdf, .docx, .json or .jsonl file"},
                    **{name: {"type": "string"} for name in FORM_FIELDS},
                },
            }
        },
    },
}


@router.post(
    "/documents",
    response_model=IngestResult,
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(require_write_key)],
    responses={
        200: {"description": "nothing new: every document was unchanged and skipped", "model": IngestResult},
        207: {"description": "some documents were ingested, some failed (see `errors`)", "model": IngestResult},
        **problems(400, 401, 403, 413, 415),
        422: {"description": "no usable document, invalid JSON or a body nested too deeply; `errors` names each source and what to fix", "model": Problem},
    },
    openapi_extra={"requestBody": _REQUEST_BODY},
)
async def add_documents(request: Request, service: LagrumService = Depends(get_service), settings=Depends(get_settings)):
    """Add or replace documents: a JSON object, a JSON list, or a multipart file upload (`file`).

    Reading the request is async; parsing, embedding and writing run in a worker thread, so
    searches keep being answered while a large document is indexed.
    """
    content_type = request.headers.get("content-type", "")
    max_bytes = settings.max_file_mb * 1_000_000
    multipart = content_type.startswith("multipart/form-data")
    if multipart:
        items = await _read_uploads(request, settings.max_file_mb, settings)
    elif content_type.startswith("application/json") or not content_type:
        body = await _read_body(request, max_bytes, settings.max_file_mb)
        items = await run_in_threadpool(_read_records, body)
    else:
        raise HTTPException(415, {"error": f"content type {content_type!r} is not accepted; send application/json or multipart/form-data", "field": "content-type"})
    errors = [i for i in items if isinstance(i, InputError)]
    documents = [i for i in items if not isinstance(i, InputError)]
    if errors and not documents:
        first = errors[0]
        return JSONResponse(
            status_code=422,
            content={"error": f"{first.source}: {first.reason}", "field": "file" if multipart else "body", "errors": [{"source": e.source, "error": e.reason} for e in errors]},
        )
    summary = await run_in_threadpool(service.add_documents, items)
    code = 201 if summary["ingested"] else 200
    if summary["failed"]:
        code = 207
    return JSONResponse(status_code=code, content=summary)


async def _read_uploads(request: Request, max_file_mb: int, settings) -> list:
    from ingest.loaders import FORMATS, load_bytes, parse_limits  # writes go through the ingest pipeline

    max_bytes = max_file_mb * 1_000_000
    try:
        form = await request.form()
    except StarletteHTTPException as exc:  # Starlette's 400 for a malformed multipart body
        raise HTTPException(400, {"error": f"body: the multipart body could not be read ({exc.detail}); send the file as the multipart field 'file'", "field": "body"}) from None
    unknown = sorted({k for k, v in form.multi_items() if not hasattr(v, "read") and k not in FORM_FIELDS})
    if unknown:
        raise HTTPException(422, {"error": f"{unknown[0]}: unknown form field; allowed: file, {', '.join(FORM_FIELDS)}", "field": unknown[0]})
    uploads = [v for k, v in form.multi_items() if hasattr(v, "read")]
    if not uploads:
        raise HTTPException(422, {"error": "file: no file in the upload; send it as the multipart field 'file'", "field": "file"})
    meta = {k: v for k, v in form.multi_items() if k in FORM_FIELDS and isinstance(v, str) and v}
    files = []
    for upload in uploads:
        name = upload.filename or "upload"
        suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if suffix not in FORMATS:
            raise HTTPException(415, {"error": f"file: unsupported format {suffix or '(no extension)'!r} for {name!r}; use one of {', '.join(FORMATS)}", "field": "file"})
        data = await upload.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise HTTPException(413, {"error": f"file: {name!r} is over the limit of {max_file_mb} MB (LAGRUM_MAX_FILE_MB)", "field": "file"})
        files.append((name, data))
    if len(files) > 1:
        meta.pop("id", None)  # one id cannot name several files

    def parse() -> list:
        out = []
        for name, data in files:
            try:
                out += load_bytes(name, data, meta, max_bytes, **parse_limits(settings), isolated=True)
            except RecursionError:
                raise HTTPException(422, {"error": f"file: {name!r} is " + TOO_DEEP.format(depth="a few hundred"), "field": "file"}) from None
            except ValueError as exc:  # a field check the loader raises past its per-record errors
                raise HTTPException(422, {"error": f"file: {name!r}: {exc}", "field": "file"}) from None
        return out

    return await run_in_threadpool(parse)


async def _read_body(request: Request, max_bytes: int, max_file_mb: int) -> bytes:
    """The request body, refused with 413 as soon as it passes LAGRUM_MAX_FILE_MB."""
    too_large = HTTPException(
        413, {"error": f"body: over the limit of {max_file_mb} MB (LAGRUM_MAX_FILE_MB); send fewer documents per request", "field": "body"}
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise too_large
    return bytes(body)


def _read_records(body: bytes) -> list:
    from ingest.loaders import documents_from_records

    try:
        payload = json.loads(body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HTTPException(422, {"error": f"body: invalid JSON ({exc})", "field": "body"}) from None
    except RecursionError:  # the parser's own stack guard, some thousand levels in
        raise HTTPException(422, {"error": "body: the JSON is " + TOO_DEEP.format(depth=MAX_BODY_DEPTH), "field": "body"}) from None
    if too_deep := _too_deep(payload, MAX_BODY_DEPTH):
        where, field = too_deep
        raise HTTPException(422, {"error": f"{where}: " + TOO_DEEP.format(depth=MAX_BODY_DEPTH), "field": field})
    records = payload if isinstance(payload, list) else [payload]
    if not records or payload is None:
        raise HTTPException(422, {"error": "body: send a document object or a non-empty list of them", "field": "body"})
    try:
        return documents_from_records(records, origin="body")
    except RecursionError:
        raise HTTPException(422, {"error": "body: the JSON is " + TOO_DEEP.format(depth=MAX_BODY_DEPTH), "field": "body"}) from None
    except ValueError as exc:  # a field check the loader raises past its per-record errors
        raise HTTPException(422, {"error": f"body: {exc}", "field": "body"}) from None


def _too_deep(payload, limit: int) -> tuple[str, str] | None:
    """(where, field) of the first value nested deeper than `limit`, found without recursion.

    `where` is the path into the body (`body[0].extra`); `field` the document field it lies in,
    or "body" when the body itself is the deep part. The walk keeps depths only; the path is
    traced once something is too deep.
    """
    if not isinstance(payload, (dict, list)):
        return None
    stack = [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return _trace(payload, limit)
        children = value.values() if isinstance(value, dict) else value
        stack.extend((item, depth + 1) for item in children if isinstance(item, (dict, list)))
    return None


def _trace(payload, limit: int) -> tuple[str, str]:
    stack = [(payload, 1, "body", "body")]
    while stack:
        value, depth, where, field = stack.pop()
        if depth > limit:
            return (where if len(where) <= 80 else where[:80] + "…"), field
        if isinstance(value, dict):
            in_record = depth == 1 or (depth == 2 and isinstance(payload, list))
            stack.extend((item, depth + 1, f"{where}.{key}", key if in_record else field) for key, item in value.items() if isinstance(item, (dict, list)))
        else:
            stack.extend((item, depth + 1, f"{where}[{n}]", field) for n, item in enumerate(value) if isinstance(item, (dict, list)))
    return "body", "body"


@router.delete(
    "/documents/{doc_id:path}", response_model=Deleted, dependencies=[Depends(require_write_key)], responses=problems(400, 401, 403, 404, 422, _404="no document with that id")
)
def delete_document(doc_id: str, service: LagrumService = Depends(get_service)) -> Deleted:
    """Remove a document and all its chunks."""
    if not service.delete_document(doc_id):
        raise HTTPException(404, {"error": f"no document with id {doc_id!r}; nothing deleted", "field": "id"})
    return Deleted(doc_id=doc_id, deleted=True)
