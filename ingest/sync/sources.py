"""Configured sources (`DATA/sources.json`) and each source's sync state (`DATA/sync/NAME.json`).

>>> add_source(settings.data_dir, Source("sfst", "atom", "https://example.org/sfst/index.atom"))  # doctest: +SKIP
>>> [s.name for s in load_sources(settings.data_dir)]  # doctest: +SKIP
['sfst']

Both files are JSON written atomically (a temporary file in the same folder, flushed, then
`os.replace`), so a sync killed at any point leaves either the old or the new state, never half
of one. The state holds what the connector needs to ask only for what changed: HTTP validators
(ETag, Last-Modified), the feed's `updated` stamp, and per entry its stamp and the doc ids it
produced (so a changed entry replaces exactly its documents and a retracted one deletes them).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lagrum.errors import LagrumError

KINDS = ("atom", "riksdagen", "web")
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")

# Defaults for the polite fetcher; each can be set per source (`lagrum sources add --help`).
DEFAULTS: dict[str, Any] = {
    "min_interval": 1.0,  # seconds between two requests to this source
    "timeout": 30.0,  # seconds without an answer before a request is given up
    "retries": 3,  # further attempts after a 429, a 5xx or a broken connection
    "max_redirects": 5,
    "max_retry_after": 120.0,  # a Retry-After longer than this fails the entry instead of waiting
    "backoff": 1.0,  # first wait after a 5xx; doubles with each attempt
}


@dataclass
class Source:
    """One place to sync from.

    :param name: the source's name (lower case letters, digits, `-`, `_`); names its state file.
    :param kind: `atom`, `riksdagen` or `web`.
    :param url: the feed (atom), the API root (riksdagen) or the first address (web).
    :param options: kind-specific settings (`pages`, `sfs`, `since`, `doc_type`, ...) and the
        fetcher's (`min_interval`, `timeout`, `retries`, ...).
    """

    name: str
    kind: str
    url: str
    options: dict[str, Any] = field(default_factory=dict)

    def option(self, key: str, default: Any = None) -> Any:
        if key in self.options and self.options[key] is not None:
            return self.options[key]
        return DEFAULTS.get(key, default)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name or ""):
        raise LagrumError(f"source name {name!r} is not usable; use lower case letters, digits, '-' and '_' (up to 64), starting with a letter or digit")
    return name


def sources_file(data_dir: Path) -> Path:
    return Path(data_dir) / "sources.json"


def state_file(data_dir: Path, name: str) -> Path:
    return Path(data_dir) / "sync" / f"{name}.json"


def load_sources(data_dir: Path) -> list[Source]:
    path = sources_file(data_dir)
    if not path.exists():
        return []
    raw = _read_json(path)
    items = raw.get("sources") if isinstance(raw, dict) else None
    if not isinstance(items, list):
        raise LagrumError(f"{path}: expected {{\"sources\": [...]}}; fix the file or remove it and add the sources again")
    sources = []
    for n, item in enumerate(items):
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in ("name", "kind", "url")):
            raise LagrumError(f"{path}: sources[{n}] needs string fields name, kind and url; fix or remove it")
        if item["kind"] not in KINDS:
            raise LagrumError(f"{path}: sources[{n}] ({item['name']}) has kind {item['kind']!r}; use one of {', '.join(KINDS)}")
        sources.append(Source(item["name"], item["kind"], item["url"], dict(item.get("options") or {})))
    return sources


def save_sources(data_dir: Path, sources: list[Source]) -> None:
    write_json_atomic(sources_file(data_dir), {"sources": [s.as_dict() for s in sources]})


def add_source(data_dir: Path, source: Source, replace: bool = False) -> None:
    check_name(source.name)
    if source.kind not in KINDS:
        raise LagrumError(f"unknown source kind {source.kind!r}; use one of {', '.join(KINDS)}")
    sources = load_sources(data_dir)
    if any(s.name == source.name for s in sources) and not replace:
        raise LagrumError(f"a source named {source.name!r} exists already; remove it first (lagrum sources remove {source.name}) or use --replace")
    sources = [s for s in sources if s.name != source.name] + [source]
    save_sources(data_dir, sources)


def remove_source(data_dir: Path, name: str) -> Source:
    sources = load_sources(data_dir)
    found = next((s for s in sources if s.name == name), None)
    if found is None:
        names = ", ".join(s.name for s in sources) or "none"
        raise LagrumError(f"no source named {name!r}; configured: {names}")
    save_sources(data_dir, [s for s in sources if s.name != name])
    state = state_file(data_dir, name)
    if state.exists():  # its documents stay indexed; `lagrum delete` removes them one by one
        state.unlink()
    return found


class SyncState:
    """A source's state, saved after every entry (`save`)."""

    def __init__(self, path: Path, data: dict[str, Any]):
        self.path = path
        self.data = data
        self.data.setdefault("entries", {})
        self.data.setdefault("http", {})

    @classmethod
    def load(cls, data_dir: Path, name: str) -> "SyncState":
        path = state_file(data_dir, name)
        data = _read_json(path) if path.exists() else {}
        if not isinstance(data, dict):
            raise LagrumError(f"{path}: the sync state is not a JSON object; remove the file to sync {name} from scratch")
        return cls(path, data)

    @property
    def entries(self) -> dict[str, dict[str, Any]]:
        return self.data["entries"]

    def validators(self, url: str) -> dict[str, str]:
        """The ETag / Last-Modified last seen for `url`."""
        return dict(self.data["http"].get(url) or {})

    def remember_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        kept = {k: v for k, v in (("etag", etag), ("last_modified", last_modified)) if v}
        if kept:
            self.data["http"][url] = kept
        else:
            self.data["http"].pop(url, None)

    def forget_validators(self, url: str) -> None:
        self.data["http"].pop(url, None)

    def doc_owners(self, doc_id: str, except_key: str | None = None) -> list[str]:
        return [k for k, e in self.entries.items() if k != except_key and doc_id in (e.get("docs") or [])]

    def save(self) -> None:
        write_json_atomic(self.path, self.data)


def write_json_atomic(path: Path, data: Any) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LagrumError(f"{path}: cannot read ({exc}); fix the file or remove it") from None
