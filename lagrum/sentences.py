"""Rule-based sentence splitting for Swedish and English legal prose, as character spans.

NLTK's punkt models cannot be downloaded here, and they do not know Swedish legal
abbreviations anyway. The rules below split at `. ! ? …` (optionally followed by closing
quotes or brackets) when whitespace and a sentence opener (capital letter, digit, quote,
dash) follow, but not after abbreviations ("t.ex.", "prop.", "s. 357"), initials
("J. Svensson"), list numbers ("1. Första punkten") or inside numbers ("6.1", "2018:1200").
Blank lines always end a sentence; so does the end of a heading-like line or a list item.

Spans point into the text, so a chunk can be cut exactly at a sentence boundary:

>>> text = "Beslutet finns i prop. 2012/13:115 s. 23. Det gäller bl.a. kameror."
>>> [text[s:e] for s, e in split_sentences(text)]
['Beslutet finns i prop. 2012/13:115 s. 23.', 'Det gäller bl.a. kameror.']
"""

from __future__ import annotations

import re

# Abbreviations (lower case, without the final period) after which a period never ends a
# sentence, because what follows is almost always part of the same sentence.
ABBREVIATIONS = frozenset(
    {
        # Swedish
        "kap", "nr", "dnr", "jfr", "prop", "sfs", "ca", "resp", "st", "art", "dvs", "mom",
        "ang", "enl", "inkl", "exkl", "kl", "bet", "skr", "uppl", "red", "fig", "tel", "ff",
        "avd", "bil", "ex", "jur", "kand", "tf", "adj", "doc", "forts", "sid", "anm",
        # English
        "mr", "mrs", "ms", "dr", "prof", "no", "vs", "ref", "cf", "al", "jr", "sr", "approx",
        "para", "sec", "vol", "pp", "ed", "eds", "mt", "mx", "inc", "ltd", "co", "corp", "jan",
        "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    }
)
# Abbreviations that often close a sentence: a period after them followed by a capital
# letter is taken as a sentence end ("... kameror, mikrofoner m.m. Beslutet ...").
SENTENCE_FINAL_ABBREVIATIONS = frozenset({"etc", "m.m", "m.fl", "osv", "o.s.v", "usw"})
# Words before a day number that make "den 1." an ordinal date rather than a sentence end.
ORDINAL_CONTEXT = frozenset({"den", "the", "d"})

_TERMINAL = ".!?…"
_CLOSING = "”\"»'’)]"
_OPENERS = "\"“”«»'‘’–—-(§[¿¡"
_HEADING_STOPS = ".!?:;,…"

_SENTENCE_END = re.compile(r"[.!?…]+[”\"»'’)\]]*(?=\s+(\S))")
_DOTTED_ABBREVIATION = re.compile(r"(?:[a-zåäöéü]{1,2}\.){2,}")  # t.ex. bl.a. d.v.s. e.g.
_LIST_ITEM = re.compile(r"\s*(?:[-*•–—]\s|\(?\d{1,3}[.)]\s|\(?[a-zåäö]\)\s)")
_LEADING_OPENERS = "([{\"'“«‘"
# An all-capitals heading may end in an abbreviation: "YRKANDEN I HÖGSTA DOMSTOLEN M.M."
_CAPITALS_ABBREVIATION_END = re.compile(r"^[^a-zåäöéü]*[A-ZÅÄÖ]{2,}[^a-zåäöéü]* (?:[A-ZÅÄÖ]\.){2,}$")


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Split `text[start:end]` into sentences, returned as `(start, end)` offsets into `text`.

    Spans carry no surrounding whitespace, never overlap, and together cover every
    non-whitespace character of the range.

    :param text: the whole text; offsets are into it.
    :param start: where the range to split begins.
    :param end: where it ends (exclusive); the end of `text` when None.
    :returns: sentence spans in text order; empty for a blank range.

    >>> split_sentences("Hej. Vi ses.\\n\\nRubrik\\nText.")
    [(0, 4), (5, 12), (14, 20), (21, 26)]
    """
    end = len(text) if end is None else end
    if not 0 <= start <= end <= len(text):
        raise ValueError(f"start={start} and end={end} must satisfy 0 <= start <= end <= len(text)={len(text)}")
    spans: list[tuple[int, int]] = []
    for block_start, block_end in line_blocks(text, start, end):
        spans.extend(_split_block(text, block_start, block_end))
    return spans


def is_heading_line(line: str, next_line: str | None = None) -> bool:
    """True when `line` looks like a heading: markdown `#`, or short, capitalised and unpunctuated.

    Short means at most 12 words and 90 characters; unpunctuated means no final `.!?:;,…`
    and no comma at all.

    :param line: one line of text.
    :param next_line: the line after it in the same paragraph, if any; a heading is not
        followed by a line that starts in lower case (that is a wrapped sentence).

    >>> is_heading_line("## Bakgrund"), is_heading_line("Kamerabevakning på arbetsplatsen")
    (True, True)
    >>> is_heading_line("Det här är en mening."), is_heading_line("enligt lagen")
    (False, False)
    >>> is_heading_line("YRKANDEN I HÖGSTA DOMSTOLEN M.M."), is_heading_line("Se även SFS m.m.")
    (True, False)
    """
    stripped = line.strip()
    if not stripped:
        return False
    if stripped.startswith("#"):
        return True
    if len(stripped) > 90 or len(stripped.split()) > 12:
        return False
    last = stripped.rstrip(_CLOSING)[-1:] or stripped[-1]
    if (last in _HEADING_STOPS or stripped[-1] in _HEADING_STOPS) and not _CAPITALS_ABBREVIATION_END.search(stripped):
        return False
    if not (stripped[0].isupper() or stripped[0].isdigit() or stripped[0] == "§"):
        return False
    if "," in stripped:
        return False  # "Anna Svensson, handläggare": a byline or caption, not a heading
    if is_list_item(stripped) and not _is_numbered_heading(stripped, next_line):
        return False
    if next_line is not None and next_line.strip()[:1].islower():
        return False
    return True


def _is_numbered_heading(line: str, next_line: str | None) -> bool:
    """ "1. Integritetsskyddsmyndighetens beslut" over its text: a numbered heading, not a list item.

    Only a single number with a period and a capitalised title of at most eight words, followed
    by nothing in its paragraph or by a line opening with a capital letter (not "2. ...").
    """
    if not re.match(r"^\d{1,2}\.\s+[A-ZÅÄÖ]", line) or len(line.split()) > 9:
        return False
    return next_line is None or next_line.strip()[:1].isalpha() and next_line.strip()[:1].isupper()


def is_list_item(line: str) -> bool:
    """True when `line` opens with a list marker: `- `, `* `, `• `, `– `, `1. `, `2) `, `a) `.

    >>> is_list_item("- en punkt"), is_list_item("3. tredje"), is_list_item("3 § Lagen")
    (True, True, False)
    """
    return _LIST_ITEM.match(line) is not None


def line_blocks(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Group the lines of `text[start:end]` into blocks no sentence may cross.

    A block ends at a blank line, after a heading-like line, and around list items.
    Spans are stripped of surrounding whitespace.
    """
    lines = _lines(text, start, end)
    blocks: list[tuple[int, int]] = []
    block_start: int | None = None
    block_end = start
    previous: str | None = None
    for index, (line_start, line_end) in enumerate(lines):
        line = text[line_start:line_end]
        if not line.strip():
            if block_start is not None:
                blocks.append((block_start, block_end))
            block_start, previous = None, None
            continue
        if block_start is not None and previous is not None and _breaks_between(previous, line):
            blocks.append((block_start, block_end))
            block_start = None
        if block_start is None:
            block_start = line_start + (len(line) - len(line.lstrip()))
        block_end = line_start + len(line.rstrip())
        previous = line
    if block_start is not None:
        blocks.append((block_start, block_end))
    return blocks


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    lines = []
    position = start
    while position <= end:
        newline = text.find("\n", position, end)
        if newline == -1:
            lines.append((position, end))
            break
        lines.append((position, newline))
        position = newline + 1
    return lines


def _breaks_between(previous: str, line: str) -> bool:
    return is_heading_line(previous, line) or is_list_item(line) or is_list_item(previous)


def _split_block(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split one block (no blank lines, no headings inside) at sentence ends."""
    spans = []
    block = text[start:end]
    piece_start = 0
    for match in _SENTENCE_END.finditer(block):
        if not _opens_sentence(match.group(1)):
            continue
        mark = match.group()
        if mark == "." and _is_abbreviation(block, match.start(), match.group(1), piece_start):
            continue
        spans.append((start + piece_start, start + match.end()))
        piece_start = match.end()
        while piece_start < len(block) and block[piece_start].isspace():
            piece_start += 1
    if piece_start < len(block):
        spans.append((start + piece_start, end))
    return spans


def _opens_sentence(char: str) -> bool:
    return char.isupper() or char.isdigit() or char in _OPENERS


def _is_abbreviation(block: str, dot: int, next_char: str, sentence_start: int = 0) -> bool:
    """True when the period at `block[dot]` belongs to an abbreviation, initial or list number."""
    token_start = dot
    while token_start > 0 and not block[token_start - 1].isspace():
        token_start -= 1
    token = block[token_start:dot].lstrip(_LEADING_OPENERS).lower()
    if not token:
        return False
    if token in SENTENCE_FINAL_ABBREVIATIONS:
        return next_char.isdigit()
    if token in ABBREVIATIONS or _DOTTED_ABBREVIATION.fullmatch(token + "."):
        return True
    if len(token) == 1 and token.isalpha():
        return True  # an initial ("J. Svensson") or a page/point reference ("s. 357")
    if token.isdigit() and len(token) <= 3:
        if token_start <= sentence_start:
            return True  # a list number opening a sentence: "1. Första punkten"
        previous = block[:token_start].split()[-1:]
        return bool(previous) and previous[0].lower().strip(".") in ORDINAL_CONTEXT
    return False
