"""Per-shard stage files in a run directory: parquet outputs and completion markers.

A shard's output is `shard-J.parquet` (kept rows) and `shard-J.rejected.parquet`, each
written to a temporary name and renamed; the marker `shard-J.done.json` (its counts) is
written last, so a shard without a marker is simply recomputed. Also: running one stage
on one table and splitting the result into kept and rejected rows.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


def atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_json(path: Path, obj) -> None:
    atomic_write_bytes(path, json.dumps(obj, indent=2, sort_keys=True, default=str).encode())


def write_parquet(df, path: Path) -> None:
    """Write a polars frame or Arrow table atomically."""
    import pyarrow.parquet as pq

    table = df.to_arrow() if hasattr(df, "to_arrow") else df
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.write_table(standard_types(table), tmp)
    os.replace(tmp, path)


def read_parquet(path: Path):
    import pyarrow.parquet as pq

    return pq.read_table(path)


def standard_types(table):
    """Cast polars' large_string/large_list to the plain Arrow types `datasets` prefers."""
    import pyarrow as pa

    def fix(t: pa.DataType) -> pa.DataType:
        if pa.types.is_large_string(t) or pa.types.is_string_view(t):
            return pa.string()
        if pa.types.is_large_list(t) or pa.types.is_list(t):
            return pa.list_(fix(t.value_type))
        if pa.types.is_struct(t):
            return pa.struct([pa.field(f.name, fix(f.type), f.nullable) for f in t])
        return t

    schema = pa.schema([pa.field(f.name, fix(f.type), f.nullable) for f in table.schema])
    return table.cast(schema) if schema != table.schema else table


def shard_paths(stage_dir: Path, j: int) -> tuple[Path, Path, Path]:
    base = stage_dir / f"shard-{j:05d}"
    return base.with_suffix(".parquet"), Path(f"{base}.rejected.parquet"), Path(f"{base}.done.json")


def execute(impl, table, label: str):
    """Run one stage on an Arrow table. Returns (kept, rejected, generated): polars frames
    (rejected rows carry `rejected_by` and `reason`) and whether the stage made new rows."""
    import datasets
    import polars as pl
    from datasets.table import InMemoryTable

    from datagen.verdict import Verdict, apply_verdict

    out = impl(datasets.Dataset(InMemoryTable(table)))
    if isinstance(out, Verdict):
        kept, rejected = apply_verdict(pl.from_arrow(table), out)
    else:
        if isinstance(out, datasets.Dataset):
            out = out.data.table
        df = out if isinstance(out, pl.DataFrame) else pl.from_arrow(out)
        if "reject_reason" in df.columns:
            kept = df.filter(pl.col("reject_reason").is_null()).drop("reject_reason")
            rejected = df.filter(pl.col("reject_reason").is_not_null()).rename({"reject_reason": "reason"})
        else:
            kept, rejected = df, df.clear().with_columns(pl.lit(None, pl.String).alias("reason"))
    rejected = rejected.with_columns(pl.lit(label, pl.String).alias("rejected_by"))
    return kept, rejected, not isinstance(out, Verdict)


def shard_stats(rows_in: int, kept, rejected, seconds: float, generated: bool, report: dict | None = None) -> dict:
    """A shard's marker: counts, reject reasons, tokens, a content hash of its outputs, the
    stage's report (under `generator` for a stage that made rows, `report` for a filter), and
    how many LLM requests failed (such a shard is recomputed on the next run: the cached
    requests come back free and only the failed ones are retried)."""
    import polars as pl

    from datagen.hashing import table_fingerprint

    reasons = {}
    if rejected.height:
        cat = rejected.select(pl.col("reason").str.split(":").list.first().alias("r")).group_by("r").len()
        reasons = {r: int(n) for r, n in cat.iter_rows()}
    tokens = {"prompt": 0, "completion": 0}
    for df in (kept, rejected) if generated else ():
        if df.height and "meta" in df.columns:
            fields = {f.name for f in df.schema["meta"].fields}
            if "prompt_tokens" in fields:
                s = df.select(
                    pl.col("meta").struct.field("prompt_tokens").sum().alias("p"),
                    pl.col("meta").struct.field("completion_tokens").sum().alias("c"),
                ).row(0)
                tokens["prompt"] += int(s[0] or 0)
                tokens["completion"] += int(s[1] or 0)
    extra = {} if report is None else {("generator" if generated else "report"): report}
    return {
        **extra,
        "rows_in": rows_in, "kept": kept.height, "rejected": rejected.height, "reasons": reasons, "tokens": tokens,
        "seconds": round(seconds, 3), "llm_failed": reasons.get("llm_error", 0),
        "content": table_fingerprint(standard_types(kept.to_arrow())) + table_fingerprint(standard_types(rejected.to_arrow())),
    }


def is_done(marker: Path) -> bool:
    """A shard is done when its marker exists and none of its LLM requests failed."""
    return marker.is_file() and not read_marker(marker).get("llm_failed")


def read_marker(path: Path) -> dict:
    return json.loads(path.read_text())
