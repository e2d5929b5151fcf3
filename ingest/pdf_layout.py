"""PDF page text to document text: page furniture out, headings and section lines kept.

`ingest.loaders._pdf` extracts each page's text and hands the pages here. Lines are kept as
the PDF has them, so "1 §", "2 kap. Organisatorisk och social arbetsmiljö" and headings stay
at line starts where the statute chunker finds them. Removed, as furniture that would
otherwise be quoted or cut into a section:

* running headers and footers: a short line at the top or bottom of a page that recurs at a
  page edge on at least three pages (digits ignored, so "10", "11" and "Kapitel 2",
  "Kapitel 3" count as the same line) and hardly ever elsewhere, e.g. the page number,
  "AFS 2023:2", the chapter tab "Kapitel 2"; the first page (the cover) keeps its lines;
* table-of-contents lines ending in dot leaders and a page number ("Åtgärder ....... 14").

`series_fields` reads the official series number of an authority's regulations from the
first pages ("AFS 2023:1"): the document's `id` ("afs-2023-1"), `identifiers`, its
`doc_type` "förordning" (binding regulations with chapters and sections; Lagrum has no
separate type for föreskrifter) and the decision date ("beslutade den 15 september 2023").

>>> pages = ["AFS 2023:1\\n7\\nRubrik\\n1 § Text.", "8\\nAFS 2023:1\\n2 § Mer.", "9\\nAFS 2023:1\\n3 § Sist."]
>>> join_pages(pages)
'AFS 2023:1\\n7\\nRubrik\\n1 § Text.\\n\\n2 § Mer.\\n\\n3 § Sist.'
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

_EDGE_LINES = 3  # lines at the top of a page that may be a running header
_FOOT_LINES = 2  # lines at the bottom that may be a running footer
_MIN_PAGES = 3  # a line must recur at page edges this often to be furniture
_MAX_FURNITURE_CHARS = 60
_TOC_LINE = re.compile(r"\.{5,}\s*\d{1,4}\s*$|(?:\s\.){5,}\s*\d{1,4}\s*$")
# Swedish authorities' regulation series (författningssamlingar).
SERIES = (
    "AFS", "SOSFS", "HSLF-FS", "MSBFS", "FFFS", "TSFS", "SKVFS", "KIFS", "ELSÄK-FS", "DIFS",
    "PMFS", "SJVFS", "BFS", "NFS", "LIVSFS", "STAFS", "SSMFS", "PTSFS", "FKFS", "MIGRFS",
)
_SERIES_NUMBER = re.compile(r"\b(" + "|".join(re.escape(s) for s in SERIES) + r")\s+(\d{4}):(\d{1,4})\b")
_MONTHS = "januari februari mars april maj juni juli augusti september oktober november december".split()
_DECIDED = re.compile(r"\bbeslutade den (\d{1,2}) (" + "|".join(_MONTHS) + r") (\d{4})")


def join_pages(pages: list[str]) -> str:
    """The pages' text without running headers, footers and contents lines, pages apart by a blank line."""
    split = [[line.rstrip() for line in page.split("\n")] for page in pages]
    furniture = _running_lines(split)
    kept_pages: list[str] = []
    for page_number, lines in enumerate(split):
        content = [i for i, line in enumerate(lines) if line.strip()]
        edges = set(content[:_EDGE_LINES]) | set(content[-_FOOT_LINES:])
        kept = []
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            if _TOC_LINE.search(line):
                continue
            if i in edges and page_number > 0 and _key(line) in furniture:
                continue
            kept.append(line.strip())
        if kept:
            kept_pages.append("\n".join(kept))
    return "\n\n".join(kept_pages)


def _key(line: str) -> str:
    return re.sub(r"\d+", "#", " ".join(line.split()))


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Short lines found at a page's top or bottom on at least three pages."""
    counts: Counter[str] = Counter()
    everywhere: Counter[str] = Counter()
    for lines in pages:
        content = [line for line in lines if line.strip()]
        edges = {_key(line) for line in content[:_EDGE_LINES] + content[-_FOOT_LINES:] if len(line.strip()) <= _MAX_FURNITURE_CHARS}
        counts.update(edges)
        everywhere.update(_key(line) for line in content)
    # A heading that often opens a page ("Allmänna råd") also occurs mid-page: not furniture.
    return {key for key, count in counts.items() if count >= _MIN_PAGES and count >= 0.8 * everywhere[key]}


def series_fields(text: str) -> dict[str, Any]:
    """`id`, `identifiers`, `doc_type` and `date` of an authority's regulation, from its first page.

    >>> series_fields("AFS 2023:1\\nArbetsmiljöverkets föreskrifter och allmänna råd")["id"]
    'afs-2023-1'
    >>> series_fields("En rapport om AFS 2023:1.")
    {}
    """
    head = text[:1500]
    match = _SERIES_NUMBER.search(head)
    if not match or "föreskrift" not in head.lower():
        return {}
    series, year, number = match.group(1), match.group(2), match.group(3)
    fields: dict[str, Any] = {
        "id": f"{series.lower()}-{year}-{int(number)}",
        "identifiers": [f"{series} {year}:{int(number)}"],
        "doc_type": "förordning",
    }
    decided = _DECIDED.search(text[:20000])
    if decided:
        fields["date"] = f"{decided.group(3)}-{_MONTHS.index(decided.group(2)) + 1:02d}-{int(decided.group(1)):02d}"
    return fields
