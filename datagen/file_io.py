"""Reading a user's jsonl or parquet file with errors that name the field and the line: a
missing or unreadable file, a line that is not a JSON object, an empty file. The bottom of
the layering: sources, filter commands, the trainer and benchmark loaders all read through it.

What it does not do: decide what the rows mean (datagen/sources.py does for seeds).
"""

from __future__ import annotations

import json
from pathlib import Path

from datagen.errors import UserError


def read_file(path: Path, reader, field: str = "source.path"):
    """`reader(path)`, with a missing or unreadable file a UserError naming `field`."""
    if not path.is_file():
        raise UserError(f"{field}: file not found: {path}")
    try:
        return reader(path)
    except Exception as e:  # noqa: BLE001 - any reader failure is bad input
        raise UserError(f"{field}: cannot read {path}: {e}") from None


def read_jsonl(path: Path, field: str = "source.path"):
    import polars as pl

    if not path.is_file():
        raise UserError(f"{field}: file not found: {path}")
    try:
        return pl.read_ndjson(path, infer_schema_length=None)
    except Exception as e:  # noqa: BLE001
        _raise_bad_jsonl_line(path, e)


def _raise_bad_jsonl_line(path: Path, err: Exception):
    """Find the first line that is not a JSON object, and say which (only on the error path);
    a file with no line holding anything is empty (polars: "Cannot infer NDJSON types on empty reader")."""
    rows = 0
    with path.open(encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            rows += 1
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as je:
                raise UserError(f"{path}:{n}: not valid JSON ({je.msg} at column {je.colno}); each line must be one JSON object") from None
            if not isinstance(obj, dict):
                raise UserError(f"{path}:{n}: expected a JSON object per line, got {type(obj).__name__}") from None
    if not rows:
        raise UserError(f"{path} is empty (no rows)") from None
    raise UserError(f"{path}: cannot read as JSON lines: {err}") from None
