"""Column paths (`meta.pass_rate`), predicates (`reward >= 1`) and labels (a constant, a
column, or bins of a numeric column) as polars expressions, checked against the frame's
schema so a misspelt column is an error that names the field and lists what exists."""

from __future__ import annotations

from datagen.errors import UserError


def column_expr(schema, path: str, field: str):
    """`a.b.c` -> pl.col("a").struct.field("b").struct.field("c"), checked against `schema`."""
    import polars as pl

    head, *rest = path.split(".")
    if head not in schema:
        raise UserError(f"{field}: no column {head!r} (columns: {', '.join(schema)})")
    expr, dtype = pl.col(head), schema[head]
    for i, part in enumerate(rest):
        if not isinstance(dtype, pl.Struct):
            raise UserError(f"{field}: {'.'.join([head, *rest[:i]])!r} is not a struct, so it has no field {part!r}")
        fields = {f.name: f.dtype for f in dtype.fields}
        if part not in fields:
            raise UserError(f"{field}: {'.'.join([head, *rest[:i]])!r} has no field {part!r} (fields: {', '.join(fields)})")
        expr, dtype = expr.struct.field(part), fields[part]
    return expr, dtype


def predicate_expr(schema, pred, field: str):
    """A boolean expression; a null comparison counts as false (the row is not kept)."""
    import polars as pl

    col, dtype = column_expr(schema, pred.column, field)
    op, v = pred.op, pred.value
    if op == "is null":
        return col.is_null()
    if op == "is not null":
        return col.is_not_null()
    if op in ("contains", "matches"):
        if dtype != pl.String:
            raise UserError(f"{field}: '{op}' needs a text column; {pred.column!r} is {dtype}")
        return col.str.contains(str(v), literal=op == "contains").fill_null(False)
    if op in ("in", "not in"):
        e = col.is_in(pl.Series(v).cast(dtype, strict=False).drop_nulls()) if v else pl.lit(False)
        return (~e if op == "not in" else e).fill_null(False)
    value = _typed(v, dtype, pred, field)
    e = {"==": col == value, "!=": col != value, "<": col < value, "<=": col <= value, ">": col > value, ">=": col >= value}[op]
    return e.fill_null(False)


def _typed(v, dtype, pred, field):
    import polars as pl

    if dtype.is_numeric() and not isinstance(v, (int, float)) or isinstance(v, bool) and dtype != pl.Boolean:
        raise UserError(f"{field}: {pred.column!r} is {dtype}; compare it with a {dtype} value, not {v!r}")
    if dtype == pl.String and not isinstance(v, str):
        return str(v)
    if isinstance(dtype, (pl.List, pl.Struct, pl.Array)):
        raise UserError(f"{field}: {pred.column!r} is {dtype}; compare a scalar field of it (a.b) instead")
    return pl.lit(v)


def label_expr(schema, label, field: str):
    """A String expression for a domain/difficulty label (null when the source has none)."""
    import polars as pl

    from schemas.mixture import Binned

    if label is None:
        return pl.lit(None, dtype=pl.String)
    if isinstance(label, str):
        return pl.lit(label)
    col, dtype = column_expr(schema, label.column, f"{field}.column")
    if isinstance(label, Binned):
        if not dtype.is_numeric():
            raise UserError(f"{field}.column: {label.column!r} is {dtype}; bins need a numeric column")
        return col.cut(label.bins, labels=label.labels, left_closed=True).cast(pl.String)
    return col.cast(pl.String)
