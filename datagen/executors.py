"""Where a recipe's shard stages run. The engine decides *what* runs (stages, keys, markers,
publishing); an executor decides *where* each pending shard of a shard-scoped stage runs:

- `LocalExecutor`: in this process, one shard after another (the default);
- `RayExecutor`: on a pool of Ray actors (`executor.replicas`), each holding its own LLM pool,
  so one engine (one model replica) per actor, with `num_cpus`/`num_gpus` each. A shard is
  one actor call that reads its input shard from the run directory and writes its outputs and
  marker there (a path every node sees), exactly as the local executor does, so the rows do
  not depend on the executor or on which replica ran a shard. A worker or node that dies costs
  the shards it was running: the actor restarts elsewhere and the call is retried
  (`max_retries`); if the driver dies, a re-run resumes from the markers, and requests any
  replica made come back from the request cache: each replica writes its own sqlite file beside
the shared one (reading the shared one on a miss) and the driver merges them when the run
ends, or when the next run starts after a driver that died (datagen/llm/cache.py).

A global stage that runs in parts (exact and MinHash dedup, decontamination without a judge:
datagen/stage.py) sends its phases through `map` (the replicas run them) and its per-shard
work as a small stage object, so the driver holds only near-duplicate pairs and reports,
never the rows.

What it does not do (yet): run embedding dedup, self-play or judge-based decontamination
across workers: they run in the driver as under `local`.
"""

from __future__ import annotations

from pathlib import Path


def run_shard(impl, rec_dir: Path, in_dir: Path, j: int, label: str) -> dict:
    """One shard of a shard stage: read, execute, write kept/rejected rows and the marker (last).
    Skipped when its marker exists. Returns the marker."""
    import time

    from datagen import stage_io

    out, rej, marker = stage_io.shard_paths(rec_dir, j)
    if not stage_io.is_done(marker):
        t = time.time()
        table = stage_io.read_parquet(stage_io.shard_paths(in_dir, j)[0])
        kept, rejected, generated = stage_io.execute(impl, table, label)
        stage_io.write_parquet(kept, out)
        stage_io.write_parquet(rejected, rej)
        marks = stage_io.shard_stats(table.num_rows, kept, rejected, time.time() - t, generated, impl.report())
        stage_io.write_json(marker, marks)
    return stage_io.read_marker(marker)


class LocalExecutor:
    def map(self, fn, calls: list[tuple], label: str) -> list:
        return [fn(*args) for args in calls]

    def run_shards(self, impl, rec, in_dir: Path, n: int, bar, portable: bool = False) -> list[dict]:
        task = bar.add_stage(rec.label, total=n)
        stats = []
        for j in range(n):
            stats.append(run_shard(impl, rec.dir, in_dir, j, rec.label))
            bar.advance(task)
        return stats

    def close(self) -> None:
        pass


class RayExecutor:
    """Shards as calls on `replicas` Ray actors; the actors are made on first use and kept for
    every shard stage of the run (an engine loads once per replica)."""

    def __init__(self, spec, recipe, cache_path: Path):
        import ray

        from datagen.llm.cache import merge_replica_caches

        self.spec, self.recipe, self.cache_path = spec, recipe, cache_path
        merge_replica_caches(cache_path)  # what the replicas of a run whose driver died generated
        self._started = False
        if not ray.is_initialized():
            ray.init(address=spec.address, include_dashboard=False, log_to_driver=False, configure_logging=False)
            self._started = True
        self._actors: list = []
        self._replicas()  # started now: each replica imports its engines' libraries while the driver prepares the stages

    def _replicas(self):
        if not self._actors:
            import ray

            actor = ray.remote(_Replica).options(num_cpus=self.spec.num_cpus, num_gpus=self.spec.num_gpus,
                                                  max_restarts=self.spec.max_retries, max_task_retries=self.spec.max_retries)
            recipe_json = self.recipe.model_dump(mode="json")
            self._actors = [actor.remote(recipe_json, str(self.cache_path), k, self.spec.num_cpus) for k in range(self.spec.replicas)]
        return self._actors

    def map(self, fn, calls: list[tuple], label: str) -> list:
        """`fn(*args)` per call, spread over the replicas (phases of a global stage run in parts)."""
        import ray

        actors = self._replicas()
        return ray.get([actors[k % len(actors)].call.remote(fn, *args) for k, args in enumerate(calls)])

    def run_shards(self, impl, rec, in_dir: Path, n: int, bar, portable: bool = False) -> list[dict]:
        """`portable`: `impl` itself travels to the replicas (a small stage a global stage run in
        parts returned); otherwise each replica builds stage `rec.index` from the recipe."""
        import ray

        from datagen import stage_io

        task = bar.add_stage(rec.label, total=n)
        pending = [j for j in range(n) if not stage_io.is_done(stage_io.shard_paths(rec.dir, j)[2])]
        for _ in range(n - len(pending)):
            bar.advance(task)
        actors = self._replicas()
        def call(actor, j):
            if portable:
                return actor.run_stage.remote(impl, str(rec.dir), str(in_dir), j, rec.label)
            return actor.run.remote(rec.index, str(rec.dir), str(in_dir), j, rec.label)

        calls = {call(actors[k % len(actors)], j): j for k, j in enumerate(pending)}
        waiting = list(calls)
        while waiting:
            done, waiting = ray.wait(waiting, num_returns=1)
            ray.get(done[0])  # a shard that failed past its retries fails the run here
            bar.advance(task)
        return [stage_io.read_marker(stage_io.shard_paths(rec.dir, j)[2]) for j in range(n)]

    def close(self) -> None:
        import ray

        from datagen.llm.cache import merge_replica_caches

        for a in self._actors:
            ray.get(a.close.remote())
            ray.kill(a)
        self._actors = []
        merge_replica_caches(self.cache_path)
        if self._started:
            ray.shutdown()


class _Replica:
    """A Ray actor: the recipe's LLM pool (its own engines) and its stages, built on first use."""

    def __init__(self, recipe_json: dict, cache_path: str, index: int = 0, num_cpus: float = 1):
        from datagen.llm_pool import LLMPool
        from schemas.recipe import Recipe

        _bind_cpu_threads(index, num_cpus)
        import uuid

        self.recipe = Recipe.model_validate(recipe_json)
        # its own request-cache file beside the shared one, merged by the driver at the end
        self.pool = LLMPool(self.recipe.models, Path(cache_path), replica=f"{index}-{uuid.uuid4().hex[:8]}")
        self.stages: dict[int, object] = {}
        _import_backends(self.recipe.models)

    def run(self, index: int, rec_dir: str, in_dir: str, j: int, label: str) -> dict:
        from datagen.engine import StageContext, make_stage

        if index not in self.stages:
            self.stages[index] = make_stage(self.recipe.stages[index], StageContext(index=index, pool=self.pool, seed=self.recipe.seed))
        return run_shard(self.stages[index], Path(rec_dir), Path(in_dir), j, label)

    def run_stage(self, stage, rec_dir: str, in_dir: str, j: int, label: str) -> dict:
        return run_shard(stage, Path(rec_dir), Path(in_dir), j, label)

    def call(self, fn, *args):
        return fn(*args)

    def close(self) -> None:
        self.pool.close()


def _import_backends(models: dict) -> None:
    """Import the backend modules (vllm, torch: ~10 s on a small CPU) the recipe's models need,
    while the actor is being created rather than inside its first shard."""
    import importlib

    libraries = {"vllm": ("vllm",), "transformers": ("torch", "transformers"), "openai": ("httpx",)}
    for module in sorted({lib for m in models.values() for lib in libraries.get(m.backend, ())}):
        importlib.import_module(module)


def _bind_cpu_threads(index: int, num_cpus: float) -> None:
    """A CPU build of vLLM binds its threads to every core by default, so replicas on one
    machine would fight over all of them: replica `index` gets its own `num_cpus` cores
    (counted round-robin over the cores this process may use) unless the user set
    VLLM_CPU_OMP_THREADS_BIND. Replicas on different nodes with the same index modulo
    the core count may pick the same cores of their own nodes, which is harmless."""
    import os

    if "VLLM_CPU_OMP_THREADS_BIND" in os.environ or num_cpus != int(num_cpus) or num_cpus < 1:
        return
    cores = sorted(os.sched_getaffinity(0))
    take = min(int(num_cpus), len(cores))
    start = (index * take) % len(cores)
    mine = [cores[(start + i) % len(cores)] for i in range(take)]
    os.environ["VLLM_CPU_OMP_THREADS_BIND"] = ",".join(map(str, mine))


def make_executor(recipe, cache_path: Path):
    spec = recipe.executor
    if spec.type == "ray":
        return RayExecutor(spec, recipe, cache_path)
    return LocalExecutor()
