"""Decontamination shard by shard (how the engine runs it under every executor) flags the
same rows as on the whole table, and the shards' merged report equals the whole one."""

import json
from pathlib import Path

import polars as pl
import pytest

from datagen import stage_io
from filters.decontam import Decontaminate
from filters.decontam_report import merge
from schemas.filters import DecontamStage
from tests.benchmarks.bench_decontam_adversarial import benchmarks_dir

DATA = Path(__file__).parent / "data" / "decontam_adversarial" / "math_test.jsonl"


def test_shard_by_shard_equals_whole(tmp_path, monkeypatch):
    where = benchmarks_dir()
    if where is None:
        pytest.skip("the local benchmarks (../shared/benchmarks) are absent")
    monkeypatch.setenv("DATAGEN_BENCHMARKS_DIR", str(where))
    rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    from datagen.sources import load_source
    from schemas.sources import ProceduralSource

    df = pl.from_arrow(load_source(ProceduralSource(type="procedural", n=len(rows))).table).with_columns(
        id=pl.Series([r["id"] for r in rows]), question=pl.Series([r["text"] for r in rows]), answer=pl.Series([r["answer"] for r in rows]))
    spec = DecontamStage(type="decontaminate", benchmarks=["gsm8k", "math500"])
    whole = Decontaminate(spec)
    kept, rejected, _ = stage_io.execute(whole, df.to_arrow(), "decontaminate")
    import pickle

    part = pickle.loads(pickle.dumps(whole.in_parts([], tmp_path, None, 3)))  # as a worker gets it
    # a worker uses the benchmarks the driver loaded: it never reads them from disk or the Hub
    monkeypatch.setenv("DATAGEN_BENCHMARKS_DIR", str(tmp_path / "absent"))
    monkeypatch.setattr("filters.benchmarks.load_benchmark", lambda *a, **k: pytest.fail("a worker loaded a benchmark"))
    kept_p, rejected_p, reports = [], [], []
    for start in range(0, df.height + 1, 40):  # 3 shards, the last one short
        k, r, _ = stage_io.execute(part, df.slice(start, 40).to_arrow(), "decontaminate")
        kept_p.append(k)
        rejected_p.append(r)
        reports.append(part.report())
    assert rejected.height > 10
    assert pl.concat(kept_p).to_dicts() == kept.to_dicts()
    assert pl.concat(rejected_p).to_dicts() == rejected.to_dicts()
    assert merge(reports) == whole.report()


def test_the_judge_method_stays_whole():
    spec = DecontamStage(type="decontaminate", benchmarks=["gsm8k"], methods=["ngram", "judge"], judge_model="j")
    assert Decontaminate(spec).in_parts([], None, None, 2) is None
