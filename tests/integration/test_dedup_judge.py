"""Embedding dedup's gray-zone judge through the real openai backend and a scripted judge
server. The server answers from the hand-written dedup set's labels (an oracle: it knows which
rows are paraphrases), so the test checks the plumbing — which pairs are asked, how verdicts
decide clusters, what the report counts — and shows the ceiling the mechanism allows with a
judge that is right; it says nothing about a real model's judgement (none capable offline)."""

from __future__ import annotations

import polars as pl
import pytest

from datagen.engine import StageContext
from datagen.errors import DatagenError
from datagen.llm_pool import LLMPool
from filters.dedup import Dedup
from schemas.filters import DedupStage
from schemas.models import ModelSpec
from tests.benchmarks.bench_dedup_adversarial import load, pair_sets
from tests.integration.test_judge import GullibleJudge, as_asked, fenced_pair

ROWS = load("heldout")
GROUP = {r["text"]: r["group"] for r in ROWS}


def requests(body: dict) -> tuple[str, str]:
    return fenced_pair(body, "REQUEST")


def oracle(body: dict) -> str:
    a, b = requests(body)
    return as_asked(body, "SAME" if GROUP[a] == GROUP[b] else "DIFFERENT")


def pairwise(verdict) -> tuple[float, float]:
    predicted, truth = pair_sets(ROWS, verdict)
    return len(predicted & truth) / max(len(predicted), 1), len(predicted & truth) / len(truth)


def run(url, tmp_path, **spec):
    pool = LLMPool({"judge": ModelSpec(backend="openai", model="judge", base_url=url, max_retries=0)}, tmp_path / "c.sqlite")
    try:
        stage = Dedup(DedupStage(type="dedup", method="embedding", column="prompt", judge_model="judge", **spec), StageContext(index=0, pool=pool))
        stage.describe()
        df = pl.DataFrame({"id": [r["id"] for r in ROWS], "prompt": [r["text"] for r in ROWS]})
        return stage(df), stage.report()
    finally:
        pool.close()


def test_gray_zone_pairs_are_merged_only_when_the_judge_says_same(tmp_path):
    judge = GullibleJudge(oracle)
    with judge as url:
        verdict, report = run(url, tmp_path, threshold=0.95, judge_similarity=0.5)
    precision, recall = pairwise(verdict)
    assert report["judge_asked"] == len(judge.bodies) > 0 and report["judge_unparseable"] == 0
    assert report["judge_same"] < report["judge_asked"]  # look-alikes were asked and refused
    assert precision >= 0.95 and recall >= 0.5, (precision, recall, report)


def test_an_unparseable_or_failed_judge_merges_nothing(tmp_path):
    with GullibleJudge(lambda body: "I cannot tell.") as url:
        verdict, report = run(url, tmp_path, threshold=0.99, judge_similarity=0.6)
    assert report["judge_unparseable"] == report["judge_asked"] > 0
    assert verdict.keep.to_list().count(False) <= 1  # only pairs above 0.99 (if any) merge
    with GullibleJudge(lambda body: 500) as url, pytest.raises(DatagenError, match="judge requests failed"):
        run(url, tmp_path / "b", threshold=0.99, judge_similarity=0.6)
