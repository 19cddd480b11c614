"""The Ray executor on Ray's own multi-node test cluster (`ray.cluster_utils.Cluster`: a head
and two worker nodes of one CPU each, on this machine): the same recipe gives the same rows
under `--executor ray` as under `local`, whatever the number of replicas, and a re-run resumes
from the markers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from tests.helpers import write_jsonl, write_recipe
from tests.test_cli import datagen

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster():
    ray = pytest.importorskip("ray")
    from ray.cluster_utils import Cluster

    os.environ["PYTHONPATH"] = str(REPO)  # the nodes' workers import tests.stage_fns (`python` stages)
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
        {"question": f"{i % 37} // 2 + 1?", "answer": str(i % 37 // 2 + 1), "solution": f"\\boxed{{{i % 37 // 2 + 1 + (i % 5 == 0)}}}" + (" done" if i % 2 else "")}
        for i in range(60)
    ])
    recipe = {"source": {"type": "jsonl", "path": str(seeds)},
              "stages": [{"type": "verify", "verifier": "math_answer", "column": "solution"}, {"type": "dedup", "column": "question"},
                         {"type": "dedup", "method": "minhash", "column": "solution", "ngram": 1, "threshold": 0.5, "name": "near"}],
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
    assert pl.read_parquet(tmp_path / "local" / "f" / "v1" / "rejected").get_column("rejected_by").unique().sort().to_list() == ["dedup", "near", "verify"]
    again = datagen("run", path, "--store", tmp_path / "ray2", "--executor", "ray", "--ray-address", cluster.address, "--dry-run")
    assert again.stdout.count("reused 4/4 shards") == 3, again.stdout


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
    # each replica wrote its own cache file; the driver merged them into the shared one
    from datagen.llm.cache import RequestCache

    assert not list((tmp_path / "ray" / ".cache").glob("requests.replica-*"))
    sizes = []
    for store in ("local", "ray"):
        with RequestCache(tmp_path / store / ".cache" / "requests.sqlite") as cache:
            sizes.append(len(cache))
    assert sizes[0] == sizes[1] > 0


def slow_recipe(tmp_path, log):
    seeds = write_jsonl(tmp_path / "seeds.jsonl", [{"question": f"q{i}", "answer": str(i)} for i in range(40)])
    return write_recipe(tmp_path / "slow.yaml", {
        "source": {"type": "jsonl", "path": str(seeds)},
        "stages": [{"type": "python", "callable": "tests.stage_fns:keep_slowly", "args": {"seconds": 2.0, "log": str(log)}}],
        "output": {"name": "slow", "shards": 8}})


def start(path, store, cluster, replicas=2):
    return subprocess.Popen([sys.executable, "-m", "datagen", "run", str(path), "--store", str(store), "--executor", "ray",
                             "--ray-address", cluster.address, "--set", f"executor.replicas={replicas}"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def markers(store) -> int:
    return len(list((store / ".runs" / "slow").glob("01-*/shard-*.done.json")))


def wait_for_markers(store, n, proc, timeout=240):
    deadline = time.time() + timeout
    while markers(store) < n:
        assert proc.poll() is None, proc.communicate()
        assert time.time() < deadline, "no shard finished"
        time.sleep(0.2)


def test_a_node_removed_mid_stage_costs_only_its_shards(tmp_path, cluster):
    """Two replicas on two one-CPU nodes; one node is removed while shards run: its actor
    restarts on a node added in its place, the shard it was running is retried, and the
    rows equal the local executor's."""
    path = slow_recipe(tmp_path, tmp_path / "calls.log")
    local = datagen("run", path, "--store", tmp_path / "local")
    assert local.returncode == 0, local.stderr
    local_calls = len((tmp_path / "calls.log").read_text().splitlines())
    (tmp_path / "calls.log").unlink()
    proc = start(path, tmp_path / "ray", cluster)
    wait_for_markers(tmp_path / "ray", 1, proc)
    cluster.remove_node(sorted(cluster.worker_nodes, key=lambda n: n.unique_id)[0])
    cluster.add_node(num_cpus=1)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    assert out.strip() == "slow@v1"
    for a, b in zip(rows_of(tmp_path / "local", "slow"), rows_of(tmp_path / "ray", "slow"), strict=True):
        assert a.equals(b)
    calls = (tmp_path / "calls.log").read_text().splitlines()
    assert local_calls == 8 and 8 <= len(calls) <= 8 + 2, calls  # at most the shards the dead node was running, again


def test_a_killed_driver_resumes_from_the_markers(tmp_path, cluster):
    """`kill -9` of the driver mid-stage; the re-run computes only the shards without a
    marker (each call is logged) and publishes the local executor's rows."""
    log = tmp_path / "calls.log"
    path = slow_recipe(tmp_path, log)
    local = datagen("run", path, "--store", tmp_path / "local")
    assert local.returncode == 0, local.stderr
    log.unlink()
    proc = start(path, tmp_path / "ray", cluster)
    wait_for_markers(tmp_path / "ray", 2, proc)
    proc.kill()
    proc.communicate()
    time.sleep(5)  # the driver's actors die with it; a shard they were finishing may still land
    done = markers(tmp_path / "ray")
    before = len(log.read_text().splitlines())
    again = datagen("run", path, "--store", tmp_path / "ray", "--executor", "ray", "--ray-address", cluster.address,
                    "--set", "executor.replicas=2")
    assert again.returncode == 0, again.stderr[-3000:]
    assert len(log.read_text().splitlines()) - before == 8 - done
    assert 2 <= done < 8
    for a, b in zip(rows_of(tmp_path / "local", "slow"), rows_of(tmp_path / "ray", "slow"), strict=True):
        assert a.equals(b)
