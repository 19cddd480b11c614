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
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    h.update(sink.getvalue().to_pybytes())
    return h.hexdigest()[:16]
