"""The LLM-judge method of decontamination, through the real openai backend: a scripted judge
server (it answers by a rule, so the test knows the truth) checks which pairs are sent, that
they ask for the JSON verdict (the VERDICT line with `judge_structured: false`), how verdicts
are parsed and recorded, and the CLI options; then the tiny model behind a real vLLM server (no
judge, but held to the schema: every reply parses, and only a parsed verdict can flag a row)."""

from __future__ import annotations

import json
import re

import polars as pl
import pytest

from datagen.engine import StageContext
from datagen.errors import DatagenError
from datagen.llm_pool import LLMPool
from filters.decontam import Decontaminate
from filters.decontam_judge import parse, schema
from schemas.filters import DecontamStage
from schemas.models import ModelSpec
from tests.helpers import read_jsonl, write_jsonl
from tests.integration.test_judge import GullibleJudge, as_asked, fenced_pair
from tests.test_cli import datagen


@pytest.fixture(scope="module")
def gsm8k(shared_dir):
    path = shared_dir / "benchmarks" / "gsm8k" / "test.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} absent")
    return read_jsonl(path)


def problems(body: dict) -> tuple[str, str]:
    return fenced_pair(body, "PROBLEM")


def rule(body: dict) -> str:
    """SAME when B has every number of A (a rephrasing), DIFFERENT otherwise; garbage for 'zebra'."""
    a, b = problems(body)
    if "zebra" in b:
        return "I cannot tell."
    same = set(re.findall(r"\d+", a)) <= set(re.findall(r"\d+", b))
    return as_asked(body, "SAME" if same else "DIFFERENT", "Comparing the quantities.")


def rows(g):
    q = g[0]["question"]  # Janet's ducks: 16 eggs, 3, 4, $2
    return [
        {"id": "copy", "question": q, "answer": None},
        {"id": "rephrased", "question": "A farmer's ducks produce 16 eggs daily; 3 are eaten at breakfast and 4 go into muffins. "
                                        "The rest sell at $2 apiece. What are the daily market earnings?", "answer": None},
        {"id": "other", "question": "A farmer's ducks produce 20 eggs daily; 5 are eaten at breakfast and 6 go into muffins. "
                                    "The rest sell at $3 apiece. What are the daily market earnings?", "answer": None},
        {"id": "garbled", "question": "A zebra farmer's ducks produce 16 eggs daily and sell the rest at $2 each.", "answer": None},
        {"id": "far", "question": "Write a haiku about autumn leaves.", "answer": None},
    ]


def test_judge_flags_what_it_calls_the_same_and_only_asks_about_candidates(gsm8k, tmp_path):
    judge = GullibleJudge(rule)
    with judge as url:
        pool = LLMPool({"judge": ModelSpec(backend="openai", model="judge", base_url=url, max_retries=0)}, tmp_path / "c.sqlite")
        spec = DecontamStage(type="decontaminate", benchmarks=["gsm8k"], methods=["ngram", "judge"], judge_model="judge",
                             answer_column=None, judge_similarity=0.5)
        flt = Decontaminate(spec, StageContext(index=0, pool=pool))
        flt.describe()
        verdict = flt(pl.DataFrame(rows(gsm8k)))
        pool.close()
    report = flt.report()
    flagged = {r["id"]: r for r in report["rows"]}
    assert flagged["copy"]["method"] == "ngram"  # caught by the cheap method: never sent to the judge
    assert flagged["rephrased"]["method"] == "judge" and flagged["rephrased"]["item_id"] == gsm8k[0]["id"]
    assert "other" not in flagged and "garbled" not in flagged and "far" not in flagged
    sent = sorted(problems(b)[1][:20] for b in judge.bodies)
    assert sent == sorted(r["question"][:20] for r in rows(gsm8k) if r["id"] in ("rephrased", "other", "garbled"))
    assert report["judge"] == {"asked": 3, "unparseable": 1, "failed": 0}
    assert verdict.keep == [False, False, True, True, True]
    assert all(b["response_format"]["json_schema"]["schema"] == schema() for b in judge.bodies)
    assert flt.describe()["judge"]["reply"] == {"schema": schema()}


def test_judge_through_the_cli(gsm8k, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", rows(gsm8k))
    judge = GullibleJudge(rule)
    with judge as url:
        r = datagen("decontaminate", src, "--benchmark", "gsm8k", "--methods", "judge", "--answer-column", "",
                    "--judge-backend", "openai", "--judge-model", "judge", "--judge-base-url", url, "--set", "judge_structured=false",
                    "--out", tmp_path / "out.jsonl", "--report", tmp_path / "r.json", "--store", tmp_path / "store")
    assert r.returncode == 0, r.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert {x["id"] for x in report["rows"]} == {"copy", "rephrased"} and report["judge"]["asked"] == 4
    assert all(problems(b)[0] == gsm8k[0]["question"] for b in judge.bodies)  # A is the benchmark item
    assert not any("response_format" in b for b in judge.bodies)  # judge_structured: false keeps the VERDICT line


def test_a_judge_that_always_fails_fails_the_stage(gsm8k, tmp_path):
    with GullibleJudge(lambda body: 500) as url:
        pool = LLMPool({"judge": ModelSpec(backend="openai", model="judge", base_url=url, max_retries=0)}, tmp_path / "c.sqlite")
        spec = DecontamStage(type="decontaminate", benchmarks=["gsm8k"], methods=["judge"], judge_model="judge", answer_column=None)
        with pytest.raises(DatagenError, match="all 4 judge requests failed"):  # not a silent "clean"
            Decontaminate(spec, StageContext(index=0, pool=pool))(pl.DataFrame(rows(gsm8k)))
        pool.close()


def test_verdict_parsing_is_strict():
    assert parse("thinking...\nVERDICT: SAME") is True and parse("**Verdict:** different.") is False
    assert parse("VERDICT: SAME\nVERDICT: DIFFERENT") is None and parse("They look the same.") is None
    assert parse("VERDICT: SAME\nbut maybe not") is None and parse("<think>VERDICT: SAME</think>\nVERDICT: DIFFERENT") is False


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_judge_on_the_tiny_model_through_vllm(vllm_server, tiny_model, tmp_path):
    """Short items: the tiny model's context is 512 tokens, the judge prompt's rules take most of it."""
    bench = write_jsonl(tmp_path / "tiny_bench.jsonl", [{"id": "t/0", "question": "Tom has 3 apples and buys 4 more. How many apples?"},
                                                        {"id": "t/1", "question": "A box holds 6 pens. How many pens in 5 boxes?"}])
    data = pl.DataFrame([{"id": "a", "question": "Tom had 3 apples, then bought 4. How many apples now?"},
                         {"id": "b", "question": "Each box has 6 pens; how many pens are in 5 boxes?"}])
    pool = LLMPool({"judge": ModelSpec(backend="openai", model=str(tiny_model), base_url=vllm_server, timeout_s=120, max_retries=1)},
                   tmp_path / "c.sqlite")
    spec = DecontamStage(type="decontaminate", benchmarks=[str(bench)], methods=["judge"], judge_model="judge", answer_column=None,
                         judge_similarity=0.3, judge_sampling={"temperature": 0.0, "max_tokens": 32}, judge_reasoning_chars=0)
    flt = Decontaminate(spec, StageContext(index=0, pool=pool))
    flt(data)
    assert flt.describe()["judge"]["reply"] == {"schema": schema(0)}  # asked for {"verdict"}, decoding held to it
    pool.close()
    report = flt.report()
    assert report["judge"] == {"asked": 2, "unparseable": 0, "failed": 0}  # held to the schema, every reply parses
    # the tiny model is no judge: only a verdict of SAME can flag a row
    assert all(r["method"] == "judge" for r in report["rows"])
