"""Selection rules of the extractive composer, on hand-made hits (pure functions, no index needed)."""

from __future__ import annotations

from lagrum.answer import DOCUMENT_DELTA, MAX_DOCUMENTS, Passage, _choose, _reading_list
from lagrum.retrieval import Hit


def hit(doc: str, n: int = 0, dense: float | None = 0.85) -> Hit:
    text = f"Mening ett i {doc}. Mening två i {doc}."
    h = Hit(doc_id=doc, chunk_id=f"{doc}#{n}", score=1.0, title=doc, date=None, doc_type="beslut", source="test", url="", language="sv", text=text, start=0, end=len(text))
    h.dense_score = dense
    return h


def passage(h: Hit, score: float, position: int = 0) -> Passage:
    return Passage(h, position * 10, position * 10 + 5, f"{h.doc_id} sentence {position}", score, position)


def test_breadth_first_one_sentence_per_document_before_a_second():
    a, b, c = hit("a"), hit("b"), hit("c")
    candidates = [passage(a, 1.0, 0), passage(a, 0.95, 1), passage(b, 0.6, 0), passage(c, 0.5, 0)]
    chosen = _choose(candidates, 4)
    assert [p.hit.doc_id for p in chosen] == ["a", "b", "c", "a"]


def test_sentences_far_below_the_best_are_never_quoted():
    a, b = hit("a"), hit("b")
    chosen = _choose([passage(a, 1.0), passage(b, 0.2)], 4)
    assert [p.hit.doc_id for p in chosen] == ["a"]


def test_no_more_than_max_documents():
    hits = [hit(f"d{i}") for i in range(MAX_DOCUMENTS + 2)]
    chosen = _choose([passage(h, 1.0 - i * 0.01) for i, h in enumerate(hits)], 10)
    assert len({p.hit.doc_id for p in chosen}) == MAX_DOCUMENTS


def test_reading_list_drops_documents_much_less_similar_than_the_best():
    best, close, far = hit("best", dense=0.86), hit("close", dense=0.86 - DOCUMENT_DELTA / 2), hit("far", dense=0.86 - DOCUMENT_DELTA * 2)
    kept = _reading_list([best, far, close])
    assert [h.doc_id for h in kept] == ["best", "close"]


def test_swedish_questions_read_a_narrower_window_of_documents():
    from lagrum.answer import DOCUMENT_DELTAS

    assert DOCUMENT_DELTAS["sv"] < DOCUMENT_DELTAS["en"]
    best, between = hit("best", dense=0.86), hit("between", dense=0.86 - (DOCUMENT_DELTAS["sv"] + DOCUMENT_DELTAS["en"]) / 2)
    assert [h.doc_id for h in _reading_list([best, between], DOCUMENT_DELTAS["sv"])] == ["best"]
    assert [h.doc_id for h in _reading_list([best, between], DOCUMENT_DELTAS["en"])] == ["best", "between"]


def test_reading_list_keeps_at_most_three_chunks_of_a_document():
    kept = _reading_list([hit("a", 0), hit("a", 1), hit("a", 2), hit("a", 3), hit("b", 0)])
    assert [h.chunk_id for h in kept] == ["a#0", "a#1", "a#2", "b#0"]
