"""The mixture spec (`datagen mix MIXTURE.yaml`): which sources, how much of each, and how.

A mixture names its sources (a version `NAME@vN`, a Hub id with revision, a jsonl/parquet
file, or a `save_to_disk` directory; a plain string is inferred as for recipes), how much
of each to take (`weight`, `rows` or `tokens`), per-source column predicates and
domain/difficulty labels, the chat format to normalise to, sampling (seeded, with or
without replacement, stratified), a held-out eval split, cross-source dedup and the
synthetic-fraction guardrail. Building the mixture lives in `datagen/mixing/`.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from schemas.recipe import NAME, dataset_name
from schemas.sources import DiskSource, HubSource, JsonlSource, ParquetSource, VersionSource, infer_source

OPS = ("==", "!=", "<=", ">=", "<", ">", "not in", "in", "is not null", "is null", "contains", "matches")
_PREDICATE = re.compile(
    r"^\s*(?P<column>[A-Za-z_][\w.]*)\s+(?P<op>==|!=|<=|>=|<|>|not\s+in|in|is\s+not\s+null|is\s+null|contains|matches)\s*(?P<value>.*?)\s*$"
)


class Predicate(BaseModel):
    """`COLUMN OP VALUE`, e.g. `meta.pass_rate < 0.8`, `reward == 1`, `lang in [en, de]`.
    COLUMN may name a struct field with dots; VALUE is read as YAML."""

    model_config = ConfigDict(extra="forbid")

    column: str
    op: Literal[OPS]  # type: ignore[valid-type]
    value: Any = None

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, v):
        if not isinstance(v, str):
            return v
        m = _PREDICATE.match(v)
        if not m:
            raise ValueError(f"{v!r} is not 'COLUMN OP VALUE' (OP one of: {', '.join(OPS)}), e.g. 'meta.pass_rate < 0.8'")
        import yaml

        op = " ".join(m["op"].split())
        raw = m["value"]
        if op.endswith("null"):
            if raw:
                raise ValueError(f"{v!r}: '{op}' takes no value")
            return {"column": m["column"], "op": op}
        if not raw:
            raise ValueError(f"{v!r}: '{op}' needs a value")
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            value = raw
        if op in ("in", "not in") and not isinstance(value, list):
            raise ValueError(f"{v!r}: '{op}' needs a list, e.g. [a, b]")
        return {"column": m["column"], "op": op, "value": value}

    def __str__(self) -> str:
        return f"{self.column} {self.op}" + ("" if self.op.endswith("null") else f" {self.value!r}")


class Binned(BaseModel):
    """A label from a numeric column: `bins` are the cut points, `labels` one more than them."""

    model_config = ConfigDict(extra="forbid")

    column: str
    bins: list[float] = Field(min_length=1)
    labels: list[str]

    @model_validator(mode="after")
    def _sizes(self) -> Binned:
        if len(self.labels) != len(self.bins) + 1:
            raise ValueError(f"labels: {len(self.bins)} cut points make {len(self.bins) + 1} bins; give that many labels")
        if self.bins != sorted(self.bins):
            raise ValueError("bins: cut points must be increasing")
        return self


class FromColumn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    column: str


Label = str | FromColumn | Binned


class Columns(BaseModel):
    """Which columns hold the conversation, when they are not the usual ones (`messages`,
    `conversations`, `prompt`/`completion`, `instruction`/`output`, `prompt`/`chosen`/`rejected`)."""

    model_config = ConfigDict(extra="forbid")

    messages: str | None = None
    prompt: str | None = None
    completion: str | None = None
    chosen: str | None = None
    rejected: str | None = None
    system: str | None = Field(None, description="a column with a system prompt, prepended as the first message")
    answer: str | None = Field(None, description="reference answer column, carried as `answer` (default: `answer` if present)")
    id: str | None = Field(None, description="row id column (default: `id` if present, else a hash of the conversation)")


LOCATIONS = {"jsonl": JsonlSource, "parquet": ParquetSource, "disk": DiskSource, "hub": HubSource, "version": VersionSource}
_LOCATION_FIELDS = {"type", "path", "id", "config", "split", "revision", "ref", "limit"}


class MixSource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, description="label in the composition table (default: from the source)")
    source: dict = Field(description="NAME@vN, a Hub id, a .jsonl/.parquet path, or {type: hub, id, revision, split, config}")
    weight: float | None = Field(None, gt=0, description="share of the weighted part of the mixture")
    rows: int | None = Field(None, ge=1, description="exactly this many rows")
    tokens: int | None = Field(None, ge=1, description="about this many tokens (the target tokenizer's count)")
    where: list[Predicate] = Field(default_factory=list, description="keep only rows where every predicate holds")
    columns: Columns = Field(default_factory=Columns)
    domain: Label | None = None
    difficulty: Label | None = None
    synthetic: bool | None = Field(None, description="model-generated data (default: true for datagen versions with a generator stage)")

    @field_validator("source", mode="before")
    @classmethod
    def _shorthand(cls, v):
        v = infer_source(v) if isinstance(v, str) else v
        if not isinstance(v, dict):
            raise ValueError("a source is a string (NAME@vN, path, Hub id) or a mapping with `type`")
        kind = v.get("type")
        if kind not in LOCATIONS:
            raise ValueError(f"type: {kind!r} is not a mixture source type; use one of {', '.join(LOCATIONS)}")
        extra = set(v) - _LOCATION_FIELDS
        if extra:
            raise ValueError(f"unknown field(s) {', '.join(sorted(extra))}: column mapping goes under the source's `columns:`")
        LOCATIONS[kind].model_validate(v)  # path/id/ref checks
        return v

    @model_validator(mode="after")
    def _one_amount(self) -> MixSource:
        given = [k for k in ("weight", "rows", "tokens") if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(f"give one of weight, rows, tokens (got {', '.join(given)})")
        if self.name is not None and not NAME.match(self.name):
            raise ValueError("name: letters, digits, '.', '_' or '-'")
        return self

    def location(self):
        return LOCATIONS[self.source["type"]].model_validate(self.source)


class EvalSplit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fraction: float | None = Field(None, gt=0, lt=1, description="about this fraction of the train rows, per source")
    rows: int | None = Field(None, ge=1, description="about this many rows in all, split across sources like train")

    @model_validator(mode="after")
    def _one(self) -> EvalSplit:
        if (self.fraction is None) == (self.rows is None):
            raise ValueError("give one of fraction or rows")
        return self


class MixDedup(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal["exact", "embedding", "none"] = "exact"
    key: Literal["prompt", "conversation"] = Field("prompt", description="what is compared: the user turns, or the whole conversation")
    threshold: float = Field(0.95, gt=0, le=1, description="embedding: cosine at or above which rows are duplicates")
    model: str | None = Field(None, description="embedding model (default: the offline all-MiniLM-L6-v2)")


class SyntheticCap(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_fraction: float = Field(0.2, ge=0, le=1)
    action: Literal["warn", "error", "cap"] = Field("warn", description="cap: shrink the synthetic sources to max_fraction")
    basis: Literal["rows", "tokens"] = "rows"


class Mixture(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="the output dataset name; versions are NAME@v1, NAME@v2, ...")
    description: str = ""
    license: str = "other"
    seed: int = 0
    format: Literal["sft", "preference", "prompt"] = Field("sft", description="sft: messages; preference: prompt/chosen/rejected; prompt: prompt only (GRPO)")
    tokenizer: str | None = Field(None, description="the target model's tokenizer (HF id or path): token budgets and counts")
    total_rows: int | None = Field(None, ge=1, description="size of the mixture, split by weight (with `weight` sources)")
    total_tokens: int | None = Field(None, ge=1, description="token size of the mixture, split by weight")
    replace: bool = Field(False, description="sample with replacement (needed to take more rows than a source has)")
    stratify: Literal["domain", "difficulty"] | None = None
    strata: dict[str, float] | None = Field(None, description="target share per stratum label (default: as in each source)")
    max_tokens: int | None = Field(None, ge=1, description="reject rows longer than this many tokens")
    eval: EvalSplit | None = None
    dedup: MixDedup = Field(default_factory=MixDedup)
    synthetic: SyntheticCap = Field(default_factory=SyntheticCap)
    sources: list[MixSource] = Field(min_length=1)

    _name = field_validator("name")(dataset_name)

    @model_validator(mode="after")
    def _consistent(self) -> Mixture:
        if self.total_rows is not None and self.total_tokens is not None:
            raise ValueError("give one of total_rows or total_tokens")
        weighted = any(s.weight is not None for s in self.sources)
        if (self.total_rows or self.total_tokens) and not weighted:
            raise ValueError("total_rows/total_tokens split the mixture by weight, but no source has a `weight`")
        needs_tokens = self.total_tokens or self.max_tokens or any(s.tokens for s in self.sources) or self.synthetic.basis == "tokens"
        if needs_tokens and not self.tokenizer:
            raise ValueError("token budgets need `tokenizer:` (the target model's tokenizer, an HF id or a path)")
        if weighted and self.replace and not (self.total_rows or self.total_tokens):
            raise ValueError("with replace: true, weighted sources need total_rows or total_tokens")
        if self.strata is not None and self.stratify is None:
            raise ValueError("strata: set `stratify: domain|difficulty` too")
        if self.stratify:
            missing = [str(i) for i, s in enumerate(self.sources) if getattr(s, self.stratify) is None]
            if missing:
                raise ValueError(f"stratify: {self.stratify}: sources {', '.join(missing)} have no `{self.stratify}` label")
        names = [s.name for s in self.sources if s.name]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"sources: the name {dup[0]!r} is used twice")
        return self
