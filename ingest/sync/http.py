"""A polite HTTP fetcher: rate limit, timeouts, retries with backoff, redirect and size limits.

>>> fetcher = PoliteFetcher(min_interval=1.0, timeout=30, max_bytes=20_000_000)
>>> response = fetcher.get("https://example.org/feed.atom", etag='"abc"')  # doctest: +SKIP
>>> response.not_modified   # the server answered 304: nothing to do  # doctest: +SKIP
True

Every failure is a `FetchError` whose message is one line naming the address and what
happened ("HTTP 500 after 4 attempts", "no answer within 30 s", "redirect loop: a -> b -> a").
A 429 is retried after the server's `Retry-After`; a 5xx, a timeout or a broken connection after
a backoff that doubles. Bodies are read to the end and checked against `Content-Length`, so a
truncated download is an error, never a half document.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urljoin, urlsplit

import httpx

from lagrum import __version__

USER_AGENT = f"Lagrum/{__version__} (lagrum sync; polite: rate-limited, conditional requests)"


class FetchError(Exception):
    """A request that could not be completed; `str()` is the one-line message."""

    def __init__(self, url: str, reason: str, status: int | None = None):
        self.url = url
        self.reason = reason
        self.status = status
        super().__init__(f"{url}: {reason}")


@dataclass
class Response:
    url: str  # after redirects
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


class PoliteFetcher:
    """One per source: its requests are spaced `min_interval` seconds apart and counted.

    :param min_interval: seconds between two requests (the source's rate limit).
    :param timeout: seconds to connect, and between two reads of the body.
    :param retries: further attempts after a 429, a 5xx, a timeout or a broken connection.
    :param max_redirects: redirects followed per request.
    :param max_bytes: larger bodies are refused (LAGRUM_MAX_FILE_MB).
    :param max_retry_after: a longer Retry-After fails the request instead of waiting.
    :param backoff: the first wait after a 5xx or a broken connection, doubled per attempt.
    """

    def __init__(
        self,
        min_interval: float = 1.0,
        timeout: float = 30.0,
        retries: int = 3,
        max_redirects: int = 5,
        max_bytes: int = 20_000_000,
        max_retry_after: float = 120.0,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ):
        self.min_interval = max(0.0, float(min_interval))
        self.timeout = float(timeout)
        self.retries = max(0, int(retries))
        self.max_redirects = max(0, int(max_redirects))
        self.max_bytes = int(max_bytes)
        self.max_retry_after = float(max_retry_after)
        self.backoff = float(backoff)
        self.sleep = sleep
        self.requests = 0
        self._last = 0.0
        self._client = httpx.Client(
            timeout=httpx.Timeout(self.timeout), follow_redirects=False, headers={"User-Agent": USER_AGENT}, transport=transport
        )

    def close(self) -> None:
        self._client.close()

    def get(self, url: str, etag: str | None = None, last_modified: str | None = None, accept: str | None = None) -> Response:
        """GET `url` (conditionally when validators are given); raises `FetchError`."""
        if urlsplit(url).scheme not in ("http", "https"):
            raise FetchError(url, "not an http:// or https:// address")
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        if accept:
            headers["Accept"] = accept
        attempt = 0
        last_problem = ""
        while True:
            try:
                response = self._follow(url, headers)
            except _Retryable as exc:
                last_problem = exc.reason
                wait = exc.wait if exc.wait is not None else self.backoff * (2**attempt)
                if attempt >= self.retries:
                    raise FetchError(url, f"{last_problem} (gave up after {attempt + 1} attempts)") from None
                if wait > self.max_retry_after:
                    raise FetchError(url, f"{last_problem}; the server asks to wait {wait:.0f} s, more than the {self.max_retry_after:.0f} s allowed; sync again later") from None
                attempt += 1
                self.sleep(wait)
                continue
            return response

    # --- one attempt, with its redirects ---------------------------------------------

    def _follow(self, url: str, headers: dict[str, str]) -> Response:
        seen = [url]
        current = url
        for _ in range(self.max_redirects + 1):
            response = self._once(current, headers)
            if response.status in (301, 302, 303, 307, 308):
                location = response.headers.get("location")
                if not location:
                    raise FetchError(url, f"HTTP {response.status} redirect without a Location header")
                target = urljoin(current, location)
                if target in seen:
                    raise FetchError(url, "redirect loop: " + " -> ".join(seen + [target]))
                seen.append(target)
                current = target
                continue
            return response
        raise FetchError(url, f"more than {self.max_redirects} redirects (" + " -> ".join(seen) + ")")

    def _once(self, url: str, headers: dict[str, str]) -> Response:
        self._wait_turn()
        self.requests += 1
        started = time.monotonic()
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                status = response.status_code
                head = {k.lower(): v for k, v in response.headers.items()}
                if status == 429:
                    raise _Retryable("HTTP 429 Too Many Requests", _retry_after(head.get("retry-after")) or self.backoff)
                if status >= 500:
                    raise _Retryable(f"HTTP {status} {response.reason_phrase}".strip(), _retry_after(head.get("retry-after")))
                if status == 304 or 300 <= status < 400:
                    return Response(str(response.url), status, head)
                if status >= 400:
                    raise FetchError(url, f"HTTP {status} {response.reason_phrase}".strip() + _hint(status), status)
                declared = head.get("content-length")
                if declared and declared.isdigit() and int(declared) > self.max_bytes:
                    raise FetchError(url, f"{int(declared) / 1e6:.1f} MB is over the limit of {self.max_bytes / 1e6:.0f} MB (LAGRUM_MAX_FILE_MB)")
                chunks = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise FetchError(url, f"the body is over the limit of {self.max_bytes / 1e6:.0f} MB (LAGRUM_MAX_FILE_MB); not read further")
                    if time.monotonic() - started > self.timeout * 4:
                        raise _Retryable(f"the body took more than {self.timeout * 4:.0f} s", None)
                    chunks.append(chunk)
                body = b"".join(chunks)
                if declared and declared.isdigit() and "content-encoding" not in head and len(body) != int(declared):
                    raise _Retryable(f"truncated body: {len(body)} of {declared} bytes", None)
                return Response(str(response.url), status, head, body)
        except httpx.TimeoutException:
            raise _Retryable(f"no answer within {self.timeout:g} s (timeout)", None) from None
        except httpx.RemoteProtocolError as exc:
            raise _Retryable(f"truncated body or broken connection ({exc})", None) from None
        except (httpx.ConnectError, httpx.ReadError, httpx.WriteError) as exc:
            raise _Retryable(f"connection failed ({type(exc).__name__}: {exc})", None) from None
        except httpx.HTTPError as exc:
            raise FetchError(url, f"{type(exc).__name__}: {exc}") from None

    def _wait_turn(self) -> None:
        if self.min_interval and self._last:
            wait = self._last + self.min_interval - time.monotonic()
            if wait > 0:
                self.sleep(wait)
        self._last = time.monotonic()


class _Retryable(Exception):
    def __init__(self, reason: str, wait: float | None):
        self.reason = reason
        self.wait = wait
        super().__init__(reason)


def _retry_after(value: str | None) -> float | None:
    """`Retry-After: 5` or an HTTP date -> seconds to wait."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _hint(status: int) -> str:
    if status in (401, 403):
        return "; the server refuses access, check the address"
    if status == 404:
        return "; no such address on the server (moved? check the source's address)"
    if status == 410:
        return "; the server says it is gone"
    return ""
