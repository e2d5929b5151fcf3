"""Text rules the answer layer shares with ingest: sentence spans and the boilerplate test.

Quotes must be cut by the same sentence rules that shaped the chunks, and refused by the same
boilerplate rules that cleaned the documents, so both come from the core modules ingest uses too
(`lagrum.sentences`, `lagrum.cleaning`).

>>> split_sentences("Beslutet upphävs. Skälen följer t.ex. av 23 §.")
[(0, 17), (18, 46)]
"""

import re

from lagrum.cleaning import clean_text, is_boilerplate_line
from lagrum.sentences import split_sentences

__all__ = ["MAX_QUERY_CHARS", "clean_text", "is_boilerplate_line", "query_problem", "split_sentences"]

MAX_QUERY_CHARS = 2000  # a search query or a question, after stripping


# The letters and digits a query needs one of, as one character class that Python and ECMA-262
# (the API schema's `pattern`, read by OpenAPI clients and schemathesis) read alike: `\w` and
# `str.isalnum` are Unicode in Python but ASCII in ECMA without the u flag, so the scripts
# are spelt out: Latin with its extensions, Greek, Cyrillic, Hebrew, Arabic, kana, CJK, Hangul.
WORD_CHARACTERS = (
    "0-9A-Za-z\u00AA\u00B2\u00B3\u00B5\u00B9\u00BA\u00BC-\u00BE\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02C1"
    "\u0370-\u03FF\u0400-\u0481\u048A-\u052F\u05D0-\u05EA\u0620-\u064A\u0660-\u0669"
    "\u3040-\u30FF\u4E00-\u9FFF\uAC00-\uD7A3"
)
_WORD_CHARACTER = re.compile(f"[{WORD_CHARACTERS}]")


def query_problem(text: str) -> str | None:
    """Why `text` cannot be searched for (to follow the field's name), or None when it can.

    A query needs at least one letter or digit: a zero-width space, a control character or an
    emoji alone carries nothing to match, and must not come back with arbitrary passages.

    >>> query_problem("\u200b")
    'has no letters or digits; give some words to search for'
    >>> query_problem("23 §") is None
    True
    """
    stripped = text.strip()
    if not stripped:
        return "is empty; give some words to search for"
    if len(stripped) > MAX_QUERY_CHARS:
        return f"is {len(stripped)} characters; keep it under {MAX_QUERY_CHARS}"
    if not _WORD_CHARACTER.search(stripped):
        return "has no letters or digits; give some words to search for"
    return None
