"""The math grader (filters/math_grade.py behind `math_answer`) on the hand-written sets in
tests/data/math_grader/ (four hand-written splits, see GOALS). Plus exactness, extraction and the verifier audit."""

import json

import pytest

from filters.math_extract import extract_answer
from filters.math_grade import grade
from tests.benchmarks.bench_math_grader import evaluate, load
from tests.helpers import write_jsonl
from tests.test_cli import datagen

# Each split was written by someone who had not seen the grader; `test` and then `test2` were
# measured once untouched (README: 0.966/0.971/0.853 and 0.854/0.848/0.727 for boxed/bare/
# unboxed responses) and the grader was then mended on their errors, so all four are now
# development sets: these floors keep what was reached.
GOALS = {"tune": (0.97, 0.95, 0.90), "heldout": (0.97, 0.95, 0.90), "test": (0.97, 0.95, 0.90), "test2": (0.95, 0.93, 0.75)}


@pytest.mark.parametrize("split", sorted(GOALS))
def test_accuracy_floors(split):
    res = evaluate(split)
    for form, floor in zip(("boxed", "bare", "completion"), GOALS[split], strict=True):
        assert res[form]["accuracy"] >= floor, (form, res[form]["errors"])


def test_beats_math_verify_alone_on_every_split():
    for split in GOALS:
        ours, theirs = evaluate(split), evaluate(split, "math_verify")
        assert all(ours[f]["accuracy"] > theirs[f]["accuracy"] for f in ("boxed", "bare")), (split, ours, theirs)


@pytest.mark.parametrize(("gold", "pred", "same"), [
    ("\\frac{1}{2004!}", "\\frac{1}{2006!}", False),  # a float tolerance equates these
    ("10^{100}", "10^{100}+1", False),
    ("\\frac13", "0.3333333", False),
    ("2^{64}", "18446744073709551616", True),
    ("12", "1,2", False),
    ("1000", "1,000", True),
    ("5\\text{ cm}", "5\\text{ m}", False),
    ("5\\text{ cm}", "5", True),
    ("[8,\\infty)", "x \\ge 8", True),
    ("[8,\\infty)", "(8,\\infty)", False),
    ("(2,-3)", "(-3,2)", False),
    ("2, -3", "-3, 2", True),
])
def test_conventions(gold, pred, same):
    assert grade(gold, pred) is same
    assert json.dumps(grade(pred, gold)) == json.dumps(same)  # symmetric


def test_extraction_prefers_the_stated_answer():
    assert extract_answer("The answer is 18. (We sold 16-3-4=9 eggs.)") == "18"
    assert extract_answer("So she makes \\$18 every day.") == "18"
    assert extract_answer("It takes her 6 days to read the 120-page book.") == "6"
    assert extract_answer("Long working.\n\n**Answer:** $x \\ge 8$") == "x \\ge 8"


def test_verify_audit_lists_every_disagreement(tmp_path):
    rows = [{"id": f"r{i}", "completion": r["pred"], "answer": r["gold"]} for i, r in enumerate(load("tune")[:40])]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    report = tmp_path / "audit.json"
    r = datagen("verify", src, "--verifier", "math_answer", "--audit", "math_verify", "--report", report, "--out", tmp_path / "out.jsonl")
    assert r.returncode == 0, r.stderr
    audit = json.loads(report.read_text())["audit"]
    assert audit["verifier"] == "math_answer" and audit["against"] == "math_verify" and audit["rows"] == 40
    assert audit["disagree"] == len(audit["disagreements"]) > 0 and audit["agree"] + audit["disagree"] == 40
    first = audit["disagreements"][0]
    assert first["math_answer"] != first["math_verify"] and first["id"].startswith("r")
    bad = datagen("verify", src, "--verifier", "math_answer", "--audit", "nope", "--out", tmp_path / "o2.jsonl")
    assert bad.returncode == 2 and "--audit" in bad.stderr and not (tmp_path / "o2.jsonl").exists()
