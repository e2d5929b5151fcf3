"""The composition layer: what puts the core and the ingest pipeline together for a user.

`service` (the `LagrumService` facade over one index), the `lagrum` command line (`cli` and its
`cli_*` subcommand modules), the evaluation runner (`evaluation`) and the HTTP client of a running
server (`client`). These modules may import the core (`lagrum.*`), `ingest` and `api`; nothing in
the core or in `ingest` imports them (README "Architecture", checked by tests/test_layers.py).
"""
