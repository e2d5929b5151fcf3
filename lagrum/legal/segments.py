"""The chapters, sections and articles of a statute's text, as labelled spans.

A Swedish statute is read at chapter lines ("2 kap.") and section lines ("5 a §"), an EU act at
its articles ("Artikel 88") and recitals ("(12) ..."); `statute_segments` returns one
`StatuteSegment` per chapter opening, section, article, recital or appendix, with the label
passages and provisions are known by ("2 kap. 5 a §", "art. 88", "skäl 12", "bilaga 1").
Ingest cuts statutes into passages along these segments (`ingest.chunking`) and records the
sections' validity by these labels (`ingest.formats.sfs_json`); the legal layer reads a stored
statute's sections by them (`lagrum.legal.timeline`), so the segmenter lives in the core.

>>> [s.label for s in statute_segments("1 kap. Allmänt\\n\\n1 § A.\\n\\n2 § B.")]
['1 kap. 1 §', '1 kap. 2 §']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lagrum.sentences import ABBREVIATIONS, is_heading_line

_NUMBER = r"\d+(?: ?[a-z])?"
# "2 kap." or "2 kap. Rubrik" alone on a line (optionally as a markdown heading).
_CHAPTER_LINE = re.compile(rf"^[ \t]*(?:#+[ \t]*)?({_NUMBER})[ \t]+kap\.(?:[ \t]+([^\n]*?))?[ \t]*$", re.MULTILINE)
# "5 §", "5 a §", "23 § Text ..." at the start of a line.
_SECTION_LINE = re.compile(rf"^[ \t]*(?:#+[ \t]*)?({_NUMBER})[ \t]*§", re.MULTILINE)
# EU acts: "Artikel 88" alone on a line, "KAPITEL IX" alone on a line, recitals "(12) Text".
_ARTICLE_LINE = re.compile(r"^[ \t]*(?:#+[ \t]*)?Artikel[ \t]+(\d+[ \t]?[a-z]?)[ \t]*$", re.MULTILINE)
_EU_CHAPTER_LINE = re.compile(r"^[ \t]*(?:#+[ \t]*)?KAPITEL[ \t]+([IVXLC]+)[ \t]*$", re.MULTILINE)
# Part of every document's content hash (ingest.pipeline): a change in how statutes are segmented
# re-chunks them on the next ingest. 2: transitional provisions are their own segment.
SEGMENTS_VERSION = 2
# "Bilaga 1" or "Bilaga 2 Tabell ..." as a heading line: an appendix after the last section.
_APPENDIX_LINE = re.compile(r"^[ \t]*Bilaga[ \t]+(?:\d{1,2}|[A-Z])\b[^\n]*$", re.MULTILINE)
# The consolidated text's transitional provisions after the last section, under their own heading
# and the amending SFS numbers ("Övergångsbestämmelser\n\n2009:400\n\n1. Denna lag träder i kraft ...").
_TRANSITIONAL_LINE = re.compile(r"^[ \t]*Övergångsbestämmelser[ \t]*$", re.MULTILINE)
_RECITAL_LINE = re.compile(r"^[ \t]*\((\d{1,3})\)[ \t]+\S", re.MULTILINE)


@dataclass(frozen=True)
class StatuteSegment:
    """A chapter opening or one section (§) of a statute: `text[start:end]` and its label.

    `version` counts the wordings of one section printed one after the other (the consolidated
    text prints a section that is about to change twice: the wording that "upphör att gälla"
    and the one that "träder i kraft"); the second and later get " (lydelse 2)" in their label.
    """

    start: int
    end: int
    chapter: str | None
    section: str | None  # the § number, None for text under a chapter heading before its first §
    version: int = 1

    name: str | None = None  # EU acts: "art. 88", "skäl 12"; the label when set

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        chapter = f"{self.chapter} kap." if self.chapter else ""
        if self.section is None:
            return chapter
        suffix = f" (lydelse {self.version})" if self.version > 1 else ""
        return f"{chapter} {self.section} §{suffix}".strip()


def statute_segments(text: str) -> list[StatuteSegment] | None:
    """Find the chapters and sections of a statute; None when there is neither.

    The first segment starts at offset 0 with `chapter` and `section` None when there is
    text before the first chapter or section (title, preamble). Headings right above a
    section belong to that section; a chapter heading directly followed by its first
    section is part of that section's segment.

    A chapter or section line opens a paragraph: it follows a blank line, a heading line, a
    chapter line or the end of a sentence, and the section's text starts with a capital letter,
    so a reference wrapped onto the start of a line ("8 § 2 lagen ...", "6 § eller ...") is not
    a section. Section numbers run in order within a chapter: one out of order is a reference
    inside the section before it. The same number twice in a row is two wordings of one
    section (see `StatuteSegment.version`).

    >>> [s.label for s in statute_segments("1 kap. Allmänt\\n\\n1 § A.\\n\\nRubrik\\n\\n2 a § B.")]
    ['1 kap. 1 §', '1 kap. 2 a §']
    >>> [s.label for s in statute_segments("2 kap.\\n\\nRubrik\\n\\n1 § A enligt\\n3 § annan lag.\\n\\n2 § B.")]
    ['2 kap. 1 §', '2 kap. 2 §']
    """
    if not _SECTION_LINE.search(text) and len(_ARTICLE_LINE.findall(text)) >= 2:
        return eu_segments(text)
    markers: list[tuple[int, str | None, str | None]] = []  # (line start, chapter, section)
    for match in _CHAPTER_LINE.finditer(text):
        title = match.group(2) or ""
        ends_sentence = bool(title) and title[-1] in ".!?:;," and not title.endswith(("m.m.", "m.fl.", "m. m."))
        if "§" in title or ends_sentence:
            continue  # a sentence that opens with a chapter reference, not a chapter heading
        if title[:1].islower() or not _opens_paragraph(text, match.start()):
            continue  # "44 kap." wrapped onto its own line inside a sentence
        markers.append((match.start(), _number(match.group(1)), None))
    chapter_starts = {m[0] for m in markers}
    for match in _SECTION_LINE.finditer(text):
        if match.start() in chapter_starts:
            continue
        after = text[match.end() : match.end() + 3].lstrip(" \t")[:1]
        if after and (after.islower() or after.isdigit() or after in ",;:)–-§"):
            continue  # "8 § 2 lagen", "6 § eller", "5 §§": a reference, not a section's text
        if _opens_paragraph(text, match.start()):
            markers.append((match.start(), None, _number(match.group(1))))
    if not markers:
        return None
    markers = _in_order(sorted(markers))
    starts = [_skip_space(text, m[0]) for m in markers]
    starts[0] = _attach_opening_headings(text, starts[0])
    for i in range(1, len(starts)):
        starts[i] = _attach_headings(text, starts[i - 1], starts[i])
    # Transitional provisions and appendices after the last section ("Övergångsbestämmelser",
    # "Bilaga 1 ...") are their own segments, not part of it: "44 kap. 5 §" is not the entry into force.
    tail = [(m.start(), "bilaga " + m.group(0).split(None, 2)[1]) for m in _APPENDIX_LINE.finditer(text, starts[-1]) if is_heading_line(m.group(0))]
    tail += [(m.start(), "övergångsbestämmelser") for m in _TRANSITIONAL_LINE.finditer(text, starts[-1])][:1]
    names: list[str | None] = [None] * len(markers)
    for position, name in sorted(tail):
        markers.append((position, None, None))
        starts.append(_skip_space(text, position))
        names.append(name)
    segments: list[StatuteSegment] = []
    if text[: starts[0]].strip():
        segments.append(StatuteSegment(_skip_space(text, 0), _rstrip_end(text, 0, starts[0]), None, None))
    chapter: str | None = None
    previous: tuple[str | None, str | None] = (None, None)
    version = 1
    for i, (_, chapter_mark, section) in enumerate(markers):
        end = starts[i + 1] if i + 1 < len(markers) else len(text)
        chapter = chapter_mark or chapter
        if chapter_mark is not None:
            previous = (None, None)
        version = version + 1 if section is not None and (chapter, section) == previous else 1
        if section is not None:
            previous = (chapter, section)
        segment_chapter = None if names[i] else chapter
        segments.append(StatuteSegment(starts[i], _rstrip_end(text, starts[i], end), segment_chapter, section, version, names[i]))
    return _merge_bare_chapter_headings(text, segments)


def eu_segments(text: str) -> list[StatuteSegment] | None:
    """Articles ("art. 88") and recitals ("skäl 12") of an EU act; None when it has no articles.

    A chapter heading ("KAPITEL IX" and its title line) starts the segment of the article
    below it; text before the first recital or article (title, citations) has no label.

    >>> act = "Förordning\\n\\n(1) Skäl ett.\\n\\nKAPITEL I\\nAllmänt\\n\\nArtikel 1\\nSyfte\\n\\nText.\\n\\nArtikel 2\\nText."
    >>> [s.label for s in eu_segments(act)]
    ['', 'skäl 1', 'art. 1', 'art. 2']
    """
    articles = list(_ARTICLE_LINE.finditer(text))
    if not articles:
        return None
    first_article = articles[0].start()
    markers: list[tuple[int, str]] = [(m.start(), f"art. {_number(m.group(1))}") for m in articles]
    markers += [(m.start(), f"skäl {m.group(1)}") for m in _RECITAL_LINE.finditer(text, 0, first_article)]
    chapters = [m.start() for m in _EU_CHAPTER_LINE.finditer(text)]
    markers.sort()
    starts = [_skip_space(text, m[0]) for m in markers]
    for i, (position, name) in enumerate(markers):
        if name.startswith("art."):
            floor = starts[i - 1] if i else 0
            above = [c for c in chapters if floor < c < position and _only_headings(text, c, position)]
            if above:
                starts[i] = _skip_space(text, above[0])  # the chapter heading opens its first article
    segments: list[StatuteSegment] = []
    if text[: starts[0]].strip():
        segments.append(StatuteSegment(_skip_space(text, 0), _rstrip_end(text, 0, starts[0]), None, None))
    for i, (_, name) in enumerate(markers):
        end = starts[i + 1] if i + 1 < len(markers) else len(text)
        segments.append(StatuteSegment(starts[i], _rstrip_end(text, starts[i], end), None, None, name=name))
    return segments


def _opens_paragraph(text: str, line_start: int, depth: int = 0) -> bool:
    """True when the line at `line_start` follows a blank line, a heading, a chapter line or a sentence's end."""
    before = text[:line_start]
    body = before.rstrip()
    if not body or before[len(body) :].count("\n") >= 2:
        return True
    line_start_before = body.rfind("\n") + 1
    previous_line = body[line_start_before:].strip()
    if _CHAPTER_LINE.fullmatch(previous_line):
        return True
    if is_heading_line(previous_line):
        # A heading stands in its own paragraph (after a blank line, a chapter line or a sentence's
        # end, as in PDF text without blank lines); a short wrapped line inside a sentence does not.
        return line_start_before == 0 or (depth < 3 and _opens_paragraph(text, line_start_before, depth + 1))
    # The end of a sentence; "enligt 8 kap." and "se 2 §§" carry on onto the next line.
    if previous_line[-1:] not in ".!?:":
        return False
    if re.search(r"§§?\.$", previous_line):
        return False
    last_word = re.search(r"([A-Za-zÅÄÖåäö]+)\.$", previous_line)
    return not (last_word and last_word.group(1).lower() in ABBREVIATIONS)


def _section_key(section: str) -> tuple[int, str]:
    number, _, letter = section.partition(" ")
    return (int(number), letter) if number.isdigit() else (0, section)


def _in_order(markers: list[tuple[int, str | None, str | None]]) -> list[tuple[int, str | None, str | None]]:
    """Drop section markers whose number is out of order within their chapter (references)."""
    kept: list[tuple[int, str | None, str | None]] = []
    last: tuple[int, str] | None = None
    for i, marker in enumerate(markers):
        if marker[2] is None:  # a chapter line starts a new count
            kept.append(marker)
            last = None
            continue
        key = _section_key(marker[2])
        following = markers[i + 1] if i + 1 < len(markers) else None
        next_key = _section_key(following[2]) if following is not None and following[2] is not None else None
        if last is not None and key < last:
            continue  # lower than the section before it: a reference
        if next_key is not None and key > next_key and (last is None or next_key >= last):
            continue  # a jump the next section does not follow: a reference
        kept.append(marker)
        last = key
    return kept


def _merge_bare_chapter_headings(text: str, segments: list[StatuteSegment]) -> list[StatuteSegment]:
    """A chapter heading with no text of its own before its first § belongs to that §."""
    merged: list[StatuteSegment] = []
    pending_start: int | None = None
    for i, segment in enumerate(segments):
        start = segment.start if pending_start is None else pending_start
        pending_start = None
        bare = segment.section is None and segment.chapter is not None and _only_headings(text, segment.start, segment.end)
        if bare and i + 1 < len(segments) and segments[i + 1].chapter == segment.chapter:
            pending_start = start
            continue
        merged.append(StatuteSegment(start, segment.end, segment.chapter, segment.section, segment.version, segment.name))
    return merged


def _only_headings(text: str, start: int, end: int) -> bool:
    lines = [line for line in text[start:end].split("\n") if line.strip()]
    return all(is_heading_line(line) or _CHAPTER_LINE.fullmatch(line) for line in lines)


def _attach_headings(text: str, floor: int, start: int) -> int:
    """Move `start` back over heading lines directly above it, never back to `floor`'s line."""
    floor_line_end = text.find("\n", floor, start)
    if floor_line_end == -1:
        return start
    position = start
    while True:
        line_end = _rstrip_end(text, floor_line_end, position)
        if line_end <= floor_line_end:
            return position
        line_start = text.rfind("\n", floor_line_end, line_end) + 1
        if line_start <= floor_line_end or not is_heading_line(text[line_start:line_end]):
            return position
        position = _skip_space(text, line_start)


def _attach_opening_headings(text: str, start: int) -> int:
    """Move the first marker back over heading lines above it ("Uppgifter" over "1 §"), never over
    a title: a line with parentheses ("Förordning (2007:827) med instruktion ...") stays the preamble."""
    position = start
    while True:
        line_end = _rstrip_end(text, 0, position)
        if line_end == 0:
            return position
        line_start = text.rfind("\n", 0, line_end) + 1
        line = text[line_start:line_end]
        if "(" in line or not is_heading_line(line):
            return position
        position = _skip_space(text, line_start)


def _number(raw: str) -> str:
    """Normalise a chapter or section number: "5a" and "5 a" both become "5 a"."""
    match = re.fullmatch(r"(\d+) ?([a-z]?)", raw.strip())
    return f"{match.group(1)} {match.group(2)}".strip() if match else raw.strip()


def _skip_space(text: str, position: int, end: int | None = None) -> int:
    end = len(text) if end is None else end
    while position < end and text[position].isspace():
        position += 1
    return position


def _rstrip_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end
