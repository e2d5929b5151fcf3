"""Official legal source formats, detected from a file's content.

Each module here reads one official format (Regeringskansliet's statute JSON, statutes split
into provisions, Riksdagen open data, Domstolsverket's rättspraxis records, IMY decisions,
EUR-Lex HTML, lagrummet/rinfo documents, ferenda XHTML) and defines `FORMAT`, a `NativeFormat`. `ingest.loaders` asks
`detect()` before its generic readers, so a `.json` file that is a statute becomes a statute
with its official identifiers instead of a generic JSON record; `lagrum ingest --format NAME`
forces one.

>>> fmt = detect(".json", b'{"beteckning": "2009:400", "fulltext": {}}', "x.json")
>>> fmt.name if fmt else None  # doctest: +SKIP
'sfs-json'

A reader yields one dict of document fields per document (`id`, `title`, `text`, `date`,
`doc_type`, `source`, `url`, `language`, `relations`, and any other keys, which are kept as
metadata: official identifiers go in `identifiers`, a list of strings such as "SFS 2009:400",
"mål ÖF 5877-24", "CELEX 32016R0679"). The text is written with the document's own structure as
lines: headings, chapter lines ("2 kap."), section lines ("5 §"), article lines ("Artikel 88"),
the parts of a ruling's head ("KLAGANDE", "DOMSLUT"), so that chunking can cut at them. A reader
raises `InputError` (naming the file and what to do) for a file it recognised but cannot read.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from lagrum.errors import InputError

Fields = dict[str, Any]


@dataclass(frozen=True)
class NativeFormat:
    """One official format: which files it may be (`suffixes`), how to recognise it, how to read it.

    :param name: the name `--format` takes (``sfs-json``, ``dv-record``, ...).
    :param suffixes: file suffixes it can come in (lower case, with the dot).
    :param sniff: `(data, where) -> bool`, cheap: looks at the first bytes or keys only.
    :param read: `(data, where) -> Iterator[Fields]`, one dict per document.
    :param description: one line for `lagrum ingest --help`.
    """

    name: str
    suffixes: tuple[str, ...]
    sniff: Callable[[bytes, str], bool]
    read: Callable[[bytes, str], Iterator[Fields]]
    description: str = ""


# Modules that define FORMAT, in the order they are asked (most specific first).
_MODULES = (
    "sfs_json",  # Regeringskansliet rättsdatabaser: consolidated statute JSON
    "law_provisions",  # statutes split into provisions (swedish-law-mcp seeds of Riksdagen text)
    "riksdagen",  # Riksdagen open data: dokumentstatus / dokumentlista (JSON, XML)
    "rattspraxis",  # Domstolsverket rättspraxis records (HD, HFD, MÖD, ...)
    "imy",  # IMY decision records
    "eurlex",  # EUR-Lex HTML (the GDPR in Swedish)
    "rinfo",  # lagrummet/rinfo RDF + XHTML documents
    "ferenda",  # ferenda (lagen.nu) XHTML of AD, HFD, JO decisions and förarbeten
)


def native_formats() -> dict[str, NativeFormat]:
    """Every available native format by name."""
    found: dict[str, NativeFormat] = {}
    for module_name in _MODULES:
        module = importlib.import_module(f"ingest.formats.{module_name}")
        fmt = getattr(module, "FORMAT", None)
        if fmt is not None:
            found[fmt.name] = fmt
    return found


def detect(suffix: str, data: bytes, where: str, forced: str | None = None) -> NativeFormat | None:
    """The native format of a file, or None for Lagrum's generic readers.

    :param forced: a format name from `--format`; an unknown name is an `InputError`.
    """
    formats = native_formats()
    if forced:
        if forced in ("auto", ""):
            forced = None
        elif forced in GENERIC:
            return None
        elif forced not in formats:
            raise InputError(where, f"unknown format {forced!r}; use one of {', '.join(format_names())}")
        else:
            return formats[forced]
    for fmt in formats.values():
        if suffix in fmt.suffixes:
            try:
                if fmt.sniff(data, where):
                    return fmt
            except Exception:  # a sniffer must never end a batch; the generic reader reports
                continue
    return None


def field_date(value: Any, where: str, field: str) -> str | None:
    """A date field of an official record as ISO `YYYY-MM-DD` (None when empty); a bad one is an
    `InputError` naming the file and the field."""
    from lagrum.documents import parse_iso_date

    try:
        return parse_iso_date(value, f"field '{field}'")
    except ValueError as exc:
        raise InputError(where, str(exc)) from None


# `--format` names of the generic readers (they take the file as what its suffix says).
GENERIC = ("text", "markdown", "html", "pdf", "docx", "json", "jsonl")


def format_names() -> list[str]:
    return ["auto", *native_formats(), *GENERIC]
