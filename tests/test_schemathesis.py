"""Schemathesis against the real app on a real uvicorn: every check, a bounded number of cases.

Two runs over the OpenAPI document the server itself serves:

* without a key, over the session's corpus index (reads answer; writes must be refused with 401);
* with a key, over a fresh index of its own, so the generated writes (made-up documents and
  deletes) land where nothing else reads. After that run the test checks that the index still
  opens and agrees with itself (every listed document can be fetched).

Each operation gets `MAX_EXAMPLES` generated cases plus schemathesis' own examples and coverage
cases; the last test prints how many cases each run checked, what the writes answered and how
long the runs took.
"""

from __future__ import annotations

import time
from collections import Counter
from urllib.parse import quote

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="SCHEMATHESIS MISSING: it is in the dev extra; pip install -e '.[dev]'")
from hypothesis import HealthCheck, settings  # noqa: E402

from tests.conftest import API_KEY, LiveServer  # noqa: E402

MAX_EXAMPLES = 8
AUTH = {"Authorization": f"Bearer {API_KEY}"}
SENT: dict[str, int] = {"anonymous": 0, "keyed": 0}
WRITES: Counter = Counter()  # (method, status) of the keyed run's writes
STARTED: dict[str, float] = {}


def _document() -> dict:
    """The OpenAPI document a loopback server with keys serves (the fixtures check it is the same).

    Built at import: schemathesis' lazy fixture loader does not work with this pytest, and the
    document depends on nothing but the settings (no index is opened before startup).
    """
    from api.app import create_app
    from lagrum.settings import Settings

    return create_app(Settings().with_(api_keys=(API_KEY,)), host="127.0.0.1").openapi()


DOCUMENT = _document()


@pytest.fixture(scope="module")
def anonymous_url(corpus_settings, corpus_service):
    import httpx

    from api.app import create_app

    with LiveServer(create_app(corpus_settings, service=corpus_service)) as server:
        assert httpx.get(f"{server.url}/openapi.json").json() == DOCUMENT
        STARTED.setdefault("anonymous", time.perf_counter())
        yield server.url


@pytest.fixture(scope="module")
def keyed_env(tmp_path_factory, corpus_settings, embedder):
    import httpx

    from api.app import create_app
    from lagrum.index import Index
    from lagrum.app.service import LagrumService

    settings = corpus_settings.with_(data_dir=tmp_path_factory.mktemp("schemathesis-writes"))
    service = LagrumService(Index.open(settings, create=True, embedder=embedder))
    with LiveServer(create_app(settings, service=service)) as server:
        assert httpx.get(f"{server.url}/openapi.json").json() == DOCUMENT
        STARTED.setdefault("keyed", time.perf_counter())
        yield server, service
    service.close()


HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)

# The one relaxation: a schema-valid document can still be refused by the loader's own rules
# (text that cleans down to nothing, an id or relation the loader rejects, two records with one
# id) and an uploaded file's format goes by its name (`file.png` is 415), neither of which
# JSON Schema can state; POST /documents answers those with its declared 207, 415 or 422.
# Every other check, and every other operation, runs as schemathesis ships it.
CONFIG = schemathesis.Config.from_str(
    """
[[operations]]
include-name = "POST /documents"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "415", "422", "429", "5xx"]
"""
)
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)


def in_order(case) -> None:
    """`since` after `until` is refused (422) by a rule JSON Schema cannot state: swap such pairs."""
    for holder in (case.query, (case.body or {}).get("filters") if isinstance(case.body, dict) else None):
        if isinstance(holder, dict) and isinstance(holder.get("since"), str) and isinstance(holder.get("until"), str):
            if holder["since"] > holder["until"]:
                holder["since"], holder["until"] = holder["until"], holder["since"]


@schema.parametrize()
@HYPOTHESIS
def test_api_without_a_key(case, anonymous_url):
    SENT["anonymous"] += 1
    in_order(case)
    response = case.call_and_validate(base_url=anonymous_url)
    if case.method == case.operation.method.upper() and case.method in ("POST", "DELETE") and case.path.startswith("/documents"):
        assert response.status_code == 401, (case.method, case.path, response.status_code, response.text[:300])


@schema.parametrize()
@HYPOTHESIS
def test_api_with_a_key(case, keyed_env):
    server, _ = keyed_env
    SENT["keyed"] += 1
    in_order(case)
    response = case.call_and_validate(base_url=server.url, headers=AUTH)
    if case.method == case.operation.method.upper() and case.method in ("POST", "DELETE"):
        WRITES[(case.method, response.status_code)] += 1


def test_the_written_index_is_consistent_after_the_keyed_run(keyed_env):
    """Whatever the generated writes did, every listed document opens and the counts agree."""
    import httpx

    server, service = keyed_env
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=60) as http:
        listed, offset = [], 0
        while True:
            page = http.get("/documents", params={"offset": offset, "limit": 200}).json()
            listed += page["documents"]
            offset += 200
            if offset >= page["total"]:
                break
        assert len(listed) == len({d["id"] for d in listed}) == service.stats()["documents"]
        for record in listed:
            shown = http.get("/documents/" + quote(record["id"], safe=""))
            assert shown.status_code == 200, (record["id"], shown.text[:200])
    elapsed = {name: round(time.perf_counter() - t, 1) for name, t in STARTED.items()}
    print(f"\nschemathesis: {SENT} cases checked; seconds since each run started: {elapsed}; {len(listed)} documents kept; writes {dict(WRITES)}")
    assert SENT["keyed"] > 0
