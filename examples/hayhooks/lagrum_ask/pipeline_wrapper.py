"""Serve Lagrum's query pipeline with Hayhooks: `hayhooks pipeline deploy-files -n lagrum_ask examples/hayhooks/lagrum_ask`.

The wrapper builds the pipeline `lagrum pipeline dump query` prints, over the index in
`LAGRUM_DATA` (default ./data), and answers `POST /lagrum_ask/run` with `{"question": "..."}`.
"""

from __future__ import annotations

from hayhooks import BasePipelineWrapper

from lagrum.app.pipelines import build_query_pipeline
from lagrum.settings import Settings


class PipelineWrapper(BasePipelineWrapper):
    def setup(self) -> None:
        self.pipeline = build_query_pipeline(Settings.from_env())

    def run_api(self, question: str) -> dict:
        """Answer a question about Swedish law with cited, verbatim passages from the Lagrum index."""
        result = self.pipeline.run({"query_embedder": {"text": question}, "retriever": {"query": question}, "composer": {"query": question}})
        return result["composer"]["answer"]
