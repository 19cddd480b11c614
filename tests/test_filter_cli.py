"""`datagen verify` and `datagen dedup` as a user runs them: files in and out, versions in
and out (a new version with its parent), rejected rows with reasons, clear errors, nothing
half written."""

import json

import polars as pl

from tests.helpers import filter_recipe, read_jsonl, write_jsonl, write_recipe
from tests.test_cli import datagen

ROWS = [
    {"prompt": "2+2?", "completion": "It is \\boxed{4}", "answer": "4"},
    {"prompt": "2+3?", "completion": "It is \\boxed{6}", "answer": "5"},
    {"prompt": "2+3?", "completion": "no idea", "answer": "5"},
    {"prompt": "3+1?", "completion": "It is \\boxed{4}", "answer": None},
]


def test_verify_adds_reward_and_keeps_every_row(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", ROWS)
    r = datagen("verify", src, "--verifier", "math_answer", "--out", tmp_path / "out.jsonl")
    assert r.returncode == 0, r.stderr
    out = read_jsonl(tmp_path / "out.jsonl")
    assert [row["reward"] for row in out] == [1.0, 0.0, 0.0, None]
    assert [row["id"] for row in out] == ["row-1", "row-2", "row-3", "row-4"]
    assert out[0]["meta"]["verdicts"][0]["name"] == "math_answer"
    assert r.stdout.strip() == str(tmp_path / "out.jsonl")


def test_verify_threshold_into_a_version_then_from_it(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", ROWS)
    store = tmp_path / "store"
    r = datagen("verify", src, "--verifier", "math_answer", "--threshold", "1", "--out", "scored", "--store", store)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "scored@v1"
    vdir = store / "scored" / "v1"
    kept = pl.read_parquet(vdir / "data")
    rejected = pl.read_parquet(vdir / "rejected")
    assert kept["id"].to_list() == ["row-1"]
    assert dict(zip(rejected["id"], rejected["reason"], strict=True)) == {"row-2": "wrong_answer", "row-3": "no_answer", "row-4": "unverifiable"}
    manifest = json.loads((vdir / "manifest.json").read_text())
    assert manifest["counts"] == {"train": 1, "rejected": 3} and manifest["reject_reasons"]["wrong_answer"] == 1
    assert "scored@v1" in (vdir / "README.md").read_text()
    again = datagen("verify", src, "--verifier", "math_answer", "--threshold", "1", "--out", "scored", "--store", store)
    assert again.stdout.strip() == "scored@v1" and '"created": false' in again.stderr
    # a version as input: the output names it as parent
    r = datagen("dedup", "scored@v1", "--out", "deduped", "--store", store)
    assert r.returncode == 0, r.stderr
    assert json.loads((store / "deduped" / "v1" / "manifest.json").read_text())["parents"] == ["scored@v1"]


def test_dedup_writes_rejected_with_dup_of(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", ROWS)
    r = datagen("dedup", src, "--out", tmp_path / "d.parquet", "--rejected", tmp_path / "rej.jsonl")
    assert r.returncode == 0, r.stderr
    assert pl.read_parquet(tmp_path / "d.parquet")["id"].to_list() == ["row-1", "row-2", "row-3"]
    rej = read_jsonl(tmp_path / "rej.jsonl")
    assert [(x["id"], x["dup_of"], x["reason"]) for x in rej] == [("row-4", "row-1", "duplicate")]
    r = datagen("dedup", src, "--method", "minhash", "--threshold", "0.5", "--column", "prompt", "--out", tmp_path / "m.jsonl")
    assert r.returncode == 0, r.stderr
    assert [x["id"] for x in read_jsonl(tmp_path / "m.jsonl")] == ["row-1", "row-2", "row-4"]


def test_bad_input_exits_2_and_writes_nothing(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", ROWS)
    out = tmp_path / "o.jsonl"
    cases = [
        (("verify", src, "--verifier", "nope", "--out", out), "--verifier"),
        (("verify", tmp_path / "missing.jsonl", "--verifier", "math_answer", "--out", out), "INPUT"),
        (("dedup", src, "--column", "nope", "--out", out), "column"),
        (("dedup", src, "--method", "exact", "--threshold", "0.5", "--out", out), "threshold"),
        (("dedup", src, "--method", "fuzzy", "--out", out), "--method"),
        (("dedup", src, "--out", "name@v3"), "version number is assigned"),
    ]
    for args, needle in cases:
        r = datagen(*args)
        assert r.returncode == 2 and needle in r.stderr, (args, r.stderr)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"completion": "a"}\n{"completion": \n')
    r = datagen("dedup", bad, "--out", out)
    assert r.returncode == 2 and "bad.jsonl:2" in r.stderr
    assert not out.exists() and not list(tmp_path.glob(".o.jsonl*"))


def test_verify_ifeval_reads_constraints_per_row(tmp_path):
    both = json.dumps([{"id": "change_case:english_lowercase", "kwargs": {}}, {"id": "punctuation:no_comma", "kwargs": {}}])
    rows = [
        {"completion": "cats are soft and warm", "constraints": both},
        {"completion": "Cats are soft, warm", "constraints": both},
        {"completion": "cats, soft", "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]},
    ]
    src = write_jsonl(tmp_path / "if.jsonl", rows)
    r = datagen("verify", src, "--verifier", "ifeval", "--out", tmp_path / "o.jsonl")
    assert r.returncode == 0, r.stderr
    assert [x["reward"] for x in read_jsonl(tmp_path / "o.jsonl")] == [1.0, 0.0, 0.0]


def test_verify_code_tests_on_humaneval_rows(tmp_path, shared_dir):
    path = shared_dir / "benchmarks" / "humaneval" / "test.jsonl"
    if not path.is_file():
        import pytest

        pytest.skip(f"HumanEval not found at {path}")
    rows = []
    for line in path.read_text().splitlines()[:6]:
        item = json.loads(line)
        right = f"```python\n{item['question']}{item['answer']}\n```"
        wrong = f"```python\n{item['question']}    return None\n```"
        for completion in (right, wrong):
            rows.append({"id": f"{item['id']}/{len(rows)}", "completion": completion, "test": item["test"], "entry_point": item["entry_point"]})
    src = write_jsonl(tmp_path / "he.jsonl", rows)
    r = datagen("verify", src, "--verifier", "code_tests", "--threshold", "1", "--out", tmp_path / "ok.jsonl", "--rejected", tmp_path / "bad.jsonl")
    assert r.returncode == 0, r.stderr
    assert [x["id"] for x in read_jsonl(tmp_path / "ok.jsonl")] == [row["id"] for row in rows[0::2]]
    assert {x["reason"].split(":")[0] for x in read_jsonl(tmp_path / "bad.jsonl")} <= {"tests_failed", "error"}


def test_dedup_cluster_and_veto_flags(tmp_path):
    words = [f"w{i}" for i in range(40)]
    rows = [{"question": " ".join(words[a:a + 30])} for a in (0, 3, 6)]  # J(0,1)=J(1,2)=0.81, J(0,2)=0.65
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    common = ("--method", "minhash", "--threshold", "0.7", "--column", "question")
    r = datagen("dedup", src, *common, "--out", tmp_path / "a.jsonl")
    assert r.returncode == 0, r.stderr  # no chaining: row 3 stays (checked below)
    r = datagen("dedup", src, *common, "--cluster", "components", "--no-veto", "--out", tmp_path / "b.jsonl")
    assert r.returncode == 0, r.stderr
    assert len(read_jsonl(tmp_path / "b.jsonl")) == 1
    assert len(read_jsonl(tmp_path / "a.jsonl")) == 2


def test_a_filter_report_that_is_not_contamination_stays_with_its_stage(tmp_path):
    """Dedup's pair counts (and a verifier audit) go to the stage's `report` in the manifest;
    the card's Contamination section stays for decontamination."""
    rows = [{"question": "the train leaves at noon today"}, {"question": "The train leaves at noon today!!"}, {"question": "x y z"}]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    store = tmp_path / "store"
    r = datagen("dedup", src, "--method", "minhash", "--threshold", "0.5", "--column", "question", "--out", "dd", "--store", store)
    assert r.returncode == 0, r.stderr
    manifest = json.loads((store / "dd" / "v1" / "manifest.json").read_text())
    assert manifest["contamination"] is None and manifest["stages"][0]["report"]["similar_pairs"] == 1
    assert "no decontamination stage ran" in (store / "dd" / "v1" / "README.md").read_text()
    recipe = write_recipe(tmp_path / "r.yaml", filter_recipe(src, name="rr", stages=[{"type": "dedup", "method": "minhash", "threshold": 0.5, "column": "question"}]))
    r = datagen("run", recipe, "--store", store)
    assert r.returncode == 0, r.stderr
    manifest = json.loads((store / "rr" / "v1" / "manifest.json").read_text())
    assert manifest["contamination"] is None and manifest["stages"][0]["report"]["similar_pairs"] == 1
