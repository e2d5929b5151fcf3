"""IMY (Integritetsskyddsmyndigheten) decision records: one JSON object per supervision case.

A record (`_source` "SE/IMY") holds `_id` ("IMY/polismyndigheten2"), `title`, `date`, `url`,
`status` ("Beslut", "Pågår", "Domstolens avgörande"), `categories`, `preamble`, `reference`,
`pdf_url`, `authority` and the decision's `text` as extracted from its PDF: one long line in
which the letterhead, the page headers and the table of contents run into the prose.

Document: id `imy-{slug of _id after "IMY/"}` ("imy-polismyndigheten2"), doc_type "beslut",
`date` the decision's date ("Datum: 2026-01-22" in the letter, else "Beslut 2026-01-22" in the
preamble, else the record's date), metadata `authority`, `status`, `categories`, `preamble`,
`pdf_url`, `diary_number` ("IMY-2024-1499", "DI-2020-11373"), `sanction_sek` (the first
administrative fine the decision states, "sanktionsavgift på 6 000 000 kronor" -> 6000000)
and `identifiers` ["dnr IMY-2024-1499"].

The text is rebuilt: the letterhead ("Postadress: Box 8114 ... Telefon: 08-657 61 00 1(15)"),
the page headers ("Integritetsskyddsmyndigheten Diarienummer: IMY-2024-1499 2(15) Datum: ...",
"Page 1 of 4"), the table of contents and the web page's chrome are removed; the headings
the table of contents lists ("3.1 Rättsliga utgångspunkter") and IMY's standard headings
("Integritetsskyddsmyndighetens beslut", "Hur man överklagar") start their own lines, so that
chunking cuts at them. The contact line ("Om ni har frågor om ärendet kontakta: ...@imy.se")
is left on a line of its own, which `lagrum.cleaning` removes as letterhead.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

from lagrum.errors import InputError

from ingest.formats import Fields, NativeFormat
from ingest.formats.rattspraxis import slug, strings

_LETTERHEAD = re.compile(
    r"Postadress:\s*Box \d+\s+\d{3} ?\d{2}\s+\w+\s+Webbplats:\s*\S+\s+E-post:\s*\S+\s+Telefon:\s*0\d{1,3}-\d{2,3}(?: \d{2}){1,3}(?:\s+\d{1,3}\(\d{1,3}\))?"
)
_AUTHORITIES = r"(?:Integritetsskyddsmyndigheten|Datainspektionen)"
_PAGE_HEADER = re.compile(
    rf"(?:Page \d+ of \d+\s+)?{_AUTHORITIES}\s+Diarienummer:\s*(?:(?:DI|IMY)-\d{{4}}-\d+\s+)?\d{{1,3}}\(\d{{1,3}}\)\s+Datum:\s*\d{{4}}-\d{{2}}-\d{{2}}"
)
_PAGE_OF = re.compile(r"\s*\bPage \d+ of \d+\b")
_TOC = re.compile(r"\bInnehåll(?:sförteckning)?\s+(.{0,6000}\.{4,}\s*\d+)", re.S)
_TOC_ENTRY = re.compile(r"((?:\d+(?:\.\d+)*\.?\s+)?[^.]+?)\s*\.{4,}\s*\d+")
_DIARY = re.compile(r"\bDiarienummer:\s*((?:DI|IMY)-\d{4}-\d+)")
_DIARY_ANY = re.compile(r"\b((?:DI|IMY)-\d{4}-\d+)\b")
_LETTER_DATE = re.compile(r"\bDatum:\s*(\d{4}-\d{2}-\d{2})")
_SANCTION = re.compile(
    r"sanktionsavgift(?:en)?\s+(?:på|om|med|till)\s+(\d{1,3}(?:[  ]\d{3})*(?:,\d+)?)\s*(miljoner|miljon|mnkr)?\s*(?:\([^)]{0,40}\)\s*)?(kronor|kr\b|euro)",
    re.IGNORECASE,
)
# IMY's standard headings: each starts a line where it opens a sentence-like run of text.
STANDARD_HEADINGS = (
    "Integritetsskyddsmyndighetens beslut", "Datainspektionens beslut", "Redogörelse för tillsynsärendet",
    "Motivering av beslutet", "Motivering av besluten", "Val av ingripande", "Hur man överklagar",
    "Bakgrund och syfte med granskningen", "Metod för tillsynen", "Våra frågor", "Vad händer sen?",
    "Måste ni svara IMY?", "Rättsliga utgångspunkter", "Personuppgiftsansvar", "Kopia till:",
    "Tillämpliga bestämmelser", "IMY:s bedömning", "Vad som framkommit i ärendet",
    "Bakgrund", "Svar", "Sekretess",
)
# The web page's chrome when the record holds the page instead of the PDF.
_BREADCRUMB = re.compile(r"^Startsida\s+Tillsyner och beslut\s+")  # opens a record that holds the web page
_WEB_CHROME = (
    _BREADCRUMB,
    re.compile(r"\bLyssna\s+"),
    re.compile(r"Status i tillsyn\s+Inledd Steg 1 av 3.*?i tillsynsprocessen\s*"),
    re.compile(r"\bMer om tillsynsprocessen\s+"),
    re.compile(r"\s*Senast uppdaterad:.*$"),
    re.compile(r"\s*\((?:pdf|PDF), \d+ [kM]B\)"),
)


def _sniff(data: bytes, where: str) -> bool:
    return re.search(rb'"_source"\s*:\s*"SE/IMY"', data[:4096]) is not None


def _read(data: bytes, where: str) -> Iterator[Fields]:
    try:
        loaded = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(where, f"not a readable IMY record ({exc}); check the file is the JSON the scraper wrote") from None
    records = loaded if isinstance(loaded, list) else [loaded]
    for n, record in enumerate(records, 1):
        spot = where if len(records) == 1 else f"{where}[{n}]"
        if not isinstance(record, dict):
            raise InputError(spot, f"expected an IMY record (a JSON object), got {type(record).__name__}")
        yield decision_fields(record, spot)


def decision_fields(record: dict[str, Any], where: str) -> Fields:
    raw_id = str(record.get("_id") or "").strip()
    if not raw_id:
        raise InputError(where, "field '_id' is missing; an IMY record needs its id ('IMY/name')")
    raw_text = " ".join(str(record.get("text") or "").split())
    if not raw_text:
        raise InputError(where, "field 'text' is empty; nothing to index")
    title = " ".join(str(record.get("title") or "").split())
    diary = diary_number(raw_text) or (str(record.get("reference") or "").strip() or None)
    preamble = " ".join(str(record.get("preamble") or "").split())
    date = _decision_date(raw_text, preamble) or record.get("date") or None
    fields: Fields = {
        "id": f"imy-{slug(raw_id.split('/', 1)[-1])}",
        "title": title,
        "text": restructure(raw_text, title, preamble, str(record.get("status") or "")),
        "date": date,
        "doc_type": "beslut",
        "source": str(record.get("authority") or "Integritetsskyddsmyndigheten"),
        "url": str(record.get("url") or ""),
        "authority": str(record.get("authority") or "Integritetsskyddsmyndigheten"),
        "status": str(record.get("status") or ""),
        "categories": strings(record.get("categories")),
        "preamble": preamble,
        "pdf_url": str(record.get("pdf_url") or ""),
        "page_date": record.get("date") or None,
        "identifiers": [f"dnr {diary}"] if diary else [],
    }
    if diary:
        fields["diary_number"] = diary
    sanction = sanction_sek(raw_text)
    if sanction is not None:
        fields["sanction_sek"] = sanction
    if str(record.get("language") or "") in ("sv", "swe"):
        fields["language"] = "sv"
    return fields


def diary_number(text: str) -> str | None:
    """IMY's (or Datainspektionen's) diary number: "Diarienummer: IMY-2024-1499" first."""
    match = _DIARY.search(text) or _DIARY_ANY.search(text)
    return match.group(1) if match else None


def sanction_sek(text: str) -> int | None:
    """The first administrative fine stated in kronor: "sanktionsavgift på 1 000 000 kronor" -> 1000000.

    >>> sanction_sek("ska betala en administrativ sanktionsavgift på 12 miljoner (tolv miljoner) kronor.")
    12000000
    """
    for match in _SANCTION.finditer(text):
        if match.group(3).lower() == "euro":
            continue
        amount = float(re.sub(r"[  ]", "", match.group(1)).replace(",", "."))
        if match.group(2):
            amount *= 1_000_000
        return int(round(amount))
    return None


def _decision_date(text: str, preamble: str) -> str | None:
    letter = _LETTER_DATE.search(text)
    if letter:
        return letter.group(1)
    stated = re.search(r"\bBeslut (\d{4}-\d{2}-\d{2})", preamble)
    return stated.group(1) if stated else None


def restructure(text: str, title: str = "", preamble: str = "", status: str = "") -> str:
    """The decision's text with letterhead, page headers and contents removed, headings on lines.

    A record that holds the decision's web page rather than its PDF opens with the page's
    breadcrumb, its title twice, the preamble ("Tillsyn enligt dataskyddsförordningen. Beslut
    2025-10-22."), a progress widget and the status as the heading of the page's text ("Beslut IMY
    har efter …"): the title and that heading each get a line of their own, and the preamble, kept
    in the record's `preamble` field, leaves the text."""
    web_page = bool(_BREADCRUMB.match(text))
    for chrome in _WEB_CHROME:
        text = chrome.sub(" ", text)
    text = _LETTERHEAD.sub(" ", text)
    text = _PAGE_HEADER.sub(" ", text)
    text = _PAGE_OF.sub(" ", text)
    headings = list(STANDARD_HEADINGS)
    toc = _TOC.search(text)
    if toc:
        numbered = [" ".join(m.group(1).split()) for m in _TOC_ENTRY.finditer(toc.group(1))]
        headings = [h for h in numbered if h] + headings
        text = text[: toc.start()] + " " + text[toc.end() :]
    text = " ".join(text.split())
    if web_page:
        text = _web_page_lines(text, title, preamble, status)
    # The first page's box: "Diarienummer: ... Datum: ..." on a line of its own.
    text = re.sub(r"\s*(Diarienummer:\s*\S+(?:\s+Ert diarienummer:\s*\S+)?\s+Datum:\s*\d{4}-\d{2}-\d{2})\s*", r"\n\1\n", text, count=1)
    # The decision's first heading follows the letter's title directly, with no sentence end.
    text = re.sub(r"^(.{0,400}?)\s+((?:Integritetsskyddsmyndighetens|Datainspektionens) beslut)\s+(?=[A-ZÅÄÖ])", r"\1\n\n\2\n", text, count=1)
    # A letter of inquiry opens with the addressee, then its title ("Region Västmanland Tillsyn
    # enligt dataskyddsförordningen - begäran om information Integritetsskyddsmyndigheten (IMY)
    # är ..."): the title is a heading of its own and the addressee a line before it.
    text = re.sub(r"^(.{0,300}?)\s+(Tillsyn enligt \S+(?: \S+){0,4}? [–-] [A-ZÅÄÖa-zåäö][a-zåäö]+(?: [a-zåäö]+){0,5})\s+(?=[A-ZÅÄÖ])", r"\1\n\n\2\n\n", text, count=1)
    text = _break_at_headings(text, headings)
    text = re.sub(r"\s*(Om ni har frågor om ärendet,? (?:kan ni )?kontakta\b)", r"\n\n\1", text)
    text = re.sub(r"\s*(_{5,})\s*", "\n\n", text)
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _web_page_lines(text: str, title: str, preamble: str, status: str) -> str:
    """A decision's web page as lines: its title once, its status heading, then the text."""
    if title and text.startswith(f"{title} {title} "):
        text = f"{title}\n\n{text[2 * len(title) + 2 :]}"
    if preamble:
        at = text.find(preamble)
        if 0 <= at <= len(title) + 4:
            rest = text[at + len(preamble) :].lstrip()
            if status and re.match(rf"{re.escape(status)}\s+(?=[A-ZÅÄÖ])", rest):
                rest = f"{status}\n{rest[len(status) :].lstrip()}"
            # The preamble is the record's `preamble` field (and its date the `date`): as a line of
            # the text it is a caption ("Tillsyn enligt dataskyddsförordningen."), never a statement.
            text = f"{text[:at].rstrip()}\n\n{rest}"
    return text


def _break_at_headings(text: str, headings: list[str]) -> str:
    """Put each heading on its own line where it opens a run of text.

    A heading counts where it follows the start, a sentence end or another heading, and is
    followed by something that opens a sentence; the longest heading wins at a position.
    """
    alternatives = "|".join(re.escape(h) for h in sorted(dict.fromkeys(headings), key=len, reverse=True))
    pattern = re.compile(rf"(?<!\S)({alternatives})(?=\s+[A-ZÅÄÖ0-9(”\"–-])")
    out: list[str] = []
    position = 0
    last_end = -10
    for match in pattern.finditer(text):
        before = text[max(0, match.start() - 2) : match.start()]
        after_heading = match.start() - last_end <= 1
        # A heading of three words or more ("Hur man överklagar") is one wherever it stands: after a
        # signature ("… medverkat. Eric Leijonram Hur man överklagar Om ni vill …") as well.
        if not (match.start() == 0 or after_heading or re.search(r"[.!?:)”\d\n]\s?$", before) or len(match.group(1).split()) >= 3):
            continue
        out.append(text[position : match.start()].rstrip())
        out.append(f"\n\n{match.group(1)}\n")
        position = match.end()
        while position < len(text) and text[position] == " ":
            position += 1
        last_end = position - 1
    out.append(text[position:])
    return "".join(out)


FORMAT = NativeFormat(
    name="imy",
    suffixes=(".json",),
    sniff=_sniff,
    read=_read,
    description="IMY decision record (supervision decisions and letters as JSON)",
)
