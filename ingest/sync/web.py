"""Web pages, PDFs and RSS feeds: news and authorities' decision pages.

    lagrum sources add imy-beslut web https://www.imy.se/tillsyner/ https://www.imy.se/beslut.pdf --doc-type beslut
    lagrum sources add imy-nyheter web https://www.imy.se/nyheter/rss/ --doc-type nyhet

Each address is one conditional GET. An HTML page's main text is read by the HTML pipeline
(`load_bytes` with `.html`: trafilatura, boilerplate removed), a PDF by the PDF reader; an RSS
or Atom feed lists items whose links are fetched as pages when they are new or their date
changed. The addresses configured are the whole source: one removed from the list (`lagrum
sources add --replace`) or answered with 410 Gone has its document deleted. Items dropping out
of an RSS feed are not deleted (a feed is a window on the newest items).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

from lagrum.errors import InputError

from ingest.loaders import load_bytes
from ingest.sync.entry import EntrySync, content_digest
from ingest.sync.http import FetchError

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml")


def sync_web(run: EntrySync) -> None:
    addresses = [run.source.url, *(run.source.option("pages") or [])]
    addresses = list(dict.fromkeys(addresses))
    for address in addresses:
        _sync_address(run, address)
    listed = set(addresses)
    for key in [k for k, e in run.state.entries.items() if not e.get("via") and k not in listed]:
        run.retract(key, "no longer among the source's addresses")


def _sync_address(run: EntrySync, address: str, via: str | None = None, stamp: str | None = None, title: str = "") -> None:
    if via and stamp and run.known(address, stamp):
        run.summary.unchanged += 1
        return
    try:
        response = run.fetch(address, conditional_key=address)
    except FetchError as exc:
        if exc.status == 410 and address in run.state.entries:
            run.retract(address, "410 Gone")
            return
        run.summary.fail(exc.url, exc.reason)
        return
    if response.not_modified:
        run.summary.unchanged += 1
        return
    if not via and _is_feed(response.content_type, response.body):
        _sync_feed(run, address, response)
        return
    run.summary.fetched += 1
    digest = content_digest(response.body)
    previous = run.state.entries.get(address) or {}
    if not run.full and previous.get("digest") == digest:
        run.summary.unchanged += 1
        run.state.remember_validators(address, response.headers.get("etag"), response.headers.get("last-modified"))
        run.state.save()
        return
    items = read_page(run, address, response, title)
    extra = {"digest": digest, "via": via} if via else {"digest": digest}
    if run.apply(address, items, stamp or digest, address, extra=extra):
        run.state.remember_validators(address, response.headers.get("etag"), response.headers.get("last-modified"))
        run.state.save()


def read_page(run: EntrySync, address: str, response, title: str = "") -> list:
    data = response.body
    kind = response.content_type
    if "pdf" in kind or data.startswith(b"%PDF"):
        suffix = ".pdf"
    elif "html" in kind or re.search(rb"<html|<!doctype html", data[:2000], re.I):
        suffix = ".html"
    elif kind.startswith("text/"):
        suffix = ".txt"
    else:
        return [InputError(address, f"content type {kind or '(none)'} is neither HTML, PDF nor text; give the page's own address")]
    meta: dict[str, Any] = {"id": page_id(address), "url": address}
    for option in ("doc_type", "source", "language"):
        if run.source.option(option):
            meta[option] = run.source.option(option)
    if title:
        meta["title"] = title
    return load_bytes(page_id(address) + suffix, data, meta, run.max_bytes)


def page_id(address: str) -> str:
    """`https://www.imy.se/nyheter/beslut-mot-x/` -> `www-imy-se-nyheter-beslut-mot-x`."""
    parts = urlsplit(address)
    raw = f"{parts.netloc}{parts.path}" + (f"-{parts.query}" if parts.query else "")
    raw = re.sub(r"\.(html?|pdf|aspx|php)$", "", raw.rstrip("/"), flags=re.I)
    return re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-")[:150] or "page"


def _is_feed(content_type: str, data: bytes) -> bool:
    head = data[:2000].lstrip()
    if content_type in ("application/rss+xml", "application/atom+xml"):
        return True
    return content_type in FEED_TYPES and bool(re.search(rb"<(rss|feed|rdf:RDF)\b", head))


def _sync_feed(run: EntrySync, address: str, response) -> None:
    items = parse_rss(response.body, address)
    failed_before = run.summary.failed
    for item in items:
        _sync_address(run, item["link"], via=address, stamp=item.get("date") or item["link"], title=item.get("title", ""))
    if run.summary.failed == failed_before:
        run.state.remember_validators(address, response.headers.get("etag"), response.headers.get("last-modified"))
    else:
        run.state.forget_validators(address)
    run.state.save()


def parse_rss(data: bytes, url: str) -> list[dict[str, str]]:
    """RSS 2.0 or Atom items: link, title and date (pubDate / updated)."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise InputError(url, f"malformed feed XML ({exc})") from None
    items = []
    for node in root.iter():
        local = node.tag.rsplit("}", 1)[-1] if isinstance(node.tag, str) else ""
        if local not in ("item", "entry"):
            continue
        fields = {c.tag.rsplit("}", 1)[-1]: c for c in node if isinstance(c.tag, str)}
        link = ""
        if "link" in fields:
            element = fields["link"]
            link = (element.get("href") or element.text or "").strip()
        if not link:
            continue
        date = next((" ".join((fields[k].text or "").split()) for k in ("pubDate", "updated", "date", "published") if k in fields), "")
        title = " ".join((fields["title"].text or "").split()) if "title" in fields else ""
        items.append({"link": urljoin(url, link), "title": title, "date": date})
    return items
