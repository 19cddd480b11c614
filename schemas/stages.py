"""Stage specs: the discriminated union of everything a recipe's `stages:` list may hold.

The `type` field picks the spec; `generators.REGISTRY` and `filters.REGISTRY` map the same
names to implementations. `type: python` is the one escape hatch to user code
(`callable: "package.module:function"`), run as a generator or a filter.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.sampling import Sampling


class _Stage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, description="label in manifests and progress bars; default: the type")

    @property
    def label(self) -> str:
        return self.name or self.type  # type: ignore[attr-defined]


class RejectionStage(_Stage):
    """k samples per prompt, each verified; correct samples are kept (SFT rows)."""

    type: Literal["rejection"]
    model: str = Field("default", description="a key of recipe.models")
    k: int = Field(4, ge=1)
    sampling: Sampling = Field(default_factory=lambda: Sampling(temperature=0.8, max_tokens=256))
    verifier: str = "math_answer"
    system_prompt: str | None = None
    prompt_template: str = Field(
        "Solve step by step and put the final answer in \\boxed{{}}.\n\n{question}",
        description="str.format template over the row's columns",
    )
    max_correct_per_prompt: int | None = Field(None, ge=1, description="keep at most this many correct samples per prompt")


class VerifyStage(_Stage):
    """Score existing completions with a verifier; keep rows scoring >= threshold."""

    type: Literal["verify"]
    verifier: str = "math_answer"
    threshold: float = 1.0


class DedupStage(_Stage):
    """Drop duplicates across the whole dataset (exact: normalised-text hash)."""

    type: Literal["dedup"]
    method: Literal["exact"] = "exact"
    column: str = Field("completion", description="text column, or a messages column (its last message is used)")


class PythonStage(_Stage):
    """User code: `callable(ds, **args)` returning a Dataset (generator) or a keep list (filter)."""

    type: Literal["python"]
    callable: str = Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$", description="package.module:function")
    kind: Literal["generator", "filter"] = "filter"
    args: dict[str, Any] = Field(default_factory=dict)


StageSpec = Annotated[RejectionStage | VerifyStage | DedupStage | PythonStage, Field(discriminator="type")]
