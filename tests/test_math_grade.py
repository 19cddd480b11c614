"""The math grader (filters/math_grade.py behind `math_answer`) on the hand-written sets in
tests/data/math_grader/ (four hand-written splits, see GOALS). Plus exactness, extraction and the verifier audit."""

import json

import pytest

from filters.math_extract import extract_answer
from filters.math_grade import grade
from tests.benchmarks.bench_math_grader import evaluate, load
from tests.helpers import write_jsonl
from tests.test_cli import datagen

# Each split was written by someone who had not seen the grader; `test` to `test6` were each
# measured once untouched (README: 0.966/0.971/0.853, 0.854/0.848/0.727, 0.912/0.912/0.909,
# 0.883/0.883/0.853, 0.894/0.899/0.882 and 0.812/0.812/0.882 for boxed/bare/unboxed responses)
# and the grader was then mended on their errors, so these are development sets now: the floors
# keep what was reached. `test7`, measured once untouched: 0.994 / 0.988 / 0.882 (math-verify
# alone 0.759 / 0.624 / 0.824), then mended (number words, money in words, units and "the
# correct option is" in a last sentence; a lettered choice's value).
GOALS = {split: (0.97, 0.97, 0.93) for split in ("tune", "heldout", "test", "test2", "test3", "test4", "test5", "test6", "test7")}


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
    ("[0, 1]", "(0, 1)", False),  # closed and open
    ("60^\\circ", "60 \\text{ rad}", False),
    ("\\$25", "25\\%", False),
    ("2:30", "1:15", False),  # times of day, not ratios
    ("1:4", "3:12", True),
    ("\\frac{\\sqrt{3}}{2}", "\\cos 30^\\circ", True),
    ("30.5", "30°30′", True),
    ("y = 2^x", "x = \\log_2 y", True),
    ("y = x^2", "x = \\sqrt{y}", False),  # half the curve
    ("\\frac{9}{2}", "4½", True),
    ("2\\sqrt{2}", "√8", True),
    ("BEE_{16}", "\\text{BEE}", True),
    ("53_7", "53 \\text{ (base 7)}", True),
    ("[-2, 5)", "\\{x \\mid -2 \\le x < 5\\}", True),
    ("-2+2i", "2\\sqrt{2}\\operatorname{cis}\\frac{3\\pi}{4}", True),
    ("\\begin{pmatrix} 1 & -1 \\\\ -1 & 2 \\end{pmatrix}", "\\begin{pmatrix} 2 & 1 \\\\ 1 & 1 \\end{pmatrix}^{-1}", True),
    ("\\tan^2\\theta", "\\sec^2\\theta - 1", True),
    ("1A_{16}", "A1_{16}", False),  # numerals by value, not as a product of symbols
    ("y=3", "x=3", False),
    ("\\text{(E)}", "\\text{E (or possibly D)}", False),  # a hedge
    ("4-3i", "4-3j", True),
    ("(2, \\infty)", "]2, +\\infty[", True),
    ("(-\\infty, 1) \\cup (1, \\infty)", "\\mathbb{R} \\setminus \\{1\\}", True),
    ("\\frac{2}{11}", "0.\\dot{1}\\dot{8}", True),
    ("4.2\\times10^{-5}", "4.2×10⁻⁵", True),
    ("100^\\circ\\text{C}", "100 °F", False),
    ("-3, -1, 2", "x \\in \\{2, -3, -1\\}", True),
    ("2.75", "11/4", True),  # not the mixed number 1 1/4
    ("\\frac{7}{5}", "12/5", False),
    ("2\\frac{1}{2}", "2 1/2", True),
    ("\\text{€}24", "\\$24", False),
    ("[3, 5) \\cup (5, \\infty)", "x \\ge 3,\\ x \\ne 5", True),  # conditions: all of them
    ("(-\\infty, -2) \\cup (4, \\infty)", "x < -2 \\text{ or } x > 4", True),
    ("\\frac{7}{2}", "3{,}5", True),  # a decimal comma
    ("12345", "12{,}345", True),
    ("4500000", "4.500.000", True),
    ("(-\\infty, 0] \\cup [4, \\infty)", "x \\notin (0, 4)", True),
    ("12", "2x = 12", False),  # an equation is not its right side
    ("12", "f(3) = 12", True),
    ("\\pounds 12.50", "\\$12.50", False),
    ("300\\text{ K}", "300000", False),  # kelvin, not thousands
    ("2500", "2.5k", True),
    ("\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", "[[1, 2], [3, 4]]", True),
    ("\\begin{pmatrix} 4 & 0 \\\\ 0 & 4 \\end{pmatrix}", "4I_2", True),
    ("\\{-1, 0, 1\\}", "\\{0, \\pm 1\\}", True),
    ("\\{1, 2, 3\\}", "\\{1, 2, 2\\}", False),
    ("2024", "\\text{MMXXIV}", True),
    ("100000", "1,00,000", True),
])
def test_conventions(gold, pred, same):
    assert grade(gold, pred) is same
    assert json.dumps(grade(pred, gold)) == json.dumps(same)  # symmetric


def test_extraction_prefers_the_stated_answer():
    assert extract_answer("The answer is 18. (We sold 16-3-4=9 eggs.)") == "18"
    assert extract_answer("So she makes \\$18 every day.") == "18"
    assert extract_answer("It takes her 6 days to read the 120-page book.") == "6"
    assert extract_answer("Long working.\n\n**Answer:** $x \\ge 8$") == "x \\ge 8"
    assert extract_answer("**Answer:** $x \\in (-3, 4]$") == "x \\in (-3, 4]"
    assert extract_answer("The probability is $\\frac{7}{12}$. Note that the complement is $\\frac{5}{12}$.") == "\\frac{7}{12}"
    assert extract_answer("So $z = 2 - i$, and its modulus is $\\sqrt{5}$.") == "z = 2 - i"
    assert extract_answer("The third one is in 2031, when she will be 40.") == "2031"
    assert extract_answer("The train arrives at 2:45 PM.") == "2:45 PM"
    assert extract_answer("Therefore the limit is infinity.") == "\\infty"
    assert not grade("\\frac{1}{4}", extract_answer("So the answer is either $\\frac{1}{4}$ or $\\frac{1}{2}$."))  # a hedge
    assert extract_answer("So there are **84** committees.\n\nCheck: $84 \\times 3! = 504$.") == "84"
    assert extract_answer("Остаётся только один.\n\nОтвет: вариант B.") == "B"
    assert extract_answer("so the number of possible answer sheets is\n\n$2^{10}$") == "2^{10}"
    assert extract_answer("So the distance is $\\sqrt{20}$, which is about $4.47$.") == "\\sqrt{20}"
    assert extract_answer("The LCM of 12 and 18 is 36. Would you like me to find their GCD (which is 6)?") == "36"
    assert extract_answer("The answer is 001.</s>") == "001"
    assert extract_answer("So the wavelength is 5.0 × 10⁻⁷ m (500 nm, green light).") == "5.0 × 10^{-7}"
    assert extract_answer("Counting them, there are seven such primes.") == "7"
    assert extract_answer("Three notebooks.\n\nShe pays 4 dollars and 50 cents.") == "4.50"
    assert extract_answer("The correct option is C.") == "C"
    assert extract_answer("90 × 1/3 = 30.\n\nSo the train travels 30 miles.") == "30 miles"  # 30 km is another answer
    assert extract_answer("So she has 30 apples.") == "30"  # a noun is no unit
    assert grade("\\textbf{(D) } 17", "17") and grade("\\textbf{(D) } 17", "D") and not grade("\\textbf{(D) } 17", "18")
    assert grade("\\text{(C)}", "\\text{Answer: C}")  # a choice without a value is no lettered value ("}")


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


def test_prose_answers_are_graded_at_once():
    """Prose where an answer should be (a new problem in \\boxed{}, a sentence) is graded at once:
    the trailing-unit pattern once backtracked exponentially on it (minutes per row, holding the
    GIL, so the check runs in a subprocess with a timeout)."""
    import subprocess
    import sys
    from pathlib import Path

    code = r"""
from filters.verify import math_answer
completions = [
    r"So the new problem is \boxed{A farmer has 12 cows and buys 7 more cows at the market on Tuesday. How many cows does he have now?}",
    r"\boxed{Tom has five apples and gives two of them away to his friend, how many are left over at the end of the day}",
    "The answer is a train that leaves the station at 3 pm traveling sixty miles per hour toward a city far away",
]
print(math_answer(["q"] * 3, completions, answer=["19", "3", "6 pm"]))
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=Path(__file__).resolve().parent.parent)
    assert r.returncode == 0 and r.stdout.strip() == "[0.0, 0.0, 0.0]", r.stderr[-2000:]
