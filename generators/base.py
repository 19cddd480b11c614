"""What every verifying generator shares: its spec, context, recipe field path, verifier, and
the `describe()` that feeds its stage key (model identities, verifier name + version, and the
built-in JSON schema and instruction of its reply's shape, `generators.shapes`, when it asks
for one)."""

from __future__ import annotations

from filters.verify import get_verifier


class VerifyingGenerator:
    scope = "shard"
    kind = ""  # the generator's name in `describe()`
    shape = None  # how the generator's writing calls are asked and read (generators.shapes)

    def __init__(self, spec, ctx):
        self.spec = spec
        self.ctx = ctx
        self.field = f"stages.{ctx.index}"
        self.verifier = get_verifier(spec.verifier, f"{self.field}.verifier")

    def report(self) -> dict | None:
        """What the last call found (rounds, spreads, survival); None when nothing to say."""
        return None

    def describe(self) -> dict:
        spec = self.spec
        out = {
            "generator": self.kind,
            "model": self.ctx.model_identity(spec.model),
            "verifier": {"name": self.verifier.name, "version": self.verifier.version},
        }
        if hasattr(spec, "creator_model"):
            out["creator"] = self.ctx.model_identity(spec.creator_model or spec.model)
        shape = self.shape.describe() if self.shape is not None else None
        return {**out, "shape": shape} if shape else out
