"""The trainer spec (`datagen train sft|dpo|grpo`, or a recipe's `train:` section), mapped onto
TRL's `SFTConfig` / `DPOConfig` / `GRPOConfig` by `datagen/train/config.py`.

Common fields name the data (`NAME@vN`, a jsonl/parquet file), the model (HF id, local path,
or null for the embedded tiny model), the run's length, batch, learning rate, precision and
LoRA; method fields cover what differs (DPO's beta, GRPO's rewards and generations). Any other
TRL config field goes under `trl:` and is checked against the TRL config class.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class LoraSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    r: int = Field(16, ge=1)
    alpha: int = Field(32, ge=1)
    dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: list[str] | Literal["all-linear"] = "all-linear"


class TrainSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal["sft", "dpo", "grpo"] = "sft"
    data: str | None = Field(None, description="NAME@vN, NAME@latest or a .jsonl/.parquet file (in a recipe: default the recipe's output)")
    split: str = "train"
    eval_split: str | None = Field(None, description="a split to evaluate the loss on (e.g. a mixture's `test`)")
    model: str | None = Field(None, description="HF id or local path to start from; null = the embedded tiny model")
    revision: str | None = None
    out: str | None = Field(None, description="output directory (checkpoints, final model, model card)")
    seed: int = 0
    epochs: float = Field(1.0, gt=0)
    max_steps: int = Field(-1, description="stop after this many optimizer steps (-1: run the epochs)")
    learning_rate: float = Field(1e-5, gt=0)
    lr_scheduler: str = "cosine"
    warmup_ratio: float = Field(0.03, ge=0, lt=1)
    batch_size: int = Field(8, ge=1, description="examples per device per forward pass")
    grad_accum: int = Field(1, ge=1, description="forward passes per optimizer step")
    max_length: int | None = Field(1024, ge=1, description="truncate examples to this many tokens (null: no limit)")
    precision: Literal["auto", "fp32", "bf16", "fp16"] = Field("auto", description="auto: bf16 on a GPU that has it, else fp32")
    gradient_checkpointing: bool | None = Field(None, description="recompute activations to save memory (null: TRL's default, on for SFT)")
    lora: LoraSpec | None = None
    save_steps: int = Field(200, ge=1, description="checkpoint every N steps (resume picks up the last)")
    save_total_limit: int = Field(2, ge=1)
    resume: bool = Field(True, description="continue from the last checkpoint in `out` when there is one")
    logging_steps: int = Field(10, ge=1)
    # sft
    completion_only_loss: bool | None = Field(None, description="sft: loss on completions only (TRL default for prompt/completion rows)")
    packing: bool = False
    # dpo
    beta: float = Field(0.1, gt=0, description="dpo: KL strength")
    # grpo
    rewards: list[str] = Field(default_factory=list, description="grpo: datagen verifiers used as reward functions (math_answer, code_tests, ifeval)")
    num_generations: int = Field(8, ge=2, description="grpo: completions per prompt")
    max_completion_length: int = Field(256, ge=1)
    temperature: float = Field(1.0, gt=0)
    use_vllm: bool = Field(False, description="grpo: generate with vLLM (colocated) instead of transformers")
    trl: dict[str, Any] = Field(default_factory=dict, description="any other field of the TRL config class, passed as is")

    @model_validator(mode="after")
    def _method_fields(self) -> TrainSpec:
        if self.method == "grpo" and not self.rewards:
            raise ValueError("rewards: GRPO needs at least one reward (a verifier name, e.g. [math_answer])")
        if self.method != "grpo" and self.rewards:
            raise ValueError(f"rewards: only GRPO uses rewards (method is {self.method})")
        return self


class EvalSpec(BaseModel):
    """A recipe's `eval:` section: how the loop scores the model before and after training."""

    model_config = ConfigDict(extra="forbid")

    data: str = Field("procedural", description="procedural | a benchmark name | NAME@vN | a file")
    verifier: str = "math_answer"
    k: int = Field(8, ge=1)
    n: int | None = Field(None, ge=1, description="samples per problem (default: k)")
    limit: int | None = Field(200, ge=1, description="problems (procedural: how many held-out ones)")
    seed: int = 0
    temperature: float = Field(0.8, ge=0)
    top_p: float = Field(1.0, gt=0, le=1)
    max_tokens: int = Field(256, ge=1)
    template: str = Field("solve", description="solve | plain | a str.format template over {question}")
