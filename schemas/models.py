"""Model specs: which backend serves a named model in a recipe, and how to reach it.

Secrets are never part of a spec: the OpenAI backend names the environment variable that
holds the key (`api_key_env`), so recipes, manifests, cards and cache keys stay clean.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Price(BaseModel):
    """What a hosted model bills, in US dollars per million tokens (`models.NAME.price`)."""

    model_config = ConfigDict(extra="forbid")

    input_per_mtok: float = Field(ge=0, description="prompt tokens, USD per million")
    output_per_mtok: float = Field(ge=0, description="completion tokens, USD per million")
    cache_read_per_mtok: float | None = Field(None, ge=0, description="prompt tokens the API served from its prompt cache, USD per million")
    batch_discount: float = Field(0.5, ge=0, lt=1, description="fraction off through the batch API (0.5: half price)")


class ModelSpec(BaseModel):
    """A model in `recipe.models`. `model: null` means datagen's embedded tiny model."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["vllm", "openai", "transformers"] = "vllm"
    model: str | None = Field(None, description="HF id or local path (vllm/transformers), or the served model name (openai); null = the embedded tiny model")
    revision: str | None = None
    # vllm / transformers
    dtype: str = "auto"
    max_model_len: int | None = None
    tensor_parallel_size: int = Field(1, ge=1)
    data_parallel_size: int = Field(1, ge=1)
    gpu_memory_utilization: float = Field(0.9, gt=0.0, le=1.0)
    engine_args: dict[str, Any] = Field(default_factory=dict, description="extra keyword arguments for vllm.LLM / from_pretrained")
    chat_template_kwargs: dict[str, Any] = Field(default_factory=dict)
    batch_size: int = Field(256, ge=1, description="requests handed to the engine at once; each batch is cached when it finishes")
    # openai-compatible servers
    base_url: str | None = None
    api_key_env: str | None = Field(None, description="name of the environment variable holding the API key (never the key itself)")
    max_concurrency: int = Field(32, ge=1)
    timeout_s: float = Field(120.0, gt=0)
    max_retries: int = Field(6, ge=0)
    backoff_base_s: float = Field(0.5, gt=0)
    backoff_max_s: float = Field(30.0, gt=0)
    price: Price | None = Field(None, description="what the model bills per million tokens; the manifest, card and report then show cost")
    # openai batch API (never part of a cache key or stage key: the same requests, sent another way)
    batch: bool = Field(False, description="send requests through the OpenAI Batch API (openai backend only)")
    batch_poll_s: float = Field(30.0, gt=0, description="seconds between batch status polls")
    batch_max_requests: int = Field(50_000, ge=1, description="requests per batch (the API's limit)")
    batch_max_bytes: int = Field(200_000_000, ge=1, description="bytes of JSONL per batch input file (the API's limit)")
    batch_completion_window: str = Field("24h", description="the batch's completion_window")

    @field_validator("batch")
    @classmethod
    def _batch_needs_openai(cls, v: bool, info):
        if v and info.data.get("backend") != "openai":
            raise ValueError(f"batch: true needs backend: openai (this model's backend is {info.data.get('backend')!r})")
        return v
