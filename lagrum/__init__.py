"""Lagrum: a knowledge base and search service for Swedish legal material."""

import os

__version__ = "0.1.0"

# Lagrum never reaches the internet on its own: Haystack's usage telemetry (sent on every
# `Pipeline.run`) is off unless HAYSTACK_TELEMETRY_ENABLED is set. Read when haystack is first
# imported; `lagrum.components` also switches off a client created before Lagrum was imported.
HAYSTACK_TELEMETRY_DEFAULTED = "HAYSTACK_TELEMETRY_ENABLED" not in os.environ
os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
