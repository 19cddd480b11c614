"""The Ray executor's figures, each side by side in one run (fresh stores: nothing cached):

1. `overhead`: the quickstart (tiny model on vLLM, `--prompts` problems) under the local
   executor and under `--executor ray` with one replica given every core (the same
   resources); wall-time ratio ray / local (goal <= 1.10);
2. `replicas`: a generation-bound recipe (the quickstart's rejection-sampling stage alone)
   under Ray with two one-CPU replicas and with one (each replica's vLLM threads on its own
   core): the throughput is the prompts over the generation stage's wall time (the
   manifest's `wall_s`: shards on the replicas, each replica's engine start included; Ray's
   start and the publish are not); ratio two / one (goal >= 1.7), and the end-to-end wall
   ratio beside it;
3. `rss`: MinHash dedup of `--rows` synthetic rows (a quarter near duplicates) under
   `--executor ray` with two replicas, which run the dedup's phases; the driver's peak RSS
   (VmHWM, polled) at each size (goal: flat). The driver streams the parquet source into its
   shards and publishes (the report reads at most ~100k rows); the replicas do the rest.

    python -m tests.benchmarks.bench_scale_out [--part overhead,replicas,rss] [--prompts 128] [--rows 100000,1000000]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run(args: list[str], poll_rss: bool = False) -> dict:
    """`datagen run ...`: wall seconds, and the process's peak RSS in MiB when asked. The Hub
    is marked offline (this machine has no network: without it every process pays the Hub
    client's retries, ~20 s, before falling back to the packaged benchmarks)."""
    import os

    t0 = time.perf_counter()
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "datagen", "run", *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak = 0
    while proc.poll() is None:
        if poll_rss:
            try:
                for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]) // 1024)
            except OSError:
                pass
        time.sleep(0.1)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"datagen run {' '.join(args)} failed:\n{err[-3000:]}")
    return {"wall_s": round(time.perf_counter() - t0, 1), "peak_rss_mib": peak or None, "out": out.strip()}


def quickstart(store: Path, prompts: int, *extra: str) -> dict:
    return run(["recipes/quickstart.yaml", "--store", str(store), "--set", f"source.n={prompts}", *extra])


def overhead(tmp: Path, prompts: int) -> dict:
    import os

    local = quickstart(tmp / "local", prompts)
    ray = quickstart(tmp / "ray1", prompts, "--executor", "ray", "--set", f"executor.num_cpus={len(os.sched_getaffinity(0))}")
    return {"local_s": local["wall_s"], "ray_one_replica_s": ray["wall_s"], "ratio": round(ray["wall_s"] / local["wall_s"], 3), "goal": "<= 1.10"}


def replicas(tmp: Path, prompts: int) -> dict:
    import yaml

    recipe = yaml.safe_load((REPO / "recipes" / "quickstart.yaml").read_text())
    recipe["stages"] = recipe["stages"][:1]  # generation only
    path = tmp / "generation.yaml"
    path.write_text(yaml.safe_dump(recipe))
    out = {}
    for r in (1, 2):
        args = ["--store", str(tmp / f"r{r}"), "--set", f"source.n={prompts}", "--executor", "ray", "--set", f"executor.replicas={r}"]
        res = run([str(path), *args])
        manifest = json.loads((tmp / f"r{r}" / "quickstart" / "v1" / "manifest.json").read_text())
        out[r] = {"wall_s": res["wall_s"], "generation_wall_s": manifest["stages"][0]["wall_s"]}
    rate = {r: prompts / v["generation_wall_s"] for r, v in out.items()}
    return {"one_replica": out[1], "two_replicas": out[2], "prompts_per_s": {r: round(v, 2) for r, v in rate.items()},
            "throughput_ratio": round(rate[2] / rate[1], 3), "end_to_end_ratio": round(out[1]["wall_s"] / out[2]["wall_s"], 3), "goal": ">= 1.7"}


def rss(tmp: Path, sizes: list[int]) -> dict:
    import polars as pl

    out = {}
    rng = random.Random(0)
    words = [f"w{i}" for i in range(5000)]
    for n in sizes:
        base = [" ".join(rng.choice(words) for _ in range(12)) for _ in range(n)]
        texts = [b if i % 4 else base[max(i - 1, 0)] + " again" for i, b in enumerate(base)]
        src = tmp / f"rows-{n}.parquet"
        pl.DataFrame({"id": [f"r{i}" for i in range(n)], "question": texts}).write_parquet(src)
        recipe = tmp / f"dedup-{n}.yaml"
        recipe.write_text(json.dumps({"source": {"type": "parquet", "path": str(src)},
                                      "stages": [{"type": "dedup", "method": "minhash", "column": "question", "threshold": 0.7}],
                                      "output": {"name": f"d{n}", "shards": 16}}))
        r = run([str(recipe), "--store", str(tmp / f"s{n}"), "--executor", "ray", "--set", "executor.replicas=2"], poll_rss=True)
        out[n] = {"driver_peak_rss_mib": r["peak_rss_mib"], "wall_s": r["wall_s"]}
    first, last = out[sizes[0]]["driver_peak_rss_mib"], out[sizes[-1]]["driver_peak_rss_mib"]
    return {**{str(k): v for k, v in out.items()}, "rss_ratio": round(last / first, 3), "goal": "flat"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", default="overhead,replicas,rss")
    ap.add_argument("--prompts", type=int, default=128)
    ap.add_argument("--rows", default="100000,1000000")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for part in args.part.split(","):
            if part == "overhead":
                res = overhead(tmp, args.prompts)
            elif part == "replicas":
                res = replicas(tmp, args.prompts)
            elif part == "rss":
                res = rss(tmp, [int(x) for x in args.rows.split(",")])
            else:
                raise SystemExit(f"--part: unknown part {part!r} (overhead, replicas, rss)")
            print(json.dumps({"part": part, **res}), flush=True)


if __name__ == "__main__":
    main()
