"""The stage contract: what the engine, an executor and the filter commands may assume of
every stage (generator, filter or `python` stage), and how a stage is made from its spec.

A stage is built as `cls(spec, ctx)` from the name table (`generators.REGISTRY`,
`filters.REGISTRY`, `python`; `datagen.engine.make_stage`, above the filters and generators in
the layering while this contract sits below them) and offers:

- `scope`: `"shard"` (called once per shard, shards independent: any executor may run them
  anywhere, in any order) or `"global"` (called once on every row: dedup, self-play);
- `describe() -> dict`: everything besides the spec that decides its output (models and
  their weights, verifier versions, benchmark contents); hashed into the stage key, so it
  must be cheap and must not load an engine;
- `__call__(table) -> Verdict | table`: a `datasets.Dataset` in; a filter returns a
  `datagen.verdict.Verdict` (keep/reason/score per row, columns to add), a generator returns
  its new rows (rows with a `reject_reason` are its rejects);
- `report() -> dict | None`: what it found on its last call (a generator's rounds, spreads
  and survival; decontamination matches, dedup pair counts, a verifier audit), or None;
  stored in the shard's marker (`generator` for a stage that makes rows, `report` for a
  filter) and gathered into the manifest.

A global stage may also run in parts (`PartitionedStage`: exact and MinHash dedup): given its
input shards, a work directory and a `Mapper` (the executor's `map`, which runs module-level
functions wherever the executor runs work), it computes what it decided (keys per shard,
groups per partition, decisions in the caller) and returns a small shard-scope stage that
applies those decisions to each shard; so no process holds every row. It returns None when
it cannot (embedding dedup), and the engine calls it on the whole table instead.

`StageContext` is what a stage may reach: its index, the LLM pool (models by recipe name,
through the request cache), the recipe seed and how errors name its fields.

What it does not do: decide where stages run (the engine and executors do) or read/write
shards (datagen/stage_io.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable


@runtime_checkable
class Stage(Protocol):
    scope: Literal["shard", "global"]

    def describe(self) -> dict: ...

    def __call__(self, table: Any) -> Any: ...

    def report(self) -> dict | None: ...


class Mapper(Protocol):
    def map(self, fn, calls: list[tuple], label: str) -> list:
        """`[fn(*args) for args in calls]`, run wherever the executor runs work (fn importable)."""
        ...


@runtime_checkable
class PartitionedStage(Protocol):
    scope: Literal["global"]

    def in_parts(self, inputs: list, work: Any, mapper: Mapper, parts: int) -> Stage | None: ...


@dataclass
class StageContext:
    index: int
    pool: object  # LLMPool
    seed: int = 0
    field: str = ""  # how errors name this stage's fields: `stages.N` in a recipe, `option` on the command line

    def __post_init__(self):
        self.field = self.field or f"stages.{self.index}"

    def llm(self, name: str):
        return self.pool.get(name)

    def model_identity(self, name: str) -> dict:
        return self.pool.identity(name)
