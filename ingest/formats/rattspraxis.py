"""Domstolsverket rättspraxis records: rulings of HD, HFD, MÖD, PMÖD and other courts as JSON.

A record is one JSON object from rattspraxis.etjanst.domstol.se as collected by open-data
scrapers: `_source` ("SE/SupremeCourt", "SE/SupremeAdministrativeCourt", "SE/Domstolverket"),
`court`, `court_code`, `case_numbers`, `primary_case_number` (or `case_number`), `date`,
`summary`, `is_precedent`, `reference_numbers`, `legal_provisions`, `sfs_numbers`,
`keywords`, `publication_type`, `url` and the ruling's `text` (from the PDF or the HTML page).

Document id (deterministic, evaluation questions are written against it)::

    {court}-{case}

* `{court}` is the court's short name from `COURT_SLUGS` by `court_code`: HDO and HD -> hd,
  HFD and REGR -> hfd, MMOD and MOD -> mod, PMOD -> pmod, MIOD -> miod, AD -> ad,
  SVEA -> svea; any other code is itself slugged ("HOVR-X" -> "hovr-x"), and a record
  without a code falls back to the initials of `court` ("Högsta domstolen" -> "hd").
* `{case}` is `primary_case_number` (else `case_number`, else the first of `case_numbers`)
  slugged: letters folded to ASCII (å ä -> a, ö -> o, é -> e), lower case, every run of
  other characters one "-", no "-" at either end.

So "ÖF 5877-24" at HDO is `hd-of-5877-24`, "3217-21" at HFD is `hfd-3217-21`, "M 1234-23"
at MMOD is `mod-m-1234-23`, "PMÄ 6106-24" at PMOD is `pmod-pma-6106-24`.

Fields: doc_type "dom" for every ruling (a court's BESLUT is still a ruling; metadata
`ruling_kind` says "dom" or "beslut"), `date` the decision date, metadata `court`,
`court_code`, `case_numbers`, `summary`, `is_precedent`, `reference_numbers` (NJA/HFD/MÖD
references), `keywords`, `legal_provisions`, `sfs_numbers`, `publication_type`, and
`identifiers`: "mål ÖF 5877-24" for every case number plus every reference number as given.

The text is rebuilt from the PDF's lines: page headers ("HÖGSTA DOMSTOLEN DOM T 9218-24",
"Sid 2 (12)", the department line under it), footers ("Dok.Id 2294760", the address and
opening hours block, the Dok.Id printed vertically one character per line), and rules
("________") are removed; wrapped lines are joined into paragraphs; the ruling's head labels
(PARTER, KLAGANDE, MOTPART, ÖVERKLAGAT AVGÖRANDE, SAKEN, DOMSLUT, ... AVGÖRANDE, YRKANDEN,
SKÄL, DOMSKÄL, any all-capitals line) and the short sub-headings of the reasons ("Bakgrund",
"Frågan i målet") become heading lines, so chunk sections are the ruling's parts. Metadata
`head` holds the head as structure (parties, appealed ruling, matter, operative part).
"""

from __future__ import annotations

import json
import re
import statistics
import unicodedata
from typing import Any, Iterator

from lagrum.errors import InputError
from lagrum.legal.appealed import _appealed

from ingest.formats import Fields, NativeFormat

COURT_SLUGS = {
    "HDO": "hd",
    "HD": "hd",
    "HFD": "hfd",
    "REGR": "hfd",
    "MMOD": "mod",
    "MOD": "mod",
    "PMOD": "pmod",
    "MIOD": "miod",
    "AD": "ad",
    "SVEA": "svea",
}
_SOURCES = ("SE/SupremeCourt", "SE/SupremeAdministrativeCourt", "SE/Domstolverket", "SE/Domstolsverket")

_CASE_NUMBER = re.compile(r"\b(?:[A-ZÅÄÖ]{1,4} )?\d{1,6}-\d{2}\b")

# Page furniture of the courts' PDFs.
_PAGE_NUMBER = re.compile(r"^(?:Sida?|Page) \d+(?: ?\((?:av )?\d+\)| av \d+)?$")
_FOOTER_START = re.compile(r"^(?:\S{1,3} ){0,4}(?:Dok\.Id\b|Postadress\b|Besöksadress\b)|^Avgörandet är elektroniskt undertecknat$")
_RULE = re.compile(r"^_{3,}$")
_VERTICAL_ID = ("d", "I", ".k", "o", "D")  # "Dok.Id" printed bottom-up, one glyph per line
_KINDS = r"(?:DOM|DELDOM|BESLUT|SLUTLIGT BESLUT|PROTOKOLL|DELBESLUT|MELLANDOM)"

# Labels of a ruling's head, and mixed-case labels used under PARTER.
# The value is the role the party gets in metadata `head.parties`; None for the PARTER heading.
PARTY_LABELS = {
    "klagande": "klagande", "klagande och motpart": "klagande", "klaganden": "klagande",
    "motpart": "motpart", "motparter": "motpart", "motparten": "motpart",
    "sökande": "sökande", "sökanden": "sökande", "tilltalad": "tilltalad", "tilltalade": "tilltalad",
    "åklagare": "åklagare", "målsägande": "målsägande", "part": "part",
    "parter": None, "parterna": None,
}
_APPEALED = re.compile(r"^ÖVERKLAGA(?:T|D|DE) (?:AVGÖRANDEN?|BESLUT|DOM(?:AR)?)$")
# Labels that open a part of the head; inside the head only these end a block ("KPMG AB" does not).
_KNOWN_LABEL = re.compile(
    r"^(?:PARTER(?:NA)?|KLAGANDEN?|MOTPART(?:ER|EN)?|SÖKANDEN?|TILLTALADE?|ÅKLAGARE|MÅLSÄGANDE|SAKEN\b.*|"
    r"ÖVERKLAGAD.*|ÖVERKLAGAT.*|DOMSLUT|BESLUT|.+S (?:AVGÖRANDE|DOMSLUT|BESLUT)|YRKANDEN.*|SKÄL(?:EN)?\b.*|"
    r".*DOMSKÄL|BAKGRUND|.*TALAN\b.*|SKILJAKTIG.*|TIDIGARE .*|PROCESSFRÅG.*|ÄRENDET|FRÅGAN .*)$"
)
_OPERATIVE = re.compile(r"^(?:DOMSLUT|BESLUT|AVGÖRANDE|SLUTLIGT BESLUT|.+S (?:AVGÖRANDE|DOMSLUT|BESLUT))$")
_FUNCTION_WORDS = frozenset(
    "och eller att av i på för med om som till den det de en ett från vid under enligt men samt "
    "inte ska har är var kan får detta dessa denna sin sitt sina hans hennes deras vilket vilken "
    "sig där här när då så vare dock även också mot över efter genom utan mellan hos inom bland sedan "
    "ha haft varit vara bli blir skulle kunde måste borde hade han hon man vi ni dem oss vilka vad hur "
    "om än inget ingen något någon alla andra samma sådan sådana varje både avseende beträffande "
    "rörande angående gällande".split()
)


def _sniff(data: bytes, where: str) -> bool:
    head = data[:4096].decode("utf-8", errors="ignore")
    return re.search(r'"_source"\s*:\s*"(?:' + "|".join(map(re.escape, _SOURCES)) + r')"', head) is not None


def _read(data: bytes, where: str) -> Iterator[Fields]:
    try:
        loaded = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(where, f"not a readable rättspraxis record ({exc}); check the file is the JSON the court database returned") from None
    records = loaded if isinstance(loaded, list) else [loaded]
    for n, record in enumerate(records, 1):
        spot = where if len(records) == 1 else f"{where}[{n}]"
        if not isinstance(record, dict):
            raise InputError(spot, f"expected a rättspraxis record (a JSON object), got {type(record).__name__}")
        yield ruling_fields(record, spot)


def ruling_fields(record: dict[str, Any], where: str) -> Fields:
    """The document fields of one rättspraxis record."""
    case = primary_case_number(record)
    if not case:
        raise InputError(where, "field 'primary_case_number' (or 'case_number', 'case_numbers') is missing; a ruling needs its case number")
    court = str(record.get("court") or "").strip()
    raw_text = str(record.get("text") or "")
    summary = str(record.get("summary") or "").strip()
    if not raw_text.strip():
        raw_text = summary
    if not raw_text.strip():
        raise InputError(where, "field 'text' is empty and there is no 'summary'; nothing to index")
    case_numbers = strings(record.get("case_numbers")) or [case]
    title = _title(record, court, case)
    if str(record.get("text_source") or "") == "summary" or raw_text.strip() == summary:
        title_block, lines, head, kind = "", [summary], {}, None
    else:
        title_block, lines, head, kind = restructure(raw_text, case_numbers)
    # The title opens the first paragraph, above the ruling's own title block (court, date, case).
    text = "\n\n".join([f"{title}\n{title_block}" if title_block else title, *lines])
    references = strings(record.get("reference_numbers"))
    fields: Fields = {
        "id": ruling_id(record),
        "title": title,
        "text": text,
        "date": record.get("date") or None,
        "doc_type": "dom",
        "source": court or str(record.get("_source") or ""),
        "url": str(record.get("url") or ""),
        "court": court,
        "court_code": str(record.get("court_code") or ""),
        "case_numbers": case_numbers,
        "ruling_kind": kind or _kind_from_record(record),
        "summary": summary,
        "is_precedent": bool(record.get("is_precedent")),
        "reference_numbers": references,
        "keywords": strings(record.get("keywords")),
        "legal_provisions": strings(record.get("legal_provisions")),
        "sfs_numbers": sorted(set(strings(record.get("sfs_numbers")))),
        "publication_type": str(record.get("publication_type") or ""),
        "identifiers": [f"mål {c}" for c in case_numbers] + references,
        "head": head,
    }
    language = str(record.get("language") or "")
    if language in ("sv", "swe"):
        fields["language"] = "sv"
    return fields


def strings(value: Any) -> list[str]:
    """A record's list field as clean strings: one string is a list of one, blanks are dropped."""
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return [" ".join(str(item).split()) for item in items if item is not None and str(item).strip()]


def primary_case_number(record: dict[str, Any]) -> str:
    for key in ("primary_case_number", "case_number"):
        value = str(record.get(key) or "").strip()
        if value:
            return value
    numbers = strings(record.get("case_numbers"))
    return numbers[0] if numbers else ""


def ruling_id(record: dict[str, Any]) -> str:
    """`{court}-{case}` as the module docstring defines it."""
    code = str(record.get("court_code") or "").strip().upper()
    court = COURT_SLUGS.get(code) or slug(code)
    if not court:
        words = [w for w in re.split(r"[\s-]+", str(record.get("court") or "")) if w and w[0].isupper()]
        court = slug("".join(w[0] for w in words)) or "court"
    return f"{court}-{slug(primary_case_number(record))}"


def slug(value: str) -> str:
    """ASCII, lower case, runs of other characters as one "-": "ÖF 5877-24" -> "of-5877-24"."""
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def _title(record: dict[str, Any], court: str, case: str) -> str:
    title = " ".join(str(record.get("title") or "").split())
    bare = re.sub(r"^(?:Mål(?: nr)?:?\s*)", "", title).strip("() ")
    if not title or bare == case or not re.search(r"[a-zåäö]{3}", title.replace(case, "")):
        return f"{court} mål {case}".strip()
    return title


def _kind_from_record(record: dict[str, Any]) -> str:
    hint = f"{record.get('pdf_filename') or ''} {record.get('publication_type') or ''}".lower()
    return "beslut" if ("beslut" in hint or "provningstillstand" in hint) else "dom"


# --- text --------------------------------------------------------------------------------


def restructure(raw: str, case_numbers: list[str]) -> tuple[str, list[str], dict[str, Any], str | None]:
    """The ruling's title block, its paragraphs (headings on their own), its structured head, its kind."""
    lines = [" ".join(line.split()) for line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    pdf_like = _looks_like_pdf(lines)
    lines = remove_page_furniture(lines, case_numbers)
    title_block, body = _split_title_block(lines)
    kind = _kind_from_title_block(title_block)
    blocks = _blocks(body, pdf_like)
    head = _head(blocks)
    out: list[str] = []
    in_parties = False
    for label, paragraphs, head_part in blocks:
        if label is not None and head_part and in_parties and PARTY_LABELS.get(label.lower()):
            out[-1] += "\n" + "\n".join([label, *paragraphs])  # "Klagande" under PARTER: a line of it
            continue
        in_parties = label is not None and head_part and label.lower() in PARTY_LABELS and PARTY_LABELS[label.lower()] is None
        if label is None:
            out.extend(paragraphs)
        elif head_part or (_OPERATIVE.match(label) and label.isupper()):
            out.append("\n".join([label, *paragraphs]))  # a label with its short lines, one paragraph
        else:
            out.append(label)
            out.extend(paragraphs)
    return "\n".join(title_block), [p for p in out if p.strip()], head, kind


def _looks_like_pdf(lines: list[str]) -> bool:
    """PDF text wraps lines at a fixed width; HTML text has one paragraph per line."""
    long = [len(line) for line in lines if len(line) > 20]
    return bool(long) and statistics.median(long) < 110


def remove_page_furniture(lines: list[str], case_numbers: list[str]) -> list[str]:
    """Drop page headers, footers, page numbers, rules and the vertical Dok.Id of a ruling's PDF text."""
    # Any case number: the appended lower court rulings (bilagor) print their own.
    known = "|".join(re.escape(c) for c in sorted(case_numbers, key=len, reverse=True))
    cases = rf"{known}|(?:[A-ZÅÄÖ]{{1,4}} )?\d{{1,6}}-\d{{2}}"
    header = re.compile(rf"^[A-ZÅÄÖÉ][A-ZÅÄÖÉ ,.-]*\b{_KINDS}(?: Mål nr)?(?: (?:{cases}))?$|^[A-ZÅÄÖÉ][A-ZÅÄÖÉ -]+ (?:{cases})$")
    lines = _drop_vertical_text(lines)
    digits = _vertical_id_digits(lines)
    kept: list[str] = []
    after_header: dict[str, int] = {}
    i = 0
    first_header_done = False
    while i < len(lines):
        line = lines[i]
        if _FOOTER_START.match(line):
            while kept and re.fullmatch(r"\d", kept[-1]):
                kept.pop()  # vertical Dok.Id digits just above the footer block
            i += 1
            while i < len(lines) and lines[i] and not _PAGE_NUMBER.match(lines[i]) and not header.match(lines[i]):
                i += 1
            continue
        if line in _VERTICAL_ID and line == "d" and _is_vertical_id(lines, i):
            _strip_vertical_digits(kept, digits)
            i += len(_VERTICAL_ID)
            continue
        if line == "dI.koD":  # "Dok.Id" mirrored on one line, its number on the line above
            if kept and re.fullmatch(r"\d{5,9}", kept[-1]):
                kept.pop()
            i += 1
            continue
        if _PAGE_NUMBER.match(line) or _RULE.match(line):
            kept.append("")
            i += 1
            continue
        if header.match(line) and (first_header_done or i >= 6):
            kept.append("")
            i += 1
            # The department line printed under the court's name on every page.
            if i < len(lines) and lines[i] and len(lines[i]) < 60 and not lines[i].isupper():
                after_header[lines[i]] = after_header.get(lines[i], 0) + 1
                if _recurs_after_header(lines, i, header):
                    i += 1
            continue
        if header.match(line):
            first_header_done = True
        kept.append(line)
        i += 1
    return kept


def _drop_vertical_text(lines: list[str], run: int = 10) -> list[str]:
    """Remove text printed sideways (a rotated appendix page): one word per line, often reversed.

    Ten or more lines in a row that are each a single word are not prose; the vertical Dok.Id
    (five glyphs and its digits) is shorter and handled on its own.
    """
    kept: list[str] = []
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and lines[j] and " " not in lines[j]:
            j += 1
        # The vertical Dok.Id and its digits do not count: "ansvarar." above them is a last word.
        words = sum(1 for k in range(i, j) if not re.fullmatch(r"\d|[dDIo]|\.k", lines[k]))
        if words >= run:
            i = j
            continue
        kept.extend(lines[i : max(j, i + 1)])
        i = max(j, i + 1)
    return _drop_fragment_columns(kept)


def _is_fragment(line: str) -> bool:
    """A glyph or two of sideways text ("ör", "kla", "ga n"); not a digit or a Dok.Id glyph."""
    return 0 < len(line) <= 4 and not re.fullmatch(r"\d|[dDIo]|\.k|[A-ZÅÄÖ]{2,4}|\d{1,4}", line)


def _drop_fragment_columns(lines: list[str], window: int = 12, share: float = 0.7) -> list[str]:
    """Drop the fragments of sideways text where they make up most of a window of lines.

    A rotated appendix page (the court's appeal instructions) comes out as runs of one- to
    four-character pieces with a few longer lines between them; the pieces go, the lines stay.
    """
    fragment = [_is_fragment(line) for line in lines]
    drop = [False] * len(lines)
    for start in range(0, max(0, len(lines) - window + 1)):
        if sum(fragment[start : start + window]) >= share * window:
            for k in range(start, start + window):
                drop[k] = drop[k] or fragment[k]
    return [line for line, gone in zip(lines, drop) if not gone]


def _recurs_after_header(lines: list[str], i: int, header: re.Pattern[str]) -> bool:
    """True when `lines[i]` follows a page header at least twice in the text."""
    count = sum(1 for j in range(1, len(lines)) if lines[j] == lines[i] and header.match(lines[j - 1]))
    return count >= 2


def _is_vertical_id(lines: list[str], i: int) -> bool:
    return tuple(lines[i : i + len(_VERTICAL_ID)]) == _VERTICAL_ID


def _vertical_id_digits(lines: list[str]) -> str:
    """The Dok.Id digits as printed top-down, learnt from a page where each has its own line."""
    best = ""
    for i in range(len(lines)):
        if lines[i] == "d" and _is_vertical_id(lines, i):
            j = i
            while j > 0 and re.fullmatch(r"\d", lines[j - 1]):
                j -= 1
            run = "".join(lines[j:i])
            if len(run) > len(best):
                best = run
    return best


def _strip_vertical_digits(kept: list[str], digits: str) -> None:
    """Remove the Dok.Id digits above the vertical "Dok.Id": own lines, or glued to a text line."""
    expected = list(digits)
    position = len(kept) - 1
    scanned = 0
    while expected and position >= 0 and scanned < len(digits) + 4:
        line = kept[position]
        if line == expected[-1]:
            del kept[position]
            expected.pop()
        elif line.startswith(expected[-1] + " ") and len(line) > 2:
            kept[position] = line[2:]
            expected.pop()
        elif not digits and re.fullmatch(r"\d", line):
            del kept[position]
        scanned += 1
        position -= 1
    if not digits:
        while kept and re.fullmatch(r"\d", kept[-1]):
            kept.pop()


def _split_title_block(lines: list[str]) -> tuple[list[str], list[str]]:
    """Lines before the first head label (court, kind, date, case number) and the rest."""
    for i, line in enumerate(lines[:25]):
        # "HÖGSTA FÖRVALTNINGSDOMSTOLENS BESLUT" opening the page is the title, not the operative part.
        if line and (_is_head_block(line) or (_KNOWN_LABEL.match(line) and i >= 4)):
            return [l for l in lines[:i] if l], lines[i:]
    return [], lines


def _kind_from_title_block(block: list[str]) -> str | None:
    words = " ".join(block).upper()
    if re.search(r"\b(?:SLUTLIGT )?BESLUT\b|\bPROTOKOLL\b", words):
        return "beslut"
    if re.search(r"\b(?:DEL)?DOM\b", words):
        return "dom"
    return None


def _is_caps_label(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 3 and all(c.isupper() for c in letters) and len(line.split()) <= 12 and len(line) <= 90


def _label_of(line: str, previous: str | None, following: str | None) -> str | None:
    """The line as a heading label, or None when it is text."""
    if not line:
        return None
    if _is_caps_label(line) and not _CASE_NUMBER.search(line):
        return line
    if line.lower() in PARTY_LABELS:
        return line
    return None


def _is_subheading(line: str, previous: str, following: str, width: float, after_heading: bool = False) -> bool:
    """A short heading inside the reasons ("Bakgrund", "Frågan i målet") in wrapped PDF text."""
    from lagrum.sentences import is_heading_line

    if not line or len(line) > 0.85 * width or not is_heading_line(line, following or None):
        return False
    if previous and not after_heading and not re.search(r"[.!?:)”\"]$", previous) and _label_of(previous, None, None) is None:
        return False
    if line.endswith("-") or line.split()[-1].lower() in _FUNCTION_WORDS:
        return False
    if re.search(r"\d", line) or re.match(r"^[A-ZÅÄÖ]\.[A-ZÅÄÖ]\.", line):
        return False  # numbers, or a sentence opening with a person's initials ("U.K.S. har ...")
    return not following or following[:1].isupper() or following.isupper()


def _blocks(lines: list[str], pdf_like: bool) -> list[tuple[str | None, list[str], bool]]:
    """Group lines under their labels, `(label, paragraphs, is_head_part)`; join wrapped lines.

    A head part (PARTER, KLAGANDE, SAKEN, ...) keeps its short lines; after the head, a line
    such as "Klagande" is an ordinary sub-heading of the reasons, until an appended ruling
    (bilaga) opens its own head with a capitals label.
    """
    width = _line_width(lines)
    blocks: list[tuple[str | None, list[str], bool]] = []
    label: str | None = None
    head_part = False
    head_active = True
    paragraph: list[str] = []
    paragraphs: list[str] = []

    def end_paragraph() -> None:
        if paragraph:
            if head_part:
                paragraphs.append("\n".join(paragraph))
            else:
                paragraphs.append(_join_wrapped(paragraph) if pdf_like else " ".join(paragraph))
            paragraph.clear()

    def end_block() -> None:
        end_paragraph()
        if label is not None or paragraphs:
            blocks.append((label, list(paragraphs), head_part))
        paragraphs.clear()

    previous = ""
    after_heading = False
    for i, line in enumerate(lines):
        following = next((l for l in lines[i + 1 : i + 2] if l), "")
        found = _label_of(line, previous, following)
        if found is not None and head_part and not (_KNOWN_LABEL.match(found) or found.lower() in PARTY_LABELS):
            found = None  # "KPMG AB" under KLAGANDE is a name, not a new part
        if found is None and not head_part and _is_subheading(line, previous, following, width, after_heading):
            found = line
        if found is not None:
            end_block()
            label = found
            head_part = _is_head_block(found) and (head_active or found.isupper())
            head_active = head_part
            previous = line
            after_heading = True
            continue
        if line:
            after_heading = False
        if not line:
            continue  # a page break or a removed header: the paragraph may go on
        if not pdf_like:
            end_paragraph()
            paragraph.append(line)
            end_paragraph()
        else:
            if paragraph and _starts_paragraph(line):
                end_paragraph()
            paragraph.append(line)
            if _ends_paragraph(line, width) and not head_part:
                end_paragraph()
        previous = line
    end_block()
    return blocks


def _line_width(lines: list[str]) -> float:
    lengths = sorted(len(l) for l in lines if len(l) > 20)
    return float(lengths[int(len(lengths) * 0.9)]) if lengths else 80.0


def _starts_paragraph(line: str) -> bool:
    return re.match(r"^(?:\d{1,3}\.|[a-zåäö]\)|[ivx]+\.)\s", line) is not None


def _ends_paragraph(line: str, width: float) -> bool:
    return len(line) < 0.8 * width and re.search(r"[.!?:][)”\"]?$", line) is not None


def _join_wrapped(lines: list[str]) -> str:
    text = lines[0]
    for line in lines[1:]:
        if re.search(r"[a-zåäöé]-$", text) and line[:1].islower() and line.split()[0] not in ("och", "eller", "samt", "respektive", "till"):
            text = text[:-1] + line  # a word hyphenated at the line end
        else:
            text = f"{text} {line}"
    return text


def _is_head_block(label: str | None) -> bool:
    if label is None:
        return False
    key = label.lower()
    return key in ("parter", "saken", "parterna") or key in PARTY_LABELS or _APPEALED.match(label) is not None


# --- the head as structure ---------------------------------------------------------------


def _head(blocks: list[tuple[str | None, list[str], bool]]) -> dict[str, Any]:
    """Parties, appealed ruling, matter and operative part, read from the head's labels.

    Only the ruling's own head counts: reading stops at its operative part (an appended lower
    court ruling has a head of its own).
    """
    head: dict[str, Any] = {}
    parties: dict[str, list[dict[str, str]]] = {}
    for label, paragraphs, head_part in blocks:
        if label is None:
            continue
        key = label.lower()
        lines = [l for p in paragraphs for l in p.split("\n") if l]
        if head_part:
            role = PARTY_LABELS.get(key)
            if role:
                parties.setdefault(role, []).extend(_parties(lines))
            elif key in PARTY_LABELS:  # PARTER: its lines hold "Klagande" / "Motpart" sub-labels
                _parties_under(lines, parties)
            elif _APPEALED.match(label) and "appealed" not in head:
                head["appealed"] = _appealed(" ".join(lines))
            elif key.startswith("saken") and "matter" not in head:
                head["matter"] = " ".join(lines)
            continue
        if _OPERATIVE.match(label) and paragraphs:
            head["operative"] = "\n".join(paragraphs)
        break
    parties = {role: found for role, found in parties.items() if found}
    if parties:
        head["parties"] = parties
    return head


def _parties_under(lines: list[str], parties: dict[str, list[dict[str, str]]]) -> None:
    role: str | None = None
    chunk: list[str] = []
    for line in [*lines, ""]:
        new_role = PARTY_LABELS.get(line.lower()) if line else "end"
        if new_role:
            if role and chunk:
                parties.setdefault(role, []).extend(_parties(chunk))
            role, chunk = (new_role if new_role != "end" else None), []
        else:
            chunk.append(line)


_REPRESENTATIVE = re.compile(
    r"^(?:Ombud|Genom|Offentlig försvarare|Målsägandebiträde|Biträde|Företrädd av|Ställföreträdare|Särskild företrädare)\b",
    re.IGNORECASE,
)


def _parties(lines: list[str]) -> list[dict[str, str]]:
    """One entry per party: its name and, when given, its ombud."""
    found: list[dict[str, str]] = []
    expect_new = True
    for line in lines:
        if _REPRESENTATIVE.match(line):
            if found and "ombud" not in found[-1]:
                ombud = re.sub(r"^[^:]*:\s*", "", line) if ":" in line else _REPRESENTATIVE.sub("", line).strip()
                if ombud:
                    found[-1]["ombud"] = ombud
            expect_new = False
            continue
        if re.match(r"^(?:\d{3} ?\d{2} \S|Box \d|Adress som ovan)", line, re.IGNORECASE):
            expect_new = True  # an address ends a party (or its ombud)
            continue
        if expect_new:
            name = re.sub(r",\s*\d{6}-\d{4}$", "", re.sub(r"^\d{1,2}\.\s+", "", line)).strip(" ,")
            found.append({"name": name})
            expect_new = False
    return found


FORMAT = NativeFormat(
    name="dv-record",
    suffixes=(".json",),
    sniff=_sniff,
    read=_read,
    description="Domstolsverket rättspraxis record (HD, HFD, MÖD, ... as JSON)",
)
