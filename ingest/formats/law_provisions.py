"""Statutes split into provisions (JSON `{id, title, status, provisions: [...]}`).

The files of `swedish-law-mcp-seeds/` in the shared realdata folder hold one statute each, cut
into provisions by a third party from Riksdagen open data: `id` "1949:105", `title`,
`short_name` ("TF"), `status` ("in_force", "repealed"), `issued_date`, `in_force_date`,
`description` ("Upphävd 2018-05-25 genom SFS 2018:218"), `url`, `preparatory_works`
(`[{prep_document_id, title}]`) and `provisions`: `[{provision_ref "2:16", chapter "2",
section "16", title, content}]`. The reader gives one document:

* `id` "sfs-1949-105", `identifiers` ["SFS 1949:105"], `aliases` ["TF"] (the short name, kept
  apart from the official identifiers), `doc_type` "lag" for a lag or a grundlag (RF's title is
  "Kungörelse (1974:152) om beslutad ny regeringsform"), "förordning" for a förordning;
  `date` the day it was issued, `in_force`, and `repealed` (a date when the file gives one, as
  PUL's `description` does, else True) with `repealed_by` (also a `repealed_by` relation); `forarbeten` the propositions named
  in `preparatory_works` (their numbers only: the file's titles do not belong to the numbers);
* the text rebuilt in the statute's own layout: an "N kap." line per chapter, then per section
  its heading lines and one "N § ..." line, so `lagrum.legal.segments.statute_segments` labels the
  passages "2 kap. 16 §". Temporal markers ("/Upphör att gälla U:2028-07-01/") are taken out and
  kept as `section_validity`, as `ingest.formats.sfs_json` does.

How the text is repaired (the provisions are processed, not verbatim; each rule is structural):

1. **Headings glued to the end of a provision.** A heading of the next section often stands at
   the end of the previous provision's content ("... Lag (2018:1801). Periodiska skrifter"). The
   trailing phrase after the last sentence end is a heading when it starts with a capital
   letter, has at most 14 words, no digits, no "§", no brackets and no sentence punctuation
   (a colon inside a word, "EU:s", is none), and its last
   word is not one the statute itself puts right before a section or chapter number
   ("enligt", "i", "och" in "enligt 3 §", "i 2 kap."): a phrase ending so is a sentence cut off
   at a reference, which these files do where they lost text. The heading goes on its own
   line before the next section (or after the "N kap." line when the provision ends a chapter).
   Limits: a heading ending in an abbreviation ("m.m.") ends like a sentence and stays in the
   text; two headings glued together ("Tillsyn, sanktionsavgifter och skadestånd
   Tillsynsmyndighet") become one heading line; the heading of the chapter itself is not in
   the files, so a chapter line carries a heading only when the chapter's last provision
   ends with one.
2. **Provisions cut at a reference.** The splitter took a cross-reference for a new provision:
   TF "3:2" ends "... meddelare enligt 1 kap." and "3:7" begins ". Detsamma gäller ...". A
   provision whose content does not begin with a capital letter (or a temporal marker) is the
   rest of the one before: it is joined back with the number the splitter swallowed ("7 §",
   or "7" when the content begins with the second "§" of "§§"). The sections that followed
   inside it ("Lag (2018:1801). Tystnadsplikt 3 § Den som ...") are found again: "N §"
   followed by a capital letter, after a sentence end and an optional heading, numbered above
   the section before it and below the next provision of the file.
3. **Sections in order.** A provision numbered below the section before it in the same chapter
   is read as a continuation too, so no label runs backwards.
4. **Chapters only where the statute has them.** When the first provisions have no chapter,
   a chapter appearing later ("6:28" in kamerabevakningslagen, "5:17" in
   förvaltningsprocesslagen, whose sections run on from 27 and 16) is a chapter reference the
   splitter read as a chapter, and is dropped.
5. **Provision titles.** A `title` on the first provision of a chapter is its heading. A title
   on a later provision is a heading only when it is short (at most five words): the longer
   ones in these files are the first line of a stycke ("Om preskription har inträtt ska ett
   beslut enligt första"), kept in `unplaced_titles` with their label instead.

Text the files lost (a provision ending mid-sentence, "... som avses i") cannot be rebuilt;
the labels of those sections are listed in `incomplete_sections`.

>>> fields = next(read(_EXAMPLE, "exempel.json"))
>>> fields["id"], fields["identifiers"], fields["aliases"], fields["repealed"]
('sfs-2099-1', ['SFS 2099:1'], ['FEL'], '2099-12-31')
>>> print(fields["text"])
1 kap.
<BLANKLINE>
1 § Lagen gäller.
<BLANKLINE>
Rubrik
<BLANKLINE>
2 § Den gäller enligt 1 kap. 5 §. Den gäller alltid.
<BLANKLINE>
3 § Den gäller aldrig.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

from lagrum.errors import InputError

from ingest.formats import Fields, NativeFormat, field_date
from ingest.formats.sfs_json import section_validity, statute_doc_type, unwrap_statute_text

# Made up for the doctest (not a real statute): a heading glued to 1:1, "1:5" cut at "1 kap. 5 §".
_EXAMPLE = json.dumps(
    {
        "id": "2099:1",
        "title": "Lag (2099:1) om fiktiva fel",
        "short_name": "FEL",
        "status": "repealed",
        "description": "Upphävd 2099-12-31 genom SFS 2099:2",
        "provisions": [
            {"provision_ref": "1:1", "chapter": "1", "section": "1", "content": "Lagen gäller. Rubrik"},
            {"provision_ref": "1:2", "chapter": "1", "section": "2", "content": "Den gäller enligt 1 kap."},
            {"provision_ref": "1:5", "chapter": "1", "section": "5", "content": ". Den gäller alltid. 3 § Den gäller aldrig."},
        ],
    }
).encode()

_SFS = re.compile(r"^\s*(\d{4}):(\d{1,5})\s*$")
_SECTION_NUMBER = re.compile(r"^\s*(\d{1,4})\s*([a-z])?\s*$")
# "N §" or "N a §" inside a provision's content, followed by the capital letter of a section's text.
_INLINE_SECTION = re.compile(r"(?<![\w§])(\d{1,4})(?: ([a-z]))? § (?=[A-ZÅÄÖ])")
# A number a reference puts a word before: "enligt 3 §", "i 2 kap.", "och 13 §§".
# (Not "Olaga hot 2 § Som ...": a number followed by a section's capital letter opens that section.)
_REFERENCE = re.compile(r"(?<![\w-])([^\W\d]+) \d{1,4}(?: [a-z])?(?:(?:, | och | eller |[-–])\d{1,4}(?: [a-z])?)* ?(?:§§?|kap\.)(?! [A-ZÅÄÖ])")
_MARKER_START = re.compile(r"\s*/\s*(?:Rubriken|Kapitlet|Bilagan)?\s*(?:[Tt]räder i kraft|[Uu]pphör att gälla)")
_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
_REPEALED_BY = re.compile(r"genom\s+(?:SFS\s+)?(\d{4}:\d{1,5})")
_GRUNDLAGAR = ("regeringsform", "tryckfrihetsförordning", "successionsordning", "riksdagsordning", "yttrandefrihetsgrundlag")
_MAX_HEADING_WORDS = 14
_MAX_TITLE_WORDS = 5


def sniff(data: bytes, where: str) -> bool:
    """A JSON object with `provisions` whose items have `provision_ref`."""
    head = data[:8192].lstrip()
    return head.startswith(b"{") and b'"provisions"' in data[:200_000] and b'"provision_ref"' in data[:200_000] and b'"beteckning"' not in head


def read(data: bytes, where: str) -> Iterator[Fields]:
    """One document per statute file; see the module docstring for its fields."""
    try:
        record = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(where, f"not valid JSON ({exc}); a provisions file is one JSON object with 'id' and 'provisions'") from None
    if not isinstance(record, dict):
        raise InputError(where, "a provisions file is one JSON object with 'id' and 'provisions', this is a list or a value")
    yield statute_fields(record, where)


def statute_fields(record: dict[str, Any], where: str) -> Fields:
    """The document fields of one parsed provisions record."""
    match = _SFS.match(str(record.get("id") or ""))
    if not match:
        raise InputError(where, f"field 'id' {record.get('id')!r} is not an SFS number; expected YYYY:NNN such as 1949:105")
    number = f"{match.group(1)}:{int(match.group(2))}"
    provisions = record.get("provisions")
    if not isinstance(provisions, list) or not provisions:
        raise InputError(where, f"field 'provisions' of SFS {number} is empty or not a list; the statute has no text to index")
    title = " ".join(str(record.get("title") or f"SFS {number}").split())
    sections, notes = rebuild_sections(provisions, where)
    raw_text = render(sections)
    text, markers = unwrap_statute_text(raw_text, join_lines=False)
    status = str(record.get("status") or "").strip().casefold()
    description = " ".join(str(record.get("description") or "").split())
    repealed: Any = None
    repealed_by = None
    if status == "repealed" or description.casefold().startswith("upphävd"):
        when = _DATE.search(description) if description.casefold().startswith("upphävd") else None
        repealed = field_date(when.group(1), where, "description") if when else True
        by = _REPEALED_BY.search(description)
        repealed_by = f"SFS {by.group(1)}" if by else None
    short_name = " ".join(str(record.get("short_name") or "").split())
    year, serial = number.split(":")
    fields: Fields = {
        "id": f"sfs-{year}-{serial}",
        "title": title,
        "text": text,
        "date": field_date(record.get("issued_date"), where, "issued_date"),
        "doc_type": provisions_doc_type(title, short_name),
        "source": "Riksdagen open data, split into provisions (swedish-law-mcp)",
        "url": str(record.get("url") or "").strip() or f"https://rkrattsbaser.gov.se/sfst?bet={number}",
        "language": "sv",
        "identifiers": [f"SFS {number}"],
        "aliases": [short_name] if short_name else [],
        "title_en": " ".join(str(record.get("title_en") or "").split()) or None,
        "sfs": number,
        "status": status or None,
        "in_force": field_date(record.get("in_force_date"), where, "in_force_date"),
        "repealed": repealed,
        "repealed_by": repealed_by,
        "relations": [{"type": "repealed_by", "target": repealed_by}] if repealed_by else [],
        "forarbeten": _forarbeten(record.get("preparatory_works"), where),
        "section_validity": section_validity(text, markers),
        "incomplete_sections": notes["incomplete"],
        "unplaced_titles": notes["unplaced_titles"],
    }
    return {k: v for k, v in fields.items() if v not in (None, [], "")} | {"text": text}


def provisions_doc_type(title: str, short_name: str = "") -> str:
    """ "lag" for a lag and for a grundlag (RF, TF, whatever their titles say), else by the title.

    >>> provisions_doc_type("Kungörelse (1974:152) om beslutad ny regeringsform", "RF")
    'lag'
    >>> provisions_doc_type("Arbetsmiljöförordning (1977:1166)")
    'förordning'
    """
    folded = title.casefold()
    if any(name in folded for name in _GRUNDLAGAR) or short_name in ("RF", "TF", "YGL", "SO", "RO"):
        return "lag"
    return statute_doc_type("", title)


# --- rebuilding the sections ----------------------------------------------------------------


class _Section:
    __slots__ = ("chapter", "number", "letter", "headings", "content")

    def __init__(self, chapter: str | None, number: int, letter: str, headings: list[str], content: str):
        self.chapter, self.number, self.letter, self.headings, self.content = chapter, number, letter, headings, content

    @property
    def key(self) -> tuple[int, str]:
        return (self.number, self.letter)

    @property
    def label(self) -> str:
        section = f"{self.number} {self.letter} §" if self.letter else f"{self.number} §"
        return f"{self.chapter} kap. {section}" if self.chapter else section


def rebuild_sections(provisions: list[Any], where: str) -> tuple[list[_Section], dict[str, list]]:
    """The statute's sections in order, each with its headings; see the module docstring (rules 2-5)."""
    items = [_provision(p, where, n) for n, p in enumerate(provisions)]
    chaptered = items[0][0] is not None
    if not chaptered:
        items = [(None, *rest) for _, *rest in items]
    else:  # a provision without a chapter inside a chaptered statute is in the chapter before it
        for n in range(1, len(items)):
            if items[n][0] is None:
                items[n] = (items[n - 1][0], *items[n][1:])
    reference_words = {w.casefold() for _, _, _, _, content in items for w in _REFERENCE.findall(content)}
    # Rules 2 and 3: anchors are provisions that open like a section and keep the numbering in order.
    anchors: list[list[Any]] = []  # [chapter, key, title, content]
    for chapter, key, title, ref, content in items:
        previous = anchors[-1] if anchors else None
        opens = content[:1].isupper() or bool(_MARKER_START.match(content))
        backwards = previous is not None and previous[0] == chapter and key < previous[1]
        if previous is not None and (not opens or backwards) and previous[0] == chapter:
            swallowed = f"{key[0]} {key[1]} §".replace("  ", " ") if key[1] else f"{key[0]} §"
            joined = swallowed + content if content[:1] in ".,;:)" else (swallowed + content if content.startswith("§") else f"{swallowed} {content}")
            body = previous[3].rstrip()
            previous[3] = body + joined if body.endswith(("-", "–")) else f"{body} {joined}"  # "2-" + "20 §§"
            if title:
                previous.append(title)
            continue
        anchors.append([chapter, key, title, content])
    # Rule 2: sections that stood inside a joined provision, between their neighbours' numbers.
    sections: list[_Section] = []
    unplaced: list[dict[str, str]] = []
    for i, (chapter, key, title, content, *lost_titles) in enumerate(anchors):
        following = anchors[i + 1] if i + 1 < len(anchors) else None
        upper = following[1] if following is not None and following[0] == chapter else (10**6, "")
        first_of_chapter = not sections or sections[-1].chapter != chapter
        headings = []
        if title and (first_of_chapter or len(title.split()) <= _MAX_TITLE_WORDS):
            headings.append(title)
        elif title:
            lost_titles = [title, *lost_titles]
        section = _Section(chapter, key[0], key[1], headings, content)
        for lost in lost_titles:
            unplaced.append({"label": section.label, "title": lost})
        sections += _split_inline(section, upper, reference_words)
    # Rule 1: a heading glued to the end of a section belongs to the next one (or its chapter).
    incomplete: list[str] = []
    for i, section in enumerate(sections):
        body, heading = split_trailing_heading(section.content, reference_words)
        if heading and i + 1 < len(sections):
            section.content = body
            sections[i + 1].headings.insert(0, heading)
        if not re.search(r"[.:;!?)]\s*$", section.content):
            incomplete.append(section.label)
    placed = {(s.label, h) for s in sections for h in s.headings}
    unplaced = [u for u in unplaced if (u["label"], u["title"]) not in placed]  # the same heading came glued
    return sections, {"incomplete": incomplete, "unplaced_titles": unplaced}


def _split_inline(section: _Section, upper: tuple[int, str], reference_words: set[str]) -> list[_Section]:
    """The section and the sections found inside its content (numbered above it, below `upper`)."""
    out = [section]
    text = section.content
    start = 0
    current = section.key
    pieces: list[tuple[int, int, tuple[int, str], str]] = []  # (cut at, text from, key, heading)
    for match in _INLINE_SECTION.finditer(text):
        key = (int(match.group(1)), match.group(2) or "")
        if not (current < key < upper):
            continue
        before = text[start : match.start()]
        body, heading = split_trailing_heading(before.rstrip(), reference_words, allow_empty_body=False)
        if heading is None and not re.search(r"[.:;!?)]\s*$", before.rstrip()):
            continue  # not after a sentence end: a reference inside a sentence
        cut = start + len(body) if heading is not None else match.start()
        pieces.append((cut, match.end(), key, heading or ""))
        current = key
        start = match.end()
    if not pieces:
        return out
    section.content = text[: pieces[0][0]].rstrip()
    for n, (cut, begin, key, heading) in enumerate(pieces):
        end = pieces[n + 1][0] if n + 1 < len(pieces) else len(text)
        out.append(_Section(section.chapter, key[0], key[1], [heading] if heading else [], text[begin:end].strip()))
    return out


def split_trailing_heading(content: str, reference_words: set[str], allow_empty_body: bool = False) -> tuple[str, str | None]:
    """(content, heading) with a heading glued to the end of `content` taken off; heading None when there is none.

    >>> split_trailing_heading("Den gäller. Lag (2018:1801). Periodiska skrifter", {"enligt"})
    ('Den gäller. Lag (2018:1801).', 'Periodiska skrifter')
    >>> split_trailing_heading("Den gäller. Tillsynsmyndighetens beslut enligt", {"enligt"})
    ('Den gäller. Tillsynsmyndighetens beslut enligt', None)
    """
    content = content.rstrip()
    ends = list(re.finditer(r"[.:;!?)](?=\s)", content))
    if not ends:
        return content, None
    last = ends[-1]
    phrase = content[last.end() :].strip()
    words = phrase.split()
    if not phrase or not phrase[:1].isupper() or len(words) > _MAX_HEADING_WORDS:
        return content, None
    if re.search(r"[\d§()]|[.:;!?](?=\s|$)", phrase) or words[-1].casefold().strip(",") in reference_words:
        return content, None
    body = content[: last.end()].rstrip()
    if not body and not allow_empty_body:
        return content, None
    return body, phrase


def render(sections: list[_Section]) -> str:
    """The statute text: "N kap." lines, heading lines, one "N § ..." line per section."""
    blocks: list[str] = []
    chapter: str | None = None
    for section in sections:
        headings = list(section.headings)
        if section.chapter is not None and section.chapter != chapter:
            chapter = section.chapter
            blocks.append(f"{chapter} kap.")
        blocks += headings
        number = f"{section.number} {section.letter} §" if section.letter else f"{section.number} §"
        blocks.append(f"{number} {section.content}".rstrip())
    return "\n\n".join(blocks)


def _provision(item: Any, where: str, n: int) -> tuple[str | None, tuple[int, str], str, str, str]:
    if not isinstance(item, dict):
        raise InputError(where, f"field 'provisions[{n}]' is not an object; each provision is {{provision_ref, chapter, section, content}}")
    ref = str(item.get("provision_ref") or "")
    match = _SECTION_NUMBER.match(str(item.get("section") or ""))
    if not match:
        raise InputError(where, f"field 'provisions[{n}].section' {item.get('section')!r} (provision {ref!r}) is not a section number such as '16' or '2 a'")
    content = " ".join(str(item.get("content") or "").split())
    if not content:
        raise InputError(where, f"field 'provisions[{n}].content' (provision {ref!r}) is empty; every provision needs its text")
    chapter = str(item.get("chapter") or "").strip() or None
    if chapter is not None and not re.fullmatch(r"\d{1,3}(?: ?[a-z])?", chapter):
        raise InputError(where, f"field 'provisions[{n}].chapter' {chapter!r} (provision {ref!r}) is not a chapter number such as '2'")
    title = " ".join(str(item.get("title") or "").split())
    return chapter, (int(match.group(1)), match.group(2) or ""), title, ref, content


def _forarbeten(value: Any, where: str) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, list):
        raise InputError(where, "field 'preparatory_works' is not a list; expected [{prep_document_id, title}]")
    names = []
    for n, item in enumerate(value):
        if not isinstance(item, dict) or not str(item.get("prep_document_id") or "").strip():
            raise InputError(where, f"field 'preparatory_works[{n}]' has no 'prep_document_id'; expected {{prep_document_id, title}}")
        kind = "Prop." if str(item.get("title") or "").startswith("Proposition") or not item.get("title") else str(item["title"]).split(" ", 1)[0]
        names.append(f"{kind} {str(item['prep_document_id']).strip()}")
    return ", ".join(dict.fromkeys(names)) or None


FORMAT = NativeFormat(
    name="law-provisions",
    suffixes=(".json",),
    sniff=sniff,
    read=read,
    description="A statute split into provisions (JSON id, title, status, provisions[provision_ref, chapter, section, content])",
)
