"""Send documents to a running Lagrum server (`lagrum ingest --server URL`).

Used when `lagrum serve` owns the embedded index: files are read and validated here, then
posted to `POST /documents` in batches, so the server ingests them through its own pipeline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from lagrum.errors import LagrumError

BATCH = 16


def ingest_via_server(url: str, paths: list[Path], api_key: str | None = None, max_bytes: int = 50_000_000) -> dict[str, Any]:
    from ingest.loaders import iter_documents

    summary: dict[str, Any] = {"ingested": 0, "skipped": 0, "failed": 0, "chunks": 0, "seconds": 0.0, "errors": [], "ingested_ids": []}
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    batch: list[dict[str, Any]] = []
    with httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=600) as client:
        for item in iter_documents(paths, max_bytes=max_bytes):
            if hasattr(item, "reason"):
                summary["failed"] += 1
                summary["errors"].append({"source": item.source, "error": item.reason})
                continue
            batch.append({**item.metadata(), **item.extra, "text": item.text})
            if len(batch) >= BATCH:
                _post(client, batch, summary)
                batch = []
        if batch:
            _post(client, batch, summary)
    return summary


def _post(client: httpx.Client, batch: list[dict[str, Any]], summary: dict[str, Any]) -> None:
    try:
        response = client.post("/documents", json=batch)
    except httpx.HTTPError as exc:
        raise LagrumError(f"cannot reach the Lagrum server at {client.base_url}: {exc}") from None
    try:
        data = response.json()
    except ValueError:  # not a Lagrum server (or a proxy's error page): say so instead of a traceback
        raise LagrumError(
            f"{client.base_url} answered {response.status_code} with a body that is not JSON; check that --server points at `lagrum serve`"
        ) from None
    if not isinstance(data, dict):
        raise LagrumError(f"{client.base_url} answered {response.status_code} with unexpected JSON; check that --server points at `lagrum serve`")
    if response.status_code in (401, 403):
        raise LagrumError(f"the server refused the write ({response.status_code}): {data.get('error')}; pass --api-key or set LAGRUM_API_KEY")
    if response.status_code >= 400 and "ingested" not in data:
        for error in data.get("errors") or [{"source": "request", "error": data.get("error", response.text)}]:
            summary["failed"] += 1
            summary["errors"].append(error)
        return
    for key in ("ingested", "skipped", "failed", "chunks"):
        summary[key] += data.get(key, 0)
    summary["seconds"] += data.get("seconds", 0.0)
    summary["errors"].extend(data.get("errors", []))
    summary["ingested_ids"].extend(data.get("ingested_ids", []))
