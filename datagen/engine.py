"""The engine: recipe -> source shards -> stages -> a published dataset version.

Each stage's output per shard lives in the run directory (`STORE/.runs/NAME/`) under a
directory named by the stage's key, which hashes the stage's config and its upstream key;
editing stage 3 therefore recomputes from stage 3 on, and a re-run after `kill -9` skips
every shard whose completion marker exists (LLM requests already made come from the request
cache). Global stages (dedup) see all shards at once. Publishing is `datagen/publish.py`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from datagen import stage_io
from datagen.errors import DatagenError, UserError
from datagen.hashing import digest
from datagen.stage import PartitionedStage, StageContext  # the contract's; StageContext re-exported for callers
from datagen.store import Store, VersionRef

ENGINE_VERSION = "1"


@dataclass
class StageRecord:
    index: int
    label: str
    type: str
    key: str
    scope: str
    describe: dict
    dir: Path
    shards: list[dict] = field(default_factory=list)
    wall_s: float = 0.0  # this run's wall time for the stage (a reused stage: the time to find its markers)


@dataclass
class RunResult:
    ref: VersionRef
    created: bool
    manifest: dict


def stage_table() -> dict:
    """Recipe `type` -> the class that runs it."""
    import filters
    import generators
    from datagen.python_stage import PythonStage

    return {**generators.REGISTRY, **filters.REGISTRY, "python": PythonStage}


def make_stage(spec, ctx: StageContext):
    from datagen.progress import current

    table = stage_table()
    if spec.type not in table:
        raise UserError(f"stages.{ctx.index}.type: unknown stage {spec.type!r} (known: {', '.join(sorted(table))})")
    impl = table[spec.type](spec, ctx)
    return impl if current() is not None else Announced(impl, spec.label)


class Announced:
    """A stage run outside a recipe (`datagen verify`, `dedup`, `decontaminate`): while it runs,
    a progress row on stderr names it and its row count (with the elapsed time on a terminal;
    encoding bars nest under it). Everything else is the stage's own."""

    def __init__(self, impl, label: str):
        self._impl, self._label = impl, label
        self.scope = impl.scope

    def describe(self) -> dict:
        return self._impl.describe()

    def report(self) -> dict | None:
        return self._impl.report()

    def __call__(self, ds):
        from datagen.progress import task

        with task(f"{self._label}: {len(ds)} rows"):
            return self._impl(ds)


def _seeds(recipe, store: Store, limit: int | None):
    """The source (datagen/source_shards.py: its first `limit` rows when given; file sources
    are streamed, never held whole) and the key it starts the chain with."""
    from datagen.source_shards import open_source

    source = open_source(recipe.source, store.root, limit)
    upstream = digest({"engine": ENGINE_VERSION, "source": source.fingerprint, "shards": recipe.output.shards})
    return source, upstream


def _stages(recipe, pool, upstream: str, run_dir: Path):
    """Each stage with its implementation and key, in order: the key hashes the stage's spec,
    what the implementation describes (models, verifier versions) and the upstream key."""
    for i, spec in enumerate(recipe.stages):
        impl = make_stage(spec, StageContext(index=i, pool=pool, seed=recipe.seed))
        desc = impl.describe()
        key = digest({"upstream": upstream, "spec": spec.model_dump(mode="json"), "impl": desc})
        yield impl, StageRecord(i, spec.label, spec.type, key, impl.scope, desc, run_dir / f"{i + 1:02d}-{_slug(spec.label)}-{key}")
        upstream = key


def plan_recipe(recipe, store: Store, name: str | None = None, limit: int | None = None) -> dict:
    """What `run` would do, without generating: source rows, and per stage its key and how many
    of its shards a previous run already finished (reused). Loads no model engine."""
    from datagen.llm_pool import LLMPool

    name = name or recipe.output.name
    seeds, upstream = _seeds(recipe, store, limit)
    run_dir = store.root / ".runs" / name
    n_shards = recipe.output.shards
    stages = []
    pool = LLMPool(recipe.models, store.root / ".cache" / "requests.sqlite")
    try:
        for _impl, rec in _stages(recipe, pool, upstream, run_dir):
            if rec.scope == "global":  # one marker for the whole stage
                done = n_shards if stage_io.is_done(rec.dir / "done.json") else 0
            else:
                done = sum(stage_io.is_done(stage_io.shard_paths(rec.dir, j)[2]) for j in range(n_shards))
            stages.append({"stage": rec.index, "type": rec.type, "label": rec.label, "scope": rec.scope, "key": rec.key,
                           "shards": n_shards, "reused": done})
    finally:
        pool.close()
    plan = {"name": name, "source_rows": seeds.rows, "shards": n_shards, "models": sorted(recipe.models), "stages": stages}
    if any(m.price for m in recipe.models.values()):
        import pyarrow.compute as pc

        from datagen.cost_estimate import estimate

        chars = sum(pc.sum(pc.utf8_length(b.column("question"))).as_py() or 0 for b in seeds.batches())
        plan["cost"] = estimate(recipe, seeds.rows, chars / max(seeds.rows, 1))
    return plan


def run_recipe(recipe, store: Store, name: str | None = None, progress=None, limit: int | None = None) -> RunResult:
    from datagen.llm_pool import LLMPool
    from datagen.progress import StageProgress
    from datagen.publish import write_version
    from datagen.source_shards import write_source_shards

    t0 = time.time()
    name = name or recipe.output.name
    seeds, upstream = _seeds(recipe, store, limit)
    n_shards = recipe.output.shards
    run_dir = store.root / ".runs" / name
    src_dir = run_dir / f"00-source-{upstream}"
    write_source_shards(seeds, src_dir, n_shards)

    records: list[StageRecord] = []
    in_dir = src_dir
    with (progress or StageProgress()) as bar:
        from datagen.executors import make_executor

        pool = LLMPool(recipe.models, store.root / ".cache" / "requests.sqlite", progress=bar)
        executor = make_executor(recipe, store.root / ".cache" / "requests.sqlite")
        try:
            for impl, rec in _stages(recipe, pool, upstream, run_dir):
                t = time.time()
                rec.shards = _run_stage(impl, rec, in_dir, n_shards, bar, executor)
                rec.wall_s = round(time.time() - t, 3)
                _check_not_all_failed(rec)
                records.append(rec)
                upstream, in_dir = rec.key, rec.dir
        finally:
            llm_stats = pool.stats()
            pool.close()
            executor.close()

    run_info = {"wall_time_s": round(time.time() - t0, 3), "llm": llm_stats}
    # same config and same content -> same fingerprint; a re-run that retried failed requests differs
    fingerprint = digest({"key": upstream, "content": [s.get("content") for r in records for s in r.shards]})
    ref, created = store.publish(name, fingerprint, lambda tmp, ref: write_version(tmp, ref, recipe, seeds, records, n_shards, fingerprint, run_info))
    return RunResult(ref, created, store.manifest(ref))


def _check_not_all_failed(rec: StageRecord) -> None:
    """A stage whose every LLM request failed (server down, bad key, dead engine) fails the run
    instead of publishing a version made only of errors; a re-run retries them."""
    failed = sum(s.get("llm_failed", 0) for s in rec.shards)
    if failed and failed == sum(s["kept"] + s["rejected"] for s in rec.shards):
        reason = _first_llm_error(rec)
        raise DatagenError(f"stage {rec.index} ({rec.label}): all {failed} LLM requests failed, e.g. {reason!r}; nothing was published, fix the model/endpoint and run again")


def _first_llm_error(rec: StageRecord) -> str:
    import polars as pl

    for p in sorted(rec.dir.glob("shard-*.rejected.parquet")):
        df = pl.read_parquet(p, columns=["reason"]).filter(pl.col("reason").str.starts_with("llm_error"))
        if df.height:
            return df.item(0, 0)
    return "unknown"


def split_table(table, n: int) -> list:
    """n contiguous, near-equal slices (some may be empty)."""
    rows = table.num_rows
    bounds = [rows * j // n for j in range(n + 1)]
    return [table.slice(bounds[j], bounds[j + 1] - bounds[j]) for j in range(n)]


def _run_stage(impl, rec: StageRecord, in_dir: Path, n: int, bar, executor) -> list[dict]:
    rec.dir.mkdir(parents=True, exist_ok=True)
    if impl.scope == "global":
        if isinstance(impl, PartitionedStage):
            parted = _run_in_parts(impl, rec, in_dir, n, bar, executor)
            if parted is not None:
                return parted
        return _run_global(impl, rec, in_dir, n, bar)
    return executor.run_shards(impl, rec, in_dir, n, bar)


def _run_in_parts(impl, rec: StageRecord, in_dir: Path, n: int, bar, executor) -> list[dict] | None:
    """A global stage run in parts (datagen/stage.py, PartitionedStage): its phases through the
    executor's `map`, then the stage it returns applied to each shard as a shard stage. None
    when the stage cannot run in parts."""
    import shutil

    done = rec.dir / "done.json"
    if not stage_io.is_done(done):
        work = rec.dir / "parts"
        apply = impl.in_parts([stage_io.shard_paths(in_dir, j)[0] for j in range(n)], work, executor, n)
        if apply is None:
            return None
        executor.run_shards(apply, rec, in_dir, n, bar, portable=True)
        stage_io.write_json(done, {"shards": n, "report": impl.report()})
        shutil.rmtree(work, ignore_errors=True)
    shards = [stage_io.read_marker(stage_io.shard_paths(rec.dir, j)[2]) for j in range(n)]
    report = stage_io.read_marker(done).get("report")
    if report is not None and shards:
        shards[0] = {**shards[0], "report": report}
    return shards


def _run_global(impl, rec: StageRecord, in_dir: Path, n: int, bar) -> list[dict]:
    import pyarrow as pa

    done = rec.dir / "done.json"
    task = bar.add_stage(rec.label, total=1)
    if not stage_io.is_done(done):
        t = time.time()
        table = pa.concat_tables([stage_io.read_parquet(stage_io.shard_paths(in_dir, j)[0]) for j in range(n)])
        kept, rejected, generated = stage_io.execute(impl, table, rec.label)
        kept_t = kept.to_arrow()
        for j, part in enumerate(split_table(kept_t, n)):
            stage_io.write_parquet(part, stage_io.shard_paths(rec.dir, j)[0])
        stage_io.write_parquet(rejected, stage_io.shard_paths(rec.dir, 0)[1])
        stage_io.write_json(done, stage_io.shard_stats(table.num_rows, kept, rejected, time.time() - t, generated, impl.report()))
    bar.advance(task)
    return [stage_io.read_marker(done)]


def _slug(label: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in label)[:40]
