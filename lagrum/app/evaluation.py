"""The evaluation behind every retrieval and answer choice (`lagrum eval`).

A question set is a directory with `documents.jsonl` (test material, ingested next to the
bundled corpus) and `questions.jsonl` (`id`, `question`, `language`, `kind`, `relevant` doc ids,
`answer: {doc_id, quote}`; out-of-domain questions have `relevant: []`). A set may instead (or
as well) name real documents in a `corpus.json` manifest (`eval/data/real`): files under the
shared realdata folder (`../shared/realdata` from the repository root, or `$LAGRUM_REALDATA`),
read in place through `ingest.loaders.iter_documents` and never copied into the repository.
For each retrieval mode the ranked documents are scored with Haystack's evaluators (MRR@10,
recall@5, nDCG@10), per language; `ask` is scored for citation precision, relevant-citation
rate, verbatim quotes, boilerplate in quotes, refusals and latency. Questions of kind
`near-domain` (legal questions the corpus does not answer) are counted apart from the plainly
out-of-domain ones.

>>> report = evaluate(Path("eval/data/dev"), settings)  # doctest: +SKIP
>>> report["retrieval"]["hybrid"]["sv"]["mrr@10"]  # doctest: +SKIP
0.95
"""

from __future__ import annotations

import json
import os
import re
import statistics
import unicodedata
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

ROOT = Path(__file__).resolve().parents[2]  # the repository root (this file is lagrum/app/evaluation.py)
CORPUS = ROOT / "corpus" / "documents"
MODES_COMPARED = ("bm25", "dense", "rrf", "hybrid")
RETRIEVE_CHUNKS = 30  # chunks fetched per question before collapsing to documents
LANGUAGES = ("sv", "en")
SETS_DIR = ROOT / "eval" / "data"
REALDATA_ENV = "LAGRUM_REALDATA"
MANIFEST = "corpus.json"
NEAR_DOMAIN = "near-domain"


@dataclass
class Question:
    id: str
    question: str
    language: str
    kind: str
    relevant: list[str]
    answer: dict[str, str] | None = None

    @property
    def out_of_domain(self) -> bool:
        return not self.relevant

    @property
    def near_domain(self) -> bool:
        """A legal question the corpus does not answer (counted apart from plain out-of-domain ones)."""
        return self.kind == NEAR_DOMAIN and not self.relevant


@dataclass
class QuestionSet:
    name: str
    directory: Path
    questions: list[Question] = field(default_factory=list)
    # From `corpus.json`: realdata files (relative to the realdata folder) and whether the
    # bundled corpus is ingested as well.
    realdata_files: list[str] = field(default_factory=list)
    bundled_corpus: bool = True

    @classmethod
    def load(cls, directory: Path) -> "QuestionSet":
        from lagrum.errors import LagrumError

        path = directory / "questions.jsonl"
        if not path.exists():
            raise LagrumError(f"{path} does not exist; a question set is a directory with documents.jsonl and questions.jsonl")
        questions = []
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                questions.append(
                    Question(data["id"], data["question"], data["language"], data.get("kind", "general"), list(data.get("relevant") or []), data.get("answer"))
                )
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise LagrumError(f"{path}:{n}: not a valid question ({exc}); see eval/data/dev/README.md for the fields") from None
        realdata_files, bundled = load_manifest(directory)
        return cls(directory.name, directory, questions, realdata_files, bundled)


def resolve_set(name: str | Path) -> Path:
    """A question set directory from `--set`: a path, or a set's name under eval/data (`real`)."""
    from lagrum.errors import LagrumError

    path = Path(name)
    if path.is_dir():
        return path
    if not path.is_absolute() and len(path.parts) == 1 and (SETS_DIR / path).is_dir():
        return SETS_DIR / path
    known = sorted(p.name for p in SETS_DIR.iterdir() if p.is_dir()) if SETS_DIR.is_dir() else []
    raise LagrumError(f"--set {name}: no such question set directory; give a path or one of: {', '.join(known)}")


def load_manifest(directory: Path) -> tuple[list[str], bool]:
    """`corpus.json` of a set: `(realdata files, whether the bundled corpus is ingested too)`.

    The manifest is `{"bundled_corpus": false, "documents": [{"path": "imy-decisions/record_0004.json",
    "doc_id": "imy-miljodata-i-karlskrona-ab", ...}, ...]}`; a set without one has no realdata files.
    """
    from lagrum.errors import LagrumError

    path = directory / MANIFEST
    if not path.exists():
        return [], True
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        files = [entry["path"] for entry in data["documents"]]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise LagrumError(f"{path}: not a valid corpus manifest ({exc}); it needs 'documents': [{{'path': ..., 'doc_id': ...}}], see eval/data/real/README.md") from None
    bad = [f for f in files if not isinstance(f, str) or Path(f).is_absolute() or ".." in Path(f).parts]
    if bad:
        raise LagrumError(f"{path}: 'path' {bad[0]!r} must be relative to the realdata folder, without '..'")
    return files, bool(data.get("bundled_corpus", False))


def manifest_entries(directory: Path) -> list[dict[str, Any]]:
    """The `documents` entries of a set's `corpus.json` (`path`, `doc_id`, `role`, ...)."""
    path = directory / MANIFEST
    return list(json.loads(path.read_text(encoding="utf-8"))["documents"]) if path.exists() else []


def realdata_root() -> Path:
    """The shared folder of real documents: `$LAGRUM_REALDATA`, else `../shared/realdata` from the repository root."""
    configured = os.environ.get(REALDATA_ENV)
    return Path(configured) if configured else ROOT.parent / "shared" / "realdata"


def realdata_paths(files: list[str], root: Path | None = None) -> list[Path]:
    """Absolute paths of manifest files; a missing folder or file is a `LagrumError` saying what to do."""
    from lagrum.errors import LagrumError

    root = root or realdata_root()
    if not root.is_dir():
        raise LagrumError(
            f"realdata folder {root} does not exist: this question set reads real documents from it "
            f"(they are never copied into the repository). Put the shared realdata folder at ../shared/realdata "
            f"next to the repository, or set {REALDATA_ENV}=/path/to/realdata"
        )
    paths = [root / f for f in files]
    missing = [f for f, p in zip(files, paths) if not p.is_file()]
    if missing:
        raise LagrumError(
            f"{len(missing)} file(s) of the corpus manifest are missing from {root}: {', '.join(missing[:5])}"
            f"{' ...' if len(missing) > 5 else ''}; fetch them again (see {root / 'SOURCES.md'}) or fix the manifest"
        )
    return paths


def document_sources(question_set: QuestionSet) -> list[Path]:
    """What a set's index is built from: bundled corpus, set documents, realdata files."""
    sources = [CORPUS] if question_set.bundled_corpus else []
    documents = question_set.directory / "documents.jsonl"
    if documents.exists():
        sources.append(documents)
    if question_set.realdata_files:
        sources.extend(realdata_paths(question_set.realdata_files))
    return sources


# --- expected document ids of realdata files ----------------------------------------------

_COURT_SLUGS = {"hdo": "hd", "hfd": "hfd", "mmod": "mod", "mod": "mod"}


def slug(text: str) -> str:
    """Lower-case ASCII with '-' for anything else: `"ÖF 5877-24"` -> `"of-5877-24"`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def expected_doc_id(path: Path, root: Path | None = None) -> str:
    """The document id the native reader of a realdata file is to produce.

    >>> expected_doc_id(Path("rkrattsbaser-sfs-json/sfs-2009-400.json"))
    'sfs-2009-400'

    Statute JSON: the file stem; statutes split into provisions (`swedish-law-mcp-seeds/`):
    `sfs-` + the record's `id` ("1949:105" -> `sfs-1949-105`); Domstolsverket records: `{court}-{primary case number}`
    (`hd-of-5877-24`, `hfd-3217-21`, `mod-m-3878-25`); IMY records: `imy-` + the slug of `_id`
    after "IMY/"; the GDPR: `eu-2016-679`; AFS PDFs and ferenda XHTML: the file stem in lower case.
    Reads the record for the court and IMY ids (relative paths are taken under `realdata_root()`).
    """
    from lagrum.errors import LagrumError

    root = root or realdata_root()
    rel = Path(path)
    full = rel if rel.is_absolute() else root / rel
    try:
        rel = full.relative_to(root)
    except ValueError:
        pass
    top = rel.parts[0] if rel.parts else ""
    if top == "rkrattsbaser-sfs-json" and re.fullmatch(r"sfs-\d{4}-\d+", rel.stem):
        return rel.stem
    if top == "swedish-law-mcp-seeds" and rel.suffix == ".json":
        number = re.fullmatch(r"\s*(\d{4}):(\d{1,5})\s*", str(_read_record(full).get("id") or ""))
        if not number:
            raise LagrumError(f"{full}: field 'id' is not an SFS number (YYYY:NNN); not a provisions file")
        return f"sfs-{number.group(1)}-{int(number.group(2))}"
    if top == "gdpr-sv" and rel.name == "gdpr-transformed.html":
        return "eu-2016-679"
    if top == "afs-arbetsmiljoverket" and rel.suffix.lower() == ".pdf":
        return rel.stem.lower()
    if top == "ferenda-lagen-nu" and len(rel.parts) > 1 and rel.parts[1] in ("dv", "jo") and rel.suffix == ".xhtml":
        # The report's own identifier ("HFD 2013:29", "AD 2013 nr 63"), "nr" dropped; else the file stem.
        found = re.search(r'property="dcterms:identifier" content="([^"]+)"', full.read_text(encoding="utf-8", errors="replace"))
        if found and not rel.parts[1] == "jo":
            return re.sub(r"[^a-z0-9]+", "-", found.group(1).lower().replace(" nr ", " ")).strip("-")
        return rel.stem.lower()
    if top in ("domstol-avgoranden", "imy-decisions") and rel.suffix == ".json":
        record = _read_record(full)
        if top == "imy-decisions":
            raw_id = str(record.get("_id") or "")
            if not raw_id.startswith("IMY/"):
                raise LagrumError(f"{full}: field '_id' {raw_id!r} does not start with 'IMY/'; not an IMY record")
            return "imy-" + slug(raw_id[len("IMY/") :])
        code = slug(str(record.get("court_code") or ""))
        numbers = record.get("case_numbers") or [None]
        number = record.get("primary_case_number") or record.get("case_number") or numbers[0]
        if not code or not number:
            raise LagrumError(f"{full}: field 'court_code' or 'primary_case_number' is missing; not a Domstolsverket record")
        return f"{_COURT_SLUGS.get(code, code)}-{slug(str(number))}"
    raise LagrumError(f"{rel}: no expected id rule for this realdata file; add one to lagrum.app.evaluation.expected_doc_id")


def _read_record(path: Path) -> dict[str, Any]:
    from lagrum.errors import LagrumError

    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise LagrumError(f"{path}: cannot read the record ({exc})") from None
    if not isinstance(record, dict):
        raise LagrumError(f"{path}: expected a JSON object")
    return record


def source_text(path: Path) -> str:
    """The text of a realdata file as its source gives it, for checking quotes against.

    Statute JSON: `fulltext.forfattningstext`; provisions files: each provision's `content`
    in file order; IMY and Domstolsverket records: `text`; HTML,
    XHTML and PDF: the text Lagrum's generic readers extract (forced, so native readers landing
    later do not change what quotes are checked against). Compare after `normalise_space`.
    """
    from lagrum.errors import LagrumError

    path = Path(path)
    if path.suffix == ".json":
        record = _read_record(path)
        if isinstance(record.get("fulltext"), dict):
            return str(record["fulltext"].get("forfattningstext") or "")
        if isinstance(record.get("provisions"), list):  # a statute split into provisions: their texts in file order
            return "\n\n".join(str(p.get("content") or "") for p in record["provisions"] if isinstance(p, dict))
        return str(record.get("text") or "")
    from ingest.loaders import iter_documents

    forced = {".pdf": "pdf", ".html": "html", ".htm": "html", ".xhtml": "html"}.get(path.suffix.lower())
    if forced is None:
        raise LagrumError(f"{path}: no source text rule for {path.suffix!r} files")
    texts = []
    for item in iter_documents([path], format=forced):
        if not hasattr(item, "text"):
            raise LagrumError(f"{path}: {item.reason}")
        texts.append(item.text)
    return "\n\n".join(texts)


def normalise_space(text: str) -> str:
    """Every run of whitespace (CRLF, no-break spaces, PDF line breaks) as one space."""
    return re.sub(r"\s+", " ", text.replace("\u00ad", "")).strip()


def build_index(question_set: QuestionSet, settings: Any) -> dict[str, Any]:
    """Ingest the set's sources (unchanged documents are skipped); returns the ingest summary.

    Realdata files go through `ingest.loaders.iter_documents` with format detection like any
    other file. A file that cannot be read (a native reader not merged yet, say) is counted in
    `failed` and named in `errors`, never fatal; `id_check` compares each file's document ids
    with `expected_doc_id`, so a reader that produces other ids shows up in the report.
    """
    from ingest.loaders import iter_documents
    from lagrum.index import Index
    from lagrum.app.pipelines import PipelineIngest

    sources = document_sources(question_set)
    realdata = realdata_paths(question_set.realdata_files) if question_set.realdata_files else []
    other = [s for s in sources if s not in realdata]
    items: list[Any] = list(iter_documents(other))
    realdata_items, id_check = read_realdata(realdata)
    items += realdata_items
    index = Index.open(settings, create=True)
    try:
        summary = PipelineIngest(index).ingest(items).as_dict()
        if realdata:
            present = {doc_id for doc_id in id_check["expected_ids"] if index.store.get_document(doc_id, with_text=False) is not None}
            id_check["in_index"] = len(present)
            id_check["missing_from_index"] = sorted(set(id_check["expected_ids"]) - present)
    finally:
        index.close()
    if realdata:
        summary["id_check"] = id_check
    return summary


def read_realdata(paths: list[Path]) -> tuple[list[Any], dict[str, Any]]:
    """Read realdata files one by one: `(documents and errors, id check)`.

    The id check lists every file whose reader did not produce exactly its expected id
    (`{"path", "expected", "produced": [ids], "error": reason or None}`).
    """
    from ingest.loaders import iter_documents
    from lagrum.errors import InputError

    root = realdata_root()
    items: list[Any] = []
    expected_ids: list[str] = []
    mismatched: list[dict[str, Any]] = []
    for path in paths:
        expected = expected_doc_id(path, root)
        expected_ids.append(expected)
        read = list(iter_documents([path]))
        items += read
        produced = [item.id for item in read if not isinstance(item, InputError)]
        errors = [item.reason for item in read if isinstance(item, InputError)]
        if produced != [expected]:
            rel = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
            mismatched.append({"path": rel, "expected": expected, "produced": produced, "error": errors[0] if errors else None})
    check = {"files": len(paths), "expected_ids": expected_ids, "matched": len(paths) - len(mismatched), "mismatched": mismatched}
    return items, check


def ranked_documents(hits: Iterable[Any], k: int = 10) -> list[str]:
    """Collapse ranked chunks into ranked distinct documents."""
    seen: list[str] = []
    for hit in hits:
        if hit.doc_id not in seen:
            seen.append(hit.doc_id)
        if len(seen) >= k:
            break
    return seen


def retrieval_metrics(relevant: list[list[str]], retrieved: list[list[str]]) -> dict[str, float]:
    """MRR@10, recall@5 (share of relevant documents in the top 5) and nDCG@10, via Haystack."""
    from haystack import Document as HDocument
    from haystack.components.evaluators import DocumentMRREvaluator, DocumentNDCGEvaluator, DocumentRecallEvaluator

    if not relevant:
        return {"mrr@10": 0.0, "recall@5": 0.0, "ndcg@10": 0.0, "n": 0}

    def docs(ids: list[str]) -> list[HDocument]:
        return [HDocument(id=i, content=i) for i in ids]

    truth = [docs(r) for r in relevant]
    top10 = [docs(r[:10]) for r in retrieved]
    top5 = [docs(r[:5]) for r in retrieved]
    mrr = DocumentMRREvaluator().run(ground_truth_documents=truth, retrieved_documents=top10)["score"]
    recall = DocumentRecallEvaluator(mode="multi_hit").run(ground_truth_documents=truth, retrieved_documents=top5)["score"]
    ndcg = DocumentNDCGEvaluator().run(ground_truth_documents=truth, retrieved_documents=top10)["score"]
    return {"mrr@10": round(mrr, 4), "recall@5": round(recall, 4), "ndcg@10": round(ndcg, 4), "n": len(relevant)}


def evaluate(
    directory: Path,
    settings: Any,
    modes: Iterable[str] = MODES_COMPARED,
    ask: bool = True,
    questions_limit: int | None = None,
    prebuilt: dict[str, Any] | None = None,
    relabel: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run the whole evaluation of one question set; returns the report as a dict.

    :param prebuilt: the ingest summary of an index already built at `settings` (the union of
        `lagrum.app.eval_distractors`); the set's sources are then not ingested again.
    :param relabel: document ids the set's labels are to name differently in that index.
    """
    from lagrum.app.service import LagrumService
    from lagrum.components.timing import component_times
    from lagrum.text import is_boilerplate_line

    question_set = QuestionSet.load(directory)
    if relabel:
        for q in question_set.questions:
            q.relevant = [relabel.get(d, d) for d in q.relevant]
            if q.answer and q.answer.get("doc_id") in relabel:
                q.answer = {**q.answer, "doc_id": relabel[q.answer["doc_id"]]}
    questions = question_set.questions[:questions_limit] if questions_limit else question_set.questions
    ingest = prebuilt if prebuilt is not None else build_index(question_set, settings)
    service = LagrumService.open(settings, create=False)
    report: dict[str, Any] = {"set": question_set.name, "questions": len(questions), "ingest": {k: ingest[k] for k in ("ingested", "skipped", "failed")}}
    if "id_check" in ingest:
        check = ingest["id_check"]
        missing = set(check["missing_from_index"])
        report["id_check"] = {
            "files": check["files"],
            "matched": check["matched"],
            "in_index": check["in_index"],
            "mismatched": check["mismatched"],
            "missing_from_index": check["missing_from_index"],
            # Answerable questions none of whose relevant documents made it into the index.
            "questions_without_documents": [q.id for q in questions if q.relevant and not set(q.relevant) - missing],
        }
    try:
        report["retrieval"] = {}
        report["per_question"] = {}
        in_domain = [q for q in questions if not q.out_of_domain]
        for mode in modes:
            per_language: dict[str, Any] = {}
            latencies: list[float] = []
            ranked_by_q: dict[str, list[str]] = {}
            with component_times() as times:  # the query pipeline's components, per run (lagrum.components.timing)
                for q in in_domain:
                    started = time.perf_counter()
                    hits = service.pipelines.search(q.question, limit=RETRIEVE_CHUNKS, mode=mode)
                    latencies.append((time.perf_counter() - started) * 1000)
                    ranked_by_q[q.id] = ranked_documents(hits)
            for language in (*LANGUAGES, "all"):
                subset = [q for q in in_domain if language == "all" or q.language == language]
                per_language[language] = retrieval_metrics([q.relevant for q in subset], [ranked_by_q[q.id] for q in subset])
            per_language["p50_ms"] = round(_percentile(latencies, 50), 1)
            per_language["components"] = times.summary()
            report["retrieval"][mode] = per_language
            report["per_question"][mode] = {q.id: _first_rank(ranked_by_q[q.id], q.relevant) for q in in_domain}
        if ask:
            report["ask"] = _ask_metrics(service, questions, is_boilerplate_line)
    finally:
        service.close()
    return report


def _ask_metrics(service: Any, questions: list[Question], is_boilerplate_line: Any) -> dict[str, Any]:
    texts: dict[str, str] = {}
    rows: dict[str, dict[str, Any]] = {}
    latencies: list[float] = []
    from lagrum.components.timing import component_times

    with component_times() as times:
        results = {}
        for q in questions:
            started = time.perf_counter()
            results[q.id] = service.ask(q.question)
            latencies.append((time.perf_counter() - started) * 1000)
    for q in questions:
        result = results[q.id]
        citations = result["citations"]
        verbatim = 0
        boilerplate = 0
        for c in citations:
            if c["doc_id"] not in texts:
                texts[c["doc_id"]] = (service.get_document(c["doc_id"]) or {}).get("text", "")
            verbatim += texts[c["doc_id"]][c["start"] : c["end"]] == c["quote"]
            boilerplate += any(is_boilerplate_line(line) for line in c["quote"].splitlines() if line.strip())
        relevant_cited = [c for c in citations if c["doc_id"] in q.relevant]
        gold = _gold_span(service, texts, q)
        coverage = result.get("coverage") or ("direct" if result["found"] else "none")
        rows[q.id] = {
            "language": q.language,
            "ood": q.out_of_domain and not q.near_domain,
            "near": q.near_domain,
            "found": result["found"],
            "citations": len(citations),
            "relevant_citations": len(relevant_cited),
            "verbatim": verbatim,
            "boilerplate": boilerplate,
            "notes": len(result["notes"]),
            "kind": q.kind,
            # Status questions: the later ruling (the answer's document) is cited; `noted`: a status
            # note was added (expected only where a cited decision was overturned, not upheld).
            "status_ok": bool(q.answer) and any(c["doc_id"] == q.answer["doc_id"] for c in citations),
            "noted": bool(result["notes"]) and result["answer"].startswith(("Obs", "Note")),
            # Answer-level figures (see `_span_overlap`): the first quote, any quote, the coverage label.
            "decisive": bool(gold) and bool(citations) and _span_overlap(citations[0], gold),
            "answer_cited": bool(gold) and any(_span_overlap(c, gold) for c in citations),
            "has_gold": bool(gold),
            "coverage": coverage,
            "coverage_ok": coverage != "direct" if q.near_domain else coverage == _expected_coverage(q),
        }
    out: dict[str, Any] = {}
    for language in (*LANGUAGES, "all"):
        subset = [r for r in rows.values() if language == "all" or r["language"] == language]
        domain = [r for r in subset if not r["ood"] and not r["near"]]
        ood = [r for r in subset if r["ood"]]
        near = [r for r in subset if r["near"]]
        cited = sum(r["citations"] for r in subset)
        out[language] = {
            "questions": len(subset),
            "cites_relevant": _ratio(sum(1 for r in domain if r["relevant_citations"]), len(domain)),
            "citation_precision": _ratio(sum(r["relevant_citations"] for r in domain), sum(r["citations"] for r in domain)),
            "answered_in_domain": _ratio(sum(1 for r in domain if r["found"]), len(domain)),
            "verbatim_rate": _ratio(sum(r["verbatim"] for r in subset), cited) if cited else 1.0,
            "boilerplate_quotes": sum(r["boilerplate"] for r in subset),
            "ood_refusal_rate": _ratio(sum(1 for r in ood if not r["found"]), len(ood)),
            # Legal questions the corpus does not answer: refusing is right, citing is a false answer.
            "near_domain_questions": len(near),
            "near_domain_refusal_rate": _ratio(sum(1 for r in near if not r["found"]), len(near)),
            "status_questions": sum(1 for r in domain if r["kind"] == "status"),
            "status_later_cited": _ratio(sum(1 for r in domain if r["kind"] == "status" and r["status_ok"]), sum(1 for r in domain if r["kind"] == "status")),
            "status_noted": sum(1 for r in domain if r["kind"] == "status" and r["noted"]),
            # Answer-level figures. decisive@1 / answer_in_citations: over answerable questions with
            # a gold span; misgrounded: over answerable questions that got citations; coverage: each
            # question against its expected label (direct / not direct / none, `_expected_coverage`).
            "gold_questions": sum(1 for r in domain if r["has_gold"]),
            "decisive@1": _ratio(sum(1 for r in domain if r["decisive"]), sum(1 for r in domain if r["has_gold"])),
            "answer_in_citations": _ratio(sum(1 for r in domain if r["answer_cited"]), sum(1 for r in domain if r["has_gold"])),
            "misgrounded": _ratio(sum(1 for r in domain if r["citations"] and not r["relevant_citations"]), sum(1 for r in domain if r["citations"])),
            "coverage_accuracy": _ratio(sum(1 for r in subset if r["coverage_ok"]), len(subset)),
            "coverage_direct_answerable": _ratio(sum(1 for r in domain if r["coverage"] == "direct"), len(domain)),
            "coverage_not_direct_near": _ratio(sum(1 for r in near if r["coverage"] != "direct"), len(near)),
            "coverage_none_ood": _ratio(sum(1 for r in ood if r["coverage"] == "none"), len(ood)),
            "coverage_counts": {kind: sum(1 for r in subset if r["coverage"] == kind) for kind in ("direct", "related", "none")},
        }
    out["p50_ms"] = round(_percentile(latencies, 50), 1)
    out["p95_ms"] = round(_percentile(latencies, 95), 1)
    out["components"] = times.summary()
    out["per_question"] = rows
    return out


def _expected_coverage(q: Question) -> str:
    """The coverage an answer should carry: `direct` for an answerable question, `related` for a
    near-domain one (the corpus discusses the subject but does not answer; `none` counts as right
    too, see `coverage_ok`), `none` out of domain."""
    if q.relevant:
        return "direct"
    return "related" if q.near_domain else "none"


def _gold_span(service: Any, texts: dict[str, str], q: Question) -> dict[str, Any] | None:
    """The gold answer span of `q` as `{doc_id, start, end, quote}`: where `answer.quote` occurs in
    the stored text of `answer.doc_id` (exactly, else whitespace-normalised); offsets None when
    the stored text does not hold it verbatim."""
    if not q.relevant or not q.answer or not q.answer.get("quote") or not q.answer.get("doc_id"):
        return None
    doc_id, quote = q.answer["doc_id"], q.answer["quote"]
    if doc_id not in texts:
        texts[doc_id] = (service.get_document(doc_id) or {}).get("text", "")
    at = texts[doc_id].find(quote)
    return {"doc_id": doc_id, "quote": quote, "start": at if at >= 0 else None, "end": at + len(quote) if at >= 0 else None}


_SPACE = re.compile(r"\s+")


def _span_overlap(citation: dict[str, Any], gold: dict[str, Any]) -> bool:
    """Whether a cited quote overlaps the gold answer span.

    Same document, and either (a) the character ranges intersect by at least half of the shorter
    of the two (offsets into the document's canonical text; the gold span located by `_gold_span`),
    or (b) when the gold quote is not verbatim in the stored text, one whitespace-normalised,
    case-folded text contains the other.
    """
    if citation["doc_id"] != gold["doc_id"]:
        return False
    if gold["start"] is not None:
        shared = min(citation["end"], gold["end"]) - max(citation["start"], gold["start"])
        return shared > 0 and shared >= 0.5 * min(citation["end"] - citation["start"], gold["end"] - gold["start"])
    a, b = (_SPACE.sub(" ", t).strip().casefold() for t in (citation["quote"], gold["quote"]))
    return bool(a and b) and (a in b or b in a)


def _first_rank(ranked: list[str], relevant: list[str]) -> int | None:
    for n, doc_id in enumerate(ranked, 1):
        if doc_id in relevant:
            return n
    return None


def _ratio(a: float, b: float) -> float:
    return round(a / b, 4) if b else 0.0


def _percentile(values: list[float], p: int) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


# --- reports ------------------------------------------------------------------------


def _component_latency_lines(report: dict[str, Any]) -> list[str]:
    """Mean and p50 of each query-pipeline component (`lagrum.app.pipelines`), per retrieval mode and for `ask`."""
    rows = [(mode, m.get("components") or {}) for mode, m in report.get("retrieval", {}).items()]
    if "ask" in report:
        rows.append(("ask", report["ask"].get("components") or {}))
    if not any(components for _, components in rows):
        return []
    lines = ["", "## Latency per pipeline component (ms, mean / p50)", "", "| run | component | runs | mean ms | p50 ms |", "|---|---|---|---|---|"]
    for run, components in rows:
        for name, t in components.items():
            lines.append(f"| {run} | {name} | {t['runs']} | {t['mean_ms']} | {t['p50_ms']} |")
    return lines


def markdown_report(report: dict[str, Any]) -> str:
    lines = [f"# Evaluation: `{report['set']}` ({report['questions']} questions)", ""]
    lines += ["## Retrieval (documents ranked by their best chunk)", ""]
    lines += ["| mode | sv MRR@10 | sv recall@5 | sv nDCG@10 | en MRR@10 | en recall@5 | en nDCG@10 | all MRR@10 | p50 ms |", "|---|---|---|---|---|---|---|---|---|"]
    for mode, m in report["retrieval"].items():
        lines.append(
            f"| {mode} | {m['sv']['mrr@10']:.3f} | {m['sv']['recall@5']:.3f} | {m['sv']['ndcg@10']:.3f} | "
            f"{m['en']['mrr@10']:.3f} | {m['en']['recall@5']:.3f} | {m['en']['ndcg@10']:.3f} | {m['all']['mrr@10']:.3f} | {m['p50_ms']} |"
        )
    if "ask" in report:
        a = report["ask"]
        lines += ["", "## Answers (`ask`, hybrid retrieval)", ""]
        near = any(a[language].get("near_domain_questions") for language in LANGUAGES)
        near_head, near_rule = (" near-domain refused (n) |", "---|") if near else ("", "")
        lines += [
            f"| language | cites a relevant doc | citation precision | answered (in-domain) | verbatim quotes | boilerplate quotes | out-of-domain refused |{near_head} status: later ruling cited (n) | status: warning note |",
            f"|---|---|---|---|---|---|---|{near_rule}---|---|",
        ]
        for language in (*LANGUAGES, "all"):
            m = a[language]
            near_cell = f" {m['near_domain_refusal_rate']:.3f} ({m['near_domain_questions']}) |" if near else ""
            lines.append(
                f"| {language} | {m['cites_relevant']:.3f} | {m['citation_precision']:.3f} | {m['answered_in_domain']:.3f} | "
                f"{m['verbatim_rate']:.3f} | {m['boilerplate_quotes']} | {m['ood_refusal_rate']:.3f} |{near_cell} {m['status_later_cited']:.3f} ({m['status_questions']}) | {m['status_noted']} |"
            )
        lines += ["", "### Answer-level figures", ""]
        lines += [
            "`decisive@1`: the first quote overlaps the gold answer span; `answer_in_citations`: any quote does "
            "(same document, character ranges sharing at least half of the shorter one; whitespace-normalised "
            "containment either way when the gold quote is not verbatim in the stored text), over answerable "
            "questions with a gold span. `misgrounded`: answerable questions whose citations include no relevant "
            "document, over those with citations. `coverage`: direct for answerable, not direct for near-domain, "
            "none for out-of-domain.",
            "",
            "| language | decisive@1 (n) | answer_in_citations | misgrounded | coverage accuracy | answerable direct | near-domain not direct | out-of-domain none | direct / related / none |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for language in (*LANGUAGES, "all"):
            m = a[language]
            counts = m["coverage_counts"]
            lines.append(
                f"| {language} | {m['decisive@1']:.3f} ({m['gold_questions']}) | {m['answer_in_citations']:.3f} | {m['misgrounded']:.3f} | "
                f"{m['coverage_accuracy']:.3f} | {m['coverage_direct_answerable']:.3f} | {m['coverage_not_direct_near']:.3f} ({m['near_domain_questions']}) | "
                f"{m['coverage_none_ood']:.3f} | {counts['direct']} / {counts['related']} / {counts['none']} |"
            )
        lines += ["", f"`ask` latency: p50 {a['p50_ms']} ms, p95 {a['p95_ms']} ms."]
    lines += _component_latency_lines(report)
    if "id_check" in report:
        c = report["id_check"]
        lines += ["", "## Corpus ids (realdata files)", ""]
        lines.append(f"{c['files']} files; {c['matched']} read as exactly their expected id; {c['in_index']} expected ids in the index.")
        if c["mismatched"]:
            lines += ["", "Files not read as their expected id (until the native readers are merged, statute JSON, court and IMY records are read by the generic readers):", ""]
            for m in c["mismatched"][:40]:
                got = ", ".join(m["produced"]) or "nothing"
                lines.append(f"- `{m['path']}`: expected `{m['expected']}`, produced {got}" + (f" ({m['error']})" if m["error"] else ""))
            if len(c["mismatched"]) > 40:
                lines.append(f"- … and {len(c['mismatched']) - 40} more")
        if c["questions_without_documents"]:
            lines += ["", f"Questions none of whose relevant documents is in the index (they score 0): {len(c['questions_without_documents'])}."]
    misses = {mode: [q for q, rank in ranks.items() if rank != 1] for mode, ranks in report.get("per_question", {}).items()}
    if misses.get("hybrid"):
        lines += ["", f"Hybrid: questions whose first hit is not relevant: {', '.join(sorted(misses['hybrid']))}."]
    return "\n".join(lines) + "\n"


def write_chart(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    modes = list(report["retrieval"])
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, metric in zip(axes, ("mrr@10", "recall@5")):
        width = 0.38
        xs = range(len(modes))
        for offset, language in ((-width / 2, "sv"), (width / 2, "en")):
            ax.bar([x + offset for x in xs], [report["retrieval"][m][language][metric] for m in modes], width, label=language)
        ax.set_xticks(list(xs), modes)
        ax.set_title(f"{metric} by retrieval mode ({report['set']})")
        ax.set_ylim(0, 1.05)
        ax.axhline(0.9, color="grey", linewidth=0.8, linestyle="--")
        ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_reports(report: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    md = out_dir / f"{report['set']}.md"
    png = out_dir / f"{report['set']}.png"
    md.write_text(markdown_report(report), encoding="utf-8")
    write_chart(report, png)
    (out_dir / f"{report['set']}.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return md, png


def summary_line(values: list[float]) -> str:
    return f"p50 {statistics.median(values):.1f}" if values else "-"
