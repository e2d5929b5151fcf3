"""Lagrum's query and ingest paths as Haystack `Pipeline`s (part of the composition layer, with
`lagrum.app.service` and the CLI: it wires core components and, for ingest, `ingest.components`).

    query:  query_embedder (E5TextEmbedder) → retriever (LagrumHybridRetriever) → composer (LagrumAnswerComposer)
    ingest: cleaner → splitter → annotator ─(passages, sources)→ embedder ─(passages, sources with title vectors)→ writer

`lagrum search` and `lagrum ask` (and `GET /search`, `POST /ask`) run the query pipeline
through `LagrumService`; `lagrum ingest` (and `POST /documents`, `lagrum eval`'s index) run the
ingest pipeline through `PipelineIngest`. `lagrum pipeline dump query|ingest` prints either as
YAML, which `load_pipeline` reads back.

>>> pipeline = build_query_pipeline(Settings.from_env())
>>> pipeline.run({"query_embedder": {"text": q}, "retriever": {"query": q}, "composer": {"query": q}})["composer"]["answer"]["found"]  # doctest: +SKIP
True
"""

from __future__ import annotations

import time
from typing import Any

from haystack import Pipeline

from lagrum.settings import Settings

# Modules a dumped Lagrum pipeline may import when loaded back (Haystack's deserialisation allowlist).
ALLOWED_MODULES = ["lagrum.components.*", "ingest.components"]


def build_query_pipeline(settings: Settings, service: Any = None, answer: bool = True) -> Pipeline:
    """The query path; with `answer=False` it stops at the retriever (what `lagrum search` runs).

    :param service: an opened `LagrumService` the components use (else each opens the index in `warm_up`).
    """
    from lagrum.answer import PASSAGES
    from lagrum.components import E5TextEmbedder, LagrumAnswerComposer, LagrumHybridRetriever

    data_dir = str(settings.data_dir)
    pipeline = Pipeline()
    embedder = E5TextEmbedder(model=settings.embedder, data_dir=data_dir)
    retriever = LagrumHybridRetriever(data_dir=data_dir, top_k=PASSAGES if answer else 10)
    pipeline.add_component("query_embedder", embedder)
    pipeline.add_component("retriever", retriever)
    # QueryVectors, not the embedding's list[float]: Haystack deep-copies every input it passes on.
    pipeline.connect("query_embedder.query_vectors", "retriever.query_vectors")
    if answer:
        composer = LagrumAnswerComposer(data_dir=data_dir)
        pipeline.add_component("composer", composer)
        pipeline.connect("retriever.documents", "composer.documents")
    if service is not None:
        embedder.bind(service.index.embedder, service.retriever)
        retriever.bind(service)
        if answer:
            composer.bind(service)
    return pipeline


def build_ingest_pipeline(settings: Settings, index: Any = None, clean: bool = True, part: str = "all") -> Pipeline:
    """The ingest path: cleaned, split, annotated, embedded and written whole documents.

    :param index: an opened `lagrum.index.Index` to write into (else the writer opens it in `warm_up`).
    :param clean: start with the legal cleaner; `lagrum ingest` passes False, because its file
        readers (`ingest.loaders`) already clean every text with the same function at read time,
        and cleaning twice could move the offsets the index already holds.
    """
    from lagrum.components import E5DocumentEmbedder, LegalReferenceAnnotator

    from ingest.components import LagrumDocumentWriter, LegalCleaner, LegalSplitter

    if part not in ("all", "prepare", "store"):
        raise ValueError(f"part {part!r} is not a part of the ingest pipeline; use 'all', 'prepare' or 'store'")
    pipeline = Pipeline()
    prepare, store = part in ("all", "prepare"), part in ("all", "store")
    bound: list[Any] = []
    if prepare:
        splitter = LegalSplitter(model=settings.embedder, chunk_tokens=settings.chunk_tokens, chunk_overlap=settings.chunk_overlap)
        bound.append(splitter)
        if clean:
            pipeline.add_component("cleaner", LegalCleaner())
        pipeline.add_component("splitter", splitter)
        pipeline.add_component("annotator", LegalReferenceAnnotator())
        if clean:
            pipeline.connect("cleaner.documents", "splitter.documents")
        pipeline.connect("splitter.documents", "annotator.documents")
        pipeline.connect("splitter.sources", "annotator.sources")
    if store:
        # Passages and their documents' titles in one e5 call per batch (the writer stores the
        # title vectors with the records; the answer's relevance bar compares questions with them).
        embedder = E5DocumentEmbedder(model=settings.embedder, text_field="embedding_text", batch_size=settings.embed_passage_batch + EMBED_TITLES)
        writer = LagrumDocumentWriter(data_dir=str(settings.data_dir))
        bound.append(embedder)
        pipeline.add_component("embedder", embedder)
        pipeline.add_component("writer", writer)
        pipeline.connect("embedder.documents", "writer.documents")
        pipeline.connect("embedder.sources", "writer.sources")
    if prepare and store:
        pipeline.connect("annotator.documents", "embedder.documents")
        pipeline.connect("annotator.sources", "embedder.sources")
    if index is not None:
        for component in bound:
            component.bind(index.embedder)
        if store:
            writer.bind(index)
    return pipeline


def build_pipeline(name: str, settings: Settings) -> Pipeline:
    if name == "query":
        return build_query_pipeline(settings)
    if name == "ingest":
        return build_ingest_pipeline(settings)
    raise ValueError(f"there is no {name!r} pipeline; use 'query' or 'ingest'")


def load_pipeline(yaml_text: str) -> Pipeline:
    """A pipeline dumped by `lagrum pipeline dump` (or `Pipeline.dumps`), loaded back; only
    Haystack's and Lagrum's component modules may be imported."""
    return Pipeline.loads(yaml_text, allowed_modules=ALLOWED_MODULES)


# Titles per batch the embedder's call may hold beside a full batch of passages.
EMBED_TITLES = 8


class PipelineIngest:
    """`lagrum ingest` through the Haystack ingest pipeline (`build_ingest_pipeline(clean=False)`).

    The same contract as `ingest.pipeline.IngestPipeline.ingest`, which it replaces for the CLI,
    the API's uploads and `lagrum eval`: bad inputs and duplicate ids are counted and reported,
    never fatal; an unchanged document (same content hash) is skipped before anything is
    embedded; the writer's order (pending → passages → complete) survives being killed.

    >>> summary = PipelineIngest(index).ingest(iter_documents([Path("corpus")]))  # doctest: +SKIP
    """

    def __init__(self, index: Any):
        self.index = index
        self.pipeline = build_ingest_pipeline(index.settings, index=index, clean=False)
        # The same pipeline cut after the annotator, so its two halves run in two threads.
        self.prepare = build_ingest_pipeline(index.settings, index=index, clean=False, part="prepare")
        self.store = build_ingest_pipeline(index.settings, index=index, clean=False, part="store")
        self.prepare.get_component("splitter").warm_up()
        splitter = self.pipeline.get_component("splitter")
        splitter.warm_up()
        self._hash_key = splitter.hash_key()

    def ingest(self, items: Any, progress: Any = None) -> Any:
        """Ingest `items` (documents and `InputError`s, as `ingest.loaders.iter_documents` yields).

        Two stages overlap: a producer thread reads the next files and runs the ingest
        pipeline's first part (split, annotate) on the next batch while this thread runs its
        second part (embed, write) on the current one — the same components in the same order
        as the whole pipeline `lagrum pipeline dump ingest` shows, cut after the annotator.
        What the producer finds (bad input, duplicates, unchanged documents) is reported here,
        in the order of the input.
        """
        from ingest.pipeline import PREPARE_AHEAD, IngestSummary, _notify, read_ahead

        started = time.perf_counter()
        summary = IngestSummary()
        target = self.index.settings.embed_passage_batch  # texts per e5 call (passages and titles)
        held: list[tuple[list[Any], dict[str, Any]]] = []  # prepared documents waiting for a full call

        def texts(prepared: dict[str, Any]) -> int:
            return len(prepared["documents"]) + sum(1 for s in prepared["sources"] if s.meta.get("title"))

        def write() -> None:
            if held:
                self._store([d for batch, _ in held for d in batch], _merged([p for _, p in held]), summary, progress)
                held.clear()

        events = read_ahead(self._prepared(items), ahead=PREPARE_AHEAD, idle=("waiting",))
        try:
            for event in events:
                kind = event[0]
                if kind == "waiting":  # nothing prepared yet: embed what is held instead of idling,
                    if sum(texts(p) for _, p in held) >= target // 2:  # when that makes an efficient call
                        write()
                elif kind == "failed":
                    summary.failed += 1
                    summary.errors.append({"source": event[1], "error": event[2]})
                    _notify(progress, "failed", event[1])
                elif kind == "skipped":
                    summary.skipped += 1
                    _notify(progress, "skipped", event[1])
                elif isinstance(event[2], Exception):  # the first part failed: this batch on its own
                    write()
                    self._store(event[1], event[2], summary, progress)
                else:
                    if held and sum(texts(p) for _, p in held) + texts(event[2]) > target:
                        write()  # calls of at most `target` texts, except for one long document
                    held.append((event[1], event[2]))
                    if sum(texts(p) for _, p in held) >= target:
                        write()
            write()
        finally:
            events.close()  # stops the producer (an error or an interrupt here)
        self.index.store.flush()
        summary.seconds = time.perf_counter() - started
        return summary

    def _prepared(self, items: Any) -> Any:
        """("failed", source, reason), ("skipped", source) and ("batch", [document], the first
        part's output or the exception it raised) for each input, in order (runs in the producer
        thread; it only reads the store). Documents are prepared one at a time, so the caller can
        fill each e5 call with as many passages as it takes."""
        from lagrum.components.convert import legal_to_document
        from lagrum.errors import InputError

        from ingest.pipeline import _check_derived_id

        seen: dict[str, str] = {}

        def prepared(documents: list[Any]) -> tuple[str, list[Any], Any]:
            try:
                return "batch", documents, self.prepare.run({"splitter": {"documents": [legal_to_document(d) for d in documents]}})["annotator"]
            except Exception as exc:  # the batch is then run again document by document
                return "batch", documents, exc

        for item in items:
            if isinstance(item, InputError):
                yield "failed", item.source, item.reason
                continue
            if item.id in seen:
                yield "failed", item.origin or item.id, f"duplicate id {item.id!r}, already read from {seen[item.id]}; ids must be unique"
                continue
            seen[item.id] = item.origin or item.id
            try:
                existing = self.index.store.get_document(item.id, with_text=False)
                _check_derived_id(item, existing)
            except InputError as exc:
                yield "failed", exc.source, exc.reason
                continue
            if existing and existing.get("content_hash") == item.content_hash(self._hash_key) and existing.get("state") == "complete":
                yield "skipped", item.origin or item.id
                continue
            yield prepared([item])

    def _store(self, batch: list[Any], prepared: Any, summary: Any, progress: Any) -> None:
        """The second part (embed, write) over a prepared batch; when either part failed, each
        document again through the whole pipeline on its own."""
        if isinstance(prepared, Exception):
            for document in batch:
                self._run([document], summary, progress)
            return
        try:
            result = self.store.run({"embedder": {"documents": prepared["documents"], "sources": prepared["sources"]}})["writer"]["summary"]
        except Exception:
            if len(batch) == 1:
                self._run(batch, summary, progress)
                return
            for document in batch:
                self._run([document], summary, progress)
            return
        self._count(batch, result, summary, progress)

    def delete(self, doc_id: str) -> bool:
        """Remove a document and all its passages; False when it was not indexed."""
        removed = self.index.store.delete_document(doc_id)
        self.index.store.flush()
        return removed

    def _run(self, batch: list[Any], summary: Any, progress: Any) -> None:
        """One pipeline run over `batch`; when it raises, each document again on its own, so one
        document's failure costs only that document."""
        from lagrum.components.convert import legal_to_document

        from ingest.pipeline import _notify

        try:
            result = self.pipeline.run({"splitter": {"documents": [legal_to_document(d) for d in batch]}})["writer"]["summary"]
        except Exception as exc:  # one document's failure must not stop the batch
            if len(batch) > 1:
                for document in batch:
                    self._run([document], summary, progress)
                return
            cause = exc.__cause__ or exc
            document = batch[0]
            summary.failed += 1
            summary.errors.append({"source": document.origin or document.id, "error": f"could not prepare: {cause}"})
            _notify(progress, "failed", document.origin or document.id)
            return
        self._count(batch, result, summary, progress)

    @staticmethod
    def _count(batch: list[Any], result: dict[str, Any], summary: Any, progress: Any) -> None:
        from ingest.pipeline import _notify

        origins = {d.id: d.origin or d.id for d in batch}
        for error in result["errors"]:
            summary.errors.append(error)
            _notify(progress, "failed", error["source"])
        summary.failed += result["failed"]
        summary.skipped += result["skipped"]
        summary.ingested += result["ingested"]
        summary.chunks += result["chunks"]
        summary.ingested_ids.extend(result["ingested_ids"])
        for doc_id in result["ingested_ids"]:
            _notify(progress, "ingested", origins[doc_id])


def _merged(prepared: list[dict[str, Any]]) -> dict[str, Any]:
    """The first part's outputs for several documents as one (their passages, then their sources)."""
    if len(prepared) == 1:
        return prepared[0]
    return {"documents": [d for p in prepared for d in p["documents"]], "sources": [s for p in prepared for s in p["sources"]]}


class QueryPipelines:
    """The service's two query pipelines, bound to it: `search` (embedder → retriever) and
    `answer` (embedder → retriever → composer)."""

    def __init__(self, service: Any):
        from lagrum.components import LagrumHybridRetriever

        self.service = service
        self.search_pipeline = build_query_pipeline(service.settings, service, answer=False)
        self.answer_pipeline = build_query_pipeline(service.settings, service, answer=True)
        # BM25 alone needs no query vector: its pipeline is the retriever alone, as the retriever never embedded for it.
        self.lexical_pipeline = Pipeline()
        lexical = LagrumHybridRetriever(data_dir=str(service.settings.data_dir), mode="bm25")
        lexical.bind(service)
        self.lexical_pipeline.add_component("retriever", lexical)

    def search(self, query: str, limit: int = 10, filters: Any = None, mode: str = "hybrid", per_document: int | None = None, language: str | None = None) -> list[Any]:
        """The best passages as `lagrum.retrieval.Hit`s (what `LagrumService.search` formats)."""
        from lagrum.components.convert import document_to_hit

        data: dict[str, Any] = {
            "query_embedder": {"text": query, "mode": mode, "language": language},
            "retriever": {"query": query, "top_k": limit, "filters": filters, "mode": mode, "per_document": per_document, "language": language},
        }
        if mode == "bm25":
            result = self.lexical_pipeline.run({"retriever": data["retriever"]})
        else:
            result = self.search_pipeline.run(data)
        return [document_to_hit(d) for d in result["retriever"]["documents"]]

    def answer(self, question: str, limit: int = 4, filters: Any = None, language: str | None = None) -> dict[str, Any]:
        """`AnswerComposer.ask` as a pipeline run (the composer's `runner`)."""
        started = time.perf_counter()
        question = question.strip()
        result = self.answer_pipeline.run(
            {
                "query_embedder": {"text": question},
                "retriever": {"query": question, "filters": filters},
                "composer": {"query": question, "limit": limit, "filters": filters, "language": language},
            }
        )
        answer = result["composer"]["answer"]
        answer["took_ms"] = round((time.perf_counter() - started) * 1000, 1)
        return answer
