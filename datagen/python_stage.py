"""The `type: python` escape hatch: a user function run as a generator or a filter.

`callable(ds, **args)` gets a `datasets.Dataset`; a generator returns a Dataset (or Arrow
table / polars frame, optionally with a `reject_reason` column), a filter returns a list of
booleans (True = keep) or a `datagen.verdict.Verdict`.
"""

from __future__ import annotations

import importlib

from datagen.errors import UserError
from datagen.verdict import Verdict


class PythonStage:
    scope = "shard"

    def __init__(self, spec, ctx):
        self.spec = spec
        mod_name, fn_name = spec.callable.split(":")
        try:
            self.fn = getattr(importlib.import_module(mod_name), fn_name)
        except (ImportError, AttributeError) as e:
            raise UserError(f"stages.{ctx.index}.callable: cannot import {spec.callable!r}: {e}") from None

    def report(self) -> None:
        return None

    def describe(self) -> dict:
        return {"python": self.spec.callable, "kind": self.spec.kind}

    def __call__(self, ds):
        out = self.fn(ds, **self.spec.args)
        if self.spec.kind == "generator":
            return out
        if isinstance(out, Verdict):
            return out
        keep = [bool(x) for x in out]
        return Verdict(keep=keep, reason=[None if k else f"python:{self.spec.callable}" for k in keep], name=self.spec.callable)
