"""Search filters shared by the CLI, the API and every store backend.

>>> SearchFilters.build(doc_type=["beslut"], since="2015-01-01").doc_types
('beslut',)

`as_of` asks for the law as it stood on a date: documents dated after it are left out, and so
are statute passages not yet in force then (`valid_from` after it) or no longer in force
(`valid_until` on or before it). Passages without validity fields are kept by that rule.

>>> SearchFilters.build(as_of="2015-06-01").as_of
'2015-06-01'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from lagrum.documents import DOC_TYPES, LANGUAGES, doc_type_key, language_key, parse_iso_date


@dataclass(frozen=True)
class SearchFilters:
    """Conditions a chunk must meet; empty fields do not constrain."""

    doc_types: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    doc_ids: tuple[str, ...] = ()
    citations: tuple[str, ...] = ()  # canonical reference ids, e.g. "SFS 2013:460 23 §"
    as_of: str | None = None  # ISO date: the law as in force on that day

    @classmethod
    def build(
        cls,
        doc_type: Iterable[str] | str | None = None,
        source: Iterable[str] | str | None = None,
        language: Iterable[str] | str | None = None,
        since: str | None = None,
        until: str | None = None,
        doc_id: Iterable[str] | str | None = None,
        citation: Iterable[str] | str | None = None,
        as_of: str | None = None,
    ) -> "SearchFilters":
        """Validate raw values; raise ValueError naming the field when one is wrong."""
        doc_types = tuple(doc_type_key(v) for v in _codes(doc_type))
        for raw, value in zip(_codes(doc_type), doc_types):
            if value not in DOC_TYPES:
                raise ValueError(f"doc_type {raw!r} is not a document type; use one of: {', '.join(DOC_TYPES)}")
        languages = tuple(language_key(v) for v in _codes(language))
        for raw, value in zip(_codes(language), languages):
            if value not in LANGUAGES:
                raise ValueError(f"language {raw!r} is not supported; use one of: {', '.join(LANGUAGES)}")
        since_iso = parse_iso_date(since, "since")
        until_iso = parse_iso_date(until, "until")
        if since_iso and until_iso and since_iso > until_iso:
            raise ValueError(f"since {since_iso} is after until {until_iso}; swap them")
        as_of_iso = parse_iso_date(as_of, "as_of")
        if as_of_iso and since_iso and since_iso > as_of_iso:
            raise ValueError(f"as_of {as_of_iso} is before since {since_iso}; nothing dated after as_of is searched, so move since back or as_of forward")
        return cls(
            doc_types=doc_types,
            sources=_tuple(source),
            languages=languages,
            since=since_iso,
            until=until_iso,
            doc_ids=_tuple(doc_id),
            citations=_tuple(citation),
            as_of=as_of_iso,
        )

    def is_empty(self) -> bool:
        return not any((self.doc_types, self.sources, self.languages, self.since, self.until, self.doc_ids, self.citations, self.as_of))


def _tuple(value: Iterable[str] | str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return tuple(v for v in value if v)


def _codes(value: Iterable[str] | str | None) -> tuple[str, ...]:
    """Document types or languages, given once or repeated, each possibly comma-separated
    (no type or language holds a comma): "beslut,dom" == ["beslut", "dom"] == ["beslut,dom"]."""
    values = [value] if isinstance(value, str) else (value or ())
    return tuple(part.strip() for v in values if v for part in str(v).split(",") if part.strip())
