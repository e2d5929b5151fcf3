"""Highlighted snippets: the part of a passage that matches the query, with the matching words marked.

Words match when the Swedish BM25 analyzer maps them to the same stemmed token as a query word
(so "webbkameror" is marked for "webbkamera"), the same rule that made the passage match.

>>> snippet_for("Kameraövervakningen av handläggarna upphör.", "kameraövervakning", bm25)  # doctest: +SKIP
('<mark>Kameraövervakningen</mark> av handläggarna upphör.', [(0, 19)])
"""

from __future__ import annotations

import html
import re
from typing import Any

_WORD = re.compile(r"[\w§:.-]*\w", re.UNICODE)
WINDOW = 320


def matching_spans(text: str, lexical_query: str, bm25: Any) -> list[tuple[int, int]]:
    """Character spans of words in `text` that share a BM25 token with the query."""
    wanted = set(bm25.query(lexical_query).indices)
    if not wanted:
        return []
    spans = []
    cache: dict[str, bool] = {}
    for match in _WORD.finditer(text):
        word = match.group(0).lower()
        if word not in cache:
            cache[word] = bool(wanted & set(bm25.query(word).indices))
        if cache[word]:
            spans.append(match.span())
    return spans


def snippet_for(text: str, lexical_query: str, bm25: Any, window: int = WINDOW) -> tuple[str, list[tuple[int, int]]]:
    """An HTML-escaped excerpt of at most ~`window` characters around the densest matches."""
    spans = matching_spans(text, lexical_query, bm25)
    start, end = _best_window(text, spans, window)
    parts: list[str] = ["…" if start > 0 else ""]
    cursor = start
    for s, e in spans:
        if s < start or e > end:
            continue
        parts.append(html.escape(text[cursor:s]))
        parts.append(f"<mark>{html.escape(text[s:e])}</mark>")
        cursor = e
    parts.append(html.escape(text[cursor:end]))
    parts.append("…" if end < len(text) else "")
    return " ".join("".join(parts).split()), spans


def _best_window(text: str, spans: list[tuple[int, int]], window: int) -> tuple[int, int]:
    if len(text) <= window:
        return 0, len(text)
    best, best_count = 0, -1
    for s, _ in spans or [(0, 0)]:
        begin = max(0, s - window // 4)
        count = sum(1 for a, b in spans if a >= begin and b <= begin + window)
        if count > best_count:
            best, best_count = begin, count
    begin = best
    if begin > 0:
        space = text.rfind(" ", 0, begin + 1)
        begin = space + 1 if space >= 0 and begin - space < 40 else begin
    finish = min(len(text), begin + window)
    if finish < len(text):
        space = text.rfind(" ", begin, finish)
        finish = space if space > begin else finish
    return begin, finish
