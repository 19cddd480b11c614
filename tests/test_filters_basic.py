import polars as pl
import pytest

from datagen.verdict import Verdict, apply_verdict
from filters.dedup import Dedup
from filters.verify import math_answer, why_rejected
from schemas.filters import DedupStage


def test_math_answer_trl_signature_and_forms():
    comps = [
        [{"role": "assistant", "content": "3 + 4 = 7.\nThe answer is \\boxed{7}."}],
        "so it is \\boxed{8}",
        [{"role": "assistant", "content": "I don't know"}],
        "\\boxed{\\frac{1}{2}}",
        "anything",
    ]
    scores = math_answer(prompts=[None] * 5, completions=comps, answer=["7", "7", "7", "0.5", None])
    assert scores == [1.0, 0.0, 0.0, 1.0, None]
    assert math_answer.name == "math_answer" and math_answer.version


def test_math_answer_in_a_thread():
    import concurrent.futures as cf

    with cf.ThreadPoolExecutor(2) as ex:
        out = list(ex.map(lambda a: math_answer([None], ["\\boxed{12}"], answer=[a])[0], ["12", "13"]))
    assert out == [1.0, 0.0]


def test_reject_reasons():
    assert why_rejected(1.0, "\\boxed{1}") is None
    assert why_rejected(0.0, "\\boxed{2}") == "wrong_answer"
    assert why_rejected(0.0, "no number at all") == "no_answer"
    assert why_rejected(None, "x") == "unverifiable"


def _frame(texts):
    import pyarrow as pa

    from schemas.rows import SEED_SCHEMA, empty_meta

    rows = [{"id": f"r{i}", "question": t, "answer": None, "meta": empty_meta("s")} for i, t in enumerate(texts)]
    return pl.from_arrow(pa.Table.from_pylist(rows, schema=SEED_SCHEMA))


def test_exact_dedup_normalises_and_records_cluster():
    df = _frame(["What is 2+2?", "what  is 2+2? ", "Other", "WHAT IS 2+2?"])
    v = Dedup(DedupStage(type="dedup", column="question"))(df)
    kept, rejected = apply_verdict(df, v)
    assert kept["id"].to_list() == ["r0", "r2"]
    assert rejected["id"].to_list() == ["r1", "r3"]
    assert rejected["dup_of"].to_list() == ["r0", "r0"]
    assert set(rejected["reason"]) == {"duplicate"}
    assert kept["meta"].struct.field("dedup_cluster").to_list() == ["r0", "r2"]
    assert "dup_of" not in kept.columns


def test_verdict_appends_to_meta_and_checks_lengths():
    df = _frame(["a", "b"])
    kept, rejected = apply_verdict(df, Verdict([True, False], [None, "bad"], [1.0, 0.0], name="v"))
    assert kept["meta"].struct.field("verdicts").to_list()[0][0]["name"] == "v"
    assert rejected["reason"].to_list() == ["bad"]
    with pytest.raises(ValueError):
        Verdict([True], [None, None])
