"""The Ray executor on Ray's own multi-node test cluster (`ray.cluster_utils.Cluster`: a head
and two worker nodes of one CPU each, on this machine): the same recipe gives the same rows
under `--executor ray` as under `local`, whatever the number of replicas, and a re-run resumes
from the markers."""

from __future__ import annotations

import json

import polars as pl
import pytest

from tests.helpers import write_jsonl, write_recipe
from tests.test_cli import datagen

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster():
    ray = pytest.importorskip("ray")
    from ray.cluster_utils import Cluster

    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    c.add_node(num_cpus=1)
    c.add_node(num_cpus=1)
    c.wait_for_nodes()
    yield c
    ray.shutdown()
    c.shutdown()


def rows_of(store, name: str) -> pl.DataFrame:
    vdir = store / name / "v1"
    data = pl.read_parquet(vdir / "data").sort("id")
    return data.drop("meta"), pl.read_parquet(vdir / "rejected").sort("id").drop("meta")


def test_filter_recipe_same_rows_under_ray_and_local(tmp_path, cluster):
    seeds = write_jsonl(tmp_path / "seeds.jsonl", [
        {"question": f"{i % 17} + 1?", "answer": str(i % 17 + 1), "solution": f"\\boxed{{{i % 13 + 1}}}"} for i in range(60)
    ])
    recipe = {"source": {"type": "jsonl", "path": str(seeds)},
              "stages": [{"type": "verify", "verifier": "math_answer", "column": "solution"}, {"type": "dedup", "column": "question"}],
              "output": {"name": "f", "shards": 4}}
    path = write_recipe(tmp_path / "r.yaml", recipe)
    local = datagen("run", path, "--store", tmp_path / "local")
    assert local.returncode == 0, local.stderr
    for replicas in (1, 2):
        store = tmp_path / f"ray{replicas}"
        r = datagen("run", path, "--store", store, "--executor", "ray", "--ray-address", cluster.address, "--set", f"executor.replicas={replicas}")
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == "f@v1"
        for a, b in zip(rows_of(tmp_path / "local", "f"), rows_of(store, "f"), strict=True):
            assert a.equals(b)
        manifests = [json.loads((s / "f" / "v1" / "manifest.json").read_text())["fingerprint"] for s in (tmp_path / "local", store)]
        assert manifests[0] == manifests[1]  # the same stage keys and contents: the executor is not in the key
    again = datagen("run", path, "--store", tmp_path / "ray2", "--executor", "ray", "--ray-address", cluster.address, "--dry-run")
    assert again.stdout.count("reused 4/4 shards") == 2, again.stdout


def test_quickstart_same_rows_under_ray_with_two_replicas(tmp_path, cluster, tiny_model):
    """Generation on the tiny model: two vLLM replicas (one per worker node) give the rows the
    local executor gives; each replica loads its own engine."""
    sets = ["--set", "source.n=32"]
    local = datagen("run", "recipes/quickstart.yaml", "--store", tmp_path / "local", *sets)
    assert local.returncode == 0, local.stderr
    r = datagen("run", "recipes/quickstart.yaml", "--store", tmp_path / "ray", *sets, "--executor", "ray",
                "--ray-address", cluster.address, "--set", "executor.replicas=2")
    assert r.returncode == 0, r.stderr
    for a, b in zip(rows_of(tmp_path / "local", "quickstart"), rows_of(tmp_path / "ray", "quickstart"), strict=True):
        assert a.height > 0 or b.height == 0
        assert a.equals(b)
