"""A recipe's source written as the run's source shards, without holding it in the driver.

`open_source(spec, store_root, limit)` -> `Source`: its lineage label, parent versions, row
count, fingerprint (the start of the stage-key chain) and `batches()`, the normalised seed
rows (schemas.rows.SEED_SCHEMA) a batch at a time. `write_source_shards(source, dir, n)` puts
them into n contiguous, near-equal shard files (the layout `datagen/engine.py` reads), one
batch in memory at a time, then settles repeated ids across the whole source (`#k`
suffixes, as `sources.load_source` gives) from the id column alone.

jsonl and parquet files are streamed: the row count comes from the parquet footer or a
count of the jsonl's non-blank lines, and the fingerprint from the file's bytes (sha256,
read in blocks) and the spec fields that shape the rows, so a moved file keeps its key.
Other sources (Hub, `save_to_disk`, `NAME@vN`, procedural) are read whole by
`sources.load_source` and fingerprinted by content, as before.

What it does not do: read a jsonl line by line in Python (batches of lines are parsed by
polars), or validate beyond what `sources` checks (empty questions, missing columns).
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from datagen import stage_io
from datagen.errors import UserError

BATCH_ROWS = 50_000
STREAMED = ("jsonl", "parquet")


@dataclass
class Source:
    label: str
    rows: int
    fingerprint: str
    batches: Callable[[], Iterator]  # normalised pyarrow tables, in order
    parents: list[str] = field(default_factory=list)

    @property
    def schema(self):
        from schemas.rows import SEED_SCHEMA

        return SEED_SCHEMA


def open_source(spec, store_root: Path | None = None, limit: int | None = None) -> Source:
    """The source `spec` names, its first `limit` rows when given (and `spec.limit`'s)."""
    limit = min(x for x in (limit, spec.limit or None, 1 << 62) if x is not None)
    if spec.type in STREAMED:
        return _file_source(spec, limit)
    from datagen.hashing import table_fingerprint
    from datagen.sources import load_source

    seeds = load_source(spec, store_root)
    table = seeds.table.slice(0, limit)
    return Source(seeds.label, table.num_rows, table_fingerprint(table), lambda: iter([table]), seeds.parents)


def _file_source(spec, limit: int) -> Source:
    path, label = Path(spec.path), str(spec.path)
    if not path.is_file():
        raise UserError(f"source.path: file not found: {path}")
    if spec.type == "parquet":
        import pyarrow.parquet as pq

        try:
            total = pq.read_metadata(path).num_rows
        except Exception as e:  # noqa: BLE001 - not a parquet file
            raise UserError(f"source.path: cannot read {path}: {e}") from None
    else:
        total = _count_lines(path)
        if not total:
            raise UserError(f"{path} is empty (no rows)")
    rows = min(total, limit)
    shape = spec.model_dump(mode="json", exclude={"path"})
    fingerprint = hashlib.sha256(f"{_file_sha256(path)}:{sorted(shape.items())}:{rows}".encode()).hexdigest()[:16]
    read = _parquet_frames if spec.type == "parquet" else _jsonl_frames

    def batches() -> Iterator:
        from datagen.sources import _normalise

        offset = 0
        for df in read(path):
            df = df.head(rows - offset)
            if df.height:
                yield _normalise(df, spec, label, offset=offset, unique=False)
            offset += df.height
            if offset >= rows:
                return

    return Source(label, rows, fingerprint, batches)


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 22):
            h.update(block)
    return h.hexdigest()


def _count_lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for line in f if line.strip())


def _parquet_frames(path: Path) -> Iterator:
    import polars as pl
    import pyarrow.parquet as pq

    for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS):
        yield pl.from_arrow(batch)


def _jsonl_frames(path: Path) -> Iterator:
    """Frames of BATCH_ROWS non-blank lines; a bad line is named (by number) as `read_jsonl` does."""
    import polars as pl

    from datagen.file_io import _raise_bad_jsonl_line

    def frame(lines: list[bytes]):
        try:
            return pl.read_ndjson(io.BytesIO(b"".join(lines)), infer_schema_length=None)
        except Exception as e:  # noqa: BLE001 - find and name the line
            _raise_bad_jsonl_line(path, e)

    lines: list[bytes] = []
    with path.open("rb") as f:
        for line in f:
            if line.strip():
                lines.append(line if line.endswith(b"\n") else line + b"\n")
            if len(lines) == BATCH_ROWS:
                yield frame(lines)
                lines = []
    if lines:
        yield frame(lines)


def write_source_shards(source: Source, src_dir: Path, n: int) -> None:
    """`source` as n contiguous shard files under `src_dir` (done.json last; a finished
    directory is left as it is)."""
    import pyarrow.parquet as pq

    if (src_dir / "done.json").is_file():
        return
    src_dir.mkdir(parents=True, exist_ok=True)
    bounds = [source.rows * j // n for j in range(n + 1)]
    schema = stage_io.standard_types(source.schema.empty_table()).schema
    j, at = 0, 0

    def close() -> None:
        writer.close()
        os.replace(tmp, stage_io.shard_paths(src_dir, j)[0])

    def open_next():
        path = stage_io.shard_paths(src_dir, j)[0]
        t = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        return pq.ParquetWriter(t, schema), t

    writer, tmp = open_next()
    for batch in source.batches():
        batch = stage_io.standard_types(batch)
        while batch.num_rows:
            while at == bounds[j + 1] and j < n - 1:  # this shard is full: on to the next
                close()
                j += 1
                writer, tmp = open_next()
            take = min(batch.num_rows, bounds[j + 1] - at)
            if not take:  # more rows than counted: cannot happen (batches() stops at source.rows)
                break
            writer.write_table(batch.slice(0, take))
            batch, at = batch.slice(take), at + take
    close()
    while j < n - 1:  # shards after the rows ran out stay empty (with the schema)
        j += 1
        writer, tmp = open_next()
        close()
    _settle_ids([stage_io.shard_paths(src_dir, k)[0] for k in range(n)])
    stage_io.write_json(src_dir / "done.json", {"rows": at, "shards": n})


def _settle_ids(paths: list[Path]) -> None:
    """Repeated ids across the whole source get `#k` suffixes, the k-th in source order (as
    `sources.unique_ids` gives for a whole table). Memory: a 64-bit hash per row, then the id
    strings of the rows whose hash repeats; only shards holding such rows are rewritten."""
    import polars as pl

    from datagen.sources import unique_ids

    hashes = [pl.read_parquet(p, columns=["id"]).get_column("id").hash() for p in paths]
    repeated = pl.concat(hashes).is_duplicated() if hashes else pl.Series([], dtype=pl.Boolean)
    if not repeated.any():
        return
    at, picks = 0, []
    for k, h in enumerate(hashes):  # (shard, row) of every row whose hash repeats, in source order
        rows = repeated.slice(at, len(h)).arg_true()
        at += len(h)
        if len(rows):
            ids = pl.read_parquet(paths[k], columns=["id"]).get_column("id").gather(rows)
            picks.append(pl.DataFrame({"shard": pl.repeat(k, len(rows), eager=True, dtype=pl.Int32), "row": rows, "id": ids}))
    cand = pl.concat(picks)
    cand = cand.with_columns(new=unique_ids(cand.get_column("id"))).filter(pl.col("new") != pl.col("id"))
    for (k,), part in cand.group_by("shard", maintain_order=True):
        table = stage_io.read_parquet(paths[k])
        ids = pl.from_arrow(table.column("id")).scatter(part.get_column("row"), part.get_column("new"))
        table = table.set_column(table.schema.get_field_index("id"), "id", ids.to_arrow().cast(table.schema.field("id").type))
        stage_io.write_parquet(table, paths[k])
