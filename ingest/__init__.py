"""Ingestion: load files into documents with clean canonical text, and chunk them by structure."""
