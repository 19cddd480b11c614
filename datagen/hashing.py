"""Stable hashes: canonical JSON digests for configs, row ids and Arrow table fingerprints."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def digest(obj: Any, length: int = 16) -> str:
    """Hex digest of any JSON-able object (key order does not matter)."""
    return hashlib.sha256(canonical_json(obj).encode()).hexdigest()[:length]


def row_id(parent_id: str, stage: str, index: int) -> str:
    """A row's id: a hash of its parent id, the stage that made it and the sample index."""
    return digest([parent_id, stage, index], 20)


def table_fingerprint(table) -> str:
    """Content hash of a pyarrow Table (schema and every record batch, in order)."""
    import pyarrow as pa

    h = hashlib.sha256(table.schema.to_string().encode())
    with pa.ipc.new_stream(pa.PythonFile(_HashSink(h), mode="w"), table.schema) as writer:
        writer.write_table(table)  # streamed into the hash: no copy of the table is held
    return h.hexdigest()[:16]


class _HashSink:
    """A write-only file that feeds what is written to a hash."""

    closed = False

    def __init__(self, h):
        self.h = h

    def write(self, data) -> int:
        self.h.update(data)
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True
