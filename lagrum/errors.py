"""Errors meant for people: each names what was wrong and what to do next."""

from __future__ import annotations


class LagrumError(Exception):
    """A user-facing error; the CLI prints its message without a traceback."""


class InputError(LagrumError):
    """One input (a file, a JSONL line, a field) could not be used.

    :param source: the file, `file:line` or field the problem is in.
    :param reason: what was wrong and, where it helps, what to do.
    """

    def __init__(self, source: str, reason: str):
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


class IndexLockedError(LagrumError):
    """The embedded index is held by another process."""


class EmbedderMismatchError(LagrumError):
    """The index was built by another embedder than the configured one."""


class IndexUnreadableError(LagrumError):
    """The storage engine refuses to open the index; `lagrum repair` rebuilds it."""
