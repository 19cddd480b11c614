"""Quality heuristics on real polars frames (each check catches its case, lets good answers
through and can be turned off), the specs' validation, and the judge's model-free parts:
the content pre-check on master keys, the fence and strict verdict parsing. The judge and
the reward-model filter against real models are in tests/integration/test_judge.py."""

from __future__ import annotations

import time

import polars as pl
import pyarrow as pa
import pytest
from pydantic import ValidationError

from datagen import stage_io
from datagen.engine import StageContext
from datagen.errors import UserError
from filters.judge import aggregate, fence, parse_verdict
from filters.quality import QualityFilter, content_free
from schemas.filters import JudgeStage, QualityStage
from schemas.rows import MESSAGES, META, empty_meta

GOOD = [
    "2 + 3 = 5, so the answer is \\boxed{5}.",
    "The answer is 5.",
    "Paris is the capital of France.",
    "Let's solve this problem step by step. 6 * 7 = 42, so the answer is 42.",
    "解：x = 2，所以答案是 2。",
    "Ответ: 7",
    "```python\nprint(sum([1, 2]))\n```\nThis prints 3.",
    "<think>3 + 4 = 7</think>\nThe answer is \\boxed{\\frac{7}{1}}.",
    "A",
    "i",
    "Yes",
    "42",
    "是",
]
MASTER_KEYS = [
    "",
    " ",
    "\n\t ",
    ":",
    ".",
    ",",
    "Thought process:",
    "Let's solve this problem step by step.",
    "Solution",
    "Solution:",
    "**Solution:**",
    "解",
    "解：",
    "答案：",
    "解答：",
    "The answer is",
    "The answer is:",
    "Answer:",
    "Final answer:",
    "Let me think step by step.",
    "Okay, let's think about this problem step by step.",
    "Sure! Here's the solution:",
    "Step 1:",
    "<think>\n</think>",
    "\\boxed{}",
    "```\n```",
    "Решение:",
    "Ответ:",
    "Lösung:",
    "Solución: paso a paso",
    "Réponse :",
    "풀이:",
    "解説：",
    "首先，让我们一步一步地解决这个问题。",
    "Thought process: Let’s think.",
]
BAD = {
    "refusal": [
        "I'm sorry, but I can't help with that.",
        "As an AI language model, I cannot answer this.",
        "I apologize, but I must decline.",
        "I’m sorry, but I cannot provide that.",
    ],
    "truncated": [
        "So the answer is \\boxed{5",
        "The answer is \\boxed{\\frac{1}{2}",
        "```python\nprint(1)\n",
        "<think>Let me see, 3 + 4 is",
    ],
    "repetitive": [
        " ".join(["the cat sat on the mat"] * 10),
        "x = 1\nx = 1\nx = 1\nx = 1\ny = 2",
        "I think the answer is 5. " * 20,
    ],
}


def reasons(texts, **spec) -> list:
    df = pl.DataFrame({"completion": texts}, schema={"completion": pl.String})
    v = QualityFilter(QualityStage(type="quality", **spec))(df)
    assert list(v.keep) == [r is None for r in v.reason]
    return list(v.reason)


def test_every_heuristic_catches_its_case_and_lets_good_answers_through():
    assert reasons(GOOD) == [None] * len(GOOD)
    assert reasons(MASTER_KEYS) == ["no_content"] * len(MASTER_KEYS)
    for reason, texts in BAD.items():
        assert reasons(texts) == [reason] * len(texts), reason


def test_each_check_can_be_turned_off():
    assert reasons(MASTER_KEYS[1:], no_content=False, min_chars=None) == [None] * (len(MASTER_KEYS) - 1)
    assert set(reasons(BAD["refusal"], refusal=False)) == {None}
    assert set(reasons(BAD["truncated"], truncated=False)) == {None}
    assert set(reasons(BAD["repetitive"], max_repeated_ngram_ratio=None, max_repeated_line_ratio=None)) == {None}
    assert reasons(BAD["repetitive"][:1], max_repeated_line_ratio=None) == ["repetitive"]  # n-grams alone
    assert reasons(BAD["repetitive"][1:2], max_repeated_ngram_ratio=None) == ["repetitive"]  # lines alone
    # custom patterns replace the defaults, extra fillers extend the content check
    assert reasons(["Nope, not doing that.", BAD["refusal"][0]], refusal_patterns=[r"^nope\b"]) == ["refusal", None]
    assert reasons(["Voilà!"]) == [None] and reasons(["Voilà!"], filler_patterns=["voilà"]) == ["no_content"]


def test_length_bounds_in_chars_and_words():
    texts = ["one two", "one two three four", "x" * 50]
    assert reasons(texts, min_words=3) == ["too_short", None, "too_short"]
    assert reasons(texts, max_words=3) == [None, "too_long", None]
    assert reasons(texts, min_chars=10, max_chars=40) == ["too_short", None, "too_long"]
    with pytest.raises(ValidationError, match="min_words .* must not exceed max_words"):
        QualityStage(type="quality", min_words=5, max_words=2)


def test_thresholds_of_the_repetition_checks():
    half = "a b c d a b c d"  # 6 trigrams, 2 of them repeats
    assert reasons([half]) == [None]
    assert reasons([half], max_repeated_ngram_ratio=0.3) == ["repetitive"]
    assert reasons([half], ngram=5) == [None] and reasons([half], ngram=4, max_repeated_ngram_ratio=0.15) == ["repetitive"]


def test_message_lists_finish_reason_and_the_engine_path():
    """Message-list columns are judged by their last message; `meta.finish_reason == "length"` is
    truncation; through `stage_io.execute` rejected rows carry the reason and kept rows a verdict."""
    texts = ["The answer is \\boxed{5}.", "The answer is \\boxed{6}.", "Solution:", "I'm sorry, but I can't do that."]
    finish = ["stop", "length", "stop", "stop"]
    rows = [
        {
            "id": str(i),
            "prompt": [{"role": "user", "content": "q"}],
            "completion": [{"role": "user", "content": "ignored"}, {"role": "assistant", "content": t}],
            "meta": {**empty_meta("test"), "finish_reason": f},
        }
        for i, (t, f) in enumerate(zip(texts, finish, strict=True))
    ]
    table = pa.Table.from_pylist(
        rows, schema=pa.schema([("id", pa.string()), ("prompt", MESSAGES), ("completion", MESSAGES), ("meta", META)])
    )
    kept, rejected, generated = stage_io.execute(QualityFilter(QualityStage(type="quality")), table, "quality")
    assert not generated and kept["id"].to_list() == ["0"]
    assert rejected.select("id", "reason", "rejected_by").rows() == [
        ("1", "truncated", "quality"),
        ("2", "no_content", "quality"),
        ("3", "refusal", "quality"),
    ]
    assert kept["meta"][0]["verdicts"] == [{"name": "quality", "version": "1", "score": None, "passed": True}]


def test_clear_errors_name_the_field():
    df = pl.DataFrame({"text": ["hi"]})
    with pytest.raises(UserError, match=r"stages.3.column: no column 'completion' \(columns: text\)"):
        QualityFilter(QualityStage(type="quality"), StageContext(index=3, pool=None))(df)
    with pytest.raises(UserError, match=r"stages.1.refusal_patterns.1: invalid regex"):
        QualityFilter(QualityStage(type="quality", refusal_patterns=["ok", "(unclosed"]), StageContext(index=1, pool=None))
    assert reasons([None, "fine text"]) == ["no_content", None]  # a null response is empty


def test_100k_rows_are_vectorised():
    words = [f"w{i}" for i in range(997)]
    texts = [" ".join(words[(i * 7 + j * 13) % 997] for j in range(30)) + " so \\boxed{5}." for i in range(1000)] * 100
    df = pl.DataFrame({"completion": texts})
    flt = QualityFilter(QualityStage(type="quality", min_words=3, max_chars=10_000))
    start = time.perf_counter()
    v = flt(df)
    elapsed = time.perf_counter() - start
    assert len(v.keep) == 100_000 and all(v.keep)
    assert elapsed < 4.0, f"{elapsed:.1f}s for 100k rows"


# -- the judge's model-free parts -------------------------------------------------------------------


def test_the_judge_content_check_rejects_every_master_key():
    df = pl.DataFrame({"t": MASTER_KEYS + GOOD})
    flags = df.select(content_free(pl.col("t"))).to_series().to_list()
    assert flags == [True] * len(MASTER_KEYS) + [False] * len(GOOD)


@pytest.mark.parametrize(
    ("reply", "value"),
    [
        ("The response is correct.\nVERDICT: PASS", 1.0),
        ("VERDICT: FAIL", 0.0),
        ("**VERDICT: PASS**", 1.0),
        ("verdict: pass.\n\n", 1.0),
        ("<think>maybe VERDICT: FAIL</think>\nVERDICT: PASS", 1.0),
        ("", None),
        (":", None),
        ("Thought process:", None),
        ("PASS", None),
        ("VERDICT:", None),
        ("VERDICT: PASSED", None),
        ("VERDICT: PASS\nVERDICT: FAIL", None),
        ("VERDICT: PASS\nbut actually no", None),
        ("VERDICT: PASS or VERDICT: FAIL", None),
        ("I'd say VERDICT: PASS", None),
        ("VERDICT: PASS because it is right", None),
        ("<think>VERDICT: PASS", None),
        ("The verdict is PASS", None),
        ("VERDICT: 7", None),
    ],
)
def test_verdict_parsing_is_strict(reply, value):
    assert parse_verdict(reply) == value


def test_score_verdicts():
    assert parse_verdict("Good work.\nVERDICT: 8", "score", 10) == 8.0
    assert parse_verdict("VERDICT: 8/10", "score", 10) == 8.0
    assert parse_verdict("VERDICT: 8/5", "score", 10) is None
    assert parse_verdict("VERDICT: 11", "score", 10) is None
    assert parse_verdict("VERDICT: PASS", "score", 10) is None


def test_aggregation_counts_unparseable_samples_against_the_row():
    maj = JudgeStage(type="judge", sampling={"n": 3, "temperature": 1.0})
    mean = JudgeStage(type="judge", aggregate="mean", threshold=0.7, sampling={"n": 3, "temperature": 1.0})
    assert aggregate([1.0, 1.0, 0.0], maj) == (pytest.approx(2 / 3), None)
    assert aggregate([1.0, None, 0.0], maj) == (pytest.approx(1 / 3), "judge_fail")
    assert aggregate([1.0, 1.0, None], maj) == (pytest.approx(2 / 3), None)
    assert aggregate([1.0, 1.0, None], mean) == (pytest.approx(2 / 3), "judge_fail")
    assert aggregate([None, None, None], maj) == (0.0, "judge_unparseable")
    assert aggregate([None, None], JudgeStage(type="judge", scale="score", threshold=0)) == (0.0, "judge_unparseable")


def test_fence_nonce_depends_on_the_response():
    n1, block = fence("answer")
    assert block == f"<<<RESPONSE {n1}>>>\nanswer\n<<<END RESPONSE {n1}>>>" and fence("other")[0] != n1


def test_judge_spec_validation():
    with pytest.raises(ValidationError, match=r"template must contain \{response\}"):
        JudgeStage(type="judge", template="Grade {question}")
    with pytest.raises(ValidationError, match=r"unknown field\(s\) \['answer'\]"):
        JudgeStage(type="judge", template="{response} vs {answer}")
    with pytest.raises(ValidationError, match="threshold: required when scale is 'score'"):
        JudgeStage(type="judge", scale="score")
    with pytest.raises(ValidationError, match=r"sampling.n > 1 needs sampling.temperature > 0"):
        JudgeStage(type="judge", sampling={"n": 3, "temperature": 0.0})
