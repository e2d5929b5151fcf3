"""Warnings belong to what they are about, on the real files in ../shared/realdata.

* Dataskyddslagen (SFS 2018:218) says "Genom lagen upphävs personuppgiftslagen (1998:204)": it is
  the successor, and its hits must not warn that Personuppgiftslagen no longer applies.
* IMY's decision on Polismyndigheten of 2026-01-22 writes "I den tidigare kameraövervakningslagen
  (2013:460), KÖL, ..." : a historical mention years after the repeal, no repeal warning.
* Regeringsformen names Regeringsrätten in passing; the court's renaming is not its warning.
* The repealed Personuppgiftslag (repealed in its own metadata) carries its own repeal warning.
* Every warning names what triggered it (`trigger`: the citation and its passage, the field).

The statutes come from `swedish-law-mcp-seeds/` (the reader for that folder is written
separately; until `ingest.formats.law_provisions` exists, `_seed_document` below turns a file
into a Document the way a statute reader does: its sections as text, its identifier, and
`repealed`/`replaced_by` from the file's own status and description). The IMY decision is read
by the real IMY reader. The real annotator, the pipeline's authority finder, the real registry
and the real relation graph compute the warnings; no embedding is needed for them.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from ingest.loaders import iter_documents
from lagrum.documents import Document
from lagrum.legal.annotate import annotate_document
from lagrum.legal.graph import build_graph
from lagrum.legal.registry import default_registry
from lagrum.legal.status import record_warnings

ROOT = Path(__file__).resolve().parents[1]
REALDATA = Path(os.environ.get("LAGRUM_REALDATA") or ROOT.parent / "shared" / "realdata")


def _real(relative: str) -> Path:
    path = REALDATA / relative
    if not path.exists():
        pytest.skip(f"REALDATA MISSING: {path} (see ../shared/realdata/SOURCES.md; set LAGRUM_REALDATA)")
    return path


def _seed_document(path: Path) -> Document:
    try:
        import ingest.formats.law_provisions  # noqa: F401  (the folder's own reader, when it exists)

        documents = [d for d in iter_documents([path]) if hasattr(d, "text")]
        if documents:
            return documents[0]
    except ImportError:
        pass
    data = json.loads(path.read_text(encoding="utf-8"))
    sfs = data["id"]
    text = "\n\n".join(f"{p.get('section') or p['provision_ref']} §\n{p['content']}" for p in data["provisions"])
    extra = {"identifiers": [f"SFS {sfs}"]}
    repealed = re.search(r"Upphävd (\d{4}-\d{2}-\d{2})(?: genom SFS (\d{4}:\d+))?", data.get("description") or "")
    if data.get("status") == "repealed" and repealed:
        extra["repealed"] = repealed.group(1)
        if repealed.group(2):
            extra["replaced_by"] = f"SFS {repealed.group(2)}"
    return Document(id=f"sfs-{sfs.replace(':', '-')}", title=data["title"], text=text, date=data.get("issued_date"), doc_type="lag", extra=extra)


def _record(document: Document) -> dict:
    from ingest.pipeline import _authorities_mentioned

    record = {**document.metadata(), "state": "complete"}
    annotate_document(document, [], record)
    record["authorities"] = _authorities_mentioned(document)
    return record


@pytest.fixture(scope="module")
def records():
    documents = [
        _seed_document(_real("swedish-law-mcp-seeds/dataskyddslagen.json")),
        _seed_document(_real("swedish-law-mcp-seeds/personuppgiftslagen.json")),
        _seed_document(_real("swedish-law-mcp-seeds/regeringsformen.json")),
        next(d for d in iter_documents([_real("imy-decisions/record_0001.json")]) if hasattr(d, "text")),
    ]
    return {d.id: _record(d) for d in documents}


@pytest.fixture(scope="module")
def warnings(records):
    registry = default_registry()
    graph = build_graph(list(records.values()))
    return {doc_id: record_warnings(registry, graph, record) for doc_id, record in records.items()}


def test_dataskyddslagen_is_not_warned_that_personuppgiftslagen_is_repealed(records, warnings):
    assert "SFS 1998:204" in records["sfs-2018-218"]["citations"]  # it does cite the old law
    assert not [w for w in warnings["sfs-2018-218"] if w.get("statute") == "SFS 1998:204"]
    assert not any("Personuppgiftslag" in w["message"] and "gäller inte längre" in w["message"] for w in warnings["sfs-2018-218"])


def test_a_2026_imy_decision_is_not_warned_that_kameraovervakningslagen_is_repealed(records, warnings):
    imy = next(doc_id for doc_id, r in records.items() if doc_id.startswith("imy-"))
    assert records[imy]["date"] >= "2026-01-01"
    assert "SFS 2013:460" in {" ".join(c.split()[:2]) for c in records[imy]["citations"]}
    assert not [w for w in warnings[imy] if w["kind"] == "repealed"]


def test_regeringsformen_is_not_warned_that_regeringsratten_was_renamed(records, warnings):
    assert "regeringsratten" in records["sfs-1974-152"]["authorities"] or any(
        "Regeringsrätten" in a for a in records["sfs-1974-152"]["authorities"]
    ), records["sfs-1974-152"]["authorities"]
    assert not [w for w in warnings["sfs-1974-152"] if w["kind"] == "renamed"]


def test_the_repealed_personuppgiftslag_carries_its_own_repeal_warning(warnings):
    own = [w for w in warnings["sfs-1998-204"] if w["kind"] == "repealed" and w.get("own")]
    assert len(own) == 1, warnings["sfs-1998-204"]
    assert own[0]["date"] == "2018-05-25" and own[0]["replaced_by"] == "SFS 2018:218"
    assert own[0]["trigger"]["field"] == "repealed"
    assert "gäller inte längre" in own[0]["message"] and "2018-05-25" in own[0]["message"]


def test_every_warning_names_its_trigger(warnings):
    for doc_id, found in warnings.items():
        for warning in found:
            assert warning.get("trigger"), (doc_id, warning)


def test_a_text_relying_on_the_old_law_before_its_repeal_is_warned_with_the_passage(records):
    """Made-up text (not a real document): a 2016 guidance applying PUL in the present tense."""
    text = "Vägledning om kameror.\n\nEnligt 9 § personuppgiftslagen (1998:204) får personuppgifter bara samlas in för särskilda ändamål."
    document = Document(id="made-up-vagledning-2016", title="Vägledning om kameror (påhittad)", text=text, date="2016-03-01", doc_type="vägledning")
    record = _record(document)
    found = record_warnings(default_registry(), build_graph([*records.values(), record]), record)
    repealed = [w for w in found if w["kind"] == "repealed"]
    assert [w["statute"] for w in repealed] == ["SFS 1998:204"]
    trigger = repealed[0]["trigger"]
    assert text[trigger["start"] : trigger["end"]] == trigger["raw"] and "9 § personuppgiftslagen" in trigger["passage"]
