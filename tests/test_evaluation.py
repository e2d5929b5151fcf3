"""`lagrum eval`: metrics checked by hand on tiny cases, and one real run on a tiny question set.

The tiny set under tests/data/eval-tiny is fictional test material.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lagrum.app.evaluation import QuestionSet, markdown_report, ranked_documents, retrieval_metrics
from lagrum.retrieval import Hit

from conftest import TEST_DATA


def test_metrics_match_a_hand_computed_case():
    relevant = [["a"], ["b", "c"], ["d"]]
    retrieved = [
        ["a", "x", "y"],  # rank 1: RR 1, recall 1, nDCG 1
        ["x", "c", "y", "b"],  # first relevant at 2: RR 1/2; both in top 5: recall 1
        ["x", "y", "z", "w", "v", "d"],  # rank 6: RR 1/6; not in top 5: recall 0
    ]
    m = retrieval_metrics(relevant, retrieved)
    assert m["mrr@10"] == pytest.approx((1 + 1 / 2 + 1 / 6) / 3, abs=1e-4)
    assert m["recall@5"] == pytest.approx((1 + 1 + 0) / 3, abs=1e-4)
    # nDCG for question 2: DCG = 1/log2(3) + 1/log2(5); IDCG = 1 + 1/log2(3).
    import math

    q2 = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    q3 = (1 / math.log2(7)) / 1
    assert m["ndcg@10"] == pytest.approx((1 + q2 + q3) / 3, abs=1e-4)
    assert m["n"] == 3


def test_a_miss_scores_zero():
    assert retrieval_metrics([["a"]], [["x", "y"]])["mrr@10"] == 0.0


def test_chunks_collapse_to_documents_in_rank_order():
    def hit(doc: str, n: int) -> Hit:
        return Hit(doc, f"{doc}#{n}", 1.0, "", None, "", "", "", "sv", "", 0, 0)

    assert ranked_documents([hit("a", 0), hit("b", 0), hit("a", 1), hit("c", 0)]) == ["a", "b", "c"]


def test_question_set_errors_name_the_file(tmp_path):
    from lagrum.errors import LagrumError

    (tmp_path / "questions.jsonl").write_text('{"id": "q1"}\n', encoding="utf-8")
    with pytest.raises(LagrumError, match="questions.jsonl:1"):
        QuestionSet.load(tmp_path)


def test_eval_runs_end_to_end_on_a_tiny_set(tmp_path, capsys, monkeypatch):
    """The real runner over the real index (bundled corpus + the tiny set): report, table and chart."""
    from lagrum.app.cli import main

    out = tmp_path / "reports"
    code = main(["--data", str(tmp_path / "data"), "eval", "--set", str(TEST_DATA / "eval-tiny"), "--mode", "dense", "--mode", "hybrid", "--out", str(out), "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["questions"] == 3
    for mode in ("dense", "hybrid"):
        assert report["retrieval"][mode]["sv"]["n"] == 1 and report["retrieval"][mode]["en"]["n"] == 1
    assert report["retrieval"]["hybrid"]["sv"]["mrr@10"] == 1.0
    assert report["ask"]["all"]["verbatim_rate"] == 1.0
    assert report["ask"]["all"]["boilerplate_quotes"] == 0
    assert report["ask"]["en"]["ood_refusal_rate"] == 1.0
    assert (out / "eval-tiny.md").read_text(encoding="utf-8").startswith("# Evaluation")
    assert (out / "eval-tiny.png").stat().st_size > 1000


def test_markdown_report_has_every_mode():
    report = {
        "set": "x",
        "questions": 1,
        "retrieval": {m: {"sv": {"mrr@10": 1, "recall@5": 1, "ndcg@10": 1}, "en": {"mrr@10": 0, "recall@5": 0, "ndcg@10": 0}, "all": {"mrr@10": 0.5}, "p50_ms": 1} for m in ("bm25", "hybrid")},
    }
    table = markdown_report(report)
    assert "| bm25 |" in table and "| hybrid |" in table
