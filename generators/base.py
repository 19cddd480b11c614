"""What every verifying generator shares: its spec, context, recipe field path, verifier, and
the `describe()` that feeds its stage key (model identities and verifier name + version)."""

from __future__ import annotations

from filters.verify import get_verifier


class VerifyingGenerator:
    scope = "shard"
    kind = ""  # the generator's name in `describe()`

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
        return out
