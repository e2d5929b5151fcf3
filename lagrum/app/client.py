"""Send documents to a running Lagrum server (`lagrum ingest --server URL`).

Used when `lagrum serve` owns the embedded index: files are read and validated here, then
posted to `POST /documents` in batches, so the server ingests them through its own pipeline.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx

from lagrum.errors import LagrumError

BATCH = 16  # documents per request at most
BATCH_BYTES = 4_000_000  # and about this much JSON; a larger document goes alone


def ingest_via_server(url: str, paths: list[Path], api_key: str | None = None, max_bytes: int = 50_000_000) -> dict[str, Any]:
    from ingest.loaders import iter_documents

    summary: dict[str, Any] = {"ingested": 0, "skipped": 0, "failed": 0, "chunks": 0, "seconds": 0.0, "errors": [], "ingested_ids": []}
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    batch: list[tuple[str, bytes]] = []  # (where it was read from, the record as JSON)
    with httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=600) as client:
        for item in iter_documents(paths, max_bytes=max_bytes):
            if hasattr(item, "reason"):
                summary["failed"] += 1
                summary["errors"].append({"source": item.source, "error": item.reason})
                continue
            metadata = item.metadata()
            record = {**metadata.pop("extra"), **metadata, "text": item.text}  # extra keys go back to the top level
            encoded = json.dumps(record, ensure_ascii=False).encode("utf-8")
            if batch and (len(batch) >= BATCH or sum(len(b) for _, b in batch) + len(encoded) > BATCH_BYTES):
                _post(client, batch, summary)
                batch = []
            batch.append((item.origin or item.id, encoded))
        if batch:
            _post(client, batch, summary)
    return summary


def _post(client: httpx.Client, batch: list[tuple[str, bytes]], summary: dict[str, Any]) -> None:
    body = b"[" + b",".join(encoded for _, encoded in batch) + b"]"
    try:
        response = client.post("/documents", content=body, headers={"Content-Type": "application/json"})
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
    origins = [where for where, _ in batch]
    if response.status_code >= 400 and "ingested" not in data:
        errors = data.get("errors") or [{"source": ", ".join(origins), "error": data.get("error", response.text)}]
        for error in errors:
            summary["failed"] += 1
            summary["errors"].append(_with_origin(error, origins))
        return
    for key in ("ingested", "skipped", "failed", "chunks"):
        summary[key] += data.get(key, 0)
    summary["seconds"] += data.get("seconds", 0.0)
    summary["errors"].extend(_with_origin(e, origins) for e in data.get("errors", []))
    summary["ingested_ids"].extend(data.get("ingested_ids", []))


def _with_origin(error: dict[str, Any], origins: list[str]) -> dict[str, Any]:
    """The server names the records of a request "body[n]"; name the files they came from instead."""

    def name(match: re.Match) -> str:
        n = int(match.group(1))
        return origins[n] if n < len(origins) else match.group(0)

    return {k: _BODY_ITEM.sub(name, v) if isinstance(v, str) else v for k, v in error.items()}


_BODY_ITEM = re.compile(r"\bbody\[(\d+)\]")
