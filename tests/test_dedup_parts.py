"""Exact and MinHash dedup in parts (filters/dedup_parts.py) give the same rows, clusters and
scores as `Dedup` on the whole table, whatever the number of shards and partitions."""

import random

import polars as pl
import pytest

from datagen import stage_io
from datagen.executors import LocalExecutor
from datagen.verdict import apply_verdict
from filters.dedup import Dedup
from filters.dedup_parts import run_in_parts
from schemas.filters import DedupStage

WORDS = "the a cat dog ran jumped over under quickly slowly red blue green house tree river 3 7 12 not never".split()


def rows(n=240, seed=0):
    rng = random.Random(seed)
    base = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30))) for _ in range(n // 3)]
    texts = []
    for b in base:
        texts.append(b)
        w = b.split()
        for _ in range(rng.randint(0, 3)):
            w[rng.randrange(len(w))] = rng.choice(WORDS)
        texts.append(" ".join(w))
        texts.append(b.upper() if rng.random() < 0.5 else rng.choice(base))
    rng.shuffle(texts)
    from datagen.sources import load_source
    from schemas.sources import ProceduralSource

    df = pl.from_arrow(load_source(ProceduralSource(type="procedural", n=len(texts))).table)
    scores = pl.Series([rng.random() for _ in texts])
    return df.with_columns(completion=pl.Series(texts), meta=pl.col("meta").struct.with_fields(score=scores))


def whole(df, spec):
    verdict = Dedup(spec)(df)
    return apply_verdict(df, verdict)


def in_parts(df, spec, shards, parts, tmp_path):
    inputs = []
    table = df.to_arrow()
    size = -(-df.height // shards)
    for j, start in enumerate([*range(0, df.height, size), df.height]):  # and one empty shard at the end
        path = tmp_path / f"in-{j}.parquet"
        stage_io.write_parquet(table.slice(start, size), path)
        inputs.append(path)
    apply = run_in_parts(Dedup(spec), inputs, tmp_path / "work", LocalExecutor(), parts)
    kept, rejected = [], []
    for p in inputs:
        k, r, _ = stage_io.execute(apply, stage_io.read_parquet(p), "dedup")
        kept.append(k)
        rejected.append(r.drop("rejected_by"))
    return pl.concat(kept), pl.concat(rejected)


def same(a: pl.DataFrame, b: pl.DataFrame):
    assert a.columns == b.columns
    assert a.to_dicts() == b.to_dicts()


@pytest.mark.parametrize("method, extra", [
    ("exact", {}),
    ("exact", {"keep": "longest"}),
    ("minhash", {"threshold": 0.7}),
    ("minhash", {"threshold": 0.5, "cluster": "components", "keep": "highest_score"}),
    ("minhash", {"threshold": 0.6, "veto": False, "keep": "longest"}),
])
@pytest.mark.parametrize("shards, parts", [(1, 1), (4, 3), (7, 5)])
def test_in_parts_equals_whole(method, extra, shards, parts, tmp_path):
    df = rows()
    spec = DedupStage(type="dedup", method=method, **extra)
    kept, rejected = whole(df, spec)
    assert rejected.height > 10  # the data has duplicates to find
    kept_p, rejected_p = in_parts(df, spec, shards, parts, tmp_path)
    same(kept, kept_p)
    same(rejected.drop("rejected_by", strict=False), rejected_p)


@pytest.mark.parametrize("method", ["exact", "minhash"])
def test_no_duplicates_at_all(method, tmp_path):
    df = rows().unique("completion", keep="first").with_columns(completion=pl.format("{} {}", pl.col("completion"), pl.int_range(pl.len())))
    df = df.with_columns(completion=pl.Series([f"row {i} says {'x ' * (i % 7)}{i * 7919}" for i in range(df.height)]))
    spec = DedupStage(type="dedup", method=method, **({"threshold": 0.9} if method == "minhash" else {}))
    kept, rejected = whole(df, spec)
    kept_p, rejected_p = in_parts(df, spec, 3, 2, tmp_path)
    assert rejected.height == 0 == rejected_p.height
    same(kept, kept_p)
