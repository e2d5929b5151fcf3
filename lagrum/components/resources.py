"""The opened Lagrum index a component works on, shared per data directory.

An embedded Edge shard may be opened once per process, so components never open their own
when the service already holds one: `LagrumService` attaches itself here, and a component built
from YAML (`Pipeline.loads`) finds it in `warm_up()`, or opens the index itself when none is
attached (Hayhooks, a user's own script).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

from lagrum.settings import Settings

_services: dict[str, Any] = {}
_opened: list[Any] = []
_lock = threading.Lock()
# How to open a service over a data directory when none is attached: set by the composition
# layer (`lagrum.app.pipelines` registers `LagrumService.open`), so the core never imports it.
_opener: list[Callable[[Settings], Any]] = []


def set_opener(opener: Callable[[Settings], Any]) -> None:
    """Register how a component opens the index itself (`LagrumService.open`, by `lagrum.app.pipelines`)."""
    _opener[:] = [opener]


def settings_for(data_dir: str | None) -> Settings:
    """`Settings.from_env()`, with `data_dir` when given (else `LAGRUM_DATA`, default ./data)."""
    settings = Settings.from_env()
    return settings.with_(data_dir=Path(data_dir)) if data_dir else settings


def _key(data_dir: Any) -> str:
    return str(Path(data_dir).expanduser().resolve())


def attach(service: Any) -> None:
    """Make `service` (a `LagrumService`) the one components over its data directory use."""
    with _lock:
        _services[_key(service.settings.data_dir)] = service


def detach(service: Any) -> None:
    with _lock:
        key = _key(service.settings.data_dir)
        if _services.get(key) is service:
            del _services[key]


def service_for(data_dir: str | None) -> Any:
    """The attached service over `data_dir`, or a newly opened one (kept open for the process)."""
    settings = settings_for(data_dir)
    key = _key(settings.data_dir)
    with _lock:
        service = _services.get(key)
        if service is not None:
            return service
        if not _opener:
            raise RuntimeError(
                f"no Lagrum service is open over {settings.data_dir}: import lagrum.app.pipelines "
                "(it registers how to open one), or attach an open LagrumService"
            )
        service = _opener[0](settings)
        _services[key] = service
        _opened.append(service)
        return service


def close_opened() -> None:
    """Close the services this module opened itself (not the attached ones)."""
    with _lock:
        while _opened:
            service = _opened.pop()
            _services.pop(_key(service.settings.data_dir), None)
            service.close()
