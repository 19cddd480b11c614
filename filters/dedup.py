"""Dedup filters. Exact: a hash of the normalised text (case-folded, whitespace collapsed),
first occurrence kept, across the whole dataset (a global stage, not per shard).

Rejected duplicates carry `dup_of` (the kept row's id); every row records its cluster in
`meta.dedup_cluster`. MinHash and embedding dedup arrive with the filters issue.
"""

from __future__ import annotations

from datagen.verdict import Verdict


def text_expr(df, column: str):
    """A polars expression for a column's text: strings as they are, message lists by their
    last message's content."""
    import polars as pl

    if column not in df.columns:
        from datagen.errors import UserError

        raise UserError(f"dedup.column: no column {column!r} (columns: {', '.join(df.columns)})")
    dtype = df.schema[column]
    if isinstance(dtype, pl.List):
        return pl.col(column).list.last().struct.field("content")
    return pl.col(column).cast(pl.String)


def normalised(expr):
    return expr.str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()


class ExactDedup:
    scope = "global"

    def __init__(self, spec, ctx=None):
        self.spec = spec

    def describe(self) -> dict:
        return {"filter": "exact_dedup", "column": self.spec.column}

    def __call__(self, ds) -> Verdict:
        import polars as pl

        df = ds.to_polars() if hasattr(ds, "to_polars") else ds
        keyed = df.select(
            pl.col("id"),
            normalised(text_expr(df, self.spec.column)).fill_null("").hash(seed=0).alias("_h"),
        ).with_columns(cluster=pl.col("id").first().over("_h"))
        keyed = keyed.with_columns(keep=pl.col("_h").is_first_distinct())
        keyed = keyed.with_columns(
            reason=pl.when(pl.col("keep")).then(None).otherwise(pl.lit("duplicate")),
            dup_of=pl.when(pl.col("keep")).then(None).otherwise(pl.col("cluster")),
        )
        return Verdict(
            keep=keyed.get_column("keep"),
            reason=keyed.get_column("reason"),
            name="exact_dedup",
            meta={"dedup_cluster": keyed.get_column("cluster")},
            columns={"dup_of": keyed.get_column("dup_of")},
        )
