"""BM25 sparse vectors from Qdrant Edge's own tokenizer, one Swedish analyzer for every text.

Why one analyzer for both languages: BM25 matches token ids, so documents and queries must be
analysed alike. Per-language analyzers would put English and Swedish documents in two token
spaces a query could only half reach. The corpus is Swedish, and the terms that BM25 exists for
here — statute numbers, dnr, names, "23 §" — are language-neutral; English questions reach the
Swedish text through dense retrieval and through glossary expansion (`lagrum.legal.query`).

>>> encoder = Bm25Encoder()
>>> vector = encoder.document("23 § kameraövervakningslagen")
>>> len(vector.indices) > 0
True
"""

from __future__ import annotations

import qdrant_edge as qe

from lagrum.store.base import SparseVector

BM25_LANGUAGE = "swedish"
BM25_LANGUAGE_CODE = "sv"  # the questions and documents it reads as words (lagrum.language codes)
BM25_AVG_LEN = 180.0  # words per chunk, near what the chunker produces


class Bm25Encoder:
    """Document and query sparse vectors (term frequencies; the index applies IDF)."""

    config_id = f"bm25:{BM25_LANGUAGE}:avg{int(BM25_AVG_LEN)}"

    def __init__(self) -> None:
        self._model = qe.Bm25(qe.Bm25Config(language=BM25_LANGUAGE, avg_len=BM25_AVG_LEN))

    def document(self, text: str) -> SparseVector:
        vector = self._model.embed_document(text)
        return SparseVector(list(vector.indices), list(vector.values))

    def query(self, text: str) -> SparseVector:
        vector = self._model.embed_query(text)
        return SparseVector(list(vector.indices), list(vector.values))
