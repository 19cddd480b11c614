"""Engine mechanics with model-free stages: shards, markers, stage keys, store versions."""

import json

import pyarrow.parquet as pq
import pytest

from datagen.engine import run_recipe
from datagen.errors import UserError
from datagen.progress import StageProgress
from datagen.recipe_io import load_recipe
from datagen.store import Store
from tests.helpers import write_jsonl, write_recipe

STAGES = [
    {"type": "python", "callable": "tests.stage_fns:answer_half", "kind": "generator"},
    {"type": "verify", "verifier": "math_answer"},
    {"type": "dedup", "column": "question"},
]


@pytest.fixture
def seeds(tmp_path):
    rows = [{"question": f"What is {i} plus {i}?", "answer": str(2 * i)} for i in range(20)]
    rows += [{"question": "What is 3 plus 3?", "answer": "6"}]  # a duplicate question
    return write_jsonl(tmp_path / "seeds.jsonl", rows)


def _run(tmp_path, seeds, stages=STAGES, overrides=(), name=None):
    path = write_recipe(tmp_path / "r.yaml", {"source": {"type": "jsonl", "path": str(seeds)}, "stages": stages, "output": {"name": "eng", "shards": 3}})
    return run_recipe(load_recipe(path, list(overrides)), Store(tmp_path / "store"), name=name, progress=StageProgress(False))


def _calls(tmp_path):
    p = tmp_path / "calls.log"
    return p.read_text().splitlines() if p.exists() else []


def test_run_publishes_a_complete_version(tmp_path, seeds, monkeypatch):
    monkeypatch.setenv("DATAGEN_TEST_CALLS", str(tmp_path / "calls.log"))
    res = _run(tmp_path, seeds)
    assert str(res.ref) == "eng@v1" and res.created
    vdir = Store(tmp_path / "store").path("eng@v1")
    m = json.loads((vdir / "manifest.json").read_text())
    # 21 rows: 10 answered wrong (even index per shard), 1 duplicate question among the rest
    st = {s["label"]: s for s in m["stages"]}
    assert st["python"]["rows_in"] == 21 and st["verify"]["rows_in"] == 21
    assert st["verify"]["reasons"] == {"wrong_answer": st["verify"]["rejected"]}
    assert m["counts"]["train"] + m["counts"]["rejected"] == 21
    train = pq.read_table(next((vdir / "data").glob("*.parquet")))
    assert {"id", "question", "answer", "prompt", "completion", "meta"} <= set(train.column_names)
    rej = pq.read_table(next((vdir / "rejected").glob("*.parquet")))
    assert set(rej.column("rejected_by").to_pylist()) <= {"verify", "dedup"}
    assert all(r for r in rej.column("reason").to_pylist())
    assert (vdir / "README.md").read_text().startswith("---\nconfigs:")
    assert len(_calls(tmp_path)) == 3  # one call per shard


def test_same_fingerprint_never_makes_a_second_version(tmp_path, seeds, monkeypatch):
    monkeypatch.setenv("DATAGEN_TEST_CALLS", str(tmp_path / "calls.log"))
    a = _run(tmp_path, seeds)
    b = _run(tmp_path, seeds)
    assert a.ref == b.ref and not b.created
    assert Store(tmp_path / "store").versions("eng") == [1]
    assert len(_calls(tmp_path)) == 3  # nothing recomputed


def test_editing_a_later_stage_recomputes_only_from_there(tmp_path, seeds, monkeypatch):
    monkeypatch.setenv("DATAGEN_TEST_CALLS", str(tmp_path / "calls.log"))
    stages = [STAGES[0], {"type": "python", "callable": "tests.stage_fns:keep_short", "args": {"max_len": 40}}]
    _run(tmp_path, seeds, stages)
    b = _run(tmp_path, seeds, stages, overrides=["stages.1.args.max_len=18"])
    assert str(b.ref) == "eng@v2"
    calls = [c.split()[0] for c in _calls(tmp_path)]
    assert calls.count("answer_half") == 3 and calls.count("keep_short") == 6


def test_resume_recomputes_only_unfinished_shards(tmp_path, seeds, monkeypatch):
    monkeypatch.setenv("DATAGEN_TEST_CALLS", str(tmp_path / "calls.log"))
    _run(tmp_path, seeds)
    store = Store(tmp_path / "store")
    # simulate a crash: drop the version, and one shard's marker of the first stage
    import shutil

    shutil.rmtree(store.path("eng@v1"))
    gen_dir = next(p for p in (store.root / ".runs" / "eng").iterdir() if p.name.startswith("01-"))
    (gen_dir / "shard-00001.done.json").unlink()
    res = _run(tmp_path, seeds)
    assert str(res.ref) == "eng@v1"
    assert len(_calls(tmp_path)) == 4  # 3 + the one shard without a marker


def test_bad_seed_line_is_named_and_nothing_written(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_text('{"question": "a", "answer": "1"}\n{"question": "b", "answer": \n')
    with pytest.raises(UserError, match=r"bad.jsonl:2"):
        _run(tmp_path, p)
    assert not (tmp_path / "store" / "eng").exists()


def test_missing_question_column_is_named(tmp_path):
    p = write_jsonl(tmp_path / "s.jsonl", [{"prompt": "x"}])
    with pytest.raises(UserError, match="question_column"):
        _run(tmp_path, p)


def test_a_version_as_source_records_its_parent(tmp_path, seeds):
    first = _run(tmp_path, seeds)
    path = write_recipe(tmp_path / "r2.yaml", {"source": f"{first.ref}", "stages": [{"type": "dedup", "column": "question"}], "output": {"name": "child", "shards": 1}})
    res = run_recipe(load_recipe(path), Store(tmp_path / "store"), progress=StageProgress(False))
    assert res.manifest["parents"] == ["eng@v1"]
    child = Store(tmp_path / "store").read_table(res.ref)
    parent_ids = set(Store(tmp_path / "store").read_table(first.ref).column("id").to_pylist())
    assert set(child.column("id").to_pylist()) <= parent_ids
    assert child.column("meta").to_pylist()[0]["source"] == "eng@v1"
