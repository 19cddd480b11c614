"""Generators: stages that make candidate rows. `REGISTRY` maps a recipe stage `type` to its
class; each class is built as `cls(spec, ctx)` and called as `gen(ds) -> table`."""

from generators.rejection import RejectionSampler

REGISTRY = {"rejection": RejectionSampler}
