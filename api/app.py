"""The FastAPI application factory.

>>> app = create_app(Settings.from_env())          # opens the index from LAGRUM_DATA
>>> app = create_app(settings, service=service)    # tests inject an opened service  # doctest: +SKIP

`lagrum serve` runs it with uvicorn; `create_app_from_env` is the factory uvicorn workers use.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from lagrum import __version__
from lagrum.errors import LagrumError
from lagrum.app.service import LagrumService
from lagrum.settings import Settings

from api.deps import as_problem
from api.security import HostCheckMiddleware, SecurityHeadersMiddleware, allowed_hosts, is_loopback, is_wildcard

__all__ = ["create_app", "create_app_from_env", "is_loopback", "is_wildcard"]

log = logging.getLogger("lagrum.api")


def create_app(settings: Settings, service: LagrumService | None = None, host: str = "127.0.0.1") -> FastAPI:
    """Build the app; the index is opened at startup unless a `service` is given.

    :param settings: configuration (keys, CORS origins, data directory, LLM endpoint).
    :param service: an opened service to use (tests); otherwise opened from `settings`.
    :param host: the address the server binds; beyond loopback (a wildcard such as `0.0.0.0`
        or `""` included), reads need a key too. Unless LAGRUM_ALLOWED_HOSTS is set, the Host
        header must name this address or a loopback name (localhost, 127.0.0.1, ::1).
    """
    owns_service = service is None

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if app.state.service is None:
            app.state.service = LagrumService.open(settings, create=True)
            if settings.edge_warm:
                app.state.service.warm_in_background()
        # Before the first request: the relevance bar's vectors would otherwise be embedded under
        # the embedder's lock by the first /ask, stalling every concurrent question.
        await asyncio.to_thread(app.state.service.warm_up)
        syncing = _start_sync(app.state.service, settings)
        try:
            yield
        finally:
            if syncing is not None:
                syncing.stop()
            if owns_service and app.state.service is not None:
                app.state.service.close()
                app.state.service = None

    app = FastAPI(
        title="Lagrum",
        version=__version__,
        description="Search Swedish legal material and get answers built from verifiable, cited passages.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.service = service
    app.state.read_key_required = not is_loopback(host) and not settings.public_read
    from lagrum.followup import ConversationStore

    app.state.conversations = ConversationStore()  # conversations continued by `conversation_id` (POST /ask)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-API-Key"],
            max_age=600,
        )
    app.state.allowed_hosts = allowed_hosts(settings.allowed_hosts, host)
    app.add_middleware(HostCheckMiddleware, hosts=app.state.allowed_hosts)
    app.add_middleware(SecurityHeadersMiddleware, docs_paths=(app.docs_url, app.redoc_url))  # outermost: every answer
    _install_error_handlers(app)

    from api.routes import ask, documents, health, legal, search, web

    for module in (health, search, ask, documents, legal, web):
        app.include_router(module.router)
    _describe_security(app)
    return app


def _start_sync(service: LagrumService, settings: Settings):
    """`lagrum serve --sync-interval`: the configured sources, synced in a background thread."""
    if not settings.sync_interval:
        return None
    from lagrum.app.cli_sync import start_background_sync

    return start_background_sync(service, settings)


def _describe_security(app: FastAPI) -> None:
    """Declare the key schemes in OpenAPI: writes need one; reads need one when this server says so."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        schema.setdefault("components", {})["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer", "description": "a key from LAGRUM_API_KEYS"},
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "a key from LAGRUM_API_KEYS"},
        }
        keyed = [{"bearer": []}, {"apiKey": []}]
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                write = method in ("post", "delete") and path.startswith("/documents")
                operation["security"] = keyed if write or app.state.read_key_required else [{}, *keyed]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi


def create_app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` workers: settings from the environment."""
    import os

    settings = Settings.from_env()
    return create_app(settings, host=os.environ.get("LAGRUM_BIND_HOST", "127.0.0.1"))


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {}
        location = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path")]
        field = ".".join(location) or None
        message = first.get("msg", "invalid request")
        if first.get("type") == "extra_forbidden":
            message = "unknown field; check the spelling (filters: doc_type, source, language, since, until)"
        elif first.get("type") == "json_invalid" or (first.get("type") == "model_attributes_type" and not location):
            # pydantic locates invalid JSON at a character position; the field at fault is the body
            field, message = "body", "the body must be a JSON object"
        elif first.get("type") == "model_attributes_type":
            message = "must be a JSON object"
        elif first.get("type") == "missing" and not location and "body" in first.get("loc", ()):
            field, message = "body", "the body is missing; send a JSON object"
        error = f"{field}: {message}" if field else message
        return JSONResponse(status_code=422, content={"error": error, "field": field, "detail": _jsonable(errors)})

    @app.exception_handler(StarletteHTTPException)  # ours, and the router's own 404/405
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            # FastAPI's answer when a JSON body fails other than by syntax: nested too deeply for
            # the parser (RecursionError) or not UTF-8 at all.
            reason = "nested too deeply" if isinstance(exc.__cause__, RecursionError) else "not readable as JSON"
            return JSONResponse(status_code=422, content={"error": f"body: the JSON body is {reason}; send a JSON object", "field": "body"})
        if isinstance(exc, HTTPException):
            content = as_problem(exc.detail)
        elif exc.status_code == 404:
            content = {"error": f"no such endpoint: {request.method} {request.url.path}; /docs lists the API", "field": None}
        elif exc.status_code == 405:
            content = {"error": f"{request.method} is not allowed on {request.url.path}; /docs lists the methods each endpoint takes", "field": None}
            return JSONResponse(status_code=405, content=content, headers={"Allow": _allowed_methods(request)})
        else:
            content = as_problem(exc.detail)
        return JSONResponse(status_code=exc.status_code, content=content, headers=exc.headers)

    @app.exception_handler(LagrumError)
    async def lagrum_error(request: Request, exc: LagrumError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"error": str(exc), "field": None})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(status_code=500, content={"error": "internal error; the server log has the details", "field": None})


def _allowed_methods(request: Request) -> str:
    """Every method some route takes on this path: Starlette's own Allow names only the first route's."""
    from starlette.routing import Match

    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


def _jsonable(errors: list) -> list:
    out = []
    for error in errors:
        item = {k: v for k, v in error.items() if k in ("loc", "msg", "type")}
        item["loc"] = [str(p) for p in item.get("loc", ())]
        out.append(item)
    return out
