"""Scale benchmark: build a synthetic index of N chunks and measure build time, size, memory, latency, recall.

    .venv/bin/python eval/bench_scale.py --chunks 10000 --backend edge --json
    .venv/bin/python eval/bench_scale.py --chunks 100000 --backend edge --quantize int8

A benchmark, not a test. The corpus is synthetic and fictional (doc ids `test-bench-*`): sentences
and vocabulary are drawn from the bundled texts (corpus/documents/*.txt, eval/data/*/documents.jsonl)
and recombined. Dense vectors are not e5 embeddings (5 passages/s would take days at 1M): they are
seeded random unit vectors clustered around 200 topic centroids (384-d, float32). BM25 vectors are
real (`qdrant_edge.Bm25`, Swedish), computed for a pool of a few thousand texts and reused with a
per-chunk variation phrase. Queries: 200 hybrid queries, each run as `lagrum.retrieval` runs it (dense + BM25 in
one batch, 50 candidates each as ids and scores, equal-weight `lagrum.retrieval.fuse`, then the
payloads of the 10 fused hits), once without and once with a filter (doc_type + date range). Recall@10: HNSW (and, with --quantize, int8-quantized) dense
search against exact search (`SearchParams(exact=True)`). In local mode every search is a full
scan, so its recall is 1.0 by construction.

Memory placement (Edge, --quantize int8): original vectors `Memory.Cold` (mmap, paged in on
demand), int8 copies `Memory.Pinned` (RAM, 1/4 of the size), payload `Memory.Cold` (the Edge
default). At 1M chunks of 384-d that is ~1.5 GB of float32 on disk and ~0.4 GB int8 in RAM.

With --json the last line is one JSON object:
{"backend", "chunks", "build_s", "p50_ms", "p95_ms", "p95_filtered_ms", "rss_mb", "disk_mb", "recall_at_10"}.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lagrum.filters import SearchFilters  # noqa: E402
from lagrum.lexical import Bm25Encoder  # noqa: E402
from lagrum.retrieval import fuse  # noqa: E402
from lagrum.store.base import ChunkPoint, Search, SparseVector, point_id  # noqa: E402

DIM = 384
TOPICS = 200
POOL = 2000
VARIATIONS = 300
CANDIDATES = 50  # per retriever before fusion, as lagrum.retrieval
CHUNKS_PER_DOC = 12
BATCH = 1000
SEED = 20240601
DOC_TYPES = ("beslut", "dom", "lag", "förarbete", "vägledning", "nyhet", "debatt")
SOURCES = ("Testmyndigheten", "Testdomstolen", "Testtidningen", "Testdepartementet")
FILTER = SearchFilters(doc_types=("beslut", "dom"), since="2010-01-01", until="2019-12-31")


# --- synthetic corpus ---------------------------------------------------------------------


def source_sentences() -> list[str]:
    """Sentences of the bundled Swedish texts, the raw material of the synthetic corpus."""
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "corpus" / "documents").glob("*.txt"))]
    for path in sorted((ROOT / "eval" / "data").glob("*/documents.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line).get("text", ""))
    sentences = []
    for text in texts:
        for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
            words = sentence.split()
            if 5 <= len(words) <= 60:
                sentences.append(" ".join(words))
    if not sentences:
        raise SystemExit("no source sentences found under corpus/documents or eval/data; run from the repository")
    return sentences


class SyntheticCorpus:
    """A pool of synthetic passages with BM25 vectors, and topic centroids for dense vectors."""

    def __init__(self, seed: int = SEED):
        self.rng = np.random.default_rng(seed)
        sentences = source_sentences()
        vocabulary = sorted({w for s in sentences for w in s.split() if w.isalpha() and len(w) > 3})
        self.bm25 = Bm25Encoder()
        started = time.perf_counter()
        self.texts = [self._passage(sentences, vocabulary) for _ in range(POOL)]
        self.sparse = [self.bm25.document(t) for t in self.texts]
        self.variations = [" ".join(self.rng.choice(vocabulary, size=3)) for _ in range(VARIATIONS)]
        self.variation_sparse = [self.bm25.document(v) for v in self.variations]
        self.pool_seconds = time.perf_counter() - started
        centroids = self.rng.normal(size=(TOPICS, DIM)).astype(np.float32)
        self.centroids = centroids / np.linalg.norm(centroids, axis=1, keepdims=True)

    def _passage(self, sentences: list[str], vocabulary: list[str]) -> str:
        picked = [sentences[i] for i in self.rng.integers(0, len(sentences), size=int(self.rng.integers(3, 7)))]
        words = " ".join(picked).split()
        for _ in range(max(1, len(words) // 15)):  # swap a few words so no passage is a verbatim copy
            words[int(self.rng.integers(0, len(words)))] = str(self.rng.choice(vocabulary))
        return " ".join(words)

    def topic_of(self, n: int) -> int:
        return (n // CHUNKS_PER_DOC) % TOPICS

    def pool_index(self, n: int, topic: int) -> int:
        """Passages of one topic come from one slice of the pool, so BM25 and dense agree a little."""
        per_topic = POOL // TOPICS
        return topic * per_topic + (n * 7919) % per_topic

    def chunks(self, total: int, batch: int = BATCH) -> Iterator[list[ChunkPoint]]:
        rng = np.random.default_rng(SEED + 1)
        for start in range(0, total, batch):
            n = min(batch, total - start)
            numbers = np.arange(start, start + n)
            topics = (numbers // CHUNKS_PER_DOC) % TOPICS
            vectors = self.centroids[topics] + 0.06 * rng.normal(size=(n, DIM)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            yield [self._chunk(int(k), int(t), vectors[i]) for i, (k, t) in enumerate(zip(numbers, topics))]

    def _chunk(self, n: int, topic: int, vector: np.ndarray) -> ChunkPoint:
        doc = n // CHUNKS_PER_DOC
        j = self.pool_index(n, topic)
        v = n % VARIATIONS
        text = f"{self.texts[j]} {self.variations[v]}"
        year = 1995 + (doc * 31) % 30
        payload = {
            "doc_id": f"test-bench-{doc}",
            "chunk_id": f"test-bench-{doc}#{n % CHUNKS_PER_DOC}",
            "index": n % CHUNKS_PER_DOC,
            "text": text,
            "title": f"Fiktivt testdokument {doc}",
            "doc_type": DOC_TYPES[doc % len(DOC_TYPES)],
            "source": SOURCES[doc % len(SOURCES)],
            "language": "sv",
            "date": f"{year}-{1 + doc % 12:02d}-{1 + doc % 28:02d}",
            "citations": [f"SFS {1990 + doc % 30}:{doc % 900 + 1}"] if doc % 5 == 0 else [],
            "start": 0,
            "end": len(text),
        }
        return ChunkPoint(point_id(payload["chunk_id"]), vector.tolist(), _merge(self.sparse[j], self.variation_sparse[v]), payload)

    def queries(self, count: int) -> list[tuple[list[float], SparseVector]]:
        rng = np.random.default_rng(SEED + 2)
        out = []
        for _ in range(count):
            topic = int(rng.integers(0, TOPICS))
            vector = self.centroids[topic] + 0.08 * rng.normal(size=DIM).astype(np.float32)
            words = self.texts[self.pool_index(int(rng.integers(0, 10_000)), topic)].split()
            start = int(rng.integers(0, max(1, len(words) - 4)))
            out.append(((vector / np.linalg.norm(vector)).tolist(), self.bm25.query(" ".join(words[start : start + 4]))))
        return out


def _merge(a: SparseVector, b: SparseVector) -> SparseVector:
    merged = dict(zip(a.indices, a.values))
    for i, v in zip(b.indices, b.values):
        merged[i] = merged.get(i, 0.0) + v
    return SparseVector(list(merged), list(merged.values()))


# --- stores -------------------------------------------------------------------------------


def open_store(backend: str, path: Path, quantize: str | None, hnsw_ef: int | None = None, oversampling: float | None = None) -> Any:
    """A store at `path` (new, or an earlier --keep run's): Edge, optionally int8-quantized, or qdrant-client local mode.

    The quantized layout is the product's own (`EdgeStore.open(quantization="int8")`,
    `LAGRUM_EDGE_QUANTIZATION=int8`); search-time ef and oversampling likewise.
    """
    if backend == "local":
        from lagrum.store.server import ServerStore

        return ServerStore.open(f"local:{path}", dim=DIM)
    from lagrum.store.edge import EdgeStore

    return EdgeStore.open(path, dim=DIM, quantization=quantize, hnsw_ef=hnsw_ef, oversampling=oversampling)


def dense_ids(store: Any, vector: list[float], limit: int, exact: bool) -> list[str]:
    """Top point ids by dense search: as the store searches (HNSW with its ef and rescoring), or
    exact (a full scan of the original vectors, quantization ignored)."""
    return [h.id for h in store.search_batch([Search(vector, limit, payload=False, exact=exact)])[0]]


# --- measurements -------------------------------------------------------------------------


def build(store: Any, corpus: SyntheticCorpus, chunks: int, log) -> dict[str, float]:
    started = time.perf_counter()
    generate = 0.0
    done = 0
    t = time.perf_counter()
    for n, batch in enumerate(corpus.chunks(chunks), 1):
        generate += time.perf_counter() - t
        store.upsert_chunks(batch)
        done += len(batch)
        if n % 20 == 0:
            log(f"upserted {done} chunks, {time.perf_counter() - started:.0f} s")
        t = time.perf_counter()
    upserted = time.perf_counter()
    store.flush()
    store.optimize()  # Edge: merge segments and build HNSW now, not during the queries
    store.flush()
    finished = time.perf_counter()
    return {"build_s": finished - started, "upsert_s": upserted - started, "optimize_s": finished - upserted, "generate_s": generate}


def hybrid(store: Any, dense: list[float], sparse: SparseVector, filters: SearchFilters | None) -> list[dict[str, Any]]:
    """One hybrid query the way `lagrum.retrieval` runs it: both searches in one batch, ids and
    scores only; equal-weight RRF (`fuse`); then the payloads of the 10 fused hits."""
    ranked = store.search_batch([Search(dense, CANDIDATES, filters, payload=False), Search(sparse, CANDIDATES, filters, payload=False)])
    top = fuse([(ranked[0], 1.0), (ranked[1], 1.0)])[:10]
    payloads = store.payloads([f.id for f in top])
    return [payloads[f.id] for f in top if f.id in payloads]


def hybrid_latencies(store: Any, queries, filters: SearchFilters | None) -> list[float]:
    times = []
    for dense, sparse in queries:
        t = time.perf_counter()
        hybrid(store, dense, sparse, filters)
        times.append((time.perf_counter() - t) * 1000)
    return times


def recall_at_10(store: Any, queries) -> float:
    hits = total = 0
    for dense, _ in queries:
        truth = set(dense_ids(store, dense, 10, exact=True))
        hits += len(truth & set(dense_ids(store, dense, 10, exact=False)))
        total += len(truth)
    return hits / total if total else 0.0


def disk_mb(path: Path) -> float:
    size = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                size += os.stat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                pass
    return size / 1e6


def run(args, backend: str) -> dict[str, Any]:
    log = (lambda msg: print(msg, file=sys.stderr, flush=True)) if not args.quiet else (lambda msg: None)
    workdir = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="lagrum-bench-"))
    quantize = args.quantize if backend == "edge" else None
    path = workdir / f"{backend}-{args.chunks}{'-' + quantize if quantize else ''}"
    reuse = args.reuse and path.exists()
    if path.exists() and not reuse:
        shutil.rmtree(path)
    corpus = SyntheticCorpus()
    log(f"pool of {POOL} passages and {VARIATIONS} variations with BM25 vectors in {corpus.pool_seconds:.1f} s")
    store = open_store(backend, path, quantize, args.hnsw_ef, args.oversampling)
    try:
        if reuse:  # queries only, on an index an earlier --keep run built with the same arguments
            timing = {"build_s": None, "upsert_s": None, "optimize_s": None, "generate_s": None}
            log(f"{backend}: reusing {path}")
        else:
            timing = build(store, corpus, args.chunks, log)
            log(f"{backend}: built {args.chunks} chunks in {timing['build_s']:.1f} s (optimize {timing['optimize_s']:.1f} s)")
        # Local mode scans every point in Python per query: fewer queries keep it in minutes.
        queries = corpus.queries(args.queries if backend == "edge" else min(args.queries, args.local_queries))
        warm_s = None
        if args.warm and hasattr(store, "warm"):  # as `lagrum serve` does when it opens the index
            started = time.perf_counter()
            warmed = store.warm()
            warm_s = round(time.perf_counter() - started, 1)
            log(f"{backend}: read {warmed / 1e6:.0f} MB into the page cache in {warm_s} s")
        hybrid_latencies(store, queries[:10], None)  # warm up caches and mmaps
        plain = hybrid_latencies(store, queries, None)
        filtered = hybrid_latencies(store, queries, FILTER)
        recall = recall_at_10(store, queries[: args.recall_queries])
        indexed = _indexed_vectors(store)
        memory = _memory_split()
        count = store.count_chunks()
    finally:
        store.close()
    result = {
        "backend": backend + (f"+{quantize}" if quantize else ""),
        "chunks": args.chunks,
        "build_s": None if timing["build_s"] is None else round(timing["build_s"], 1),
        "p50_ms": round(float(np.percentile(plain, 50)), 2),
        "p95_ms": round(float(np.percentile(plain, 95)), 2),
        "p95_filtered_ms": round(float(np.percentile(filtered, 95)), 2),
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "disk_mb": round(disk_mb(path), 1),
        "recall_at_10": round(recall, 4),
    }
    details = {
        **{k: None if v is None else round(v, 1) for k, v in timing.items()},
        **memory,
        "warm_s": warm_s,
        "hnsw_ef": getattr(store, "hnsw_ef", None),  # as the store searched, its defaults included
        "oversampling": getattr(store, "oversampling", None),
        "p50_filtered_ms": round(float(np.percentile(filtered, 50)), 2),
        "queries": len(queries),
        "counted_chunks": count,
        "hnsw_indexed_vectors": indexed,
        "path": str(path),
    }
    if not (args.keep or args.reuse):  # a reused index stays for the next --reuse run
        shutil.rmtree(path, ignore_errors=True)
        if not args.dir:
            shutil.rmtree(workdir, ignore_errors=True)
    return {"result": result, "details": details}


def _memory_split() -> dict[str, float]:
    """Resident memory now, split into anonymous (heap: really used) and file-backed (mmapped
    segments: page cache the kernel can drop). The peak `rss_mb` counts both."""
    out: dict[str, float] = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("RssAnon", "RssFile"):
                out[f"{key.lower().replace('rss', 'rss_')}_mb"] = round(int(value.split()[0]) / 1024, 1)
    except OSError:
        pass
    return out


def _indexed_vectors(store: Any) -> int | None:
    try:
        return int(store._shard.info().indexed_vectors_count)
    except AttributeError:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, required=True, help="how many synthetic chunks to index")
    parser.add_argument(
        "--backend",
        default="edge",
        help="edge (default), local (qdrant-client local mode), or both side by side: edge,local",
    )
    parser.add_argument("--quantize", choices=("int8",), help="Edge only: int8 scalar quantization in RAM, original vectors on disk")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--recall-queries", type=int, default=100)
    parser.add_argument("--local-queries", type=int, default=20, help="queries for the local backend (each is a full scan)")
    parser.add_argument("--hnsw-ef", type=int, help="Edge: HNSW ef at search time (default: the store's, 256)")
    parser.add_argument("--oversampling", type=float, help="Edge with --quantize: rescore this many times the limit with the original vectors (default: the store's, 1.5)")
    parser.add_argument("--reuse", action="store_true", help="with --dir: query an index a --keep run left there instead of building")
    parser.add_argument("--dir", help="where to build (default: a temp dir, removed afterwards)")
    parser.add_argument(
        "--no-warm",
        dest="warm",
        action="store_false",
        help="Edge: skip reading the index into the page cache before the queries (`lagrum serve` does it; "
        "without it the queries measure first touches of the disk, as right after a restart)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the built index")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the headline figures")
    args = parser.parse_args(argv)
    if args.chunks < 1:
        parser.error("--chunks must be at least 1")
    if args.reuse and not args.dir:
        parser.error("--reuse needs --dir (the directory a --keep run built in)")
    backends = [b.strip() for b in args.backend.split(",") if b.strip()]
    unknown = [b for b in backends if b not in ("edge", "local")]
    if unknown or not backends:
        parser.error(f"--backend {args.backend!r}: use edge, local, or edge,local")
    if args.quantize and "edge" not in backends:
        parser.error("--quantize applies to --backend edge only (local mode has no quantization)")
    if len(backends) > 1:
        return compare(args, backends, argv)
    outs = [run(args, backends[0])]
    for out in outs:
        if args.json:  # one JSON line per backend; with one backend the last line is its result
            print(json.dumps(out["details"], ensure_ascii=False), file=sys.stderr)
            print(json.dumps(out["result"], ensure_ascii=False), flush=True)
        else:
            for key, value in {**out["result"], **out["details"]}.items():
                print(f"{key:>22}: {value}")
            print()
    return 0


def compare(args, backends: list[str], argv: list[str] | None) -> int:
    """Each backend in its own process (peak memory is per process), then one table side by side."""
    import subprocess

    base = list(sys.argv[1:] if argv is None else argv)
    results = []
    for backend in backends:
        own = _without(base, "--backend", "--json") if backend == "edge" else _without(base, "--backend", "--json", "--quantize")
        command = [sys.executable, str(Path(__file__).resolve()), *own, "--backend", backend, "--json"]
        done = subprocess.run(command, stdout=subprocess.PIPE, text=True)
        if done.returncode != 0:
            print(f"the {backend} run failed (exit {done.returncode}); see its messages above", file=sys.stderr)
            return done.returncode
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    if args.json:
        for result in results:
            print(json.dumps(result, ensure_ascii=False))
        return 0
    keys = list(results[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for result in results:
        print("| " + " | ".join(str(result[k]) for k in keys) + " |")
    return 0


def _without(argv: list[str], *options: str) -> list[str]:
    """`argv` without the given options (and their values; `--json` is a flag)."""
    out, skip = [], False
    for item in argv:
        if skip:
            skip = False
            continue
        name = item.split("=", 1)[0]
        if name in options:
            skip = "=" not in item and name != "--json"
            continue
        out.append(item)
    return out


if __name__ == "__main__":
    sys.exit(main())
