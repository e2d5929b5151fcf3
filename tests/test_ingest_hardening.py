"""Ingest against parser bombs and badly encoded files (issue 15): bounded, and every message names its file.

All files here are made up by the tests (labelled test material), built small on disk: the
YAML "billion laughs" is cut to four levels (it is refused before any expansion, so its depth does
not matter to the fix and running it on old code stays harmless), the DOCX bomb packs 50 MB of
padding into about 50 KB, and the slow PDF repeats one long content stream on a few pages.
The API tests go through the real app and a real (small) index with the real e5 model; the
latency test runs the real uvicorn server.
"""

from __future__ import annotations

import io
import json
import logging
import os
import statistics
import struct
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from ingest.loaders import iter_documents, load_bytes
from lagrum.documents import Document
from lagrum.errors import InputError
from lagrum.settings import Settings
from tests.conftest import API_KEY, ROOT, TEST_HOSTS, LiveServer

AUTH = {"Authorization": f"Bearer {API_KEY}"}
ALIASES = "uses YAML aliases (&/*), which Lagrum does not accept; write the values out"
NOT_TEXT = "neither UTF-8 nor a Western single-byte encoding"


def errors_of(items) -> dict[str, str]:
    return {i.source: i.reason for i in items if isinstance(i, InputError)}


def documents_of(items) -> list[Document]:
    return [i for i in items if isinstance(i, Document)]


# --- made-up test material ---------------------------------------------------------------

# "Billion laughs" in four levels of ten (10,000 strings if expanded); the audit's 467-byte file
# had nine levels. Lagrum must refuse it at the first alias, whatever the depth.
LAUGHS = (
    "---\n"
    'title: Skrattbomb (testmaterial)\n'
    'a: &a ["ha", "ha", "ha", "ha", "ha", "ha", "ha", "ha", "ha", "ha"]\n'
    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    "d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "---\n"
    "# Skrattbomb\n\nEtt påhittat beslut om kameror i en skola.\n"
)


def pdf_bytes(pages: int = 1, text: bytes = b"Beslut om kameror (testmaterial)", drawing_ops: int = 0, declared_count: int | None = None, depth: int = 0) -> bytes:
    """A PDF written by hand: `pages` pages sharing one content stream (Helvetica text, then
    `drawing_ops` line-drawing operators that cost the reader time but add no text), optionally
    a page tree `depth` levels deep, and a /Count that may lie."""
    objects = [b"<< /Type /Catalog /Pages 4 0 R >>", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    stream = b"BT /F1 12 Tf 72 720 Td (" + text + b") Tj ET\n" + b"0 0 m 10 10 l S\n" * drawing_ops
    objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    first_page = 5 + depth
    kids = b" ".join(b"%d 0 R" % (first_page + i) for i in range(pages))
    count = pages if declared_count is None else declared_count
    if depth:  # 4 -> 5 -> ... -> 4+depth, which holds the pages
        for level in range(depth):
            objects.append(b"<< /Type /Pages /Kids [%d 0 R] /Count %d%s >>" % (5 + level, count, b" /Parent %d 0 R" % (3 + level) if level else b""))
        objects.append(b"<< /Type /Pages /Kids [" + kids + b"] /Count %d /Parent %d 0 R >>" % (count, 3 + depth))
        parent = 4 + depth
    else:
        objects.append(b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % count)
        parent = 4
    for _ in range(pages):
        objects.append(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 2 0 R >> >> /Contents 3 0 R >>" % parent)
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def docx_bytes(padding: int = 0, paragraphs: list[str] | None = None, extra_members: int = 0) -> bytes:
    """A valid DOCX made with python-docx, then rewritten: `padding` bytes of blanks inside
    document.xml (a zip bomb packs them about 1000:1) and `extra_members` tiny extra files."""
    import docx

    document = docx.Document()
    document.add_heading("Testdom om kameror (testmaterial)", level=1)
    for text in paragraphs or ["Kamerorna i entrén fick sitta kvar enligt den påhittade domen."]:
        document.add_paragraph(text)
    plain = io.BytesIO()
    document.save(plain)
    source = zipfile.ZipFile(io.BytesIO(plain.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "word/document.xml" and padding:
                head, tail = content.split(b"<w:body>", 1)
                with target.open(info.filename, "w", force_zip64=True) as member:
                    member.write(head + b"<w:body>")
                    block = b" " * 1_000_000
                    for _ in range(padding // len(block)):
                        member.write(block)
                    member.write(tail)
            else:
                target.writestr(info.filename, content)
        for n in range(extra_members):
            target.writestr(f"extra/part{n}.xml", b"<x/>")
    return out.getvalue()


# --- YAML front matter and sidecars --------------------------------------------------------


def test_front_matter_with_yaml_aliases_is_refused_naming_the_file(tmp_path):
    laughs = tmp_path / "skrattbomb.md"
    laughs.write_text(LAUGHS, encoding="utf-8")
    items = list(iter_documents([laughs]))
    assert errors_of(items) == {str(laughs): "front matter " + ALIASES}
    assert not documents_of(items)
    # An anchor without any alias is refused too: it exists only to be aliased.
    assert errors_of(load_bytes("ankare.md", b"---\ntitle: &t Ankare\n---\nText om beslut.\n")) == {"ankare.md": "front matter " + ALIASES}


def test_sidecar_with_yaml_aliases_is_refused_naming_the_sidecar(tmp_path):
    (tmp_path / "beslut.txt").write_text("Beslut om kameror (testmaterial)\n\nKamerorna får sitta kvar.", encoding="utf-8")
    sidecar = tmp_path / "beslut.meta.yaml"
    sidecar.write_text("doc_type: beslut\nsource: &s Testmaterial\nnotes: [*s, *s, *s, *s]\n", encoding="utf-8")
    items = list(iter_documents([tmp_path]))
    assert errors_of(items) == {str(sidecar): "sidecar " + ALIASES}


def test_front_matter_and_sidecars_are_bounded_in_depth_and_size(tmp_path):
    # 5,000 nested lists: PyYAML's composer recurses once per level and used to end the batch
    # with a RecursionError traceback.
    deep = load_bytes("djup.md", b"---\nx: " + b"[" * 5000 + b"]" * 5000 + b"\n---\nText om beslut.\n")
    assert "front matter is nested more than 20 levels deep" in errors_of(deep)["djup.md"]
    huge = "---\ntitle: Stor\nsummary: " + "lång text " * 10_000 + "\n---\nText om beslut.\n"
    reason = errors_of(load_bytes("stor.md", huge.encode()))["stor.md"]
    assert reason.startswith("front matter is 100 KB; keep it under 64 KB"), reason
    (tmp_path / "b.txt").write_text("Beslut (testmaterial)\n\nText.", encoding="utf-8")
    (tmp_path / "b.meta.yaml").write_text("doc_type: beslut\nsummary: " + "x" * 70_000 + "\n", encoding="utf-8")
    assert "sidecar is 70 KB; keep it under 64 KB" in errors_of(iter_documents([tmp_path]))[str(tmp_path / "b.meta.yaml")]
    # Ordinary nested metadata still reads.
    ok = load_bytes("ok.md", "---\ntitle: Beslut\nrelations:\n  - type: cites\n    target: sfs-2018-218\n---\nText om beslut.\n".encode())
    assert documents_of(ok)[0].relations == [{"type": "cites", "target": "sfs-2018-218"}]


def test_deeply_nested_json_is_an_input_error_not_a_traceback():
    assert "nested too deeply" in errors_of(load_bytes("djup.json", b"[" * 100_000 + b"]" * 100_000))["djup.json"]
    assert "nested too deeply" in errors_of(load_bytes("djup.jsonl", b"[" * 100_000 + b"]" * 100_000))["djup.jsonl:1"]


# --- DOCX zip bombs ----------------------------------------------------------------------


def test_docx_zip_bomb_is_refused_before_unpacking(tmp_path):
    bomb = tmp_path / "bomb.docx"
    bomb.write_bytes(docx_bytes(padding=50_000_000))
    assert bomb.stat().st_size < 200_000  # 50 MB of document.xml, packed
    started = time.perf_counter()
    items = list(iter_documents([bomb]))
    seconds = time.perf_counter() - started
    reason = errors_of(items)[str(bomb)]
    assert reason.startswith("word/document.xml inside the DOCX unpacks to ") and "over the limit of 100" in reason and "zip bomb" in reason, reason
    assert not documents_of(items)
    assert seconds < 2.0, f"refusing took {seconds:.2f} s: was the XML parsed first?"


def test_docx_that_unpacks_beyond_max_unpacked_mb_is_refused():
    # Varied text packs about 3:1, so only the total bound can stop it.
    paragraphs = [f"Stycke {n}: förvaltningsrätten prövade ärende {n * 7919 % 100_003} om kameror vid skola {n % 97}." for n in range(12_000)]
    data = docx_bytes(paragraphs=paragraphs)
    reason = errors_of(load_bytes("lang.docx", data, max_unpacked_mb=1))["lang.docx"]
    assert reason.startswith("the DOCX unpacks to more than 1 MB (") and "raise LAGRUM_MAX_UNPACKED_MB" in reason, reason
    assert documents_of(load_bytes("lang.docx", data))  # within the default bound it reads


def test_docx_member_that_lies_about_its_size_is_not_unpacked_beyond_it():
    """The bounds trust the sizes a zip declares: zipfile stops at the declared size and the
    checksum fails. (This holds on the old code too; it guards the assumption.)"""
    data = bytearray(docx_bytes(padding=5_000_000))
    central = data.find(b"PK\x01\x02")
    while central != -1:  # find document.xml in the central directory, declare it 1,000 bytes
        name_length = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + name_length] == b"word/document.xml":
            struct.pack_into("<I", data, central + 24, 1000)
            local = struct.unpack_from("<I", data, central + 42)[0]
            struct.pack_into("<I", data, local + 22, 1000)
        central = data.find(b"PK\x01\x02", central + 4)
    reason = errors_of(load_bytes("ljuger.docx", bytes(data)))["ljuger.docx"]
    assert reason.startswith("corrupt or unsupported DOCX: BadZipFile: Bad CRC-32"), reason


def test_docx_with_absurdly_many_members_is_refused():
    reason = errors_of(load_bytes("manga.docx", docx_bytes(extra_members=2_500)))["manga.docx"]
    assert reason.startswith("the DOCX holds 25") and "over the limit of 2000" in reason, reason
    assert documents_of(load_bytes("vanlig.docx", docx_bytes(extra_members=20)))


# --- PDF page count, time, page tree, pypdf's messages ----------------------------------


def test_pdf_over_the_page_limit_is_refused_by_declared_and_by_counted_pages():
    started = time.perf_counter()
    reason = errors_of(load_bytes("tjock.pdf", pdf_bytes(pages=2001)))["tjock.pdf"]
    assert reason == "the PDF has 2001 pages, over the limit of 2000; split it, or raise LAGRUM_MAX_PDF_PAGES"
    assert time.perf_counter() - started < 1.0  # refused on the declared count, before reading pages
    # A /Count that lies is caught when the page tree is walked.
    liar = pdf_bytes(pages=30, declared_count=1)
    assert errors_of(load_bytes("lognare.pdf", liar, max_pdf_pages=20))["lognare.pdf"].startswith("the PDF has 30 pages, over the limit of 20")
    assert documents_of(load_bytes("lognare.pdf", liar))


def test_pdf_reading_stops_after_max_parse_seconds():
    slow = pdf_bytes(pages=8, drawing_ops=20_000)  # about 0.5 s of reading per page
    started = time.perf_counter()
    reason = errors_of(load_bytes("seg.pdf", slow, max_parse_seconds=1))["seg.pdf"]
    seconds = time.perf_counter() - started
    assert reason.startswith("reading the file took more than 1 s (stopped after page ") and "of 8); split it, or raise LAGRUM_MAX_PARSE_SECONDS" in reason, reason
    assert "after page 8 of 8" not in reason  # it stopped before the end
    assert seconds < 6, f"stopped only after {seconds:.1f} s"  # 1 s + the page under way, on a busy machine


def test_isolated_reader_stuck_inside_one_page_is_killed(monkeypatch):
    """`POST /documents` reads in a worker process; one page that takes longer than the bound
    cannot check the clock itself, so the worker is killed (here without the 10 s grace)."""
    import ingest.loaders

    monkeypatch.setattr(ingest.loaders, "_KILL_GRACE_SECONDS", 0)
    one_long_page = pdf_bytes(pages=1, drawing_ops=300_000)  # several seconds of reading
    started = time.perf_counter()
    items = load_bytes("fast.pdf", one_long_page, max_parse_seconds=1, isolated=True)
    seconds = time.perf_counter() - started
    assert errors_of(items) == {"fast.pdf": "reading the file took more than 1 s and was stopped; split it, or raise LAGRUM_MAX_PARSE_SECONDS"}
    assert seconds < 3, f"killed only after {seconds:.1f} s"
    # The next file gets a fresh worker and reads as in this process.
    assert load_bytes("ok.pdf", pdf_bytes(), isolated=True) == load_bytes("ok.pdf", pdf_bytes())


def test_pdf_page_tree_too_deep_says_so():
    reason = errors_of(load_bytes("djup.pdf", pdf_bytes(depth=300)))["djup.pdf"]
    assert reason.startswith("PDF page tree too deep"), reason
    assert documents_of(load_bytes("grund.pdf", pdf_bytes(depth=5)))


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_pdf_reader_messages_name_the_file():
    """What reaches the root logger (and so stderr, as a program runs) names the PDF. pytest's
    own capture hooks into non-propagating loggers too, so a handler of the test's own is used."""
    good = pdf_bytes(pages=2)
    repaired = good.replace(b"startxref\n", b"startxref\n1")  # a wrong xref offset pypdf repairs
    cut_short = good.replace(b"%%EOF", b"")
    root, recorder = logging.getLogger(), _Recorder()
    root.addHandler(recorder)
    try:
        items = load_bytes("lagad.pdf", repaired) + load_bytes("avklippt.pdf", cut_short)
        named = list(recorder.messages)
        from pypdf import PdfReader  # pypdf used outside the loader still logs as it did

        PdfReader(io.BytesIO(repaired))
    finally:
        root.removeHandler(recorder)
    assert documents_of(items)[0].origin == "lagad.pdf"
    reason = errors_of(items)["avklippt.pdf"]
    assert "EOF marker not found" in reason and "cut short" in reason, reason
    assert named, "the repaired PDF was read without a word"
    unnamed = [m for m in named if "lagad.pdf" not in m and "avklippt.pdf" not in m]
    assert not unnamed, f"messages that do not name their file: {unnamed}"
    assert named[0].startswith("lagad.pdf: the PDF is damaged but was read (the PDF reader noted: incorrect startxref"), named
    assert recorder.messages[len(named) :] == ["incorrect startxref pointer(2)", "parsing for Object Streams"]


# --- links and encodings -------------------------------------------------------------------


def test_symlink_loop_is_called_a_loop_and_a_broken_link_stays_broken(tmp_path):
    (tmp_path / "a.txt").symlink_to(tmp_path / "b.txt")
    (tmp_path / "b.txt").symlink_to(tmp_path / "a.txt")
    (tmp_path / "sig.txt").symlink_to(tmp_path / "sig.txt")
    (tmp_path / "borta.txt").symlink_to(tmp_path / "finns-inte.txt")
    errors = errors_of(iter_documents([tmp_path]))
    for name in ("a.txt", "b.txt", "sig.txt"):
        assert errors[str(tmp_path / name)].startswith("symlink loop: the link to "), errors
    assert errors[str(tmp_path / "borta.txt")] == f"broken link to {tmp_path / 'finns-inte.txt'}"
    assert errors_of(iter_documents([tmp_path / "sig.txt"]))[str(tmp_path / "sig.txt")].startswith("symlink loop")


SWEDISH = "Överklagande (testmaterial)\n\nFörvaltningsrätten prövar ärendet om kameraövervakning på skolgården – enligt § 3 ”citat” och €5.\n"


@pytest.mark.parametrize(
    "name, data, guess",
    [
        ("blandad.txt", SWEDISH.encode("utf-8") + SWEDISH.encode("cp1252"), "a mix of UTF-8 and cp1252: UTF-8 at line 1"),
        ("blandad-sent.txt", SWEDISH.encode("cp1252") + "Tillägg: skolgården är öppen.\n".encode("utf-8"), "a mix of UTF-8 and cp1252: UTF-8 at line 4"),
        ("polska.txt", "Łódź, Gdańsk, Kraków: ł ó ź ę\n".encode("utf-8") + SWEDISH.encode("cp1252"), "a mix of UTF-8 and cp1252"),
        ("japanska.txt", ("これは日本語のテキストです。個人情報の保護について説明します。\n" * 3).encode("shift_jis"), "Shift-JIS or another East Asian encoding"),
        ("mest-ascii.txt", ("Personal data notice\n" * 10 + "東京都\n").encode("shift_jis"), "Shift-JIS or another East Asian encoding"),
        ("kinesiska.txt", "这是中文文本。个人资料保护。\n".encode("gbk"), "Shift-JIS or another East Asian encoding"),
    ],
)
def test_text_that_is_neither_utf8_nor_western_is_refused(name, data, guess):
    reason = errors_of(load_bytes(name, data))[name]
    assert reason.startswith(f"{NOT_TEXT} (looks like {guess}") and reason.endswith("); convert it to UTF-8"), reason


@pytest.mark.parametrize(
    "text, codec",
    [
        (SWEDISH, "cp1252"),
        ("ÅÄÖ åäö (testmaterial)\n\nSkolgården är öppen för alla elever.\n", "latin-1"),
        ("BESLUT OM ÅTGÄRD PÅ\xa0SKOLGÅRDEN (testmaterial)\n\nSÅ\xa0ATT ÖVERVAKNINGEN UPPHÖR.\n", "cp1252"),
        ("Päätös (testmaterial)\n\nHämeenlinnan hallinto-oikeus käsittelee pääasiaa; määrä on tärkeä.\n", "cp1252"),
        ("Décision (testmaterial)\n\nCréée à Genève: l’employeur – œuvre, cœur, «guillemets», naïve.\n", "cp1252"),
        ("Entscheidung (testmaterial)\n\nÜber „Überwachung“ – Arbeitgeber müssen beachten. Straße.\n", "cp1252"),
    ],
)
def test_western_single_byte_text_still_decodes(text, codec):
    from lagrum.cleaning import clean_text

    [document] = load_bytes("beslut.txt", text.encode(codec))
    assert isinstance(document, Document), document
    assert document.text == clean_text(text)


# --- settings ----------------------------------------------------------------------------


def test_parse_bounds_are_settings_with_env_variables():
    from lagrum import settings as settings_module

    assert Settings().max_pdf_pages == settings_module.DEFAULT_MAX_PDF_PAGES == 2000
    assert Settings().max_parse_seconds == settings_module.DEFAULT_MAX_PARSE_SECONDS == 60
    assert Settings().max_unpacked_mb == settings_module.DEFAULT_MAX_UNPACKED_MB == 100
    configured = Settings.from_env({"LAGRUM_MAX_PDF_PAGES": "10", "LAGRUM_MAX_PARSE_SECONDS": "5", "LAGRUM_MAX_UNPACKED_MB": "30"})
    assert (configured.max_pdf_pages, configured.max_parse_seconds, configured.max_unpacked_mb) == (10, 5, 30)


# --- the CLI ------------------------------------------------------------------------------


def test_cli_reports_every_bad_file_by_name_and_ingests_the_rest(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "bra.txt").write_text("Beslut om kameror (testmaterial)\n\nKamerorna i entrén får sitta kvar.", encoding="utf-8")
    (docs / "skrattbomb.md").write_text(LAUGHS, encoding="utf-8")
    (docs / "avklippt.pdf").write_bytes(pdf_bytes().replace(b"%%EOF", b""))
    (docs / "lagad.pdf").write_bytes(pdf_bytes(text=b"Lagad PDF om kameror (testmaterial)").replace(b"startxref\n", b"startxref\n1"))
    (docs / "bomb.docx").write_bytes(docx_bytes(padding=5_000_000))
    (docs / "blandad.txt").write_bytes(SWEDISH.encode("utf-8") + SWEDISH.encode("cp1252"))
    (docs / "loop.txt").symlink_to(docs / "loop.txt")
    env = {**os.environ, "LAGRUM_DATA": str(tmp_path / "data")}
    run = subprocess.run([sys.executable, "-m", "lagrum.app.cli", "ingest", str(docs)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    assert "2 ingested" in run.stdout and "5 failed" in run.stdout, run.stdout
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    named = {name: [line for line in lines if str(docs / name) in line] for name in ("skrattbomb.md", "avklippt.pdf", "lagad.pdf", "bomb.docx", "blandad.txt", "loop.txt")}
    assert all(named.values()), named
    unnamed = [line for line in lines if str(docs) not in line]
    assert not unnamed, f"stderr lines that name no file: {unnamed}"


# --- the API -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_service(tmp_path_factory, embedder):
    """A real index of its own, holding one made-up decision so that /search has something."""
    from ingest.pipeline import IngestPipeline
    from lagrum.index import Index
    from lagrum.app.service import LagrumService

    settings = Settings().with_(data_dir=tmp_path_factory.mktemp("hardening-index"), api_keys=(API_KEY,), allowed_hosts=TEST_HOSTS)
    index = Index.open(settings, create=True, embedder=embedder)
    seed = load_bytes("kamerabeslut.txt", "Beslut om kamerabevakning (testmaterial)\n\nKamerabevakning i skolans entré är tillåten nattetid.".encode())
    assert IngestPipeline(index).ingest(seed).failed == 0
    service = LagrumService(index)
    yield settings, service
    service.close()


@pytest.fixture(scope="module")
def api(small_service):
    from api.app import create_app

    settings, service = small_service
    with TestClient(create_app(settings, service=service), raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize(
    "name, data, expected",
    [
        ("skrattbomb.md", LAUGHS.encode(), "front matter " + ALIASES),
        ("bomb.docx", docx_bytes(padding=5_000_000), "inside the DOCX unpacks to"),
        ("tjock.pdf", pdf_bytes(pages=2001), "the PDF has 2001 pages, over the limit of 2000"),
        ("djup.pdf", pdf_bytes(depth=300), "PDF page tree too deep"),
        ("blandad.txt", SWEDISH.encode("utf-8") + SWEDISH.encode("cp1252"), NOT_TEXT),
        ("djup.json", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_upload_over_a_bound_gets_422_naming_the_file(api, name, data, expected):
    response = api.post("/documents", files={"file": (name, data)}, headers=AUTH)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"].startswith(name) and expected in body["error"], body
    assert body["field"] == "file" and body["errors"][0]["source"].startswith(name)


def test_upload_bounds_come_from_the_apps_settings(small_service):
    from api.app import create_app

    settings, service = small_service
    with TestClient(create_app(settings.with_(max_pdf_pages=3, max_parse_seconds=1), service=service), raise_server_exceptions=False) as client:
        thick = client.post("/documents", files={"file": ("tjock.pdf", pdf_bytes(pages=4))}, headers=AUTH)
        # About 1.2 s of reading per page on a quiet machine (20,000 operators took 1.2 s for all
        # three pages, under the bound there: the check runs page by page).
        slow = client.post("/documents", files={"file": ("seg.pdf", pdf_bytes(pages=3, drawing_ops=60_000))}, headers=AUTH)
    assert thick.status_code == 422 and thick.json()["error"] == "tjock.pdf: the PDF has 4 pages, over the limit of 3; split it, or raise LAGRUM_MAX_PDF_PAGES", thick.text
    assert slow.status_code == 422 and slow.json()["error"].startswith("seg.pdf: reading the file took more than 1 s"), slow.text


def test_while_an_upload_is_parsed_health_and_search_answer_within_a_second(small_service):
    """The real uvicorn server: one slow-to-read (but acceptable) PDF is posted from a thread;
    meanwhile /health and /search are asked again and again, each must answer within 1 s."""
    from api.app import create_app

    settings, service = small_service
    slow = pdf_bytes(pages=8, drawing_ops=20_000, text=b"Beslut om kameror i en skola (testmaterial)")
    upload: dict = {}
    with LiveServer(create_app(settings, service=service)) as server, httpx.Client(base_url=server.url, headers=AUTH, timeout=30) as client:
        assert client.get("/search", params={"q": "kamerabevakning"}).status_code == 200  # warm the query path

        def post() -> None:
            started = time.perf_counter()
            with httpx.Client(base_url=server.url, headers=AUTH, timeout=300) as poster:
                upload["response"] = poster.post("/documents", files={"file": ("seg.pdf", slow)})
            upload["seconds"] = time.perf_counter() - started

        thread = threading.Thread(target=post)
        thread.start()
        time.sleep(0.3)  # the upload is being read
        latencies: dict[str, list[float]] = {"/health": [], "/search": []}
        while thread.is_alive():
            for path, params in (("/health", {}), ("/search", {"q": "kamerabevakning i skolan"})):
                started = time.perf_counter()
                response = client.get(path, params=params)
                latencies[path].append(time.perf_counter() - started)
                assert response.status_code == 200, response.text
            time.sleep(0.05)
        thread.join()
    assert upload["response"].status_code == 201, upload["response"].text
    assert upload["seconds"] > 2, f"the upload took only {upload['seconds']:.1f} s: too fast to show anything"
    assert len(latencies["/health"]) >= 3, latencies
    worst = {path: round(max(values), 3) for path, values in latencies.items()}
    typical = {path: round(statistics.median(values), 3) for path, values in latencies.items()}
    print(f"upload {upload['seconds']:.1f} s; latency worst {worst}, median {typical}; requests {[len(v) for v in latencies.values()]}")
    # Measured on a shared two-core machine (load average 9-12): parsed in the server's process,
    # worst /health 0.09-1.0 s over six runs (median 0.03-0.04 s, 3-4 requests/s); read in a
    # worker process, worst 0.02-0.8 s over five runs (median 0.01-0.02 s, 8-14 requests/s).
    # The bound is the issue's; on an idle machine the old code may pass it too.
    assert all(seconds < 1.0 for seconds in worst.values()), worst
