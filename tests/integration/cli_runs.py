"""Running the real `datagen` CLI from tests, and reading what it published."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[2]


def datagen_cmd(*args) -> list[str]:
    return [sys.executable, "-m", "datagen", *map(str, args)]


def run_cli(*args, env=None, timeout=900) -> subprocess.CompletedProcess:
    r = subprocess.run(datagen_cmd(*args), capture_output=True, text=True, cwd=REPO, env=env, timeout=timeout)
    assert r.returncode == 0, f"exit {r.returncode}\nstdout:{r.stdout[-3000:]}\nstderr:{r.stderr[-6000:]}"
    return r


def version_dir(store: Path, ref: str) -> Path:
    name, v = ref.split("@")
    return store / name / v


def data_table(store: Path, ref: str):
    import pyarrow as pa

    files = sorted((version_dir(store, ref) / "data").glob("*.parquet"))
    return pa.concat_tables([pq.read_table(f) for f in files])


def rejected_table(store: Path, ref: str):
    files = sorted((version_dir(store, ref) / "rejected").glob("*.parquet"))
    return pq.read_table(files[0]) if files else None


def manifest(store: Path, ref: str) -> dict:
    return json.loads((version_dir(store, ref) / "manifest.json").read_text())


def run_recipe(recipe: Path, store: Path, *sets: str) -> str:
    """Run a shipped recipe as is (on the tiny model `DATAGEN_TEST_TINY_MODEL` pins, if set);
    returns the published ref."""
    args = ["run", recipe, "--store", store]
    for s in sets:
        args += ["--set", s]
    if os.environ.get("DATAGEN_TEST_TINY_MODEL"):
        args += ["--set", f"models.default.model={os.environ['DATAGEN_TEST_TINY_MODEL']}"]
    return run_cli(*args).stdout.strip().splitlines()[-1]
