"""Row layout shared by every stage: columns, the per-row `meta` lineage struct, and the
Arrow types that keep parquet shards of one stage schema-identical.

Rows carry `id`, `question`, `answer` (nullable reference), `solution` (nullable reference
solution), chat columns in TRL's format (`prompt`/`completion` message lists for SFT rows,
`prompt` alone for prompt sets, `prompt`/`chosen`/`rejected` for preference pairs) and `meta`. A rejected row
additionally carries `rejected_by` (stage label) and `reason`.
"""

from __future__ import annotations

import pyarrow as pa

MESSAGE = pa.struct([("role", pa.string()), ("content", pa.string())])
MESSAGES = pa.list_(MESSAGE)

VERDICT = pa.struct(
    [("name", pa.string()), ("version", pa.string()), ("score", pa.float64()), ("passed", pa.bool_())]
)

META = pa.struct(
    [
        ("source", pa.string()),  # where the seed came from (file, hub id@rev, NAME@vN, procedural:task)
        ("parent_id", pa.string()),  # id of the row this one was made from
        ("generator", pa.string()),  # stage label that made the row
        ("model", pa.string()),  # backend:model@revision
        ("sampling", pa.string()),  # canonical JSON of the sampling parameters
        ("sample_index", pa.int32()),
        ("round", pa.int32()),
        ("finish_reason", pa.string()),
        ("prompt_tokens", pa.int32()),
        ("completion_tokens", pa.int32()),
        ("pass_rate", pa.float64()),  # of the parent prompt, over its samples
        ("score", pa.float64()),  # the generator's score for the row (reward, reward spread, ...)
        ("verbalized_probability", pa.float64()),  # the probability a Verbalized Sampling list gave it
        ("verdicts", pa.list_(VERDICT)),
        ("dedup_cluster", pa.string()),
    ]
)

SEED_SCHEMA = pa.schema(
    [("id", pa.string()), ("question", pa.string()), ("answer", pa.string()), ("solution", pa.string()), ("meta", META)]
)

REJECT_COLUMNS = {"rejected_by": pa.string(), "reason": pa.string()}


def empty_meta(source: str) -> dict:
    return {
        "source": source,
        "parent_id": None,
        "generator": None,
        "model": None,
        "sampling": None,
        "sample_index": None,
        "round": None,
        "finish_reason": None,
        "prompt_tokens": None,
        "completion_tokens": None,
        "pass_rate": None,
        "score": None,
        "verbalized_probability": None,
        "verdicts": [],
        "dedup_cluster": None,
    }
