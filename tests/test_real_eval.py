"""The real evaluation set (`eval/data/real`): its question file validates against the real
documents, the manifest's files exist with the ids the native readers are to produce, and
`lagrum eval` reads a set's realdata files in place.

Real documents are read from the shared realdata folder (`../shared/realdata` from the repository
root, or `$LAGRUM_REALDATA`); the tests skip loudly when it is absent. Nothing here embeds the
real corpus: the one end-to-end run uses four small real files.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from lagrum.errors import LagrumError
from lagrum.app.evaluation import QuestionSet, expected_doc_id, manifest_entries, realdata_root, resolve_set

ROOT = Path(__file__).resolve().parents[1]
REAL_SET = ROOT / "eval" / "data" / "real"


def _realdata() -> Path:
    root = realdata_root()
    if not root.is_dir():
        pytest.skip(f"REALDATA MISSING: {root} does not exist; set LAGRUM_REALDATA to the shared realdata folder to run this test")
    return root


def _check_module():
    spec = importlib.util.spec_from_file_location("real_check", REAL_SET / "check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_real_question_set_validates_against_the_real_documents():
    _realdata()
    problems, summary = _check_module().run(REAL_SET, texts=True)
    assert problems == []
    assert summary["texts_checked"] and summary["questions"] >= 60 and summary["documents"] >= 100


def test_check_finds_a_quote_that_is_not_in_its_document(tmp_path):
    _realdata()
    (tmp_path / "corpus.json").write_text((REAL_SET / "corpus.json").read_text(encoding="utf-8"), encoding="utf-8")
    rows = [json.loads(line) for line in (REAL_SET / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    answered = next(r for r in rows if r["answer"] and r["answer"]["doc_id"] == "sfs-2009-400")
    answered["answer"]["quote"] = "Sekretess gäller aldrig för personuppgifter."  # made up: not in the statute
    near = next(r for r in rows if r["kind"] == "near-domain")
    near["absent_terms"] = ["dataskyddsförordning"]  # occurs in the corpus, so the check must object
    (tmp_path / "questions.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    problems, _ = _check_module().run(tmp_path, texts=True)
    assert any("not a verbatim span of sfs-2009-400" in p for p in problems)
    assert any("near-domain term 'dataskyddsförordning' occurs in" in p for p in problems)


def test_manifest_files_exist_and_carry_their_expected_ids():
    root = _realdata()
    entries = manifest_entries(REAL_SET)
    assert len(entries) >= 100
    missing = [e["path"] for e in entries if not (root / e["path"]).is_file()]
    assert missing == [], f"manifest files missing from {root}: {missing[:5]}"
    wrong = [(e["path"], e["doc_id"], expected_doc_id(Path(e["path"]), root)) for e in entries if expected_doc_id(Path(e["path"]), root) != e["doc_id"]]
    assert wrong == []
    # The id rules of the native readers, on files named in the brief.
    by_path = {e["path"]: e["doc_id"] for e in entries}
    assert by_path["rkrattsbaser-sfs-json/sfs-2009-400.json"] == "sfs-2009-400"
    assert by_path["domstol-avgoranden/HD/record_003.json"] == "hd-of-5877-24"
    assert by_path["domstol-avgoranden/HFD/HFD-3217-21.json"] == "hfd-3217-21"
    assert by_path["imy-decisions/record_0004.json"] == "imy-miljodata-i-karlskrona-ab"
    assert by_path["gdpr-sv/gdpr-transformed.html"] == "eu-2016-679"
    assert by_path["afs-arbetsmiljoverket/AFS-2023-1.pdf"] == "afs-2023-1"
    assert by_path["ferenda-lagen-nu/dv/HFD-2014-not-85.xhtml"] == "hfd-2014-not-85"
    assert by_path["ferenda-lagen-nu/jo/jo-2012-6356.xhtml"] == "jo-2012-6356"
    assert by_path["domstol-avgoranden/hovratter-specialdomstolar/record_012.json"] == "mod-m-3878-25"


def test_real_set_by_name_and_a_missing_realdata_folder_says_what_to_do(tmp_path, monkeypatch):
    assert resolve_set("real") == REAL_SET
    question_set = QuestionSet.load(REAL_SET)
    assert len(question_set.realdata_files) >= 100 and not question_set.bundled_corpus
    monkeypatch.setenv("LAGRUM_REALDATA", str(tmp_path / "nowhere"))
    from lagrum.app.evaluation import document_sources

    with pytest.raises(LagrumError, match="LAGRUM_REALDATA"):
        document_sources(question_set)
    with pytest.raises(LagrumError, match="no such question set"):
        resolve_set("no-such-set")


def test_html_read_again_in_one_process_keeps_its_text(tmp_path):
    """Made-up page: reading the same HTML a fourth time in a process used to yield no text."""
    from ingest.loaders import iter_documents

    page = tmp_path / "sida.html"
    paragraphs = "".join(f"<p>Stycke {n}: påhittad testtext om tillsyn och personuppgifter, skriven för detta test.</p>" for n in range(6))
    page.write_text(f"<html><head><title>Testsida</title></head><body><article>{paragraphs}</article></body></html>", encoding="utf-8")
    texts = [next(iter(iter_documents([page]))).text for _ in range(4)]
    assert all(t == texts[0] and "Stycke 5" in t for t in texts)


def test_eval_reads_a_sets_realdata_files_in_place(tmp_path, capsys):
    """`lagrum eval` on a tiny set of four small real files (no bundled corpus), ids checked."""
    _realdata()
    from lagrum.app.cli import main

    files = {
        "ferenda-lagen-nu/dv/AD-2013-63.xhtml": "ad-2013-63",
        "ferenda-lagen-nu/jo/jo-2004-1000.xhtml": "jo-2004-1000",
        "imy-decisions/record_0008.json": "imy-sverigedemokraterna",
        "rkrattsbaser-sfs-json/sfs-2025-1582.json": "sfs-2025-1582",
    }
    manifest = {"bundled_corpus": False, "documents": [{"path": p, "doc_id": d, "role": "on-topic"} for p, d in files.items()]}
    set_dir = tmp_path / "mini-real"
    set_dir.mkdir()
    (set_dir / "corpus.json").write_text(json.dumps(manifest), encoding="utf-8")
    questions = [
        {"id": "q-sv-1", "question": "Vilken ersättning fick receptionisten som ombads visa läkarintyg under föräldraledigheten?", "language": "sv", "kind": "outcome",
         "relevant": ["ad-2013-63"], "answer": {"doc_id": "ad-2013-63", "quote": "förpliktar Arbetsdomstolen Grünberger Advokater AB att till S.J. betala 30 000 kr"}},
        {"id": "q-en-1", "question": "What did the Ombudsman say about the board member who phoned a claimant at home?", "language": "en", "kind": "outcome",
         "relevant": ["jo-2004-1000"], "answer": {"doc_id": "jo-2004-1000", "quote": "U.O. kan inte undgå allvarlig kritik för sitt agerande."}},
        {"id": "q-en-2", "question": "What fine did the data protection authority impose on Spotify?", "language": "en", "kind": "near-domain", "relevant": [], "answer": None},
        {"id": "q-sv-2", "question": "Hur länge ska ett ägg koka?", "language": "sv", "kind": "out-of-domain", "relevant": [], "answer": None},
    ]
    (set_dir / "questions.jsonl").write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions), encoding="utf-8")
    code = main(["--data", str(tmp_path / "data"), "eval", "--set", str(set_dir), "--mode", "hybrid", "--out", str(tmp_path / "reports"), "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    check = report["id_check"]
    assert check["files"] == 4
    # The generic readers already give the ferenda files their expected ids; statute JSON waits for its reader.
    assert "ad-2013-63" not in check["missing_from_index"] and "jo-2004-1000" not in check["missing_from_index"]
    assert check["matched"] + len(check["mismatched"]) == 4
    assert report["retrieval"]["hybrid"]["all"]["n"] == 2  # near-domain and out-of-domain are not retrieval questions
    assert report["ask"]["all"]["near_domain_questions"] == 1
    assert report["ask"]["sv"]["near_domain_questions"] == 0 and report["ask"]["en"]["near_domain_questions"] == 1
    assert "## Corpus ids (realdata files)" in (tmp_path / "reports" / "mini-real.md").read_text(encoding="utf-8")
