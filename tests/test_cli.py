"""The CLI as a user runs it: subprocesses, exit codes, messages, nothing half written."""

import json
import subprocess
import sys

from tests.helpers import write_jsonl, write_recipe


def datagen(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "datagen", *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def test_help_is_light():
    code = "import sys, runpy; sys.argv=['datagen','--help']\ntry:\n runpy.run_module('datagen', run_name='__main__')\nexcept SystemExit: pass\nprint(sorted(m for m in ('torch','vllm','trl','transformers','datasets','polars') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip().endswith("[]"), out.stdout + out.stderr


def test_validate_bad_recipes_exit_2(tmp_path):
    bad_yaml = tmp_path / "a.yaml"
    bad_yaml.write_text("stages: [\n")
    r = datagen("validate", bad_yaml)
    assert r.returncode == 2 and "a.yaml:" in r.stderr
    unknown = write_recipe(tmp_path / "b.yaml", {"source": "x.jsonl", "stages": [{"type": "magic"}], "output": {"name": "n"}})
    r = datagen("validate", unknown)
    assert r.returncode == 2 and "stages.0" in r.stderr and "magic" in r.stderr
    wrong = write_recipe(tmp_path / "c.yaml", {"source": "x.jsonl", "stages": [{"type": "rejection", "k": "lots"}], "output": {"name": "n"}})
    r = datagen("validate", wrong)
    assert r.returncode == 2 and "stages.0.k" in r.stderr
    assert datagen("validate", tmp_path / "missing.yaml").returncode == 2


def test_run_with_bad_seed_file_exits_2_and_writes_nothing(tmp_path):
    seeds = tmp_path / "s.jsonl"
    seeds.write_text('{"question": "q", "answer": "1"}\n\n{"question": "q2" "answer": "2"}\n')
    rec = write_recipe(tmp_path / "r.yaml", {"source": str(seeds), "stages": [{"type": "dedup", "column": "question"}], "output": {"name": "n"}})
    r = datagen("run", rec, "--store", tmp_path / "store")
    assert r.returncode == 2 and "s.jsonl:3" in r.stderr
    assert not (tmp_path / "store" / "n").exists()


def test_run_show_versions_roundtrip(tmp_path):
    seeds = write_jsonl(tmp_path / "s.jsonl", [{"question": f"q{i % 3}", "answer": "1"} for i in range(6)])
    rec = write_recipe(tmp_path / "r.yaml", {"source": str(seeds), "stages": [{"type": "dedup", "column": "question"}], "output": {"name": "n", "shards": 2}})
    r = datagen("run", rec, "--store", tmp_path / "store")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "n@v1"
    r = datagen("show", "n@latest", "--store", tmp_path / "store", "--json")
    m = json.loads(r.stdout)
    assert m["counts"] == {"train": 3, "rejected": 3} and m["path"].endswith("n/v1")
    r = datagen("versions", "n", "--store", tmp_path / "store")
    assert r.stdout.startswith("n@v1")
    assert datagen("show", "n@v9", "--store", tmp_path / "store").returncode == 2
    r = datagen("push", "n@v1", "--repo-id", "org/n", "--store", tmp_path / "store", "--dry-run")
    plan = json.loads(r.stdout)
    assert plan["tag"] == "v1" and "manifest.json" in plan["files"] and "README.md" in plan["files"]
