"""One token-heavy question must not hold the embedder; the first /ask must not embed the topics.

Audit defect 3: `q` of 2,000 × "ﷺ" (8,004 tokens after NFKC) took 28 s on /search, holding the
embedder's lock; the first /ask after start embedded the relevance bar's topic lines (3.4 s)
under the same lock. Real e5 model, real Edge shard, real uvicorn.
"""

from __future__ import annotations

import httpx
import numpy as np

from tests.conftest import LiveServer

HEAVY = "ﷺ" * 2000  # 2,000 characters, within the API's limit; 8,004 tokens once normalised


def test_a_query_is_cut_to_the_model_limit_before_embedding(embedder):
    fitted = embedder.fit(HEAVY)
    assert embedder.count_tokens(HEAVY) > 4 * embedder.max_tokens
    assert embedder.count_tokens(fitted) <= embedder.max_tokens
    # What is embedded is the cut text: the same vector as embedding the cut text directly.
    assert np.allclose(embedder.embed_query(HEAVY), np.asarray(embedder._model.query(fitted), dtype=np.float32), atol=1e-6)
    assert embedder.fit("Får arbetsgivaren spela in skärmar?") == "Får arbetsgivaren spela in skärmar?"


def test_heavy_query_is_answered(live_server):
    response = httpx.get(f"{live_server.url}/search", params={"q": HEAVY, "limit": 3}, timeout=120)
    assert response.status_code in (200, 422), response.text  # answered either way, never a 5xx


def test_topic_vectors_are_built_at_start_and_kept(fresh_settings, embedder, monkeypatch):
    from api.app import create_app
    from lagrum.index import Index
    from lagrum.app.service import LagrumService

    service = LagrumService(Index.open(fresh_settings, embedder=embedder))
    try:
        with LiveServer(create_app(fresh_settings, service=service)):
            assert service.composer._background is not None  # before any question
        cached = list((fresh_settings.data_dir / "cache").glob("background-*.npy"))
        assert len(cached) == 1
        first = service.composer._background
    finally:
        service.close()

    calls = []
    original = embedder.embed_passages
    monkeypatch.setattr(embedder, "embed_passages", lambda texts: calls.append(len(texts)) or original(texts))
    again = LagrumService(Index.open(fresh_settings, embedder=embedder))
    try:
        again.warm_up()
        assert calls == []  # read from the data directory, not embedded again
        assert np.allclose(again.composer._background, first)
    finally:
        again.close()
