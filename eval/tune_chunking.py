"""Compare chunk sizes and overlaps on a question set (a benchmark-style script, not a test).

    python eval/tune_chunking.py [--set eval/data/dev] [--data data/chunking]

Each setting gets its own index (LAGRUM_CHUNK_TOKENS / LAGRUM_CHUNK_OVERLAP), hybrid retrieval
is scored as in `lagrum eval`, and the table goes to eval/reports/chunking-<set>.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lagrum.app.evaluation import evaluate  # noqa: E402
from lagrum.settings import Settings  # noqa: E402

SETTINGS = [(160, 0), (240, 0), (320, 0), (320, 1), (448, 0)]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", default="eval/data/dev")
    parser.add_argument("--data", default="data/chunking")
    args = parser.parse_args()
    directory = Path(args.set)
    rows = []
    for tokens, overlap in SETTINGS:
        settings = Settings.from_env().with_(data_dir=Path(args.data) / f"{directory.name}-{tokens}-{overlap}", chunk_tokens=tokens, chunk_overlap=overlap)
        report = evaluate(directory, settings, modes=("dense", "hybrid"), ask=False)
        h, d = report["retrieval"]["hybrid"], report["retrieval"]["dense"]
        rows.append((tokens, overlap, h, d))
        print(f"{tokens} tokens, overlap {overlap}: hybrid sv {h['sv']['mrr@10']:.3f}/{h['sv']['recall@5']:.3f} en {h['en']['mrr@10']:.3f}/{h['en']['recall@5']:.3f}", flush=True)
    lines = [f"# Chunk size and overlap on `{directory.name}`", "", "| tokens | overlap (sentences) | hybrid sv MRR@10 | sv recall@5 | hybrid en MRR@10 | en recall@5 | dense sv MRR@10 | dense en MRR@10 |", "|---|---|---|---|---|---|---|---|"]
    for tokens, overlap, h, d in rows:
        lines.append(f"| {tokens} | {overlap} | {h['sv']['mrr@10']:.3f} | {h['sv']['recall@5']:.3f} | {h['en']['mrr@10']:.3f} | {h['en']['recall@5']:.3f} | {d['sv']['mrr@10']:.3f} | {d['en']['mrr@10']:.3f} |")
    out = Path("eval/reports") / f"chunking-{directory.name}.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"Written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
