"""Lagrum's HTTP API (FastAPI): search, answers with citations, documents, legal structure, web page."""
