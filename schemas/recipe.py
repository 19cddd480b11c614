"""The recipe: a pydantic model loaded from YAML, with `--set a.b=c` overrides.

A recipe names its source, its models, an ordered list of stages and its output. Unknown
keys and wrong types are errors that name the field path (`stages.1.k: ...`). Loading
(YAML, overrides, error formatting) lives in `datagen/recipe_io.py`.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from schemas.models import ModelSpec
from schemas.sources import SourceSpec, infer_source
from schemas.stages import StageSpec

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class OutputSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="dataset name in the store; versions are NAME@v1, NAME@v2, ...")
    shards: int = Field(4, ge=1, le=4096, description="the input is split into this many shards; each is resumable")
    description: str = ""
    license: str = "other"

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not NAME.match(v):
            raise ValueError("must be letters, digits, '.', '_' or '-' (no '@' or '/'), at most 100 characters")
        return v


class Recipe(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = ""
    seed: int = 0
    source: SourceSpec
    models: dict[str, ModelSpec] = Field(default_factory=lambda: {"default": ModelSpec()})
    stages: list[StageSpec] = Field(min_length=1)
    output: OutputSpec

    @field_validator("source", mode="before")
    @classmethod
    def _shorthand(cls, v):
        return infer_source(v) if isinstance(v, str) else v

    @model_validator(mode="after")
    def _models_exist(self) -> Recipe:
        for i, stage in enumerate(self.stages):
            name = getattr(stage, "model", None)
            if name is not None and name not in self.models:
                known = ", ".join(sorted(self.models)) or "none"
                raise ValueError(f"stages.{i}.model: unknown model '{name}' (recipe.models has: {known})")
        return self
