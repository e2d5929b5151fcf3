"""Cut a document's canonical text into passages that fit the embedder, as exact spans.

Prose (decisions, rulings, articles) is cut at paragraphs: paragraphs are merged greedily up
to the token budget, a paragraph over the budget is cut at sentence ends, and only a single
sentence over the budget is cut between words. A heading starts a new passage and names the
`section` of the passages under it.

Statutes (`doc_type` "lag" or "förordning") are cut at chapters ("2 kap.") and sections
("5 a §") at line starts, so every passage carries a label such as "2 kap. 5 a §". An EU act
(lines "Artikel 88", no "§" lines) is cut at its articles, labelled "art. 88", and its
recitals "(12) ..." before the first article are labelled "skäl 12" (short ones shared:
"skäl 12–14"); a "KAPITEL IX" heading belongs to the article under it. Appendices after the
last section ("Bilaga 1" heading lines) are labelled "bilaga 1" instead of that section. Short
consecutive sections of one chapter share a passage ("2 kap. 3–5 §§"); a long section is cut
at sentence ends and keeps its label. Text before the first chapter or section (title,
preamble) forms its own passages without a label.

Every span is a contiguous range of the text with no surrounding whitespace, no span is empty,
and together they cover every non-whitespace character. Token counts are taken once per
paragraph or sentence and summed; each finished passage is then counted once more, and the
rare passage the sum underestimated is cut again, so none exceeds `max_tokens`.

>>> text = "Kamerabevakning\\n\\nArbetsgivaren satte upp kameror. De anställda klagade."
>>> spans = chunk_text(text, "beslut", count_tokens=lambda s: len(s.split()) + 2, max_tokens=64)
>>> [(text[s.start : s.end][:15], s.section) for s in spans]
[('Kamerabevakning', 'Kamerabevakning')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from lagrum.documents import STATUTE_TYPES

from lagrum.sentences import ABBREVIATIONS, is_heading_line, split_sentences

TokenCounter = Callable[[str], int]

# A passage whose body has fewer tokens than this is not worth closing at a heading: the
# heading joins it instead (a date line above a title, a one-line lead-in).
MIN_BODY_TOKENS = 24
# At most this share of a passage's budget may be spent on sentences repeated as overlap.
MAX_OVERLAP_SHARE = 0.5

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_WORD = re.compile(r"\S+")
_NUMBER = r"\d+(?: ?[a-z])?"
# "2 kap." or "2 kap. Rubrik" alone on a line (optionally as a markdown heading).
_CHAPTER_LINE = re.compile(rf"^[ \t]*(?:#+[ \t]*)?({_NUMBER})[ \t]+kap\.(?:[ \t]+([^\n]*?))?[ \t]*$", re.MULTILINE)
# "5 §", "5 a §", "23 § Text ..." at the start of a line.
_SECTION_LINE = re.compile(rf"^[ \t]*(?:#+[ \t]*)?({_NUMBER})[ \t]*§", re.MULTILINE)
# EU acts: "Artikel 88" alone on a line, "KAPITEL IX" alone on a line, recitals "(12) Text".
_ARTICLE_LINE = re.compile(r"^[ \t]*(?:#+[ \t]*)?Artikel[ \t]+(\d+[ \t]?[a-z]?)[ \t]*$", re.MULTILINE)
_EU_CHAPTER_LINE = re.compile(r"^[ \t]*(?:#+[ \t]*)?KAPITEL[ \t]+([IVXLC]+)[ \t]*$", re.MULTILINE)
# "Bilaga 1" or "Bilaga 2 Tabell ..." as a heading line: an appendix after the last section.
_APPENDIX_LINE = re.compile(r"^[ \t]*Bilaga[ \t]+(?:\d{1,2}|[A-Z])\b[^\n]*$", re.MULTILINE)
_RECITAL_LINE = re.compile(r"^[ \t]*\((\d{1,3})\)[ \t]+\S", re.MULTILINE)


@dataclass(frozen=True)
class ChunkSpan:
    """One passage: `text[start:end]`, and the heading or statute section it belongs to."""

    start: int
    end: int
    section: str | None = None


def chunk_text(
    text: str,
    doc_type: str,
    count_tokens: TokenCounter,
    max_tokens: int = 320,
    overlap_sentences: int = 0,
) -> list[ChunkSpan]:
    """Cut `text` into passages of at most `max_tokens` tokens, returned as spans into it.

    :param text: the document's canonical (cleaned) text.
    :param doc_type: the document type; "lag" and "förordning" are cut at chapters and sections.
    :param count_tokens: the embedder's token counter (including its special tokens).
    :param max_tokens: the token budget of one passage.
    :param overlap_sentences: how many trailing sentences of a passage to repeat at the start
        of the next when one paragraph, section or run of text is cut in several passages;
        never across a heading or from one statute section to the next.
    :returns: spans in text order; empty for a blank text.

    >>> counter = lambda s: len(s.split()) + 2  # words as tokens
    >>> law = "Testlag (fiktiv)\\n\\n1 kap. Inledning\\n\\n1 § Lagen gäller.\\n\\n2 § Den gäller alltid."
    >>> [s.section for s in chunk_text(law, "lag", counter, max_tokens=10)]
    [None, '1 kap. 1 §', '1 kap. 2 §']
    """
    if overlap_sentences < 0:
        raise ValueError(f"overlap_sentences={overlap_sentences} must be 0 or more")
    chunker = _Chunker(text, count_tokens, max_tokens, overlap_sentences)
    if not text.strip():
        return []
    segments = statute_segments(text) if doc_type in STATUTE_TYPES else None
    spans = chunker.statute(segments) if segments else chunker.prose(0, len(text), None, follow_headings=True)
    return chunker.within_budget(spans)


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
    # Appendices after the last section ("Bilaga 1 ...") are their own segments, not part of it.
    appendices = [m.start() for m in _APPENDIX_LINE.finditer(text, starts[-1]) if is_heading_line(m.group(0))]
    names: list[str | None] = [None] * len(markers)
    for position in appendices:
        markers.append((position, None, None))
        starts.append(_skip_space(text, position))
        names.append("bilaga " + text[position:].split(None, 2)[1])
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


class _Chunker:
    """Token bookkeeping and packing for one text."""

    def __init__(self, text: str, count_tokens: TokenCounter, max_tokens: int, overlap_sentences: int):
        self.text = text
        self.count_tokens = count_tokens
        self.max_tokens = max_tokens
        self.overlap_sentences = overlap_sentences
        # The tokenizer's fixed cost per call (special tokens): count("a") twice minus count("a a").
        self.overhead = max(0, 2 * count_tokens("a") - count_tokens("a a"))
        self.budget = max_tokens - self.overhead  # content tokens per passage
        # Spans whose summed estimate, plus one token per join, is within budget: not recounted.
        self.surely_fit: set[tuple[int, int]] = set()
        if self.budget < 8:
            raise ValueError(
                f"max_tokens={max_tokens} leaves {self.budget} tokens for text after the model's "
                f"{self.overhead} special tokens; use a larger max_tokens (e.g. 320)"
            )

    def content_tokens(self, start: int, end: int) -> int:
        return max(0, self.count_tokens(self.text[start:end]) - self.overhead)

    # --- prose --------------------------------------------------------------------------

    def prose(self, start: int, end: int, section: str | None, follow_headings: bool) -> list[ChunkSpan]:
        """Pack the paragraphs of `text[start:end]`; headings open passages when followed."""
        units = self._units(start, end, follow_headings)
        return _Packer(self, section).pack(units)

    def _units(self, start: int, end: int, follow_headings: bool) -> list[_Unit]:
        units: list[_Unit] = []
        for par_start, par_end in _paragraphs(self.text, start, end):
            body_start = par_start
            if follow_headings:
                heading = _leading_heading(self.text, par_start, par_end)
                if heading is not None:
                    heading_end, label = heading
                    units.append(_Unit(par_start, heading_end, self.content_tokens(par_start, heading_end), label))
                    body_start = _skip_space(self.text, heading_end)
            if body_start < par_end:
                units.extend(self._body_units(body_start, par_end))
        return units

    def _body_units(self, start: int, end: int) -> list[_Unit]:
        """One unit for a paragraph that fits, else its sentences (and pieces of long ones)."""
        tokens = self.content_tokens(start, end)
        if tokens <= self.budget:
            return [_Unit(start, end, tokens, paragraph=True)]
        return self.sentence_units(start, end)

    def sentence_units(self, start: int, end: int) -> list[_Unit]:
        """The sentences of `text[start:end]`, an over-long one cut between words."""
        units = []
        for s_start, s_end in split_sentences(self.text, start, end):
            s_tokens = self.content_tokens(s_start, s_end)
            if s_tokens <= self.budget:
                units.append(_Unit(s_start, s_end, s_tokens))
            else:
                for p_start, p_end in self.split_words(s_start, s_end):
                    units.append(_Unit(p_start, p_end, self.content_tokens(p_start, p_end)))
        return units

    def split_words(self, start: int, end: int) -> list[tuple[int, int]]:
        """Cut an over-long sentence between words into pieces that fit, by binary search."""
        words = [(m.start(), m.end()) for m in _WORD.finditer(self.text, start, end)]
        pieces: list[tuple[int, int]] = []
        first = 0
        while first < len(words):
            # Find the last word that still fits; every word costs at least one token.
            low, high = first, min(len(words) - 1, first + self.max_tokens)
            if self.count_tokens(self.text[words[first][0] : words[high][1]]) <= self.max_tokens:
                low = high
            else:
                while low < high:
                    middle = (low + high + 1) // 2
                    if self.count_tokens(self.text[words[first][0] : words[middle][1]]) <= self.max_tokens:
                        low = middle
                    else:
                        high = middle - 1
            piece = (words[first][0], words[low][1])
            if self.count_tokens(self.text[piece[0] : piece[1]]) > self.max_tokens:
                pieces.extend(self._split_characters(*piece))  # one "word" over the budget
            else:
                pieces.append(piece)
            first = low + 1
        return pieces

    def _split_characters(self, start: int, end: int) -> list[tuple[int, int]]:
        if end - start <= 1 or self.count_tokens(self.text[start:end]) <= self.max_tokens:
            return [(start, end)]
        middle = (start + end) // 2
        return self._split_characters(start, middle) + self._split_characters(middle, end)

    # --- statutes -----------------------------------------------------------------------

    def statute(self, segments: list[StatuteSegment]) -> list[ChunkSpan]:
        """Preamble as prose without a label; sections alone, merged when short, cut when long."""
        spans: list[ChunkSpan] = []
        group: list[StatuteSegment] = []
        group_tokens = 0

        def close_group() -> None:
            if group:
                spans.append(ChunkSpan(group[0].start, group[-1].end, _group_label(group)))
                self.note_estimate(group[0].start, group[-1].end, group_tokens, len(group))
                group.clear()

        # Wordings of one section stand alone, so each passage has one wording's label.
        versioned = {i for i in range(1, len(segments)) if segments[i].version > 1}
        versioned |= {i - 1 for i in versioned}
        for n, segment in enumerate(segments):
            if segment.name:
                tokens = self.content_tokens(segment.start, segment.end)
                recital = segment.name.startswith("skäl")
                if tokens > self.budget:
                    close_group()
                    spans.extend(self.prose(segment.start, segment.end, segment.label, follow_headings=False))
                    continue
                joinable = recital and group and (group[-1].name or "").startswith("skäl")
                if not joinable or group_tokens + tokens > self.budget:
                    close_group()
                    group_tokens = 0
                group.append(segment)
                group_tokens += tokens
                if not recital:
                    close_group()  # an article stands alone
                continue
            if segment.chapter is None and segment.section is None:
                close_group()
                spans.extend(self.prose(segment.start, segment.end, None, follow_headings=False))
                continue
            tokens = self.content_tokens(segment.start, segment.end)
            if tokens > self.budget:
                close_group()
                spans.extend(self.prose(segment.start, segment.end, segment.label, follow_headings=False))
                continue
            joinable = (
                group
                and segment.section is not None
                and group[-1].chapter == segment.chapter
                and group[-1].section is not None
                and _section_key(group[-1].section) < _section_key(segment.section)
                and n not in versioned
                and n - 1 not in versioned
            )
            if not joinable or group_tokens + tokens > self.budget:
                close_group()
                group_tokens = 0
            group.append(segment)
            group_tokens += tokens
            if segment.section is None:
                close_group()  # text under a chapter heading stands alone
        close_group()
        return spans

    # --- final check --------------------------------------------------------------------

    def note_estimate(self, start: int, end: int, tokens: int, parts: int) -> None:
        """Remember a span as safe when its summed estimate leaves a token of slack per join."""
        if tokens + parts - 1 <= self.budget:
            self.surely_fit.add((start, end))

    def within_budget(self, spans: list[ChunkSpan]) -> list[ChunkSpan]:
        """Recount passages near the budget; cut again the rare one the summed estimate let through."""
        checked: list[ChunkSpan] = []
        for span in spans:
            if (span.start, span.end) in self.surely_fit:
                checked.append(span)
                continue
            checked.extend(self._fit(span.start, span.end, span.section))
        return checked

    def _fit(self, start: int, end: int, section: str | None) -> list[ChunkSpan]:
        if self.count_tokens(self.text[start:end]) <= self.max_tokens:
            return [ChunkSpan(start, end, section)]
        sentences = split_sentences(self.text, start, end)
        if len(sentences) < 2:
            return [ChunkSpan(s, e, section) for s, e in self.split_words(start, end)]
        middle = (start + end) // 2
        cut = min(range(1, len(sentences)), key=lambda i: abs(sentences[i][0] - middle))
        return self._fit(start, sentences[cut - 1][1], section) + self._fit(sentences[cut][0], end, section)


@dataclass
class _Unit:
    """A paragraph, sentence or word run: the smallest thing the packer places."""

    start: int
    end: int
    tokens: int  # content tokens, without the tokenizer's special tokens
    heading: str | None = None  # the section label when this unit is a heading
    paragraph: bool = False  # a whole paragraph, which may still be cut at sentence ends


class _Packer:
    """Greedy packing of units into passages, with headings and sentence overlap."""

    def __init__(self, chunker: _Chunker, section: str | None):
        self.chunker = chunker
        self.spans: list[ChunkSpan] = []
        self.units: list[_Unit] = []
        self.tokens = 0
        self.body_tokens = 0
        self.section = section  # label of the passage being built
        self.current = section  # label of the nearest heading so far

    def pack(self, units: list[_Unit]) -> list[ChunkSpan]:
        for unit in units:
            if unit.heading is not None:
                self._add_heading(unit)
            else:
                self._add_body(unit)
        self._close_last()
        return self.spans

    def _add_heading(self, unit: _Unit) -> None:
        if self.body_tokens >= min(MIN_BODY_TOKENS, self.chunker.budget // 4) or (
            self.units and self.tokens + unit.tokens > self.chunker.budget
        ):
            self._close()
        self.current = unit.heading
        if self.body_tokens < min(MIN_BODY_TOKENS, self.chunker.budget // 4):
            self.section = unit.heading
        self.units.append(unit)
        self.tokens += unit.tokens

    def _add_body(self, unit: _Unit) -> None:
        overflows = self.units and self.tokens + unit.tokens > self.chunker.budget
        if overflows and unit.paragraph and self.body_tokens < min(MIN_BODY_TOKENS, self.chunker.budget // 4):
            # Only a heading so far: give it the paragraph's first sentences rather than close it bare.
            for sentence in self.chunker.sentence_units(unit.start, unit.end):
                self._add_body(sentence)
            return
        if overflows:
            closed = self._close()
            if closed is not None and self.chunker.overlap_sentences:
                self._start_with_overlap(closed, unit)
        self.units.append(unit)
        self.tokens += unit.tokens
        self.body_tokens += unit.tokens

    def _close(self) -> ChunkSpan | None:
        if not self.units:
            return None
        span = ChunkSpan(self.units[0].start, self.units[-1].end, self.section)
        had_body = self.body_tokens > 0
        self.spans.append(span)
        self.chunker.note_estimate(span.start, span.end, self.tokens, len(self.units))
        self.units, self.tokens, self.body_tokens = [], 0, 0
        self.section = self.current
        return span if had_body else None

    def _start_with_overlap(self, previous: ChunkSpan, unit: _Unit) -> None:
        """Open the next passage with the last sentences of `previous`, as far as they fit."""
        chunker = self.chunker
        sentences = split_sentences(chunker.text, previous.start, previous.end)
        count = min(chunker.overlap_sentences, len(sentences) - 1)
        limit = min(chunker.budget - unit.tokens, int(chunker.budget * MAX_OVERLAP_SHARE))
        while count > 0:
            start = sentences[-count][0]
            tokens = chunker.content_tokens(start, previous.end)
            if tokens <= limit:
                self.units.append(_Unit(start, previous.end, tokens))
                self.tokens += tokens
                return
            count -= 1

    def _close_last(self) -> None:
        """Close the last passage; a trailing heading with no text joins the one before it."""
        if self.units and self.body_tokens == 0 and self.spans:
            last = self.spans[-1]
            if self.chunker.content_tokens(last.start, self.units[-1].end) <= self.chunker.budget:
                self.spans[-1] = ChunkSpan(last.start, self.units[-1].end, last.section)
                self.units = []
                return
        self._close()


def _paragraphs(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Blank-line separated paragraphs of `text[start:end]`, stripped, never empty."""
    paragraphs = []
    position = start
    for match in _PARAGRAPH_BREAK.finditer(text, start, end):
        paragraphs.append((position, match.start()))
        position = match.end()
    paragraphs.append((position, end))
    stripped = []
    for par_start, par_end in paragraphs:
        par_start = _skip_space(text, par_start, par_end)
        par_end = _rstrip_end(text, par_start, par_end)
        if par_start < par_end:
            stripped.append((par_start, par_end))
    return stripped


def _leading_heading(text: str, start: int, end: int) -> tuple[int, str] | None:
    """The end offset and label of a heading on the paragraph's first line, if it has one."""
    newline = text.find("\n", start, end)
    first_end = end if newline == -1 else newline
    first = text[start:first_end]
    second = None
    if newline != -1:
        next_newline = text.find("\n", newline + 1, end)
        second = text[newline + 1 : end if next_newline == -1 else next_newline]
    if not is_heading_line(first, second):
        return None
    label = first.strip().lstrip("#").strip()
    if not any(char.isalpha() for char in label):
        return None  # a date or a number on its own line is text, not a heading
    return _rstrip_end(text, start, first_end), label


def _group_label(group: list[StatuteSegment]) -> str:
    if len(group) == 1:
        return group[0].label
    if group[0].name:
        return f"{group[0].name}–{(group[-1].name or '').split()[-1]}"
    chapter = f"{group[0].chapter} kap. " if group[0].chapter else ""
    return f"{chapter}{group[0].section}–{group[-1].section} §§"


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


def chunk_validity(text: str, start: int, end: int, section_validity: list[dict] | None) -> dict[str, str]:
    """`valid_from` / `valid_until` of the passage `text[start:end]` of a statute, from its sections' validity.

    `section_validity` is what a statute reader records per section, heading or chapter
    (`{"label": "2 kap. 3 §", "in_force": "2026-01-01"}` or `{"label": ..., "expires": ...}`),
    labelled as `statute_segments` labels `text`. A passage holding such a section is valid from
    its latest `in_force` and until its earliest `expires`; dates "den dag regeringen
    bestämmer" are kept as written. Empty when nothing in the passage has a date of its own.

    >>> law = "1 § A.\\n\\n2 § B gäller.\\n\\n2 § B gäller inte."
    >>> marks = [{"label": "2 § (lydelse 2)", "scope": "section", "in_force": "2099-01-01"}]
    >>> chunk_validity(law, law.rindex("2 §"), len(law), marks)
    {'valid_from': '2099-01-01'}
    >>> chunk_validity(law, 0, 6, marks)
    {}
    """
    if not section_validity:
        return {}
    segments = statute_segments(text) or []
    labels = {s.label for s in segments if s.start < end and start < s.end}
    chapters = {f"{s.chapter} kap." for s in segments if s.chapter and s.start < end and start < s.end}
    starts: list[str] = []
    ends: list[str] = []
    for item in section_validity:
        label = item.get("label")
        if item.get("scope") not in (None, "section", "chapter"):
            continue  # a heading's, an appendix's or one paragraph's date is not the whole passage's
        if label in labels or (item.get("scope") == "chapter" and label in chapters):
            if item.get("in_force"):
                starts.append(str(item["in_force"]))
            if item.get("expires"):
                ends.append(str(item["expires"]))
    out: dict[str, str] = {}
    dated = re.compile(r"\d{4}-\d{2}-\d{2}")
    if any(dated.fullmatch(d) for d in starts):
        out["valid_from"] = max(d for d in starts if dated.fullmatch(d))
    if any(dated.fullmatch(d) for d in ends):
        out["valid_until"] = min(d for d in ends if dated.fullmatch(d))
    undated = [d for d in starts + ends if not dated.fullmatch(d)]
    if undated:
        out["validity_note"] = undated[0]  # "den dag regeringen bestämmer": no date to filter on
    return out
