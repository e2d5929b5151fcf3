"""Atom feeds in the rinfo protocol (lagrummet.se source feeds), from any publisher.

    lagrum sources add sfst atom https://example.org/sfst/index.atom

A feed page lists entries (`<entry>` with `id` and `updated`) whose document is named by
`<content src>` or `<link rel="alternate">`, relative to the page's address; withdrawn entries
appear as tombstones (`<at:deleted-entry ref="ID" when="...">`, RFC 6721). Older entries live
on archive pages reached through `<link rel="prev-archive">` (RFC 5005); a page marked
`<fh:complete/>` lists everything, so an entry missing from it is retracted. Feeds come in any
XML encoding (the regression feeds are Windows-1252).

What one sync costs: the subscription page with `If-None-Match` / `If-Modified-Since`; a 304, or
a page whose `updated` equals the last complete sync's, ends the sync there. Otherwise unread
archive pages are fetched (each once: archives do not change), events are applied oldest first,
and only entries whose `updated` changed are downloaded. The document is read with the rinfo
reader (`ingest.formats.rinfo`) when it is RDF or XHTML, otherwise by its type (PDF, HTML).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from lagrum.errors import InputError

from ingest.loaders import load_bytes
from ingest.sync.entry import EntrySync
from ingest.sync.http import FetchError

ATOM = "http://www.w3.org/2005/Atom"
TOMBSTONES = "http://purl.org/atompub/tombstones/1.0"
HISTORY = "http://purl.org/syndication/history/1.0"
MAX_ARCHIVE_PAGES = 1000
RINFO_TYPES = ("application/rdf+xml", "application/xhtml+xml")
ACCEPT = "application/atom+xml, application/xml;q=0.9, */*;q=0.5"


@dataclass
class FeedEntry:
    id: str
    updated: str
    title: str
    links: list[tuple[str, str]]  # (address, media type), best first


@dataclass
class Tombstone:
    ref: str
    when: str


@dataclass
class FeedPage:
    url: str
    id: str = ""
    updated: str = ""
    complete: bool = False
    entries: list[FeedEntry] = field(default_factory=list)
    tombstones: list[Tombstone] = field(default_factory=list)
    prev_archive: str | None = None
    next_archive: str | None = None


def parse_feed(data: bytes, url: str) -> FeedPage:
    """An Atom page's entries, tombstones and archive links; `InputError` for malformed XML."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise InputError(url, f"malformed feed XML ({exc}); the publisher's feed is broken, sync again later or tell them") from None
    if root.tag != f"{{{ATOM}}}feed":
        raise InputError(url, f"not an Atom feed (root element {root.tag!r}); check the source's address")
    page = FeedPage(url=url, id=_text(root, "id"), updated=_text(root, "updated"))
    page.complete = root.find(f"{{{HISTORY}}}complete") is not None
    for link in root.findall(f"{{{ATOM}}}link"):
        rel, href = link.get("rel"), link.get("href")
        if href and rel == "prev-archive":
            page.prev_archive = urljoin(url, href.strip())
        elif href and rel == "next-archive":
            page.next_archive = urljoin(url, href.strip())
    for node in root.findall(f"{{{TOMBSTONES}}}deleted-entry"):
        if node.get("ref"):
            page.tombstones.append(Tombstone(node.get("ref").strip(), (node.get("when") or "").strip()))
    for n, node in enumerate(root.findall(f"{{{ATOM}}}entry"), 1):
        entry_id = _text(node, "id")
        if not entry_id:
            raise InputError(f"{url} entry {n}", "entry without <id>; the feed is not valid Atom")
        page.entries.append(FeedEntry(entry_id, _text(node, "updated"), _text(node, "title"), _links(node, url)))
    return page


def _text(node, name: str) -> str:
    child = node.find(f"{{{ATOM}}}{name}")
    return " ".join((child.text or "").split()) if child is not None else ""


def _links(entry, base: str) -> list[tuple[str, str]]:
    """The entry's document addresses, best first: rinfo RDF/XHTML, then anything else."""
    found: list[tuple[str, str]] = []
    content = entry.find(f"{{{ATOM}}}content")
    if content is not None and content.get("src"):
        found.append((urljoin(base, content.get("src").strip()), (content.get("type") or "").lower()))
    for link in entry.findall(f"{{{ATOM}}}link"):
        if (link.get("rel") or "alternate") == "alternate" and link.get("href"):
            found.append((urljoin(base, link.get("href").strip()), (link.get("type") or "").lower()))
    return sorted(found, key=lambda item: 0 if _is_rinfo(*item) else 1)


def _is_rinfo(address: str, media_type: str) -> bool:
    return media_type in RINFO_TYPES or address.lower().split("?")[0].endswith((".rdf", ".xhtml"))


def sync_atom(run: EntrySync) -> None:
    source, state, summary = run.source, run.state, run.summary
    feed = state.data.setdefault("feed", {})
    response = run.fetch(source.url, conditional_key=source.url, accept=ACCEPT)
    if response.not_modified:
        summary.unchanged += len(state.entries)
        return
    head = parse_feed(response.body, response.url)
    if not run.full and head.updated and head.updated == feed.get("updated") and feed.get("clean"):
        summary.unchanged += len(state.entries)
        state.remember_validators(source.url, response.headers.get("etag"), response.headers.get("last-modified"))
        state.save()
        return

    archives_done = set(feed.get("archives_done") or [])
    older: list[FeedPage] = []
    url, seen = head.prev_archive, {head.url}
    while url and url not in seen and (run.full or url not in archives_done) and len(older) < MAX_ARCHIVE_PAGES:
        seen.add(url)
        page = _archive_page(run, url)
        if page is None:
            break
        older.append(page)
        url = page.prev_archive
    newer: list[FeedPage] = []
    url = head.next_archive
    while url and url not in seen and len(newer) < MAX_ARCHIVE_PAGES:
        seen.add(url)
        page = _archive_page(run, url)
        if page is None:
            break
        newer.append(page)
        url = page.next_archive

    failures_before = summary.failed
    pages = [*reversed(older), head, *newer]
    # An entry withdrawn on a later page is not downloaded only to be deleted again.
    # and one listed again on a newer page is read once, in its newest version.
    withdrawn: dict[str, str] = {}
    newest: dict[str, str] = {}
    for page in pages:
        for tombstone in page.tombstones:
            withdrawn[tombstone.ref] = max(withdrawn.get(tombstone.ref, ""), tombstone.when)
        for entry in page.entries:
            newest[entry.id] = max(newest.get(entry.id, ""), entry.updated)
    for page in pages:
        page_failures = summary.failed
        _apply_page(run, page, withdrawn, newest)
        if page is not head and summary.failed == page_failures and page not in newer:
            archives_done.add(page.url)
            feed["archives_done"] = sorted(archives_done)
            state.save()

    if head.complete and not head.prev_archive and summary.failed == failures_before:
        listed = {e.id for e in head.entries} | {e.id for p in newer for e in p.entries}
        for key in [k for k in state.entries if k not in listed]:
            run.retract(key, "no longer listed in the complete feed")

    clean = summary.failed == failures_before
    feed.update({"updated": head.updated, "clean": clean, "id": head.id})
    if clean:  # a failed entry must be tried again: keep no validators that would hide it
        state.remember_validators(source.url, response.headers.get("etag"), response.headers.get("last-modified"))
    else:
        state.forget_validators(source.url)
    state.save()


def _archive_page(run: EntrySync, url: str) -> FeedPage | None:
    try:
        response = run.fetch(url, accept=ACCEPT)
        return parse_feed(response.body, response.url)
    except FetchError as exc:
        run.summary.fail(exc.url, f"archive page: {exc.reason}")
    except InputError as exc:
        run.summary.fail(exc.source, f"archive page: {exc.reason}")
    return None


def _apply_page(run: EntrySync, page: FeedPage, withdrawn: dict[str, str], newest: dict[str, str]) -> None:
    """Entries and tombstones of one page, oldest first (the later event wins)."""
    events: list[tuple[str, int, Any]] = [(e.updated, 0, e) for e in page.entries]
    events += [(t.when, 1, t) for t in page.tombstones]
    events.sort(key=lambda event: (event[0], event[1]))
    for _, kind, item in events:
        if kind == 1:
            if item.ref in run.state.entries:
                run.retract(item.ref, "tombstone")
            continue
        if item.id in withdrawn and withdrawn[item.id] >= newest.get(item.id, item.updated):
            run.retract(item.id, "tombstone")  # a no-op unless it was synced before
            continue
        if newest.get(item.id, "") > item.updated:
            continue  # a newer version follows on a newer page
        _apply_entry(run, item)


def _apply_entry(run: EntrySync, entry: FeedEntry) -> None:
    if run.known(entry.id, entry.updated):
        run.summary.unchanged += 1
        return
    if not entry.links:
        run.summary.fail(entry.id, "entry has neither <content src> nor <link rel=\"alternate\">; nothing to read")
        return
    address, media_type = entry.links[0]
    try:
        response = run.fetcher.get(address)
    except FetchError as exc:
        run.summary.fail(exc.url, exc.reason)
        return
    run.summary.fetched += 1
    items = read_entry_document(entry, address, media_type, response.body, response.content_type, run.max_bytes, run.source.name)
    run.apply(entry.id, items, entry.updated, address)


def read_entry_document(entry: FeedEntry, address: str, media_type: str, data: bytes, content_type: str, max_bytes: int, source_name: str) -> list:
    """The entry's document: rinfo RDF/XHTML through the rinfo reader, PDF/HTML by type."""
    kind = media_type or content_type
    meta: dict[str, Any] = {"atom_entry": entry.id}
    if _is_rinfo(address, kind) or (kind in ("application/xml", "text/xml") and b"rinfo.lagrummet.se/ns/" in data[:6000]):
        suffix = ".xhtml" if b"<html" in data[:4000] else ".xml"
        return load_bytes(_name(entry.id) + suffix, data, meta, max_bytes, format="rinfo")
    suffix = ".pdf" if "pdf" in kind or data.startswith(b"%PDF") else ".html" if "html" in kind else ".txt"
    meta.update({"id": _name(entry.id), "title": entry.title, "url": address if address.startswith("http") else ""})
    return load_bytes(_name(entry.id) + suffix, data, {k: v for k, v in meta.items() if v}, max_bytes)


def _name(entry_id: str) -> str:
    tail = re.sub(r"^(https?://[^/]+/|tag:[^:]+:)", "", entry_id)
    return re.sub(r"[^A-Za-z0-9._-]+", "-", tail).strip("-.").lower()[:150] or "entry"
