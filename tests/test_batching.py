"""Embedder call batching (`lagrum.batching`) and the overlapped ingest, with the real e5 model.

Each test that counts model calls builds its own `E5Embedder` (a tenth of a second), so the
batcher's counters and trace are its own. Ordering is asserted through the batcher's trace of
model calls and through events, never through wall-clock thresholds (the machine is shared).
The texts are short sentences written for these tests (made up, not real documents), apart from
the bundled corpus documents ingested in the pipeline tests.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from lagrum.batching import BatchSettings, EmbeddingBatcher, EmbeddingError
from lagrum.embedders import E5Embedder

from conftest import CORPUS

# Made-up questions and passages for these tests.
QUESTIONS = [
    "is mandatory webcam use legal",
    "Får arbetsgivaren spela in de anställdas skärmar?",
    "Vad beslutade Datainspektionen om kameror?",
    "threats against social insurance agency staff",
    "Loggning av slagningar i personuppgifter",
    "Gäller kamerabevakningslagen för webbmöten?",
    "camera surveillance of employees in Sweden",
    "Hur många anställda gör otillåtna slagningar?",
]
PASSAGES = [f"Stycke {n}: arbetsgivaren får inte kameraövervaka de anställda utan stöd i lag, enligt beslut nummer {n}." for n in range(12)]


def _direct_queries(e5: E5Embedder, texts: list[str]) -> np.ndarray:
    """The model's own answer for each text alone, bypassing the batcher."""
    return np.stack([np.asarray(e5._model.query(e5.fit(t)), dtype=np.float32) for t in texts])


def _run_threads(targets: list, timeout: float = 120) -> None:
    threads = [threading.Thread(target=t, daemon=True) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        assert not thread.is_alive(), "a caller is still waiting: the batcher deadlocked"


def test_concurrent_questions_share_one_model_call_and_get_their_own_vectors():
    e5 = E5Embedder(BatchSettings(window_ms=300, max_batch=32, passage_slice=8))  # a wide window: all eight arrive within it
    expected = _direct_queries(e5, QUESTIONS)
    barrier = threading.Barrier(len(QUESTIONS))
    got: dict[int, np.ndarray] = {}

    def ask(n: int):
        def run() -> None:
            barrier.wait()
            got[n] = e5.embed_query(QUESTIONS[n])

        return run

    _run_threads([ask(n) for n in range(len(QUESTIONS))])
    for n in range(len(QUESTIONS)):
        assert np.array_equal(got[n], expected[n]), f"question {n} got another vector than embedding it alone"
    stats = e5.batcher.stats
    assert stats.query_texts == len(QUESTIONS)
    assert stats.query_calls < len(QUESTIONS) and stats.largest_query_call > 1, stats.as_dict()


def test_a_request_of_many_texts_keeps_their_order_and_is_one_call():
    e5 = E5Embedder(BatchSettings(window_ms=0, max_batch=32, passage_slice=8))
    vectors = e5.embed_queries(QUESTIONS)
    assert np.array_equal(vectors, _direct_queries(e5, QUESTIONS))
    assert list(e5.batcher.trace) == [("query", len(QUESTIONS))]
    # Cached texts are not embedded again; a repeated text in one request is embedded once.
    again = e5.embed_queries([QUESTIONS[3], "kamerabevakning", QUESTIONS[3]])
    assert np.array_equal(again[0], vectors[3]) and np.array_equal(again[2], vectors[3])
    assert list(e5.batcher.trace)[-1] == ("query", 1)
    # More texts than max_batch: several calls, order kept.
    small = E5Embedder(BatchSettings(window_ms=0, max_batch=3, passage_slice=8))
    assert np.array_equal(small.embed_queries(QUESTIONS), vectors)
    assert [n for _, n in small.batcher.trace] == [3, 3, 2]


def test_passages_in_slices_equal_one_call_and_slices_shrink_while_questions_are_asked():
    e5 = E5Embedder(BatchSettings(window_ms=0, max_batch=32, passage_slice=5, passage_batch=7))
    whole = np.asarray(e5._model.passage([e5.fit(p) for p in PASSAGES]), dtype=np.float32)
    assert np.array_equal(e5.embed_passages(PASSAGES), whole)
    assert list(e5.batcher.trace) == [("passage", 7), ("passage", 5)]  # no question yet: large calls
    e5.embed_query(QUESTIONS[0])
    e5.batcher.trace.clear()
    assert np.array_equal(e5.embed_passages(PASSAGES), whole)
    assert list(e5.batcher.trace) == [("passage", 5), ("passage", 5), ("passage", 2)]  # questions about: short ones


def test_a_question_asked_during_a_long_passage_batch_goes_before_its_remaining_slices():
    e5 = E5Embedder(BatchSettings(window_ms=0, max_batch=32, passage_slice=2, passage_batch=64))
    e5.embed_query(QUESTIONS[1])  # questions are being asked: passages go in short slices
    e5.batcher.trace.clear()
    first_slice_running = threading.Event()
    model_passages = e5.batcher._encode["passage"]

    def passages(texts):
        first_slice_running.set()
        return model_passages(texts)

    e5.batcher._encode["passage"] = passages
    finished: list[str] = []
    result: dict[str, np.ndarray] = {}

    def ingest() -> None:
        result["passages"] = e5.embed_passages(PASSAGES)  # 6 slices of 2
        finished.append("passages")

    def question() -> None:
        assert first_slice_running.wait(60)
        result["query"] = e5.embed_query(QUESTIONS[0])
        finished.append("query")

    _run_threads([ingest, question])
    assert finished == ["query", "passages"]
    trace = list(e5.batcher.trace)
    position = trace.index(("query", 1))
    assert 1 <= position < len(trace) - 1, f"the query waited for the whole batch: {trace}"
    assert trace.count(("passage", 2)) == 6
    assert np.array_equal(result["query"], _direct_queries(e5, [QUESTIONS[0]])[0])
    assert np.array_equal(result["passages"], np.asarray(e5._model.passage([e5.fit(p) for p in PASSAGES]), dtype=np.float32))


def test_a_failing_call_reaches_every_caller_in_it_and_the_next_calls_still_work():
    e5 = E5Embedder(BatchSettings(window_ms=300, max_batch=32, passage_slice=8))
    real = e5.batcher._encode["query"]

    def poisoned(texts):
        if any("poison" in t for t in texts):
            raise RuntimeError("engine refused the input")
        return real(texts)

    e5.batcher._encode["query"] = poisoned
    texts = ["poison question", *QUESTIONS[:3]]
    barrier = threading.Barrier(len(texts))
    errors: dict[int, BaseException] = {}

    def ask(n: int):
        def run() -> None:
            barrier.wait()
            try:
                e5.embed_query(texts[n])
            except EmbeddingError as exc:
                errors[n] = exc

        return run

    _run_threads([ask(n) for n in range(len(texts))])
    assert errors, "the model's failure reached no caller"
    assert 0 in errors  # the caller whose text failed hears of it, whichever call it was in
    for exc in errors.values():
        assert "the embedder failed on a call of" in str(exc) and "RuntimeError: engine refused the input" in str(exc)
        assert isinstance(exc.__cause__, RuntimeError)
    # The failure did not wedge the batcher, and nothing failed was cached.
    assert np.array_equal(e5.embed_query(QUESTIONS[0]), _direct_queries(e5, [QUESTIONS[0]])[0])
    with pytest.raises(EmbeddingError):
        e5.embed_query("poison question")


def test_a_failing_slice_fails_its_batch_only():
    e5 = E5Embedder(BatchSettings(window_ms=0, max_batch=32, passage_slice=4, passage_batch=4))
    real = e5.batcher._encode["passage"]
    e5.batcher._encode["passage"] = lambda texts: (_ for _ in ()).throw(ValueError("bad slice")) if any("Stycke 5" in t for t in texts) else real(texts)
    with pytest.raises(EmbeddingError, match="failed on a call of 4 passages: ValueError: bad slice"):
        e5.embed_passages(PASSAGES)
    assert list(e5.batcher.trace) == [("passage", 4), ("passage", 4)]  # the third slice was not embedded
    assert e5.embed_passages(PASSAGES[:2]).shape == (2, e5.dim)


def test_close_fails_the_waiting_callers_and_nobody_hangs():
    release = threading.Event()
    started = threading.Event()

    def slow_queries(texts):
        started.set()
        assert release.wait(60)
        return np.ones((len(texts), 4), dtype=np.float32)

    batcher = EmbeddingBatcher(slow_queries, slow_queries, dim=4, settings=BatchSettings(window_ms=0, max_batch=1, passage_slice=1))
    outcomes: dict[str, object] = {}

    def call(name: str, texts: list[str], kind: str):
        def run() -> None:
            try:
                outcomes[name] = (batcher.embed_queries if kind == "query" else batcher.embed_passages)(texts)
            except EmbeddingError as exc:
                outcomes[name] = exc

        return run

    first = threading.Thread(target=call("running", ["a"], "query"), daemon=True)
    first.start()
    assert started.wait(60)
    waiting = [threading.Thread(target=call(f"waiting{n}", ["b", "c"], kind), daemon=True) for n, kind in enumerate(("query", "passage"))]
    for thread in waiting:
        thread.start()
    deadline = time.monotonic() + 60
    while len(batcher._queries) + len(batcher._passages) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    batcher.close()
    release.set()
    for thread in (first, *waiting):
        thread.join(60)
        assert not thread.is_alive(), "a caller hung after close()"
    assert isinstance(outcomes["running"], np.ndarray)  # the call already running finished
    for name in ("waiting0", "waiting1"):
        assert isinstance(outcomes[name], EmbeddingError) and "closed" in str(outcomes[name])
    with pytest.raises(EmbeddingError, match="closed"):
        batcher.embed_queries(["d"])


def test_batch_settings_come_from_the_environment():
    from lagrum.embedders import batch_settings
    from lagrum.errors import LagrumError

    env = {"LAGRUM_EMBED_WINDOW_MS": "5", "LAGRUM_EMBED_MAX_BATCH": "16", "LAGRUM_EMBED_PASSAGE_SLICE": "12", "LAGRUM_EMBED_PASSAGE_BATCH": "48"}
    assert batch_settings(env) == BatchSettings(5.0, 16, 12, 48)
    assert batch_settings({}) == BatchSettings()
    with pytest.raises(LagrumError, match="LAGRUM_EMBED_WINDOW_MS='500' is out of range"):
        batch_settings({"LAGRUM_EMBED_WINDOW_MS": "500"})


@pytest.fixture()
def two_documents(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("telia-vill-spela-in-anstalldas-skarmar", "replik-hoten-mot-personalen-ar-obehagliga"):
        for suffix in (".txt", ".meta.yaml"):
            (docs / f"{name}{suffix}").write_bytes((CORPUS / f"{name}{suffix}").read_bytes())
    return docs


def test_an_english_question_embeds_its_glossary_rendering_in_the_same_call(tmp_path, two_documents):
    from ingest.loaders import iter_documents
    from ingest.pipeline import IngestPipeline
    from lagrum.index import Index
    from lagrum.retrieval import Retriever
    from lagrum.settings import Settings

    e5 = E5Embedder(BatchSettings(window_ms=0, max_batch=32, passage_slice=8))
    index = Index.open(Settings().with_(data_dir=tmp_path / "data"), create=True, embedder=e5)
    try:
        assert IngestPipeline(index).ingest(iter_documents([two_documents])).ingested == 2
        retriever = Retriever(index)
        question = "may my employer record my screen"
        plan = retriever.plan(question)
        assert plan.language == "en" and plan.translated_text, plan  # the case this is about
        e5.batcher.trace.clear()
        hits = retriever.search(question, limit=3)
        assert list(e5.batcher.trace) == [("query", 2)]
        assert hits and hits[0].doc_id == "telia-vill-spela-in-anstalldas-skarmar"
    finally:
        index.close()


def test_ingest_prepares_the_next_document_while_the_current_one_embeds(tmp_path, two_documents, monkeypatch):
    from ingest import pipeline
    from ingest.loaders import iter_documents
    from lagrum.index import Index
    from lagrum.settings import Settings

    monkeypatch.setattr(pipeline, "EMBED_BATCH", 1)  # every document its own batch
    e5 = E5Embedder(BatchSettings(window_ms=0, max_batch=32, passage_slice=8))
    events: list[str] = []
    prepare, write = pipeline.IngestPipeline._prepare, pipeline.IngestPipeline._write_batch

    def logged_prepare(self, document):
        result = prepare(self, document)
        events.append(f"prepared {document.id}")
        return result

    def logged_write(self, batch, summary, progress):
        events.append(f"write {batch[0].document.id}")
        write(self, batch, summary, progress)
        events.append(f"written {batch[0].document.id}")

    monkeypatch.setattr(pipeline.IngestPipeline, "_prepare", logged_prepare)
    monkeypatch.setattr(pipeline.IngestPipeline, "_write_batch", logged_write)
    index = Index.open(Settings().with_(data_dir=tmp_path / "data"), create=True, embedder=e5)
    try:
        progress: list[tuple[str, str]] = []
        summary = pipeline.IngestPipeline(index).ingest(iter_documents([two_documents]), progress=lambda e, s: progress.append((e, s)))
        first, second = summary.ingested_ids
        assert events.index(f"prepared {second}") < events.index(f"written {first}"), events
        assert [e for e, _ in progress] == ["ingested", "ingested"]
        assert set(summary.stages) == {"read", "prepare", "embed", "store", "idle"} and summary.stages["embed"] > 0
        # Same chunks, same ids, same order as the pipeline's own chunker gives, document by document.
        for doc_id in (first, second):
            chunks = index.store.chunks_of(doc_id)
            record = index.store.get_document(doc_id, with_text=False)
            assert [c["chunk_id"] for c in chunks] == [f"{doc_id}#{i}" for i in range(record["chunk_count"])]
            assert record["state"] == "complete"
    finally:
        index.close()


def test_an_error_from_the_documents_reaches_the_caller_and_stops_the_producer(tmp_path, two_documents, monkeypatch):
    from ingest import pipeline
    from ingest.loaders import iter_documents
    from ingest.pipeline import IngestPipeline
    from lagrum.errors import LagrumError
    from lagrum.index import Index
    from lagrum.settings import Settings

    def documents():
        yield from iter_documents([two_documents])
        raise LagrumError("the source broke off after two documents")

    e5 = E5Embedder(BatchSettings(window_ms=0, max_batch=32, passage_slice=8))
    index = Index.open(Settings().with_(data_dir=tmp_path / "data"), create=True, embedder=e5)
    try:
        with pytest.raises(LagrumError, match="the source broke off"):
            IngestPipeline(index).ingest(documents())
        assert not [t for t in threading.enumerate() if t.name == "lagrum-ingest-prepare"]
        # A failing write stops the producer too, however far ahead it was.
        store = index.store
        original = store.upsert_chunks

        def broken(points):
            raise OSError("disk full")

        store.upsert_chunks = broken
        monkeypatch.setattr(pipeline, "EMBED_BATCH", 1)  # the first document's write fails
        try:
            with pytest.raises(OSError, match="disk full"):
                IngestPipeline(index).ingest(iter_documents([two_documents, CORPUS]))
        finally:
            store.upsert_chunks = original
        time.sleep(0.2)
        assert not [t for t in threading.enumerate() if t.name == "lagrum-ingest-prepare" and t.is_alive()]
    finally:
        index.close()


def test_a_lone_client_never_waits_for_the_window():
    e5 = E5Embedder(BatchSettings(window_ms=300, max_batch=32, passage_slice=8))
    for question in QUESTIONS[:4]:
        e5.embed_query(question)
    # Four windows would be 1.2 s of waiting; alone, a question goes straight to the model.
    assert e5.batcher.stats.query_calls == 4 and e5.batcher.stats.query_wait_s < 0.3, e5.batcher.stats.as_dict()
