"""Dependencies: the service, settings and access checks — handlers never reach for globals."""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import Depends, HTTPException, Request

from lagrum.app.service import LagrumService
from lagrum.settings import Settings


def get_service(request: Request) -> LagrumService:
    return request.app.state.service


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def _presented_key(request: Request) -> bytes | None:
    """The key from `Authorization: Bearer KEY` or `X-API-Key`, as the bytes the client sent.

    Starlette decodes header values as latin-1, so encoding them back gives the original bytes;
    comparing bytes keeps a non-ASCII byte in a presented key a plain mismatch (401), where
    `hmac.compare_digest` on non-ASCII str raises.
    """
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip().encode("latin-1")
    key = request.headers.get("x-api-key")
    return key.encode("latin-1") if key else None


def _key_is_valid(key: bytes | None, settings: Settings) -> bool:
    return bool(key) and any(hmac.compare_digest(key, k.encode("utf-8")) for k in settings.api_keys)


def require_write_key(request: Request, settings: Settings = Depends(get_settings)) -> None:
    """Writes always need a key from LAGRUM_API_KEYS."""
    if not settings.api_keys:
        raise HTTPException(
            403, {"error": "Authorization: writes are disabled: no API keys are configured; set LAGRUM_API_KEYS on the server and send 'Authorization: Bearer KEY'", "field": "Authorization"}
        )
    key = _presented_key(request)
    if not _key_is_valid(key, settings):
        raise HTTPException(
            401,
            {"error": "Authorization: a valid API key is required for writes: send 'Authorization: Bearer KEY' with a key from LAGRUM_API_KEYS", "field": "Authorization"},
            headers={"WWW-Authenticate": "Bearer"},
        )


def require_read_access(request: Request, settings: Settings = Depends(get_settings)) -> None:
    """Reads need a key when the server listens beyond loopback, unless LAGRUM_PUBLIC_READ=1."""
    if not request.app.state.read_key_required:
        return
    if not _key_is_valid(_presented_key(request), settings):
        raise HTTPException(
            401,
            {
                "error": "Authorization: this server is reachable from the network, so reads need an API key: send 'Authorization: Bearer KEY' (or the operator sets LAGRUM_PUBLIC_READ=1)",
                "field": "Authorization",
            },
            headers={"WWW-Authenticate": "Bearer"},
        )


def check_params(request: Request, allowed: set[str]) -> None:
    """Refuse unknown query parameters: a misspelt filter must not silently widen the search."""
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise HTTPException(422, {"error": f"unknown parameter {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}", "field": unknown[0]})


def as_problem(detail: Any) -> dict[str, Any]:
    """Every error answer is `{"error": ..., "field": ...}` (`field` null when no one field is at fault)."""
    if isinstance(detail, dict) and "error" in detail:
        return {"field": None, **detail}
    return {"error": str(detail), "field": None}
