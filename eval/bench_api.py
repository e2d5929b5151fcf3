"""API benchmark: `/search` and `/ask` throughput and latency at 1, 8 and 16 clients, and where the time goes.

    .venv/bin/python eval/bench_api.py                      # the bundled corpus, 1 8 16 clients
    .venv/bin/python eval/bench_api.py --clients 1 8        # other client counts
    .venv/bin/python eval/bench_api.py --synthetic 100000   # plus 100k synthetic chunks
    .venv/bin/python eval/bench_api.py --json               # one JSON line at the end
    .venv/bin/python eval/bench_api.py --with real --data data  # and the real corpus, beside the bundled one

A benchmark, not a test. It ingests corpus/documents into a temp index (real e5, real Qdrant
Edge), serves the real app with uvicorn in a thread of this process, and for each client count
fires the questions below at `/search` and `/ask` from that many threads (each with its own
httpx client) for `--rounds` rounds. Each row reports questions/s (requests ÷ the phase's wall
clock), p50/p95 latency and the mean time per request in each stage: waiting for the embedder
(`lagrum.batching` counters), the e5 call the question's texts were in, the store (every store
method timed through a wrapper), the handler's work outside retrieval (answer composition for
`/ask`) and HTTP plus the server's threadpool. The in-process baseline is the work no API can
avoid: the query embedding plus the raw store queries `lagrum.retrieval` makes (one
`store.search_batch` of a dense and a BM25 search, 50 candidates each as ids and scores, then
`store.payloads` of 10 of them), at the same client counts.

Goals (issue 20): `/search` throughput at 16 clients ≥ 1.6× that at one; `/ask` p50 at 8
clients ≤ 3× `/ask` p50 alone. Set `LAGRUM_EMBED_MAX_BATCH=1 LAGRUM_EMBED_WINDOW_MS=0` for the
one-call-per-text behaviour from before the batcher, to compare side by side.

`--synthetic N` adds N fictional chunks before serving (doc ids `synthetic-<k>`, payload only,
no document records): text from corpus sentences, seeded random unit dense vectors (not e5
embeddings: e5 does ~5 passages/s here) and random sparse vectors over the corpus' real BM25
token ids, so both the HNSW and the sparse index have realistic work to do.

`--with real` measures the same rows on the real corpus of `eval/data/real` (126 realdata files,
3,113 chunks) with the real set's questions, after the bundled corpus. Embedding that corpus takes
~13 minutes here, so it is not re-embedded: the per-set index `lagrum eval --set real` built under
`--data` (`<data>/eval-real/index`) is copied into the temp dir and served from the copy.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CORPUS = ROOT / "corpus" / "documents"
SEED = 20240611
BATCH = 1000
QUESTIONS = [
    "Får arbetsgivaren spela in de anställdas skärmar?",
    "Får Försäkringskassan kräva att handläggare arbetar framför webbkamera?",
    "Vad beslutade Datainspektionen om kameraövervakningen hos Försäkringskassan?",
    "Är kameraövervakning av anställda tillåten?",
    "Hur många anställda gör otillåtna slagningar i journaler?",
    "Vilka hot riktas mot personalen på Försäkringskassan?",
    "Gäller kameraövervakningslagen för webbmöten?",
    "Vad säger kamerabevakningslagen om arbetsplatser?",
    "Loggning av slagningar i personuppgifter",
    "Telia skärminspelning anställda",
    "Hur bakar man surdegsbröd?",
    "is mandatory webcam use legal",
    "Can my employer record my screen at work?",
    "What did the Swedish data protection authority decide about webcams?",
    "Are employees allowed to look up personal records without reason?",
    "threats against social insurance agency staff",
    "camera surveillance of employees in Sweden",
    "Does the camera surveillance act apply to video meetings?",
    "Who won the 2018 football world cup?",
    "privacy at work screen recording",
]


# --- the index ----------------------------------------------------------------------------


def build_index(data_dir: Path, synthetic: int, log: Callable[[str], None]) -> tuple[Any, dict[str, float]]:
    """Ingest the bundled corpus into `data_dir`, then add `synthetic` chunks; return (index, timings)."""
    from ingest.loaders import iter_documents
    from ingest.pipeline import IngestPipeline
    from lagrum.index import Index
    from lagrum.settings import Settings

    settings = Settings().with_(data_dir=data_dir)
    index = Index.open(settings, create=True)
    started = time.perf_counter()
    summary = IngestPipeline(index).ingest(iter_documents([CORPUS]))
    timings = {"ingest_s": round(time.perf_counter() - started, 1)}
    if summary.failed:
        raise SystemExit(f"ingest failed: {summary.errors}")
    log(f"ingested {summary.ingested} documents ({summary.chunks} chunks) in {timings['ingest_s']} s")
    if synthetic:
        started = time.perf_counter()
        add_synthetic_chunks(index, synthetic, log)
        timings["synthetic_upsert_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        if hasattr(index.store, "optimize"):
            index.store.optimize()  # build HNSW now, not during the measurement
        timings["optimize_s"] = round(time.perf_counter() - started, 1)
        log(f"added {synthetic} synthetic chunks in {timings['synthetic_upsert_s']} s, optimised in {timings['optimize_s']} s")
    return index, timings


def corpus_sentences() -> list[str]:
    from lagrum.text import split_sentences

    sentences = []
    for path in sorted(CORPUS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        sentences += [" ".join(text[s:e].split()) for s, e in split_sentences(text)]
    return [s for s in sentences if len(s) > 30]


def add_synthetic_chunks(index: Any, count: int, log: Callable[[str], None]) -> None:
    """Upsert `count` fictional chunks straight into the store (see the module docstring)."""
    from lagrum.store.base import ChunkPoint, SparseVector, point_id

    rng = np.random.default_rng(SEED)
    sentences = corpus_sentences()
    vocabulary = sorted({i for s in sentences for i in index.bm25.document(s).indices})
    dim = index.embedder.dim
    for first in range(0, count, BATCH):
        n = min(BATCH, count - first)
        dense = rng.standard_normal((n, dim)).astype(np.float32)
        dense /= np.linalg.norm(dense, axis=1, keepdims=True)
        points = []
        for j in range(n):
            k = first + j
            text = " ".join(sentences[i] for i in rng.integers(0, len(sentences), size=int(rng.integers(2, 5))))
            terms = rng.choice(vocabulary, size=min(len(vocabulary), int(rng.integers(10, 40))), replace=False)
            sparse = SparseVector([int(t) for t in sorted(terms)], [float(v) for v in rng.uniform(0.5, 2.0, size=len(terms))])
            payload = {
                "doc_id": f"synthetic-{k}",
                "chunk_id": f"synthetic-{k}#0",
                "index": 0,
                "start": 0,
                "end": len(text),
                "text": text,
                "section": None,
                "citations": [],
                "citation_spans": [],
                "title": f"Synthetic chunk {k} (benchmark material)",
                "date": None,
                "doc_type": "övrigt",
                "source": "benchmark",
                "url": "",
                "language": "sv",
            }
            points.append(ChunkPoint(id=point_id(payload["chunk_id"]), dense=dense[j].tolist(), sparse=sparse, payload=payload))
        index.store.upsert_chunks(points)
        if (first // BATCH) % 20 == 19:
            log(f"  {first + n} synthetic chunks")


# --- measuring ----------------------------------------------------------------------------


def run_concurrently(jobs: list[Any], clients: int, work: Callable[[Any, Any], None], make_state: Callable[[], Any]) -> list[float]:
    """Run `work(state, job)` for every job from `clients` threads; return each job's seconds
    (and set `run_concurrently.wall` to the whole run's wall-clock seconds)."""
    pending: queue.Queue = queue.Queue()
    for job in jobs:
        pending.put(job)
    timings: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        state = make_state()
        try:
            while True:
                try:
                    job = pending.get_nowait()
                except queue.Empty:
                    return
                started = time.perf_counter()
                try:
                    work(state, job)
                except BaseException as exc:  # report after the run, do not hang the pool
                    errors.append(exc)
                    return
                with lock:
                    timings.append(time.perf_counter() - started)
        finally:
            if hasattr(state, "close"):
                state.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run_concurrently.wall = time.perf_counter() - started
    if errors:
        raise errors[0]
    return timings


class StageClock:
    """Seconds spent per stage, summed over all threads (a lock around each addition: cheap
    next to a store call or an embedding). Store calls made inside `retrieve` count as
    `store_retrieve`, the others (the answer's title vectors, document reads) as `store_other`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.local = threading.local()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.seconds: dict[str, float] = {}

    def add(self, stage: str, seconds: float) -> None:
        with self.lock:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds

    def wrap(self, stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            outer = getattr(self.local, "stage", None)
            if stage == "retrieve":
                self.local.stage = "retrieve"
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.local.stage = outer
                name = stage
                if stage == "store":
                    name = "store_retrieve" if outer == "retrieve" else "store_other"
                if not (stage == "retrieve" and outer == "retrieve"):  # /search may retrieve twice, nested never
                    self.add(name, time.perf_counter() - started)

        return timed


class TimedStore:
    """The index's store with every method call timed into a `StageClock` (benchmark only)."""

    def __init__(self, store: Any, clock: StageClock):
        self._store = store
        self._clock = clock

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._store, name)
        return self._clock.wrap("store", attribute) if callable(attribute) else attribute


def embed_and_retrieve(index: Any) -> Callable[[Any, str], None]:
    from lagrum.retrieval import CANDIDATES
    from lagrum.store.base import Search

    def work(_state: Any, question: str) -> None:
        vector = index.embedder.embed_query(question).tolist()
        dense, sparse = index.store.search_batch(
            [Search(vector, CANDIDATES, payload=False), Search(index.bm25.query(question), CANDIDATES, payload=False)]
        )
        index.store.payloads([h.id for h in (dense + sparse)[:10]])

    return work


def http_call(endpoint: str) -> Callable[[Any, str], None]:
    def work(client: Any, question: str) -> None:
        if endpoint == "/search":
            response = client.get("/search", params={"q": question})
        else:
            response = client.post("/ask", json={"question": question})
        if response.status_code != 200:
            raise RuntimeError(f"{endpoint} answered {response.status_code}: {response.text[:200]}")

    return work


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    return {
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))], 1),
        "n": len(ms),
    }


class BackgroundServer:
    """uvicorn serving the app in a thread of this process (the shard can be opened only once)."""

    def __init__(self, app: Any):
        import socket

        import uvicorn

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "BackgroundServer":
        self.thread.start()
        deadline = time.time() + 30
        while not self.server.started:
            if time.time() > deadline:
                raise RuntimeError("uvicorn did not start within 30 s")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def real_index(data_root: Path, target: Path, log: Callable[[str], None]) -> Any:
    """A copy of the real corpus' per-set eval index (`<data_root>/eval-real/index`) at `target`, opened."""
    import shutil

    from lagrum.index import Index
    from lagrum.settings import Settings

    source = data_root / "eval-real" / "index"
    if not ((source / "segments").is_dir() or (source / "wal").is_dir()):
        raise SystemExit(
            f"--with real: no index of the real corpus at {source}; build it once with "
            f"`python -m lagrum.app.cli --data {data_root} eval --set real` (it embeds the corpus, ~13 minutes here), "
            "or point --data at the data directory that holds eval-real/"
        )
    started = time.perf_counter()
    shutil.copytree(source, target / "index", ignore=shutil.ignore_patterns("owner.json"))
    index = Index.open(Settings().with_(data_dir=target), create=False)
    log(f"real corpus: copied {source} ({index.store.count_documents()} documents, {index.store.count_chunks()} chunks) in {time.perf_counter() - started:.1f} s")
    return index


def real_questions() -> list[str]:
    """The questions of the real set (eval/data/real/questions.jsonl), in file order."""
    from lagrum.app.evaluation import QuestionSet

    return [q.question for q in QuestionSet.load(ROOT / "eval" / "data" / "real").questions]


def measure(index: Any, client_counts: list[int], rounds: int, log: Callable[[str], None], questions: list[str] = QUESTIONS) -> dict[str, Any]:
    """Every endpoint at every client count, plus the in-process embed + retrieve baseline;
    each row with throughput, latency and where the time went (means per request)."""
    import httpx

    from api.app import create_app
    from lagrum.app.service import LagrumService

    service = LagrumService(index)
    clock = StageClock()
    batcher = getattr(index.embedder, "batcher", None)
    tags = iter("abcdefghijklmnopqrstuvwxyz")

    # Every timed request is a question the server has not seen: real users rarely repeat one
    # verbatim, and the embedder's query cache would otherwise hide the embedding on both sides.
    def jobs() -> list[str]:
        tag = next(tags)
        return [f"{question} ({tag * n})" for n in range(1, rounds + 1) for question in questions]  # no digits: no exact-identifier pass

    results: dict[str, Any] = {}
    baseline = embed_and_retrieve(index)
    for question in questions:  # warm up: model pages, HNSW pages, the relation graph
        baseline(None, question)
        service.ask(question)
    original_store = index.store
    index.store = TimedStore(original_store, clock)
    service.retriever.search = clock.wrap("retrieve", service.retriever.search)
    service.search = clock.wrap("handler", service.search)
    service.ask = clock.wrap("handler", service.ask)

    def phase(name: str, clients: int, work: Callable[[Any, str], None], make_state: Callable[[], Any]) -> dict[str, Any]:
        questions = jobs()
        clock.reset()
        if batcher is not None:
            batcher.stats.reset()
        seconds = run_concurrently(questions, clients, work, make_state)
        row = {**percentiles(seconds), "clients": clients, "qps": round(len(seconds) / run_concurrently.wall, 2)}
        n = len(seconds)
        stages = dict(clock.seconds)
        per = lambda value: round(1000 * value / n, 1)  # noqa: E731  mean ms per request
        row["mean_ms"] = per(sum(seconds))
        if batcher is not None:
            stats = batcher.stats
            row["embedder_queue_ms"] = per(stats.query_wait_s)
            row["embedder_call_ms"] = per(stats.query_held_s)
            row["embedder_calls"] = stats.query_calls
            row["queries_per_call"] = stats.as_dict()["mean_queries_per_call"]
        row["store_ms"] = per(stages.get("store_retrieve", 0.0) + stages.get("store_other", 0.0))
        if "handler" in stages:
            row["handler_ms"] = per(stages["handler"])
            row["retrieve_ms"] = per(stages.get("retrieve", 0.0))
            row["compose_ms"] = per(stages["handler"] - stages.get("retrieve", 0.0))  # /search: hit JSON, warnings; /ask: the answer
            row["http_ms"] = per(sum(seconds) - stages["handler"])  # HTTP, the threadpool, JSON
        log(f"{name} @ {clients}: {row}")
        return row

    with BackgroundServer(create_app(index.settings, service=service)) as server:
        make_client = lambda: httpx.Client(base_url=server.url, timeout=120)  # noqa: E731
        for endpoint in ("/search", "/ask"):
            run_concurrently(questions, max(client_counts), http_call(endpoint), make_client)  # warm-up over HTTP
        for clients in client_counts:
            results[f"embed_retrieve@{clients}"] = phase("embed + retrieve", clients, baseline, lambda: None)
            for endpoint in ("/search", "/ask"):
                results[f"{endpoint}@{clients}"] = phase(endpoint, clients, http_call(endpoint), make_client)
    index.store = original_store
    low, high = min(client_counts), max(client_counts)
    results["search_qps_ratio"] = round(results[f"/search@{high}"]["qps"] / results[f"/search@{low}"]["qps"], 2)
    single = results[f"/ask@{low}"]["p50_ms"]
    if 8 in client_counts:
        results["ask_p50_8_over_single"] = round(results["/ask@8"]["p50_ms"] / single, 2)
        results["ask_p50_8_over_embed_retrieve_single"] = round(results["/ask@8"]["p50_ms"] / results[f"embed_retrieve@{low}"]["p50_ms"], 2)
    return results


def markdown(report: dict[str, Any]) -> str:
    r = report["results"]
    lines = [
        f"Index: {report['chunks']} chunks ({report['synthetic']} synthetic), {report.get('questions', len(QUESTIONS))} questions, {report['requests']} requests per row, {report['cpus']} CPUs, "
        f"batching {report['batching']}",
        "",
        "| what | clients | questions/s | p50 ms | p95 ms | embedder queue | embedder call | store | compose | HTTP | queries per e5 call |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for clients in report["clients"]:
        for name, key in (("`GET /search`", "/search"), ("`POST /ask`", "/ask"), ("embed + raw Qdrant query (in-process)", "embed_retrieve")):
            v = r[f"{key}@{clients}"]
            cell = lambda k: f"{v[k]}" if k in v else "–"  # noqa: E731
            lines.append(
                f"| {name} | {clients} | {v['qps']} | {v['p50_ms']} | {v['p95_ms']} | {cell('embedder_queue_ms')} | {cell('embedder_call_ms')} | "
                f"{cell('store_ms')} | {cell('compose_ms')} | {cell('http_ms')} | {cell('queries_per_call')} |"
            )
    lines += [
        "",
        "Stage columns are means per request in ms: waiting for the embedder, the e5 call the question's texts were in, "
        "the store, the handler's work outside retrieval (answer composition for /ask), and HTTP plus the server's threadpool.",
        "",
        f"/search throughput, {max(report['clients'])} ÷ {min(report['clients'])} clients: **{r['search_qps_ratio']}×** (goal ≥ 1.6)",
    ]
    if "ask_p50_8_over_single" in r:
        lines.append(
            f"/ask p50 at 8 clients ÷ /ask p50 alone: **{r['ask_p50_8_over_single']}×** (goal ≤ 3); "
            f"÷ embed + retrieve alone: {r['ask_p50_8_over_embed_retrieve_single']}×"
        )
    return "\n".join(lines)


def _batching() -> str:
    from lagrum.settings import Settings

    s = Settings.from_env()
    return f"window {s.embed_window_ms:g} ms, at most {s.embed_max_batch} queries per call, passage slices of {s.embed_passage_slice}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--synthetic", type=int, default=0, metavar="N", help="add N synthetic chunks before serving")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 16], help="concurrent client counts (default 1 8 16)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds over the question set (default 5)")
    parser.add_argument("--json", action="store_true", help="print one JSON line instead of the Markdown table")
    parser.add_argument("--with", dest="with_", choices=["real"], help="also measure on the real corpus (a copy of <data>/eval-real/index, not re-embedded)")
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("LAGRUM_DATA") or "data"), help="data directory holding eval-real/ (env LAGRUM_DATA, default ./data)")
    args = parser.parse_args(argv)
    if args.synthetic < 0 or min(args.clients) < 1 or args.rounds < 1:
        parser.error("--synthetic must be >= 0, --clients and --rounds >= 1")
    log = (lambda message: print(message, file=sys.stderr)) if args.json else print
    reports = {}
    with tempfile.TemporaryDirectory(prefix="lagrum-bench-api-") as tmp:
        index, timings = build_index(Path(tmp) / "data", args.synthetic, log)
        try:
            results = measure(index, args.clients, args.rounds, log)
            chunks = index.store.count_chunks()
        finally:
            index.close()
        reports["bundled"] = {"corpus": "bundled", "synthetic": args.synthetic, "chunks": chunks, "questions": len(QUESTIONS), "requests": len(QUESTIONS) * args.rounds, **timings, "results": results}
        if args.with_ == "real":
            questions = real_questions()
            index = real_index(args.data, Path(tmp) / "real", log)
            try:
                results = measure(index, args.clients, args.rounds, log, questions=questions)
                chunks = index.store.count_chunks()
            finally:
                index.close()
            reports["real"] = {"corpus": "real", "synthetic": 0, "chunks": chunks, "questions": len(questions), "requests": len(questions) * args.rounds, "results": results}
    for report in reports.values():
        report.update(clients=args.clients, cpus=os.cpu_count(), batching=_batching())
    if args.json:
        print(json.dumps(reports["bundled"] if len(reports) == 1 else reports, ensure_ascii=False))
    else:
        for name, report in reports.items():
            print()
            if len(reports) > 1:
                print(f"### {name} corpus\n")
            print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
