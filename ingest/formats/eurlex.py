"""EUR-Lex HTML of an EU act (regulation or directive), e.g. the GDPR in Swedish.

Reads two layouts: EUR-Lex's own (`p.ti-art` "Artikel 88", `p.sti-art` its title,
`p.ti-section-1` "KAPITEL IX", recitals as a table of "(1)" and text) and the common
transformed one (`h2` "KAPITEL IX — title", `h3 id="art-88"` "Artikel 88 — title",
`div id="rct_1"` recitals, `h1` holding "(EU) 2016/679").

Document: id `eu-{year}-{number}` ("eu-2016-679"); doc_type "förordning" for a regulation and
"lag" for a directive (both are binding acts; Lagrum has no EU document type and adding one
would ripple into filters and the UI); metadata `celex` ("32016R0679") and `identifiers`
["EU 2016/679", "CELEX 32016R0679"]. The text is written as lines the statute chunker cuts
at: recitals "(1) ...", "KAPITEL IX" + its title, "Artikel 88" + its title, then the article's
paragraphs, so each article is its own passage labelled "art. 88".
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from lagrum.errors import InputError

from ingest.formats import Fields, NativeFormat

_ACT_NUMBER = re.compile(r"\((EU|EG|EEG|EU, Euratom)\)\s*(?:nr\s*)?(\d{4})/(\d{1,4})|\b(\d{4})/(\d{1,4})/(EU|EG|EEG)\b")
_CELEX_ID = re.compile(r"\b3(\d{4})([RLD])(\d{4})\b", re.IGNORECASE)
_BLOCKS = {"p", "h1", "h2", "h3", "h4", "li", "td"}
_PAIR_HEAD = re.compile(r"^(?:Artikel \d+ ?[a-z]?|KAPITEL [IVXLC]+|AVSNITT \d+)$")
_DASHES = re.compile(r"\s+[—–]\s+")
_MONTHS = "januari februari mars april maj juni juli augusti september oktober november december".split()


def _sniff(data: bytes, where: str) -> bool:
    head = data[:200_000].decode("utf-8", errors="ignore")
    eu = "eur-lex" in head.lower() or re.search(r'id="eu-3\d{4}[rl]\d{4}"', head, re.IGNORECASE) is not None
    return eu and ('id="art-' in head or 'class="ti-art"' in head or ">Artikel 1" in head)


def _read(data: bytes, where: str) -> Iterator[Fields]:
    import lxml.html

    try:
        data.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = "cp1252"  # older EUR-Lex exports; lxml would otherwise guess latin-1
    try:
        root = lxml.html.fromstring(data, parser=lxml.html.HTMLParser(encoding=encoding))
    except Exception as exc:  # lxml raises assorted parser errors
        raise InputError(where, f"cannot parse the EUR-Lex HTML: {exc}") from None
    for sup in root.xpath("//sup[contains(@class, 'footnote')]"):
        _drop_keep_tail(sup)
    for junk in root.xpath("//script | //style | //head"):
        _drop_keep_tail(junk)
    paragraphs = _paragraphs(root)
    if not any(p.startswith("Artikel ") for p in paragraphs):
        raise InputError(where, "no articles ('Artikel 1') found in this EUR-Lex page; is it the act's full text?")
    whole = "\n".join(paragraphs)
    year, number, kind = _act_number(root, whole, where)
    celex = f"3{year}{kind}{int(number):04d}"
    title = _title(root, paragraphs, year, number)
    yield {
        "id": f"eu-{year}-{number}",
        "title": title,
        "text": "\n\n".join(paragraphs),
        "date": _adopted(whole),
        "doc_type": "förordning" if kind == "R" else "lag",
        "source": "EUR-Lex",
        "language": "sv" if (root.get("lang") or "sv").startswith("sv") else "en",
        "celex": celex,
        "identifiers": [f"EU {year}/{number}", f"CELEX {celex}"],
    }


def _drop_keep_tail(element: Any) -> None:
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail or ""
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(element)


def _text(element: Any) -> str:
    text = " ".join(element.text_content().replace("\xa0", " ").split())
    return re.sub(r" (?=[,;.:)](?:\s|$))", "", text)  # the space a removed footnote mark left


def _paragraphs(root: Any) -> list[str]:
    """The act as paragraphs: recitals "(n) ...", headings as two-line pairs, article text."""
    out: list[str] = []
    seen_recitals: set[int] = set()
    for element in root.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        ident = element.get("id") or ""
        recital = re.fullmatch(r"rct_(\d+)", ident)
        if recital:
            number = int(recital.group(1))
            seen_recitals.add(number)
            body = _text(element)
            if body:
                out.append(body if body.startswith(f"({number})") else f"({number}) {body}")
            continue
        if tag == "tr" and not any(a.get("id", "").startswith("rct_") for a in element.iterancestors()):
            cells = [_text(td) for td in element.findall("td")]
            if len(cells) == 2 and re.fullmatch(r"\(\d+\)", cells[0]):
                out.append(f"{cells[0]} {cells[1]}")
                continue
        if tag not in _BLOCKS or _inside(element, seen_recitals):
            continue
        if any(child.tag in _BLOCKS for child in element.iterdescendants() if isinstance(child.tag, str)):
            own = " ".join((element.text or "").replace("\xa0", " ").split())
            if own:
                out.append(own)
            continue  # its block children are visited on their own
        text = _text(element)
        if not text:
            continue
        if tag in ("h2", "h3", "h4") and _DASHES.search(text):
            head, rest = _DASHES.split(text, 1)
            out.append(f"{head}\n{rest}")
            continue
        out.append(text)
    return _merge_pairs(out)


def _inside(element: Any, recitals: set[int]) -> bool:
    return any(re.fullmatch(r"rct_\d+", a.get("id") or "") or a.tag == "tr" and _is_recital_row(a) for a in element.iterancestors() if isinstance(a.tag, str))


def _is_recital_row(row: Any) -> bool:
    cells = row.findall("td")
    return len(cells) == 2 and re.fullmatch(r"\(\d+\)", _text(cells[0])) is not None


def _merge_pairs(paragraphs: list[str]) -> list[str]:
    """Join "Artikel 88" with its title line, "a)" with its text, and drop repeats of a heading."""
    merged: list[str] = []
    for paragraph in paragraphs:
        if merged and (_PAIR_HEAD.fullmatch(merged[-1]) or re.fullmatch(r"(?:[a-z]|\d{1,2})[.)]", merged[-1])):
            joiner = "\n" if _PAIR_HEAD.fullmatch(merged[-1]) else " "
            merged[-1] = f"{merged[-1]}{joiner}{paragraph}"
            continue
        merged.append(paragraph)
    return merged


def _act_number(root: Any, text: str, where: str) -> tuple[str, str, str]:
    for source in [root.get("id") or "", *(e.get("id") or "" for e in root.iter("article"))]:
        celex = _CELEX_ID.search(source)
        if celex:
            return celex.group(1), str(int(celex.group(3))), celex.group(2).upper()
    match = _ACT_NUMBER.search(text[:5000])
    if not match:
        raise InputError(where, "cannot find the act's number ('(EU) 2016/679') in the EUR-Lex page")
    if match.group(2):
        kind = "L" if "direktiv" in text[:3000].lower() else "R"
        return match.group(2), match.group(3), kind
    return match.group(4), match.group(5), "L"


def _title(root: Any, paragraphs: list[str], year: str, number: str) -> str:
    official = [_text(p) for p in root.xpath("//p[contains(concat(' ', @class, ' '), ' doc-ti ')]")]
    if official:  # EUR-Lex: "EUROPAPARLAMENTETS OCH RÅDETS FÖRORDNING (EU) 2016/679", "av den ...", "om ..."
        first = official[0].lower().capitalize() if official[0].isupper() else official[0]
        first = re.sub(r"\((eu|eg|eeg|eu, euratom)\)", lambda m: m.group(0).upper(), first)
        return " ".join([first, *official[1:]])
    h1 = root.find(".//h1")
    parts = [p for p in (_text(x) for x in (h1.findall(".//p") if h1 is not None else [])) if p] or paragraphs[:2]
    name = next((p for p in parts if not re.fullmatch(r"\(EU\) \d{4}/\d+", p) and len(p) < 200 and not p.isupper()), "")
    kind = "direktiv" if "direktiv" in " ".join(paragraphs[:3]).lower() else "förordning"
    return f"{name} – {kind} (EU) {year}/{number}" if name else f"{kind.capitalize()} (EU) {year}/{number}"


def _adopted(text: str) -> str | None:
    match = re.search(r"av den (\d{1,2}) (" + "|".join(_MONTHS) + r") (\d{4})", text[:3000])
    if not match:
        return None
    return f"{match.group(3)}-{_MONTHS.index(match.group(2)) + 1:02d}-{int(match.group(1)):02d}"


FORMAT = NativeFormat(
    name="eurlex",
    suffixes=(".html", ".htm", ".xhtml"),
    sniff=_sniff,
    read=_read,
    description="EUR-Lex HTML of an EU regulation or directive (articles and recitals)",
)
