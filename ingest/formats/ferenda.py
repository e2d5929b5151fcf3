"""ferenda (lagen.nu) XHTML+RDFa: court rulings (AD, HFD, ...), JO decisions and förarbeten.

ferenda publishes each document as XHTML whose `<head about="https://lagen.nu/...">` carries
RDFa metadata: `dcterms:identifier` ("AD 2013 nr 63", "HFD 2014 not 85", "JO dnr 6356-2012",
"Prop. 1997/98:44"), `rpubl:avgorandedatum` or `dcterms:issued`, `rpubl:malnummer`,
`rpubl:diarienummer`, `dcterms:title` / `rpubl:referatrubrik` (the summary), `foaf:name` (the
court or authority), the subjects' `rdfs:label`. The `.ttl` file ferenda writes next to some
documents holds the same statements, so the XHTML alone is read.

Document id, from `dcterms:identifier` (else the file name), lower-case ASCII:

* "AD 2013 nr 63" -> `ad-2013-63` (the word "nr" dropped), "HFD 2013:29" -> `hfd-2013-29`,
  "HFD 2014 not 85" -> `hfd-2014-not-85`;
* "JO dnr 6356-2012" -> `jo-2012-6356` (year first, as JO's own references read);
* "Prop. 1997/98:44" -> `prop-1997-98-44`, "Dir. 2016:15" -> `dir-2016-15`, "SOU 2017:66" ->
  `sou-2017-66`.

doc_type from the document's address: `/dom/` "dom", `/avg/` (JO, JK) "beslut", `/prop/`,
`/sou/`, `/ds/`, `/dir/` "förarbete". Metadata: `court` (or `authority`), `summary`,
`case_numbers`, `diary_numbers`, `keywords`, `legal_provisions` (the rpubl:lagrum links) and
`identifiers` (the identifier, "mål B-114-2012", "JO dnr 6488-2012"). The text is the body's
headings (`h1`–`h6`, and the titles of ferenda's sections, with their chapter numbers) on
their own lines and its paragraphs, without ferenda's metadata box (`div.bodymeta`).
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from lagrum.errors import InputError

from ingest.formats import Fields, NativeFormat
from ingest.formats.rattspraxis import slug

_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_BLOCKS = {"p", "li", "dt", "dd", "td", "blockquote", "pre"} | _HEADINGS
_FORARBETE_PATHS = ("/prop/", "/sou/", "/ds/", "/dir/", "/bet/", "/skr/")


def _sniff(data: bytes, where: str) -> bool:
    head = data[:20000]
    return b'about="https://lagen.nu/' in head and b"dcterms:identifier" in head


def _read(data: bytes, where: str) -> Iterator[Fields]:
    from lxml import etree

    try:
        root = etree.fromstring(data, etree.XMLParser(recover=True, resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise InputError(where, f"cannot parse the ferenda XHTML: {exc}") from None
    if root is None:
        raise InputError(where, "empty or unreadable ferenda XHTML")
    head = _first(root, "head")
    body = _first(root, "body")
    if head is None or body is None:
        raise InputError(where, "no <head> or <body> in this ferenda XHTML; is it a complete lagen.nu document?")
    about = head.get("about") or ""
    meta = _rdfa(root)
    identifier = _one(meta, "dcterms:identifier")
    kind = _doc_type(about)
    text = "\n\n".join(_paragraphs(body))
    if not text.strip():
        raise InputError(where, "the ferenda XHTML has no body text")
    case_numbers = meta.get("rpubl:malnummer", [])
    diary = meta.get("rpubl:diarienummer", [])
    summary = _one(meta, "rpubl:referatrubrik") or (_one(meta, "dcterms:title") if kind == "dom" else "") or _one(meta, "dcterms:abstract")
    identifiers = [identifier] if identifier else []
    identifiers += [f"mål {c}" for c in case_numbers]
    identifiers += [f"JO dnr {d}" for d in diary if f"JO dnr {d}" not in identifiers]
    title = _title(meta, identifier)
    fields: Fields = {
        "id": ferenda_id(identifier, where),
        "title": title or identifier,
        "text": text,
        "date": _one(meta, "rpubl:avgorandedatum") or _one(meta, "dcterms:issued") or None,
        "doc_type": kind,
        "source": _one(meta, "foaf:name") or "lagen.nu",
        "url": about if about.startswith("http") else "",
        "summary": summary,
        "case_numbers": case_numbers,
        "diary_numbers": diary,
        "keywords": _subjects(root),
        "legal_provisions": _provisions(root),
        "identifiers": identifiers,
        "language": "sv",
    }
    name = _one(meta, "foaf:name")
    if name:
        fields["court" if kind == "dom" else "authority"] = name
    yield fields


def ferenda_id(identifier: str, where: str) -> str:
    """The document id the module docstring defines, from `dcterms:identifier` or the file name."""
    jo = re.fullmatch(r"(JO|JK)\s+dnr\s+(\d+)-(\d{4})", identifier.strip())
    if jo:
        return f"{jo.group(1).lower()}-{jo.group(3)}-{jo.group(2)}"
    if identifier.strip():
        return slug(re.sub(r"\b(?:nr|dnr)\b", " ", identifier))
    stem = re.split(r"[\\/]", where)[-1].rsplit(".", 1)[0]
    return slug(stem)


def _title(meta: dict[str, list[str]], identifier: str) -> str:
    """The identifier, with the document's name from its PDF link label when there is one."""
    for label in meta.get("rdfs:label", []):
        if re.search(r"\((?:pdf|PDF)[^)]*\)\s*$", label):
            name = re.sub(r"\s*\((?:pdf|PDF)[^)]*\)\s*$", "", label).strip()
            if name.startswith(identifier):
                return name
            # "Översyn av personuppgiftslagen, prop. 2005/06:173": the number once, in front.
            name = re.sub(r",?\s*\(?(?:prop|sou|ds|dir)\.?\s+\d{4}(?:/\d{2})?[:_]\d+\b\)?", "", name, flags=re.IGNORECASE).strip()
            return f"{identifier} {name}".strip()
    return identifier


def _subjects(root: Any) -> list[str]:
    """Labels of the subjects (lagen.nu's begrepp) the document is about."""
    found: list[str] = []
    for element in root.iter():
        if element.get("property") == "rdfs:label" and "/begrepp/" in (element.get("about") or ""):
            label = " ".join((element.get("content") or "").split())
            if label and label not in found:
                found.append(label)
    return found


def _provisions(root: Any) -> list[str]:
    """The cited provisions listed in ferenda's metadata box, one line each."""
    found: list[str] = []
    for box in root.iter():
        if _local(box.tag) == "div" and (box.get("class") or "") == "Lagrum":
            for paragraph in box:
                text = " ".join(paragraph.xpath("string()").split())
                if text and text not in found:
                    found.append(text)
    return found


def _doc_type(about: str) -> str:
    if "/dom/" in about:
        return "dom"
    if any(part in about for part in _FORARBETE_PATHS):
        return "förarbete"
    return "beslut"


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _first(root: Any, name: str) -> Any:
    return next((e for e in root.iter() if _local(e.tag) == name), None)


def _rdfa(root: Any) -> dict[str, list[str]]:
    """`property` -> values of the RDFa `content` attributes (in document order, no repeats)."""
    found: dict[str, list[str]] = {}
    for element in root.iter():
        prop, content = element.get("property"), element.get("content")
        if prop and content is not None and content.strip():
            values = found.setdefault(prop, [])
            value = " ".join(content.split())
            if value not in values:
                values.append(value)
    return found


def _one(meta: dict[str, list[str]], prop: str) -> str:
    values = meta.get(prop) or []
    return values[0] if values else ""


def _paragraphs(body: Any) -> list[str]:
    out: list[str] = []

    def walk(element: Any) -> None:
        name = _local(element.tag)
        if name == "div" and "bodymeta" in (element.get("class") or ""):
            return
        title = element.get("content") if element.get("property") == "dcterms:title" and name in ("div", "section") else None
        if title:
            number = next((c.get("content") for c in element if c.get("property") == "bibo:chapter"), None)
            out.append(f"{number} {title}" if number else title)
        if name in _BLOCKS:
            text = " ".join(element.xpath("string()").split())
            if text:
                out.append(text)
            return
        for child in element:
            walk(child)

    walk(body)
    return out


FORMAT = NativeFormat(
    name="ferenda",
    suffixes=(".xhtml", ".html", ".htm", ".xml"),
    sniff=_sniff,
    read=_read,
    description="ferenda (lagen.nu) XHTML+RDFa of AD, HFD, JO decisions and förarbeten",
)
