"""`lagrum eval --with`: arguments, the union index filled from cached per-set indexes, id collisions.

The question sets here are written in a temp dir by the tests: fictional test material (made-up
decisions and questions), a few one-chunk documents each, embedded with the real e5 model into
real Qdrant Edge shards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lagrum.errors import LagrumError
from lagrum.app.eval_distractors import (
    build_union,
    evaluate_with_distractors,
    named_in_question,
    resolve_with,
    set_component,
    union_settings,
)
from lagrum.app.evaluation import SETS_DIR, QuestionSet, build_index, evaluate
from lagrum.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
REALDATA = Path(os.environ.get("LAGRUM_REALDATA") or ROOT.parent / "shared" / "realdata")

# Made-up documents (fictional test material).
SET_A = [
    {"id": "test-dist-a-kamera", "title": "Fiktivt beslut om kamerabevakning i Lövby simhall", "language": "sv", "doc_type": "beslut",
     "text": "Fiktivt beslut. Lövby kommun får inte kamerabevaka omklädningsrummen i Lövby simhall. Bevakningen av entrén får fortsätta."},
    {"id": "test-dist-a-loggar", "title": "Fiktivt beslut om loggkontroll i Lövby vårdcentral", "language": "sv", "doc_type": "beslut",
     "text": "Fiktivt beslut. Lövby vårdcentral ska kontrollera loggarna över vem som läst patientjournaler varje månad."},
]
SET_B = [
    {"id": "test-dist-b-bil", "title": "Fiktivt beslut om GPS i Rönnbergs åkeris lastbilar", "language": "sv", "doc_type": "beslut",
     "text": "Fiktivt beslut. Rönnbergs åkeri får positionera lastbilarna under arbetstid men inte när förarna är lediga."},
    {"id": "test-dist-b-mejl", "title": "Fiktivt beslut om chefens läsning av mejl hos Tallkrogens bageri", "language": "sv", "doc_type": "beslut",
     "text": "Fiktivt beslut. Tallkrogens bageri fick inte läsa en tidigare anställds privata mejl efter anställningens slut."},
    {"id": "test-dist-b-fingeravtryck", "title": "Fictional decision on fingerprint clocks at Ashby Bakery", "language": "en", "doc_type": "beslut",
     "text": "Fictional decision. Ashby Bakery may not use fingerprint readers to record working hours; cards are enough."},
]


def write_set(directory: Path, documents: list[dict], questions: list[dict]) -> Path:
    directory.mkdir(parents=True)
    (directory / "documents.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in documents), encoding="utf-8")
    (directory / "questions.jsonl").write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions), encoding="utf-8")
    # No bundled corpus: the sets hold only their own few documents.
    (directory / "corpus.json").write_text(json.dumps({"bundled_corpus": False, "documents": []}), encoding="utf-8")
    return directory


def q(qid: str, question: str, relevant: list[str], language: str = "sv") -> dict:
    return {"id": qid, "question": question, "language": language, "kind": "general", "relevant": relevant}


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    """Two tiny sets with their per-set indexes built the way `lagrum eval` builds them (eval-<name>)."""
    tmp = tmp_path_factory.mktemp("distractors")
    a = write_set(tmp / "sets" / "seta", SET_A, [q("a-1", "Får Lövby kommun kamerabevaka omklädningsrummen i simhallen?", ["test-dist-a-kamera"])])
    b = write_set(
        tmp / "sets" / "setb",
        SET_B,
        [q("b-1", "Får åkeriet se var lastbilarna är när förarna är lediga?", ["test-dist-b-bil"]),
         q("b-2", "Hur bakar man surdegsbröd?", [])],
    )
    root = tmp / "data"
    for directory, documents in ((a, SET_A), (b, SET_B)):
        summary = build_index(QuestionSet.load(directory), Settings().with_(data_dir=root / f"eval-{directory.name}"))
        assert summary["failed"] == 0 and summary["ingested"] == len(documents)
    return {"a": a, "b": b, "root": root, "tmp": tmp}


def points_by_id(data_dir: Path) -> dict[str, object]:
    from lagrum.store.edge import EdgeStore

    store = EdgeStore.open(data_dir / "index", dim=384, create=False)
    try:
        return {p.id: p for points, _ in store.iter_points() for p in points if p.payload.get("kind") in ("chunk", "document")}
    finally:
        store.close()


def run_cli(args: list[str], env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lagrum.app.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})})


# --- arguments ----------------------------------------------------------------------------


def test_with_a_missing_folder_is_a_one_line_error_naming_it(tmp_path):
    missing = tmp_path / "no-such-documents"
    done = run_cli(["--data", str(tmp_path / "data"), "eval", "--set", "eval/data/dev", "--with", str(missing), "--no-ask"])
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert str(missing) in lines[0] and "no such file or folder" in lines[0] and "give a folder or file of documents" in lines[0]
    assert not (tmp_path / "data").exists()  # refused before anything was ingested


def test_with_real_without_the_realdata_folder_says_where_to_put_it(tmp_path):
    absent = tmp_path / "nowhere"
    done = run_cli(["--data", str(tmp_path / "data"), "eval", "--set", "eval/data/dev", "--with", "real"], env={"LAGRUM_REALDATA": str(absent)})
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert f"--with real: the realdata folder {absent} does not exist" in done.stderr and "LAGRUM_REALDATA" in done.stderr
    assert not (tmp_path / "data").exists()


def test_with_sets_names_every_other_bundled_set():
    if not REALDATA.is_dir():
        pytest.skip(f"REALDATA MISSING: {REALDATA} does not exist; set LAGRUM_REALDATA to the shared realdata folder to run this test")
    os.environ.setdefault("LAGRUM_REALDATA", str(REALDATA))
    components = resolve_with(["sets", "real"], SETS_DIR / "dev", Path("/data"))
    names = [c.name for c in components]
    assert "dev" not in names and names.count("real") == 1 and "holdout" in names
    real = next(c for c in components if c.name == "real")
    assert len(real.realdata) == len(json.loads((SETS_DIR / "real" / "corpus.json").read_text())["documents"])
    assert real.cache == Path("/data/eval-real") and not real.sources


def test_with_only_the_set_itself_names_no_distractors(sets):
    with pytest.raises(LagrumError, match="names no documents besides the set's own"):
        resolve_with([str(sets["a"])], sets["a"], sets["root"])


def test_a_documents_folder_named_like_the_set_gets_its_own_name(sets):
    folder = sets["tmp"] / "other" / "seta"
    folder.mkdir(parents=True)
    (folder / "note.txt").write_text("Fiktiv anteckning (testmaterial).", encoding="utf-8")
    components = resolve_with([str(folder), str(sets["b"])], sets["a"], sets["root"])
    assert [c.name for c in components] == ["seta-2", "setb"] and components[0].sources == [folder] and components[0].cache is None


def test_named_in_question_reads_sfs_and_eu_numbers():
    assert named_in_question("Vilket skydd ger lagen (2021:890) den som slår larm?", ["SFS 2021:890"])
    assert named_in_question("Vad innebär artikel 88 i dataskyddsförordningen?", ["EU 2016/679", "CELEX 32016R0679"])
    assert not named_in_question("Vad innebär artikel 88 i dataskyddsförordningen?", ["SFS 2018:218"])


# --- the union ----------------------------------------------------------------------------


def test_union_is_copied_from_the_cached_indexes_without_embedding(sets):
    components = [set_component(sets["a"], sets["root"]), set_component(sets["b"], sets["root"])]
    settings = union_settings(components, Settings(), sets["root"])
    assert settings.data_dir.name.startswith("eval-with-")
    union = build_union(components, settings)
    s = union.summary
    assert s["embedded"] == 0 and s["failed"] == 0, s
    assert s["copied_documents"] == 5 and s["skipped"] == 5 and s["documents"] == 5 and s["collisions"] == []
    assert union.owners["test-dist-a-kamera"] == "seta" and union.owners["test-dist-b-mejl"] == "setb"

    # The same points as the per-set indexes: ids, payloads and both vectors.
    copied = points_by_id(settings.data_dir)
    cached = {**points_by_id(sets["root"] / "eval-seta"), **points_by_id(sets["root"] / "eval-setb")}
    assert set(copied) == set(cached) and len(copied) == s["documents"] + s["chunks"]
    for point_id, point in cached.items():
        assert copied[point_id].payload == point.payload
        assert copied[point_id].dense == pytest.approx(point.dense)
        if point.sparse is not None:
            assert copied[point_id].sparse.indices == point.sparse.indices
            assert copied[point_id].sparse.values == pytest.approx(point.sparse.values)

    # A second run finds everything current and copies nothing.
    again = build_union(components, settings).summary
    assert again["copied_documents"] == 0 and again["embedded"] == 0 and again["skipped"] == 5
    assert again["built"]["copied_documents"] == 5  # the run that filled it is remembered

    # A union document older than the cache's (its per-set run re-ingested it since) is replaced
    # by the cache's version, not embedded again.
    from lagrum.index import Index

    index = Index.open(settings, create=False)
    try:
        record = index.store.get_document("test-dist-a-loggar")
        index.store.put_document({**record, "content_hash": "an-older-version"})
    finally:
        index.close()
    refreshed = build_union(components, settings).summary
    assert refreshed["copied_documents"] == 1 and refreshed["embedded"] == 0 and refreshed["chunks"] == s["chunks"]
    from lagrum.store.base import document_point_id

    after, doc_point = points_by_id(settings.data_dir), document_point_id("test-dist-a-loggar")
    assert after.keys() == copied.keys()
    assert after[doc_point].payload == cached[doc_point].payload and after[doc_point].dense == pytest.approx(cached[doc_point].dense)

    from lagrum.app.service import LagrumService

    service = LagrumService.open(settings, create=False)
    try:  # each set's question finds its document over the union (copied vectors and BM25 terms)
        for mode in ("dense", "bm25"):
            for question, doc_id in (("Får åkeriet se var lastbilarna är när förarna är lediga?", "test-dist-b-bil"),
                                     ("Får kommunen kamerabevaka omklädningsrummen i simhallen?", "test-dist-a-kamera")):
                hits = service.search(question, limit=3, mode=mode)["hits"]
                assert hits and hits[0]["doc_id"] == doc_id, (mode, question, hits)
    finally:
        service.close()


def test_evaluate_with_distractors_reports_both_sides(sets):
    alone = evaluate(sets["a"], Settings().with_(data_dir=sets["root"] / "eval-seta"), modes=["hybrid", "bm25"])
    components = resolve_with([str(sets["b"])], sets["a"], sets["root"])
    report = evaluate_with_distractors(sets["a"], components, Settings(), sets["root"], alone, modes=["hybrid", "bm25"])
    assert report["with_components"] == ["setb"]
    assert report["own_documents"] == 2 and report["distractor_documents"] == 3
    assert report["alone"]["retrieval"]["hybrid"]["sv"]["n"] == 1 and report["with"]["retrieval"]["hybrid"]["sv"]["n"] == 1
    assert set(report["delta"]["retrieval"]) == {"hybrid", "bm25"}
    assert report["delta"]["retrieval"]["hybrid"]["sv"]["mrr@10"] == pytest.approx(
        report["with"]["retrieval"]["hybrid"]["sv"]["mrr@10"] - report["alone"]["retrieval"]["hybrid"]["sv"]["mrr@10"], abs=1e-4
    )
    assert "ood_refusal_rate" in report["with"]["ask"]["all"] and "cites_relevant" in report["delta"]["ask"]["all"]
    from lagrum.app.eval_distractors import markdown_report, summary_table

    table = markdown_report(report)
    assert "| hybrid |" in table and "| bm25 |" in table and "out-of-domain refused" in table
    assert "| seta | sv |" in summary_table([report])


def test_colliding_ids_are_namespaced_and_identical_ones_shared(sets):
    """Set c reuses an id of set a for another text (a collision) and an id with the same document (shared)."""
    c_docs = [
        {**SET_A[0], "text": "Fiktivt beslut. Lövby kommun får kamerabevaka parkeringen vid simhallen nattetid."},  # same id, other text
        SET_A[1],  # the same document
    ]
    c = write_set(sets["tmp"] / "sets" / "setc", c_docs, [q("c-1", "Får kommunen kamerabevaka parkeringen nattetid?", ["test-dist-a-kamera"])])
    build_index(QuestionSet.load(c), Settings().with_(data_dir=sets["root"] / "eval-setc"))
    components = [set_component(sets["a"], sets["root"]), set_component(c, sets["root"])]
    union = build_union(components, union_settings(components, Settings(), sets["root"]))
    s = union.summary
    assert s["collisions"] == [{"id": "test-dist-a-kamera", "components": ["seta", "setc"], "renamed": ["seta--test-dist-a-kamera", "setc--test-dist-a-kamera"]}]
    assert s["shared_documents"] == ["test-dist-a-loggar"]
    assert s["documents"] == 3 and s["embedded"] == 2 and s["copied_documents"] == 1  # the renamed variants are embedded afresh
    assert union.renamed["setc"] == {"test-dist-a-kamera": "setc--test-dist-a-kamera"}

    # Set c's labels follow its own variant: its question finds the relabelled document first.
    alone = evaluate(c, Settings().with_(data_dir=sets["root"] / "eval-setc"), modes=["hybrid"], ask=False)
    report = evaluate_with_distractors(c, components[:1], Settings(), sets["root"], alone, modes=["hybrid"], ask=False)
    assert report["union"]["collisions"][0]["id"] == "test-dist-a-kamera"
    assert report["with"]["retrieval"]["hybrid"]["sv"]["mrr@10"] == 1.0


def test_bench_api_with_real_refuses_without_the_real_index(tmp_path):
    sys.path.insert(0, str(ROOT / "eval"))
    import bench_api

    with pytest.raises(SystemExit, match="lagrum.app.cli --data .* eval --set real"):
        bench_api.real_index(tmp_path / "data", tmp_path / "copy", print)


def test_a_document_the_question_names_by_number_counts_as_relevant_beside_the_labels(tmp_path):
    """A question naming a statute's number ("lagen (2099:1)") is answered by that statute too: with it
    among the distractors, the report gives the as-labelled figure and the one with it relevant."""
    from lagrum.app.eval_distractors import markdown_report, summary_table

    # Made-up documents and a made-up statute number (fictional test material).
    own = [{"id": "test-named-artikel", "title": "Fiktiv artikel om provlagen", "language": "sv", "doc_type": "nyhet",
            "text": "Fiktiv nyhet. Provlagen ger den som rapporterar om fel i provverksamheten skydd mot repressalier."}]
    other = [{"id": "test-named-lag", "title": "Fiktiv lag (2099:1) om skydd i provverksamhet", "language": "sv", "doc_type": "lag",
              "text": "1 § Den som rapporterar om missförhållanden i provverksamhet får inte utsättas för repressalier enligt denna lag (2099:1)."}]
    a = write_set(tmp_path / "sets" / "named", own, [q("n-1", "Vilket skydd ger lagen (2099:1) den som rapporterar om missförhållanden i provverksamhet?", ["test-named-artikel"])])
    b = write_set(tmp_path / "sets" / "statute", other, [q("s-1", "Vad säger lagen (2099:1)?", ["test-named-lag"])])
    root = tmp_path / "data"
    for directory in (a, b):
        assert build_index(QuestionSet.load(directory), Settings().with_(data_dir=root / f"eval-{directory.name}"))["failed"] == 0
    alone = evaluate(a, Settings().with_(data_dir=root / "eval-named"), modes=["hybrid"], ask=False)
    report = evaluate_with_distractors(a, resolve_with([str(b)], a, root), Settings(), root, alone, modes=["hybrid"], ask=False)
    named = report["labels_with_named"]
    assert named["questions_with_named_documents"] == [{"id": "n-1", "language": "sv", "named": ["test-named-lag"]}], named
    # The as-labelled figure is the report's own; with the named statute relevant it is 1.0.
    assert named["as_labelled"]["sv"]["mrr@10"] == report["with"]["retrieval"]["hybrid"]["sv"]["mrr@10"]
    assert named["as_labelled"]["sv"]["mrr@10"] < 1.0  # the statute ranks above the article about it
    assert named["named_relevant"]["sv"]["mrr@10"] == 1.0
    assert "named documents relevant" in markdown_report(report) and "| named | sv |" in summary_table([report])
