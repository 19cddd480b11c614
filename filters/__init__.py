"""Filters: stages that judge rows. `REGISTRY` maps a recipe stage `type` to its class; each
is built as `cls(spec, ctx)` and called as `flt(ds) -> Verdict`."""

from filters.dedup import ExactDedup
from filters.verify import VerifyFilter

REGISTRY = {"verify": VerifyFilter, "dedup": ExactDedup}
