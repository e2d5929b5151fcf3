"""The plain Haystack baseline of `eval/bench_haystack_baseline.py`, built on a few made-up
documents (tests/data, fictional test material) with the real e5 model: it must split, embed,
store and find the document a question is about, so the benchmark's code runs in `make test`.
"""

from __future__ import annotations

import importlib.util
import sys

import pytest

from conftest import ROOT, TEST_DATA

SCRIPT = ROOT / "eval" / "bench_haystack_baseline.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_haystack_baseline", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def long_document():
    """A made-up document of 450 numbered words (test material, not law): three chunks of at most 200 words."""
    from lagrum.documents import Document

    text = " ".join(f"ord{n}" for n in range(450))
    return Document(id="test-lang-text", text=text, title="Lång text (fiktivt testmaterial)", language="sv", source="Testmaterial")


@pytest.fixture(scope="module")
def baseline(bench, embedder):
    """The baseline's store after ingesting the two tiny set documents, the legal test material and the long text."""
    from haystack.document_stores.in_memory import InMemoryDocumentStore

    documents = bench._load([TEST_DATA / "eval-tiny" / "documents.jsonl", TEST_DATA / "legal" / "test-material.jsonl"]) + [long_document()]
    store = InMemoryDocumentStore(shared=False)
    written = bench.baseline_ingest(store, documents, embedder)
    return store, documents, written


def test_the_baseline_splits_by_words_with_overlap_and_embeds_every_chunk(baseline, embedder):
    store, documents, written = baseline
    chunks = store.filter_documents()
    assert written == len(chunks)
    by_doc = {}
    for chunk in chunks:
        by_doc.setdefault(chunk.meta["doc_id"], []).append(chunk)
    assert set(by_doc) == {d.id for d in documents}
    assert all(chunk.embedding is not None and len(chunk.embedding) == embedder.dim for chunk in chunks)
    long_chunks = sorted(by_doc["test-lang-text"], key=lambda c: c.meta["split_id"])
    words = [c.content.split() for c in long_chunks]
    assert [len(w) for w in words] == [200, 200, 90]  # 200 words, each next chunk repeating the last 20
    assert words[1][:20] == words[0][-20:] and words[1][0] == "ord180"


def test_the_chunks_are_embedded_as_e5_passages(baseline, embedder):
    import numpy as np

    store, _, _ = baseline
    chunk = next(c for c in store.filter_documents() if c.meta["doc_id"] == "test-tiny-gps")
    assert np.allclose(chunk.embedding, embedder.embed_passages([chunk.content])[0], atol=1e-5)
    assert not np.allclose(chunk.embedding, embedder.embed_query(chunk.content), atol=1e-3)  # "passage: ", not "query: "


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Får arbetsgivaren spåra tjänstebilen med GPS på fritiden?", "test-tiny-gps"),
        ("Får grannen flyga en drönare med kamera över min trädgård?", "test-tiny-drone"),
    ],
)
def test_the_baseline_finds_the_document_a_question_is_about(bench, baseline, embedder, question, expected):
    store, documents, _ = baseline
    pipeline = bench.baseline_query_pipeline(store, embedder)
    ranked = bench.baseline_search(pipeline, question)
    assert ranked[0] == expected
    assert len(ranked) == len(set(ranked)) == len(documents)  # every chunk collapsed into its document, once


def test_the_joiner_fuses_both_retrievers_by_reciprocal_rank(bench, baseline, embedder):
    store, _, _ = baseline
    pipeline = bench.baseline_query_pipeline(store, embedder, top_k=3)
    question = "GPS i tjänstebilar"
    result = pipeline.run({"query_embedder": {"text": question}, "bm25": {"query": question}}, include_outputs_from={"bm25", "dense"})
    bm25, dense, joined = (result[name]["documents"] for name in ("bm25", "dense", "joiner"))
    assert 1 <= len(bm25) <= 3 and len(dense) == len(joined) == 3  # BM25 returns only chunks sharing a word
    rrf: dict[str, float] = {}
    for ranked in (bm25, dense):  # Haystack's k = 61 over 0-based ranks
        for rank, document in enumerate(ranked):
            rrf[document.id] = rrf.get(document.id, 0.0) + 1 / (61 + rank)
    assert [d.score for d in joined] == pytest.approx([rrf[d.id] * 61 / 2 for d in joined])  # normalised by 2 lists / k
    assert [d.score for d in joined] == sorted((d.score for d in joined), reverse=True)
    left_out = [score for doc_id, score in rrf.items() if doc_id not in {d.id for d in joined}]
    assert min(rrf[d.id] for d in joined) >= max(left_out, default=0.0)
    assert joined[0].meta["doc_id"] == "test-tiny-gps"


def test_ranked_chunks_collapse_to_distinct_documents(bench):
    assert bench.distinct_documents(["a", "a", "b", "a", "c", "d"], k=3) == ["a", "b", "c"]


def test_a_set_that_is_not_there_is_refused_with_the_sets_that_are(bench, capsys):
    assert bench.main(["--sets", "no-such-set"]) == 2
    err = capsys.readouterr().err
    assert "--sets no-such-set: no question set there" in err and "dev" in err and "holdout" in err
    assert bench.main(["--sets", "real"]) == 2
    assert "corpus.json manifest" in capsys.readouterr().err
