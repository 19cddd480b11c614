"""File sources streamed into the run's source shards (datagen/source_shards.py): the same
rows, ids and order as reading the file whole (`sources.load_source`), with batches far
smaller than the file, repeated ids settled across batches, limits, errors naming the line
or row, and shards left empty when there are fewer rows than shards."""

from __future__ import annotations

import json

import polars as pl
import pyarrow as pa
import pytest

import datagen.source_shards as ss
from datagen import stage_io
from datagen.errors import UserError
from datagen.sources import load_source
from schemas.recipe import Recipe


def spec(source: dict):
    return Recipe.model_validate({"source": source, "stages": [{"type": "dedup"}], "output": {"name": "x"}}).source


def rows(n: int) -> list[dict]:
    # every 7th question repeats an earlier one: hash ids collide across batches
    return [{"question": f"q{i % 7 if i % 7 == 0 else i} what is {i}?" if i % 7 else "the same question", "answer": str(i),
             "extra": i} for i in range(n)]


def write(tmp_path, kind: str, data: list[dict]):
    path = tmp_path / f"src.{kind}"
    if kind == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" + ("\n" if i % 5 == 0 else "") for i, r in enumerate(data)))
    else:
        pl.DataFrame(data).write_parquet(path, row_group_size=9)
    return path


def shards(src_dir, n: int) -> pa.Table:
    return pa.concat_tables([stage_io.read_parquet(stage_io.shard_paths(src_dir, j)[0]) for j in range(n)])


@pytest.mark.parametrize("kind", ["jsonl", "parquet"])
@pytest.mark.parametrize(("n_rows", "n_shards", "limit"), [(101, 4, None), (101, 3, 40), (2, 5, None)])
def test_streamed_shards_equal_the_whole_read(tmp_path, monkeypatch, kind, n_rows, n_shards, limit):
    monkeypatch.setattr(ss, "BATCH_ROWS", 8)
    path = write(tmp_path, kind, rows(n_rows))
    s = spec({"type": kind, "path": str(path), **({"limit": limit} if limit else {})})
    whole = load_source(s).table
    source = ss.open_source(s)
    assert source.rows == whole.num_rows
    out = tmp_path / "shards"
    ss.write_source_shards(source, out, n_shards)
    got = shards(out, n_shards)
    assert got.to_pylist() == stage_io.standard_types(whole).to_pylist()
    ids = got.column("id").to_pylist()
    assert len(set(ids)) == len(ids) and (any("#" in i for i in ids) or len(ids) < 8)
    sizes = [stage_io.read_parquet(stage_io.shard_paths(out, j)[0]).num_rows for j in range(n_shards)]
    assert sizes == [whole.num_rows * (j + 1) // n_shards - whole.num_rows * j // n_shards for j in range(n_shards)]
    assert json.loads((out / "done.json").read_text())["rows"] == whole.num_rows


def test_cli_limit_and_spec_limit_both_apply(tmp_path):
    path = write(tmp_path, "jsonl", rows(50))
    assert ss.open_source(spec({"type": "jsonl", "path": str(path), "limit": 30}), limit=10).rows == 10
    assert ss.open_source(spec({"type": "jsonl", "path": str(path), "limit": 30}), limit=99).rows == 30


def test_fingerprint_follows_the_content_not_the_path(tmp_path):
    a = write(tmp_path, "jsonl", rows(20))
    moved = tmp_path / "elsewhere.jsonl"
    moved.write_bytes(a.read_bytes())
    fa = ss.open_source(spec({"type": "jsonl", "path": str(a)})).fingerprint
    assert fa == ss.open_source(spec({"type": "jsonl", "path": str(moved)})).fingerprint
    assert fa != ss.open_source(spec({"type": "jsonl", "path": str(a), "limit": 5})).fingerprint
    assert fa != ss.open_source(spec({"type": "jsonl", "path": str(a), "answer_column": "extra"})).fingerprint
    moved.write_text(moved.read_text().replace("q3 ", "q3x "))
    assert fa != ss.open_source(spec({"type": "jsonl", "path": str(moved)})).fingerprint


def test_errors_name_the_line_and_the_row(tmp_path, monkeypatch):
    monkeypatch.setattr(ss, "BATCH_ROWS", 4)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(json.dumps(r) + "\n" for r in rows(9)) + '{"question": "q" "answer": 1}\n')
    with pytest.raises(UserError, match=r"bad.jsonl:10: not valid JSON"):
        ss.write_source_shards(ss.open_source(spec({"type": "jsonl", "path": str(bad)})), tmp_path / "o1", 2)
    empty_q = tmp_path / "eq.jsonl"
    data = rows(9)
    data[6]["question"] = "  "
    empty_q.write_text("".join(json.dumps(r) + "\n" for r in data))
    with pytest.raises(UserError, match=r"row 7 has an empty 'question'"):
        ss.write_source_shards(ss.open_source(spec({"type": "jsonl", "path": str(empty_q)})), tmp_path / "o2", 2)
    assert not (tmp_path / "o1" / "done.json").exists() and not (tmp_path / "o2" / "done.json").exists()
    blank = tmp_path / "blank.jsonl"
    blank.write_text("\n\n")
    with pytest.raises(UserError, match="is empty"):
        ss.open_source(spec({"type": "jsonl", "path": str(blank)}))
    with pytest.raises(UserError, match="file not found"):
        ss.open_source(spec({"type": "parquet", "path": str(tmp_path / "none.parquet")}))
