"""`lagrum sync`: keep the index up to date with official feeds, Riksdagen and web pages.

Sources are configured with `lagrum sources add NAME KIND URL` (`sources.py`); each kind has a
connector (`atom.py` for rinfo Atom feeds, `riksdagen.py`, `web.py`) that asks a polite fetcher
(`http.py`) only for what changed and hands each entry to `entry.EntrySync`, which ingests it
through the ingest pipeline and saves the source's state before the next entry.
"""
