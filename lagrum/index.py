"""The index: a store plus the embedder and BM25 encoder that built it, checked to match.

>>> index = Index.open(Settings.from_env())
>>> index.stats()["chunks"]
0
"""

from __future__ import annotations

from typing import Any

from lagrum import __version__
from lagrum.embedders import Embedder, load_embedder
from lagrum.errors import EmbedderMismatchError
from lagrum.lexical import Bm25Encoder
from lagrum.settings import Settings
from lagrum.store import open_store
from lagrum.store.base import SCHEMA_VERSION, Store


class Index:
    """Opened once per process (the CLI command, or the API server) and shared."""

    def __init__(self, settings: Settings, store: Store, embedder: Embedder, bm25: Bm25Encoder):
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.bm25 = bm25

    @classmethod
    def open(cls, settings: Settings, create: bool = True, embedder: Embedder | None = None) -> "Index":
        embedder = embedder or load_embedder(settings.embedder)
        store = open_store(settings, dim=embedder.dim, create=create)
        index = cls(settings, store, embedder, Bm25Encoder())
        try:
            index._check_or_record_meta()
            index._hide_interrupted_writes()
        except Exception:
            store.close()
            raise
        return index

    def _check_or_record_meta(self) -> None:
        meta = self.store.get_meta()
        wanted = {"embedder": self.embedder.id, "dim": self.embedder.dim, "bm25": self.bm25.config_id, "schema": SCHEMA_VERSION}
        if meta is None:
            self.store.set_meta({**wanted, "lagrum_version": __version__})
            return
        for key, value in wanted.items():
            if meta.get(key) != value:
                raise EmbedderMismatchError(
                    f"the index was built with {key}={meta.get(key)!r}, but this run uses {key}={value!r}. "
                    f"Set LAGRUM_EMBEDDER to match the index ({meta.get('embedder')!r}), "
                    "or build a new index in another --data directory."
                )

    def _hide_interrupted_writes(self) -> None:
        """Chunks of a document whose write was cut short (state `pending`) leave the index.

        Only the embedded shard's owner may do this at open: no other writer can be mid-write.
        The document stays pending, so the next ingest of it writes it whole.
        """
        pending = getattr(self.store, "pending_document_ids", None)
        if self.store.backend != "edge" or pending is None:
            return
        for doc_id in pending():
            self.store.delete_chunks(doc_id)

    def stats(self) -> dict[str, Any]:
        return {
            "documents": self.store.count_documents(),
            "chunks": self.store.count_chunks(),
            "embedder": self.embedder.id,
            "backend": self.store.backend,
            "version": __version__,
        }

    def close(self) -> None:
        self.store.close()
