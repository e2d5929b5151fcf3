"""Browser tests: the search page, the document view and the intranet widget in a real Chromium.

Playwright drives Debian's Chromium (`/usr/bin/chromium`, `apt-get install chromium`); the
browser build Playwright would download is never used (`playwright install` cannot work offline).
Every step saves a screenshot to test-artifacts/screenshots/ for a person to look at.
"""

from __future__ import annotations

import http.server
import threading
import warnings
from pathlib import Path

import pytest

from conftest import ROOT, LiveServer, free_port

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
HOST_PAGE = Path(__file__).resolve().parent / "browser_pages" / "host.html"
QUESTION = "Får arbetsgivaren kräva webbkamera?"

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    sync_playwright = None

if not CHROMIUM.exists():
    SKIP_REASON = f"BROWSER TESTS SKIPPED: {CHROMIUM} is missing. Install Debian's Chromium (apt-get install chromium); never run `playwright install`."
elif sync_playwright is None:
    SKIP_REASON = "BROWSER TESTS SKIPPED: the 'playwright' package is not installed in this virtualenv; install the project's test extras."
else:
    SKIP_REASON = ""
if SKIP_REASON:
    banner = "!" * 100
    warnings.warn(f"\n{banner}\n{SKIP_REASON}\n{banner}", UserWarning, stacklevel=1)

pytestmark = [pytest.mark.browser, pytest.mark.skipif(bool(SKIP_REASON), reason=SKIP_REASON or "n/a")]


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def context(browser):
    ctx = browser.new_context(viewport={"width": 1100, "height": 800}, locale="sv-SE")
    ctx.set_default_timeout(20_000)
    yield ctx
    ctx.close()


@pytest.fixture()
def page(context):
    """A page that fails the test on any uncaught JavaScript error."""
    errors: list[str] = []
    p = context.new_page()
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    yield p
    assert not errors, f"JavaScript errors on the page: {errors}"


def shot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def expect_cited_passage_visible(page) -> None:
    mark = page.wait_for_selector("mark#cited")
    expect(page.locator("mark#cited")).to_be_in_viewport()
    expect(page.locator("mark#cited")).to_be_focused()
    assert mark.inner_text().strip(), "the highlighted passage is empty"


# ---- the host page of the widget, served from a second origin ----------------------------------


class _HostPageHandler(http.server.BaseHTTPRequestHandler):
    lagrum_url = ""

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        if self.path.split("?")[0] not in ("/", "/host.html"):
            self.send_error(404)
            return
        body = HOST_PAGE.read_text(encoding="utf-8").replace("__LAGRUM_URL__", self.lagrum_url).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def widget_sites(corpus_settings, corpus_service):
    """(host page URL, Lagrum URL): an intranet page on one origin, Lagrum allowing it via CORS."""
    from api.app import create_app

    host_port = free_port()
    host_origin = f"http://127.0.0.1:{host_port}"
    app = create_app(corpus_settings.with_(cors_origins=(host_origin,)), service=corpus_service)
    with LiveServer(app) as lagrum:
        handler = type("HostPage", (_HostPageHandler,), {"lagrum_url": lagrum.url})
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", host_port), handler)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"{host_origin}/host.html", lagrum.url
        finally:
            httpd.shutdown()
            httpd.server_close()


# ---- tests -------------------------------------------------------------------------------------


def test_search_with_type_filter_opens_highlighted_passage(page, live_server):
    page.goto(f"{live_server.url}/")
    page.get_by_label("Sökord").fill("webbkamera")
    page.get_by_label("Dokumenttyp").select_option("nyhet")
    page.get_by_label("Sökord").press("Enter")

    page.wait_for_selector("#hits li.hit .snippet mark")
    assert "q=webbkamera" in page.url and "doc_type=nyhet" in page.url, page.url
    types = page.locator("#hits li.hit .type").all_inner_texts()
    assert types and set(types) == {"Nyhet"}, types
    links = [a.split("#")[0] for a in page.locator("#hits li.hit h3 a").evaluate_all("els => els.map(e => e.getAttribute('href'))")]
    assert len(links) == len(set(links)) > 1, links  # one result per document, at its best passage
    shot(page, "01-search-results")

    first = page.locator("#hits li.hit h3 a").first
    href = first.get_attribute("href")
    assert href.startswith("/d/") and "#" in href, href
    first.click()
    page.wait_for_url("**/d/**")
    expect_cited_passage_visible(page)
    expect(page.locator("#doc-title")).not_to_be_empty()
    shot(page, "02-document-highlight")

    page.go_back()  # the results come back from the URL's query string
    page.wait_for_selector("#hits li.hit .snippet mark")
    expect(page.get_by_label("Sökord")).to_have_value("webbkamera")
    expect(page.get_by_label("Dokumenttyp")).to_have_value("nyhet")


def test_search_shows_no_hits_and_errors(page, live_server):
    page.goto(f"{live_server.url}/?q=webbkamera&since=2999-01-01")
    expect(page.locator("#search-status")).to_have_text("Inga träffar.")
    page.goto(f"{live_server.url}/?q=webbkamera&since=inte-ett-datum")
    status = page.locator("#search-status")
    expect(status).to_have_class("status error")
    expect(status).to_have_text("Skriv datumet som ÅÅÅÅ-MM-DD.")  # the page's own words, in Swedish
    expect(page.locator("form [name=since]")).to_have_attribute("aria-invalid", "true")
    shot(page, "03-search-error")
    page.goto(f"{live_server.url}/?q=%E2%80%8B")  # a zero-width space: nothing to search for
    expect(status).to_have_text("Skriv några ord att söka på (bokstäver eller siffror, högst 2000 tecken).")


def test_ask_on_page_follows_citation_to_passage(page, live_server):
    page.goto(f"{live_server.url}/")
    page.get_by_label("Din fråga").fill(QUESTION)
    page.get_by_label("Din fråga").press("Enter")

    page.wait_for_selector("#answer .answer-text a.cite-ref")
    first_ref = page.locator("#answer .answer-text a.cite-ref").first
    expect(first_ref).to_have_text("[1]")
    quote = page.locator("#answer .citations li").first.locator("blockquote").inner_text()
    shot(page, "04-ask-answer")

    first_ref.click()
    page.wait_for_url("**/d/**")
    expect_cited_passage_visible(page)
    assert page.locator("mark#cited").inner_text().strip() == quote.strip()
    shot(page, "05-ask-citation-highlight")


def test_widget_on_other_origin_answers_with_links(context, page, widget_sites):
    host_url, lagrum_url = widget_sites
    # The security headers (issue 15) are on the widget's script and on the cross-origin /ask
    # answer, and neither keeps the widget from working on the host page's origin.
    responses = {}
    page.on("response", lambda r: responses.setdefault(r.url.split("?")[0], r))
    page.goto(host_url)
    host_text = page.locator("#host-text")
    before = host_text.evaluate("e => getComputedStyle(e).color")
    assert before == "rgb(0, 100, 0)"

    launcher = page.get_by_role("button", name="Fråga Lagrum")
    launcher.click()
    question = page.get_by_label("Din fråga")
    expect(question).to_be_focused()
    question.fill(QUESTION)
    question.press("Enter")

    page.wait_for_selector("#lagrum-widget .reply a.cite-ref")
    link = page.locator("#lagrum-widget .reply a.cite-ref").first
    expect(link).to_have_text("[1]")
    href = link.get_attribute("href")
    assert href.startswith(f"{lagrum_url}/d/") and "#" in href, href
    assert link.get_attribute("target") == "_blank"
    expect(page.locator("#lagrum-widget .reply .cites li").first).not_to_be_empty()
    shot(page, "06-widget-answer")
    host_origin = host_url.rsplit("/", 1)[0]
    script, answer = responses[f"{lagrum_url}/widget.js"], responses[f"{lagrum_url}/ask/stream"]  # the widget streams
    for response in (script, answer):
        headers = response.all_headers()
        assert headers.get("x-content-type-options") == "nosniff", headers
        assert headers.get("referrer-policy") == "no-referrer", headers
        assert "frame-ancestors 'none'" in headers.get("content-security-policy", ""), headers
    assert answer.status == 200 and answer.request.method == "POST"
    assert answer.all_headers().get("access-control-allow-origin") == host_origin  # CORS still answers the host page

    # The host page keeps its own styles; the host's styles do not reach into the widget.
    assert host_text.evaluate("e => getComputedStyle(e).color") == before
    assert page.locator("#host-button").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(200, 0, 0)"
    assert question.evaluate("e => getComputedStyle(e).color") != "rgb(128, 0, 128)"

    with context.expect_page() as opened:
        link.click()
    doc_page = opened.value
    doc_page.wait_for_load_state()
    assert doc_page.url.startswith(f"{lagrum_url}/d/")
    expect_cited_passage_visible(doc_page)
    # The document view opened from the widget runs under its own CSP without a violation.
    assert "default-src 'self'" in doc_page.evaluate("fetch(location.href).then(r => r.headers.get('content-security-policy'))")
    shot(doc_page, "07-widget-citation-highlight")
    doc_page.close()

    # Escape closes the panel and gives focus back to the launcher; the conversation stays.
    question.press("Escape")
    expect(page.locator("#lagrum-widget .panel")).to_be_hidden()
    expect(launcher).to_be_focused()
    launcher.click()
    expect(page.locator("#lagrum-widget .turn")).to_have_count(1)


FIRST_TURN = "Får ett lagerbolag kamerabevaka personalen vid packborden?"
RULING_QUOTE = "Förvaltningsrätten finner att kamerorna vid packborden behövs"  # tests/data/legal (fictional)


def test_widget_keeps_the_conversation_and_shows_the_answer_as_it_streams(page, widget_sites):
    host_url, lagrum_url = widget_sites
    sent: list[dict] = []
    page.on("request", lambda r: sent.append({"url": r.url, "body": r.post_data_json}) if r.method == "POST" else None)
    page.goto(host_url)
    page.get_by_role("button", name="Fråga Lagrum").click()
    question = page.get_by_label("Din fråga")
    # Record every element the widget adds while an answer streams in (the shadow root is open).
    page.evaluate(
        """() => {
        window.__streamed = [];
        const root = document.querySelector('#lagrum-widget').shadowRoot;
        new MutationObserver(records => records.forEach(r => r.addedNodes.forEach(n => {
          if (n.nodeType === 1 && n.hasAttribute('data-streaming')) window.__streamed.push(n.textContent);
        }))).observe(root, {subtree: true, childList: true});
      }"""
    )
    question.fill(FIRST_TURN)
    question.press("Enter")
    page.wait_for_selector("#lagrum-widget .turn:nth-child(2) .reply .cites li")
    first_ids = sorted({href.split("/d/")[1].split("#")[0] for href in page.locator("#lagrum-widget .turn:nth-child(2) .reply .cites a").evaluate_all("els => els.map(e => e.href)")})

    page.evaluate("() => { window.__streamed = []; }")  # from here on: the follow-up's answer only
    question.fill("Och vad sa domstolen?")
    question.press("Enter")
    second = page.locator("#lagrum-widget .turn").nth(1)
    expect(second.locator(".followup")).to_contain_text("Läst som följdfråga: Och vad sa domstolen?")
    expect(second.locator(".reply .a")).to_contain_text(RULING_QUOTE)
    shot(page, "08-widget-follow-up")

    posts = [r for r in sent if r["url"].startswith(lagrum_url)]
    assert [r["url"] for r in posts] == [f"{lagrum_url}/ask/stream"] * 2, posts
    assert "history" not in posts[0]["body"]
    assert posts[1]["body"]["history"] == [{"question": FIRST_TURN, "doc_ids": first_ids}] or (
        posts[1]["body"]["history"][0]["question"] == FIRST_TURN and sorted(posts[1]["body"]["history"][0]["doc_ids"]) == first_ids
    ), posts[1]["body"]
    # The text was shown part by part before the final event: growing prefixes of the answer.
    flat = lambda text: " ".join(text.split())  # noqa: E731
    streamed = [flat(text) for text in page.evaluate("window.__streamed")]
    final = flat(second.locator(".reply .a").text_content())
    assert len(streamed) >= 3, streamed
    assert all(final.startswith(text) for text in streamed), (streamed, final)
    assert [len(text) for text in streamed] == sorted({len(text) for text in streamed}), streamed  # each longer than the last
    assert any(RULING_QUOTE in text for text in streamed)

    # "Ny konversation" forgets the history: the next question is sent without it.
    page.get_by_role("button", name="Ny konversation").click()
    expect(page.locator("#lagrum-widget .turn")).to_have_count(0)
    question.fill(FIRST_TURN)
    question.press("Enter")
    page.wait_for_selector("#lagrum-widget .turn .reply .cites li")
    assert "history" not in [r for r in sent if r["url"].startswith(lagrum_url)][-1]["body"]


def test_widget_falls_back_to_ask_when_streaming_fails(page, widget_sites):
    host_url, lagrum_url = widget_sites
    page.route(f"{lagrum_url}/ask/stream", lambda route: route.abort())  # a proxy that drops the stream
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if r.method == "POST" else None)
    page.goto(host_url)
    page.get_by_role("button", name="Fråga Lagrum").click()
    page.get_by_label("Din fråga").fill(QUESTION)
    page.get_by_label("Din fråga").press("Enter")
    page.wait_for_selector("#lagrum-widget .reply a.cite-ref")
    assert f"{lagrum_url}/ask" in asked, asked


def test_search_page_question_box_sends_the_conversation(page, live_server):
    bodies: list[dict] = []
    page.on("request", lambda r: bodies.append(r.post_data_json) if r.method == "POST" and r.url.endswith("/ask") else None)
    page.goto(f"{live_server.url}/")
    box = page.get_by_label("Din fråga")
    box.fill(FIRST_TURN)
    box.press("Enter")
    page.wait_for_selector("#answer .citations li")
    box.fill("Och vad sa domstolen?")
    box.press("Enter")
    expect(page.locator("#answer .follow-up")).to_contain_text("Läst som följdfråga: Och vad sa domstolen?")
    expect(page.locator("#answer .citations")).to_contain_text("Dom om kamerabevakning av lagerpersonal")
    assert "history" not in bodies[0]
    assert bodies[1]["history"][0]["question"] == FIRST_TURN and "test-beslut-lagerkameror" in bodies[1]["history"][0]["doc_ids"]
    shot(page, "09-ask-follow-up")
    page.get_by_role("button", name="Ny konversation").click()
    expect(page.locator("#answer")).to_be_empty()


def test_language_switch_changes_labels_and_is_remembered(page, live_server):
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/")
    expect(page.locator("#search-form button[type=submit]")).to_have_text("Sök")
    page.get_by_role("button", name="English").click()

    expect(page.locator("#search-form button[type=submit]")).to_have_text("Search")
    expect(page.get_by_label("Document type")).to_be_visible()
    expect(page.locator("#ask-heading")).to_have_text("Ask a question")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.reload()
    expect(page.locator("#ask-heading")).to_have_text("Ask a question")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "the page scrolls sideways at 375 px"
    shot(page, "08-english-375px")

    page.get_by_role("button", name="Svenska").click()
    expect(page.locator("#ask-heading")).to_have_text("Ställ en fråga")


REALDATA = Path(__import__("os").environ.get("LAGRUM_REALDATA") or ROOT.parent / "shared" / "realdata")


def test_document_view_shows_a_rulings_head(browser, tmp_path, embedder):
    """A real HFD ruling (Domstolsverket's record): the document page lists its head as read at ingest."""
    record = REALDATA / "domstol-avgoranden" / "HFD" / "HFD-3981-25.json"
    if not record.exists():
        pytest.skip(f"REALDATA MISSING: {record}; set LAGRUM_REALDATA to the shared realdata folder")
    from api.app import create_app
    from ingest.loaders import iter_documents
    from ingest.pipeline import IngestPipeline
    from lagrum.index import Index
    from lagrum.app.service import LagrumService
    from lagrum.settings import Settings

    settings = Settings().with_(data_dir=tmp_path / "data", allowed_hosts=("127.0.0.1", "localhost"))
    index = Index.open(settings, embedder=embedder)
    assert IngestPipeline(index).ingest(iter_documents([record])).ingested == 1
    service = LagrumService(index)
    try:
        with LiveServer(create_app(settings, service=service)) as server:
            ctx = browser.new_context(locale="sv-SE")
            page = ctx.new_page()
            page.goto(f"{server.url}/d/hfd-3981-25")
            page.wait_for_selector("#doc-meta dt")
            meta = page.locator("#doc-meta").inner_text()
            shot(page, "document-ruling-head")
            assert "Överklagat avgörande" in meta and "Riksdagens överklagandenämnds beslut den 18 juni 2025" in meta
            assert "Saken" in meta and "Rätt att ta del av allmän handling" in meta
            assert "Högsta förvaltningsdomstolen avslår överklagandet." in meta
            assert "3981-25" in meta
            ctx.close()
    finally:
        service.close()
