"""The `code_tests` verifier: real HumanEval problems (../shared/benchmarks/humaneval), the TRL
reward signature with conversational completions, assert-style tests, rows without tests,
code extraction and the reject reasons. Every row really runs in the sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from filters.code_tests import NAME, VERSION, extract_code, judge
from filters.verify import get_verifier


@pytest.fixture(scope="module")
def humaneval(shared_dir: Path) -> list[dict]:
    path = shared_dir / "benchmarks" / "humaneval" / "test.jsonl"
    if not path.exists():
        pytest.skip(f"HumanEval not found at {path} (set DATAGEN_SHARED to the shared dir)")
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    assert len(rows) == 164 and {"question", "answer", "test", "entry_point"} <= rows[0].keys()
    return rows


def test_humaneval_canonical_pass_and_wrong_variants_fail(humaneval):
    """164 canonical solutions in three forms (fenced full code in a chat message, the bare body
    after the prompt as HumanEval's own completion format) plus two wrong variants, one batch."""
    n = len(humaneval)
    prompts = [r["question"] for r in humaneval] * 4
    completions = (
        [[{"role": "assistant", "content": f"Here:\n```python\n{r['question']}{r['answer']}```\n"}] for r in humaneval]
        + [r["answer"] for r in humaneval]  # completion format: the body continues the prompt
        + [f"```python\n{r['question']}    return None\n```" for r in humaneval]
        + [f"```python\n{r['question']}    pass\n```" for r in humaneval]
    )
    tests = [r["test"] for r in humaneval] * 4
    entries = [r["entry_point"] for r in humaneval] * 4
    out = judge(prompts, completions, test=tests, entry_point=entries)
    ids = [r["id"] for r in humaneval] * 4
    canonical_failures = {ids[i]: out[i] for i in range(2 * n) if out[i] != (1.0, None)}
    assert canonical_failures == {}, canonical_failures
    wrong_passes = [ids[i] for i in range(2 * n, 4 * n) if out[i][0] != 0.0]
    assert wrong_passes == []
    reasons = {out[i][1].split(":")[0] for i in range(2 * n, 4 * n)}
    assert reasons <= {"tests_failed", "error"} and "tests_failed" in reasons


def test_trl_reward_signature_with_conversations():
    verifier = get_verifier("code_tests")
    assert (verifier.name, verifier.version) == (NAME, VERSION) == ("code_tests", "2")
    good = [{"role": "assistant", "content": "```python\ndef add(a, b):\n    return a + b\n```"}]
    bad = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "```python\ndef add(a, b):\n    return a - b\n```"},
    ]
    check = "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n"
    prompts = [[{"role": "user", "content": "write add"}]] * 3
    scores = verifier(prompts=prompts, completions=[good, bad, good], test=[check, check, None], entry_point=["add"] * 3)
    assert scores == [1.0, 0.0, None]
    assert verifier.judge(prompts, [good, bad, good], test=[check, check, None], entry_point=["add"] * 3) == [
        (1.0, None),
        (0.0, "tests_failed"),
        (None, "unverifiable"),
    ]


def test_assert_style_tests_and_no_tests():
    code = "```python\ndef fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\nCACHE = {0: 0}\n```"
    wrong = "```py\ndef fib(n):\n    return n\n```"
    asserts = "assert fib(10) == 55\nassert [fib(i) for i in range(5)] == [0, 1, 1, 2, 3]\nassert CACHE == {0: 0}\n"
    out = judge([None] * 4, [code, wrong, code, code], test=[asserts, asserts, None, "  "])
    assert out == [(1.0, None), (0.0, "tests_failed"), (None, "unverifiable"), (None, "unverifiable")]
    assert judge(["p"], [code]) == [(None, "unverifiable")]  # no test column at all


def test_code_extraction():
    text = "First try:\n```python\nx = 1\n```\nBetter:\n```python\nx = 2\n```\n```text\nnot code\n```"
    assert extract_code(text) == "x = 2\n"
    assert extract_code("```\ny = 3\n```") == "y = 3\n"
    assert extract_code("```js\nlet z = 1\n```") == "let z = 1\n"
    assert extract_code("def f():\n    return 1\n") == "def f():\n    return 1\n"
    assert extract_code("```python\ndef cut():\n    return 1\n") == "def cut():\n    return 1\n"  # unclosed fence
    assert extract_code("I cannot solve this.") is None
    assert extract_code("") is None
    out = judge([None], ["Sorry, no idea."], test=["assert True\n"])
    assert out == [(0.0, "no_code")]


def test_reject_reasons(monkeypatch):
    monkeypatch.setenv("DATAGEN_SANDBOX_TIMEOUT", "1.5")
    check = "def check(candidate):\n    assert candidate(1) == 1\n"
    rows = {
        "timeout": "def f(x):\n    while True:\n        pass\n",
        "unsafe: socket.__new__": "import socket\ndef f(x):\n    socket.socket()\n    return x\n",
        "error: ZeroDivisionError: division by zero (line 2)": "def f(x):\n    return 1 / 0\n",
        "error: exited early": "import sys\nsys.exit(0)\n",
        "error: the code defines no 'f'": "def g(x):\n    return x\n",
        "unsafe: returned __main__.X": "class X(int):\n    pass\ndef f(x):\n    return X(1)\n",
        "error: syntax: expected ':' (line 1)": "```python\ndef f(x) return x\n```",
        "output_limit": "print('x' * (100 << 20))\ndef f(x):\n    return x\n",  # right, after a flood
    }
    out = judge([None] * len(rows), list(rows.values()), test=[check] * len(rows), entry_point=["f"] * len(rows))
    assert [reason for _, reason in out] == list(rows)
    assert {score for score, _ in out} == {0.0}


def test_run_many_keeps_order_and_reports_progress():
    from filters.sandbox import Job, Limits, run_many

    jobs = [Job(f"print({i})") if i % 2 else Job(f"def f():\n    return {i}\n", f"assert f() == {i}\n") for i in range(9)]
    jobs.append(Job("raise ValueError('no')"))
    seen = []
    results = run_many(jobs, Limits(timeout=10), workers=3, progress=lambda done, total, i, r: seen.append((done, total, i)))
    assert [r.status for r in results] == ["passed"] * 9 + ["error"]
    assert [r.stdout for r in results[1:9:2]] == ["1\n", "3\n", "5\n", "7\n"]
    assert results[9].detail == "error: ValueError: no (line 1)"
    assert [d for d, _, _ in seen] == list(range(1, 11)) and {t for _, t, _ in seen} == {10}
    assert sorted(i for _, _, i in seen) == list(range(10))
