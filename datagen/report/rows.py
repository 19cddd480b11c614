"""The rows a report looks at, read from a version directory's parquet files into one polars
frame with the same columns whatever the version's shape: SFT rows (`prompt`/`completion`),
prompt sets, preference pairs (`chosen`/`rejected`), a mixture's `messages`, or a plain file
published by `datagen verify`/`dedup` (any columns, maybe no `meta`).

Columns: `id`, `split` (train | rejected), `reason` (full text) and `category` (before the
first ':', how manifests count reasons; "kept" for kept rows), `rejected_by`, `prompt` and
`response` texts (a pair's `chosen`; `other` holds its `rejected`), `answer`, `solution`, the lineage
fields of `meta` (null where a version has none), `reward`, `dup_of`, `contamination` (as
text), `source` and `synthetic` (mixtures), `num_tokens` (a mixture's tokenizer count) and
`key` (which prompt a row answers: parent id + prompt text).

What it does not do: compute anything (the section modules do), or read the `test` split.
"""

from __future__ import annotations

from pathlib import Path

SPLIT_DIRS = {"train": "data", "rejected": "rejected"}
META = {  # meta field -> polars type name
    "parent_id": "String", "generator": "String", "model": "String", "source": "String", "round": "Int64",
    "sample_index": "Int64", "prompt_tokens": "Int64", "completion_tokens": "Int64", "pass_rate": "Float64",
    "score": "Float64", "dedup_cluster": "String", "finish_reason": "String",
}
PROMPT_COLUMNS = ("question", "prompt", "messages", "instruction", "text")
RESPONSE_COLUMNS = ("completion", "chosen", "messages", "response", "output")


MAX_ROWS = 100_000  # above this many rows (both splits), the report reads every k-th row of each file


def split_files(path: Path, split: str) -> list[Path]:
    return sorted((Path(path) / SPLIT_DIRS[split]).glob("*.parquet"))


def count_rows(path: Path) -> int:
    """Rows in both splits, from the parquet footers (nothing read)."""
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(f).metadata.num_rows for s in SPLIT_DIRS for f in split_files(path, s))


def read_split(path: Path, split: str, every: int = 1):
    """One split of the version at `path` as a polars frame (empty when it has no files);
    with `every` > 1, every k-th row of each file (one file in memory at a time)."""
    import polars as pl

    frames = [_read_every(f, every) for f in split_files(path, split)]
    frames = [f for f in frames if f.width]
    if not frames:
        return pl.DataFrame()
    return pl.concat(frames, how="diagonal_relaxed") if len(frames) > 1 else frames[0]


def _read_every(path: Path, every: int):
    """Every k-th row of one parquet file (rows 0, k, 2k, ...), a record batch at a time."""
    import polars as pl
    import pyarrow as pa
    import pyarrow.parquet as pq

    if every <= 1:
        return pl.read_parquet(path)
    file, at, kept = pq.ParquetFile(path), 0, []
    for batch in file.iter_batches(batch_size=65_536):
        first = -at % every  # the first row of this batch whose overall index is a multiple of `every`
        if first < batch.num_rows:
            kept.append(batch.take(pa.array(range(first, batch.num_rows, every))))
        at += batch.num_rows
    return pl.from_arrow(pa.Table.from_batches(kept, schema=file.schema_arrow))


def load_rows(path: Path, every: int | None = None):
    """Both splits of the version at `path`, normalised (see the module docstring): all rows,
    or for a larger version every k-th row (`every`; default from `sampled_every`)."""
    import polars as pl

    every = every if every is not None else sampled_every(count_rows(path))
    parts = [normalise(read_split(path, s, every), s) for s in SPLIT_DIRS]
    return pl.concat(parts, how="vertical")


def sampled_every(total: int, max_rows: int | None = None) -> int:
    """1 when a version of `total` rows is read whole, else k (every k-th row is read)."""
    max_rows = max_rows or MAX_ROWS
    return -(-total // max_rows) if total > max_rows else 1


def _text(df, col: str, assistant: bool | None = None):
    """A column as text: strings as they are, chat messages' contents joined (only the
    assistant's, or only the others', when `assistant` is set); other types are null."""
    import polars as pl

    dt = df.schema[col]
    if dt == pl.String:
        return pl.col(col)
    if isinstance(dt, pl.List) and isinstance(dt.inner, pl.Struct):
        fields = {f.name: f.dtype for f in dt.inner.fields}
        if fields.get("content") != pl.String:
            return pl.lit(None, pl.String)
        e = pl.element()
        if assistant is not None and "role" in fields:
            keep = e.struct.field("role") == "assistant"
            e = e.filter(keep if assistant else ~keep)
        return pl.col(col).list.eval(e.struct.field("content")).list.join("\n\n")
    if dt.is_numeric() or dt == pl.Boolean:
        return pl.col(col).cast(pl.String)
    return pl.lit(None, pl.String)


def _first_text(df, columns, assistant: bool | None):
    import polars as pl

    for c in columns:
        if c in df.columns:
            return _text(df, c, (assistant if c == "messages" else None))
    return pl.lit(None, pl.String)


def _meta(df, name: str, dtype):
    import polars as pl

    if "meta" in df.columns and isinstance(df.schema["meta"], pl.Struct) and name in {f.name for f in df.schema["meta"].fields}:
        return pl.col("meta").struct.field(name).cast(dtype, strict=False)
    return pl.lit(None, dtype)


def _col(df, name: str, dtype):
    import polars as pl

    if name in df.columns and (df.schema[name] == dtype or df.schema[name].is_numeric() or df.schema[name] == pl.String):
        return pl.col(name).cast(dtype, strict=False)
    return pl.lit(None, dtype)


def _verdicts(df):
    """`meta.verdicts` as one line: `name vV: score (pass|fail)`, joined by '; '."""
    import polars as pl

    if "meta" not in df.columns or not isinstance(df.schema["meta"], pl.Struct):
        return pl.lit(None, pl.String)
    fields = {f.name: f.dtype for f in df.schema["meta"].fields}
    if not isinstance(fields.get("verdicts"), pl.List):
        return pl.lit(None, pl.String)
    e = pl.element().struct
    one = pl.concat_str(
        e.field("name"), pl.lit(" v"), e.field("version").cast(pl.String), pl.lit(": "),
        e.field("score").round(3).cast(pl.String).fill_null("-"), pl.lit(" "),
        pl.when(e.field("passed")).then(pl.lit("pass")).when(e.field("passed").not_()).then(pl.lit("fail")).otherwise(pl.lit("-")),
        ignore_nulls=True,
    )
    return pl.col("meta").struct.field("verdicts").list.eval(one).list.join("; ")


def _struct_text(df, name: str):
    """A struct column (`contamination`) as `k=v, ...` text; other types as text."""
    import polars as pl

    if name not in df.columns:
        return pl.lit(None, pl.String)
    dt = df.schema[name]
    if isinstance(dt, pl.Struct):
        parts = []
        for f in dt.fields:
            parts += [pl.lit(f"{f.name}="), pl.col(name).struct.field(f.name).cast(pl.String).fill_null("-"), pl.lit(", ")]
        return pl.when(pl.col(name).is_null()).then(None).otherwise(pl.concat_str(parts[:-1]))
    return _text(df, name)


def normalise(df, split: str):
    import polars as pl

    n = df.height
    if not df.width:
        df = pl.DataFrame({"_": pl.Series([], dtype=pl.Null)})
    ids = _col(df, "id", pl.String) if "id" in df.columns else pl.format("row-{}", pl.int_range(pl.len()) + 1)
    reason = _col(df, "reason", pl.String) if split == "rejected" else pl.lit(None, pl.String)
    out = df.select(
        ids.alias("id"),
        pl.lit(split).alias("split"),
        reason.alias("reason"),
        (_col(df, "rejected_by", pl.String) if split == "rejected" else pl.lit(None, pl.String)).alias("rejected_by"),
        _first_text(df, PROMPT_COLUMNS, False).alias("prompt"),
        _first_text(df, RESPONSE_COLUMNS, True).alias("response"),
        (_text(df, "rejected") if "chosen" in df.columns and "rejected" in df.columns else pl.lit(None, pl.String)).alias("other"),
        _col(df, "answer", pl.String).alias("answer"),
        _text(df, "solution").alias("solution") if "solution" in df.columns else pl.lit(None, pl.String).alias("solution"),
        *[_meta(df, k, getattr(pl, t)).alias(k) for k, t in META.items() if k != "source"],
        _verdicts(df).alias("verdicts"),
        _col(df, "reward", pl.Float64).alias("reward"),
        _col(df, "dup_of", pl.String).alias("dup_of"),
        _struct_text(df, "contamination").alias("contamination"),
        (_col(df, "source", pl.String) if "source" in df.columns else _meta(df, "source", pl.String)).alias("source"),
        _col(df, "synthetic", pl.Boolean).alias("synthetic") if "synthetic" in df.columns else pl.lit(None, pl.Boolean).alias("synthetic"),
        _col(df, "num_tokens", pl.Int64).alias("num_tokens"),
    )
    if out.height != n:  # a frame with no columns: select of literals gives one row
        out = out.head(n)
    return out.with_columns(
        category=pl.when(pl.col("split") == "train").then(pl.lit("kept"))
        .otherwise(pl.col("reason").fill_null("unknown").str.split(":").list.first()),
        key=pl.concat_str(pl.col("parent_id").fill_null(""), pl.lit("\x1f"), pl.col("prompt").fill_null(pl.col("id"))),
    )
