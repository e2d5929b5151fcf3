"""Run the configured sources' connectors against an index; count what happened.

>>> summaries = sync_sources(settings, IndexSink(IngestPipeline(index)))  # doctest: +SKIP
>>> summaries[0].as_dict()["ingested"]  # doctest: +SKIP
3

Each connector (`atom`, `riksdagen`, `web`) walks its source and hands every entry to
`EntrySync.apply` (`ingest.sync.entry`), which ingests the entry's documents through the
ingest pipeline (idempotent by content hash), deletes the documents the entry no longer
produces, and saves the source's state before the next entry. A sync killed at any point therefore resumes where it stopped: an
entry whose state was not saved is fetched again and its documents are skipped as unchanged.
A failed entry is reported in one line and left unrecorded, so the next sync tries it again.
"""

from __future__ import annotations

import time
from typing import Callable, Iterable

from lagrum.errors import InputError, LagrumError
from lagrum.settings import Settings

from ingest.sync.entry import EntrySync, Sink, SyncSummary
from ingest.sync.http import FetchError, PoliteFetcher
from ingest.sync.sources import Source, SyncState, load_sources


class IndexSink:
    """`lagrum sync`: the pipeline over an index this process opened."""

    def __init__(self, pipeline):
        self.pipeline = pipeline

    def ingest(self, items):
        return self.pipeline.ingest(items).as_dict()

    def delete(self, doc_id):
        return self.pipeline.delete(doc_id)


class ServiceSink:
    """`lagrum serve --sync-interval`: the service's own index, under its write lock."""

    def __init__(self, service):
        self.service = service

    def ingest(self, items):
        return self.service.add_documents(items)

    def delete(self, doc_id):
        return self.service.delete_document(doc_id)


def make_fetcher(source: Source, settings: Settings) -> PoliteFetcher:
    return PoliteFetcher(
        min_interval=float(source.option("min_interval")),
        timeout=float(source.option("timeout")),
        retries=int(source.option("retries")),
        max_redirects=int(source.option("max_redirects")),
        max_bytes=settings.max_file_mb * 1_000_000,
        max_retry_after=float(source.option("max_retry_after")),
        backoff=float(source.option("backoff")),
    )


def connector_for(kind: str) -> Callable[[EntrySync], None]:
    if kind == "atom":
        from ingest.sync.atom import sync_atom

        return sync_atom
    if kind == "riksdagen":
        from ingest.sync.riksdagen import sync_riksdagen

        return sync_riksdagen
    if kind == "web":
        from ingest.sync.web import sync_web

        return sync_web
    raise LagrumError(f"unknown source kind {kind!r}")


def sync_source(source: Source, settings: Settings, sink: Sink, full: bool = False) -> SyncSummary:
    """Sync one source; every problem ends up in the summary, none is raised."""
    started = time.perf_counter()
    summary = SyncSummary(source.name, source.kind)
    try:
        state = SyncState.load(settings.data_dir, source.name)
    except LagrumError as exc:
        summary.fail(source.url, str(exc))
        return summary
    fetcher = make_fetcher(source, settings)
    run = EntrySync(source, state, fetcher, sink, summary, settings.max_file_mb * 1_000_000, full)
    try:
        connector_for(source.kind)(run)
    except FetchError as exc:
        summary.fail(exc.url, exc.reason)
    except InputError as exc:
        summary.fail(exc.source, exc.reason)
    except LagrumError as exc:
        summary.fail(source.url, str(exc))
    except Exception as exc:  # a connector bug must not end the other sources' syncs
        summary.fail(source.url, f"unexpected {type(exc).__name__}: {exc}; the state is kept, sync again or report this")
    finally:
        summary.requests = fetcher.requests
        fetcher.close()
        summary.seconds = time.perf_counter() - started
    return summary


def sync_sources(settings: Settings, sink: Sink, names: Iterable[str] | None = None, full: bool = False, report: Callable[[SyncSummary], None] | None = None) -> list[SyncSummary]:
    """Sync the named sources (all configured ones when `names` is empty)."""
    sources = load_sources(settings.data_dir)
    wanted = list(names or [])
    if wanted:
        known = {s.name for s in sources}
        missing = [n for n in wanted if n not in known]
        if missing:
            raise LagrumError(f"no source named {', '.join(map(repr, missing))}; configured: {', '.join(sorted(known)) or 'none'} (lagrum sources list)")
        sources = [s for s in sources if s.name in wanted]
    if not sources:
        raise LagrumError("no sources configured; add one with `lagrum sources add NAME KIND URL` (KIND: atom, riksdagen, web)")
    summaries = []
    for source in sources:
        summary = sync_source(source, settings, sink, full=full)
        summaries.append(summary)
        if report:
            report(summary)
    return summaries
