"""`Verdict`: what a filter returns (keep/reason/score per row), and how the engine applies it.

Applying a verdict never deletes a row: it splits the table into kept and rejected rows,
appends the judgement to each row's `meta.verdicts`, and gives rejected rows `reason`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Verdict:
    keep: list[bool]  # lists or polars Series, one value per row
    reason: list[str | None]  # None for kept rows
    score: list[float | None] | None = None
    name: str = ""  # who judged (verifier or filter name)
    version: str = "1"
    meta: dict[str, list] = field(default_factory=dict)  # meta fields to set, e.g. dedup_cluster
    columns: dict[str, list] = field(default_factory=dict)  # extra columns on rejected rows, e.g. dup_of
    added: dict[str, list] = field(default_factory=dict)  # columns added to every row, e.g. reward

    def __post_init__(self):
        n = len(self.keep)
        for what, col in [
            ("reason", self.reason),
            ("score", self.score),
            *self.meta.items(),
            *self.columns.items(),
            *self.added.items(),
        ]:
            if col is not None and len(col) != n:
                raise ValueError(f"Verdict.{what}: {len(col)} values for {n} rows")


def apply_verdict(df, v: Verdict):
    """Return (kept, rejected) polars frames; rejected has a `reason` column."""
    import polars as pl

    n = len(v.keep)
    score = v.score if v.score is not None else [None] * n
    df = df.with_columns(
        pl.Series("_keep", v.keep, dtype=pl.Boolean),
        pl.Series("reason", v.reason, dtype=pl.String),
        pl.Series("_score", score, dtype=pl.Float64),
        *[pl.Series(k, vals) for k, vals in {**v.columns, **v.added}.items()],
    )
    verdict = pl.struct(
        name=pl.lit(v.name, pl.String), version=pl.lit(v.version, pl.String), score=pl.col("_score"), passed=pl.col("_keep")
    )
    updates = {"verdicts": pl.concat_list(pl.col("meta").struct.field("verdicts"), verdict)}
    for k, vals in v.meta.items():
        updates[k] = pl.Series(k, vals)
    df = df.with_columns(pl.col("meta").struct.with_fields(**updates))
    kept = df.filter(pl.col("_keep")).drop("_keep", "_score", "reason", *v.columns)
    rejected = df.filter(~pl.col("_keep")).drop("_keep", "_score")
    return kept, rejected
