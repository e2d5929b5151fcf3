"""Read documents from files: text, Markdown, HTML, PDF, DOCX and JSON Lines.

Every reader returns `Document` objects with cleaned canonical text, or an `InputError`
that names the file (and line) and says what was wrong — a bad file never stops a batch.

>>> for item in iter_documents([Path("corpus/documents")]):  # doctest: +SKIP
...     print(item.id if isinstance(item, Document) else item)

Metadata comes from, in increasing priority: what the format itself carries (an HTML
`<title>`, DOCX core properties, the first heading), a sidecar `NAME.meta.yaml` next to the
file, and Markdown front matter or the JSONL object itself. A file without an `id` gets a
stable one derived from its path relative to the ingested root.

Parsing is bounded so that one hostile or broken file cannot take the memory or the CPU of a
server (README "Limits"): YAML metadata may not use aliases (&/*) and is kept small and shallow;
a DOCX is refused before unpacking when its zip declares too much (`max_unpacked_mb`) or packs
suspiciously well; a PDF may have at most `max_pdf_pages` pages; and reading one file stops after
`max_parse_seconds` (checked page by page). The bounds default to those of `lagrum.settings`.
"""

from __future__ import annotations

import errno
import glob
import hashlib
import io
import json
import logging
import os
import re
import threading
import time
import unicodedata
import zipfile
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

import yaml

from lagrum.cleaning import clean_text
from lagrum.documents import DOC_TYPES, DOCUMENT_FIELDS, LANGUAGES, RELATION_TYPES, Document, doc_type_key, language_key, parse_iso_date
from lagrum.errors import InputError
from lagrum.language import detect_language
from lagrum.store.limits import check_metadata
from lagrum.settings import DEFAULT_MAX_PARSE_SECONDS, DEFAULT_MAX_PDF_PAGES, DEFAULT_MAX_UNPACKED_MB

from ingest.formats import detect as detect_native_format
from ingest.pdf_layout import join_pages, series_fields

FORMATS = (".txt", ".md", ".markdown", ".html", ".htm", ".xhtml", ".pdf", ".docx", ".jsonl", ".json", ".xml")
SIDECAR_SUFFIX = ".meta.yaml"
MAX_ID_LENGTH = 200
MAX_METADATA_BYTES = 64_000  # front matter or a sidecar: metadata, not text
MAX_METADATA_DEPTH = 20  # nesting of lists and mappings in YAML metadata
MAX_ZIP_MEMBERS = 2_000  # files inside one DOCX; Word writes a few dozen, plus one per image
MAX_ZIP_RATIO = 100  # unpacked / packed size of one DOCX member; real XML packs about 5-40 times
_RATIO_FLOOR = 1_000_000  # members smaller than this may pack as well as they like

_LOG = logging.getLogger("lagrum.ingest")


@dataclass(frozen=True)
class _Limits:
    """The parse bounds for one file; `deadline` is set when its parsing starts."""

    pdf_pages: int = DEFAULT_MAX_PDF_PAGES
    parse_seconds: float = DEFAULT_MAX_PARSE_SECONDS
    unpacked_mb: int = DEFAULT_MAX_UNPACKED_MB
    deadline: float = float("inf")

    def started(self) -> "_Limits":
        return _Limits(self.pdf_pages, self.parse_seconds, self.unpacked_mb, time.monotonic() + self.parse_seconds)

    def check_time(self, where: str, progress: str) -> None:
        if time.monotonic() > self.deadline:
            raise InputError(where, f"reading the file took more than {self.parse_seconds:g} s ({progress}); split it, or raise LAGRUM_MAX_PARSE_SECONDS")


def parse_limits(settings: Any) -> dict[str, Any]:
    """The keyword arguments of `iter_documents` / `load_bytes` that carry a `Settings`' parse bounds."""
    return {"max_pdf_pages": settings.max_pdf_pages, "max_parse_seconds": settings.max_parse_seconds, "max_unpacked_mb": settings.max_unpacked_mb}


class _RefusedYaml(yaml.YAMLError):
    """YAML that would parse, but that Lagrum will not expand: `reason` follows "front matter"/"sidecar"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class _MetadataLoader(yaml.SafeLoader):
    """YAML without implicit timestamps (dates stay strings, so a bad one is reported by field),
    without aliases and anchors (a few hundred bytes of them expand to gigabytes: "billion
    laughs"), and at most `MAX_METADATA_DEPTH` levels deep. Both are refused while composing,
    before any node is built or shared."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _RefusedYaml("uses YAML aliases (&/*), which Lagrum does not accept; write the values out")
        if self._depth >= MAX_METADATA_DEPTH:
            raise _RefusedYaml(f"is nested more than {MAX_METADATA_DEPTH} levels deep; metadata fields are values, lists or small mappings")
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_MetadataLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_MetadataLoader)  # noqa: S506 - a SafeLoader subclass


_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)


def iter_files(paths: Iterable[Path]) -> Iterator[tuple[Path, Path]]:
    """Yield `(file, root)` for every file under `paths`, sorted, without sidecars or hidden files."""
    for path in paths:
        path = Path(path)
        if path.is_dir():
            # A broken link is listed too, so that it is reported rather than silently missing.
            for file in sorted(p for p in path.rglob("*") if p.is_file() or (p.is_symlink() and not p.exists())):
                rel = file.relative_to(path)
                if any(part.startswith(".") for part in rel.parts) or file.name.endswith(SIDECAR_SUFFIX):
                    continue
                if file.suffix.lower() == ".ttl" and file.with_suffix(".xhtml").exists():
                    continue  # ferenda's RDF next to its XHTML, which carries the same statements
                yield file, path
        else:
            yield path, path.parent


def iter_documents(
    paths: Iterable[Path],
    max_bytes: int = 50_000_000,
    *,
    max_pdf_pages: int = DEFAULT_MAX_PDF_PAGES,
    max_parse_seconds: float = DEFAULT_MAX_PARSE_SECONDS,
    max_unpacked_mb: int = DEFAULT_MAX_UNPACKED_MB,
    format: str | None = None,
) -> Iterator[Document | InputError]:
    """Read every document under `paths`; yield a `Document` or an `InputError` per item.

    :param paths: files and directories (walked recursively).
    :param max_bytes: files larger than this are refused (JSON Lines: each line).
    :param max_pdf_pages: PDFs with more pages are refused.
    :param max_parse_seconds: reading one file stops with an error after this long.
    :param max_unpacked_mb: a DOCX whose zip unpacks to more is refused before unpacking.
        `parse_limits(settings)` gives these three from a `Settings`.
    :param format: a format name (`ingest.formats.format_names()`) to read every file as;
        None detects each file's format from its content.
    """
    limits = _Limits(max_pdf_pages, max_parse_seconds, max_unpacked_mb)
    for path in paths:
        path = Path(path)
        found = False
        for file, root in iter_files([path]):
            found = True
            yield from _read_file(file, root, max_bytes, limits, format)
        if path.is_dir():
            if not found:
                yield InputError(str(path), f"no documents in this folder; Lagrum reads {', '.join(FORMATS)}")
            yield from _orphan_sidecars(path)


def _orphan_sidecars(folder: Path) -> Iterator[InputError]:
    """A sidecar whose document is missing (renamed, deleted, misspelt) would be ignored: say so."""
    for sidecar in sorted(folder.rglob("*" + SIDECAR_SUFFIX)):
        if any(part.startswith(".") for part in sidecar.relative_to(folder).parts):
            continue
        base = sidecar.name[: -len(SIDECAR_SUFFIX)]
        siblings = [f for f in sidecar.parent.glob(glob.escape(base) + "*") if f.is_file() and f != sidecar]
        if not any(f.name == base or (f.stem == base and f.suffix.lower() in FORMATS) for f in siblings):
            yield InputError(str(sidecar), f"sidecar without a document: no {base}.txt, .md, .pdf, ... next to it; name it after its document (NAME{SIDECAR_SUFFIX}) or remove it")


def load_bytes(
    name: str,
    data: bytes,
    meta: dict[str, Any] | None = None,
    max_bytes: int = 50_000_000,
    *,
    max_pdf_pages: int = DEFAULT_MAX_PDF_PAGES,
    max_parse_seconds: float = DEFAULT_MAX_PARSE_SECONDS,
    max_unpacked_mb: int = DEFAULT_MAX_UNPACKED_MB,
    isolated: bool = False,
    format: str | None = None,
) -> list[Document | InputError]:
    """Read one uploaded file given as bytes; `name` decides the format (bounds as in `iter_documents`).

    :param isolated: read PDF, DOCX, HTML and any file over 1 MB in a worker process
        (`ingest.isolation`), as `POST /documents` does: the pure-Python parsers then cannot
        starve the server's other threads of the GIL, and a reader stuck inside one page is
        killed `max_parse_seconds` + 10 s after it started.

    >>> load_bytes("beslut.txt", "Beslut\\n\\nText.".encode(), {"doc_type": "beslut"})[0].title
    'Beslut'
    """
    suffix = Path(name).suffix.lower()
    if suffix not in FORMATS:
        return [InputError(name, f"unsupported format {suffix or '(no extension)'!r}; use one of {', '.join(FORMATS)}")]
    if len(data) > max_bytes and suffix != ".jsonl":
        return [InputError(name, _too_large(len(data), max_bytes, suffix))]
    default_id = _slug_id(Path(name).with_suffix("").name) or _unnamed_id(name)
    limits = _Limits(max_pdf_pages, max_parse_seconds, max_unpacked_mb)
    if isolated and (suffix in _ISOLATED_FORMATS or len(data) > _ISOLATED_BYTES):
        items = _parse_in_worker(name, suffix, data, default_id, dict(meta or {}), max_bytes, limits, format)
    else:
        items = list(_parse(name, suffix, data, default_id, dict(meta or {}), max_bytes, limits, format))
    return [_derived_from(item, name, f"upload:{name}") for item in items]


# --- reading in a worker process ---------------------------------------------------------

_ISOLATED_FORMATS = (".pdf", ".docx", ".html", ".htm")  # parsers that spend their time in Python or lxml
_ISOLATED_BYTES = 1_000_000
_KILL_GRACE_SECONDS = 10  # the parser checks its own time page by page; this is for a stuck page


def _parse_in_worker(where: str, suffix: str, data: bytes, default_id: str, meta: dict[str, Any], max_bytes: int, limits: _Limits, format: str | None = None) -> list[Document | InputError]:
    from ingest.isolation import WORKER_MEMORY_MB, WorkerFailed, call_isolated

    try:
        status, value = call_isolated("ingest.loaders.parse_for_worker", (where, suffix, data, default_id, meta, max_bytes, limits, format), limits.parse_seconds + _KILL_GRACE_SECONDS)
    except WorkerFailed as exc:
        if exc.timed_out:
            return [InputError(where, f"reading the file took more than {limits.parse_seconds:g} s and was stopped; split it, or raise LAGRUM_MAX_PARSE_SECONDS")]
        return [InputError(where, f"the reader crashed on this file ({exc}); re-save it, or convert it to PDF or .txt")]
    except OSError as exc:  # no worker could be started: read here, bounded as in the CLI
        _LOG.warning("%s: no reader process could be started (%s); reading it in this process", where, exc)
        return list(_parse(where, suffix, data, default_id, meta, max_bytes, limits, format))
    if status == "memory":
        return [InputError(where, f"reading the file needed more than {WORKER_MEMORY_MB / 1000:g} GB of memory; split it, or convert it to PDF or .txt")]
    if status == "error":
        return [InputError(where, f"cannot read the file: {value}")]
    entries, warnings = value
    for message in warnings:
        _LOG.warning("%s", message)
    return [InputError(entry[1], entry[2]) if entry[0] == "error" else Document(**entry[1]) for entry in entries]


class _Collect(logging.Handler):
    def __init__(self, messages: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.messages = messages

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def parse_for_worker(where: str, suffix: str, data: bytes, default_id: str, meta: dict[str, Any], max_bytes: int, limits: _Limits, format: str | None = None) -> tuple[list[tuple], list[str]]:
    """The worker's side of `load_bytes(isolated=True)`: the items as JSON (a Document as its
    fields, an InputError as source and reason) and the warnings, which the caller logs where
    logging is set up."""
    warnings: list[str] = []
    collect = _Collect(warnings)
    _LOG.addHandler(collect)
    _LOG.propagate = False  # a worker only: its warnings travel back with the answer
    try:
        entries = [("error", i.source, i.reason) if isinstance(i, InputError) else ("document", asdict(i)) for i in _parse(where, suffix, data, default_id, meta, max_bytes, limits, format)]
    finally:
        _LOG.removeHandler(collect)
    return entries, warnings


def documents_from_records(records: Iterable[Any], origin: str = "request") -> list[Document | InputError]:
    """Validate JSON objects with the JSONL fields into documents (used by `POST /documents`)."""
    out: list[Document | InputError] = []
    for n, record in enumerate(records):
        where = f"{origin}[{n}]"
        if not isinstance(record, dict):
            out.append(InputError(where, "expected a JSON object with at least 'id' and 'text'"))
            continue
        out.append(_document(record, {}, where, default_id=None))
    return out


# --- files ------------------------------------------------------------------------------


def _read_file(file: Path, root: Path, max_bytes: int, limits: _Limits, format: str | None = None) -> Iterator[Document | InputError]:
    where = str(file)
    suffix = file.suffix.lower()
    if not file.exists():
        yield InputError(where, _missing(file))
        return
    if suffix not in FORMATS:
        yield InputError(where, f"unsupported format {suffix or '(no extension)'!r}; use one of {', '.join(FORMATS)}")
        return
    size = file.stat().st_size
    if size > max_bytes and suffix != ".jsonl":
        yield InputError(where, _too_large(size, max_bytes, suffix))
        return
    try:
        sidecar = _read_sidecar(file)
    except InputError as exc:
        yield exc
        return
    try:
        data = file.read_bytes()
    except OSError as exc:
        yield InputError(where, f"cannot read: {exc.strerror or exc}")
        return
    default_id = _path_id(file, root)
    resolved = str(file.resolve())
    for item in _parse(where, suffix, data, default_id, sidecar, max_bytes, limits, format):
        yield _derived_from(item, where, resolved)


def _missing(file: Path) -> str:
    """Why a listed file cannot be opened: gone, a link to nothing, or a link that loops."""
    if not file.is_symlink():
        return "no such file or directory"
    try:
        os.stat(file)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"symlink loop: the link to {os.readlink(file)} leads back to itself; point it at a real file or remove it"
    return f"broken link to {os.readlink(file)}"


def _derived_from(item: Document | InputError, where: str, key: str) -> Document | InputError:
    """Name the file a derived id came from by `key` (a resolved path), not as the user wrote it."""
    if isinstance(item, Document) and item.id_from is not None:
        item.id_from = key + item.id_from[len(where) :]
    return item


def _parse(where: str, suffix: str, data: bytes, default_id: str, meta: dict[str, Any], max_bytes: int, limits: _Limits, format: str | None = None) -> Iterator[Document | InputError]:
    try:
        native = detect_native_format(suffix, data, where, format)
    except InputError as exc:
        yield exc
        return
    if native is not None:
        yield from _read_native(native, where, data, default_id, meta)
        return
    if suffix == ".xml":
        yield InputError(where, "not an XML format Lagrum reads (Riksdagen dokumentstatus/dokumentlista, rinfo RDF); name the format with --format or convert the file")
        return
    if suffix in (".jsonl", ".json"):
        yield from _read_json(where, suffix, data, default_id, meta, max_bytes)
        return
    if not data.strip():
        yield InputError(where, "empty file: no text to index")
        return
    try:
        found, text = _extract(suffix, data, where, limits.started())
    except InputError as exc:
        yield exc
        return
    yield _document({**found, **meta, "text": text}, {}, where, default_id)


def _read_native(native: Any, where: str, data: bytes, default_id: str, meta: dict[str, Any]) -> Iterator[Document | InputError]:
    """Documents from an official format's reader; the sidecar's fields win over the format's."""
    try:
        records = list(native.read(data, where))
    except InputError as exc:
        yield exc
        return
    except Exception as exc:  # a reader bug or a malformed file must not end the batch
        yield InputError(where, f"cannot read as {native.name}: {type(exc).__name__}: {exc}; check the file or ingest it with --format text")
        return
    if not records:
        yield InputError(where, f"no documents in this {native.name} file")
        return
    for n, record in enumerate(records, 1):
        single = len(records) == 1
        yield _document({**record, **meta}, {}, where if single else f"{where}[{n}]", default_id if single else f"{default_id}-{n}")


def _extract(suffix: str, data: bytes, where: str, limits: _Limits) -> tuple[dict[str, Any], str]:
    """Return (metadata found in the file, plain text) for one non-JSON format."""
    if suffix == ".pdf":
        return _pdf(data, where, limits)
    if suffix == ".docx":
        return _docx(data, where, limits)
    text = _decode(data, where)
    if suffix in (".md", ".markdown"):
        return _markdown(text, where)
    if suffix in (".html", ".htm", ".xhtml"):
        meta, body = _html(text, where)
        limits.check_time(where, "extracting the HTML page's text")
        return meta, body
    return {"title": _first_line_title(text)}, text


def _decode(data: bytes, where: str) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 / Latin-1 as older Swedish files use.

    A file that is neither — UTF-8 and cp1252 mixed in one file, or Shift-JIS and the like — is
    refused rather than read as mojibake ("Ã¥" for "å").
    """
    if _looks_binary(data):
        raise InputError(where, "binary content, not text; convert it to .txt, .pdf or .docx")
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(codec, errors="strict").lstrip("\ufeff")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    guess = _not_western(data)
    if guess:
        raise InputError(where, f"neither UTF-8 nor a Western single-byte encoding (looks like {guess}); convert it to UTF-8")
    return data.decode("cp1252")  # Latin-1 text decodes the same: they differ only in 0x80-0x9F


# UTF-8 for "Ã"/"Â"/"â" + a byte 0x80-0xBF: "å", "é", "§", a no-break space, "–", "’", "€" as
# UTF-8. In real Western text those letters are never followed by such a symbol.
_UTF8_MOJIBAKE = re.compile(rb"[\xc2\xc3][\x80-\xbf]|\xe2[\x80-\xbf][\x80-\xbf]")
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")  # C1 controls in Latin-1: never in text
_NON_ASCII_RUN = re.compile(rb"[\x80-\xff]{4,}")
_NON_ASCII_BYTES = bytes(range(0x80, 0x100))
# cp1252 symbols that Shift-JIS lead bytes (kana, kanji) turn into; rare in Western text.
_SHIFT_JIS_LEADS = frozenset("‚ƒˆ‰‹Œ˜œŸ")


def _not_western(data: bytes) -> str | None:
    """What a non-UTF-8 file looks like when it is not Western single-byte text, else None.

    Western text has a few non-ASCII letters, mostly alone between ASCII ones; East Asian
    encodings pair their bytes (Shift-JIS lead bytes become "‚ƒˆŒ..." in cp1252).
    """
    nonascii = len(data) - len(data.translate(None, _NON_ASCII_BYTES))
    decoded = data.decode("cp1252", errors="replace")
    leads = sum(decoded.count(c) for c in _SHIFT_JIS_LEADS)
    runs = _NON_ASCII_RUN.findall(data)  # 4+ non-ASCII bytes in a row: 2+ East Asian characters
    paired = sum(len(run) for run in runs)
    led = [run for run in runs if _SHIFT_JIS_LEADS.intersection(run.decode("cp1252", errors="replace"))]
    east_asian = "Shift-JIS or another East Asian encoding"
    if (leads >= 3 and leads * 4 > nonascii) or (nonascii * 4 > len(data) and paired * 2 > nonascii):
        return east_asian
    if len(led) >= 3 or (led and sum(len(run) for run in led) * 2 > nonascii):
        return east_asian
    mixed = _UTF8_MOJIBAKE.search(data)
    if mixed:
        return f"a mix of UTF-8 and cp1252: UTF-8 at line {_line_at(data, mixed.start())}"
    undefined = _CP1252_UNDEFINED.search(data)
    if undefined:
        return f"{east_asian}: byte 0x{data[undefined.start()]:02X} at line {_line_at(data, undefined.start())} is no character in cp1252"
    # Other UTF-8 letters ("ł", "ő", "č"): a Western file holds one such byte pair by accident,
    # not a quarter of its non-ASCII bytes.
    sequences = _UTF8_SEQUENCE.findall(data)
    if len(sequences) >= 3 and len(sequences) * 8 >= nonascii:
        return f"a mix of UTF-8 and cp1252: UTF-8 at line {_line_at(data, _UTF8_SEQUENCE.search(data).start())}"
    return None


def _line_at(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return control > len(sample) * 0.05


def _markdown(text: str, where: str) -> tuple[dict[str, Any], str]:
    meta: dict[str, Any] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        if len(match.group(1)) > MAX_METADATA_BYTES:
            raise InputError(where, f"front matter is {len(match.group(1)) / 1000:.0f} KB; keep it under {MAX_METADATA_BYTES // 1000} KB (metadata only: long text belongs in the body)")
        try:
            loaded = _load_yaml(match.group(1))
        except _RefusedYaml as exc:
            raise InputError(where, f"front matter {exc.reason}") from None
        except yaml.YAMLError as exc:
            raise InputError(where, f"front matter is not valid YAML: {_yaml_reason(exc)}") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise InputError(where, "front matter must be a mapping of fields (id, title, date, ...)")
        meta = loaded or {}
        text = text[match.end() :]
    plain = _markdown_to_text(text)
    if "title" not in meta:
        heading = re.search(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, re.M)
        meta["title"] = heading.group(1).strip() if heading else _first_line_title(plain)
    return meta, plain


def _markdown_to_text(text: str) -> str:
    """Markdown to plain text: markers go, words stay (offsets point into this text)."""
    lines = []
    in_fence = False
    for line in text.splitlines():
        if line.strip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if not in_fence:
            line = re.sub(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", r"\1", line)
            line = re.sub(r"^\s{0,3}>\s?", "", line)
            line = re.sub(r"!\[([^\]]*)\]\([^)]*\)", "", line)
            line = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", line)
            line = re.sub(r"(\*\*|__)(.+?)\1", r"\2", line)
            line = re.sub(r"(?<![\w*])([*_])(?!\s)(.+?)(?<!\s)\1(?![\w*])", r"\2", line)
            line = re.sub(r"`([^`]+)`", r"\1", line)
            line = re.sub(r"^\s*[-*+]\s+", "- ", line)
            if re.fullmatch(r"\s*([-*_])(\s*\1){2,}\s*", line):
                line = ""
        lines.append(line)
    return "\n".join(lines)


def _html(text: str, where: str) -> tuple[dict[str, Any], str]:
    try:
        import trafilatura
    except ImportError as exc:  # an incomplete install must not end the batch with a traceback
        raise InputError(where, f"HTML support is not installed ({exc}); reinstall with `pip install -e .`") from None

    try:
        # A fresh cache per page: with `deduplicate=True` trafilatura keeps one process-wide cache,
        # so the third read of the same page in a process (re-ingest, a benchmark, the API) lost
        # its paragraphs ("no main text found"). Repeats within one page are still dropped.
        from trafilatura.deduplication import LRU_SIZE, LRUCache

        body = trafilatura.extract(text, include_comments=False, include_tables=True, favor_precision=True, deduplicate=LRUCache(LRU_SIZE))
        meta_doc = trafilatura.extract_metadata(text)
    except Exception as exc:  # trafilatura raises assorted lxml errors on broken markup
        raise InputError(where, f"cannot parse HTML: {exc}") from None
    if not body:
        raise InputError(where, "no main text found in the HTML page (only navigation or scripts?)")
    meta: dict[str, Any] = {}
    if meta_doc is not None:
        if meta_doc.title:
            meta["title"] = meta_doc.title.strip()
        if meta_doc.date:
            try:
                meta["date"] = parse_iso_date(meta_doc.date)
            except ValueError:
                pass  # a page's own date is a hint; a bad one is not the user's field to fix
        if meta_doc.sitename:
            meta["source"] = meta_doc.sitename.strip()
        if meta_doc.url and _HTTP_URL.fullmatch(meta_doc.url.strip()):
            meta["url"] = meta_doc.url.strip()
    if "title" not in meta:
        meta["title"] = _first_line_title(body)
    return meta, body


class _PypdfNotes(logging.Handler):
    """pypdf reports the damage it repaired ("EOF marker not found") through its logger, without
    the file's name. While a thread reads a PDF, its records are collected here so the loader
    can report them naming the file; records from other uses of pypdf pass on unchanged."""

    def __init__(self) -> None:
        super().__init__()
        self._local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        notes = getattr(self._local, "notes", None)
        if notes is None:
            logging.getLogger().handle(record)  # where it would have gone without this handler
        elif len(notes) < 10 and record.getMessage() not in notes:
            notes.append(record.getMessage())

    @contextmanager
    def collect(self) -> Iterator[list[str]]:
        self._local.notes = []
        try:
            yield self._local.notes
        finally:
            self._local.notes = None


_PYPDF_NOTES = _PypdfNotes()


def _install_pypdf_notes() -> None:
    logger = logging.getLogger("pypdf")
    if _PYPDF_NOTES not in logger.handlers:
        logger.addHandler(_PYPDF_NOTES)
        logger.propagate = False  # `_PypdfNotes.emit` passes on what it does not collect


def _pdf(data: bytes, where: str, limits: _Limits) -> tuple[dict[str, Any], str]:
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PdfReadError

    if not data.lstrip().startswith(b"%PDF"):
        raise InputError(where, "not a PDF file (no %PDF header); is the extension wrong?")
    _install_pypdf_notes()
    with _PYPDF_NOTES.collect() as notes:
        try:
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                raise InputError(where, "the PDF is encrypted; save an unprotected copy and ingest that")
            count = _pdf_page_count(reader, where, limits)
            pages = []
            for number, page in enumerate(reader.pages, 1):
                pages.append((page.extract_text() or "").strip())
                limits.check_time(where, f"stopped after page {number} of {count}")
            info = reader.metadata
        except InputError:
            raise
        except RecursionError:
            raise InputError(where, "PDF page tree too deep (pages nested in pages beyond what the reader follows); print or re-save it as a new PDF") from None
        except LimitReachedError as exc:
            problem = "PDF page tree too deep" if "page tree depth" in str(exc) else "the PDF is over a limit of the PDF reader"
            raise InputError(where, f"{problem} ({exc}); print or re-save it as a new PDF") from None
        except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
            raise InputError(where, _corrupt_pdf(str(exc), notes)) from None
        except Exception as exc:  # pypdf raises many kinds of errors on damaged files
            raise InputError(where, _corrupt_pdf(f"{type(exc).__name__}: {exc}", notes)) from None
    if notes:
        _LOG.warning("%s: the PDF is damaged but was read%s; check its text (lagrum show), or re-save the PDF", where, _pdf_notes(notes))
    text = join_pages([p for p in pages if p])  # running headers, footers, contents lines out
    if not text.strip():
        raise InputError(where, "the PDF has no extractable text (a scan?); run OCR on it first")
    meta: dict[str, Any] = series_fields(text)  # "AFS 2023:1" on the cover: id, identifiers, type
    title = getattr(info, "title", None) if info else None
    meta["title"] = str(title).strip() if title else _first_line_title(text)
    return meta, text


def _pdf_page_count(reader: Any, where: str, limits: _Limits) -> int:
    """The page count, refused over `limits.pdf_pages`: first as the file declares it (cheap),
    then as counted by walking the page tree (the declaration may lie)."""
    too_many = "the PDF has {} pages, over the limit of {}; split it, or raise LAGRUM_MAX_PDF_PAGES"
    try:
        declared = int(reader.root_object["/Pages"].get_object().get("/Count", 0))
    except Exception:  # a damaged page tree is counted (or reported) below
        declared = 0
    if declared > limits.pdf_pages:
        raise InputError(where, too_many.format(declared, limits.pdf_pages))
    count = len(reader.pages)
    if count > limits.pdf_pages:
        raise InputError(where, too_many.format(count, limits.pdf_pages))
    limits.check_time(where, f"walking the page tree of {count} pages")
    return count


def _pdf_notes(notes: list[str]) -> str:
    return f" (the PDF reader noted: {'; '.join(notes)})" if notes else ""


def _corrupt_pdf(problem: str, notes: list[str]) -> str:
    cut_short = any("EOF marker" in note for note in notes)
    hint = "; the file looks cut short (an incomplete download or copy?): fetch it again" if cut_short else ""
    return f"corrupt PDF: {problem}{_pdf_notes(notes)}{hint}"


def _check_zip(data: bytes, where: str, limits: _Limits) -> None:
    """Refuse a DOCX whose zip would unpack to too much, before anything is unpacked.

    The sizes are those the zip declares; `zipfile` never unpacks a member beyond its declared
    size (the checksum then fails), so python-docx cannot be made to read more.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise InputError(where, f"corrupt or unsupported DOCX: {type(exc).__name__}: {exc}") from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise InputError(where, f"the DOCX holds {len(members)} files, over the limit of {MAX_ZIP_MEMBERS} (a document has a few dozen); re-save it in Word or LibreOffice")
    limit = limits.unpacked_mb * 1_000_000
    total = 0
    for member in members:
        packed = max(member.compress_size, 1)
        if member.file_size >= _RATIO_FLOOR and member.file_size > MAX_ZIP_RATIO * packed:
            raise InputError(
                where,
                f"{member.filename} inside the DOCX unpacks to {member.file_size / packed:.0f} times its packed size "
                f"({_megabytes(packed)} to {_megabytes(member.file_size)}), over the limit of {MAX_ZIP_RATIO}: "
                "real documents do not pack that well, zip bombs do; re-save it in Word or LibreOffice",
            )
        total += member.file_size
        if total > limit:
            raise InputError(
                where,
                f"the DOCX unpacks to more than {limits.unpacked_mb} MB ({_megabytes(total)} up to {member.filename}); "
                "split the document, or raise LAGRUM_MAX_UNPACKED_MB",
            )


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1000:.1f} KB"


def _docx(data: bytes, where: str, limits: _Limits) -> tuple[dict[str, Any], str]:
    import docx

    _check_zip(data, where, limits)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises zipfile/lxml/KeyError variants
        raise InputError(where, f"corrupt or unsupported DOCX: {type(exc).__name__}: {exc}") from None
    limits.check_time(where, "unpacking the DOCX")
    paragraphs = [p.text.strip() for p in document.paragraphs if p.text.strip()]
    limits.check_time(where, f"reading {len(paragraphs)} paragraphs")
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells if c.text.strip()]
            if cells:
                paragraphs.append(" | ".join(dict.fromkeys(cells)))
        limits.check_time(where, "reading the DOCX's tables")
    text = "\n\n".join(paragraphs)
    if not text:
        raise InputError(where, "the DOCX has no text")
    meta: dict[str, Any] = {}
    title = (document.core_properties.title or "").strip()
    if not title:
        heading = next((p.text.strip() for p in document.paragraphs if p.style is not None and p.style.name.lower().startswith(("heading", "title", "rubrik")) and p.text.strip()), "")
        title = heading or _first_line_title(text)
    meta["title"] = title
    return meta, text


def _read_json(where: str, suffix: str, data: bytes, default_id: str, meta: dict[str, Any], max_bytes: int) -> Iterator[Document | InputError]:
    try:
        text = _decode(data, where)
    except InputError as exc:
        yield exc
        return
    if not text.strip():
        yield InputError(where, "empty file: no documents")
        return
    if suffix == ".json":
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as exc:
            yield InputError(where, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")
            return
        except RecursionError:
            yield InputError(where, _TOO_DEEP)
            return
        records = loaded if isinstance(loaded, list) else [loaded]
        for n, record in enumerate(records, 1):
            yield _record(record, meta, f"{where}[{n}]", f"{default_id}-{n}" if len(records) > 1 else default_id)
        return
    # JSON Lines are separated by "\n" only: str.splitlines() would also split inside strings
    # holding U+2028 or U+0085, which json.dumps(ensure_ascii=False) writes as they are.
    for n, line in enumerate(text.split("\n"), 1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        line_where = f"{where}:{n}"
        if len(line.encode("utf-8")) > max_bytes:
            yield InputError(line_where, _too_large(len(line.encode("utf-8")), max_bytes))
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield InputError(line_where, f"invalid JSON ({exc.msg} at column {exc.colno}); each line must be one JSON object")
            continue
        except RecursionError:
            yield InputError(line_where, _TOO_DEEP)
            continue
        yield _record(record, meta, line_where, f"{default_id}-{n}")


_TOO_DEEP = "the JSON is nested too deeply to read (hundreds of levels); Lagrum keeps at most 32 levels of metadata: flatten it"


def _record(record: Any, meta: dict[str, Any], where: str, default_id: str) -> Document | InputError:
    if not isinstance(record, dict):
        return InputError(where, f"expected a JSON object with 'text' (and 'id'), got {type(record).__name__}")
    return _document(record, meta, where, default_id)


def _read_sidecar(file: Path) -> dict[str, Any]:
    candidates = [file.with_name(file.name + SIDECAR_SUFFIX), file.with_name(file.stem + SIDECAR_SUFFIX)]
    for sidecar in candidates:
        if sidecar.exists():
            size = sidecar.stat().st_size
            if size > MAX_METADATA_BYTES:
                raise InputError(str(sidecar), f"sidecar is {size / 1000:.0f} KB; keep it under {MAX_METADATA_BYTES // 1000} KB (metadata only: the text belongs in the document)")
            try:
                loaded = _load_yaml(sidecar.read_text(encoding="utf-8"))
            except _RefusedYaml as exc:
                raise InputError(str(sidecar), f"sidecar {exc.reason}") from None
            except (yaml.YAMLError, UnicodeDecodeError) as exc:
                raise InputError(str(sidecar), f"sidecar is not valid UTF-8 YAML: {_yaml_reason(exc)}") from None
            if loaded is None:
                return {}
            if not isinstance(loaded, dict):
                raise InputError(str(sidecar), "sidecar must be a mapping of fields (id, title, date, doc_type, ...)")
            return loaded
    return {}


# --- validation -------------------------------------------------------------------------


def _document(fields: dict[str, Any], defaults: dict[str, Any], where: str, default_id: str | None) -> Document | InputError:
    """Validate fields into a Document; the first problem becomes an InputError naming the field."""
    merged = {**defaults, **fields}
    try:
        raw_text = merged.get("text")
        if not isinstance(raw_text, str):
            raise ValueError("field 'text' is missing or not a string; every document needs its text")
        _check_encodable(merged)
        # Legal documents repeat sentences on purpose (a ruling's operative part in its reasons).
        text = clean_text(raw_text, pull_quotes=str(merged.get("doc_type") or "").strip().lower() not in _LEGAL_TYPES)
        if not text:
            raise ValueError("no text left after cleaning (the document is empty or only boilerplate)")
        doc_id = _validate_id(merged.get("id"), default_id)
        derived = default_id is not None and doc_id == default_id and not str(merged.get("id") or "").strip()
        title = _string(merged, "title")
        if not title:
            title = _first_line_title(text)
        doc_type = _validate_doc_type(merged.get("doc_type"))
        language = _validate_language(merged.get("language"), text)
        relations = _validate_relations(merged.get("relations"))
        date = parse_iso_date(merged.get("date"), "field 'date'")
        source = _string(merged, "source")
        url = _string(merged, "url")
        if url and not _HTTP_URL.fullmatch(url):
            raise ValueError(f"field 'url' {url[:100]!r} is not a web address; give the source's http:// or https:// address, or leave it out")
        extra = {k: v for k, v in merged.items() if k not in DOCUMENT_FIELDS}
        check_metadata(extra, where)  # before json.dumps, which recurses: deep values must not crash
        json.dumps(extra, ensure_ascii=False, default=_reject)
    except ValueError as exc:
        return InputError(where, str(exc))
    except InputError as exc:
        return exc
    return Document(
        id=doc_id,
        text=text,
        title=title,
        date=date,
        doc_type=doc_type,
        source=source,
        url=url,
        language=language,
        relations=relations,
        extra=extra,
        origin=where,
        id_from=where if derived else None,
    )


_LEGAL_TYPES = ("dom", "beslut", "lag", "förordning", "förarbete", "vägledning", "judgment", "ruling", "decision", "statute")
_HTTP_URL = re.compile(r"https?://[^\s/?#]+[^\s]*", re.IGNORECASE)


def _check_encodable(fields: dict[str, Any]) -> None:
    """Strings must be valid Unicode: a lone surrogate (from broken JSON escapes) cannot be stored."""
    for name, value in fields.items():
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ValueError(f"field {name!r} holds an invalid character at position {exc.start} (a lone surrogate); send valid UTF-8") from None


def _reject(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise ValueError(f"metadata value {value!r} cannot be stored; use strings, numbers, lists or mappings")


def _validate_id(value: Any, default_id: str | None) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        if default_id is None:
            raise ValueError("field 'id' is missing; give every document a stable id")
        return default_id
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise ValueError(f"field 'id' must be a string, got {type(value).__name__}")
    doc_id = str(value).strip()
    if len(doc_id) > MAX_ID_LENGTH:
        raise ValueError(f"field 'id' is {len(doc_id)} characters; keep it under {MAX_ID_LENGTH}")
    if "#" in doc_id or "/" == doc_id[0] or any(unicodedata.category(c).startswith("C") for c in doc_id):
        raise ValueError(f"field 'id' {doc_id!r} may not contain '#', control characters or start with '/'")
    if any(part in ("", ".", "..") for part in doc_id.split("/")):
        raise ValueError(f"field 'id' {doc_id!r} may not hold empty, '.' or '..' parts between slashes: a URL cannot address it")
    return doc_id


def _validate_doc_type(value: Any) -> str:
    if value is None or value == "":
        return "övrigt"
    key = str(value).strip().lower()
    key = doc_type_key(key)
    if key not in DOC_TYPES:
        raise ValueError(f"field 'doc_type' {value!r} is unknown; use one of {', '.join(DOC_TYPES)}")
    return key


def _validate_language(value: Any, text: str) -> str:
    if value is None or value == "":
        return detect_language(text)
    key = str(value).strip().lower()
    key = language_key(key)
    if key not in LANGUAGES:
        raise ValueError(f"field 'language' {value!r} is not supported; use one of {', '.join(LANGUAGES)} or leave it out to detect it")
    return key


def _validate_relations(value: Any) -> list[dict[str, str]]:
    if value is None or value == "":
        return []
    if not isinstance(value, list):
        raise ValueError("field 'relations' must be a list of {type, target} objects")
    relations = []
    for n, item in enumerate(value):
        if not isinstance(item, dict) or not item.get("type") or not item.get("target"):
            raise ValueError(f"field 'relations[{n}]' must be an object with 'type' and 'target'")
        kind = str(item["type"]).strip().lower()
        if kind not in RELATION_TYPES:
            raise ValueError(f"field 'relations[{n}].type' {item['type']!r} is unknown; use one of {', '.join(RELATION_TYPES)}")
        relations.append({"type": kind, "target": str(item["target"]).strip()})
    return relations


def _string(fields: dict[str, Any], name: str) -> str:
    value = fields.get(name)
    if value is None:
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise ValueError(f"field {name!r} must be a string, got {type(value).__name__}")
    return " ".join(str(value).split())


# --- helpers ----------------------------------------------------------------------------


def _first_line_title(text: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:200] if len(line) <= 200 else line[:197].rsplit(" ", 1)[0] + "…"
    return ""


def _path_id(file: Path, root: Path) -> str:
    try:
        rel = file.relative_to(root)
    except ValueError:
        rel = Path(file.name)
    parts = [_slug_id(p) for p in rel.with_suffix("").parts]
    return "/".join(p for p in parts if p) or _slug_id(file.stem) or _unnamed_id(file.name)


def _unnamed_id(name: str) -> str:
    """An id for a file name with no Latin letters or digits: stable, and distinct per name."""
    return "document-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:10]


def _slug_id(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name.lower())
    ascii_name = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9._-]+", "-", ascii_name).strip("-.")


def _too_large(size: int, limit: int, suffix: str = "") -> str:
    # A .json file is parsed whole, so the limit is the file's; JSON Lines are read line by line.
    split = "write it as JSON Lines (.jsonl, one document per line)" if suffix == ".json" else "split it"
    return f"{size / 1e6:.1f} MB is over the limit of {limit / 1e6:.0f} MB; {split} or raise LAGRUM_MAX_FILE_MB"


def _yaml_reason(exc: Exception) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"{problem} at line {mark.line + 1}" if mark else str(problem)
