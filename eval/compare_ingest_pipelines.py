"""Ingest a question set's documents twice, into two fresh indexes: once through
`ingest.pipeline.IngestPipeline` (what `lagrum ingest` runs) and once through the Haystack ingest
pipeline (`lagrum.app.pipelines.build_ingest_pipeline`); report whether every record and passage is
the same (payloads exactly, dense vectors within 1e-5, BM25 vectors exactly) and both times.

    LAGRUM_REALDATA=../shared/realdata python eval/compare_ingest_pipelines.py --set dev
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def points(index) -> dict:
    out = {}
    for batch, _ in index.store.iter_points():
        for p in batch:
            out[p.id] = ({k: v for k, v in p.payload.items() if k not in ("ingested_at", "lagrum_version")}, p.dense, p.sparse)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", default="dev")
    args = parser.parse_args()

    from ingest.loaders import iter_documents
    from ingest.pipeline import IngestPipeline
    from lagrum.components.convert import legal_to_document
    from lagrum.embedders import load_embedder
    from lagrum.errors import InputError
    from lagrum.app.evaluation import QuestionSet, document_sources, read_realdata, realdata_paths, resolve_set
    from lagrum.index import Index
    from lagrum.app.pipelines import build_ingest_pipeline
    from lagrum.settings import Settings

    question_set = QuestionSet.load(resolve_set(args.set))
    realdata = realdata_paths(question_set.realdata_files) if question_set.realdata_files else []
    items = list(iter_documents([s for s in document_sources(question_set) if s not in realdata])) + read_realdata(realdata)[0]
    documents = [d for d in items if not isinstance(d, InputError)]
    embedder = load_embedder(Settings.from_env().embedder)
    report: dict = {"set": args.set, "documents": len(documents)}
    with tempfile.TemporaryDirectory() as tmp:
        old = Index.open(Settings.from_env().with_(data_dir=Path(tmp) / "old"), create=True, embedder=embedder)
        new = Index.open(Settings.from_env().with_(data_dir=Path(tmp) / "new"), create=True, embedder=embedder)
        try:
            started = time.perf_counter()
            summary = IngestPipeline(old).ingest(documents).as_dict()
            report["ingest_pipeline_s"] = round(time.perf_counter() - started, 1)
            started = time.perf_counter()
            result = build_ingest_pipeline(new.settings, index=new).run({"cleaner": {"documents": [legal_to_document(d) for d in documents]}})["writer"]["summary"]
            report["haystack_pipeline_s"] = round(time.perf_counter() - started, 1)
            a, b = points(old), points(new)
        finally:
            old.close()
            new.close()
    report["chunks"] = [summary["chunks"], result["chunks"]]
    report["failed"] = [summary["failed"], result["failed"]]
    report["same_point_ids"] = a.keys() == b.keys()
    common = a.keys() & b.keys()
    report["payload_differences"] = sorted(k for k in common if a[k][0] != b[k][0])[:10]
    report["sparse_differences"] = sum(1 for k in common if a[k][2] != b[k][2])
    report["max_dense_difference"] = max(
        (max(abs(x - y) for x, y in zip(a[k][1], b[k][1])) for k in common if a[k][1] is not None and b[k][1] is not None), default=0.0
    )
    report["dense_missing_on_one_side"] = sum(1 for k in common if (a[k][1] is None) != (b[k][1] is None))
    print(json.dumps(report, indent=2, ensure_ascii=False))
    same = report["same_point_ids"] and not report["payload_differences"] and not report["sparse_differences"] and report["max_dense_difference"] < 1e-5
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
