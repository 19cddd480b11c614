"""The OpenAI Batch API path without a model: JSONL lines, chunking, the journal, the spec's
checks, batch pricing, and the whole flow (chunks, failed lines, expiry, a failed batch,
resume) against tests/integration/batch_server.py with no vLLM behind it (lines are answered
"echo SEED"). The same flow on a real vLLM server: tests/integration/test_openai_batch.py."""

from __future__ import annotations

import json
import threading

import pytest

from datagen.cost import version_cost
from datagen.errors import UserError
from datagen.llm import RequestCache, make_llm
from datagen.llm.openai_batch import BatchJournal, BatchRunner, chunk_lines, custom_id, jsonl_line
from datagen.recipe_io import load_recipe
from schemas.models import ModelSpec
from schemas.sampling import Sampling
from tests.helpers import write_recipe
from tests.integration.batch_server import BatchServer

CONVS = [[{"role": "user", "content": f"What is {i} + 1?"}] for i in range(7)]
SAMPLING = Sampling(max_tokens=8, seed=3)
WAIT = BatchRunner._wait


def test_custom_id_is_stable_and_lines_are_batch_requests():
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "seed": 1}
    assert custom_id(body) == custom_id(json.loads(json.dumps(body))) != custom_id({**body, "seed": 2})
    line = json.loads(jsonl_line(custom_id(body), body))
    assert line == {"custom_id": custom_id(body), "method": "POST", "url": "/v1/chat/completions", "body": body}


def test_chunks_respect_request_and_byte_limits():
    lines = [(f"c{i}", b"x" * 10) for i in range(7)]
    assert [len(c) for c in chunk_lines(lines, 3, 10**6)] == [3, 3, 1]
    assert [len(c) for c in chunk_lines(lines, 100, 25)] == [2, 2, 2, 1]
    assert [cid for c in chunk_lines(lines, 3, 25) for cid, _ in c] == [cid for cid, _ in lines]  # order kept


def test_journal_keeps_a_row_until_all_its_lines_are_handled(tmp_path):
    j = BatchJournal(tmp_path / "j.sqlite")
    j.add("file-1", ["a", "b", "c"])
    j.set("file-1", batch_id="batch_1", status="in_progress")
    [row] = BatchJournal(tmp_path / "j.sqlite").rows()  # another process sees it
    assert (row["batch_id"], row["status"], row["ids"]) == ("batch_1", "in_progress", ["a", "b", "c"])
    j.handled("file-1", ["a", "b"])
    assert j.rows()[0]["handled"] == ["a", "b"]
    j.handled("file-1", ["c"])
    assert j.rows() == []


def test_batch_needs_the_openai_backend_and_names_the_field(tmp_path):
    path = write_recipe(tmp_path / "r.yaml", {"source": {"type": "procedural", "n": 2}, "stages": [{"type": "rejection"}],
                                              "output": {"name": "c"}, "models": {"default": {"batch": True}}})
    with pytest.raises(UserError, match=r"models\.default\.batch"):
        load_recipe(path)
    assert load_recipe(path, ["models.default.backend=openai", "models.default.base_url=http://x/v1"]).models["default"].batch


def test_batch_models_are_priced_at_the_batch_discount(tmp_path):
    price = {"input_per_mtok": 2.0, "output_per_mtok": 8.0}
    r = load_recipe(write_recipe(tmp_path / "r.yaml", {
        "source": {"type": "procedural", "n": 2}, "stages": [{"type": "rejection"}], "output": {"name": "c"},
        "models": {"default": {"backend": "openai", "base_url": "http://x/v1", "model": "m", "batch": True, "price": price}}}))
    stages = [{"label": "rejection", "tokens": {"prompt": 1_000_000, "completion": 0}}]
    cost = version_cost(r.models, r.stages, stages, kept_rows=1, run_llm={"default": {"prompt_tokens": 1_000_000}})
    assert cost["total"] == pytest.approx(1.0) and cost["this_run"]["total"] == pytest.approx(1.0)


# -- the whole flow against the batch test double (no model) -------------------------------
@pytest.fixture
def journal_home(tmp_path, monkeypatch):
    monkeypatch.setenv("DATAGEN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("DATAGEN_QUIET", "1")
    return tmp_path / "cache" / "openai_batches"


def spec(url: str, **kw) -> ModelSpec:
    return ModelSpec(backend="openai", model="served", base_url=url, batch=True, batch_poll_s=0.02, max_retries=1,
                     backoff_base_s=0.01, **kw)


def texts(out) -> list[str]:
    return [c.text for o in out for c in o]


def test_batches_chunk_fail_lines_expire_and_refuse(tmp_path, journal_home):
    failing = set()
    server = BatchServer(None, expire_after={1: 1}, fail=lambda cid: 500 if cid in failing else None, refuse={3})
    with server as url:
        llm = make_llm(spec(url, batch_max_requests=3), RequestCache(tmp_path / "a.sqlite"))
        bodies = [llm.backend.payload(r, SAMPLING) for r in _requests()]
        failing.add(custom_id(bodies[0]))
        out = llm.generate(CONVS, SAMPLING)
    assert texts(out) == [f"echo {b['seed']}" for b in bodies] and llm.stats.generated == 7
    # 3 + 3 + 1 lines; batch 1 expired after 1 line, so its other 2 went into batch 3, which the API
    # refused: those 2 and the failed line of batch 0 went as normal requests
    assert [server.lines[b["id"]] for b in server.batches] == [3, 3, 1, 2]
    assert [b["status"] for b in server.batches] == ["completed", "expired", "completed", "failed"]
    assert server.direct == 3
    assert BatchJournal(next(journal_home.glob("*.sqlite"))).rows() == []  # all delivered: nothing left open


def _requests():
    from datagen.llm.base import Request
    from datagen.llm.cached import sample_seed

    return [Request(messages=c, seed=sample_seed(SAMPLING.seed, c, 0)) for c in CONVS]


class Killed(BaseException):
    """Stands in for kill -9: not an Exception, so nothing catches it."""


def _die(*args, **kw):
    raise Killed


def test_a_rerun_picks_up_the_open_batch_instead_of_submitting_again(tmp_path, journal_home, monkeypatch):
    hold = threading.Event()
    server = BatchServer(None, hold=hold)
    with server as url:
        first = make_llm(spec(url), RequestCache(tmp_path / "b.sqlite"))
        monkeypatch.setattr(BatchRunner, "_wait", _die)  # "killed" once the batch is submitted
        with pytest.raises(Killed):
            first.generate(CONVS, SAMPLING)
        monkeypatch.setattr(BatchRunner, "_wait", WAIT)
        assert len(server.batches) == 1 and len(server.uploads) == 1
        hold.set()
        cache = RequestCache(tmp_path / "c.sqlite")
        part = make_llm(spec(url), cache).generate(CONVS[:3], SAMPLING)  # a re-run asking for part of it
        whole = make_llm(spec(url), cache).generate(CONVS, SAMPLING)  # ... and later for all of it
    assert all(c.ok for c in [*texts_ok(part), *texts_ok(whole)]) and whole[:3] == part
    assert len(server.batches) == 1 and len(server.uploads) == 1 and server.direct == 0  # nothing submitted twice


def test_a_batch_created_but_not_recorded_is_found_by_its_input_file(tmp_path, journal_home, monkeypatch):
    server = BatchServer(None)
    with server as url:
        first = make_llm(spec(url), RequestCache(tmp_path / "d.sqlite"))
        set_ = BatchJournal.set
        monkeypatch.setattr(BatchJournal, "set",
                            lambda self, fid, batch_id=None, status=None: _die() if batch_id else set_(self, fid, batch_id, status))
        with pytest.raises(Killed):  # killed between POST /batches and writing its id down
            first.generate(CONVS, SAMPLING)
        monkeypatch.setattr(BatchJournal, "set", set_)
        out = make_llm(spec(url), RequestCache(tmp_path / "e.sqlite")).generate(CONVS, SAMPLING)
    assert all(c.ok for c in texts_ok(out)) and len(server.batches) == 1 and len(server.uploads) == 1


def texts_ok(out):
    return [c for o in out for c in o]


def test_batch_changes_no_stage_key_and_no_cache_identity(tmp_path):
    """The same requests sent another way: a run switched to batch mode reuses every stage and cached request."""
    from datagen.engine import plan_recipe
    from datagen.llm import make_backend
    from datagen.store import Store

    def plan(batch: bool):
        model = {"backend": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "m", "batch": batch}
        spec = {"source": {"type": "procedural", "n": 4}, "models": {"default": model},
                "stages": [{"type": "rejection", "k": 2}], "output": {"name": "c"}}
        r = load_recipe(write_recipe(tmp_path / f"{batch}.yaml", spec))
        return [s["key"] for s in plan_recipe(r, Store(tmp_path / "store"))["stages"]], make_backend(r.models["default"]).identity

    assert plan(True) == plan(False)
