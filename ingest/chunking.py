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
from lagrum.legal.segments import StatuteSegment, _rstrip_end, _section_key, _skip_space, statute_segments
from lagrum.sentences import is_heading_line, split_sentences

TokenCounter = Callable[[str], int]

# A passage whose body has fewer tokens than this is not worth closing at a heading: the
# heading joins it instead (a date line above a title, a one-line lead-in).
MIN_BODY_TOKENS = 24
# At most this share of a passage's budget may be spent on sentences repeated as overlap.
MAX_OVERLAP_SHARE = 0.5

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_WORD = re.compile(r"\S+")


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
