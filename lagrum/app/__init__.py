"""The composition layer: what puts the core and the ingest pipeline together for a user.

`service` (the `LagrumService` facade over one index), the Haystack pipelines (`pipelines`), the `lagrum` command line (`cli` and its
`cli_*` subcommand modules), the evaluation runner (`evaluation`) and the HTTP client of a running
server (`client`). These modules may import the core (`lagrum.*`), `ingest` and `api`; nothing in
the core or in `ingest` imports them (README "Architecture", checked by tests/test_layers.py).
"""

from lagrum.components import resources as _resources


def _open_service(settings):  # type: ignore[no-untyped-def]
    from lagrum.app.service import LagrumService

    return LagrumService.open(settings, create=False)


# A component loaded from YAML (Hayhooks, a user's script) opens its index through the service.
_resources.set_opener(_open_service)
