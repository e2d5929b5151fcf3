"""Shared fixtures: the real e5 model, real Qdrant Edge shards in temp dirs, a real uvicorn server.

The bundled corpus is ingested once per test session into a temp index (`corpus_service`);
tests that write get their own small index (`fresh_settings`). One process may open an Edge
shard only once, so the live HTTP server runs in a thread of this process on the same service.
"""

from __future__ import annotations

import contextlib

import atexit
import os
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest

from lagrum.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus" / "documents"
TEST_DATA = Path(__file__).resolve().parent / "data"
REALDATA = Path(os.environ.get("LAGRUM_REALDATA") or ROOT.parent / "shared" / "realdata")
API_KEY = "test-key-not-secret"
# FastAPI's TestClient sends `Host: testserver`; LiveServer requests name 127.0.0.1.
TEST_HOSTS = ("testserver", "127.0.0.1", "localhost")

# Many tests index the same documents (the bundled corpus, a few real statutes), in this process
# and in the `lagrum` processes they start. The real e5 vectors of a text are computed once per
# test session and kept in a session-private vector cache (lagrum.vector_cache), which `lagrum`
# subprocesses inherit through the environment. Tests that count model calls or time the model
# build their own `E5Embedder`, which has no cache unless given one.
if not os.environ.get("LAGRUM_EMBED_CACHE"):
    _vector_cache = tempfile.mkdtemp(prefix="lagrum-test-vectors-")
    os.environ["LAGRUM_EMBED_CACHE"] = _vector_cache
    atexit.register(shutil.rmtree, _vector_cache, True)


@pytest.fixture(scope="session")
def embedder():
    from lagrum.embedders import load_embedder

    return load_embedder(Settings().embedder)


@pytest.fixture(scope="session")
def corpus_settings(tmp_path_factory) -> Settings:
    data = tmp_path_factory.mktemp("corpus-index")
    return Settings().with_(data_dir=data, api_keys=(API_KEY,), cors_origins=("http://127.0.0.1:9",), allowed_hosts=TEST_HOSTS)


@pytest.fixture(scope="session")
def corpus_service(corpus_settings, embedder):
    """The bundled corpus plus the labelled test documents in tests/data, ingested once."""
    from ingest.loaders import iter_documents
    from ingest.pipeline import IngestPipeline
    from lagrum.index import Index
    from lagrum.app.service import LagrumService

    index = Index.open(corpus_settings, create=True, embedder=embedder)
    summary = IngestPipeline(index).ingest(iter_documents([CORPUS, TEST_DATA / "legal"]))
    assert summary.failed == 0, summary.errors
    service = LagrumService(index)
    yield service
    service.close()


@pytest.fixture()
def fresh_settings(tmp_path) -> Settings:
    return Settings().with_(data_dir=tmp_path / "data", api_keys=(API_KEY,), allowed_hosts=TEST_HOSTS)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """uvicorn serving an app in a background thread on a free loopback port."""

    def __init__(self, app):
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.time() + 30
        while not self.server.started:
            if time.time() > deadline:
                raise RuntimeError("uvicorn did not start within 30 s")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(corpus_settings, corpus_service):
    """The real app on a real uvicorn, over the session's corpus index."""
    from api.app import create_app

    with LiveServer(create_app(corpus_settings, service=corpus_service)) as server:
        yield server


def realdata_files(*names: str) -> list[Path]:
    """The real files `names` (paths under ../shared/realdata or `$LAGRUM_REALDATA`); the test is
    skipped, loudly, when one is missing."""
    files = [REALDATA / name for name in names]
    missing = [f for f in files if not f.exists()]
    if missing:
        pytest.skip(f"REALDATA MISSING: {missing[0]}; set LAGRUM_REALDATA to the shared realdata folder (see its SOURCES.md)")
    return files


@contextlib.contextmanager
def service_over(files, settings: Settings, embedder):
    """A `LagrumService` over a fresh index at `settings` holding exactly `files` (real readers,
    the real e5 model, a real Qdrant Edge shard); every file must ingest. An item may also be a
    `Document` already read (a real document cut at test time)."""
    from ingest.loaders import iter_documents
    from lagrum.app.service import LagrumService
    from lagrum.documents import Document
    from lagrum.index import Index

    service = LagrumService(Index.open(settings, create=True, embedder=embedder))
    try:
        documents = [d for f in files for d in ([f] if isinstance(f, Document) else iter_documents([f]))]
        summary = service.add_documents(documents)
        assert summary["failed"] == 0 and summary["ingested"] == len(files), summary
        yield service
    finally:
        service.close()
