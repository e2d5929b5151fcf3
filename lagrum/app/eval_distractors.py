"""Evaluation with distractors (`lagrum eval --set S --with ...`): S's questions over a bigger index.

A question set alone is an easy index: every document is one its questions were written for.
`--with` adds other documents to the index as distractors while the set keeps its own labels,
and the report puts the figures with distractors beside those of the set alone, per language and
per retrieval mode, with the answer figures (out-of-domain refusal, in-domain answering, citations
of a relevant document). What `--with` takes (repeatable):

- `real`: the real corpus of `eval/data/real` (its `corpus.json`, read from `../shared/realdata`
  or `$LAGRUM_REALDATA` by the loader `--set real` uses);
- `sets`: every other bundled question set's documents (dev, holdout, real, ...);
- a question set directory (its documents), or a file or folder of documents (any format
  `lagrum ingest` reads).

The union of S and its distractors is one index, built once and reused: its data directory is
`eval-with-<key>` next to the per-set indexes, where the key hashes which documents go in (the
bytes of every source file), the reference extractor's version and the embedder and chunking
settings. Every set with the same union (`--set dev --with sets` and `--set real --with sets`
both make bundled corpus + dev + holdout + real) shares it. Embedding the real corpus takes
minutes, so the union is filled by copying points (chunk ids, payloads, dense and BM25 vectors,
title vectors) from the per-set indexes `eval-<set>` when they hold them; the ingest that follows
skips every copied document whose content hash is current and embeds the rest (a missing or
stale cache). The union is thus exactly consistent with the per-set runs.

Document ids must not collide: the same id from two sources with the same content (the bundled
corpus of dev and holdout) is one document; with different content both are kept under
`<source>--<id>` and the evaluated set's labels follow its own variant (reported as `collisions`).

>>> components = resolve_with(["sets"], resolve_set("dev"))  # doctest: +SKIP
>>> report = evaluate_with_distractors(resolve_set("dev"), components, Settings().with_(data_dir=Path("data")))  # doctest: +SKIP
>>> report["with"]["retrieval"]["hybrid"]["sv"]["mrr@10"]  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from lagrum.errors import LagrumError
from lagrum.app.evaluation import (
    LANGUAGES,
    MODES_COMPARED,
    REALDATA_ENV,
    RETRIEVE_CHUNKS,
    SETS_DIR,
    QuestionSet,
    document_sources,
    evaluate,
    ranked_documents,
    read_realdata,
    realdata_paths,
    realdata_root,
    retrieval_metrics,
)

WITH_REAL = "real"
WITH_SETS = "sets"
UNION_PREFIX = "eval-with-"
COLLISION_SEPARATOR = "--"
COPY_BATCH = 256
BUILD_RECORD = "union.json"


@dataclass
class Component:
    """One group of documents in a union index.

    :param name: how reports name it (`dev`, `holdout`, `real`, a folder's name).
    :param sources: files and folders read by `ingest.loaders.iter_documents`.
    :param realdata: realdata files, read one by one with the id check of `--set real`.
    :param cache: the data directory of the per-set index that may hold its vectors, if any.
    """

    name: str
    sources: list[Path] = field(default_factory=list)
    realdata: list[Path] = field(default_factory=list)
    cache: Path | None = None


def set_component(directory: Path, eval_root: Path | None) -> Component:
    """A question set's documents, with its per-set index (`<eval_root>/eval-<name>`) as the cache."""
    question_set = QuestionSet.load(directory)
    sources = document_sources(question_set)
    realdata = realdata_paths(question_set.realdata_files) if question_set.realdata_files else []
    cache = eval_root / f"eval-{directory.name}" if eval_root is not None else None
    return Component(directory.name, [s for s in sources if s not in realdata], realdata, cache)


def _bundled_sets() -> list[Path]:
    return sorted(p for p in SETS_DIR.iterdir() if (p / "questions.jsonl").is_file()) if SETS_DIR.is_dir() else []


def resolve_with(values: Iterable[str], target: Path, eval_root: Path | None = None) -> list[Component]:
    """The distractor components `--with` names, checked before anything is embedded.

    A missing folder or an absent realdata folder is a `LagrumError` naming the path and what to do.
    """
    out: list[Component] = []
    seen = {target.resolve()}

    def add_set(directory: Path, given: str) -> None:
        if directory.resolve() in seen:
            return
        seen.add(directory.resolve())
        try:
            out.append(set_component(directory, eval_root))
        except LagrumError as exc:
            raise LagrumError(f"--with {given}: {exc}") from None

    for value in values:
        if value == WITH_REAL:
            root = realdata_root()
            if not root.is_dir():
                raise LagrumError(
                    f"--with real: the realdata folder {root} does not exist; put the shared realdata folder at "
                    f"../shared/realdata next to the repository or set {REALDATA_ENV}=/path/to/realdata"
                )
            add_set(SETS_DIR / "real", value)
        elif value == WITH_SETS:
            for directory in _bundled_sets():
                add_set(directory, f"{value} ({directory.name})")
        else:
            path = Path(value)
            if not path.exists():
                raise LagrumError(
                    f"--with {value}: no such file or folder ({path.resolve()}); give a folder or file of documents, "
                    f"a question set directory, '{WITH_REAL}' (the real corpus in {realdata_root()}) or "
                    f"'{WITH_SETS}' (every other bundled question set under {SETS_DIR})"
                )
            if path.is_dir() and (path / "questions.jsonl").is_file():
                add_set(path, value)
            elif path.resolve() not in seen:
                seen.add(path.resolve())
                out.append(Component(path.name or str(path), [path]))
    if not out:
        raise LagrumError(f"--with {' '.join(values)}: names no documents besides the set's own; add another set, a folder, or '{WITH_REAL}'")
    # Reports and collided ids name components: a folder named like a set gets a suffix.
    used = {target.name}
    for component in out:
        name, n = component.name, 2
        while component.name in used:
            component.name, n = f"{name}-{n}", n + 1
        used.add(component.name)
    return out


# --- the union's key ---------------------------------------------------------------------


def _fingerprint(path: Path, digest: Any) -> None:
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(str(file.relative_to(path) if path.is_dir() else file.name).encode("utf-8"))
        digest.update(hashlib.sha256(file.read_bytes()).digest())


def union_key(components: list[Component], settings: Any) -> str:
    """A hash of what the union holds: every component's source bytes, the extractor version and
    the embedder and chunking settings (any change gives a new union directory)."""
    from lagrum.legal.references import EXTRACTOR_VERSION
    from lagrum.legal.segments import SEGMENTS_VERSION

    digest = hashlib.sha256(f"refs{EXTRACTOR_VERSION}|segments{SEGMENTS_VERSION}|{settings.embedder}|{settings.chunk_tokens}|{settings.chunk_overlap}".encode("utf-8"))
    for component in sorted(components, key=lambda c: c.name):
        digest.update(f"\0{component.name}\0".encode("utf-8"))
        for path in sorted(component.sources + component.realdata):
            _fingerprint(path, digest)
    return digest.hexdigest()[:16]


def union_settings(components: list[Component], settings: Any, eval_root: Path) -> Any:
    """Settings whose data directory is the union's (`<eval_root>/eval-with-<key>`)."""
    return settings.with_(data_dir=eval_root / f"{UNION_PREFIX}{union_key(components, settings)}")


# --- building the union --------------------------------------------------------------------


@dataclass
class Union:
    """What `build_union` did, and which component each document of the union came from."""

    summary: dict[str, Any]
    owners: dict[str, str]  # union doc id -> the component that contributed it
    members: dict[str, set[str]]  # component -> its doc ids in the union (shared documents in each)
    renamed: dict[str, dict[str, str]]  # component -> {its id: the union id} for collided ids
    id_checks: dict[str, dict[str, Any]]  # component -> the realdata id check


def collided_id(component: str, doc_id: str) -> str:
    return f"{component}{COLLISION_SEPARATOR}{doc_id}"


def build_union(components: list[Component], settings: Any, log: Callable[[str], None] = lambda _m: None) -> Union:
    """Fill the index at `settings.data_dir` with every component's documents.

    Points are copied from each component's cached per-set index where it has the document;
    the ingest afterwards skips those (content hash current) and embeds the rest.
    """
    from ingest.loaders import iter_documents
    from lagrum.app.pipelines import PipelineIngest
    from lagrum.errors import InputError
    from lagrum.index import Index

    started = time.perf_counter()
    read: dict[str, list[Any]] = {}
    errors: list[Any] = []
    id_checks: dict[str, dict[str, Any]] = {}
    for component in components:
        items = list(iter_documents(component.sources)) if component.sources else []
        if component.realdata:
            realdata_items, id_checks[component.name] = read_realdata(component.realdata)
            items += realdata_items
        read[component.name] = [item for item in items if not isinstance(item, InputError)]
        errors += [item for item in items if isinstance(item, InputError)]

    # Ids across components: identical documents are one; different ones are renamed.
    variants: dict[str, dict[str, str]] = {}  # id -> {component: content hash}
    for name, documents in read.items():
        for document in documents:
            variants.setdefault(document.id, {}).setdefault(name, document.content_hash())
    collisions = {doc_id: by for doc_id, by in variants.items() if len(set(by.values())) > 1}
    renamed: dict[str, dict[str, str]] = {}
    owners: dict[str, str] = {}
    members: dict[str, set[str]] = {name: set() for name in read}
    documents: list[Any] = []
    from_cache: dict[str, list[str]] = {}  # component -> ids to look for in its cache
    for name, items in read.items():
        for document in items:
            if document.id in collisions:
                new_id = collided_id(name, document.id)
                renamed.setdefault(name, {})[document.id] = new_id
                document = dataclasses.replace(document, id=new_id)  # content hash changes: embedded afresh
            members[name].add(document.id)
            if document.id in owners:
                continue  # the same document from another component (the bundled corpus)
            owners[document.id] = name
            documents.append(document)
            if document.id not in (renamed.get(name) or {}).values():
                from_cache.setdefault(name, []).append(document.id)

    index = Index.open(settings, create=True)
    try:
        # What the union holds already: a cached document with another content hash (the per-set
        # run re-ingested it since) replaces it, so the union follows the per-set indexes.
        present = {r["id"]: r.get("content_hash") for r in index.store.document_records() if r.get("state") == "complete"}
        copied_docs, copied_chunks, caches = 0, 0, []
        wanted_all = {d for ids in from_cache.values() for d in ids}
        for component in components:
            wanted = set(from_cache.get(component.name, [])) & wanted_all
            if not wanted or component.cache is None:
                continue
            result = copy_from_cache(component.cache, index, wanted, present)
            caches.append({"component": component.name, "cache": str(component.cache), **result})
            wanted_all -= set(result.get("doc_ids", []))
            copied_docs += result["documents"]
            copied_chunks += result["chunks"]
            log(f"{component.name}: {result['documents']} documents ({result['chunks']} chunks) copied from {component.cache}" + (f" ({result['note']})" if result.get("note") else ""))
        ingest = PipelineIngest(index).ingest(documents).as_dict()  # what `lagrum ingest` runs
        log(f"union: {ingest['skipped']} documents current, {ingest['ingested']} embedded ({ingest['chunks']} chunks), {ingest['failed']} failed")
        for name, check in id_checks.items():
            expected = [renamed.get(name, {}).get(d, d) for d in check["expected_ids"]]
            in_index = {d for d in expected if index.store.get_document(d, with_text=False) is not None}
            check["in_index"] = len(in_index)
            check["missing_from_index"] = sorted(set(expected) - in_index)
        stats = {"documents": index.store.count_documents(), "chunks": index.store.count_chunks()}
    finally:
        index.close()
    for cache in caches:
        cache.pop("doc_ids", None)
    summary = {
        "index": str(settings.data_dir),
        "components": [c.name for c in components],
        **stats,
        "copied_documents": copied_docs,
        "copied_chunks": copied_chunks,
        "caches": caches,
        "embedded": ingest["ingested"],
        "embedded_chunks": ingest["chunks"],
        "skipped": ingest["skipped"],
        "failed": ingest["failed"] + len(errors),
        "errors": [{"source": e.source, "error": e.reason} for e in errors] + ingest["errors"],
        "shared_documents": sorted(d for d, by in variants.items() if len(by) > 1 and d not in collisions),
        "collisions": [{"id": d, "components": sorted(by), "renamed": [collided_id(c, d) for c in sorted(by)]} for d, by in sorted(collisions.items())],
    }
    # The run that filled the union is kept beside it: later runs find everything current.
    record = Path(settings.data_dir) / BUILD_RECORD
    if copied_docs or ingest["ingested"] or not record.exists():
        built = {k: summary[k] for k in ("components", "documents", "chunks", "copied_documents", "copied_chunks", "embedded", "embedded_chunks", "caches")}
        record.write_text(json.dumps({**built, "seconds": round(time.perf_counter() - started, 1), "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, indent=1), encoding="utf-8")
    summary["built"] = json.loads(record.read_text(encoding="utf-8"))
    return Union(summary, owners, members, renamed, id_checks)


def copy_from_cache(cache: Path, index: Any, doc_ids: set[str], present: dict[str, Any] | None = None) -> dict[str, Any]:
    """Copy the chunk and document points of `doc_ids` from the per-set index at `cache`.

    Only documents whose write completed are copied, with all their chunks, and only where the
    union does not hold the same version already (`present`: doc id -> content hash); a cache that
    is missing, locked, or built with another embedder is skipped (`note`) and its documents embedded.
    """
    present = present or {}
    from lagrum.errors import IndexLockedError
    from lagrum.store.edge import EdgeStore

    empty = {"documents": 0, "chunks": 0, "doc_ids": []}
    if index.store.backend != "edge":
        return {**empty, "note": "the union is not an embedded index; documents are embedded"}
    if not ((cache / "index" / "segments").exists() or (cache / "index" / "wal").exists()):
        return {**empty, "note": "no cached index; its documents are embedded"}
    try:
        source = EdgeStore.open(cache / "index", dim=index.embedder.dim, create=False)
    except (IndexLockedError, LagrumError) as exc:
        return {**empty, "note": f"cache not readable ({exc}); its documents are embedded"}
    try:
        meta = source.get_meta() or {}
        if meta.get("embedder") != index.embedder.id or meta.get("bm25") != index.bm25.config_id:
            return {**empty, "note": f"cache built with embedder {meta.get('embedder')!r}, bm25 {meta.get('bm25')!r}; its documents are embedded"}
        documents, chunks = [], []
        for points, _ in source.iter_points(batch=COPY_BATCH):
            for point in points:
                kind, doc_id = point.payload.get("kind"), point.payload.get("doc_id")
                if doc_id not in doc_ids:
                    continue
                if kind == "document" and point.payload.get("state") == "complete":
                    if present.get(doc_id) != point.payload.get("content_hash"):
                        documents.append(point)
                elif kind == "chunk":
                    chunks.append(point)
    finally:
        source.close()
    complete = {p.payload["doc_id"] for p in documents}
    chunks = [p for p in chunks if p.payload["doc_id"] in complete]
    for doc_id in sorted(complete & set(present)):  # an older version's chunks go first
        index.store.delete_chunks(doc_id)
    # Chunks first, the document record last: an interrupted copy leaves a document the ingest redoes.
    for start in range(0, len(chunks), COPY_BATCH):
        index.store.write_points(chunks[start : start + COPY_BATCH])
    for start in range(0, len(documents), COPY_BATCH):
        index.store.write_points(documents[start : start + COPY_BATCH])
    index.store.flush()
    return {"documents": len(documents), "chunks": len(chunks), "doc_ids": sorted(complete)}


# --- evaluating with distractors ------------------------------------------------------------


def evaluate_with_distractors(
    directory: Path,
    components: list[Component],
    settings: Any,
    eval_root: Path,
    alone: dict[str, Any],
    modes: Iterable[str] = MODES_COMPARED,
    ask: bool = True,
    questions_limit: int | None = None,
    log: Callable[[str], None] = lambda _m: None,
) -> dict[str, Any]:
    """Evaluate the set at `directory` over the union of its documents and `components`.

    :param alone: the report of the set alone (`lagrum.app.evaluation.evaluate`), compared with.
    :returns: the distractor report (`alone`, `with`, `delta`, `dropped`, `offenders`, `union`).
    """
    modes = list(modes)
    own = set_component(directory, eval_root)
    everything = [own] + [c for c in components if c.name != own.name]
    settings_union = union_settings(everything, settings, eval_root)
    union = build_union(everything, settings_union, log)
    if union.summary["failed"]:
        log(f"union: {union.summary['failed']} documents could not be read: {union.summary['errors'][:3]}")
    relabel = union.renamed.get(own.name, {})
    prebuilt: dict[str, Any] = {"ingested": union.summary["embedded"], "skipped": union.summary["skipped"], "failed": union.summary["failed"]}
    if own.name in union.id_checks:
        prebuilt["id_check"] = union.id_checks[own.name]
    with_report = evaluate(directory, settings_union, modes=modes, ask=ask, questions_limit=questions_limit, prebuilt=prebuilt, relabel=relabel)
    own_ids = union.members[own.name]
    analysis = _analyse(directory, settings_union, alone, with_report, own_ids, union.owners, relabel, questions_limit, ask)
    return {
        "set": alone["set"],
        "questions": alone["questions"],
        "with_components": [c.name for c in everything if c.name != own.name],
        "union": {k: v for k, v in union.summary.items() if k != "shared_documents"} | {"shared_documents": len(union.summary["shared_documents"])},
        "own_documents": len(own_ids),
        "distractor_documents": len(union.owners) - len(own_ids),
        "alone": compact(alone),
        "with": compact(with_report),
        "delta": deltas(alone, with_report),
        **analysis,
    }


def compact(report: dict[str, Any]) -> dict[str, Any]:
    """A report without its per-question rows."""
    out = {k: v for k, v in report.items() if k != "per_question"}
    if "ask" in out:
        out["ask"] = {k: v for k, v in out["ask"].items() if k != "per_question"}
    return out


ASK_FIGURES = ("cites_relevant", "citation_precision", "answered_in_domain", "ood_refusal_rate", "near_domain_refusal_rate")
RETRIEVAL_FIGURES = ("mrr@10", "recall@5", "ndcg@10")


def deltas(alone: dict[str, Any], with_report: dict[str, Any]) -> dict[str, Any]:
    """With minus alone, per mode and language (retrieval) and per language (answers)."""
    out: dict[str, Any] = {"retrieval": {}}
    for mode, by_language in with_report.get("retrieval", {}).items():
        base = alone.get("retrieval", {}).get(mode)
        if not base:
            continue
        out["retrieval"][mode] = {
            language: {f: round(by_language[language][f] - base[language][f], 4) for f in RETRIEVAL_FIGURES} for language in (*LANGUAGES, "all")
        }
    if "ask" in alone and "ask" in with_report:
        out["ask"] = {
            language: {f: round(with_report["ask"][language][f] - alone["ask"][language][f], 4) for f in ASK_FIGURES} for language in (*LANGUAGES, "all")
        }
    return out


def _analyse(
    directory: Path,
    settings: Any,
    alone: dict[str, Any],
    with_report: dict[str, Any],
    own_ids: set[str],
    owners: dict[str, str],
    relabel: dict[str, str],
    questions_limit: int | None,
    ask: bool,
) -> dict[str, Any]:
    """Which questions drop and which distractor documents take their places.

    `dropped[mode]`: questions whose first relevant document ranks lower with distractors, with
    the distractor documents ranked above it (hybrid searched again over the union). `offenders`:
    distractor documents by how many questions they push down (hybrid), or are cited in instead
    of a relevant document (`ask`).
    """
    from lagrum.app.service import LagrumService

    question_set = QuestionSet.load(directory)
    questions = question_set.questions[:questions_limit] if questions_limit else question_set.questions
    by_id = {q.id: q for q in questions}
    dropped: dict[str, list[dict[str, Any]]] = {}
    for mode, ranks in with_report.get("per_question", {}).items():
        before = alone.get("per_question", {}).get(mode, {})
        rows = []
        for qid, rank in ranks.items():
            was = before.get(qid)
            if _worse(was, rank):
                rows.append({"id": qid, "language": by_id[qid].language, "alone": was, "with": rank})
        dropped[mode] = rows
    offenders: Counter[str] = Counter()
    cited_offenders: Counter[str] = Counter()
    ask_changes: list[dict[str, Any]] = []
    named_counts: Counter[str] = Counter()
    service = LagrumService.open(settings, create=False)
    try:
        records: dict[str, dict[str, Any]] = {}

        def record(doc_id: str) -> dict[str, Any]:
            if doc_id not in records:
                records[doc_id] = service.index.store.get_document(doc_id, with_text=False) or {}
            return records[doc_id]

        def title(doc_id: str) -> str:
            return str(record(doc_id).get("title") or "")

        def described(doc_id: str, question: str) -> dict[str, Any]:
            named = named_in_question(question, record(doc_id).get("identifiers") or [])
            return {"doc_id": doc_id, "from": owners.get(doc_id, "?"), "title": title(doc_id), "named_in_question": named}

        for mode, rows in dropped.items():
            for row in rows:
                q = by_id[row["id"]]
                relevant = {relabel.get(d, d) for d in q.relevant}
                ranked = ranked_documents(service.retriever.search(q.question, limit=RETRIEVE_CHUNKS, mode=mode))
                above = []
                for doc_id in ranked:
                    if doc_id in relevant:
                        break
                    if doc_id not in own_ids:
                        above.append(doc_id)
                row["question"] = q.question
                row["distractors_above"] = [described(d, q.question) for d in above]
                # Every document above is one the question names (its SFS or EU number): the labels
                # miss it rather than the ranking (a real statute above a made-up article about it).
                row["label_gap"] = bool(above) and all(d["named_in_question"] for d in row["distractors_above"])
                if mode == "hybrid":
                    offenders.update(above)
                    named_counts.update(d["doc_id"] for d in row["distractors_above"] if d["named_in_question"])
        named_labels = _with_named_documents(service, questions, relabel, owners, record)
        if ask and "ask" in alone and "ask" in with_report:
            rows_alone = alone["ask"]["per_question"]
            for qid, row in with_report["ask"]["per_question"].items():
                base = rows_alone.get(qid)
                if base is None:
                    continue
                q = by_id[qid]
                lost_citation = not row["ood"] and not row["near"] and base["relevant_citations"] and not row["relevant_citations"]
                lost_answer = not row["ood"] and not row["near"] and base["found"] and not row["found"]
                lost_refusal = (row["ood"] or row["near"]) and not base["found"] and row["found"]
                if not (lost_citation or lost_answer or lost_refusal):
                    continue
                cited = [c["doc_id"] for c in service.ask(q.question)["citations"]]
                distractors = [d for d in dict.fromkeys(cited) if d not in own_ids]
                cited_offenders.update(distractors)
                ask_changes.append(
                    {
                        "id": qid,
                        "language": q.language,
                        "question": q.question,
                        "change": "lost relevant citation" if lost_citation else "no longer answered" if lost_answer else "no longer refused",
                        "cited_distractors": [described(d, q.question) for d in distractors],
                    }
                )
        top = [
            {
                "doc_id": d,
                "from": owners.get(d, "?"),
                "title": title(d),
                "questions_pushed_down": offenders[d],
                "named_by_those_questions": named_counts[d],
                "cited_instead": cited_offenders[d],
            }
            for d in sorted(set(offenders) | set(cited_offenders), key=lambda d: (-offenders[d] - cited_offenders[d], d))
        ]
    finally:
        service.close()
    return {"dropped": dropped, "ask_changes": ask_changes, "offenders": top, "labels_with_named": named_labels}


def _with_named_documents(service: Any, questions: list[Any], relabel: dict[str, str], owners: dict[str, str], record: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    """Hybrid MRR@10 and recall@5 with distractors, per language, when a document the question names
    by its own number ("lagen (2021:890)", "21 kap. 7 § OSL", "artikel 88 i dataskyddsförordningen")
    counts as relevant beside the labelled ones: the sets' labels name their own test documents, and
    a real statute a question names answers it too. The as-labelled figures of the same rankings are
    given beside them (`as_labelled`), equal to the report's `with` figures."""
    identifiers = {doc_id: record(doc_id).get("identifiers") or [] for doc_id in owners}
    rows: dict[str, dict[str, list[list[str]]]] = {language: {"labelled": [], "named": [], "retrieved": []} for language in LANGUAGES}
    added: list[dict[str, Any]] = []
    for q in questions:
        if not q.relevant or q.language not in rows:
            continue
        relevant = [relabel.get(d, d) for d in q.relevant]
        named = [d for d, ids in identifiers.items() if d not in relevant and named_in_question(q.question, ids)]
        if named:
            added.append({"id": q.id, "language": q.language, "named": named})
        row = rows[q.language]
        row["labelled"].append(relevant)
        row["named"].append(relevant + named)
        row["retrieved"].append(ranked_documents(service.retriever.search(q.question, limit=RETRIEVE_CHUNKS, mode="hybrid")))
    return {
        "mode": "hybrid",
        "as_labelled": {language: retrieval_metrics(r["labelled"], r["retrieved"]) for language, r in rows.items()},
        "named_relevant": {language: retrieval_metrics(r["named"], r["retrieved"]) for language, r in rows.items()},
        "questions_with_named_documents": added,
    }


_BARE_SFS = re.compile(r"(?<![\d:/])(\d{4}):(\d{1,4})(?![\d:])")


def named_in_question(question: str, identifiers: Iterable[str]) -> bool:
    """Whether the question names one of a document's own identifiers ("SFS 2021:890", "EU 2016/679").

    References the legal extractor finds count at statute level ("EU 2016/679 art. 88" names
    "EU 2016/679"), and so does a bare SFS number ("När började 2018:1200 gälla?").

    >>> named_in_question("Vad innebär artikel 88 i dataskyddsförordningen?", ["EU 2016/679"])
    True
    """
    from lagrum.legal.references import extract_references

    named: set[str] = set()
    for reference in extract_references(question):
        named.add(reference.canonical)
        parts = reference.canonical.split()
        if parts and parts[0] in ("SFS", "EU") and len(parts) > 2:
            named.add(" ".join(parts[:2]))
    named.update(f"SFS {m.group(1)}:{int(m.group(2))}" for m in _BARE_SFS.finditer(question))
    return any(identifier in named for identifier in identifiers)


def _worse(alone: int | None, with_rank: int | None) -> bool:
    if with_rank is None:
        return alone is not None
    return alone is not None and with_rank > alone


# --- reports --------------------------------------------------------------------------------


def _cell(alone: float, with_value: float) -> tuple[str, str, str]:
    delta = with_value - alone
    return f"{alone:.3f}", f"{with_value:.3f}", f"{delta:+.3f}"


def markdown_report(report: dict[str, Any]) -> str:
    """The per-set table: every mode alone vs with distractors per language, answers, drops, offenders."""
    alone, with_report, union = report["alone"], report["with"], report["union"]
    built = union.get("built") or {}
    lines = [
        f"# Distractors: `{report['set']}` ({report['questions']} questions) alone and with {', '.join(report['with_components'])}",
        "",
        f"Index with distractors: {union['documents']} documents, {union['chunks']} chunks ({report['own_documents']} the set's own, "
        f"{report['distractor_documents']} distractors), `{Path(union['index']).name}`; built {built.get('at', '?')} from the per-set indexes: "
        f"{built.get('copied_documents', 0)} documents ({built.get('copied_chunks', 0)} chunks) copied, {built.get('embedded', 0)} embedded "
        f"in {built.get('seconds', '?')} s; this run: {union['skipped']} current, {union['embedded']} embedded, {union['failed']} failed; "
        f"id collisions: {len(union['collisions'])}"
        + (f" ({', '.join(c['id'] for c in union['collisions'])}, namespaced as `<set>--<id>`)" if union["collisions"] else "")
        + f"; {union['shared_documents']} identical documents shared by several sets.",
        "",
        "## Retrieval: MRR@10 and recall@5 per language, alone → with distractors (Δ)",
        "",
        "| mode | sv MRR@10 alone | with | Δ | sv R@5 alone | with | Δ | en MRR@10 alone | with | Δ | en R@5 alone | with | Δ | all MRR@10 Δ |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for mode, m in with_report["retrieval"].items():
        a = alone["retrieval"].get(mode)
        if not a:
            continue
        cells = []
        for language in LANGUAGES:
            for figure in ("mrr@10", "recall@5"):
                cells += _cell(a[language][figure], m[language][figure])
        cells.append(f"{m['all']['mrr@10'] - a['all']['mrr@10']:+.3f}")
        lines.append(f"| {mode} | " + " | ".join(cells) + " |")
    if "ask" in alone and "ask" in with_report:
        lines += [
            "",
            "## Answers (`ask`, hybrid): alone → with distractors",
            "",
            "| language | cites a relevant doc | citation precision | answered (in-domain) | out-of-domain refused | near-domain refused (n) |",
            "|---|---|---|---|---|---|",
        ]
        for language in (*LANGUAGES, "all"):
            a, w = alone["ask"][language], with_report["ask"][language]
            cells = [f"{a[f]:.3f} → {w[f]:.3f}" for f in ("cites_relevant", "citation_precision", "answered_in_domain", "ood_refusal_rate")]
            cells.append(f"{a['near_domain_refusal_rate']:.3f} → {w['near_domain_refusal_rate']:.3f} ({w['near_domain_questions']})")
            lines.append(f"| {language} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Latencies are in the JSON only: the run with distractors follows the set alone in one process and "
        "reuses its cached query embeddings, so its times are not comparable (`eval/bench_api.py --with real` measures the API).",
    ]
    star = "\\*"
    counts = ", ".join(f"{mode} {len(rows)}" for mode, rows in report["dropped"].items())
    lines += ["", "## Questions whose first relevant document ranks lower with distractors", "", f"Per mode: {counts}.", ""]
    hybrid = report["dropped"].get("hybrid", [])
    if hybrid:
        gaps = sum(1 for row in hybrid if row.get("label_gap"))
        lines += [
            f"Hybrid: the distractor documents ranked above the first relevant one; \\* marks a document the question names "
            f"by its SFS or EU number. In {gaps} of {len(hybrid)} drops every document above is named by the question "
            "(label gap: the labels name a test document about that statute, not the statute itself).",
            "",
            "| question | lang | rank alone → with | distractors above | label gap |",
            "|---|---|---|---|---|",
        ]
        for row in sorted(hybrid, key=lambda r: r["id"]):
            above = "; ".join(f"`{d['doc_id']}`{star if d.get('named_in_question') else ''} ({d['from']})" for d in row["distractors_above"][:4]) or "–"
            lines.append(
                f"| {row['id']}: {_short(row['question'])} | {row['language']} | {row['alone']} → {row['with'] or 'not in top 10'} | {above} | {'yes' if row.get('label_gap') else ''} |"
            )
    lines += _named_lines(report)
    if report["ask_changes"]:
        lines += ["", "## Answers that change with distractors", "", "| question | lang | change | distractors cited |", "|---|---|---|---|"]
        for row in report["ask_changes"]:
            cited = "; ".join(f"`{d['doc_id']}`{star if d.get('named_in_question') else ''} ({d['from']})" for d in row["cited_distractors"][:4]) or "–"
            lines.append(f"| {row['id']}: {_short(row['question'])} | {row['language']} | {row['change']} | {cited} |")
    if report["offenders"]:
        lines += [
            "",
            "## Distractor documents that take the places of relevant ones",
            "",
            "| document | from | title | questions pushed down (hybrid) | of which name it | cited instead (ask) |",
            "|---|---|---|---|---|---|",
        ]
        for row in report["offenders"][:15]:
            lines.append(
                f"| `{row['doc_id']}` | {row['from']} | {_short(row['title'], 70)} | {row['questions_pushed_down']} | {row.get('named_by_those_questions', 0)} | {row['cited_instead']} |"
            )
    return "\n".join(lines) + "\n"


def _named_lines(report: dict[str, Any], heading: bool = True) -> list[str]:
    """The hybrid figures with distractors when the documents a question names by number count as relevant."""
    named = report.get("labels_with_named")
    if not named:
        return []
    lines = ["", "## With distractors, the documents a question names by its number also relevant (hybrid)", ""] if heading else []
    lines += [
        "| set | lang | MRR@10 alone | with, as labelled | with, named documents relevant | Δ against alone | recall@5 with, as labelled → named relevant | questions naming a document |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for language in LANGUAGES:
        alone = report["alone"]["retrieval"]["hybrid"][language]["mrr@10"]
        labelled, relevant = named["as_labelled"][language], named["named_relevant"][language]
        count = sum(1 for row in named["questions_with_named_documents"] if row["language"] == language)
        lines.append(
            f"| {report['set']} | {language} | {alone:.3f} | {labelled['mrr@10']:.3f} | {relevant['mrr@10']:.3f} | {relevant['mrr@10'] - alone:+.3f} | "
            f"{labelled['recall@5']:.3f} → {relevant['recall@5']:.3f} | {count} |"
        )
    return lines


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(str(text).split()).replace("|", "/")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summary_table(reports: list[dict[str, Any]], mode: str = "hybrid") -> str:
    """One table over several sets: MRR@10 and recall@5 per language, alone / with / Δ; then the answer figures."""
    lines = [
        f"| set | lang | MRR@10 alone | with | Δ | recall@5 alone | with | Δ |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for report in reports:
        a, w = report["alone"]["retrieval"][mode], report["with"]["retrieval"][mode]
        for language in LANGUAGES:
            cells = _cell(a[language]["mrr@10"], w[language]["mrr@10"]) + _cell(a[language]["recall@5"], w[language]["recall@5"])
            lines.append(f"| {report['set']} | {language} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "| set | lang | cites a relevant doc alone → with | answered (in-domain) | out-of-domain refused | near-domain refused |",
        "|---|---|---|---|---|---|",
    ]
    for report in reports:
        if "ask" not in report["alone"] or "ask" not in report["with"]:
            continue
        for language in LANGUAGES:
            a, w = report["alone"]["ask"][language], report["with"]["ask"][language]
            near = f"{a['near_domain_refusal_rate']:.3f} → {w['near_domain_refusal_rate']:.3f}" if w["near_domain_questions"] else "–"
            cells = [f"{a[f]:.3f} → {w[f]:.3f}" for f in ("cites_relevant", "answered_in_domain", "ood_refusal_rate")]
            lines.append(f"| {report['set']} | {language} | " + " | ".join(cells) + f" | {near} |")
    named = [line for report in reports for line in _named_lines(report, heading=False)]
    if named:
        # One header for all sets: each report's lines open with it.
        header, rule = named[0], named[1]
        lines += ["", header, rule, *(line for line in named if line not in (header, rule))]
    return "\n".join(lines) + "\n"


def write_reports(report: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """`distractors-<set>.md` and `.json` in `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    md = out_dir / f"distractors-{report['set']}.md"
    js = out_dir / f"distractors-{report['set']}.json"
    md.write_text(markdown_report(report), encoding="utf-8")
    js.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return md, js


def run_with(args: Any, settings: Any, directory: Path, components: list[Component], alone: dict[str, Any], modes: list[str], written: tuple[Path, Path]) -> int:
    """The `--with` part of `lagrum eval`: evaluate over the union, write and print the comparison."""
    import sys

    from lagrum.app.cli import print_json

    log = lambda message: print(message, file=sys.stderr)  # noqa: E731
    report = evaluate_with_distractors(
        directory, components, settings, settings.data_dir, alone, modes=modes, ask=not args.no_ask, questions_limit=args.limit, log=log
    )
    md, js = write_reports(report, Path(args.out))
    if args.json:
        print_json({k: v for k, v in report.items() if k not in ("dropped", "ask_changes")})
    else:
        print(markdown_report(report))
        print(f"Written: {written[0]}, {written[1]}, {md}, {js}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m lagrum.app.eval_distractors REPORT.json...`: the summary table over several sets' distractor reports."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m lagrum.app.eval_distractors", description=main.__doc__)
    parser.add_argument("reports", nargs="+", type=Path, metavar="REPORT.json", help="distractors-<set>.json files written by `lagrum eval --with`")
    parser.add_argument("--mode", default="hybrid", help="the retrieval mode of the table (default hybrid)")
    parser.add_argument("--out", type=Path, help="also write the table to this Markdown file")
    args = parser.parse_args(argv)
    reports = []
    for path in args.reports:
        try:
            reports.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError) as exc:
            parser.error(f"{path}: not a distractor report ({exc}); write one with `lagrum eval --set S --with sets`")
    table = summary_table(reports, args.mode)
    if args.out:
        head = f"# Distractors: every set alone and with the others' documents ({args.mode})\n\n"
        args.out.write_text(head + table, encoding="utf-8")
    print(table, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
