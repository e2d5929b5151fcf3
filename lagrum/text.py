"""Text rules the answer layer shares with ingest: sentence spans and the boilerplate test.

Quotes must be cut by the same sentence rules that shaped the chunks, and refused by the same
boilerplate rules that cleaned the documents, so both come from the core modules ingest uses too
(`lagrum.sentences`, `lagrum.cleaning`).

>>> split_sentences("Beslutet upphävs. Skälen följer t.ex. av 23 §.")
[(0, 17), (18, 46)]
"""

from lagrum.cleaning import clean_text, is_boilerplate_line
from lagrum.sentences import split_sentences

__all__ = ["MAX_QUERY_CHARS", "clean_text", "is_boilerplate_line", "query_problem", "split_sentences"]

MAX_QUERY_CHARS = 2000  # a search query or a question, after stripping


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
    if not any(c.isalnum() for c in stripped):
        return "has no letters or digits; give some words to search for"
    return None
