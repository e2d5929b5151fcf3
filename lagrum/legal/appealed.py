"""The decision a ruling reviews, read from the line that names it in the ruling's head.

A Swedish ruling names the decision under review once, after "ÖVERKLAGAT AVGÖRANDE" or
"ÖVERKLAGAT BESLUT": "Svea hovrätts dom 2024-06-24 i mål T 1299-22", "Datainspektionens beslut
den 18 december 2015, dnr 388-2015". `_appealed` reads that line into the court or authority
(without its genitive s), the date and the case or diary number. Both the rättspraxis reader
(`ingest.formats.rattspraxis`, at ingest) and `lagrum.legal.operative` (for rulings no official
reader structured) use it, so the parser lives here in the core's legal layer.

>>> _appealed("Svea hovrätts dom 2024-06-24 i mål T 1299-22")["court_or_authority"]
'Svea hovrätt'
>>> swedish_date("beslut den 18 december 2015")
'2015-12-18'
"""

from __future__ import annotations

import re
from typing import Any

_MONTHS = {
    "januari": 1, "februari": 2, "mars": 3, "april": 4, "maj": 5, "juni": 6, "juli": 7,
    "augusti": 8, "september": 9, "oktober": 10, "november": 11, "december": 12,
}
_SWEDISH_DATE = re.compile(r"\b(\d{1,2}) (" + "|".join(_MONTHS) + r") (\d{4})\b", re.IGNORECASE)
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def swedish_date(text: str) -> str | None:
    """The first date in `text` ("2024-11-06" or "den 3 mars 2021") as YYYY-MM-DD."""
    iso = _ISO_DATE.search(text)
    spelled = _SWEDISH_DATE.search(text)
    if iso and (not spelled or iso.start() < spelled.start()):
        return iso.group(0)
    if spelled:
        day, month, year = int(spelled.group(1)), _MONTHS[spelled.group(2).lower()], spelled.group(3)
        return f"{year}-{month:02d}-{day:02d}"
    return None


_COURT_WORDS = ("rätt", "rätten", "domstol", "domstolen", "nämnd", "nämnden", "verket", "styrelsen", "myndigheten", "kommun", "region", "inspektionen")


def _appealed(text: str) -> dict[str, Any]:
    appealed: dict[str, Any] = {"text": text}
    match = re.match(r"^(.+?)\s+(?:dom|beslut|deldom|slutliga beslut|protokoll)\b", text, re.IGNORECASE)
    if match:
        authority = match.group(1).rstrip(", ")
        if "," not in authority and authority.endswith("s") and not authority.endswith("ss"):
            authority = authority[:-1]  # "Svea hovrätts" -> "Svea hovrätt"
        elif "," in authority:  # "Vänersborgs tingsrätts, mark- och miljödomstolen"
            authority = ", ".join(_without_genitive(part.strip()) for part in authority.split(","))
        appealed["court_or_authority"] = authority
    appealed["date"] = swedish_date(text)
    number = re.search(r"\b(?:mål|ärende|dnr)(?: nr)?\.?\s+((?:[A-ZÅÄÖ]{1,4} )?\d[\w/.:-]*\d)", text)
    appealed["number"] = number.group(1) if number else None
    return appealed


def _without_genitive(part: str) -> str:
    word = part.split()[-1] if part.split() else ""
    if word.endswith("s") and word[:-1].lower().endswith(_COURT_WORDS):
        return part[:-1]
    return part
