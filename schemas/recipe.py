"""The recipe: a pydantic model loaded from YAML, with `--set a.b=c` overrides.

A recipe names its source, its models, an ordered list of stages and its output. Unknown
keys and wrong types are errors that name the field path (`stages.1.k: ...`). Loading
(YAML, overrides, error formatting) lives in `datagen/recipe_io.py`.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from schemas.models import ModelSpec
from schemas.sources import SourceSpec, infer_source
from schemas.stages import StageSpec
from schemas.train import EvalSpec, TrainSpec

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def dataset_name(v: str) -> str:
    """Validator for a dataset name in the store (a version is NAME@vN)."""
    if not NAME.match(v):
        raise ValueError("must be letters, digits, '.', '_' or '-' (no '@' or '/'), at most 100 characters")
    return v


class OutputSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="dataset name in the store; versions are NAME@v1, NAME@v2, ...")
    shards: int = Field(4, ge=1, le=4096, description="the input is split into this many shards; each is resumable")
    description: str = ""
    license: str = "other"

    _name = field_validator("name")(dataset_name)


class ExecutorSpec(BaseModel):
    """Where shard stages run; never part of a stage key (the same recipe gives the same rows
    under every executor)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["local", "ray"] = "local"
    address: str | None = Field(None, description="ray: `auto`, HOST:PORT or ray://...; null starts a local Ray")
    replicas: int = Field(1, ge=1, description="ray: actors, each holding its own LLM backends (one model replica each)")
    num_cpus: float = Field(1, gt=0, description="ray: CPUs per replica")
    num_gpus: float = Field(0, ge=0, description="ray: GPUs per replica (tensor parallel inside a replica: models.NAME.tensor_parallel_size)")
    max_retries: int = Field(3, ge=0, description="ray: retries of a shard whose worker or node died")


class Recipe(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = ""
    seed: int = 0
    source: SourceSpec
    models: dict[str, ModelSpec] = Field(default_factory=lambda: {"default": ModelSpec()})
    stages: list[StageSpec] = Field(min_length=1)
    output: OutputSpec
    train: TrainSpec | None = Field(None, description="train on the new version (data defaults to it, model to models.default)")
    eval: EvalSpec | None = Field(None, description="score models.default before and the trained model after")
    executor: ExecutorSpec = Field(default_factory=ExecutorSpec, description="local (default) or ray")
    rounds: int = Field(1, ge=1, le=20, description="with train: generate -> train -> eval, the trained model generating the next round")

    @field_validator("source", mode="before")
    @classmethod
    def _shorthand(cls, v):
        return infer_source(v) if isinstance(v, str) else v

    @model_validator(mode="after")
    def _loop(self) -> Recipe:
        if self.rounds > 1 and self.train is None:
            raise ValueError("rounds: more than one round needs a `train:` section (each round trains the next generator)")
        if self.train is not None and "default" not in self.models:
            raise ValueError("train: the loop trains models.default; define it")
        return self

    @model_validator(mode="after")
    def _models_exist(self) -> Recipe:
        for i, stage in enumerate(self.stages):
            for field, name in model_references(stage):
                if name not in self.models:
                    known = ", ".join(sorted(self.models)) or "none"
                    raise ValueError(f"stages.{i}.{field}: unknown model '{name}' (recipe.models has: {known})")
        return self


def model_references(stage) -> list[tuple[str, str]]:
    """(field, name) for each recipe model a stage uses: fields documented as "a key of
    recipe.models", `creator_model`, and `judge_model` when the judge method is on. (A dedup
    or decontaminate stage's `model` is an embedding model, not a recipe model.)"""
    out = []
    for field, info in type(stage).model_fields.items():
        name = getattr(stage, field)
        if name is None or not isinstance(name, str):
            continue
        if field == "judge_model" and "judge" not in (getattr(stage, "methods", None) or []):
            continue
        if "recipe.models" in (info.description or "") or field == "creator_model":
            out.append((field, name))
    return out
