"""Source specs: where seed prompts come from.

A source is a jsonl/parquet file, a dataset saved with `save_to_disk`, a Hub id loaded
through `datasets.load_dataset`, a datagen version `NAME@vN`, or a procedural generator.
A plain string is accepted too and its kind inferred (`NAME@vN`, `*.jsonl`, `*.parquet`,
a directory, else a Hub id). Loading lives in `datagen/sources.py`.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

VERSION_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*@(v[0-9]+|latest)$")


class _Columns(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question_column: str = Field("question", description="column holding the prompt text")
    answer_column: str | None = Field("answer", description="column holding the reference answer (null: none)")
    answer_pattern: str | None = Field(None, description="regex with one group extracting the answer, e.g. '#### (.+)$' for GSM8K")
    solution_column: str | None = Field("solution", description="column holding a reference solution, used if present (null: none)")
    id_column: str | None = Field(None, description="column with stable ids; default: a hash of the question")
    limit: int | None = Field(None, ge=1, description="take only the first N rows")


class JsonlSource(_Columns):
    type: Literal["jsonl"]
    path: str


class ParquetSource(_Columns):
    type: Literal["parquet"]
    path: str


class DiskSource(_Columns):
    type: Literal["disk"]
    path: str = Field(description="a directory written by datasets' save_to_disk")
    split: str = "train"


class HubSource(_Columns):
    type: Literal["hub"]
    id: str = Field(description="Hugging Face dataset id, e.g. openai/gsm8k")
    config: str | None = None
    split: str = "train"
    revision: str | None = None


class VersionSource(_Columns):
    type: Literal["version"]
    ref: str = Field(pattern=VERSION_REF.pattern, description="NAME@vN or NAME@latest")
    split: Literal["train", "test", "rejected"] = "train"


class ProceduralSource(_Columns):
    type: Literal["procedural"]
    task: Literal["arithmetic"] = "arithmetic"
    n: int = Field(100, ge=1)
    seed: int = 0
    split: Literal["train", "test"] = "train"


SourceSpec = Annotated[
    JsonlSource | ParquetSource | DiskSource | HubSource | VersionSource | ProceduralSource,
    Field(discriminator="type"),
]


def infer_source(value: str) -> dict:
    """Turn a shorthand string into a source dict."""
    if VERSION_REF.match(value):
        return {"type": "version", "ref": value}
    low = value.lower()
    if low.endswith((".jsonl", ".json", ".jsonl.gz")):
        return {"type": "jsonl", "path": value}
    if low.endswith(".parquet"):
        return {"type": "parquet", "path": value}
    from pathlib import Path

    if Path(value).expanduser().is_dir():
        return {"type": "disk", "path": value}
    return {"type": "hub", "id": value}
