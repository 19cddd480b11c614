"""`datagen verify`, `datagen dedup` and `datagen decontaminate`: one filter stage on a file or
a version (registered on the main typer app by `datagen/cli.py`; the work is
datagen/filter_cli.py). Heavy imports stay inside the commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from datagen.cli import StoreOpt, _fail
from datagen.errors import DatagenError

InputArg = typer.Argument(..., metavar="INPUT", help="a .jsonl or .parquet file, or NAME@vN")
OutOpt = typer.Option(..., "--out", metavar="OUT", help="a .jsonl/.json/.parquet path, or a dataset NAME (makes a new version NAME@vN)")
RejectedOpt = typer.Option(None, "--rejected", metavar="FILE", help="also write rejected rows (with reason) to this .jsonl/.parquet path")


# a filter's own field -> the flag that sets it, where the names differ
_FLAGS = {"audit": "--audit", "benchmarks": "--benchmark"}


def _flag_names(message: str, command: str) -> str:
    """Errors name the flag a user typed, not the stage field behind it: `option.column` ->
    `--column`, `--methods.1` -> `--methods (item 2)`, `option.answer_column` -> `--answer-column`."""
    import re

    def flag(m):
        name = m.group(1)
        return _FLAGS.get(name, "--" + name.replace("_", "-")) + (f" (item {int(m.group(2)) + 1})" if m.group(2) else "")

    message = re.sub(r"\boption\.([a-z_]+)(?:\.(\d+))?", flag, message)
    return re.sub(r"--([a-z_]+)\.(\d+)\b", lambda m: f"--{m.group(1).replace('_', '-')} (item {int(m.group(2)) + 1})", message)


def _filter_command(
    stage: dict, input_: str, out: str, rejected: Path | None, store: Path | None, models: dict | None = None, report: Path | None = None
) -> None:
    try:
        from pydantic import TypeAdapter, ValidationError

        from datagen.errors import UserError
        from datagen.filter_cli import run_filter
        from datagen.recipe_io import format_validation_error
        from datagen.store import Store
        from schemas.stages import StageSpec

        try:
            spec = TypeAdapter(StageSpec).validate_python(stage)
        except ValidationError as e:
            raise UserError(format_validation_error(e, f"datagen {stage['type']}", "options", prefix="--")) from None
        if stage["type"] == "verify":
            from filters.verify import get_verifier

            get_verifier(spec.verifier, "--verifier")
            if spec.audit:
                get_verifier(spec.audit, "--audit")
        summary = run_filter(
            spec, input_, out, str(rejected) if rejected else None, Store(store), " ".join(sys.argv), models, str(report) if report else None
        )
    except DatagenError as e:
        _fail(type(e)(_flag_names(str(e), stage["type"])))
    typer.echo(json.dumps(summary), err=True)
    from datagen.filter_cli import summary_line

    typer.echo(summary_line(summary), err=True)
    typer.echo(summary["out"])


def verify(
    input_: str = InputArg,
    verifier: str = typer.Option(..., "--verifier", metavar="NAME", help="math_answer | code_tests | ifeval (datagen list verifiers)"),
    out: str = OutOpt,
    column: str = typer.Option("completion", "--column", metavar="COLUMN", help="the response column"),
    threshold: float | None = typer.Option(None, "--threshold", metavar="T", help="drop rows scoring below this (default: keep all)"),
    audit: str | None = typer.Option(None, "--audit", metavar="NAME", help="a second verifier (e.g. math_verify): every row where the two disagree goes to the report"),
    report: Path | None = typer.Option(None, "--report", metavar="FILE", help="write the audit report (.json)"),
    rejected: Path | None = RejectedOpt,
    store: Path | None = StoreOpt,
):
    """Score each row with a verifier: adds a float `reward` column (null: not applicable)."""
    _filter_command(
        {"type": "verify", "verifier": verifier, "column": column, "threshold": threshold, "audit": audit},
        input_, out, rejected, store, report=report,
    )


def dedup(
    input_: str = InputArg,
    method: str = typer.Option("exact", "--method", "--methods", metavar="METHOD", help="exact | minhash | embedding"),
    out: str = OutOpt,
    threshold: float | None = typer.Option(None, "--threshold", metavar="T", help="minhash Jaccard (0.8) / embedding cosine (0.85)"),
    column: str = typer.Option("completion", "--column", metavar="COLUMN", help="text column (a messages column: its last message)"),
    keep: str = typer.Option("first", "--keep", metavar="RULE", help="first | longest | highest_score"),
    model: str | None = typer.Option(None, "--model", metavar="MODEL", help="embedding model (default: the offline all-MiniLM-L6-v2)"),
    encode: str = typer.Option("torch", "--encode", metavar="RUNTIME", help="embedding runtime: torch | onnx-int8 | cascade (static candidates first)"),
    cluster: str = typer.Option("representative", "--cluster", metavar="RULE", help="representative (no chaining) | components"),
    veto: bool = typer.Option(True, "--veto/--no-veto", help="drop similar pairs whose numbers, negation, names or opposites differ"),
    rejected: Path | None = RejectedOpt,
    store: Path | None = StoreOpt,
):
    """Keep one row per duplicate cluster; rejected rows carry `dup_of`."""
    stage = {"type": "dedup", "method": method, "column": column, "keep": keep, "threshold": threshold}
    if method != "exact":
        stage.update(cluster=cluster, veto=veto)
    if method == "embedding":
        stage.update(model=model, encode=encode)
    _filter_command(stage, input_, out, rejected, store)


def decontaminate(
    input_: str = InputArg,
    benchmark: list[str] = typer.Option(..., "--benchmark", metavar="NAME", help="gsm8k, math500, ... | a domain (math, code, instruction, knowledge, all) | a path (repeatable)"),
    out: str = OutOpt,
    report: Path | None = typer.Option(None, "--report", metavar="FILE", help="write the contamination report (per benchmark, per flagged row) to this .json"),
    methods: str = typer.Option("ngram,embedding,answer,numbers,examples,skeleton", "--methods", "--method", metavar="LIST", help="comma list of ngram, embedding, answer, numbers, examples, skeleton, judge"),
    text_column: str = typer.Option("question", "--column", "--text-column", metavar="COLUMN", help="the text to check (a messages column: its last message)"),
    answer_column: str | None = typer.Option("answer", "--answer-column", metavar="COLUMN", help="the reference answer column, for answer match ('' for none)"),
    action: str = typer.Option("reject", "--action", metavar="ACTION", help="reject | flag (keep rows, add a `contamination` column)"),
    model: str | None = typer.Option(None, "--model", metavar="MODEL", help="embedding model (default: the offline all-MiniLM-L6-v2)"),
    multilingual_model: str | None = typer.Option(None, "--multilingual-model", metavar="MODEL", help="embedding model for rows that are not English"),
    judge_model: str | None = typer.Option(None, "--judge-model", metavar="MODEL", help="judge: HF id, local path, or served model name"),
    judge_backend: str = typer.Option("vllm", "--judge-backend", metavar="BACKEND", help="judge: vllm | openai | transformers"),
    judge_base_url: str | None = typer.Option(None, "--judge-base-url", metavar="URL", help="judge: an OpenAI-compatible endpoint"),
    judge_api_key_env: str | None = typer.Option(None, "--judge-api-key-env", metavar="VAR", help="judge: the variable holding the API key"),
    set_: list[str] | None = typer.Option(None, "--set", metavar="FIELD=VALUE", help="any other stage field: --set embedding_threshold=0.92, --set judge_sampling.max_tokens=256 (repeatable)"),
    rejected: Path | None = RejectedOpt,
    store: Path | None = StoreOpt,
):
    """Drop rows that copy, paraphrase or translate benchmark items; report every match."""
    stage = {
        "type": "decontaminate",
        "benchmarks": benchmark,
        "methods": [m.strip() for m in methods.split(",") if m.strip()],
        "column": text_column,
        "answer_column": answer_column or None,
        "action": action,
        "model": model,
        "multilingual_model": multilingual_model,
    }
    from datagen.errors import UserError

    models = None
    if judge_model is not None or judge_base_url is not None:
        from pydantic import ValidationError

        from schemas.models import ModelSpec

        try:
            models = {"judge": ModelSpec(backend=judge_backend, model=judge_model, base_url=judge_base_url, api_key_env=judge_api_key_env)}
        except ValidationError as e:
            _fail(UserError(f"--judge-backend: {e.errors()[0]['msg']}"))
        stage["judge_model"] = "judge"
    from datagen.recipe_io import apply_overrides

    try:
        apply_overrides(stage, set_ or [])
    except UserError as e:
        _fail(e)
    _filter_command(stage, input_, out, rejected, store, models, report)


def register(app: typer.Typer) -> None:
    for command in (verify, dedup, decontaminate):
        app.command()(command)
