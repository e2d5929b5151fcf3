"""What the store can round-trip, checked before anything is written.

Qdrant Edge accepts payloads on its write path that its recovery path cannot read back: a value
nested 122 or more levels deep is written to the write-ahead log, and from the next open the
shard refuses to load (`RecursionLimitExceeded`). Integers beyond 64 bits come back as floats
(changed), NaN and infinities are refused mid-batch. Every payload therefore passes
`check_payload` first, and document metadata passes the tighter `check_metadata` at ingest,
where the error can name the field.

>>> check_metadata({"court": {"name": "Förvaltningsrätten"}}, "doc.json")
>>> check_metadata({"a": float("nan")}, "doc.json")
Traceback (most recent call last):
...
lagrum.errors.InputError: doc.json: metadata field 'a' is NaN or infinite, which cannot be stored; give a number or a string
"""

from __future__ import annotations

import json
import math
from typing import Any

from lagrum.errors import InputError, LagrumError

# Nesting levels a document's own metadata may use (its fields count as level 1). Legal metadata
# is shallow (a relation list of objects is 3); the store's own envelope adds a few levels.
MAX_METADATA_DEPTH = 32
# Serialized size of a document's metadata (its text has its own bound, LAGRUM_MAX_FILE_MB).
MAX_METADATA_BYTES = 1_000_000
# The engine's recovery reads at most ~127 levels including its own envelope; stay well below.
MAX_PAYLOAD_DEPTH = 64
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1


class PayloadRefused(LagrumError):
    """A payload the store could not read back; nothing was written."""


def check_metadata(metadata: dict[str, Any], where: str) -> None:
    """Refuse metadata the index cannot keep exactly, naming the field (raises `InputError`)."""
    problem = _first_problem(metadata, MAX_METADATA_DEPTH)
    if problem:
        path, reason = problem
        raise InputError(where, f"metadata field {path!r} {reason}")
    size = len(json.dumps(metadata, ensure_ascii=False, default=str).encode("utf-8"))
    if size > MAX_METADATA_BYTES:
        raise InputError(
            where, f"metadata is {size / 1e6:.1f} MB of JSON, over the limit of {MAX_METADATA_BYTES / 1e6:.0f} MB; keep large content in 'text'"
        )


def check_payload(payload: dict[str, Any], what: str) -> None:
    """Refuse a payload the store could not read back (raises `PayloadRefused`, nothing written)."""
    problem = _first_problem(payload, MAX_PAYLOAD_DEPTH)
    if problem:
        path, reason = problem
        raise PayloadRefused(f"{what}: payload field {path!r} {reason}; nothing was written")


def payload_depth(value: Any) -> int:
    """Nesting depth of a JSON-like value: a scalar is 0, `{"a": 1}` is 1 (iterative, any depth)."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
            deepest = max(deepest, depth + 1)
        elif isinstance(item, (list, tuple)):
            stack.extend((v, depth + 1) for v in item)
            deepest = max(deepest, depth + 1)
    return deepest


def _first_problem(root: dict[str, Any], max_depth: int) -> tuple[str, str] | None:
    """(dotted path, what is wrong) for the first value the store cannot keep, or None.

    Iterative, so a value nested beyond Python's recursion limit is reported, not a crash.
    """
    stack: list[tuple[Any, str, int]] = [(v, str(k), 1) for k, v in reversed(list(root.items()))]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, (dict, list, tuple)):
            if depth >= max_depth:
                return path, f"nests more than {max_depth} levels deep; flatten it (the index cannot read such values back)"
            if isinstance(value, dict):
                for key in value:
                    if not isinstance(key, str):
                        return path, f"has a key of type {type(key).__name__}; keys must be strings"
                items = [(v, f"{path}.{k}", depth + 1) for k, v in value.items()]
            else:
                items = [(v, f"{path}[{n}]", depth + 1) for n, v in enumerate(value)]
            stack.extend(reversed(items))
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            if not _INT_MIN <= value <= _INT_MAX:
                return path, "is an integer beyond 64 bits, which the index would change into an approximate float; give it as a string"
        elif isinstance(value, float):
            if not math.isfinite(value):
                return path, "is NaN or infinite, which cannot be stored; give a number or a string"
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                return path, f"holds an invalid character at position {exc.start} (a lone surrogate); send valid UTF-8"
        elif not hasattr(value, "isoformat"):
            return path, f"is a {type(value).__name__}, which cannot be stored; use strings, numbers, lists or mappings"
    return None
