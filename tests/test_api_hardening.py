"""The HTTP API under hostile or broken input and its exposure guards (issue 15, defects 4 and 5).

Everything goes through a real uvicorn (`LiveServer`) with raw bytes where it matters: a
non-ASCII byte in a key header, a body nested thousands of levels deep, a broken multipart
body, a Host header naming another site. Writes go to a small index of their own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from api.app import create_app, is_loopback
from lagrum.settings import Settings
from tests.conftest import API_KEY, ROOT, LiveServer, free_port

AUTH = {"Authorization": f"Bearer {API_KEY}"}
NON_ASCII_KEYS = [
    [(b"Authorization", b"Bearer \xff\xfe" + API_KEY.encode())],
    [(b"Authorization", b"Bearer " + API_KEY.encode() + b"\xe9")],
    [(b"Authorization", "Bearer nyckel-åäö".encode("utf-8"))],
    [(b"X-API-Key", b"\x80\x81\x82")],
    [(b"X-API-Key", API_KEY.encode() + b"\xc3\xa5")],
]


def problem(response: httpx.Response, status: int, field: str | None) -> dict:
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert isinstance(body.get("error"), str) and body["error"], body
    assert "field" in body and body["field"] == field, body
    return body


@pytest.fixture(scope="module")
def network_server(corpus_settings, corpus_service):
    """As if bound beyond loopback: reads need a key too (the server itself listens on 127.0.0.1)."""
    with LiveServer(create_app(corpus_settings, service=corpus_service, host="0.0.0.0")) as server:
        yield server


@pytest.fixture(scope="module")
def write_server(tmp_path_factory, corpus_settings, embedder):
    """A small index of its own, with a non-ASCII key configured next to the ASCII one."""
    from lagrum.index import Index
    from lagrum.app.service import LagrumService

    settings = corpus_settings.with_(data_dir=tmp_path_factory.mktemp("hardening-writes"), api_keys=(API_KEY, "nyckel-åäö"))
    service = LagrumService(Index.open(settings, create=True, embedder=embedder))
    with LiveServer(create_app(settings, service=service)) as server:
        yield server, service
    service.close()


# --- 4a: non-ASCII bytes in a key header -------------------------------------------------


@pytest.mark.parametrize("headers", NON_ASCII_KEYS, ids=["bearer-ff-fe", "bearer-trailing-e9", "bearer-utf8-unknown", "x-api-key-80", "x-api-key-utf8"])
def test_non_ascii_key_bytes_are_401_on_reads_that_need_a_key(network_server, headers):
    with httpx.Client(base_url=network_server.url, timeout=60) as http:
        for method, path, kwargs in (
            ("GET", "/health", {}),
            ("GET", "/search", {"params": {"q": "kamera"}}),
            ("GET", "/documents", {}),
            ("POST", "/ask", {"json": {"question": "kamera"}}),
        ):
            response = http.request(method, path, headers=headers, **kwargs)
            body = problem(response, 401, "Authorization")
            assert "API key" in body["error"], body
        assert http.get("/health", headers=AUTH).status_code == 200  # the right key still opens reads


@pytest.mark.parametrize("headers", NON_ASCII_KEYS[:2] + NON_ASCII_KEYS[3:], ids=["bearer-ff-fe", "bearer-trailing-e9", "x-api-key-80", "x-api-key-utf8"])
def test_non_ascii_key_bytes_are_401_on_writes(write_server, headers):
    server, service = write_server
    before = service.stats()["documents"]
    with httpx.Client(base_url=server.url, timeout=60) as http:
        document = {"id": "test-hardening-refused", "text": "Fiktivt testmaterial som aldrig ska skrivas."}
        problem(http.post("/documents", json=document, headers=headers), 401, "Authorization")
        problem(http.delete("/documents/test-hardening-refused", headers=headers), 401, "Authorization")
    assert service.stats()["documents"] == before


def test_a_non_ascii_key_the_server_holds_is_compared_as_utf8_bytes(write_server):
    server, service = write_server
    headers = [(b"Authorization", "Bearer nyckel-åäö".encode("utf-8")), (b"Content-Type", b"application/json")]
    document = {"id": "test-hardening-utf8-key", "text": "Fiktivt testmaterial skrivet med en nyckel som har å, ä och ö."}
    with httpx.Client(base_url=server.url, timeout=120) as http:
        response = http.post("/documents", content=json.dumps(document).encode(), headers=headers)
        assert response.status_code == 201, response.text
        assert http.delete("/documents/test-hardening-utf8-key", headers=[(b"X-API-Key", "nyckel-åäö".encode())]).status_code == 200


def test_raw_socket_request_with_a_latin1_key_gets_a_json_401(network_server):
    """Below any client library: the bytes as sent, and the connection is answered, not reset."""
    import socket

    request = (
        b"GET /health HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer caf\xe9\r\nConnection: close\r\n\r\n" % network_server.port
    )
    with socket.create_connection(("127.0.0.1", network_server.port), timeout=30) as sock:
        sock.sendall(request)
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 401"), raw[:300]
    assert json.loads(body)["field"] == "Authorization"


# --- 4b: deep and huge JSON ----------------------------------------------------------------


def test_deeply_nested_json_document_is_422_naming_the_body(write_server):
    server, service = write_server
    before = service.stats()["documents"]
    deep = b'{"id": "test-hardening-deep", "text": "Fiktivt.", "extra": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=60) as http:
        for body in (deep, b"[" * 200_000, b"{" + b'"a":{' * 50_000 + b"}" * 50_001):
            response = http.post("/documents", content=body, headers={"Content-Type": "application/json"})
            found = problem(response, 422, "body")
            assert found["error"].startswith("body: ") and "nested" in found["error"], found
    assert service.stats()["documents"] == before


def test_nesting_past_the_bound_names_the_document_field(write_server):
    """Deep enough to pass the JSON parser but past the HTTP layer's bound of 100 levels."""
    server, service = write_server
    before = service.stats()["documents"]
    value: object = "botten"
    for _ in range(150):
        value = {"nivå": value}
    documents = [{"id": "test-hardening-ok", "text": "Fiktivt testmaterial."}, {"id": "test-hardening-deep-meta", "text": "Fiktivt.", "diarie": value}]
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=60) as http:
        found = problem(http.post("/documents", json=documents), 422, "diarie")
        assert found["error"].startswith("body[1].diarie.nivå"), found
    assert service.stats()["documents"] == before  # the good document of the same body was not written either


def test_deeply_nested_json_on_ask_is_422_naming_the_body(live_server):
    with httpx.Client(base_url=live_server.url, timeout=60) as http:
        deep = b'{"question": "kamera", "filters": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        body = problem(http.post("/ask", content=deep, headers={"Content-Type": "application/json"}), 422, "body")
        assert "nested too deeply" in body["error"], body
        not_utf8 = problem(http.post("/ask", content=b'{"question": "\xff\xfe"}', headers={"Content-Type": "application/json"}), 422, "body")
        assert not_utf8["error"].startswith("body: "), not_utf8


def test_deeply_nested_json_upload_is_422_naming_the_file(write_server):
    server, service = write_server
    before = service.stats()["documents"]
    deep = b'{"id": "test-hardening-deep-file", "text": "Fiktivt.", "extra": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=60) as http:
        response = http.post("/documents", files={"file": ("test-deep.json", deep)})
        assert response.status_code == 422, response.text[:300]
        assert response.json()["field"] == "file" and "test-deep.json" in response.json()["error"], response.text[:300]
    assert service.stats()["documents"] == before


def test_a_field_of_the_wrong_type_is_422_not_500(write_server):
    """Found by schemathesis: `"source": {}` passed the loader's per-record checks and escaped as a 500."""
    server, service = write_server
    before = service.stats()["documents"]
    document = {"id": "test-hardening-source", "text": "Fiktivt testmaterial om kamerabevakning.", "source": {}}
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=60) as http:
        for body in (document, [document], {**document, "source": ["a", "b"]}):
            found = problem(http.post("/documents", json=body), 422, "body")
            assert "source" in found["error"], found
        upload = http.post("/documents", files={"file": ("test-source.json", json.dumps(document).encode())})
        assert upload.status_code == 422 and upload.json()["field"] == "file", upload.text[:300]
    assert service.stats()["documents"] == before


# --- 4c: malformed bodies get the error shape ------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data; boundary=gräns".encode("latin-1"), b"--gr\xe4ns\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nkamera"),
        ("multipart/form-data", b"--x\r\nno boundary was declared\r\n--x--\r\n"),
        ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--x--\r\n"),
        ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"),
    ],
    ids=["bad-boundary-bytes", "no-boundary", "part-without-name", "truncated"],
)
def test_malformed_multipart_is_400_with_the_error_shape(write_server, content_type, body):
    server, service = write_server
    before = service.stats()["documents"]
    response = httpx.post(f"{server.url}/documents", content=body, headers=[*AUTH.items(), ("Content-Type", content_type)], timeout=60)
    assert response.status_code in (400, 422), response.text[:300]
    found = problem(response, response.status_code, response.json().get("field"))
    assert found["field"] in ("body", "file"), found
    assert service.stats()["documents"] == before


def test_malformed_multipart_without_a_boundary_is_400_naming_the_body(write_server):
    server, _ = write_server
    response = httpx.post(f"{server.url}/documents", content=b"--x\r\n\r\n--x--", headers={**AUTH, "Content-Type": "multipart/form-data"}, timeout=60)
    found = problem(response, 400, "body")
    assert found["error"].startswith("body: the multipart body could not be read"), found


@pytest.mark.parametrize("path", ["/ask", "/documents"])
def test_malformed_json_is_422_with_the_error_shape(write_server, path):
    server, _ = write_server
    for body in (b"{not json", b'{"question": "kamera",}', b"\xff\xfe\x00garbage"):
        response = httpx.post(f"{server.url}{path}", content=body, headers={**AUTH, "Content-Type": "application/json"}, timeout=60)
        found = problem(response, 422, "body")
        assert found["error"].startswith("body: "), found


# --- 4d: every status is declared, with the error schema -----------------------------------------


def test_openapi_declares_every_error_status_per_route_with_the_problem_schema(live_server):
    document = httpx.get(f"{live_server.url}/openapi.json").json()
    expected = {
        ("get", "/health"): {"200", "400", "401"},
        ("get", "/search"): {"200", "400", "401", "422"},
        ("post", "/ask"): {"200", "400", "401", "422"},
        ("post", "/ask/stream"): {"200", "400", "401", "422"},  # 200 is text/event-stream
        ("get", "/documents"): {"200", "400", "401", "422"},
        ("post", "/documents"): {"200", "201", "207", "400", "401", "403", "413", "415", "422"},
        ("get", "/documents/{doc_id}"): {"200", "400", "401", "404", "422"},
        ("delete", "/documents/{doc_id}"): {"200", "400", "401", "403", "404", "422"},
        ("get", "/provisions/{canonical}"): {"200", "400", "401", "404", "422"},
    }
    declared = {(m, p): set(op["responses"]) for p, ops in document["paths"].items() for m, op in ops.items()}
    assert declared == expected
    problem_schema = document["components"]["schemas"]["Problem"]
    assert set(problem_schema["required"]) == {"error", "field"}
    for (method, path), codes in declared.items():
        for code in codes - {"200", "201", "207"}:
            schema = document["paths"][path][method]["responses"][code]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Problem"}, (method, path, code, schema)
    assert "HTTPValidationError" not in document["components"]["schemas"]  # FastAPI's default 422 shape is never sent
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"]["scheme"] == "bearer" and schemes["apiKey"]["name"] == "X-API-Key"
    assert document["paths"]["/documents"]["post"]["security"] == [{"bearer": []}, {"apiKey": []}]
    assert {} in document["paths"]["/search"]["get"]["security"]  # loopback: reads are open


def test_each_status_the_api_answers_is_declared_for_its_route(network_server, write_server, corpus_settings, corpus_service):
    """Provoke every error and check it against the route's declared statuses."""
    server, _ = write_server
    document = httpx.get(f"{server.url}/openapi.json").json()

    def declared(method: str, template: str) -> set[int]:
        return {int(c) for c in document["paths"][template][method.lower()]["responses"]}

    bad_host = {"Host": "rebind.attacker.example"}
    cases = [
        (network_server.url, "GET", "/health", "/health", {}),  # 401
        (server.url, "GET", "/health", "/health", {"headers": bad_host}),  # 400
        (server.url, "GET", "/search", "/search", {"params": {"q": ""}}),  # 422
        (server.url, "GET", "/search", "/search", {"params": {"q": "kamera"}, "headers": bad_host}),
        (network_server.url, "POST", "/ask", "/ask", {"json": {"question": "kamera"}}),
        (server.url, "POST", "/ask", "/ask", {"content": b"{", "headers": {"Content-Type": "application/json"}}),
        (network_server.url, "POST", "/ask/stream", "/ask/stream", {"json": {"question": "kamera"}}),  # 401
        (server.url, "POST", "/ask/stream", "/ask/stream", {"content": b"{", "headers": {"Content-Type": "application/json"}}),  # 422
        (server.url, "GET", "/documents", "/documents", {"params": {"since": "igår"}}),
        (server.url, "GET", "/documents/no-such-doc", "/documents/{doc_id}", {}),
        (network_server.url, "GET", "/documents/no-such-doc", "/documents/{doc_id}", {}),
        (server.url, "DELETE", "/documents/no-such-doc", "/documents/{doc_id}", {"headers": AUTH}),
        (server.url, "DELETE", "/documents/no-such-doc", "/documents/{doc_id}", {}),
        (server.url, "POST", "/documents", "/documents", {}),
        (server.url, "POST", "/documents", "/documents", {"headers": {**AUTH, "Content-Type": "text/plain"}, "content": b"x"}),
        (server.url, "POST", "/documents", "/documents", {"headers": {**AUTH, "Content-Type": "multipart/form-data"}, "content": b"x"}),
        (server.url, "POST", "/documents", "/documents", {"headers": AUTH, "json": {"id": "x"}}),
        (server.url, "GET", "/provisions/nonsense", "/provisions/{canonical}", {}),
    ]
    seen = set()
    for base, method, path, template, kwargs in cases:
        response = httpx.request(method, base + path, timeout=60, **kwargs)
        assert response.status_code in declared(method, template), (method, path, response.status_code, response.text[:200])
        problem(response, response.status_code, response.json()["field"])
        seen.add(response.status_code)
    with LiveServer(create_app(corpus_settings.with_(api_keys=()), service=corpus_service)) as keyless:
        response = httpx.post(f"{keyless.url}/documents", json={"id": "x", "text": "y"}, timeout=60)
        assert response.status_code == 403 and 403 in declared("POST", "/documents")
        problem(response, 403, "Authorization")
        seen.add(403)
    assert {400, 401, 403, 404, 415, 422} <= seen


# --- 5a: the Host header ----------------------------------------------------------------------


def test_host_header_naming_another_site_is_400_everywhere(corpus_settings, corpus_service):
    settings = corpus_settings.with_(allowed_hosts=())  # the default: the bound host and loopback names
    with LiveServer(create_app(settings, service=corpus_service, host="127.0.0.1")) as server:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            for path in ("/health", "/", "/d/telia-vill-spela-in-anstalldas-skarmar", "/widget.js", "/search?q=kamera", "/documents", "/openapi.json", "/docs", "/no-such-page"):
                for host in ("rebind.attacker.example", "rebind.attacker.example:%d" % server.port, "127.0.0.1.nip.example", "localhost.attacker.example", "", "[::2]:80"):
                    body = problem(http.get(path, headers={"Host": host}), 400, "Host")
                    assert "LAGRUM_ALLOWED_HOSTS" in body["error"] or not host, body
            response = http.post("/ask", json={"question": "kamera"}, headers={"Host": "rebind.attacker.example"})
            problem(response, 400, "Host")
            for host in (f"127.0.0.1:{server.port}", f"localhost:{server.port}", "LOCALHOST", f"[::1]:{server.port}", "localhost."):
                assert http.get("/health", headers={"Host": host}).status_code == 200, host


def test_allowed_hosts_come_from_the_environment_and_the_bound_host(corpus_settings, corpus_service):
    from api.security import allowed_hosts, host_matches, normalise_host

    settings = Settings.from_env({"LAGRUM_ALLOWED_HOSTS": "lagrum.intranet.example, *.domstol.example"})
    assert settings.allowed_hosts == ("lagrum.intranet.example", "*.domstol.example")
    assert Settings.from_env({}).allowed_hosts == ()
    assert allowed_hosts((), "192.0.2.7") == ("192.0.2.7", "localhost", "127.0.0.1", "::1")
    assert allowed_hosts((), "0.0.0.0") == allowed_hosts((), "") == allowed_hosts((), "::") == ("localhost", "127.0.0.1", "::1")
    assert allowed_hosts(("Lagrum.Example:8000",), "0.0.0.0") == ("lagrum.example",)
    assert host_matches("sok.domstol.example", ("*.domstol.example",)) and not host_matches("domstol.example", ("*.domstol.example",))
    assert not host_matches("evildomstol.example", ("*.domstol.example",))
    assert normalise_host("[::1]:8000") == "::1" and normalise_host("Example.ORG.:80") == "example.org"

    configured = corpus_settings.with_(allowed_hosts=settings.allowed_hosts)
    with LiveServer(create_app(configured, service=corpus_service)) as server:
        for host, status in (("lagrum.intranet.example", 200), ("sok.domstol.example:443", 200), ("127.0.0.1", 400), ("domstol.example", 400)):
            assert httpx.get(f"{server.url}/health", headers={"Host": host}, timeout=60).status_code == status, host
    # `lagrum serve --host 192.0.2.7` hands the bound address to the app, so it answers to that name
    bound = corpus_settings.with_(allowed_hosts=(), public_read=True)
    with LiveServer(create_app(bound, service=corpus_service, host="192.0.2.7")) as server:
        assert httpx.get(f"{server.url}/health", headers={"Host": "192.0.2.7:8000"}, timeout=60).status_code == 200
        assert httpx.get(f"{server.url}/health", headers={"Host": "192.0.2.8:8000"}, timeout=60).status_code == 400
    with LiveServer(create_app(corpus_settings.with_(allowed_hosts=("*",)), service=corpus_service)) as server:
        assert httpx.get(f"{server.url}/health", headers={"Host": "anything.example"}, timeout=60).status_code == 200


# --- 5b: security headers ------------------------------------------------------------------------


def test_security_headers_on_pages_and_api_answers(live_server):
    with httpx.Client(base_url=live_server.url, timeout=60) as http:
        answers = {
            "page /": http.get("/"),
            "page /d/": http.get("/d/telia-vill-spela-in-anstalldas-skarmar"),
            "widget": http.get("/widget.js"),
            "css": http.get("/static/app.css"),
            "health": http.get("/health"),
            "search": http.get("/search", params={"q": "kamera"}),
            "ask": http.post("/ask", json={"question": "kamera"}),
            "404": http.get("/no-such-endpoint"),
            "422": http.get("/search", params={"q": ""}),
            "host 400": http.get("/health", headers={"Host": "rebind.attacker.example"}),
            "openapi": http.get("/openapi.json"),
            "docs": http.get("/docs"),
        }
    for name, response in answers.items():
        assert response.headers.get("x-content-type-options") == "nosniff", name
        assert response.headers.get("referrer-policy") == "no-referrer", name
        assert response.headers.get("x-frame-options") == "DENY", name
        assert "frame-ancestors 'none'" in response.headers.get("content-security-policy", ""), name
    for name in ("page /", "page /d/"):
        csp = answers[name].headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp, csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, csp
    for name in ("health", "search", "404", "openapi"):
        assert answers[name].headers["content-security-policy"].startswith("default-src 'none'"), name


def test_pages_raise_no_csp_violation_in_a_real_browser(live_server):
    """The search page, an answer, and the document view under their CSP: no blocked script or style."""
    chromium = Path("/usr/bin/chromium")
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra")
    if not chromium.exists():
        pytest.skip(f"BROWSER CHECK SKIPPED: {chromium} is missing (apt-get install chromium)")
    watch = "document.addEventListener('securitypolicyviolation', e => (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI))"
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.add_init_script(watch)
            console = []
            page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
            page.goto(f"{live_server.url}/?q=webbkamera")
            page.wait_for_selector("#hits li.hit .snippet mark", timeout=30_000)
            page.fill("#question", "Får arbetsgivaren kräva webbkamera?")
            page.press("#question", "Enter")
            page.wait_for_selector("#answer .answer-text a.cite-ref", timeout=60_000)
            assert page.evaluate("window.__csp || []") == [], console
            page.locator("#answer .answer-text a.cite-ref").first.click()
            page.wait_for_selector("mark#cited", timeout=30_000)
            assert page.evaluate("window.__csp || []") == [], console
            assert console == []
        finally:
            browser.close()


# --- 5c: an empty or wildcard host is not loopback ------------------------------------------------


def test_wildcard_and_empty_hosts_are_not_loopback():
    for host in ("", " ", "0.0.0.0", "::", "[::]", "*"):
        assert not is_loopback(host), repr(host)
    for host in ("127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST"):
        assert is_loopback(host), host
    for host in ("10.0.0.1", "192.168.1.5", "lagrum.example"):
        assert not is_loopback(host), host


@pytest.mark.parametrize("host", ["", "0.0.0.0", "::", "*"])
def test_an_app_bound_to_a_wildcard_needs_a_key_for_reads(corpus_settings, corpus_service, host):
    with LiveServer(create_app(corpus_settings, service=corpus_service, host=host)) as server:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            problem(http.get("/health"), 401, "Authorization")
            problem(http.get("/search", params={"q": "kamera"}), 401, "Authorization")
            assert http.get("/health", headers=AUTH).status_code == 200
    public = corpus_settings.with_(public_read=True)
    with LiveServer(create_app(public, service=corpus_service, host=host)) as server:
        assert httpx.get(f"{server.url}/health", timeout=60).status_code == 200


def test_lagrum_serve_with_an_empty_host_needs_a_key_for_reads(tmp_path):
    """The real CLI: `--host ""` binds every interface, so reads need a key and the operator is warned."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAGRUM_")}
    env["LAGRUM_API_KEYS"] = API_KEY
    process = subprocess.Popen(
        [sys.executable, "-m", "lagrum.app.cli", "--data", str(tmp_path / "data"), "serve", "--host", "", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            if process.poll() is not None:
                raise AssertionError(f"lagrum serve exited: {process.stderr.read()}")
            try:
                response = httpx.get(f"{url}/health", timeout=2)
                break
            except httpx.HTTPError:
                pass
            if time.time() > deadline:
                raise AssertionError("lagrum serve did not answer within 90 s")
            time.sleep(0.2)
        problem(response, 401, "Authorization")
        assert httpx.get(f"{url}/health", headers=AUTH, timeout=10).status_code == 200
        problem(httpx.get(f"{url}/health", headers={**AUTH, "Host": "rebind.attacker.example"}, timeout=10), 400, "Host")
    finally:
        process.terminate()
        try:
            _, stderr = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            _, stderr = process.communicate()
    assert "LAGRUM_ALLOWED_HOSTS" in stderr, stderr
