"""End to end through the real CLI with the embedded tiny model on real vLLM (CPU build):
the quickstart, kill -9 and resume, the OpenAI backend against a real vLLM server with an
API key that must never leak, and the GSM8K recipe offline on local seeds."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.integration.cli_runs import data_table, datagen_cmd, run_cli, version_dir
from tests.integration.vllm_server import run_vllm_server

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

REPO = Path(__file__).resolve().parents[2]
QUICK = REPO / "recipes" / "quickstart.yaml"
VLLM_INFO = re.compile(r"\bINFO \d\d-\d\d \d\d:\d\d:\d\d \[")  # a vLLM log line


def test_quickstart(tiny_model, tmp_path):
    store = tmp_path / "store"
    t0 = time.time()
    r = run_cli("run", QUICK, "--store", store)
    ref = r.stdout.strip().splitlines()[-1]
    assert ref == "quickstart@v1"
    assert r.stdout == "quickstart@v1\n", "stdout carries only the version ref"
    assert not VLLM_INFO.search(r.stderr), f"vLLM INFO lines by default:\n{r.stderr[-3000:]}"
    assert "Loading safetensors checkpoint shards" not in r.stderr, "no library bars by default"
    m = json.loads((version_dir(store, ref) / "manifest.json").read_text())
    rej = m["stages"][0]
    assert rej["rows_in"] == 128 and rej["kept"] + rej["rejected"] == 128 * 4
    assert 0 < rej["kept"] < 128 * 4, "the tiny model should solve some problems, not all"
    assert set(rej["reasons"]) <= {"wrong_answer", "no_answer"}
    assert m["tokens"]["completion"] > 0 and m["libraries"]["datasets"]
    train = data_table(store, ref)
    meta = train.column("meta").to_pylist()
    assert all(x["model"].startswith("vllm:datagen-tiny@") and x["verdicts"][-2]["passed"] for x in meta)
    assert all(0 < x["pass_rate"] <= 1 for x in meta)
    from datasets import load_dataset

    files = sorted(str(p) for p in (version_dir(store, ref) / "data").glob("*.parquet"))
    ds = load_dataset("parquet", data_files={"train": files}, split="train")
    assert ds.num_rows == m["counts"]["train"] and ds[0]["completion"][0]["role"] == "assistant"
    print(f"quickstart wall time: {time.time() - t0:.1f}s (manifest stage seconds: {m['wall_time_s']})")


def test_progress_shows_engine_start_and_quiet_silences_it(tiny_model, tmp_path):
    """Progress forced on: a "starting vLLM" row and no vLLM INFO lines; `--quiet`: no bars,
    no "starting vLLM" row, stdout still only the ref. (`-v` bringing library output back is
    tests/test_logs_and_errors.py, test_eval_stdout_is_only_the_result.)"""
    over = ["--set", "source.n=4", "--set", "output.shards=1"]
    env = {**os.environ, "DATAGEN_PROGRESS": "1", "TTY_COMPATIBLE": "1"}  # rich draws as on a terminal
    shown = run_cli("run", QUICK, *over, "--store", tmp_path / "p", env=env)
    assert "starting vLLM (model datagen-tiny)" in shown.stderr and not VLLM_INFO.search(shown.stderr), shown.stderr[-3000:]
    quiet = run_cli("--quiet", "run", QUICK, *over, "--set", "output.name=quiet", "--store", tmp_path / "q", env=env)
    assert quiet.stdout == "quiet@v1\n"
    assert "starting vLLM" not in quiet.stderr and "rejection" not in quiet.stderr, quiet.stderr[-3000:]


def test_kill9_then_resume_gives_the_same_dataset(tiny_model, tmp_path):
    over = ["--set", "source.n=48", "--set", "models.default.batch_size=16", "--set", "output.shards=2"]
    ref_store, store = tmp_path / "ref", tmp_path / "killed"
    reference = run_cli("run", QUICK, *over, "--store", ref_store).stdout.strip().splitlines()[-1]

    proc = subprocess.Popen(datagen_cmd("run", QUICK, *over, "--store", store), cwd=REPO, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cache = store / ".cache" / "requests.sqlite"
    deadline = time.time() + 600
    killed_at = None
    from datagen.llm.cache import RequestCache

    while time.time() < deadline and proc.poll() is None:
        if cache.exists():
            with RequestCache(cache) as c:
                n = len(c)
            if n >= 48:  # some batches done, more to go (48 prompts x 4 samples = 192)
                os.killpg(proc.pid, signal.SIGKILL)
                killed_at = n
                break
        time.sleep(0.2)
    proc.wait(60)
    assert killed_at is not None, "the run finished or stalled before it could be killed"
    assert not (store / "quickstart" / "v1").exists()
    with RequestCache(cache) as c:
        cached = len(c)  # what survived the kill

    resumed = run_cli("run", QUICK, *over, "--store", store).stdout.strip().splitlines()[-1]
    m = json.loads((version_dir(store, resumed) / "manifest.json").read_text())
    regenerated = sum(s.get("generated", 0) for s in m["run"]["llm"].values())
    print(f"kill -9 with {cached} of 192 samples cached; the resume generated {regenerated} (the rest), none twice")
    assert regenerated == 192 - cached  # nothing that was cached is generated again
    a, b = data_table(ref_store, reference), data_table(store, resumed)
    assert a.equals(b), "resumed dataset differs from the uninterrupted one"
    ma = json.loads((version_dir(ref_store, reference) / "manifest.json").read_text())
    assert ma["fingerprint"] == m["fingerprint"]


def test_openai_backend_run_never_leaks_the_key(tiny_model, tmp_path):
    secret = "sk-datagen-test-" + os.urandom(12).hex()
    with run_vllm_server(str(tiny_model), tmp_path / "server.log", extra_args=("--api-key", secret)) as base_url:
        env = {**os.environ, "DATAGEN_TEST_KEY": secret}
        over = ["--set", "source.n=16", "--set", "models.default.backend=openai", "--set", f"models.default.base_url={base_url}",
                "--set", "models.default.api_key_env=DATAGEN_TEST_KEY", "--set", f"models.default.model={tiny_model}",
                "--progress"]
        store = tmp_path / "store"
        r = run_cli("run", QUICK, *over, "--store", store, env=env)
        ref = r.stdout.strip().splitlines()[-1]
        m = json.loads((version_dir(store, ref) / "manifest.json").read_text())
        assert m["stages"][0]["kept"] + m["stages"][0]["rejected"] == 64
        assert "llm_error" not in m["reject_reasons"]
        # a wrong key: the server refuses every request -> the run fails (exit 1), names the
        # reason, and publishes nothing
        # (a fresh store: in the first one every request is already cached and none is sent)
        bad = subprocess.run(datagen_cmd("run", QUICK, *over, "--set", "output.name=nokey", "--set", "models.default.max_retries=0",
                                         "--store", tmp_path / "store-bad"), capture_output=True, text=True, cwd=REPO, timeout=900,
                             env={**os.environ, "DATAGEN_TEST_KEY": "wrong"})
        assert bad.returncode == 1, bad.stderr[-3000:]
        assert "all 64 LLM requests failed" in bad.stderr and "401" in bad.stderr
        assert not list((tmp_path / "store-bad").glob("nokey/v*"))
    files = [p for d in (store, tmp_path / "store-bad") for p in d.rglob("*") if p.is_file()]
    leaks = [str(p) for p in files if secret.encode() in p.read_bytes()]
    assert not leaks, f"API key found in {leaks}"
    assert secret not in r.stdout + r.stderr + bad.stdout + bad.stderr


def test_gsm8k_recipe_offline_on_local_seeds(tiny_model, tmp_path, shared_dir):
    seeds = shared_dir / "seeds" / "gsm8k_train" / "train.jsonl"
    if not seeds.is_file():
        pytest.skip(f"{seeds} absent (shared/ not beside the checkout)")
    store = tmp_path / "store"
    r = run_cli("run", REPO / "recipes" / "gsm8k_rejection.yaml",
                "--set", f"source={{type: jsonl, path: {seeds}, limit: 16, id_column: id}}",
                "--set", "models.default.model=null", "--set", "models.default.dtype=float32", "--set", "models.default.max_model_len=null",
                "--set", "stages.0.k=2", "--set", "stages.0.sampling.max_tokens=128",
                "--set", "output.shards=2", "--store", store)
    ref = r.stdout.strip().splitlines()[-1]
    assert ref == "gsm8k-rejection@v1"
    m = json.loads((version_dir(store, ref) / "manifest.json").read_text())
    assert m["stages"][0]["rows_in"] == 16 and m["stages"][0]["kept"] + m["stages"][0]["rejected"] == 32
    assert [s["label"] for s in m["stages"]] == ["rejection", "quality", "minhash_dedup", "embedding_dedup", "decontaminate"]
    report = m["contamination"]["decontaminate"]
    assert report["rows_checked"] == m["stages"][4]["rows_in"] and "gsm8k" in report["benchmarks"]
    assert "| gsm8k | 1319 |" in (version_dir(store, ref) / "README.md").read_text()
    for before, after in zip(m["stages"], m["stages"][1:], strict=False):
        assert after["rows_in"] == before["kept"] and after["kept"] + after["rejected"] == after["rows_in"]
    assert m["stages"][2]["scope"] == "global" and m["stages"][2]["filter"] == "minhash_dedup"
    rej = pq.read_table(next((version_dir(store, ref) / "rejected").glob("*.parquet")))
    assert all(rej.column("reason").to_pylist())
    assert rej.column("meta").to_pylist()[0]["parent_id"].startswith("gsm8k/train/")
