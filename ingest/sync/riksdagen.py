"""Riksdagen open data: SFS by number, or every SFS document changed since a date.

    lagrum sources add rd riksdagen https://data.riksdagen.se --sfs 1999:175 --sfs 2009:400
    lagrum sources add rd-new riksdagen https://data.riksdagen.se --since 2025-01-01

By number, each statute is one conditional GET of `/dokumentstatus/sfs-YEAR-NR.json`; a 304 or
an unchanged body costs nothing more. By date, `/dokumentlista/?doktyp=sfs&sort=systemdatum&
sortorder=desc&utformat=json` is read page by page (`@nasta_sida`) until the documents are
older than the newest `systemdatum` of the last sync (or than `--since` on the first), and only
documents whose `systemdatum` changed are fetched. A listing is a window, not the whole
collection, so nothing is retracted from it.

The dokumentstatus JSON goes through the `riksdagen` native format when it is installed, and
otherwise through the small reader here (`_dokumentstatus_fields`): id `sfs-YEAR-NR`, title,
date, identifier "SFS YEAR:NR", text from `text` or, failing that, the `html`.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode, urljoin

from lagrum.errors import InputError

from ingest.loaders import documents_from_records, load_bytes
from ingest.sync.entry import EntrySync, content_digest
from ingest.sync.http import FetchError

MAX_PAGES = 500
_SFS = re.compile(r"(\d{4}):(\d+)")


def sync_riksdagen(run: EntrySync) -> None:
    numbers = run.source.option("sfs") or []
    since = run.source.option("since")
    if numbers:
        for number in numbers:
            _sync_number(run, number)
    if since or not numbers:
        _sync_changed(run, since or "1900-01-01")


def _base(run: EntrySync) -> str:
    return run.source.url.rstrip("/") + "/"


def _sync_number(run: EntrySync, number: str) -> None:
    match = _SFS.fullmatch(number.strip())
    if not match:
        run.summary.fail(number, "not an SFS number; write it as YEAR:NUMBER, e.g. 1999:175")
        return
    dok_id = f"sfs-{match.group(1)}-{match.group(2)}"
    _sync_document(run, dok_id, stamp=None)


def _sync_document(run: EntrySync, dok_id: str, stamp: str | None) -> None:
    url = urljoin(_base(run), f"dokumentstatus/{dok_id}.json")
    key = f"dokument:{dok_id}"
    if stamp and run.known(key, stamp):
        run.summary.unchanged += 1
        return
    try:
        response = run.fetch(url, conditional_key=url)
    except FetchError as exc:
        run.summary.fail(exc.url, exc.reason)
        return
    if response.not_modified:
        run.summary.unchanged += 1
        return
    run.summary.fetched += 1
    digest = content_digest(response.body)
    previous = run.state.entries.get(key) or {}
    if not run.full and previous.get("digest") == digest:
        run.summary.unchanged += 1
        return
    items = read_dokumentstatus(response.body, url, run.max_bytes)
    if run.apply(key, items, stamp or digest, url, extra={"digest": digest}):
        run.state.remember_validators(url, response.headers.get("etag"), response.headers.get("last-modified"))
        run.state.save()


def _sync_changed(run: EntrySync, since: str) -> None:
    listing = run.state.data.setdefault("listing", {})
    watermark = listing.get("newest") or ""
    floor = max(watermark, since) if not run.full else since
    query = {"doktyp": "sfs", "sort": "systemdatum", "sortorder": "desc", "utformat": "json"}
    url: str | None = urljoin(_base(run), "dokumentlista/?" + urlencode(query))
    first = True
    first_url, first_response = url, None
    newest = watermark
    clean_before = run.summary.failed
    pages = 0
    while url and pages < MAX_PAGES:
        pages += 1
        try:
            response = run.fetch(url, conditional_key=url if first else None)
        except FetchError as exc:
            run.summary.fail(exc.url, exc.reason)
            return
        if response.not_modified:
            return
        try:
            entries, next_url = parse_listing(response.body, response.url)
        except InputError as exc:
            run.summary.fail(exc.source, exc.reason)
            return
        older_seen = False
        for item in entries:
            changed = item.get("systemdatum") or ""
            if changed and changed <= floor and not run.full:
                older_seen = True
                break
            if changed < since:
                older_seen = True
                break
            newest = max(newest, changed)
            _sync_document(run, item["dok_id"], stamp=changed or None)
        if first:
            first_response = response
        first = False
        if older_seen:
            break
        url = next_url
    if run.summary.failed == clean_before and first_response is not None:
        listing["newest"] = newest
        run.state.remember_validators(first_url, first_response.headers.get("etag"), first_response.headers.get("last-modified"))
        run.state.save()


def parse_listing(data: bytes, url: str) -> tuple[list[dict[str, str]], str | None]:
    """A dokumentlista page: its documents (dok_id, systemdatum) and the next page's address.

    Uses `ingest.formats.riksdagen.parse_dokumentlista` when that reader is present; otherwise
    reads the JSON listing itself (a small private parser)."""
    try:
        from ingest.formats.riksdagen import parse_dokumentlista  # type: ignore[attr-defined]
    except ImportError:
        parse_dokumentlista = None
    try:
        loaded = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(url, f"the dokumentlista is not valid JSON ({exc}); ask for utformat=json") from None
    if parse_dokumentlista is not None:
        shared = _shared_listing(parse_dokumentlista, data, loaded)
        if shared is not None:
            return shared
    listing = loaded.get("dokumentlista") if isinstance(loaded, dict) else None
    if not isinstance(listing, dict):
        raise InputError(url, "no 'dokumentlista' object in the answer; is this Riksdagen's /dokumentlista/ API?")
    documents = listing.get("dokument") or []
    if isinstance(documents, dict):  # a page of one document is an object, not a list
        documents = [documents]
    out = []
    for item in documents:
        if isinstance(item, dict) and (item.get("dok_id") or item.get("id")):
            out.append({"dok_id": str(item.get("dok_id") or item.get("id")), "systemdatum": str(item.get("systemdatum") or "")})
    return out, _absolute(listing.get("@nasta_sida"))


def _shared_listing(parse, data: bytes, loaded: Any) -> tuple[list[dict[str, str]], str | None] | None:
    """The riksdagen reader's `parse_dokumentlista`, whichever input it takes (bytes or the
    parsed JSON); None when its answer is not (entries with dok_id, next address)."""
    for argument in (data, loaded):
        try:
            entries, next_url = parse(argument)
        except Exception:
            continue
        out = []
        for entry in entries or []:
            get = entry.get if isinstance(entry, dict) else lambda key, e=entry: getattr(e, key, None)
            dok_id = get("dok_id") or get("id")
            if dok_id:
                out.append({"dok_id": str(dok_id), "systemdatum": str(get("systemdatum") or "")})
        if out or not entries:
            return out, _absolute(next_url)
    return None


def _absolute(url: Any) -> str | None:
    if not url or not isinstance(url, str):
        return None
    return "https:" + url if url.startswith("//") else url


def read_dokumentstatus(data: bytes, url: str, max_bytes: int) -> list:
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", url.rstrip("/").rsplit("/", 1)[-1]) or "dokument.json"
    if not name.endswith(".json"):
        name += ".json"
    try:
        from ingest.formats import native_formats

        native = "riksdagen" in native_formats()
    except Exception:
        native = False
    if native:
        return load_bytes(name, data, {"url": url}, max_bytes, format="riksdagen")
    try:
        fields = _dokumentstatus_fields(data, url)
    except InputError as exc:
        return [exc]
    if fields.get("text"):
        return documents_from_records([fields], origin=url)
    html = fields.pop("html", "")
    return load_bytes(fields["id"] + ".html", html.encode("utf-8"), {k: v for k, v in fields.items() if k != "text"}, max_bytes)


def _dokumentstatus_fields(data: bytes, url: str) -> dict[str, Any]:
    try:
        loaded = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(url, f"not valid JSON ({exc})") from None
    document = (loaded.get("dokumentstatus") or {}).get("dokument") if isinstance(loaded, dict) else None
    if not isinstance(document, dict):
        raise InputError(url, "no dokumentstatus.dokument in the answer; is this Riksdagen's /dokumentstatus/ API?")
    dok_id = str(document.get("dok_id") or "")
    beteckning = str(document.get("beteckning") or "")
    title = " ".join(str(document.get("titel") or "").split())
    text = str(document.get("text") or "").strip()
    html = str(document.get("html") or "")
    if not dok_id or not (text or html.strip()):
        raise InputError(url, f"document {dok_id or '(no dok_id)'} has no text or html; Riksdagen has not published its text")
    doc_type = "förordning" if "förordning" in title.lower() else "lag" if document.get("typ") == "sfs" else "övrigt"
    fields: dict[str, Any] = {
        "id": re.sub(r"[^a-z0-9.-]+", "-", dok_id.lower()).strip("-"),
        "title": title,
        "text": text,
        "html": html,
        "date": str(document.get("datum") or "")[:10] or None,
        "doc_type": doc_type,
        "source": "Riksdagen",
        "language": "sv",
        "identifiers": [f"SFS {beteckning}"] if beteckning else [],
        "riksdagen_id": dok_id,
        "systemdatum": str(document.get("systemdatum") or ""),
    }
    if url.startswith("http"):
        fields["url"] = url
    if text:
        fields.pop("html")
    return fields
