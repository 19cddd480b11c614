"""Sampling parameters shared by every LLM backend and every recipe stage.

Only the knobs all backends (vLLM, OpenAI-compatible servers, transformers) can honour
are here; backend-specific engine options live on the model spec instead.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Sampling(BaseModel):
    """How to sample: `n` completions per conversation, each with its own derived seed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    n: int = Field(1, ge=1, le=4096, description="completions per conversation")
    temperature: float = Field(1.0, ge=0.0, le=5.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    max_tokens: int = Field(256, ge=1)
    seed: int = Field(0, description="base seed; sample i of a conversation uses a seed derived from it")
    stop: list[str] = Field(default_factory=list)
    logprobs: int | None = Field(None, ge=0, le=20, description="top logprobs per token, or none")
    json_schema: dict | None = Field(
        None, description="constrain the completion to this JSON Schema (vLLM structured outputs, OpenAI response_format); "
        "set by stages with `output_schema`, part of the request's cache key")

    def cache_dict(self) -> dict:
        """What identifies one sample's distribution (n is excluded: sample i is the same for any n)."""
        return self.model_dump(exclude={"n"})
