"""Exposure guards of the HTTP API: which bound hosts count as loopback, the Host check, security headers.

>>> is_loopback("127.0.0.1"), is_loopback("0.0.0.0"), is_loopback("")
(True, False, False)
>>> allowed_hosts((), bound_host="10.1.2.3")
('10.1.2.3', 'localhost', '127.0.0.1', '::1')

Both middlewares are plain ASGI, so they see every response: the router's 404s, CORS preflights
and the Host check's own refusals carry the security headers too.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Iterable

# Bind addresses that mean "every interface": never loopback, whatever the spelling.
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::", "[::]", "*"})
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")

# The search page and the document view load only their own script and stylesheet
# (/static/app.js, /static/app.css), fetch only this origin, and set no inline style or script.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# JSON, scripts and stylesheets: nothing to run if a browser ever renders one as a page.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# FastAPI's /docs and /redoc pages load Swagger UI / ReDoc from a CDN with an inline script:
# only framing is refused there, so the docs keep working.
DOCS_CSP = "frame-ancestors 'none'"
COMMON_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


def is_wildcard(host: str) -> bool:
    """`""`, `0.0.0.0`, `::` and `*` bind every interface."""
    return host.strip() in WILDCARD_HOSTS


def is_loopback(host: str) -> bool:
    """Only a loopback address (or `localhost`) keeps reads open without a key; a wildcard is not one."""
    host = host.strip()
    if is_wildcard(host):
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def normalise_host(value: str) -> str:
    """`[::1]:8000` -> `::1`, `Example.org.:80` -> `example.org`: the name part of a Host header."""
    value = value.strip().lower()
    if value.startswith("["):  # IPv6 literal, with or without a port
        end = value.find("]")
        return value[1:end] if end > 0 else value
    if value.count(":") == 1:  # name:port (a bare IPv6 address has several colons)
        value = value.split(":", 1)[0]
    return value.rstrip(".")


def allowed_hosts(configured: Iterable[str], bound_host: str) -> tuple[str, ...]:
    """LAGRUM_ALLOWED_HOSTS as given, or else the bound host (unless a wildcard) and the loopback names."""
    configured = tuple(normalise_host(h) if h.strip() != "*" else "*" for h in configured if h.strip())
    if configured:
        return configured
    names = [] if is_wildcard(bound_host) else [normalise_host(bound_host)]
    return tuple(dict.fromkeys([*names, *LOOPBACK_NAMES]))


def host_matches(host: str, patterns: Iterable[str]) -> bool:
    for pattern in patterns:
        if pattern == "*" or host == pattern:
            return True
        if pattern.startswith("*.") and host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
            return True
    return False


def _problem(status: int, error: str, field: str | None) -> tuple[dict, bytes]:
    body = json.dumps({"error": error, "field": field}, ensure_ascii=False).encode("utf-8")
    start = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
    }
    return start, body


class HostCheckMiddleware:
    """Refuse requests whose Host header is not an allowed name (400, `field: "Host"`).

    A page on an attacker's site can point its own DNS name at 127.0.0.1 or an intranet address
    (DNS rebinding); the browser then sends that name as Host, which this check refuses.
    """

    def __init__(self, app, hosts: tuple[str, ...]) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket") or "*" in self.hosts:
            await self.app(scope, receive, send)
            return
        raw = [v for k, v in scope.get("headers", ()) if k == b"host"]
        host = normalise_host(raw[0].decode("latin-1")) if len(raw) == 1 else ""
        if host and host_matches(host, self.hosts):
            await self.app(scope, receive, send)
            return
        if len(raw) > 1:
            error = "Host: the request has several Host headers; send exactly one"
        elif not raw:
            error = "Host: the request has no Host header; send the server's name, e.g. 'Host: localhost'"
        else:
            shown = raw[0].decode("latin-1")[:100]
            error = f"Host: {shown!r} is not a name this server answers to; the operator adds it to LAGRUM_ALLOWED_HOSTS"
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        start, body = _problem(400, error, "Host")
        await send(start)
        await send({"type": "http.response.body", "body": body})


class SecurityHeadersMiddleware:
    """nosniff, no-referrer and no framing on every response; a Content-Security-Policy by kind."""

    def __init__(self, app, docs_paths: Iterable[str] = ()) -> None:
        self.app = app
        self.docs_paths = tuple(p for p in docs_paths if p)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        docs = any(path == p or path.startswith(p + "/") for p in self.docs_paths)

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {k.lower() for k, _ in headers}
                for name, value in COMMON_HEADERS:
                    if name not in present:
                        headers.append((name, value))
                if b"content-security-policy" not in present:
                    content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                    if docs:
                        policy = DOCS_CSP
                    elif content_type.startswith(b"text/html"):
                        policy = PAGE_CSP
                    else:
                        policy = API_CSP
                    headers.append((b"content-security-policy", policy.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
