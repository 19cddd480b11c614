"""Coding tasks judged by behaviour: example calls read in many styles
(filters/example_calls.py), run against a benchmark item's reference solution in the sandbox
(filters/behaviour.py), and the `examples` method and veto of decontamination built on them
(filters/decontam_examples.py). The benchmark here is a small hand-written HumanEval-style
file (question = signature and docstring, answer = body, entry_point)."""

import json

import polars as pl
import pytest

from filters.behaviour import Reference, outcomes, same
from filters.benchmarks import load_benchmark
from filters.example_calls import calls

ITEMS = [
    {
        "id": "T/0",
        "entry_point": "running_max",
        "question": 'def running_max(xs: list) -> list:\n    """Return the running maximum of xs.\n    >>> running_max([1, 3, 2, 5])\n    [1, 3, 3, 5]\n    """\n',
        "answer": "    out, best = [], None\n    for x in xs:\n        best = x if best is None or x > best else best\n        out.append(best)\n    return out\n",
    },
    {
        "id": "T/1",
        "entry_point": "vowel_count",
        "question": 'def vowel_count(s: str) -> int:\n    """Count the vowels a, e, i, o, u in s, in either case.\n    >>> vowel_count("Apple")\n    2\n    """\n',
        "answer": "    return sum(c in 'aeiouAEIOU' for c in s)\n",
    },
    {
        "id": "T/2",
        "entry_point": "spin",
        "question": 'def spin(n: int) -> int:\n    """Loop for ever on negative n, else return n."""\n',
        "answer": "    while n < 0:\n        pass\n    return n\n",
    },
]


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "tasks.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ITEMS))
    return path


@pytest.mark.parametrize(
    "text, expected",
    [
        (">>> f([1, 2])\n[1, 2]\n>>> f([])\n[]", [(([1, 2],), [1, 2]), (([],), [])]),
        ("Examples: `peak_so_far([4, 1, 6]) == [4, 4, 6]` and peak_so_far([]) -> [].", [(([4, 1, 6],), [4, 4, 6]), (([],), [])]),
        ("count_v('sky') ➞ 0\ncount_v(\"AEIOU\") should return 5", [(("sky",), 0), (("AEIOU",), 5)]),
        ("is_ok([1, 2]) returns true, is_ok([]) returns false", [(([1, 2],), True), (([],), False)]),
        ("Input: nums = [3, 1], k = 1\nOutput: [3]", [(([3, 1], 1), [3])]),
        ("For example, [1, 2, -4] gives True and ((1, 3), (2, 4)) -> 1.", [(([1, 2, -4],), True), (((1, 3), (2, 4)), 1)]),
        ("def g(x):\n    return helper(x) + 1\n>>> g(2)\n7\n>>> g(3)\n9\nhelper(2) -> 6", [((2,), 7), ((3,), 9)]),
    ],
)
def test_example_calls_in_many_styles(text, expected):
    assert calls(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Let f(x) = 3x + 2. Find f(4) when x is large.",  # a formula, not a literal call
        "Call run(x=1) -> 2 with a keyword.",  # keyword arguments of a named call are not read
        "Sides 3, 4, 5 give 6.0.",  # bare values in prose
        "print(len(xs)) -> 3",  # builtins are not the task's function
    ],
)
def test_what_is_not_an_example_call(text):
    assert calls(text) == []


def test_values_compare_as_values():
    assert same((1, 2), [1, 2]) and same(0.1 + 0.2, 0.3) and same({"a": (1,)}, {"a": [1]})
    assert not same([1, 2], [2, 1]) and not same("1", 1) and not same(1.0, 1.1)


def test_reference_solutions_run_on_the_rows_calls(bench):
    ref = Reference.of([load_benchmark(str(bench))])
    assert sorted(ref.code) == [0, 1, 2]
    rows = [
        calls("peak([2, 9, 4]) -> [2, 9, 9]\npeak([5]) -> [5]"),  # a rewrite with inputs of its own
        calls("peak([2, 9, 4]) -> [2, 9, 4]\npeak([5]) -> [5]"),  # another behaviour, one call differs
        calls("peak('abc', 2) -> 1"),  # the reference does not take these arguments
        calls("wait(-1) -> 0\nwait(3) -> 3"),  # loops for ever on one call: that call has no result
    ]
    got = outcomes([(0, 0), (1, 0), (2, 0), (3, 2)], rows, ref)
    assert got[(0, 0)] == (2, 0, 0) and got[(1, 0)] == (1, 1, 0) and got[(2, 0)] == (0, 1, 0)
    assert got[(3, 2)] == (0, 0, 2)  # killed at the timeout before printing anything


def test_rewrites_are_caught_and_look_alikes_vetoed(bench, monkeypatch):
    from filters.decontam import Decontaminate
    from schemas.filters import DecontamStage

    monkeypatch.setenv("DATAGEN_SANDBOX_TIMEOUT", "3")
    rows = [
        # the same task: new names, new wording, new example inputs
        (
            "rewrite",
            "Implement `highest_yet(values)`: walk the list and report, at each position, the largest value seen "
            "so far. highest_yet([2, 9, 4, 11]) -> [2, 9, 9, 11]; highest_yet([7]) -> [7].",
        ),
        (
            "chat",
            "Write a function that tells how many vowels (aeiou, upper or lower case) a word has. "
            "For instance 'Banana' gives 3 and 'rhythm' gives 0.",
        ),
        # the copy with one word changed: minimum instead of maximum - the examples say so
        (
            "lookalike",
            'def running_max(xs: list) -> list:\n    """Return the running minimum of xs.\n    >>> running_max([1, 3, 2, 5])\n    [1, 1, 1, 1]\n    """\n',
        ),
        ("unrelated", "Write a function that reverses a string: reverse('abc') -> 'cba'."),
    ]
    df = pl.DataFrame({"id": [r[0] for r in rows], "question": [r[1] for r in rows]})
    spec = dict(type="decontaminate", benchmarks=[str(bench)], answer_column=None, methods=["ngram", "embedding", "examples"])
    flt = Decontaminate(DecontamStage(**spec))
    verdict = flt(df)
    flagged = {r["id"]: r for r in flt.report()["rows"]}
    assert set(flagged) == {"rewrite", "chat"}, flagged
    assert flagged["rewrite"]["method"] == "examples" and flagged["rewrite"]["item_id"] == "T/0"
    assert flagged["chat"]["item_id"] == "T/1"
    assert verdict.keep == [False, False, True, True]
    # without running, the rewrite is invisible and the look-alike's copied words flag it
    off = Decontaminate(DecontamStage(**spec, examples_run=False, examples_veto=False))
    off(df)
    assert {r["id"] for r in off.report()["rows"]} == {"lookalike"}


def test_a_benchmark_example_its_own_solution_contradicts_does_not_veto_a_copy(tmp_path):
    """HumanEval has docstring examples its canonical solution does not reproduce; a verbatim
    copy repeats them and is still the same task."""
    from filters.decontam import Decontaminate
    from schemas.filters import DecontamStage

    item = {"id": "W/0", "entry_point": "double",
            "question": 'def double(x: int) -> int:\n    """Twice x.\n    >>> double(2)\n    5\n    >>> double(3)\n    6\n    """\n',
            "answer": "    return 2 * x\n"}  # fmt: skip
    bench = tmp_path / "wrong.jsonl"
    bench.write_text(json.dumps(item) + "\n")
    df = pl.DataFrame({"id": ["copy", "other"], "question": [item["question"], item["question"].replace("5", "4").replace("6", "7")]})
    flt = Decontaminate(DecontamStage(type="decontaminate", benchmarks=[str(bench)], answer_column=None))
    verdict = flt(df)
    assert list(verdict.keep) == [False, True]  # the copy is caught; the task whose outputs differ from both is not
