"""Per-component run times of Haystack pipelines, recorded through Haystack's tracing hook.

>>> with component_times() as times:  # doctest: +SKIP
...     pipeline.run({...})
>>> times.summary()["retriever"]["p50_ms"]  # doctest: +SKIP
3.1
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any, Iterator

from haystack import tracing
from haystack.tracing.tracer import NullSpan, Tracer

_COMPONENT_RUN = "haystack.component.run"
_NAME_TAG = "haystack.component.name"


class ComponentTimes:
    """Wall-clock milliseconds of each component run, by component name."""

    def __init__(self) -> None:
        self.runs: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def add(self, name: str, ms: float) -> None:
        with self._lock:
            self.runs.setdefault(name, []).append(ms)

    def summary(self) -> dict[str, dict[str, float]]:
        """`{component: {"runs", "mean_ms", "p50_ms"}}` in the order components first ran."""
        out = {}
        for name, values in self.runs.items():
            ordered = sorted(values)
            middle = len(ordered) // 2
            p50 = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
            out[name] = {"runs": len(values), "mean_ms": round(sum(values) / len(values), 1), "p50_ms": round(p50, 1)}
        return out


class _TimingTracer(Tracer):
    """Times `haystack.component.run` spans; every other span (and content tracing) is a no-op,
    and an already configured tracer (OpenTelemetry, Datadog) still receives every span."""

    def __init__(self, times: ComponentTimes, wrapped: Tracer | None):
        self.times = times
        self.wrapped = wrapped

    @contextlib.contextmanager
    def trace(self, operation_name: str, tags: dict[str, Any] | None = None, parent_span: Any = None) -> Iterator[Any]:
        inner = self.wrapped.trace(operation_name, tags, parent_span) if self.wrapped is not None else contextlib.nullcontext(NullSpan())
        started = time.perf_counter()
        try:
            with inner as span:
                yield span
        finally:
            if operation_name == _COMPONENT_RUN and tags and _NAME_TAG in tags:
                self.times.add(str(tags[_NAME_TAG]), (time.perf_counter() - started) * 1000)

    def current_span(self) -> Any:
        return self.wrapped.current_span() if self.wrapped is not None else None


@contextlib.contextmanager
def component_times() -> Iterator[ComponentTimes]:
    """Record the run time of every pipeline component run inside the block (process-wide)."""
    times = ComponentTimes()
    proxy = tracing.tracer
    previous = proxy.actual_tracer
    wrapped = previous if tracing.is_tracing_enabled() else None
    proxy.actual_tracer = _TimingTracer(times, wrapped)
    try:
        yield times
    finally:
        proxy.actual_tracer = previous
