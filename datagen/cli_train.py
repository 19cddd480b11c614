"""`datagen train` and `datagen eval` (registered on the main typer app by `datagen/cli.py`).
Heavy imports (torch, trl, vllm) stay inside the commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from datagen.errors import DatagenError, UserError


def _fail(err: DatagenError) -> None:
    typer.echo(f"error: {err}", err=True)
    raise typer.Exit(err.exit_code)


def train_spec(method: str, data: str | None, model: str | None, out: str | None, config: Path | None, sets: list[str]):
    """A TrainSpec from a YAML file (optional), the flags, then `--set` overrides."""
    from pydantic import ValidationError

    from datagen.recipe_io import apply_overrides, format_validation_error, read_yaml
    from schemas.train import TrainSpec

    raw = read_yaml(config, "train config", "method:, data:, model:, ...") if config else {}
    raw.update({k: v for k, v in (("method", method), ("data", data), ("model", model), ("out", out)) if v is not None})
    apply_overrides(raw, sets)
    try:
        return TrainSpec.model_validate(raw)
    except ValidationError as e:
        raise UserError(format_validation_error(e, "datagen train", "train spec")) from None


def register(app: typer.Typer) -> None:
    @app.command()
    def train(
        method: str = typer.Argument(..., metavar="METHOD", help="sft | dpo | grpo"),
        data: str | None = typer.Option(None, "--data", metavar="DATA", help="NAME@vN or a .jsonl/.parquet file"),
        model: str | None = typer.Option(None, "--model", metavar="MODEL", help="HF id or path to start from (default: the embedded tiny model)"),
        out: str | None = typer.Option(None, "--out", metavar="DIR", help="output directory (checkpoints, model, card)"),
        config: Path | None = typer.Option(None, "--config", metavar="SPEC.yaml", help="a YAML train spec (flags and --set override it)"),
        set_: list[str] | None = typer.Option(None, "--set", metavar="FIELD=VALUE", help="any spec field: --set learning_rate=1e-4 --set lora.r=8 --set trl.max_grad_norm=0.5"),
        store: Path | None = typer.Option(None, "--store", metavar="DIR", help="dataset store directory"),
    ):
        """Train a model on a dataset version with TRL (SFT, DPO or GRPO with datagen verifiers as rewards)."""
        try:
            from datagen.store import Store
            from datagen.train.progress import TrainProgress
            from datagen.train.run import train as run_train

            spec = train_spec(method, data, model, out, config, set_ or [])
            if spec.out:  # before the data is read or the model loaded
                from datagen.output_checks import check_dir

                check_dir(spec.out, "--out")
            from datagen.progress import stdout_to_stderr

            with stdout_to_stderr():  # stdout carries only the model directory
                result = run_train(spec, Store(store), progress=TrainProgress())
        except DatagenError as e:
            _fail(e)
        typer.echo(json.dumps(result.metrics | {"losses": result.metrics["losses"][-5:]}), err=True)
        typer.echo(str(result.out))

    @app.command("eval")
    def eval_(
        model: str | None = typer.Option(None, "--model", metavar="MODEL", help="HF id, local path, or served model name (default: the embedded tiny model)"),
        data: str = typer.Option(..., "--data", metavar="DATA", help="NAME@vN | a .jsonl/.parquet file | a benchmark (gsm8k, math500, ...) | procedural"),
        verifier: str = typer.Option("math_answer", "--verifier", metavar="NAME", help="math_answer | code_tests | ifeval"),
        k: int = typer.Option(8, "--k", metavar="K", help="report pass@1 ... pass@k"),
        n: int | None = typer.Option(None, "--n", metavar="N", help="samples per problem (default: k)"),
        limit: int | None = typer.Option(None, "--limit", metavar="N", help="first N problems (procedural: how many; default 200)"),
        backend: str = typer.Option("vllm", "--backend", metavar="BACKEND", help="vllm | transformers | openai"),
        base_url: str | None = typer.Option(None, "--base-url", metavar="URL", help="openai: the server's /v1 URL"),
        temperature: float = typer.Option(0.8, "--temperature", metavar="T"),
        top_p: float = typer.Option(1.0, "--top-p", metavar="P"),
        max_tokens: int = typer.Option(512, "--max-tokens", metavar="N"),
        template: str = typer.Option("solve", "--template", metavar="TEMPLATE", help="solve (step by step, \\boxed{}) | plain | a str.format template over {question}"),
        seed: int = typer.Option(0, "--seed", metavar="SEED"),
        dtype: str = typer.Option("auto", "--dtype", metavar="DTYPE", help="vllm/transformers dtype (float32 on a CPU)"),
        out: Path | None = typer.Option(None, "--out", metavar="FILE", help="write the results (with per-problem counts) to this .json"),
        store: Path | None = typer.Option(None, "--store", metavar="DIR", help="dataset store directory (also holds the request cache)"),
    ):
        """pass@1 and unbiased pass@k of a model, scored by a datagen verifier."""
        try:
            from datagen.output_checks import check_file, check_store

            if out is not None:  # before a model is loaded
                check_file(out, "--out")
            check_store(store)  # the request cache lives there
            from datagen.progress import stdout_to_stderr

            with stdout_to_stderr():  # engine logs and prints stay off stdout: it carries only the result
                result = run_eval(model, data, verifier, k, n or k, limit, backend, base_url, temperature, top_p, max_tokens,
                                  template, seed, dtype, store)
        except DatagenError as e:
            _fail(e)
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"{result['model']} on {result['data']} ({result['verifier']})")
        for col in ["problems", "n"] + [c for c in result if c.startswith("pass@")]:
            table.add_column(col)
        table.add_row(str(result["judged"]), str(result["n"]), *[f"{result[c]:.3f}" for c in result if c.startswith("pass@")])
        Console(stderr=True).print(table)
        if out:
            from datagen import stage_io

            stage_io.write_json(out, result)
        typer.echo(json.dumps({k: v for k, v in result.items() if k != "per_problem"}))


def run_eval(model, data, verifier, k, n, limit, backend, base_url, temperature, top_p, max_tokens, template, seed, dtype, store) -> dict:
    from pydantic import ValidationError

    from datagen.evaluate import eval_model
    from datagen.store import Store
    from schemas.models import ModelSpec
    from schemas.train import EvalSpec

    try:
        spec = ModelSpec(backend=backend, model=model, base_url=base_url, dtype=dtype)
        ev = EvalSpec(data=data, verifier=verifier, k=k, n=n, limit=limit, seed=seed, temperature=temperature, top_p=top_p,
                      max_tokens=max_tokens, template=template)
    except ValidationError as e:
        err = e.errors()[0]
        raise UserError(f"--{str(err['loc'][0]).replace('_', '-')}: {err['msg']}") from None
    return eval_model(spec, ev, Store(store), progress=sys.stderr.isatty(), field="--model")
