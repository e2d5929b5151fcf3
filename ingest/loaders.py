"""Read documents from files: text, Markdown, HTML, PDF, DOCX and JSON Lines.

Every reader returns `Document` objects with cleaned canonical text, or an `InputError`
that names the file (and line) and says what was wrong — a bad file never stops a batch.

>>> for item in iter_documents([Path("corpus/documents")]):
...     print(item.id if isinstance(item, Document) else item)

Metadata comes from, in increasing priority: what the format itself carries (an HTML
`<title>`, DOCX core properties, the first heading), a sidecar `NAME.meta.yaml` next to the
file, and Markdown front matter or the JSONL object itself. A file without an `id` gets a
stable one derived from its path relative to the ingested root.
"""

from __future__ import annotations

import glob
import hashlib
import io
import json
import os
import re
import unicodedata
from pathlib import Path
from typing import Any, Iterable, Iterator

import yaml

from lagrum.documents import DOC_TYPES, DOCUMENT_FIELDS, LANGUAGES, RELATION_TYPES, Document, doc_type_key, language_key, parse_iso_date
from lagrum.errors import InputError
from lagrum.language import detect_language
from lagrum.store.limits import check_metadata

from ingest.cleaning import clean_text
from ingest.formats import detect as detect_native_format
from ingest.pdf_layout import join_pages, series_fields

FORMATS = (".txt", ".md", ".markdown", ".html", ".htm", ".xhtml", ".pdf", ".docx", ".jsonl", ".json", ".xml")
SIDECAR_SUFFIX = ".meta.yaml"
MAX_ID_LENGTH = 200


class _MetadataLoader(yaml.SafeLoader):
    """YAML without implicit timestamps: dates stay strings, so a bad one is reported by field."""


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


def iter_documents(paths: Iterable[Path], max_bytes: int = 50_000_000, format: str | None = None) -> Iterator[Document | InputError]:
    """Read every document under `paths`; yield a `Document` or an `InputError` per item.

    :param paths: files and directories (walked recursively).
    :param max_bytes: files larger than this are refused (JSON Lines: each line).
    :param format: a format name (`ingest.formats.format_names()`) to read every file as;
        None detects each file's format from its content.
    """
    for path in paths:
        path = Path(path)
        found = False
        for file, root in iter_files([path]):
            found = True
            yield from _read_file(file, root, max_bytes, format)
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


def load_bytes(name: str, data: bytes, meta: dict[str, Any] | None = None, max_bytes: int = 50_000_000, format: str | None = None) -> list[Document | InputError]:
    """Read one uploaded file given as bytes; `name` decides the format.

    >>> load_bytes("beslut.txt", "Beslut\\n\\nText.".encode(), {"doc_type": "beslut"})[0].title
    'Beslut'
    """
    suffix = Path(name).suffix.lower()
    if suffix not in FORMATS:
        return [InputError(name, f"unsupported format {suffix or '(no extension)'!r}; use one of {', '.join(FORMATS)}")]
    if len(data) > max_bytes and suffix != ".jsonl":
        return [InputError(name, _too_large(len(data), max_bytes, suffix))]
    default_id = _slug_id(Path(name).with_suffix("").name) or _unnamed_id(name)
    return [_derived_from(item, name, f"upload:{name}") for item in _parse(name, suffix, data, default_id, dict(meta or {}), max_bytes, format)]


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


def _read_file(file: Path, root: Path, max_bytes: int, format: str | None = None) -> Iterator[Document | InputError]:
    where = str(file)
    suffix = file.suffix.lower()
    if not file.exists():
        broken = file.is_symlink()
        yield InputError(where, f"broken link to {os.readlink(file)}" if broken else "no such file or directory")
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
    for item in _parse(where, suffix, data, default_id, sidecar, max_bytes, format):
        yield _derived_from(item, where, resolved)


def _derived_from(item: Document | InputError, where: str, key: str) -> Document | InputError:
    """Name the file a derived id came from by `key` (a resolved path), not as the user wrote it."""
    if isinstance(item, Document) and item.id_from is not None:
        item.id_from = key + item.id_from[len(where) :]
    return item


def _parse(where: str, suffix: str, data: bytes, default_id: str, meta: dict[str, Any], max_bytes: int, format: str | None = None) -> Iterator[Document | InputError]:
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
        found, text = _extract(suffix, data, where)
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


def _extract(suffix: str, data: bytes, where: str) -> tuple[dict[str, Any], str]:
    """Return (metadata found in the file, plain text) for one non-JSON format."""
    if suffix == ".pdf":
        return _pdf(data, where)
    if suffix == ".docx":
        return _docx(data, where)
    text = _decode(data, where)
    if suffix in (".md", ".markdown"):
        return _markdown(text, where)
    if suffix in (".html", ".htm", ".xhtml"):
        return _html(text, where)
    return {"title": _first_line_title(text)}, text


def _decode(data: bytes, where: str) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 / Latin-1 as older Swedish files use."""
    if _looks_binary(data):
        raise InputError(where, "binary content, not text; convert it to .txt, .pdf or .docx")
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(codec, errors="strict").lstrip("\ufeff")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


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
        try:
            loaded = _load_yaml(match.group(1))
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


def _pdf(data: bytes, where: str) -> tuple[dict[str, Any], str]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.lstrip().startswith(b"%PDF"):
        raise InputError(where, "not a PDF file (no %PDF header); is the extension wrong?")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise InputError(where, "the PDF is encrypted; save an unprotected copy and ingest that")
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
        info = reader.metadata
    except InputError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise InputError(where, f"corrupt PDF: {exc}") from None
    except Exception as exc:  # pypdf raises many kinds of errors on damaged files
        raise InputError(where, f"corrupt PDF: {type(exc).__name__}: {exc}") from None
    text = join_pages([p for p in pages if p])  # running headers, footers, contents lines out
    if not text.strip():
        raise InputError(where, "the PDF has no extractable text (a scan?); run OCR on it first")
    meta: dict[str, Any] = series_fields(text)  # "AFS 2023:1" on the cover: id, identifiers, type
    title = getattr(info, "title", None) if info else None
    meta["title"] = str(title).strip() if title else _first_line_title(text)
    return meta, text


def _docx(data: bytes, where: str) -> tuple[dict[str, Any], str]:
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises zipfile/lxml/KeyError variants
        raise InputError(where, f"corrupt or unsupported DOCX: {type(exc).__name__}: {exc}") from None
    paragraphs = [p.text.strip() for p in document.paragraphs if p.text.strip()]
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells if c.text.strip()]
            if cells:
                paragraphs.append(" | ".join(dict.fromkeys(cells)))
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


_TOO_DEEP = "the JSON nests too deeply to read (hundreds of levels); Lagrum keeps at most 32 levels of metadata: flatten it"


def _record(record: Any, meta: dict[str, Any], where: str, default_id: str) -> Document | InputError:
    if not isinstance(record, dict):
        return InputError(where, f"expected a JSON object with 'text' (and 'id'), got {type(record).__name__}")
    return _document(record, meta, where, default_id)


def _read_sidecar(file: Path) -> dict[str, Any]:
    candidates = [file.with_name(file.name + SIDECAR_SUFFIX), file.with_name(file.stem + SIDECAR_SUFFIX)]
    for sidecar in candidates:
        if sidecar.exists():
            try:
                loaded = _load_yaml(sidecar.read_text(encoding="utf-8"))
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
        source=_string(merged, "source"),
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
