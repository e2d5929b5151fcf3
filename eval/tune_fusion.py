"""Compare fusion variants on a question set (a benchmark-style script, not a test).

    python eval/tune_fusion.py [--set eval/data/dev] [--data data]

Builds (or reuses) the evaluation index, then scores each variant of `FusionWeights` per
language with the same metrics as `lagrum eval`, and writes eval/reports/fusion-<set>.md.
Query embeddings are cached, so each variant costs only the store queries.
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lagrum import retrieval  # noqa: E402
from lagrum.app.evaluation import QuestionSet, build_index, ranked_documents, retrieval_metrics  # noqa: E402
from lagrum.retrieval import FusionWeights, RRF_K  # noqa: E402
from lagrum.app.service import LagrumService  # noqa: E402
from lagrum.settings import Settings  # noqa: E402

B = 1.0 / RRF_K
VARIANTS = {
    "rrf equal (naive)": None,
    "dense only": "dense",
    "bm25 only": "bm25",
    "w 1/1": FusionWeights(1, 1, B),
    "w 1/0.5": FusionWeights(1, 0.5, B),
    "w 1/0.25": FusionWeights(1, 0.25, B),
    "w 1/0.25 +exact": FusionWeights(1, 0.25, B, exact=1.0),
    "w 1/0.5 +exact": FusionWeights(1, 0.5, B, exact=1.0),
    "w 1/0.5 +exact +translated 0.5": FusionWeights(1, 0.5, B, exact=1.0, translated=0.5),
    "w 1/0.5 +exact +translated 1": FusionWeights(1, 0.5, B, exact=1.0, translated=1.0),
    "w 1/1 +exact +translated 1": FusionWeights(1, 1, B, exact=1.0, translated=1.0),
    "w 1/0.25 +exact +translated 0.5": FusionWeights(1, 0.25, B, exact=1.0, translated=0.5),
    "w 1/1 +exact": FusionWeights(1, 1, B, exact=1.0),
    "w 1/0.75 +exact": FusionWeights(1, 0.75, B, exact=1.0),
    "w 1/0.25 +exact +translated 0.25": FusionWeights(1, 0.25, B, exact=1.0, translated=0.25),
    "w 1/0.5 +exact +translated 0.25": FusionWeights(1, 0.5, B, exact=1.0, translated=0.25),
    "w 1/0.25 +exact +cross bm25 0.15": FusionWeights(1, 0.25, B, exact=1.0, cross_sparse=0.15),
    "w 1/0.25 +exact +cross bm25 0.25": FusionWeights(1, 0.25, B, exact=1.0, cross_sparse=0.25),
    "w 1/0.25 +exact +cross bm25 0.35": FusionWeights(1, 0.25, B, exact=1.0, cross_sparse=0.35),
    "w 1/0.25 +exact +cross bm25 0.5": FusionWeights(1, 0.25, B, exact=1.0, cross_sparse=0.5),
    "w 1/0.1 +exact +cross bm25 0.25": FusionWeights(1, 0.1, B, exact=1.0, cross_sparse=0.25),
    "w 1/0.15 +exact +cross bm25 0.25": FusionWeights(1, 0.15, B, exact=1.0, cross_sparse=0.25),
    "w 1/0.1 +exact 0.5 +cross bm25 0.25": FusionWeights(1, 0.1, B, exact=0.5, cross_sparse=0.25),
    "w 1/0.25 +exact +cross bm25 0.25 +translated 0.25": FusionWeights(1, 0.25, B, exact=1.0, translated=0.25, cross_sparse=0.25),
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", default="eval/data/dev")
    parser.add_argument("--data", default="data")
    args = parser.parse_args()
    directory = Path(args.set)
    settings = Settings.from_env().with_(data_dir=Path(args.data) / f"eval-{directory.name}")
    question_set = QuestionSet.load(directory)
    build_index(question_set, settings)
    service = LagrumService.open(settings, create=False)
    embedder = service.index.embedder
    embedder.embed_query = functools.lru_cache(maxsize=None)(embedder.embed_query)
    questions = [q for q in question_set.questions if q.relevant]
    rows = []
    try:
        for name, variant in VARIANTS.items():
            result = {}
            for language in ("sv", "en"):
                subset = [q for q in questions if q.language == language]
                ranked = []
                for q in subset:
                    if variant is None:
                        hits = service.retriever.search(q.question, limit=30, mode="rrf")
                    elif isinstance(variant, str):
                        hits = service.retriever.search(q.question, limit=30, mode=variant)
                    else:
                        saved = dict(retrieval.HYBRID_WEIGHTS)
                        retrieval.HYBRID_WEIGHTS[language] = variant
                        try:
                            hits = service.retriever.search(q.question, limit=30, mode="hybrid", language=language)
                        finally:
                            retrieval.HYBRID_WEIGHTS.update(saved)
                    ranked.append(ranked_documents(hits))
                result[language] = retrieval_metrics([q.relevant for q in subset], ranked)
            rows.append((name, result))
            print(f"{name:34s} sv MRR {result['sv']['mrr@10']:.3f} R@5 {result['sv']['recall@5']:.3f} | en MRR {result['en']['mrr@10']:.3f} R@5 {result['en']['recall@5']:.3f}", flush=True)
    finally:
        service.close()
    out = Path("eval/reports") / f"fusion-{directory.name}.md"
    lines = [f"# Fusion variants on `{directory.name}`", "", "| variant | sv MRR@10 | sv recall@5 | en MRR@10 | en recall@5 |", "|---|---|---|---|---|"]
    lines += [f"| {n} | {r['sv']['mrr@10']:.3f} | {r['sv']['recall@5']:.3f} | {r['en']['mrr@10']:.3f} | {r['en']['recall@5']:.3f} |" for n, r in rows]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"Written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
