"""Riksdagen open data: `dokumentstatus` (one document) and `dokumentlista` (a page of a search), JSON or XML.

A `dokumentstatus` holds one document's record (`dokument`: `dok_id`, `typ`, `rm`,
`beteckning`, `titel`, `datum`, `organ`, `text`, `html`) and its register (`dokuppgift`:
utfärdad, upphävd, upphävd genom ...; `dokreferens`; `dokaktivitet`). The reader gives one
document:

* SFS: `id` "sfs-1976-114", `identifiers` ["SFS 1976:114"], `doc_type` "lag" or "förordning" (from
  the title), `date` the day it was issued, `repealed` and a relation `repealed_by` "SFS 1988:1081"
  when the register says so, `consolidated_to` ("t.o.m. SFS 2010:460");
* propositions, betänkanden, SOU, Ds and kommittédirektiv: `doc_type` "förarbete", `id`
  "prop-2017-18-105", "bet-2018-19-au6", "sou-2017-66", "ds-2019-5", "dir-2016-15" and
  `identifiers` "prop. 2017/18:105", "bet. 2018/19:AU6", "SOU 2017:66", "Ds 2019:5", "dir. 2016:15";
  other kinds (motions, utskottsdokument) are "övrigt" with `id` "<typ>-<rm>-<beteckning>";
* the text from `text` when it is given as text, otherwise from `html` (the SFS header lines
  "Utfärdad: ...", "Upphävd: ..." are part of it), also when the text lost its line breaks. SFS text is unwrapped and its temporal
  markers read as in `ingest.formats.sfs_json`. A dokumentstatus without text (`html` "dummy",
  a scanned document known only by its PDF) is an `InputError` naming where the text is.

A `dokumentlista` page lists documents by their metadata, not their text: `parse_dokumentlista`
gives its entries (the metadata record of each listed document) and the next page's address,
for a connector that pages through a search and fetches each document's dokumentstatus. Given
to `lagrum ingest`, a page whose every entry carries text (`text` or a non-empty `summary`) is
read as those documents; any other page is an `InputError` that says what the page is (its
document kind, page and hit count) and how many entries lack text, so nothing is silently
skipped or half ingested.

>>> entries, next_page = parse_dokumentlista(b'{"dokumentlista": {"@nasta_sida": "https://x/?p=2", '
...     b'"dokument": [{"dok_id": "sfs-2099-1", "typ": "sfs", "rm": "2099", "beteckning": "2099:1", "titel": "Lag (2099:1) om fiktiva exempel"}]}}')
>>> entries[0]["id"], entries[0]["identifiers"], entries[0]["doc_type"], next_page
('sfs-2099-1', ['SFS 2099:1'], 'lag', 'https://x/?p=2')
"""

from __future__ import annotations

import html as _html
import json
import re
from urllib.parse import quote
import xml.etree.ElementTree as ElementTree
from typing import Any, Iterator

from lagrum.documents import parse_iso_date
from lagrum.errors import InputError

from ingest.formats import Fields, NativeFormat

SOURCE = "Riksdagen öppna data"
# Riksdagen's document kinds that are förarbeten, and how their number is written.
_FORARBETEN = {
    "prop": ("prop.", "{rm}:{bet}"),
    "bet": ("bet.", "{rm}:{bet}"),
    "sou": ("SOU", "{rm}:{bet}"),
    "ds": ("Ds", "{rm}:{bet}"),
    "dir": ("dir.", "{rm}:{bet}"),
    "skr": ("skr.", "{rm}:{bet}"),
    "rskr": ("rskr.", "{rm}:{bet}"),
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def sniff(data: bytes, where: str) -> bool:
    """JSON or XML whose top element is `dokumentstatus` or `dokumentlista`."""
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        return bool(re.match(rb'\{\s*"(?:dokumentstatus|dokumentlista)"', head))
    if head.startswith(b"<"):
        return bool(re.search(rb"<(?:dokumentstatus|dokumentlista)[\s>]", head))
    return False


def read(data: bytes, where: str) -> Iterator[Fields]:
    """One document from a dokumentstatus; a dokumentlista page's documents when they carry text."""
    kind, body = _load(data, where)
    if kind == "dokumentstatus":
        yield dokumentstatus_fields(body, where)
        return
    entries, _ = _dokumentlista_entries(body)
    without_text = [e for e in entries if not e.get("text")]
    if not entries or without_text:
        raise InputError(where, _describe_list(body, entries, without_text))
    for entry in entries:
        yield {k: v for k, v in entry.items() if k not in _ENTRY_ONLY}


def parse_dokumentlista(data: bytes | str | dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """The entries of one dokumentlista page and the address of the next page (None on the last).

    Each entry is the listed document's metadata in Lagrum's fields: `id`, `dok_id`, `doc_type`,
    `title`, `date`, `identifiers`, `source`, `url`, and the addresses of its texts
    (`dokumentstatus_url`, `text_url`, `html_url`, made absolute with https); `text` only when
    the list carries it. Addresses are taken as given (Riksdagen writes them without a scheme,
    "//data.riksdagen.se/...").

    :param data: the page as bytes or text (JSON or XML), or already parsed JSON.
    :raises InputError: when it is not a dokumentlista.
    """
    if isinstance(data, dict):
        body = data.get("dokumentlista")
        if not isinstance(body, dict):
            raise InputError("dokumentlista", "not a Riksdagen dokumentlista: the JSON has no 'dokumentlista' object")
    else:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        kind, body = _load(raw, "dokumentlista")
        if kind != "dokumentlista":
            raise InputError("dokumentlista", f"a Riksdagen {kind}, not a dokumentlista; read it with read()")
    return _dokumentlista_entries(body)


# --- dokumentstatus -----------------------------------------------------------------------


def dokumentstatus_fields(status: dict[str, Any], where: str) -> Fields:
    document = status.get("dokument")
    if not isinstance(document, dict):
        raise InputError(where, "field 'dokumentstatus.dokument' is missing; a Riksdagen dokumentstatus describes one document")
    register = _register(status)
    fields = _metadata(document, register)
    kind = fields.pop("_kind")
    text, from_html = _text(document)
    if not text:
        raise InputError(where, _no_text(document, fields))
    if kind == "sfs":
        from ingest.formats.sfs_json import section_validity, unwrap_statute_text

        # Plain text is wrapped like Regeringskansliet's; HTML's line breaks (<br>) are the text's own.
        text, markers = unwrap_statute_text(text, join_lines=not from_html)
        if markers:
            fields["section_validity"] = section_validity(text, markers)
    references = _references(status)
    if references:
        fields["references"] = references
    fields["text"] = text
    return fields


def _metadata(document: dict[str, Any], register: dict[str, str]) -> dict[str, Any]:
    from ingest.formats.sfs_json import statute_doc_type

    kind = (_field(document, "doktyp") or _field(document, "typ")).lower()
    rm = _field(document, "rm")
    number = _field(document, "beteckning")
    dok_id = _field(document, "dok_id")
    title = " ".join(_field(document, "titel").split())
    subtitle = " ".join(_field(document, "subtitel").split())
    fields: dict[str, Any] = {"_kind": kind, "dok_id": dok_id, "source": SOURCE, "language": "sv"}
    identifiers: list[str] = []
    relations: list[dict[str, str]] = []
    if kind == "sfs":
        sfs = _sfs_number(number, title, dok_id)
        fields["id"] = _slug(f"sfs-{sfs.replace(':', '-')}") if sfs else _slug(dok_id)
        fields["doc_type"] = statute_doc_type("", title)
        if sfs:
            identifiers.append(f"SFS {sfs}")
        fields["date"] = _date(register.get("utfardad")) or _date(_field(document, "datum"))
        fields["repealed"] = _date(register.get("upphavd"))
        repealed_by = register.get("upphnr") or ""
        if m := re.search(r"\d{4}:\d{1,5}", repealed_by):
            relations.append({"type": "repealed_by", "target": f"SFS {m.group(0)}"})
            fields["repealed_by"] = f"SFS {m.group(0)}"
        in_force = register.get("ikraft") or ""
        if not in_force and (m := re.search(r"träder i kraft (\d{4}-\d{2}-\d{2})", register.get("text2") or "")):
            in_force = m.group(1)  # "Lagen (1994:2076) träder i kraft 1995-07-01"
        fields["in_force"] = _date(in_force)
        if subtitle.startswith("t.o.m."):
            fields["consolidated_to"] = subtitle
    elif kind in _FORARBETEN:
        label, pattern = _FORARBETEN[kind]
        fields["doc_type"] = "förarbete"
        fields["id"] = _slug(f"{kind}-{rm.replace('/', '-')}-{number}") if rm and number else _slug(dok_id)
        if rm and number:
            identifiers.append(f"{label} {pattern.format(rm=rm, bet=number)}")
        fields["date"] = _date(_field(document, "datum"))
    else:
        fields["doc_type"] = "övrigt"
        fields["id"] = _slug(f"{kind}-{rm.replace('/', '-')}-{number}") if kind and rm and number else _slug(dok_id or "riksdagen")
        fields["date"] = _date(_field(document, "datum"))
    fields["title"] = title if kind == "sfs" or not subtitle else f"{title} {subtitle}"
    if kind != "sfs" and (typrubrik := _field(document, "typrubrik")) and typrubrik not in title:
        fields["title"] = f"{typrubrik}: {fields['title']}" if fields["title"] else typrubrik
    fields["department"] = _field(document, "organ") or None
    url = _field(document, "dokument_url_html")
    fields["url"] = _absolute(url or (f"https://data.riksdagen.se/dokument/{dok_id}" if dok_id else ""))
    fields["identifiers"] = identifiers
    fields["relations"] = relations
    return {k: v for k, v in fields.items() if v not in (None, "", [])} | {"_kind": kind}


def _text(document: dict[str, Any]) -> tuple[str, bool]:
    """`text` as given; `html` when there is no text, or when the text lost its line breaks (some
    XML responses glue the lines together: "lagen (1994:1809) omtotalförsvarsplikt")."""
    text = _field(document, "text")
    markup = _field(document, "html")
    has_markup = bool(markup.strip()) and markup.strip().lower() != "dummy"
    glued = "\n" not in text.strip() and len(text) > 200
    if text.strip() and not (glued and has_markup):
        return text.replace("\r\n", "\n").replace("\r", "\n").strip(), False
    return (html_text(markup) if has_markup else ""), True


def html_text(markup: str) -> str:
    """Riksdagen's document HTML as text: paragraphs and blocks as blank-line separated, `<br>` as lines."""
    markup = re.sub(r"(?is)<(style|script)[^>]*>.*?</\1>", " ", markup)
    markup = markup.replace("\r\n", "\n").replace("\r", "\n")
    markup = re.sub(r"\s*\n\s*", " ", markup)  # source line breaks are not the document's
    markup = re.sub(r"(?i)<br\s*/?>", "\n", markup)
    markup = re.sub(r"(?i)</?(?:p|div|h\d|hr|table|tr|ul|ol|li|pre|blockquote)\b[^>]*>", "\n\n", markup)
    markup = re.sub(r"(?s)<[^>]+>", "", markup)
    text = _html.unescape(markup).replace("\u00a0", " ")
    lines = [" ".join(line.split()) for line in text.split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"(?m)^(.*:)\n(?=\S)", r"\1 ", text)  # "Utfärdad:\n1976-01-22" -> one line
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _no_text(document: dict[str, Any], fields: dict[str, Any]) -> str:
    what = (fields.get("identifiers") or [fields.get("dok_id") or "this document"])[0]
    where_text = _field(document, "dokument_url_text")
    hint = f"fetch it from {_absolute(where_text)}" if where_text else "fetch its text (or PDF) from Riksdagen"
    html_value = _field(document, "html").strip()
    held = f"html is {html_value[:20]!r}" if html_value else "no text and no html"
    return f"the dokumentstatus of {what} holds no document text ({held}); {hint} and ingest that, or ingest the text with --format text"


def _register(status: dict[str, Any]) -> dict[str, str]:
    """`dokuppgift` (and the older `dokumentuppgift`) as {kod: text}."""
    out: dict[str, str] = {}
    for key in ("dokumentuppgift", "dokuppgift"):
        block = status.get(key)
        items = block.get("uppgift") if isinstance(block, dict) else None
        for item in _as_list(items):
            if isinstance(item, dict) and item.get("kod") and item.get("text") not in (None, ""):
                out[str(item["kod"])] = str(item["text"]).strip()
    return out


def _references(status: dict[str, Any]) -> list[dict[str, str]]:
    block = status.get("dokreferens")
    items = block.get("referens") if isinstance(block, dict) else None
    out = []
    for item in _as_list(items):
        if isinstance(item, dict) and item.get("ref_dok_id"):
            out.append(
                {
                    "type": str(item.get("referenstyp") or ""),
                    "dok_id": str(item["ref_dok_id"]),
                    "kind": str(item.get("ref_dok_typ") or ""),
                    "rm": str(item.get("ref_dok_rm") or ""),
                    "number": str(item.get("ref_dok_bet") or ""),
                    "title": " ".join(str(item.get("ref_dok_titel") or "").split()),
                }
            )
    return out


# --- dokumentlista ------------------------------------------------------------------------

_ENTRY_ONLY = ("dokumentstatus_url", "text_url", "html_url")


def _dokumentlista_entries(body: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    entries = []
    for item in _as_list(body.get("dokument")):
        if not isinstance(item, dict):
            continue
        fields = _metadata(item, {})
        fields.pop("_kind", None)
        text = _field(item, "text")
        if text.strip():
            fields["text"] = text.replace("\r\n", "\n").strip()
        if excerpt := " ".join(_field(item, "summary").replace("\\n", " ").split()):
            fields["excerpt"] = excerpt  # the opening of the text, cut off: never the document's text
        for key, name in (("dokumentstatus_url_xml", "dokumentstatus_url"), ("dokument_url_text", "text_url"), ("dokument_url_html", "html_url")):
            if value := _field(item, key):
                fields[name] = _absolute(value)
        if stamp := _field(item, "systemdatum"):
            fields["systemdatum"] = stamp  # when Riksdagen last changed it: what a sync pages by
        if "dokumentstatus_url" not in fields and fields.get("dok_id"):
            fields["dokumentstatus_url"] = _absolute(f"https://data.riksdagen.se/dokumentstatus/{fields['dok_id']}.json")
        entries.append(fields)
    next_page = _attribute(body, "nasta_sida")
    return entries, _absolute(next_page) if next_page else None


def _describe_list(body: dict[str, Any], entries: list[dict[str, Any]], without_text: list[dict[str, Any]]) -> str:
    kinds = sorted({e.get("doc_type", "") for e in entries if e.get("doc_type")})
    page, pages, hits = _attribute(body, "sida"), _attribute(body, "sidor"), _attribute(body, "traffar")
    where_in = f"page {page} of {pages}, {hits} hits" if page and pages else "one page"
    listed = ", ".join(e.get("dok_id") or e.get("id", "?") for e in without_text[:5]) + (" ..." if len(without_text) > 5 else "")
    return (
        f"a Riksdagen dokumentlista ({where_in}; {len(entries)} listed, {', '.join(kinds) or 'no documents'}) is a list of "
        f"documents, not their text: {len(without_text)} of {len(entries)} entries carry no text ({listed or 'none listed'}); "
        "ingest each document's dokumentstatus (its dokumentstatus_url) instead, or let the Riksdagen connector page through the list"
    )


# --- helpers ------------------------------------------------------------------------------


def _load(data: bytes, where: str) -> tuple[str, dict[str, Any]]:
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        try:
            parsed = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(where, f"not valid JSON ({exc}); a Riksdagen response is one JSON object") from None
        for kind in ("dokumentstatus", "dokumentlista"):
            if isinstance(parsed, dict) and isinstance(parsed.get(kind), dict):
                return kind, parsed[kind]
        raise InputError(where, "not a Riksdagen dokumentstatus or dokumentlista: the JSON has neither object at its top")
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise InputError(where, f"not well-formed XML ({exc}); a Riksdagen response is one XML document") from None
    if root.tag not in ("dokumentstatus", "dokumentlista"):
        raise InputError(where, f"XML element <{root.tag}> is not a Riksdagen dokumentstatus or dokumentlista")
    return root.tag, _element(root)


def _element(node: ElementTree.Element) -> Any:
    """An XML element as JSON-like data: attributes as "@name", repeated children as lists."""
    children = list(node)
    if not children and not node.attrib:
        return node.text or ""
    out: dict[str, Any] = {f"@{k}": v for k, v in node.attrib.items()}
    repeated: set[str] = set()
    for child in children:
        value = _element(child)
        if child.tag not in out:
            out[child.tag] = value
            continue
        if child.tag not in repeated:
            out[child.tag] = [out[child.tag]]
            repeated.add(child.tag)
        out[child.tag].append(value)
    return out


def _attribute(body: dict[str, Any], name: str) -> str:
    return str(body.get(f"@{name}") or body.get(name) or "").strip()


def _field(record: dict[str, Any], name: str) -> str:
    value = record.get(name)
    return "" if value is None or isinstance(value, (dict, list)) else str(value)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _sfs_number(number: str, title: str, dok_id: str) -> str:
    for candidate in (number, title, dok_id.replace("sfs-", "").replace("-", ":", 1)):
        if m := re.search(r"(\d{4}):(\d{1,5})(?:\s*s\.?\s?(\d+))?", candidate or ""):
            tail = f" s.{m.group(3)}" if m.group(3) else ""
            return f"{m.group(1)}:{int(m.group(2))}{tail}"
    return ""


def _slug(value: str) -> str:
    return re.sub(r"[^0-9a-zåäö]+", "-", value.lower()).strip("-")


def _date(value: Any) -> str | None:
    if not value:
        return None
    match = _DATE.search(str(value))
    if not match:
        return None
    try:
        return parse_iso_date(match.group(0))
    except ValueError:
        return None


def _absolute(url: str) -> str:
    """Riksdagen's "//data.riksdagen.se/dokument/sfs-1904-48 s.1.html" as an https address (spaces escaped)."""
    url = quote(url.strip(), safe=":/?=&%#+@!$,;~")
    if url.startswith("//"):
        return "https:" + url
    return url


FORMAT = NativeFormat(
    name="riksdagen",
    suffixes=(".json", ".xml"),
    sniff=sniff,
    read=read,
    description="Riksdagen open data: a dokumentstatus (SFS, prop., bet., SOU) or a dokumentlista page, JSON or XML",
)
