"""The OpenAI backend's Batch API path (`batch: true`) against tests/integration/batch_server.py,
a local stand-in for the Batch API that runs each line on the real vLLM server: the same
samples as normal requests, chunking, failed lines retried as normal requests, an expired
batch's remainder resubmitted, and the headline: a `datagen run` killed after its batch was
submitted, re-run, submits nothing new and publishes the same rows."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from datagen.llm import RequestCache, make_llm
from datagen.llm.openai_batch import custom_id
from schemas.models import ModelSpec
from schemas.sampling import Sampling
from tests.integration.batch_server import BatchServer
from tests.integration.cli_runs import REPO, data_table, datagen_cmd, run_cli, version_dir

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

CONVS = [[{"role": "user", "content": f"What is {i} + {i + 2}?"}] for i in range(7)]
SAMPLING = Sampling(n=1, temperature=1.0, max_tokens=16, seed=5)
QUICK = REPO / "recipes" / "quickstart.yaml"


@pytest.fixture
def journal_home(tiny_model, tmp_path, monkeypatch):
    """A journal of this test's own (after the tiny model, which lives in the real cache, is found)."""
    monkeypatch.setenv("DATAGEN_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def reference(vllm_server, tiny_model, tmp_path_factory) -> list[str]:
    """The texts of CONVS as normal requests, straight to vLLM."""
    spec = ModelSpec(backend="openai", model=str(tiny_model), base_url=vllm_server, max_concurrency=8)
    out = make_llm(spec, RequestCache(tmp_path_factory.mktemp("ref") / "r.sqlite")).generate(CONVS, SAMPLING)
    assert all(c.ok for o in out for c in o)
    return [o[0].text for o in out]


def batch_llm(url: str, model, cache_path, **kw):
    spec = ModelSpec(backend="openai", model=str(model), base_url=url, batch=True, batch_poll_s=0.1, backoff_base_s=0.05, **kw)
    return make_llm(spec, RequestCache(cache_path))


def texts(out) -> list[str]:
    assert all(c.ok for o in out for c in o), [c.error for o in out for c in o]
    return [o[0].text for o in out]


def test_batch_gives_the_samples_normal_requests_give_and_caches_them(vllm_server, tiny_model, reference, journal_home, tmp_path):
    server = BatchServer(vllm_server)
    with server as url:
        llm = batch_llm(url, tiny_model, tmp_path / "a.sqlite")
        assert texts(llm.generate(CONVS, SAMPLING)) == reference
        assert len(server.batches) == 1 and server.lines["batch_0"] == 7 and server.direct == 0
        assert texts(llm.generate(CONVS, SAMPLING)) == reference  # the request cache: nothing sent
        assert len(server.batches) == 1 and llm.stats.cache_hits == 7 and llm.stats.generated == 7


def test_chunks_by_the_request_limit(vllm_server, tiny_model, reference, journal_home, tmp_path):
    server = BatchServer(vllm_server)
    with server as url:
        out = batch_llm(url, tiny_model, tmp_path / "b.sqlite", batch_max_requests=3).generate(CONVS, SAMPLING)
    assert texts(out) == reference
    assert [server.lines[b["id"]] for b in server.batches] == [3, 3, 1] and len(server.uploads) == 3


def test_failed_lines_are_retried_as_normal_requests(vllm_server, tiny_model, reference, journal_home, tmp_path):
    failing: set[str] = set()
    server = BatchServer(vllm_server, fail=lambda cid: 500 if cid in failing else None)
    with server as url:
        llm = batch_llm(url, tiny_model, tmp_path / "c.sqlite")
        failing.update(custom_id(llm.backend.payload(r, SAMPLING)) for r in _requests()[:2])
        out = llm.generate(CONVS, SAMPLING)
    assert texts(out) == reference and llm.stats.failed == 0
    assert server.batches[0]["request_counts"] == {"total": 7, "completed": 5, "failed": 2}
    assert len(server.batches) == 1 and server.direct == 2  # the two failed lines, as normal requests


def test_an_expired_batch_keeps_its_output_and_resubmits_the_rest(vllm_server, tiny_model, reference, journal_home, tmp_path):
    server = BatchServer(vllm_server, expire_after={0: 4})
    with server as url:
        out = batch_llm(url, tiny_model, tmp_path / "d.sqlite").generate(CONVS, SAMPLING)
    assert texts(out) == reference
    assert [(b["status"], server.lines[b["id"]]) for b in server.batches] == [("expired", 7), ("completed", 3)]
    assert server.batches[0]["request_counts"]["completed"] == 4 and server.direct == 0


def _requests():
    from datagen.llm.base import Request
    from datagen.llm.cached import sample_seed

    return [Request(messages=c, seed=sample_seed(SAMPLING.seed, c, 0)) for c in CONVS]


def test_a_run_killed_after_submission_resumes_its_batch(vllm_server, tiny_model, tmp_path):
    """The figure: `datagen run` with `batch: true`, kill -9 once its batch is submitted and
    polled, re-run: no new file, no new batch, and the rows of a run that was never killed."""
    import threading

    hold = threading.Event()  # lines wait until set: the batch is still running when the run is killed
    hold.set()
    server = BatchServer(vllm_server, hold=hold)
    with server as url:
        over = ["--set", "source.n=6", "--set", "output.shards=1", "--set", "models.default.backend=openai",
                "--set", f"models.default.base_url={url}", "--set", f"models.default.model={tiny_model}",
                "--set", "models.default.batch=true", "--set", "models.default.batch_poll_s=0.2"]
        # the journal: in the real $DATAGEN_CACHE (the decontaminate stage's embeddings are there too),
        # named by this server's address, so no other run shares it; removed at the end
        from datagen.llm import make_backend
        from datagen.llm.openai_batch import journal_path

        journal = journal_path(make_backend(ModelSpec(backend="openai", model=str(tiny_model), base_url=url)).identity, url)
        env = dict(os.environ)
        t0 = time.monotonic()
        ref = run_cli("run", QUICK, *over, "--store", tmp_path / "ref", env=env).stdout.strip().splitlines()[-1]
        ref_s = time.monotonic() - t0
        made = (len(server.uploads), len(server.batches))

        assert not _open_rows(journal)  # an uninterrupted run leaves nothing open
        hold.clear()
        store = tmp_path / "killed"
        proc = subprocess.Popen(datagen_cmd("run", QUICK, *over, "--store", store), cwd=REPO, env=env, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        polls, deadline = server.polls, time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None and not (len(server.batches) > made[1] and server.polls > polls):
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(60)
        assert len(server.batches) == made[1] + 1, "the run ended or stalled before its batch was submitted"
        assert not list(store.glob("quickstart/v*"))
        assert [r["batch_id"] for r in _open_rows(journal)] == [server.batches[-1]["id"]]
        submitted = (len(server.uploads), len(server.batches))

        hold.set()
        t0 = time.monotonic()
        r = run_cli("run", QUICK, *over, "--store", store, env=env)
        rerun_s = time.monotonic() - t0
        resumed = r.stdout.strip().splitlines()[-1]
        after = (len(server.uploads), len(server.batches))
    assert after == submitted, f"the re-run submitted again: {submitted} -> {after} (uploads, batches)"
    assert "picking up batch_" in r.stderr, r.stderr[-2000:]
    a, b = data_table(tmp_path / "ref", ref), data_table(store, resumed)
    assert a.num_rows > 0 and a.equals(b), "the resumed rows differ from an uninterrupted run's"
    m = json.loads((version_dir(store, resumed) / "manifest.json").read_text())
    lines = server.lines[server.batches[-1]["id"]]
    print(f"\nbatch resume figure: run killed after submitting {server.batches[-1]['id']} ({lines} lines); re-run "
          f"created {after[0] - submitted[0]} files and {after[1] - submitted[1]} batches, generated "
          f"{sum(s.get('generated', 0) for s in m['run']['llm'].values())} samples from the picked-up batch, "
          f"{b.num_rows} rows equal to the uninterrupted run's ({a.num_rows}); uninterrupted run {ref_s:.1f} s, "
          f"re-run {rerun_s:.1f} s")
    assert not _open_rows(journal)
    for f in journal.parent.glob(journal.name + "*"):
        f.unlink()


def _open_rows(path) -> list:
    from datagen.llm.openai_batch import BatchJournal

    j = BatchJournal(path)
    try:
        return j.rows()
    finally:
        j.close()
