"""Decontamination and embedding dedup on the hand-written adversarial sets
(tests/data/decontam_adversarial/, tests/data/dedup_adversarial/), asserted on the splits no
threshold was chosen on: `test3` (math_test3, code_test3, written by a helper that never saw the
filter code, measured once) for decontamination, `heldout` for dedup.
The floors are what the filters reach there today
(README, "Filters on data nobody here wrote"); where that is below the issue's goal the README
says so. Slow: MiniLM encodes a few hundred rows and the benchmarks (cached after the first
run)."""

import pytest

from tests.benchmarks.bench_decontam_adversarial import benchmarks_dir
from tests.benchmarks.bench_decontam_adversarial import evaluate as decontam_eval
from tests.benchmarks.bench_dedup_adversarial import evaluate as dedup_eval

pytestmark = pytest.mark.slow


def _rate(res: dict, category: str) -> float:
    hit, n = res["categories"][category].split("/")
    return int(hit) / int(n)


def _with_and_without_answers(split: str):
    if benchmarks_dir() is None:
        pytest.skip("the local benchmarks (../shared/benchmarks) are absent")
    return decontam_eval(split, True), decontam_eval(split, False)


@pytest.fixture(scope="module")
def decontam_test():
    return _with_and_without_answers("test3")


def test_code_decontamination_on_the_untuned_split(decontam_test):
    res, bare = decontam_test
    # measured on code_test3, first run: rephrasings 19/26, look-alikes 3/24, precision 0.90
    # (code_test, earlier: rephrasings 24/35, text methods alone 2/35)
    assert _rate(res, "code_copy_edit") == 1.0 and _rate(res, "code_unrelated") == 0.0, res["false_positives"]
    assert _rate(res, "code_rephrase") >= 0.7, res["missed"]
    assert _rate(res, "code_hard_negative") <= 0.13 and res["code"]["precision"] >= 0.89, res["false_positives"]
    assert bare["code"] == res["code"]  # code rows have no answer column to lose


def test_math_decontamination_on_the_untuned_split(decontam_test):
    res, bare = decontam_test
    # measured on math_test3, first run: recall 0.83 at precision 0.935 with the answer column (without
    # the low-cosine answer match, filters/decontam_answer.py: 0.63 at 0.936; goal 0.90 at 0.95: not met)
    assert res["math"]["recall"] >= 0.8 and res["math"]["precision"] >= 0.93, res["missed"]
    assert _rate(res, "copy_edit") == 1.0 and _rate(res, "hard_negative") <= 0.15 and _rate(res, "unrelated") == 0.0, res["false_positives"]
    # without it: 0.43 at 0.65 (n-gram and embedding matches of a changed quantity that no answer vetoes)
    assert bare["math"]["recall"] >= 0.4 and _rate(bare, "copy_edit") >= 0.9 and _rate(bare, "unrelated") == 0.0


def test_decontamination_without_an_answer_column_runs_and_says_what_it_skipped(decontam_test):
    _, res = decontam_test
    assert res["skipped_methods"] == {"answer": "no answer column 'answer'"}
    assert _rate(res, "copy_edit") >= 0.9 and _rate(res, "rephrase") >= 0.35 and _rate(res, "unrelated") == 0.0


def test_dedup_does_not_chain_and_vetoes_look_alikes():
    new = dedup_eval("heldout")
    old = dedup_eval("heldout", cluster="components", veto=False)
    assert new["precision"] >= 0.70 and new["precision"] > old["precision"] + 0.2, (new["false_pairs"], old["precision"])
    assert new["recall"] >= 0.15, new["missed_pairs"]
    cascade = dedup_eval("heldout", encode="cascade")  # static candidates first: the same decisions here
    assert (cascade["precision"], cascade["recall"]) == (new["precision"], new["recall"])
