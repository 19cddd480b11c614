"""Generators: stages that make candidate rows. `REGISTRY` maps a recipe stage `type` to its
class; each class is built as `cls(spec, ctx)` and called as `gen(ds) -> table`."""

from generators.rejection import RejectionSampler
from generators.rewrite import PromptEvolver, SolutionRewriter
from generators.self_play import SelfPlay
from generators.variational import VariationalSynthesizer

REGISTRY = {
    "rejection": RejectionSampler,
    "variational": VariationalSynthesizer,
    "self_play": SelfPlay,
    "rewrite": SolutionRewriter,
    "evolve": PromptEvolver,
}
