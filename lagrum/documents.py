"""The document model: a legal text with identity and metadata, and its chunks.

A `Document`'s `text` is its canonical text — the cleaned text every chunk's
`start`/`end` offsets point into, so `document.text[chunk.start:chunk.end] == chunk.text`.

>>> doc = Document(id="imy-2015-388", text="Datainspektionen förelägger...", doc_type="beslut")
>>> chunk = Chunk(doc_id=doc.id, index=0, start=0, end=16, text=doc.text[0:16])
>>> chunk.chunk_id
'imy-2015-388#0'
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

DOC_TYPES = (
    "beslut",
    "dom",
    "lag",
    "förordning",
    "förarbete",
    "vägledning",
    "nyhet",
    "debatt",
    "pressmeddelande",
    "övrigt",
)
STATUTE_TYPES = ("lag", "förordning")
LANGUAGES = ("sv", "en")
RELATION_TYPES = (
    "overturns",
    "overturned_by",
    "appeals",
    "appealed_by",
    "upholds",
    "upheld_by",
    "remands",
    "remanded_by",
    "replaces",
    "replaced_by",
    "repealed_by",
    "repeals",
    "amends",
    "amended_by",
    "cites",
    "cited_by",
)
# Other spellings accepted wherever a document type or a language is given (fields, filters).
DOC_TYPE_ALIASES = {
    "forordning": "förordning",
    "forarbete": "förarbete",
    "vagledning": "vägledning",
    "ovrigt": "övrigt",
    "decision": "beslut",
    "judgment": "dom",
    "judgement": "dom",
    "ruling": "dom",
    "statute": "lag",
    "news": "nyhet",
    "opinion": "debatt",
    "press release": "pressmeddelande",
    "other": "övrigt",
}
LANGUAGE_ALIASES = {"swedish": "sv", "svenska": "sv", "english": "en", "engelska": "en"}


def doc_type_key(value: str) -> str:
    """`Beslut`, `decision`, `forordning` -> the document type they name (unchecked)."""
    key = " ".join(value.split()).lower()
    return DOC_TYPE_ALIASES.get(key, key)


def language_key(value: str) -> str:
    """`SV`, `sv-SE`, `english` -> the language code they name (unchecked)."""
    key = value.strip().lower()
    return LANGUAGE_ALIASES.get(key, key.split("-")[0].split("_")[0])


# Fields a document may carry in JSONL, front matter or a sidecar .meta.yaml.
DOCUMENT_FIELDS = ("id", "title", "text", "date", "doc_type", "source", "url", "language", "relations")


@dataclass
class Document:
    """A legal document (decision, ruling, statute, article) with its canonical text."""

    id: str
    text: str
    title: str = ""
    date: str | None = None
    doc_type: str = "övrigt"
    source: str = ""
    url: str = ""
    language: str = ""
    relations: list[dict[str, str]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # further metadata keys, kept as given
    origin: str = ""  # file (and line) it was read from; not part of the content hash
    # When the id was derived from a file name: that file (resolved path, and line), so another
    # file deriving the same id cannot silently replace this document. None when the id was given.
    id_from: str | None = None

    def content_hash(self, embedder_id: str = "") -> str:
        """Hash of everything that shapes the indexed chunks, so unchanged documents can be skipped."""
        payload = {k: v for k, v in self.metadata().items()}
        payload["text"] = self.text
        payload["embedder"] = embedder_id
        blob = json.dumps(payload, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def metadata(self) -> dict[str, Any]:
        """The document's fields except `text`, `origin` and `id_from`."""
        data = asdict(self)
        data.pop("text")
        data.pop("origin")
        data.pop("id_from")
        return data


@dataclass
class Chunk:
    """A passage of a document, addressed by character offsets into its canonical text."""

    doc_id: str
    index: int
    start: int
    end: int
    text: str
    section: str | None = None  # statutes: "5 kap. 1 §"; other documents: nearest heading
    citations: list[dict[str, Any]] = field(default_factory=list)

    @property
    def chunk_id(self) -> str:
        return f"{self.doc_id}#{self.index}"


def parse_iso_date(value: Any, field_name: str = "date") -> str | None:
    """Return `value` as `YYYY-MM-DD`, or None when empty; raise ValueError naming the field otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    text = str(value).strip()
    try:
        return _dt.date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    try:  # a full timestamp ("2020-01-01T12:00:00Z", "2020-01-01 12:00") gives its date; nothing else trails
        return _dt.datetime.fromisoformat(text).date().isoformat()
    except ValueError:
        raise ValueError(f"{field_name} {text!r} is not an ISO date; write it as YYYY-MM-DD") from None
