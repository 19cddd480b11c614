"""Load a recipe's source into the seed table: `id`, `question`, `answer`, `meta`.

Readers: jsonl (polars; a bad line is reported by number), parquet, a `save_to_disk`
directory, a Hub id through `datasets.load_dataset` (with revision), a datagen version
`NAME@vN`, and the procedural arithmetic task of the embedded tiny model. Returns a
`SeedTable` with the table, a label for lineage and the parent versions.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from datagen.errors import UserError
from datagen.file_io import read_file, read_jsonl  # noqa: F401 - re-exported for callers


@dataclass
class SeedTable:
    table: object  # pyarrow.Table with schemas.rows.SEED_SCHEMA
    label: str  # lineage: where the rows came from
    parents: list[str] = field(default_factory=list)  # NAME@vN this run reads from


def load_source(spec, store_root: Path | None = None) -> SeedTable:
    df, label, parents = read_frame(spec, store_root)
    return SeedTable(_normalise(df, spec, label), label, parents)


def read_frame(spec, store_root: Path | None = None, field: str = "source"):
    """(polars frame with every column, lineage label, parent versions) for a source spec;
    errors name `field` (e.g. `sources.2.source`)."""
    import polars as pl

    kind = spec.type
    parents: list[str] = []
    if kind == "jsonl":
        df, label = read_jsonl(Path(spec.path), f"{field}.path"), str(spec.path)
    elif kind == "parquet":
        df, label = read_file(Path(spec.path), pl.read_parquet, f"{field}.path"), str(spec.path)
    elif kind == "disk":
        df, label = _read_disk(spec, field), str(spec.path)
    elif kind == "hub":
        df = _read_hub(spec, field)
        label = f"hf:{spec.id}" + (f"/{spec.config}" if spec.config else "") + f":{spec.split}" + (f"@{spec.revision}" if spec.revision else "")
    elif kind == "version":
        from datagen.store import Store

        store = Store(store_root)
        ref = store.resolve(spec.ref)
        df = pl.from_arrow(store.read_table(ref, spec.split))
        label, parents = str(ref), [str(ref)]
    elif kind == "procedural":
        from datagen.tiny.tasks import make_problems

        df = pl.DataFrame(make_problems(spec.n, seed=spec.seed, split=spec.split))
        label = f"procedural:{spec.task}:{spec.split}:seed={spec.seed}"
    else:  # pragma: no cover - the schema union rules this out
        raise UserError(f"{field}.type: unknown source type {kind!r}")
    return df, label, parents


def _read_disk(spec, field: str = "source"):
    import datasets
    import polars as pl

    path = Path(spec.path)
    if not path.is_dir():
        raise UserError(f"{field}.path: directory not found: {path}")
    try:
        ds = datasets.load_from_disk(str(path))
    except Exception as e:  # noqa: BLE001
        raise UserError(f"{field}.path: {path} is not a dataset saved with save_to_disk: {e}") from None
    if isinstance(ds, datasets.DatasetDict):
        if spec.split not in ds:
            raise UserError(f"{field}.split: {spec.split!r} not in {path} (splits: {', '.join(ds)})")
        ds = ds[spec.split]
    return pl.from_arrow(ds.data.table)


def _read_hub(spec, field: str = "source"):
    import datasets
    import polars as pl

    from datagen.hub import hub_access

    access, down = hub_access(spec.id)
    try:
        with access:  # the Hub unreachable: the datasets cache only, without the libraries' retries
            ds = datasets.load_dataset(spec.id, spec.config, split=spec.split, revision=spec.revision)
    except Exception as e:  # noqa: BLE001 - offline, missing, gated: all bad input for the recipe
        why = f"the Hub is unreachable ({down}) and the datasets cache has no copy" if down else str(e)
        raise UserError(f"{field}.id: cannot load Hub dataset {spec.id!r} (config={spec.config}, split={spec.split}, revision={spec.revision}): {why}") from None
    return pl.from_arrow(ds.data.table)


def _normalise(df, spec, label: str, offset: int = 0, unique: bool = True):
    """Select and rename to the seed schema; ids from `id_column` or a hash of the question.
    `offset`: the first row's number in the whole source (for errors), when `df` is one batch
    of it; `unique=False` leaves repeated ids for the caller to settle across batches."""
    import polars as pl
    import pyarrow as pa

    from schemas.rows import META, SEED_SCHEMA, empty_meta

    if spec.limit and not offset:
        df = df.head(spec.limit)
    cols = set(df.columns)
    q = spec.question_column
    if q not in cols:
        raise UserError(f"source.question_column: column {q!r} not found in {label} (columns: {', '.join(sorted(cols))})")
    nulls = df.select(pl.col(q).is_null() | (pl.col(q).cast(pl.String).str.strip_chars() == "")).to_series()
    if nulls.any():
        first = int(nulls.arg_true()[0]) + offset
        raise UserError(f"{label}: row {first + 1} has an empty {q!r}; every seed needs a question")
    question = df.get_column(q).cast(pl.String)
    answer = _optional_column(df, spec.answer_column, "answer", label)
    if spec.answer_pattern and spec.answer_column in cols:
        answer = answer.str.extract(spec.answer_pattern, 1).str.strip_chars()
    solution = _optional_column(df, spec.solution_column, "solution", label)
    id_column = spec.id_column or ("id" if spec.type in ("procedural", "version") else None)
    if id_column:
        if id_column not in cols:
            raise UserError(f"source.id_column: column {id_column!r} not found in {label}")
        ids = df.get_column(id_column).cast(pl.String)
    else:
        ids = _hash_ids(question.to_list())
    if unique:
        ids = unique_ids(ids)
    meta = pa.repeat(pa.scalar(empty_meta(label), type=META), len(df))
    arrays = [ids.to_arrow().cast(pa.string()), question.to_arrow().cast(pa.string()), answer.to_arrow().cast(pa.string()),
              solution.to_arrow().cast(pa.string()), meta]
    return pa.Table.from_arrays(arrays, schema=SEED_SCHEMA)


def _optional_column(df, name: str | None, default: str, label: str):
    """A string column that is used when present; naming a missing one (other than the default) is an error."""
    import polars as pl

    if name is not None and name in df.columns:
        return df.get_column(name).cast(pl.String)
    if name is not None and name != default:
        raise UserError(f"source.{default}_column: column {name!r} not found in {label} (columns: {', '.join(sorted(df.columns))})")
    return pl.Series([None] * len(df), dtype=pl.String)


def _hash_ids(questions):
    """A question's id when the source names none: the first 20 hex digits of its sha256."""
    import polars as pl

    return pl.Series([hashlib.sha256(t.encode()).hexdigest()[:20] for t in questions], dtype=pl.String)


def unique_ids(ids):
    """Repeated ids (the same question twice) get a `#k` suffix so lineage stays unambiguous."""
    import polars as pl

    df = pl.DataFrame({"id": ids}).with_columns(k=pl.col("id").cum_count().over("id"))
    return df.select(pl.when(pl.col("k") > 1).then(pl.col("id") + "#" + pl.col("k").cast(pl.String)).otherwise(pl.col("id"))).to_series()
