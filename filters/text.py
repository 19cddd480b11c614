"""The text a filter reads from a column, as a polars expression: strings as they are,
chat message lists by their last message's content. A missing column is a UserError that
names the recipe field (or command-line option) and lists the columns there are."""

from __future__ import annotations

from datagen.errors import UserError


def text_expr(df, column: str, field: str):
    """A polars expression for a column's text: strings as they are, message lists by their
    last message's content."""
    import polars as pl

    if column not in df.columns:
        raise UserError(f"{field}: no column {column!r} (columns: {', '.join(df.columns)})")
    dtype = df.schema[column]
    if isinstance(dtype, pl.List):
        return pl.col(column).list.last().struct.field("content")
    return pl.col(column).cast(pl.String)
