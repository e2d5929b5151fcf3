"""Citations of retrieved passages, and which sentences of a passage may be quoted.

A citation is one numbered source of an answer: the hit's document, chunk and metadata and a
verbatim `quote` with its `start`/`end` offsets into the document's canonical text. The
extractive composer (`lagrum.answer`), the generative one (`lagrum.generative`) and the status
notes that cite a later ruling (`lagrum.legal.status`) all build citations and pick quotable
sentences the same way, so those pieces live here, below all three.

>>> _quotable("Dela artikeln:")
False
"""

from __future__ import annotations

import re
from typing import Any

from lagrum.retrieval import Hit

MIN_QUOTE_CHARS = 25
MAX_QUOTE_CHARS = 600

_SENTENCE_END = re.compile(r"[.!?…][”\"’»)]*$")


def citation_from_hit(n: int, hit: Hit, start: int, end: int, quote: str) -> dict[str, Any]:
    return {
        "n": n,
        "doc_id": hit.doc_id,
        "chunk_id": hit.chunk_id,
        "title": hit.title,
        "date": hit.date,
        "doc_type": hit.doc_type,
        "source": hit.source,
        "url": hit.url,
        "quote": quote,
        "start": start,
        "end": end,
        "score": round(hit.score, 6),
    }


def _sentences_of(hit: Hit) -> list[tuple[int, int]]:
    """Sentence spans of a hit, as offsets into the document's text."""
    from lagrum.text import split_sentences

    return [(hit.start + s, hit.start + e) for s, e in split_sentences(hit.text)]


def _quotable(text: str) -> bool:
    from lagrum.text import is_boilerplate_line

    stripped = text.strip()
    if len(stripped) < MIN_QUOTE_CHARS or len(stripped) > MAX_QUOTE_CHARS:
        return False
    if not _SENTENCE_END.search(stripped) and "\n" not in stripped:
        return False  # a heading or a caption, not a statement
    return not any(is_boilerplate_line(line) for line in stripped.splitlines() if line.strip())
