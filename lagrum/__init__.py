"""Lagrum: a knowledge base and search service for Swedish legal material."""

__version__ = "0.1.0"
