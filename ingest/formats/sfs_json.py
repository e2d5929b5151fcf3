"""Regeringskansliet's consolidated statute JSON (rättsdatabaser, one `grundforfattning`).

A file holds one statute in its consolidated wording: `beteckning` ("2009:400"), `rubrik`,
`forfattningstypNamn`, `ikraftDateTime`, `upphavdDateTime`, `organisation`, `register`
(förarbeten, CELEX numbers), `andringsforfattningar` (the amendment register) and the official
text in `fulltext.forfattningstext`. The reader gives one document:

* `id` "sfs-2009-400", `identifiers` ["SFS 2009:400", "CELEX ..."], `doc_type` "lag" for a
  lag or balk (a grundlag is a lag), "förordning" for a förordning, "övrigt" for other kinds
  (tillkännagivanden, myndighetsföreskrifter), `date` the day it was issued (`utfardadDateTime`);
* metadata `in_force`, `repealed`, `department`, `forarbeten`, `celex`, `consolidated_to`
  ("t.o.m. SFS 2025:1508") and `amendments`: one `{sfs, in_force, changes, note, title, forarbeten}`
  per amending statute, each also a relation `amended_by` "SFS YYYY:NNN";
* the text with CRLF normalised and the official hard line-wrapping undone: every paragraph is
  one line, so a wrapped line that begins "8 § ..." inside a sentence is no section line. Rows
  of a table (tabs or runs of spaces) keep their own lines;
* the temporal markers ("/Träder i kraft I:2026-01-01/", "/Upphör att gälla U:2026-03-01/",
  "/Rubriken träder i kraft .../", "/Kapitlet träder i kraft .../") are taken out of the text
  and kept as `section_validity`: `{label, in_force | expires, scope, by}` per section, heading,
  chapter, appendix or single paragraph, labelled as `lagrum.legal.segments.statute_segments` labels the text (two wordings of
  one section are "6 §" and "6 § (lydelse 2)").

>>> fields = next(read(_EXAMPLE, "exempel.json"))
>>> fields["id"], fields["doc_type"], fields["identifiers"]
('sfs-2099-1', 'lag', ['SFS 2099:1'])
>>> fields["text"]
'1 § Denna fiktiva lag gäller enligt 8 § i en annan lag.\\n\\n2 § Den gäller inte.\\n\\n2 § Den gäller alltid.'
>>> [(v["label"], v.get("expires"), v.get("in_force")) for v in fields["section_validity"]]
[('2 §', '2099-07-01', None), ('2 § (lydelse 2)', None, '2099-07-01')]
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

from lagrum.errors import InputError

from ingest.formats import Fields, NativeFormat, field_date

# Made up for the doctest (not a real statute).
_EXAMPLE = json.dumps(
    {
        "beteckning": "2099:1",
        "rubrik": "Lag (2099:1) om fiktiva exempel",
        "forfattningstypNamn": "Lag",
        "fulltext": {
            "forfattningstext": "1 § Denna fiktiva lag gäller enligt \r\n8 § i en annan lag.\r\n\r\n"
            "2 § /Upphör att gälla U:2099-07-01/\r\nDen gäller inte.\r\n\r\n"
            "2 § /Träder i kraft I:2099-07-01/\r\nDen gäller alltid."
        },
    }
).encode()

_SFS = re.compile(r"^\s*(\d{4}):(\d{1,5})\s*$")
# "/Träder i kraft I:2026-01-01/", "/Rubriken upphör att gälla U:2026-03-01/",
# "/Upphör att gälla U:2028-10-01 genom lag (2024:565)./", "/Träder i kraft I:den dag regeringen bestämmer/"
_MARKER = re.compile(
    r"/\s*(?P<scope>Rubriken|Kapitlet|Bilagan)?\s*(?P<kind>[Tt]räder i kraft|[Uu]pphör att gälla)\s+[IU]:\s*"
    r"(?P<when>\d{4}-\d{2}-\d{2}|den dag (?:som )?regeringen bestämmer)"
    r"(?:\s+genom\s+(?P<by>[^/]*?\(\d{4}:\d{1,5}\))\.?)?\s*/"
)
_TABLE_ROW = re.compile(r"\t| {3,}")
_OPENS_PROVISION = re.compile(r"\s*\d+(?: ?[a-z])?\s*(?:§|kap\.)")
_AMENDMENT_VERBS = {
    "ändr": "amended",
    "ny": "added",
    "nya": "added",
    "upph": "repealed",
    "utgår": "repealed",
    "nuvarande": "renumbered",
    "ikrafttr": "entry_into_force",
}


def sniff(data: bytes, where: str) -> bool:
    """A JSON object with `beteckning` and `fulltext` (or `forfattningstypNamn`) near its start."""
    head = data[:4096].lstrip()
    if not head.startswith(b"{"):
        return False
    return b'"beteckning"' in head and (b'"fulltext"' in data or b'"forfattningstypNamn"' in head) and b'"dokumentstatus"' not in head


def read(data: bytes, where: str) -> Iterator[Fields]:
    """One document per statute file; see the module docstring for its fields."""
    try:
        record = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(where, f"not valid JSON ({exc}); a Regeringskansliet statute file is one JSON object") from None
    if not isinstance(record, dict):
        raise InputError(where, "a Regeringskansliet statute file is one JSON object, this is a list or a value")
    yield statute_fields(record, where)


def statute_fields(record: dict[str, Any], where: str) -> Fields:
    """The document fields of one parsed statute record (also used for records inside other files)."""
    number = _sfs_number(record.get("beteckning"), where, "beteckning")
    fulltext = record.get("fulltext") if isinstance(record.get("fulltext"), dict) else {}
    raw_text = fulltext.get("forfattningstext")
    if not isinstance(raw_text, str) or not raw_text.strip():
        raise InputError(where, f"field 'fulltext.forfattningstext' of SFS {number} is empty; the statute has no consolidated text to index")
    title = " ".join(str(record.get("rubrik") or f"SFS {number}").split())
    text, markers = unwrap_statute_text(raw_text)
    register = record.get("register") if isinstance(record.get("register"), dict) else {}
    organisation = record.get("organisation") if isinstance(record.get("organisation"), dict) else {}
    celex = _celex_numbers(register.get("celexnummer"))
    amendments = [_amendment(item, where, n) for n, item in enumerate(record.get("andringsforfattningar") or [])]
    amendments = [a for a in amendments if a is not None]
    identifiers = [f"SFS {number}", *(f"CELEX {c}" for c in celex)]
    year, serial = number.split(":")
    fields: Fields = {
        "id": f"sfs-{year}-{serial}",
        "title": title,
        "text": text,
        "date": field_date(fulltext.get("utfardadDateTime"), where, "fulltext.utfardadDateTime"),
        "doc_type": statute_doc_type(str(record.get("forfattningstypNamn") or ""), title),
        "source": "Regeringskansliet rättsdatabaser",
        "url": f"https://rkrattsbaser.gov.se/sfst?bet={number}",
        "language": "sv",
        "relations": [{"type": "amended_by", "target": f"SFS {a['sfs']}"} for a in amendments],
        "identifiers": identifiers,
        "sfs": number,
        "in_force": field_date(record.get("ikraftDateTime"), where, "ikraftDateTime"),
        "repealed": field_date(record.get("upphavdDateTime"), where, "upphavdDateTime"),
        "time_limited": field_date(record.get("tidsbegransadDateTime"), where, "tidsbegransadDateTime"),
        "department": str(organisation.get("namn") or "").strip() or None,
        "forarbeten": str(register.get("forarbeten") or "").strip() or None,
        "celex": celex,
        "consolidated_to": str(fulltext.get("andringInford") or "").strip() or None,
        "repealed_by": str(fulltext.get("upphavdGenom") or "").strip() or None,
        "amendments": amendments,
        "section_validity": section_validity(text, markers),
    }
    return {k: v for k, v in fields.items() if v not in (None, [], "")} | {"text": text}


# The fundamental laws whose names do not say "lag" (a grundlag is a lag): Regeringsformen,
# Tryckfrihetsförordningen (a grundlag despite its name), Successionsordningen, and Riksdagsordningen.
_GRUNDLAGAR = ("regeringsform", "tryckfrihetsförordning", "successionsordning", "riksdagsordning")


def statute_doc_type(kind: str, title: str) -> str:
    """Lagrum's document type for a statute kind ("Lag", "Förordning") or, failing that, its title.

    >>> statute_doc_type("Lag", "Tryckfrihetsförordning (1949:105)"), statute_doc_type("", "Förordning (2021:949) om skydd")
    ('lag', 'förordning')
    """
    if title.casefold().startswith(_GRUNDLAGAR):
        return "lag"
    word = (kind or title.split(" ", 1)[0]).strip().casefold()
    if word in ("lag", "balk", "grundlag") or word.endswith(("lag", "balk")):
        return "lag"
    if word.endswith("förordning") or word in ("förordning", "kungörelse"):
        return "förordning"  # a kungörelse was the King's regulation: a förordning in today's terms
    first = title.split(" (", 1)[0].casefold()
    if first.endswith(("lag", "balk")):
        return "lag"
    if first.endswith(("förordning", "kungörelse")) or first.startswith(("förordning", "kungörelse")):
        return "förordning"
    return "övrigt"


# --- the text -----------------------------------------------------------------------------


def unwrap_statute_text(raw: str, join_lines: bool = True) -> tuple[str, list[tuple[int, dict[str, Any]]]]:
    """The text with each paragraph on one line, and the temporal markers taken out of it.

    :param join_lines: False keeps a paragraph's lines (text whose line breaks are its own,
        such as text rendered from HTML); the markers are taken out either way.

    :returns: (text, markers) where each marker is (offset in text of the paragraph it stood
        in, or of the next paragraph when it stood alone, {scope, in_force|expires, by}).
    """
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs: list[str] = []
    markers: list[tuple[int, dict[str, Any]]] = []
    pending: list[dict[str, Any]] = []  # markers standing alone: they belong to the next paragraph
    offset = 0
    for block in re.split(r"\n[ \t]*\n", text):
        found = [_marker(m) for m in _MARKER.finditer(block)]
        block = _MARKER.sub(" ", block)
        lines = [line.rstrip() for line in block.split("\n") if line.strip()]
        if not lines:
            pending += found
            continue
        paragraph = _join_lines(lines) if join_lines else "\n".join(line.strip() for line in lines)
        paragraphs.append(paragraph)
        for marker in pending + found:
            if marker["scope"] == "section" and not _OPENS_PROVISION.match(paragraph):
                # Not on a section line: an appendix ("Bilaga /Träder i kraft .../"), a stycke or a table row.
                marker["scope"] = "appendix" if paragraph.startswith("Bilaga") else "paragraph"
            markers.append((offset, marker))
        pending = []
        offset += len(paragraph) + 2
    if pending and paragraphs:
        last = offset - len(paragraphs[-1]) - 2
        markers += [(last, m) for m in pending]
    return "\n\n".join(paragraphs), markers


def _join_lines(lines: list[str]) -> str:
    """Join wrapped lines with one space; table rows (tabs, runs of spaces) keep their lines."""
    out = lines[0].strip() if not _TABLE_ROW.search(lines[0].strip()) else lines[0]
    for previous, line in zip(lines, lines[1:]):
        if _TABLE_ROW.search(line.strip()) or _TABLE_ROW.search(previous.strip()):
            out += "\n" + line
        else:
            out += " " + line.strip()
    return re.sub(r"(?<=\S) {2,}(?=\S)", " ", out) if "\n" not in out and "\t" not in out else out


def _marker(match: re.Match) -> dict[str, Any]:
    scope = {"Rubriken": "heading", "Kapitlet": "chapter", "Bilagan": "appendix"}.get(match["scope"] or "", "section")
    key = "in_force" if match["kind"].lower().startswith("träder") else "expires"
    when = match["when"]
    item: dict[str, Any] = {"scope": scope, key: when if when[:1].isdigit() else "den dag regeringen bestämmer"}
    if match["by"]:
        number = re.search(r"\((\d{4}:\d{1,5})\)", match["by"])
        item["by"] = f"SFS {number.group(1)}" if number else match["by"].strip()
    return item


def section_validity(text: str, markers: list[tuple[int, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Each marker as `{label, scope, in_force | expires, by}`, labelled by the statute segment it is in."""
    if not markers:
        return []
    from lagrum.legal.segments import statute_segments

    segments = statute_segments(text) or []
    out = []
    for offset, marker in markers:
        segment = next((s for s in segments if s.start <= offset < max(s.end, s.start + 1)), None)
        if segment is None:
            segment = next((s for s in segments if s.start >= offset), None)
        label = segment.label if segment is not None else ""
        if marker["scope"] == "chapter" and segment is not None and segment.chapter:
            label = f"{segment.chapter} kap."
        out.append({"label": label, **marker})
    return out


# --- metadata -----------------------------------------------------------------------------


def _amendment(item: Any, where: str, n: int) -> dict[str, Any] | None:
    if not isinstance(item, dict):
        raise InputError(where, f"field 'andringsforfattningar[{n}]' is not an object; each amendment is {{beteckning, ikraftDateTime, anteckningar}}")
    if item.get("borttagen"):
        return None
    number = _sfs_number(item.get("beteckning"), where, f"andringsforfattningar[{n}].beteckning")
    note = " ".join(str(item.get("anteckningar") or "").split())
    amendment: dict[str, Any] = {
        "sfs": number,
        "in_force": field_date(item.get("ikraftDateTime"), where, f"andringsforfattningar[{n}].ikraftDateTime"),
        "changes": amendment_changes(note),
        "note": note,
        "title": " ".join(str(item.get("rubrik") or "").split()),
        "forarbeten": " ".join(str(item.get("forarbeten") or "").split()),
        "celex": _celex_numbers(item.get("celexnummer")),
    }
    return {k: v for k, v in amendment.items() if v not in (None, "", [], {})} | {"sfs": number}


def amendment_changes(note: str) -> dict[str, str]:
    """ "upph. 3 §; ändr. 1, 2 §§; nya 2 a §" -> {"repealed": "3 §", "amended": "1, 2 §§", "added": "2 a §"}."""
    changes: dict[str, str] = {}
    for part in note.split(";"):
        part = part.strip()
        match = re.match(r"([a-zåäö]+)\.?\s*(.*)", part)
        if not match:
            continue
        kind = _AMENDMENT_VERBS.get(match.group(1), "other")
        what = match.group(2).strip() if kind != "other" else part
        if what:
            changes[kind] = f"{changes[kind]}; {what}" if kind in changes else what
    return changes


def _celex_numbers(value: Any) -> list[str]:
    if not value:
        return []
    return list(dict.fromkeys(c.strip() for c in re.split(r"[,;\s]+", str(value)) if re.fullmatch(r"\d{5}[A-Z]\d{4}(?:R\(\d+\)|R\[\d+\])?", c.strip())))


def _sfs_number(value: Any, where: str, field: str) -> str:
    match = _SFS.match(str(value or ""))
    if not match:
        raise InputError(where, f"field '{field}' {value!r} is not an SFS number; expected YYYY:NNN such as 2009:400")
    return f"{match.group(1)}:{int(match.group(2))}"


FORMAT = NativeFormat(
    name="sfs-json",
    suffixes=(".json",),
    sniff=sniff,
    read=read,
    description="Regeringskansliet rättsdatabaser: a consolidated statute (SFS) as JSON",
)
