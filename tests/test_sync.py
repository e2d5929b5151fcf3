"""`lagrum sync`, offline: an in-process HTTP server on 127.0.0.1 serves recorded rinfo feeds and
documents (read at run time from ../shared/realdata) and made-up feeds that change between syncs,
plus faults; documents go through the real pipeline into a real Edge index with the real e5 model.

Every made-up document below is labelled as such (titles say "made-up test"); the only real
documents synced are two from the rinfo regression feed for SFS 1999:175 (its base and the
amendment 2000:80); the reader tests read more real files without embedding them.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import ROOT, LiveServer

# ../shared/realdata next to the repository; LAGRUM_REALDATA names it for a checkout elsewhere (a worktree).
REALDATA = Path(os.environ.get("LAGRUM_REALDATA") or Path(__file__).resolve().parents[1].parent / "shared" / "realdata")
RINFO = REALDATA / "lagrummet-rinfo"
RIF = RINFO / "testfeeds" / "rattsinformationsforordningen"


def need_realdata(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"REALDATA MISSING: {path} (recorded real data; see ../shared/realdata/SOURCES.md, or set LAGRUM_REALDATA)")


# --- no internet, ever ----------------------------------------------------------------


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Any name other than the loopback address fails: a test that would reach out fails loudly."""
    real = socket.getaddrinfo

    def guarded(host, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost", "::1", None):
            raise OSError(f"test: the internet is off limits (tried {host})")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)


# --- the in-process server ------------------------------------------------------------


class Route:
    """What one path answers: a body with validators, or a scripted sequence of faults."""

    def __init__(self, body: bytes = b"", content_type: str = "application/xml", etag: bool = True, script: list | None = None, delay: float = 0.0):
        self.body = body
        self.content_type = content_type
        self.etag = etag
        self.script = list(script or [])  # "500", "429", "hang", "truncate", "loop:/x" consumed first
        self.delay = delay


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client that gave up on a hanging answer breaks the pipe: expected here


class FeedServer:
    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.log: list[tuple[float, str, int]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                path = urlsplit(self.path).path
                route = server.routes.get(path) or server.routes.get(self.path)
                if route is None:
                    return self._send(404, b"not here", "text/plain")
                if route.delay:
                    time.sleep(route.delay)
                step = route.script.pop(0) if route.script else None
                if step == "500":
                    return self._send(500, b"boom", "text/plain")
                if step == "429":
                    return self._send(429, b"slow down", "text/plain", {"Retry-After": "1"})
                if step == "hang":
                    route.script.insert(0, "hang")  # hangs every time
                    time.sleep(2.0)
                    return self._send(200, route.body, route.content_type)
                if step == "truncate":
                    route.script.insert(0, "truncate")
                    server.log.append((time.monotonic(), path, 200))
                    self.send_response(200)
                    self.send_header("Content-Type", route.content_type)
                    self.send_header("Content-Length", str(len(route.body) + 500))
                    self.end_headers()
                    self.wfile.write(route.body[: len(route.body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                if step and step.startswith("loop:"):
                    route.script.insert(0, step)
                    return self._send(302, b"", "text/plain", {"Location": step[5:]})
                tag = f'"{abs(hash(route.body))}"'
                if route.etag and self.headers.get("If-None-Match") == tag:
                    return self._send(304, b"", route.content_type, {"ETag": tag})
                return self._send(200, route.body, route.content_type, {"ETag": tag} if route.etag else {})

            def _send(self, status, body, content_type, headers=None):
                server.log.append((time.monotonic(), urlsplit(self.path).path, status))
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                if body:
                    self.wfile.write(body)

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def requests_since(self, mark: int) -> list[str]:
        return [path for _, path, _ in self.log[mark:]]


@pytest.fixture()
def server():
    with FeedServer() as s:
        yield s


# --- made-up feeds and documents -------------------------------------------------------


def made_up_xhtml(uri: str, title: str, body: str) -> bytes:
    """A made-up rinfo XHTML document (not a real statute)."""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:rpubl="http://rinfo.lagrummet.se/ns/2008/11/rinfo/publ#" xmlns:dct="http://purl.org/dc/terms/" xml:lang="sv">
<head><base href="{uri}"/><title>{title}</title>
<link rel="dct:publisher" href="http://rinfo.lagrummet.se/org/testmyndigheten"/>
<meta property="rpubl:beslutsdatum" content="2024-05-02"/></head>
<body typeof="rpubl:VagledandeMyndighetsavgorande"><h1 property="dct:title">{title}</h1><p>{body}</p></body></html>""".encode()


def made_up_feed(entries, updated: str, complete: bool = True, tombstones=(), prev: str | None = None, encoding: str = "utf-8") -> bytes:
    """entries: (id, updated, href); tombstones: (ref, when)."""
    parts = [f'<?xml version="1.0" encoding="{encoding}"?>']
    parts.append('<feed xmlns="http://www.w3.org/2005/Atom" xmlns:at="http://purl.org/atompub/tombstones/1.0" xmlns:fh="http://purl.org/syndication/history/1.0">')
    parts.append(f"<id>tag:test.example,2024:made-up-feed</id><title>Made-up test feed (Testmyndigheten)</title><updated>{updated}</updated>")
    if complete:
        parts.append("<fh:complete/>")
    if prev:
        parts.append(f'<link rel="prev-archive" href="{prev}"/>')
    for ref, when in tombstones:
        parts.append(f'<at:deleted-entry ref="{ref}" when="{when}"/>')
    for entry_id, entry_updated, href in entries:
        parts.append(f'<entry><id>{entry_id}</id><updated>{entry_updated}</updated><title>Made-up {entry_id}</title>'
                     f'<content src="{href}" type="application/xhtml+xml"/></entry>')
    parts.append("</feed>")
    return "\n".join(parts).encode(encoding)


def uri(n: str) -> str:
    return f"http://rinfo.lagrummet.se/publ/beslut/testmyndigheten/{n}"


def serve_decision(server: FeedServer, n: str, body: str, script=None, delay: float = 0.0) -> str:
    path = f"/made-up/{n}.xhtml"
    server.routes[path] = Route(made_up_xhtml(uri(n), f"Beslut {n} (made-up test)", body), "application/xhtml+xml", script=script, delay=delay)
    return f"{n}.xhtml"


# --- index and sync helpers ------------------------------------------------------------


@pytest.fixture()
def settings(fresh_settings):
    return fresh_settings.with_(max_file_mb=1)


@pytest.fixture()
def index(settings, embedder):
    from lagrum.index import Index

    opened = Index.open(settings, create=True, embedder=embedder)
    yield opened
    if not getattr(opened, "closed_by_test", False):
        opened.close()


FAST = {"min_interval": 0, "timeout": 0.5, "retries": 2, "backoff": 0.05, "max_retry_after": 5}


def add(settings, name: str, kind: str, url: str, **options) -> None:
    from ingest.sync.sources import Source, add_source

    add_source(settings.data_dir, Source(name, kind, url, {**FAST, **options}), replace=True)


def sync(settings, index, *names, full: bool = False, sink=None):
    from ingest.pipeline import IngestPipeline
    from ingest.sync.engine import IndexSink, sync_sources

    return {s.source: s for s in sync_sources(settings, sink or IndexSink(IngestPipeline(index)), names=names, full=full)}


def indexed(index) -> dict[str, dict]:
    return {r["id"]: r for r in index.store.document_records() if r.get("state") == "complete"}


def text_of(index, doc_id: str) -> str:
    return index.store.get_document(doc_id)["text"]


def assert_no_duplicates(index) -> None:
    records = indexed(index)
    assert index.store.count_documents() == len(records)
    assert index.store.count_chunks() == sum(r["chunk_count"] for r in records.values())
    for doc_id, record in records.items():
        chunks = index.store.chunks_of(doc_id)
        assert sorted(c["index"] for c in chunks) == list(range(record["chunk_count"])), doc_id


# --- the rinfo reader on real documents (no index) --------------------------------------


def test_rinfo_reader_maps_real_sfs_1999_175_documents():
    need_realdata(RIF)
    from ingest.formats import detect
    from ingest.formats.rinfo import read

    base = next(read((RIF / "1999_175_grund.xhtml").read_bytes(), "grund"))
    assert base["id"] == "sfs-1999-175"
    assert base["title"] == "Rättsinformationsförordning (1999:175)"  # Windows-1252 decoded
    assert base["identifiers"][0] == "SFS 1999:175"
    assert (base["issued_date"], base["in_force_date"], base["date"]) == ("1999-03-25", "1999-05-01", "1999-03-25")
    assert base["doc_type"] == "förordning"

    amendment = next(read((RIF / "2000_80_andr.xhtml").read_bytes(), "andr"))
    assert amendment["id"] == "sfs-2000-80"
    assert amendment["relations"] == [{"type": "amends", "target": "SFS 1999:175"}]
    assert "Ändrar: SFS 1999:175" in amendment["text"].splitlines()

    consolidated = next(read((RIF / "1999_175_konsolidering_senaste.xhtml").read_bytes(), "kons"))
    assert consolidated["id"] == "sfs-1999-175-konsolidering-2011-05-02"
    assert consolidated["consolidates"] == "SFS 1999:175"
    lines = consolidated["text"].splitlines()
    assert "Ett offentligt rättsinformationssystem" in lines
    assert any(line.startswith("1 § I syfte att tillförsäkra den offentliga förvaltningen och enskilda") for line in lines)  # one line per paragraph
    assert "Justitiedepartementet" not in consolidated["text"]  # the display preamble is not text

    ruling = next(read((RINFO / "testfeeds" / "dov_exempel_utan_fel" / "13849-kort-uppdaterad.rdf").read_bytes(), "dov"))
    assert ruling["doc_type"] == "dom" and "mål P 7100-12" in ruling["identifiers"]
    assert len(ruling["title"]) <= 200 and "huvudmannaskap" in ruling["text"]

    assert detect(".xhtml", (RIF / "1999_175_konsolidering_senaste.xhtml").read_bytes(), "x").name == "rinfo"
    ferenda = next((REALDATA / "ferenda-lagen-nu").rglob("*.xhtml"), None)
    if ferenda is not None:  # ferenda's XHTML uses the rpubl vocabulary too, but is not rinfo's
        found = detect(".xhtml", ferenda.read_bytes(), str(ferenda))
        assert found is None or found.name != "rinfo"


def test_real_windows_1252_feed_is_parsed_with_relative_links_and_tombstones():
    need_realdata(RIF)
    from ingest.sync.atom import parse_feed

    page = parse_feed((RIF / "index.atom").read_bytes(), "http://127.0.0.1:9/rif/index.atom")
    assert page.complete and len(page.entries) == 20
    base = next(e for e in page.entries if e.id == "http://rinfo.lagrummet.se/publ/sfs/1999:175")
    assert base.title == "1999:175 Rättsinformationsförordning (1999:175)"
    assert base.links[0][0] == "http://127.0.0.1:9/rif/1999_175_grund.xhtml"  # the rinfo document before the PDF
    dov = parse_feed((RINFO / "testfeeds" / "dov_exempel_utan_fel" / "index-uppdaterad.atom").read_bytes(), "http://127.0.0.1:9/dov/index.atom")
    assert [t.ref for t in dov.tombstones] == ["http://rinfo.lagrummet.se/publ/rf/nja/2008/s_1082", "http://rinfo.lagrummet.se/publ/dom/hd/oe4998-06/2008-11-20"]
    assert dov.prev_archive == "https://www.vagledandeavgoranden.dom.se/lagrummet/atom/20130214001.atom"


# --- syncing ----------------------------------------------------------------------------


def trimmed_real_feed(keep: tuple[str, ...]) -> bytes:
    """The real Windows-1252 regression feed, cut at run time to a few entries (embedding time)."""
    data = (RIF / "index.atom").read_bytes()
    head, rest = data.split(b"<entry>", 1)
    entries = re.findall(rb"<entry>.*?</entry>", b"<entry>" + rest, re.S)
    kept = [e for e in entries if any(f"<id>{k}</id>".encode() in e for k in keep)]
    return head + b"\n".join(kept) + b"\n</feed>\n"


def test_first_sync_of_real_rinfo_feed_then_unchanged_resync_costs_one_request(server, settings, index):
    need_realdata(RIF)
    # Two real documents (the consolidated text is read in the reader test: embedding it costs ~15 s).
    keep = ("http://rinfo.lagrummet.se/publ/sfs/1999:175", "http://rinfo.lagrummet.se/publ/sfs/2000:80")
    server.routes["/rif/index.atom"] = Route(trimmed_real_feed(keep), "application/atom+xml")
    for name in ("1999_175_grund.xhtml", "2000_80_andr.xhtml"):
        server.routes[f"/rif/{name}"] = Route((RIF / name).read_bytes(), "application/xhtml+xml")
    add(settings, "rif", "atom", server.url + "/rif/index.atom")

    first = sync(settings, index)["rif"]
    assert (first.failed, first.fetched, first.ingested, first.deleted) == (0, 2, 2, 0), first.errors
    assert first.requests == 3  # the feed and two documents; the entries' PDFs on the internet were not asked for
    docs = indexed(index)
    assert set(docs) == {"sfs-1999-175", "sfs-2000-80"}
    assert docs["sfs-2000-80"]["relations"] == [{"type": "amends", "target": "SFS 1999:175"}]
    from lagrum.legal.graph import record_identifiers

    assert "SFS 1999:175" in record_identifiers(docs["sfs-1999-175"])
    assert docs["sfs-1999-175"]["extra"]["atom_entry"] == "http://rinfo.lagrummet.se/publ/sfs/1999:175"
    assert docs["sfs-1999-175"]["extra"]["in_force_date"] == "1999-05-01"
    chunks_before = index.store.count_chunks()

    mark = len(server.log)
    second = sync(settings, index)["rif"]
    assert server.requests_since(mark) == ["/rif/index.atom"] and second.requests == 1
    assert server.log[-1][2] == 304
    assert (second.fetched, second.ingested, second.failed, second.unchanged) == (0, 0, 0, 2)
    assert second.pipeline == {"ingested": 0, "skipped": 0, "chunks": 0}

    full = sync(settings, index, full=True)["rif"]  # read everything again: the pipeline skips it all
    assert full.fetched == 2 and full.pipeline == {"ingested": 0, "skipped": 2, "chunks": 0}
    assert index.store.count_chunks() == chunks_before
    assert_no_duplicates(index)


def test_modified_entry_replaces_and_retracted_entry_is_deleted(server, settings, index):
    hrefs = {n: serve_decision(server, n, f"Testmyndigheten beslutar i ärende {n} om kameraövervakning (made-up test).") for n in ("a", "b", "c")}
    feed = Route(made_up_feed([(uri(n), "2024-05-01T10:00:00Z", hrefs[n]) for n in "abc"], "2024-05-01T10:00:00Z"), etag=False)
    server.routes["/made-up/index.atom"] = feed
    add(settings, "made-up", "atom", server.url + "/made-up/index.atom")
    first = sync(settings, index)["made-up"]
    assert first.ingested == 3 and first.failed == 0, first.errors

    mark = len(server.log)
    same = sync(settings, index)["made-up"]  # no validators: the feed's <updated> ends the sync
    assert server.requests_since(mark) == ["/made-up/index.atom"] and same.ingested == 0

    serve_decision(server, "a", "Testmyndigheten ändrar beslutet i ärende a: övervakningen ska upphöra (made-up test).")
    feed.body = made_up_feed([(uri("a"), "2024-06-01T10:00:00Z", hrefs["a"]), (uri("b"), "2024-05-01T10:00:00Z", hrefs["b"])], "2024-06-01T10:00:00Z")
    mark = len(server.log)
    changed = sync(settings, index)["made-up"]
    assert (changed.fetched, changed.ingested, changed.deleted, changed.failed) == (1, 1, 1, 0), changed.errors
    assert server.requests_since(mark) == ["/made-up/index.atom", "/made-up/a.xhtml"]  # b was not fetched again
    docs = indexed(index)
    assert set(docs) == {"beslut-testmyndigheten-a", "beslut-testmyndigheten-b"}
    assert "övervakningen ska upphöra" in text_of(index, "beslut-testmyndigheten-a")
    assert index.store.chunks_of("beslut-testmyndigheten-c") == []
    assert_no_duplicates(index)


def test_tombstone_deletes_and_archive_pages_are_read_once(server, settings, index):
    hrefs = {n: serve_decision(server, n, f"Beslut {n}: Testmyndigheten avslutar tillsynen (made-up test).") for n in ("x", "y", "z")}
    server.routes["/made-up/archive-1.atom"] = Route(made_up_feed([(uri("x"), "2024-01-01T00:00:00Z", hrefs["x"]), (uri("y"), "2024-01-02T00:00:00Z", hrefs["y"])], "2024-01-02T00:00:00Z", complete=False))
    # y is listed again on the newer page (a correction): read once, in its newer version.
    head = Route(made_up_feed([(uri("z"), "2024-03-01T00:00:00Z", hrefs["z"]), (uri("y"), "2024-02-01T00:00:00Z", hrefs["y"])], "2024-03-01T00:00:00Z", complete=False, prev="archive-1.atom"))
    server.routes["/made-up/index.atom"] = head
    add(settings, "archived", "atom", server.url + "/made-up/index.atom")
    first = sync(settings, index)["archived"]
    assert first.ingested == 3 and first.failed == 0 and first.requests == 5, first.errors
    assert [p for _, p, _ in server.log].count("/made-up/y.xhtml") == 1

    head.body = made_up_feed([(uri("z"), "2024-03-01T00:00:00Z", hrefs["z"]), (uri("y"), "2024-02-01T00:00:00Z", hrefs["y"])], "2024-04-01T00:00:00Z", complete=False, prev="archive-1.atom", tombstones=[(uri("x"), "2024-04-01T00:00:00Z")])
    mark = len(server.log)
    second = sync(settings, index)["archived"]
    assert server.requests_since(mark) == ["/made-up/index.atom"]  # the archive page is not read again
    assert second.deleted == 1 and second.failed == 0
    assert set(indexed(index)) == {"beslut-testmyndigheten-y", "beslut-testmyndigheten-z"}


DOV = RINFO / "testfeeds" / "dov_exempel_utan_fel"


def made_up_rdf(about: str, title: str) -> bytes:
    """A made-up rpubl RDF record (not a real ruling)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://rinfo.lagrummet.se/ns/2008/11/rinfo/publ#" xmlns:dct="http://purl.org/dc/terms/">
<Rattsfallsreferat rdf:about="{about}"><dct:title xml:lang="sv">{title}</dct:title>
<dct:identifier>NJA 2008 s. 1082</dct:identifier></Rattsfallsreferat></rdf:RDF>""".encode()


def test_real_court_feed_tombstone_deletes_and_a_changed_document_uri_replaces_the_old_one(server, settings, index):
    """Domstolsverket's regression feed in its two states: the ruling 13849 first as the older
    record (`-mod.rdf`, URI .../mod/...), then as the updated one (URI .../mmd/...)."""
    need_realdata(DOV)
    feed = (DOV / "index-uppdaterad.atom").read_bytes()
    # Its archive page is on the internet: point the link at a made-up archive page served here.
    feed = feed.replace(b"https://www.vagledandeavgoranden.dom.se/lagrummet/atom/20130214001.atom", b"archive-made-up.atom")
    # One of its three rulings is enough (each long summary costs seconds of embedding).
    feed = re.sub(rb"<entry>(?:(?!</entry>).)*?13(?:851|899)-kort-uppdaterad.*?</entry>", b"", feed, flags=re.S)
    before_tombstones = re.sub(rb"<at:deleted-entry[^>]*/>", b"", feed)  # state A: nothing withdrawn yet
    server.routes["/dov/index.atom"] = Route(before_tombstones, "application/atom+xml")
    nja = "http://rinfo.lagrummet.se/publ/rf/nja/2008/s_1082"  # the feed's first tombstone names it
    server.routes["/dov/archive-made-up.atom"] = Route(made_up_feed([(nja, "2013-01-10T00:00:00Z", "nja-made-up.rdf")], "2013-01-10T00:00:00Z", complete=False))
    server.routes["/dov/nja-made-up.rdf"] = Route(made_up_rdf(nja, "Made-up test record of NJA 2008 s. 1082"), "application/rdf+xml")
    server.routes["/dov/13849-kort-uppdaterad.rdf"] = Route((DOV / "13849-kort-uppdaterad-mod.rdf").read_bytes(), "application/rdf+xml")
    add(settings, "dov", "atom", server.url + "/dov/index.atom")

    first = sync(settings, index)["dov"]
    assert first.failed == 0 and first.ingested == 2 and first.requests == 4, first.errors
    docs = indexed(index)
    assert "rf-nja-2008-s-1082" in docs and "dom-mod-p-7100-12-2013-01-30" in docs
    assert docs["dom-mod-p-7100-12-2013-01-30"]["doc_type"] == "dom"
    assert docs["dom-mod-p-7100-12-2013-01-30"]["source"] == "Miljööverdomstolen"

    server.routes["/dov/index.atom"] = Route(feed, "application/atom+xml")  # state B: the recorded feed
    server.routes["/dov/13849-kort-uppdaterad.rdf"] = Route((DOV / "13849-kort-uppdaterad.rdf").read_bytes(), "application/rdf+xml")
    mark = len(server.log)
    second = sync(settings, index, full=True)["dov"]  # both states carry the same <updated>: read it all again
    assert second.failed == 0 and second.ingested == 1 and second.deleted == 2, second.errors
    assert "/dov/nja-made-up.rdf" not in server.requests_since(mark)  # withdrawn: not downloaded again
    docs = indexed(index)
    assert "rf-nja-2008-s-1082" not in docs and index.store.chunks_of("rf-nja-2008-s-1082") == []
    assert "dom-mod-p-7100-12-2013-01-30" not in docs and docs["dom-mmd-p-7100-12-2013-01-30"]["source"] == "Mark- och miljööverdomstolen"
    assert_no_duplicates(index)


def test_faults_each_give_one_line_and_the_rest_of_the_feed_syncs(server, settings, index, monkeypatch, capsys):
    made_up_malformed = b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:rpubl="http://rinfo.lagrummet.se/ns/2008/11/rinfo/publ#"><rdf:Description>'
    entries = [
        ("ok1", serve_decision(server, "ok1", "Beslut ok1 om loggning (made-up test).")),
        ("flaky", serve_decision(server, "flaky", "Beslut flaky om personuppgifter (made-up test).", script=["500"])),
        ("slow", serve_decision(server, "slow", "Beslut slow om inspelning (made-up test).", script=["429"])),
        ("hang", serve_decision(server, "hang", "never read", script=["hang"])),
        ("cut", serve_decision(server, "cut", "Beslut cut " + "med en lång motivering " * 20, script=["truncate"])),
        ("loop", serve_decision(server, "loop", "never read", script=["loop:/made-up/loop-b.xhtml"])),
        ("huge", serve_decision(server, "huge", "stor " * 260_000)),
        ("ok2", serve_decision(server, "ok2", "Beslut ok2 om behörighetsstyrning (made-up test).")),
    ]
    server.routes["/made-up/malformed.xhtml"] = Route(made_up_malformed, "application/rdf+xml")
    server.routes["/made-up/loop-b.xhtml"] = Route(script=["loop:/made-up/loop.xhtml"] * 10)
    feed_entries = [(uri(n), f"2024-05-0{i + 1}T00:00:00Z", href) for i, (n, href) in enumerate(entries)]
    feed_entries.insert(4, (uri("malformed"), "2024-05-04T12:00:00Z", "malformed.xhtml"))
    server.routes["/made-up/index.atom"] = Route(made_up_feed(feed_entries, "2024-05-09T00:00:00Z"))
    add(settings, "faulty", "atom", server.url + "/made-up/index.atom")
    server.routes["/broken/index.atom"] = Route(b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><id>x</id>', "application/atom+xml")
    add(settings, "broken-feed", "atom", server.url + "/broken/index.atom")

    started = time.monotonic()
    summaries = sync(settings, index)
    took = time.monotonic() - started
    summary = summaries["faulty"]
    broken = summaries["broken-feed"]  # a broken feed is one line for its source; the others sync
    assert broken.failed == 1 and broken.requests == 1 and "malformed feed XML" in broken.errors[0] and "/broken/index.atom" in broken.errors[0]
    assert set(indexed(index)) == {f"beslut-testmyndigheten-{n}" for n in ("ok1", "flaky", "slow", "ok2")}, summary.errors
    assert summary.ingested == 4 and summary.failed == 5
    errors = {re.search(r"/made-up/([a-z0-9]+)\.xhtml", e).group(1): e for e in summary.errors}
    assert "no answer within 0.5 s" in errors["hang"] and "gave up after 3 attempts" in errors["hang"]
    assert "truncated" in errors["cut"] or "broken connection" in errors["cut"]
    assert "malformed XML" in errors["malformed"]
    assert "redirect loop" in errors["loop"] and "loop-b.xhtml" in errors["loop"]
    assert "over the limit of 1 MB" in errors["huge"] and "LAGRUM_MAX_FILE_MB" in errors["huge"]
    assert all("\n" not in e and e.startswith("faulty: http://127.0.0.1") for e in summary.errors)
    statuses = [(t, s) for t, p, s in server.log if p == "/made-up/slow.xhtml"]
    assert [s for _, s in statuses] == [429, 200] and statuses[1][0] - statuses[0][0] >= 0.95  # Retry-After: 1
    assert [s for _, p, s in server.log if p == "/made-up/flaky.xhtml"] == [500, 200]
    assert took < 20

    # The CLI: one line per failure on stderr, the counts, exit code 1; failures are tried again.
    from lagrum.app.cli import main

    index.close()
    index.closed_by_test = True
    monkeypatch.setenv("LAGRUM_MAX_FILE_MB", "1")
    capsys.readouterr()
    code = main(["--data", str(settings.data_dir), "sync", "faulty"])
    out, err = capsys.readouterr()
    assert code == 1, err
    failed_lines = [line for line in err.splitlines() if line.startswith("failed: faulty: ")]
    assert len(failed_lines) == 5, err
    assert re.search(r"faulty: 1 fetched, 0 ingested, 4 unchanged, 0 deleted, 5 failed, \d+ requests", out), out
    assert "Traceback" not in err


class Crash(BaseException):
    """Stands for the process dying between writing documents and saving the state."""


def test_sync_killed_midway_resumes_without_duplicates_or_losses(server, settings, index):
    from ingest.pipeline import IngestPipeline
    from ingest.sync.engine import IndexSink

    names = ("k1", "k2", "k3")
    hrefs = {n: serve_decision(server, n, f"Beslut {n} om åtkomstloggar hos Testmyndigheten (made-up test).") for n in names}
    server.routes["/made-up/index.atom"] = Route(made_up_feed([(uri(n), f"2024-05-0{i + 1}T00:00:00Z", hrefs[n]) for i, n in enumerate(names)], "2024-05-05T00:00:00Z"))
    add(settings, "resume", "atom", server.url + "/made-up/index.atom")

    class CrashingSink(IndexSink):
        calls = 0

        def ingest(self, items):
            result = super().ingest(items)
            CrashingSink.calls += 1
            if CrashingSink.calls == 2:
                raise Crash()  # k2 is written, its state is not
            return result

    with pytest.raises(Crash):
        sync(settings, index, sink=CrashingSink(IngestPipeline(index)))
    assert set(indexed(index)) == {f"beslut-testmyndigheten-{n}" for n in ("k1", "k2")}
    state = json.loads((settings.data_dir / "sync" / "resume.json").read_text())
    assert set(state["entries"]) == {uri("k1")}

    again = sync(settings, index)["resume"]
    assert again.failed == 0 and again.unchanged == 2 and again.ingested == 1  # k2 fetched again and skipped
    assert again.pipeline == {"ingested": 1, "skipped": 1, "chunks": 1}
    assert set(indexed(index)) == {f"beslut-testmyndigheten-{n}" for n in names}
    assert_no_duplicates(index)


def test_sigkilled_sync_process_resumes(server, settings):
    """A real `lagrum sync` process, killed with SIGKILL once two entries are saved."""
    names = ("s1", "s2", "s3", "s4")
    hrefs = {n: serve_decision(server, n, f"Beslut {n} om gallring av loggar (made-up test).", delay=0.4) for n in names}
    server.routes["/made-up/index.atom"] = Route(made_up_feed([(uri(n), f"2024-05-0{i + 1}T00:00:00Z", hrefs[n]) for i, n in enumerate(names)], "2024-05-05T00:00:00Z"))
    add(settings, "killed", "atom", server.url + "/made-up/index.atom", timeout=10)
    state_path = settings.data_dir / "sync" / "killed.json"
    command = [sys.executable, "-m", "lagrum.app.cli", "--data", str(settings.data_dir), "sync", "--json"]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 180
    while time.time() < deadline:
        if state_path.exists() and len(json.loads(state_path.read_text() or "{}").get("entries", {})) >= 2:
            break
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    saved = len(json.loads(state_path.read_text())["entries"])
    assert 2 <= saved < len(names), "the sync finished before it could be killed; slow the server down"

    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)["sources"][0]
    assert summary["unchanged"] >= saved and summary["failed"] == 0

    from lagrum.index import Index

    reopened = Index.open(settings, create=False)
    try:
        assert set(indexed(reopened)) == {f"beslut-testmyndigheten-{n}" for n in names}
        assert_no_duplicates(reopened)
    finally:
        reopened.close()


def made_up_dokumentstatus(dok_id: str, title: str, text: str, systemdatum: str) -> bytes:
    """A made-up Riksdagen dokumentstatus answer (the real API's shape, invented content)."""
    number = dok_id.split("-", 1)[1].replace("-", ":")
    return json.dumps({"dokumentstatus": {"dokument": {"dok_id": dok_id, "beteckning": number, "titel": title, "text": text, "html": "", "datum": "2024-03-01 00:00:00", "typ": "sfs", "systemdatum": systemdatum}}}, ensure_ascii=False).encode()


def made_up_listing(items, next_page: str | None) -> bytes:
    listing = {"@traffar": str(len(items)), "dokument": [{"dok_id": d, "systemdatum": s, "titel": d} for d, s in items]}
    if next_page:
        listing["@nasta_sida"] = next_page
    return json.dumps({"dokumentlista": listing}).encode()


def test_riksdagen_by_number_and_changed_since_follow_paging(server, settings, index):
    need_realdata(REALDATA / "riksdagen-opendata" / "dokumentlista.json")
    from ingest.sync.riksdagen import parse_listing

    real = (REALDATA / "riksdagen-opendata" / "dokumentlista.json").read_bytes()
    entries, next_url = parse_listing(real, "dokumentlista.json")
    assert len(entries) == 20 and next_url.endswith("&p=2") and entries[0]["dok_id"].startswith("sfs-")

    docs = {
        "sfs-2024-901": ("Lag (2024:901) om made-up testregler", "1 § Denna lag är ett påhittat testexempel (made-up test).", "2024-03-03 10:00:00"),
        "sfs-2024-902": ("Förordning (2024:902) om made-up testregler", "1 § Denna förordning är påhittad (made-up test).", "2024-03-02 10:00:00"),
        "sfs-2024-903": ("Lag (2024:903) om ytterligare made-up regler", "1 § Ännu en påhittad lag (made-up test).", "2024-03-01 10:00:00"),
    }
    for dok_id, (title, text, stamp) in docs.items():
        server.routes[f"/dokumentstatus/{dok_id}.json"] = Route(made_up_dokumentstatus(dok_id, title, text, stamp), "application/json")
    page1 = Route(made_up_listing([("sfs-2024-901", docs["sfs-2024-901"][2]), ("sfs-2024-902", docs["sfs-2024-902"][2])], server.url + "/dokumentlista/page2"), "application/json", etag=False)
    server.routes["/dokumentlista/"] = page1
    server.routes["/dokumentlista/page2"] = Route(made_up_listing([("sfs-2024-903", docs["sfs-2024-903"][2])], None), "application/json", etag=False)
    add(settings, "rd-new", "riksdagen", server.url, since="2024-01-01")
    add(settings, "rd-one", "riksdagen", server.url, sfs=["2024:902"])

    first = sync(settings, index)
    assert first["rd-new"].ingested == 3 and first["rd-new"].failed == 0, first["rd-new"].errors
    assert first["rd-one"].pipeline["skipped"] == 1  # the same statute from the other source: skipped
    record = indexed(index)["sfs-2024-901"]
    from lagrum.legal.graph import record_identifiers

    assert "SFS 2024:901" in record_identifiers(record) and record["doc_type"] == "lag"

    mark = len(server.log)
    second = sync(settings, index)
    assert server.requests_since(mark) == ["/dokumentlista/", "/dokumentstatus/sfs-2024-902.json"]  # one request each
    assert server.log[-1][2] == 304
    assert second["rd-new"].ingested == 0 and second["rd-one"].ingested == 0

    server.routes["/dokumentstatus/sfs-2024-903.json"] = Route(made_up_dokumentstatus("sfs-2024-903", docs["sfs-2024-903"][0], "1 § Lagen har ändrats (made-up test).", "2024-04-01 09:00:00"), "application/json")
    page1.body = made_up_listing([("sfs-2024-903", "2024-04-01 09:00:00"), ("sfs-2024-901", docs["sfs-2024-901"][2])], server.url + "/dokumentlista/page2")
    mark = len(server.log)
    third = sync(settings, index, "rd-new")["rd-new"]
    assert server.requests_since(mark) == ["/dokumentlista/", "/dokumentstatus/sfs-2024-903.json"]
    assert third.ingested == 1 and "har ändrats" in text_of(index, "sfs-2024-903")
    assert_no_duplicates(index)


MADE_UP_PAGE = """<!doctype html><html><head><title>{title}</title></head><body><nav>Meny Start Om oss Kontakt</nav>
<article><h1>{title}</h1><p>{body}</p><p>Testmyndigheten har i dag meddelat ett beslut i ett tillsynsärende som gäller
kameraövervakning på en arbetsplats. Beslutet är ett påhittat exempel för Lagrums tester och beskriver inget verkligt ärende.</p></article>
<footer>Cookies och tillgänglighet</footer></body></html>"""


def test_web_pages_and_rss_sync_and_a_removed_address_is_deleted(server, settings, index):
    server.routes["/nyheter/beslut-1"] = Route(MADE_UP_PAGE.format(title="Beslut om kameraövervakning (made-up test)", body="Testmyndigheten förelägger bolaget att upphöra med övervakningen.").encode(), "text/html; charset=utf-8")
    server.routes["/nyheter/beslut-2"] = Route(MADE_UP_PAGE.format(title="Sanktionsavgift för loggning (made-up test)", body="Testmyndigheten beslutar om en sanktionsavgift för bristande loggning.").encode(), "text/html; charset=utf-8")
    rss = f"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Made-up test news</title>
<item><title>Sanktionsavgift för loggning</title><link>{server.url}/nyheter/beslut-2</link><pubDate>Mon, 06 May 2024 08:00:00 GMT</pubDate></item>
</channel></rss>"""
    server.routes["/nyheter/rss"] = Route(rss.encode(), "application/rss+xml")
    add(settings, "web", "web", server.url + "/nyheter/beslut-1", pages=[server.url + "/nyheter/rss"], doc_type="nyhet", source="Testmyndigheten")
    first = sync(settings, index)["web"]
    assert first.ingested == 2 and first.failed == 0, first.errors
    docs = indexed(index)
    page = docs["127-0-0-1-" + str(urlsplit(server.url).port) + "-nyheter-beslut-1"]
    assert page["doc_type"] == "nyhet" and page["source"] == "Testmyndigheten"
    text = text_of(index, page["id"])
    assert "upphöra med övervakningen" in text and "Cookies" not in text  # main text only

    mark = len(server.log)
    second = sync(settings, index)["web"]
    assert server.requests_since(mark) == ["/nyheter/beslut-1", "/nyheter/rss"] and second.ingested == 0  # 304 each

    add(settings, "web", "web", server.url + "/nyheter/rss", doc_type="nyhet")  # beslut-1 is no longer listed
    third = sync(settings, index)["web"]
    assert third.deleted == 1 and set(indexed(index)) == {"127-0-0-1-" + str(urlsplit(server.url).port) + "-nyheter-beslut-2"}


def test_web_pdf_goes_through_the_pdf_reader():
    """A PDF address is read by the PDF reader (no index needed): the real SFS 1999:175 print."""
    pdf = RINFO / "documents" / "Forfattningar" / "SFS" / "1999" / "SFS-1999_175.pdf"
    need_realdata(pdf)
    from types import SimpleNamespace

    from ingest.sync.http import Response
    from ingest.sync.sources import Source
    from ingest.sync.web import read_page

    run = SimpleNamespace(source=Source("w", "web", "http://127.0.0.1:9/x.pdf", {"doc_type": "förordning"}), max_bytes=5_000_000)
    items = read_page(run, "http://127.0.0.1:9/sfs/1999-175.pdf", Response("http://127.0.0.1:9/sfs/1999-175.pdf", 200, {"content-type": "application/pdf"}, pdf.read_bytes()))
    assert len(items) == 1 and not isinstance(items[0], Exception), items
    assert items[0].id == "127-0-0-1-9-sfs-1999-175" and items[0].doc_type == "förordning"
    assert "rättsinformationssystem" in items[0].text.lower()


def test_sources_cli_add_list_remove(tmp_path, capsys):
    from lagrum.app.cli import main

    data = str(tmp_path / "data")
    assert main(["--data", data, "sources", "add", "sfst", "atom", "http://127.0.0.1:9/index.atom", "--min-interval", "2"]) == 0
    assert main(["--data", data, "sources", "add", "rd", "riksdagen", "http://127.0.0.1:9", "--sfs", "1999:175"]) == 0
    capsys.readouterr()
    assert main(["--data", data, "sources", "add", "sfst", "atom", "http://127.0.0.1:9/other.atom"]) == 2
    assert "exists already" in capsys.readouterr().err
    assert main(["--data", data, "sources", "add", "Bad Name", "atom", "http://127.0.0.1:9/x"]) == 2
    assert "not usable" in capsys.readouterr().err
    assert main(["--data", data, "sources", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["name"], r["kind"], r["options"].get("min_interval"), r["options"].get("sfs")) for r in rows] == [("sfst", "atom", 2.0, None), ("rd", "riksdagen", None, ["1999:175"])]
    assert main(["--data", data, "sources", "remove", "sfst"]) == 0
    assert main(["--data", data, "sources", "remove", "sfst"]) == 2
    assert "no source named 'sfst'; configured: rd" in capsys.readouterr().err


def test_serve_with_sync_interval_syncs_in_the_background(server, settings, index):
    from api.app import create_app
    from lagrum.app.service import LagrumService

    import httpx

    href = serve_decision(server, "bg", "Beslut bg om bakgrundssynk (made-up test).")
    server.routes["/made-up/index.atom"] = Route(made_up_feed([(uri("bg"), "2024-05-01T00:00:00Z", href)], "2024-05-01T00:00:00Z"))
    add(settings, "bg", "atom", server.url + "/made-up/index.atom")
    service = LagrumService(index)
    app = create_app(settings.with_(sync_interval=1), service=service)
    with LiveServer(app) as live:
        deadline = time.time() + 30
        found = None
        while time.time() < deadline:
            answer = httpx.get(f"{live.url}/documents/beslut-testmyndigheten-bg", timeout=5)
            if answer.status_code == 200:
                found = answer.json()
                break
            time.sleep(0.2)
    assert found is not None and "bakgrundssynk" in found["text"]
