"""Load benchmark: 16 clients on `/search` (and `/ask`), with and without a writer, side by side.

    .venv/bin/python eval/bench_load.py                 # 16 clients, bundled corpus
    .venv/bin/python eval/bench_load.py --clients 64 --json

A benchmark, not a test. The bundled corpus is ingested into a temp index (real e5, real Qdrant
Edge) and served by the real app on uvicorn. Each phase fires the same number of new questions
from `--clients` threads: first with no writer, then while one more client posts documents to
`POST /documents` in a loop (each a new text, so each is chunked, embedded and written). Reported
per phase: p50/p95/p99 latency, requests, errors (any non-2xx answer or failed connection), and
for the writer its posts and errors. Both phases run in one process, one after the other, on the
same index: compare them with each other, not with figures from another run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eval.bench_api import QUESTIONS, BackgroundServer, build_index  # noqa: E402

API_KEY = "bench-load-key"


def percentiles(ms: list[float]) -> dict[str, float]:
    if not ms:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None}
    ms = sorted(ms)

    def at(q: float) -> float:
        return round(ms[min(len(ms) - 1, int(round(q * (len(ms) - 1))))], 1)

    return {"p50_ms": at(0.5), "p95_ms": at(0.95), "p99_ms": at(0.99)}


def phase(url: str, endpoint: str, clients: int, questions: list[str], writer: bool) -> dict[str, Any]:
    import httpx

    pending = list(reversed(questions))
    lock = threading.Lock()
    timings: list[float] = []
    errors: list[str] = []
    stop = threading.Event()
    written = {"posts": 0, "errors": 0}

    def client() -> None:
        with httpx.Client(base_url=url, timeout=120) as http:
            while True:
                with lock:
                    if not pending:
                        return
                    question = pending.pop()
                started = time.perf_counter()
                try:
                    if endpoint == "/search":
                        response = http.get("/search", params={"q": question})
                    else:
                        response = http.post("/ask", json={"question": question})
                    ok = response.status_code < 300
                    reason = f"{response.status_code}"
                except httpx.HTTPError as exc:
                    ok, reason = False, type(exc).__name__
                with lock:
                    timings.append((time.perf_counter() - started) * 1000)
                    if not ok:
                        errors.append(reason)

    def write_loop() -> None:
        n = 0
        with httpx.Client(base_url=url, timeout=300, headers={"Authorization": f"Bearer {API_KEY}"}) as http:
            while not stop.is_set():
                n += 1
                body = {
                    "id": f"bench-load-{n % 5}",
                    "title": f"Testbeslut {n} om kamerabevakning (benchmark, påhittat)",
                    "text": f"Testbeslut {n}.\n\nMyndigheten förelägger bolaget att upphöra med kamerabevakningen av lagret. "
                    + "Bolaget har inte visat att bevakningen är nödvändig. " * 12,
                    "doc_type": "beslut",
                    "date": "2024-05-01",
                }
                try:
                    response = http.post("/documents", json=body)
                    written["posts"] += 1
                    written["errors"] += response.status_code >= 300
                except httpx.HTTPError:
                    written["errors"] += 1

    writer_thread = threading.Thread(target=write_loop, daemon=True) if writer else None
    if writer_thread:
        writer_thread.start()
        time.sleep(0.5)  # the writer is embedding when the clients start
    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    stop.set()
    if writer_thread:
        writer_thread.join(timeout=300)
    return {
        **percentiles(timings),
        "requests": len(timings),
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
        "requests_per_s": round(len(timings) / wall, 2) if wall else None,
        "writer": written if writer else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=4, help="rounds over the question set per phase (default 4)")
    parser.add_argument("--endpoint", action="append", choices=["/search", "/ask"], help="default: both")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    from api.app import create_app
    from lagrum.app.service import LagrumService

    log = (lambda m: print(m, file=sys.stderr)) if args.json else print
    endpoints = args.endpoint or ["/search", "/ask"]
    report: dict[str, Any] = {"clients": args.clients, "cpus": os.cpu_count(), "phases": {}}
    with tempfile.TemporaryDirectory(prefix="lagrum-bench-load-") as tmp:
        index, _ = build_index(Path(tmp) / "data", 0, log)
        settings = index.settings.with_(api_keys=(API_KEY,))
        index.settings = settings
        service = LagrumService(index)
        try:
            with BackgroundServer(create_app(settings, service=service)) as server:
                for question in QUESTIONS:  # warm up the model pages and caches
                    service.search(question)
                for endpoint in endpoints:
                    for writer in (False, True):
                        tag = ("w" if writer else "n") + endpoint.strip("/")
                        questions = [f"{q} ({tag} {'x' * r})" for r in range(1, args.rounds + 1) for q in QUESTIONS]
                        name = f"{endpoint} {'with a writer' if writer else 'no writer'}"
                        report["phases"][name] = phase(server.url, endpoint, args.clients, questions, writer)
                        log(f"{name}: {report['phases'][name]}")
            report["chunks"] = index.store.count_chunks()
        finally:
            service.close()
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(f"\n{args.clients} clients, {report['cpus']} CPUs, {report['chunks']} chunks\n")
        print("| phase | p50 ms | p95 ms | p99 ms | requests | errors | writer posts (errors) |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
        for name, p in report["phases"].items():
            w = p["writer"]
            writes = f"{w['posts']} ({w['errors']})" if w else "–"
            print(f"| {name} | {p['p50_ms']} | {p['p95_ms']} | {p['p99_ms']} | {p['requests']} | {p['errors']} | {writes} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
