"""User functions for `type: python` stages in engine tests (no model needed). Each call
appends a line to $DATAGEN_TEST_CALLS so tests can count recomputations."""

from __future__ import annotations

import os


def _log(name: str, n: int) -> None:
    path = os.environ.get("DATAGEN_TEST_CALLS")
    if path:
        with open(path, "a") as f:
            f.write(f"{name} {n}\n")


def answer_half(ds, wrong_every: int = 2):
    """Answer every question, deliberately wrong on every `wrong_every`-th row."""
    _log("answer_half", len(ds))

    def add(row, i):
        ans = row["answer"] if i % wrong_every else f"{row['answer']}1"
        return {"prompt": [{"role": "user", "content": row["question"]}], "completion": [{"role": "assistant", "content": f"\\boxed{{{ans}}}"}]}

    return ds.map(add, with_indices=True)


def keep_short(ds, max_len: int = 40):
    _log("keep_short", len(ds))
    return [len(q) <= max_len for q in ds["question"]]


def keep_slowly(ds, seconds: float = 1.0, log: str | None = None):
    """Keep every row after `seconds` (a stage slow enough to interrupt); each call appends its
    first id to `log` (an argument, not the environment: Ray workers do not see the driver's)."""
    import time

    time.sleep(seconds)
    if log:
        with open(log, "a") as f:
            f.write(f"{ds['id'][0] if len(ds) else '-'}\n")
    return [True] * len(ds)


try:  # a pydantic model for `output_schema: {python: tests.stage_fns:Problem}`
    from pydantic import BaseModel, Field

    class Problem(BaseModel):
        problem: str = Field(min_length=5)
        answer: int
        topic: str = "arithmetic"
except ImportError:  # pragma: no cover - pydantic is a dependency
    pass
