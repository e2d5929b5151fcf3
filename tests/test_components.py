"""Lagrum's Haystack components and pipelines: real e5, real Edge shards in temp dirs.

The query pipeline must return exactly what Lagrum's retriever and answer composer return; the
ingest pipeline must write exactly the records and passages `IngestPipeline` writes.
"""

from __future__ import annotations

import io
from contextlib import redirect_stdout

import pytest
from haystack import Document, Pipeline

from lagrum.app.cli import main as lagrum_main
from lagrum.components import E5DocumentEmbedder, E5TextEmbedder, LagrumAnswerComposer, LagrumHybridRetriever, LegalReferenceAnnotator
from lagrum.components.convert import document_to_hit, hit_to_document
from lagrum.components.timing import component_times
from lagrum.app.pipelines import build_ingest_pipeline, build_query_pipeline, load_pipeline
from lagrum.settings import Settings

from conftest import CORPUS

QUERIES = ("Får arbetsgivaren kräva att handläggare arbetar framför webbkamera?", "is mandatory webcam use legal", "otillåtna slagningar i journaler", "23 § kameraövervakningslagen")


def same_pipeline(a: Pipeline, b: Pipeline) -> bool:
    """Equal components and connections (a loaded pipeline may list its connections in another order)."""
    x, y = a.to_dict(), b.to_dict()
    key = lambda c: (c["sender"], c["receiver"])
    return x["components"] == y["components"] and sorted(x["connections"], key=key) == sorted(y["connections"], key=key)


def test_a_hit_survives_the_trip_through_a_haystack_document(corpus_service):
    for hit in corpus_service.retriever.search("webbkamera", limit=5):
        document = hit_to_document(hit)
        assert document.id == hit.chunk_id and document.content == hit.text and document.meta["doc_id"] == hit.doc_id
        assert document_to_hit(document) == hit


def test_a_document_without_doc_id_is_refused_with_the_field_named():
    with pytest.raises(ValueError, match=r"meta field 'doc_id'"):
        document_to_hit(Document(content="x"))


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25", "rrf"])
def test_search_through_the_pipeline_equals_the_retriever(corpus_service, mode):
    for query in QUERIES:
        direct = corpus_service.retriever.search(query, limit=8, mode=mode)
        piped = corpus_service.pipelines.search(query, limit=8, mode=mode)
        assert [(h.chunk_id, round(h.score, 9)) for h in piped] == [(h.chunk_id, round(h.score, 9)) for h in direct]
        assert piped == direct


def test_per_document_search_caps_passages_per_document(corpus_service):
    hits = corpus_service.search("webbkamera anställda", limit=5, per_document=1)["hits"]
    assert len({h["doc_id"] for h in hits}) == len(hits) >= 3


def test_ask_through_the_pipeline_equals_the_composer_alone(corpus_service):
    from lagrum.answer import AnswerComposer

    alone = AnswerComposer(corpus_service)  # no runner: retrieval and compose() called directly
    for question in QUERIES[:2] + ("Vad blir vädret i morgon?",):
        piped = corpus_service.ask(question)
        direct = alone.ask(question)
        piped.pop("took_ms"), direct.pop("took_ms")
        assert piped == direct


def test_a_users_own_pipeline_with_lagrums_retriever_finds_the_webcam_decision(corpus_service, corpus_settings):
    pipeline = Pipeline()
    pipeline.add_component("embedder", E5TextEmbedder())
    pipeline.add_component("retriever", LagrumHybridRetriever(data_dir=str(corpus_settings.data_dir), top_k=3))
    pipeline.connect("embedder.embedding", "retriever.query_embedding")
    query = "is mandatory webcam use legal"
    documents = pipeline.run({"embedder": {"text": query}, "retriever": {"query": query}})["retriever"]["documents"]
    assert documents[0].meta["doc_id"] in ("di-kameraovervakningen-hos-forsakringskassan-ar-olaglig", "arbetaren-forsakringskassan-filmar-sina-anstallda")
    assert all(isinstance(d.score, float) and d.meta["start"] < d.meta["end"] for d in documents)


def test_filters_reach_the_index_as_lagrum_filters(corpus_service, corpus_settings):
    retriever = LagrumHybridRetriever(data_dir=str(corpus_settings.data_dir))
    retriever.warm_up()
    documents = retriever.run(query="webbkamera", filters={"doc_type": ["nyhet"]}, top_k=20)["documents"]
    assert documents and {d.meta["doc_type"] for d in documents} == {"nyhet"}
    with pytest.raises(ValueError, match="use doc_type, source"):
        retriever.run(query="webbkamera", filters={"kind": "x"})


def test_the_query_pipeline_round_trips_through_yaml_and_runs_the_same(corpus_service, corpus_settings):
    pipeline = build_query_pipeline(corpus_settings)
    text = pipeline.dumps()
    loaded = load_pipeline(text)
    assert same_pipeline(loaded, pipeline)
    question = QUERIES[0]
    result = loaded.run({"query_embedder": {"text": question}, "retriever": {"query": question}, "composer": {"query": question}})
    answer = result["composer"]["answer"]
    expected = corpus_service.ask(question)
    answer.pop("took_ms"), expected.pop("took_ms")
    assert answer == expected and answer["found"]
    generated = result["composer"]["answers"][0]
    assert generated.data == answer["answer"] and [d.content for d in generated.documents] == [c["quote"] for c in answer["citations"]]


def test_the_ingest_pipeline_round_trips_through_yaml(tmp_path):
    from lagrum.settings import Settings

    pipeline = build_ingest_pipeline(Settings().with_(data_dir=tmp_path))
    text = pipeline.dumps()
    assert same_pipeline(load_pipeline(text), pipeline)
    assert "ingest.components.LegalSplitter" in text and "lagrum.components.annotator.LegalReferenceAnnotator" in text


def test_lagrum_pipeline_dump_prints_yaml_that_loads_back(tmp_path, capsys):
    assert lagrum_main(["--data", str(tmp_path), "pipeline", "dump", "query"]) == 0
    text = capsys.readouterr().out
    assert "lagrum.components.retriever.LagrumHybridRetriever" in text and str(tmp_path) in text
    assert same_pipeline(load_pipeline(text), load_pipeline(load_pipeline(text).dumps()))
    path = tmp_path / "query.yaml"
    path.write_text(text, encoding="utf-8")
    assert lagrum_main(["pipeline", "load", str(path)]) == 0
    assert "retriever: lagrum.components.retriever.LagrumHybridRetriever" in capsys.readouterr().out


def test_lagrum_pipeline_load_refuses_a_foreign_module_naming_the_file(tmp_path, capsys):
    path = tmp_path / "evil.yaml"
    path.write_text("components:\n  x:\n    type: os.system\n    init_parameters: {}\nconnections: []\n", encoding="utf-8")
    assert lagrum_main(["pipeline", "load", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "not a loadable Haystack pipeline" in err and "Traceback" not in err


def test_component_times_name_every_query_component(corpus_service):
    with component_times() as times:
        corpus_service.ask(QUERIES[1])
        corpus_service.search(QUERIES[0])
    summary = times.summary()
    assert summary["retriever"]["runs"] == 2 and summary["query_embedder"]["runs"] == 2 and summary["composer"]["runs"] == 1
    assert all(t["mean_ms"] >= 0 and t["p50_ms"] >= 0 for t in summary.values())


def test_components_serialise_their_settings():
    for component in (E5TextEmbedder(model="e5"), E5DocumentEmbedder(text_field="title", skip_empty=True), LagrumHybridRetriever(data_dir="/x", top_k=3, mode="dense"), LagrumAnswerComposer(data_dir="/x"), LegalReferenceAnnotator()):
        data = component.to_dict()
        again = type(component).from_dict(data)
        assert again.to_dict() == data
    with pytest.raises(ValueError, match="not a retrieval mode"):
        LagrumHybridRetriever(mode="fuzzy")


def test_the_ingest_pipeline_writes_what_ingest_pipeline_writes(tmp_path, embedder):
    """Two fresh indexes, the same documents (a news item, and the made-up legal test material):
    every record and passage equal, vectors included; a second run skips every document."""
    from ingest.loaders import iter_documents
    from ingest.pipeline import IngestPipeline
    from lagrum.components.convert import legal_to_document
    from lagrum.index import Index
    from lagrum.settings import Settings

    from conftest import TEST_DATA

    sources = [CORPUS / "di-kameraovervakningen-hos-forsakringskassan-ar-olaglig.txt"]
    documents = [d for d in iter_documents(sources)]
    legal = [d for d in iter_documents([TEST_DATA / "legal" / "test-material.jsonl"])][:2]
    documents += legal
    old = Index.open(Settings().with_(data_dir=tmp_path / "old"), create=True, embedder=embedder)
    new = Index.open(Settings().with_(data_dir=tmp_path / "new"), create=True, embedder=embedder)
    try:
        summary = IngestPipeline(old).ingest(documents)
        assert summary.failed == 0, summary.errors
        pipeline = build_ingest_pipeline(new.settings, index=new)
        result = pipeline.run({"cleaner": {"documents": [legal_to_document(d) for d in documents]}})["writer"]["summary"]
        assert result["failed"] == 0 and result["ingested"] == len(documents) and result["chunks"] == summary.chunks

        def points(index):
            out = {}
            for batch, _ in index.store.iter_points():
                for p in batch:
                    payload = {k: v for k, v in p.payload.items() if k != "ingested_at"}
                    out[p.id] = (payload, p.dense, p.sparse)
            return out

        a, b = points(old), points(new)
        assert a.keys() == b.keys()
        for key in a:
            assert a[key][0] == b[key][0], key
            assert a[key][2] == b[key][2], key
            if a[key][1] is None:
                assert b[key][1] is None
            else:
                assert max(abs(x - y) for x, y in zip(a[key][1], b[key][1])) < 1e-5, key
        again = pipeline.run({"cleaner": {"documents": [legal_to_document(d) for d in documents]}})["writer"]["summary"]
        assert again["skipped"] == len(documents) and again["ingested"] == 0
    finally:
        old.close()
        new.close()


def test_document_embedder_embeds_passages_and_titles_in_one_model_call(embedder):
    """The ingest pipeline's embedder takes the documents' titles into the passages' call; each
    title vector is the one the title embedded alone gets (real e5)."""
    from haystack import Document

    calls: list[int] = []

    class Counting:
        def embed_passages(self, texts):
            calls.append(len(texts))
            return embedder.embed_passages(texts)

    component = E5DocumentEmbedder()
    component.bind(Counting())
    passages = [Document(content=f"Passage {n}.", meta={"embedding_text": f"Beslut\nArbetsgivaren satte upp {n} kameror."}) for n in range(3)]
    sources = [Document(id="a", content="x", meta={"title": "Kameraövervakning i butik"}), Document(id="b", content="y", meta={"title": ""})]
    out = component.run(documents=passages, sources=sources)
    assert calls == [4]  # three passages and the one title, in one call
    assert all(d.embedding is not None for d in out["documents"])
    assert out["sources"][1].embedding is None  # no title, no vector
    alone = embedder.embed_passages(["Kameraövervakning i butik"])[0]
    assert max(abs(x - y) for x, y in zip(out["sources"][0].embedding, alone)) < 1e-5
    assert component.run(documents=passages)["sources"] == []


def test_lagrum_ingest_through_the_haystack_pipeline_writes_and_reports_what_ingest_pipeline_did(tmp_path, embedder):
    """`PipelineIngest` (what `lagrum ingest`, uploads, sync and eval run) against `IngestPipeline`:
    the same summary (bad input and duplicate id reported, not fatal), the same points; and each
    skips, unembedded, what the other wrote (the content hash is the same)."""
    from ingest.loaders import iter_documents
    from ingest.pipeline import IngestPipeline
    from lagrum.errors import InputError
    from lagrum.index import Index
    from lagrum.app.pipelines import PipelineIngest
    from lagrum.settings import Settings

    from conftest import TEST_DATA

    documents = list(iter_documents([CORPUS / "telia-vill-spela-in-anstalldas-skarmar.txt"])) + list(iter_documents([TEST_DATA / "legal" / "test-material.jsonl"]))
    items = documents + [InputError("made-up/broken.json", "field 'text' is missing"), documents[0]]
    old = Index.open(Settings().with_(data_dir=tmp_path / "old"), create=True, embedder=embedder)
    new = Index.open(Settings().with_(data_dir=tmp_path / "new"), create=True, embedder=embedder)
    events: list[tuple[str, str]] = []
    try:
        expected = IngestPipeline(old).ingest(items).as_dict()
        got = PipelineIngest(new).ingest(items, progress=lambda event, source: events.append((event, source))).as_dict()
        expected.pop("seconds"), got.pop("seconds")
        assert got == expected and got["failed"] == 2 and got["ingested"] == len(documents)
        assert sorted(e for e, _ in events) == sorted(["ingested"] * len(documents) + ["failed"] * 2)

        def points(index):
            return {p.id: ({k: v for k, v in p.payload.items() if k != "ingested_at"}, p.sparse) for batch, _ in index.store.iter_points() for p in batch}

        assert points(old) == points(new)
        assert PipelineIngest(old).ingest(documents).skipped == len(documents)
        assert IngestPipeline(new).ingest(documents).skipped == len(documents)
    finally:
        old.close()
        new.close()


def test_lagrum_ingest_cli_runs_the_haystack_pipeline(tmp_path, capsys):
    """`lagrum ingest` runs the ingest pipeline's two halves (split + annotate, then embed +
    write), each a Haystack `Pipeline.run`, once for a one-document batch."""
    import lagrum.app.pipelines as pipelines
    from haystack import Pipeline

    runs: list[list[str]] = []
    original = Pipeline.run

    def counting(self, data, *args, **kwargs):
        runs.append(sorted(self.graph.nodes))
        return original(self, data, *args, **kwargs)

    Pipeline.run = counting
    try:
        code = lagrum_main(["--data", str(tmp_path / "data"), "ingest", str(CORPUS / "di-kameraovervakningen-hos-forsakringskassan-ar-olaglig.txt"), "--json"])
    finally:
        Pipeline.run = original
    assert code == 0
    assert runs == [["annotator", "splitter"], ["embedder", "writer"]]
    assert '"ingested": 1' in capsys.readouterr().out
    # The two halves are the whole pipeline cut after the annotator.
    whole = pipelines.build_ingest_pipeline(Settings().with_(data_dir=tmp_path / "x"), clean=False)
    assert sorted(whole.graph.nodes) == sorted(runs[0] + runs[1])


def test_haystack_telemetry_is_off_so_pipeline_runs_never_reach_the_internet():
    import os
    import subprocess
    import sys

    import haystack.telemetry._telemetry as haystack_telemetry

    assert haystack_telemetry.telemetry is None
    # haystack imported before Lagrum (as Hayhooks does): lagrum.components still switches it off.
    env = {k: v for k, v in os.environ.items() if k != "HAYSTACK_TELEMETRY_ENABLED"}
    script = "import haystack.telemetry._telemetry as t\nassert t.telemetry is not None\nimport lagrum.components\nprint(t.telemetry)"
    from conftest import ROOT

    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "None", out.stderr
