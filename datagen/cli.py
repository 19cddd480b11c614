"""The `datagen` command line (typer). Heavy modules are imported inside each command so
`datagen --help` stays instant. Exit codes: 0 ok, 2 bad input, 1 failure."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import typer

from datagen.errors import DatagenError

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="datagen: synthetic data for LLM post-training.",
    rich_markup_mode=None,  # plain help: no `<bool>` / `<list[str]>` type columns
    context_settings={"help_option_names": ["-h", "--help"]},
)

StoreOpt = typer.Option(None, "--store", metavar="DIR", help="dataset store directory (default: $DATAGEN_HOME or ./datagen-data)")
SetOpt = typer.Option(None, "--set", metavar="KEY=VALUE", help="override a recipe field: --set stages.0.k=8 (repeatable)")


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            v = version("datagen")
        except PackageNotFoundError:  # pragma: no cover - running from a checkout that was never installed
            v = "unknown"
        typer.echo(f"datagen {v}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version, help="print the version and exit"),
    verbose: bool = typer.Option(False, "-v", "--verbose", help="show the libraries' logs (vLLM, transformers, torch, ...): by default only their warnings (vLLM: errors)"),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="no progress bars or progress lines"),
):
    """datagen: synthetic data for LLM post-training."""
    from datagen.progress import configure_output  # light: os, logging

    configure_output(verbose=verbose, quiet=quiet)


def _fail(err: DatagenError) -> None:
    typer.echo(f"error: {err}", err=True)
    raise typer.Exit(err.exit_code)


@app.command()
def run(
    recipe: Path = typer.Argument(..., metavar="RECIPE", help="recipe YAML"),
    set_: list[str] | None = SetOpt,
    store: Path | None = StoreOpt,
    name: str | None = typer.Option(None, "--name", metavar="NAME", help="dataset name (default: recipe output.name)"),
    progress: bool | None = typer.Option(
        None, "--progress/--no-progress", help="progress bars (default: when stderr is a terminal)"
    ),
    limit: int | None = typer.Option(None, "--limit", min=1, metavar="N", help="only the first N seed rows (a quick look)"),
    executor: str | None = typer.Option(None, "--executor", metavar="local|ray", help="where shard stages run (default: the recipe's executor, else local)"),
    ray_address: str | None = typer.Option(None, "--ray-address", metavar="ADDRESS", help="ray: auto, HOST:PORT or ray://... (default: start a local Ray)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="check everything, print the plan and the stages a re-run would reuse; generate nothing"),
):
    """Run a recipe; the last line printed is the version ref (NAME@vN), or with a `train:`
    section (the closed loop) the trained model's directory."""
    import os

    os.environ.setdefault("VLLM_LOGGING_STREAM", "ext://sys.stderr")  # stdout carries only the ref
    try:
        from datagen.engine import run_recipe
        from datagen.output_checks import check_dir, check_store
        from datagen.progress import StageProgress
        from datagen.recipe_io import check_recipe, load_recipe
        from datagen.store import Store
        from schemas.recipe import NAME

        check_store(store)  # before anything is read or loaded
        r = load_recipe(recipe, [*(set_ or []), *_executor_overrides(executor, ray_address)])
        if name is not None and not NAME.match(name):
            from datagen.errors import UserError

            raise UserError(f"--name {name!r}: use letters, digits, '.', '_' or '-'")
        if r.train is not None and r.train.out:
            check_dir(r.train.out, "train.out")
        check_recipe(r, Store(store), read_source=dry_run)  # verifiers, callables: before the first stage generates
        if dry_run:
            from datagen.engine import plan_recipe

            _print_plan(plan_recipe(r, Store(store), name=name, limit=limit), r)
            return
        # stdout carries only the result: what libraries print while the run goes (Ray's
        # raylet notices of a retried task, say) goes to stderr
        with contextlib.redirect_stdout(sys.stderr):
            if r.train is not None:
                from datagen.loop import run_loop

                loop = run_loop(r, Store(store), name=name, progress=StageProgress(progress), limit=limit)
            else:
                result = run_recipe(r, Store(store), name=name, progress=StageProgress(progress), limit=limit)
    except DatagenError as e:
        _fail(e)
    if r.train is not None:
        typer.echo(json.dumps(loop), err=True)
        for line in _loop_lines(loop):
            typer.echo(line, err=True)
        typer.echo(loop["rounds"][-1]["model"])
        return
    m = result.manifest
    note = "" if result.created else " (unchanged: a version with this fingerprint exists)"
    typer.echo(f"{m['counts']['train']} rows kept, {m['counts']['rejected']} rejected{note}", err=True)
    typer.echo(str(result.ref))


def _executor_overrides(executor: str | None, address: str | None) -> list[str]:
    """--executor / --ray-address as recipe overrides (validated with the recipe)."""
    out = [f"executor.type={executor}"] if executor else []
    if address:
        out += [f"executor.address={address}"] + ([] if executor else ["executor.type=ray"])
    return out


def _print_plan(plan: dict, recipe) -> None:
    """The dry run's plan on stdout: one line per stage, then what a run would reuse."""
    typer.echo(f"{plan['name']}: {plan['source_rows']} seed rows in {plan['shards']} shards; models: {', '.join(plan['models']) or '-'}")
    for st in plan["stages"]:
        reuse = f"reused {st['reused']}/{st['shards']} shards" if st["reused"] else "to run"
        typer.echo(f"  {st['stage']}  {st['type']:<14} {st['scope']:<6} key {st['key']}  {reuse}")
    if recipe.train is not None:
        typer.echo(f"  then train ({recipe.train.method}) and eval, {recipe.rounds} round(s)")
    cost = plan.get("cost")
    if cost:
        typer.echo(f"cost, at most (every sample kept, every completion at max_tokens, prompts ~ chars/4): {cost['upper_bound']:.4f} {cost['currency']}")
        for st in cost["stages"]:
            usd = "unpriced" if st["usd"] is None else f"{st['usd']:.4f}"
            typer.echo(f"  {st['label']:<14} {st['model']:<10} {st['calls']} calls, {st['prompt_tokens']} prompt + {st['completion_tokens']} completion tokens: {usd}")


def _loop_lines(loop: dict) -> list[str]:
    """pass@k before and after each round, one line each."""
    def fmt(res):
        return ", ".join(f"{k} {v:.3f}" for k, v in res.items() if k.startswith("pass@")) if res else "-"

    lines = [f"before: {fmt(loop.get('before'))}"] if loop.get("before") else []
    lines += [f"round {e['round']}: {e['rows']} rows ({e['data']}) -> {fmt(e.get('eval'))}" for e in loop["rounds"]]
    return lines


@app.command()
def validate(
    recipe: Path = typer.Argument(..., metavar="RECIPE", help="recipe YAML"),
    set_: list[str] | None = SetOpt,
    store: Path | None = typer.Option(None, "--store", metavar="DIR", help="where NAME@vN sources are (default: $DATAGEN_HOME or ./datagen-data)"),
):
    """Check a recipe without running it: everything `run` rejects before generating (fields,
    model names, verifiers, python callables, the source file or NAME@vN)."""
    try:
        from datagen.recipe_io import check_recipe, load_recipe
        from datagen.store import Store

        r = load_recipe(recipe, set_ or [])
        seeds = check_recipe(r, Store(store))
    except DatagenError as e:
        _fail(e)
    kinds = ", ".join(s.type for s in r.stages)
    src = f"{r.source.type} source, not fetched" if seeds is None else f"{r.source.type} source, {seeds.table.num_rows} rows"
    typer.echo(f"ok: {recipe} -> {r.output.name} ({src}; stages: {kinds})")


@app.command()
def versions(name: str = typer.Argument(..., metavar="NAME", help="dataset name"), store: Path | None = StoreOpt):
    """List the versions of a dataset."""
    from datagen.store import Store

    st = Store(store)
    have = st.versions(name)
    if not have:
        typer.echo(f"error: no versions of {name!r} in {st.root}", err=True)
        raise typer.Exit(2)
    for v in have:
        m = st.manifest(f"{name}@v{v}")
        typer.echo(
            f"{name}@v{v}\t{m['created_at']}\ttrain={m['counts']['train']}\trejected={m['counts']['rejected']}\t{m['fingerprint']}"
        )


@app.command()
def show(
    ref: str = typer.Argument(..., metavar="REF", help="NAME@vN or NAME@latest"),
    store: Path | None = StoreOpt,
    as_json: bool = typer.Option(False, "--json", help="the whole manifest as JSON"),
):
    """Show a version: splits, tokens, stages, and how to load it."""
    try:
        from datagen.store import Store

        st = Store(store)
        m = st.manifest(ref)
        path = str(st.path(ref))
    except DatagenError as e:
        _fail(e)
    if as_json:
        typer.echo(json.dumps({**m, "path": path}, indent=2))
        return
    from datagen.card import show_lines

    typer.echo("\n".join(show_lines(m, path)))


@app.command()
def push(
    ref: str = typer.Argument(..., metavar="REF", help="NAME@vN"),
    repo_id: str = typer.Option(..., "--repo-id", metavar="ORG/NAME", help="the dataset repo on the Hugging Face Hub"),
    store: Path | None = StoreOpt,
    revision_tag: bool = typer.Option(True, "--revision-tag/--no-revision-tag", help="tag the commit vN"),
    private: bool = typer.Option(False, "--private", help="create the repo as private"),
    dry_run: bool = typer.Option(False, "--dry-run", help="list what would be uploaded, upload nothing"),
):
    """Upload a version (data, rejected, card, manifest, report) to the Hub and tag it vN."""
    try:
        from datagen.push import push_version
        from datagen.store import Store

        out = push_version(Store(store), ref, repo_id, tag=revision_tag, private=private, dry_run=dry_run)
    except DatagenError as e:
        _fail(e)
    typer.echo(json.dumps(out, indent=2))


@app.command()
def mix(
    mixture: Path = typer.Argument(..., metavar="MIXTURE", help="mixture YAML (see README, Mixtures)"),
    set_: list[str] | None = typer.Option(None, "--set", metavar="KEY=VALUE", help="override a mixture field: --set sources.0.weight=2 (repeatable)"),
    store: Path | None = StoreOpt,
    name: str | None = typer.Option(None, "--name", metavar="NAME", help="dataset name (default: the mixture's name)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="print the composition, write nothing"),
):
    """Build a training mixture; the last line printed is the version ref (NAME@vN)."""
    import warnings

    try:
        from datagen.mixing.build import SyntheticFractionWarning, prepare
        from datagen.mixing.card import composition_table
        from datagen.mixing.publish import manifest_for, publish_mixture
        from datagen.recipe_io import load_mixture
        from datagen.store import Store

        if not dry_run:
            from datagen.output_checks import check_store

            check_store(store)  # before any source is read
        spec = load_mixture(mixture, [*(set_ or []), *([f"name={json.dumps(name)}"] if name is not None else [])])
        st = Store(store)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntheticFractionWarning)  # printed below, once
            mixed = prepare(spec, st, progress=lambda msg: typer.echo(msg, err=True))
        for w in mixed.warnings:
            typer.echo(f"warning: {w}", err=True)
        if dry_run:
            from datagen.store import VersionRef

            m = manifest_for(mixed, spec, VersionRef(spec.name, 0), " ".join(sys.argv))
            typer.echo("\n".join(composition_table(m)))
            return
        ref, created = publish_mixture(st, mixed, spec, " ".join(sys.argv))
    except DatagenError as e:
        _fail(e)
    s = mixed.summary
    note = "" if created else " (unchanged: a version with this fingerprint exists)"
    typer.echo(f"{s['train_rows']} train rows, {s['eval_rows']} eval rows, {s['rejected_rows']} rejected; "
               f"synthetic {s['synthetic_fraction']:.1%}{note}", err=True)
    typer.echo(str(ref))


from datagen.cli_filters import register as _register_filters  # noqa: E402 - typer commands only, no heavy imports
from datagen.cli_list import register as _register_list  # noqa: E402
from datagen.cli_report import register as _register_report  # noqa: E402
from datagen.cli_train import register as _register_train  # noqa: E402

_register_filters(app)
_register_train(app)
_register_list(app)
_register_report(app)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
