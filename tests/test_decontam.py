"""Decontamination end to end on the real benchmark copies in `../shared/benchmarks`: copies,
paraphrases, rephrasings that keep the answer and translations are caught with the right item
id; GSM8K *train* problems (same topic, not copies) mostly pass; the report reaches the
`--report` file, the manifest and the dataset card; `action: flag` keeps rows."""

from __future__ import annotations

import json

import polars as pl
import pytest

from datagen.errors import UserError
from filters.decontam import Decontaminate, non_english
from schemas.filters import DecontamStage
from tests.helpers import read_jsonl, write_jsonl
from tests.test_cli import datagen

BENCHES = ["gsm8k", "math500"]


@pytest.fixture(scope="module")
def bench(shared_dir):
    root = shared_dir / "benchmarks"
    if not (root / "gsm8k" / "test.jsonl").is_file():
        pytest.skip(f"no benchmark copies in {root}")
    return {n: read_jsonl(root / n / "test.jsonl") for n in BENCHES}


@pytest.fixture(scope="module")
def train(shared_dir):
    path = shared_dir / "seeds" / "gsm8k_train" / "train.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} absent")
    return read_jsonl(path)[:300]


def rephrase(q: str) -> str:
    out = q.replace("How many", "What is the number of").replace("how many", "what number of").replace(" each ", " every ")
    return "Please solve the following problem and give the final answer.\n\n" + out.replace("She ", "The woman ")


def rows_for(bench, train) -> list[dict]:
    g, m = bench["gsm8k"], bench["math500"]
    rows = [{"id": f"copy-{i}", "question": g[i]["question"], "answer": g[i]["answer"]} for i in range(0, 40, 4)]
    rows += [{"id": f"para-{i}", "question": rephrase(g[i]["question"]), "answer": g[i]["answer"]} for i in range(1, 41, 4)]
    rows += [{"id": f"math-{i}", "question": "Problem: " + m[i]["question"] + " Show your work.", "answer": m[i]["answer"]} for i in range(0, 50, 5)]
    rows += [{"id": f"train-{i}", "question": t["question"], "answer": t["answer"]} for i, t in enumerate(train)]
    return rows


@pytest.fixture(scope="module")
def judged(bench, train):
    rows = rows_for(bench, train)
    flt = Decontaminate(DecontamStage(type="decontaminate", benchmarks=BENCHES))
    verdict = flt(pl.DataFrame(rows))
    return rows, verdict, flt.report()


def test_copies_and_paraphrases_are_caught_with_their_item(judged, bench):
    rows, verdict, report = judged
    flagged = {r["id"]: r for r in report["rows"]}
    for i in range(0, 40, 4):
        assert flagged[f"copy-{i}"]["item_id"] == bench["gsm8k"][i]["id"] and flagged[f"copy-{i}"]["method"] == "ngram"
    paraphrased = [flagged.get(f"para-{i}", {}).get("item_id") == bench["gsm8k"][i]["id"] for i in range(1, 41, 4)]
    assert sum(paraphrased) >= 9, paraphrased
    for i in range(0, 50, 5):
        assert flagged[f"math-{i}"]["benchmark"] == "math500" and flagged[f"math-{i}"]["item_id"] == bench["math500"][i]["id"]
    keep = dict(zip([r["id"] for r in rows], verdict.keep, strict=True))
    assert not any(keep[k] for k in flagged)


def test_same_topic_new_problems_mostly_pass(judged):
    rows, verdict, report = judged
    train_flags = [r for r in report["rows"] if r["id"].startswith("train-")]
    assert len(train_flags) <= 6, train_flags  # <= 2 % of 300 GSM8K train problems
    assert report["rows_checked"] == len(rows) and report["flagged_rows"] == len(report["rows"])
    g = report["benchmarks"]["gsm8k"]
    assert g["items"] == 1319 and g["flagged_rows"] >= 19 and sum(g["by_method"].values()) >= g["flagged_rows"]


def test_flag_keeps_rows_and_adds_the_match(bench):
    rows = [{"id": "a", "question": bench["gsm8k"][7]["question"]}, {"id": "b", "question": "Name a colour of the sky."}]
    flt = Decontaminate(DecontamStage(type="decontaminate", benchmarks=["gsm8k"], methods=["ngram"], action="flag", answer_column=None))
    v = flt(pl.DataFrame(rows))
    assert v.keep == [True, True]
    c = v.added["contamination"].to_list()
    assert c[0]["item_id"] == bench["gsm8k"][7]["id"] and c[0]["method"] == "ngram" and c[1] is None


def test_non_english_rows_are_told_apart():
    got = non_english(["How many apples does Tom have if he buys 3 more?", "Combien de pommes Tom a-t-il s'il en achète 3 de plus ?",
                       "每天早晨，Aya会去散步 9 公里，然后在咖啡厅休息。", "Compute $\\dbinom{8}{4}$."])
    assert got.tolist() == [False, True, True, False]


def test_spec_errors_name_the_field(bench):
    flt = Decontaminate(DecontamStage(type="decontaminate", benchmarks=["gsm8k"], methods=["answer"], answer_column="gold"))
    with pytest.raises(UserError, match="stage.answer_column: no answer column 'gold'"):
        flt(pl.DataFrame([{"id": "a", "question": "x"}]))
    with pytest.raises(UserError, match="judge.*needs a model"):
        Decontaminate(DecontamStage(type="decontaminate", benchmarks=["gsm8k"], methods=["judge"])).describe()
    with pytest.raises(ValueError, match="listed twice"):
        DecontamStage(type="decontaminate", benchmarks=["gsm8k"], methods=["ngram", "ngram"])


def test_cli_report_lists_every_flagged_row_and_the_version_records_it(tmp_path, bench, train):
    rows = rows_for(bench, train)[:40] + [{"id": f"train-{i}", "question": t["question"], "answer": t["answer"]} for i, t in enumerate(train[:20])]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    r = datagen("decontaminate", src, "--benchmark", "gsm8k", "--benchmark", "math500", "--out", tmp_path / "clean.jsonl",
                "--report", tmp_path / "report.json", "--rejected", tmp_path / "rej.jsonl")
    assert r.returncode == 0, r.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    clean = [x["id"] for x in read_jsonl(tmp_path / "clean.jsonl")]
    rejected = read_jsonl(tmp_path / "rej.jsonl")
    assert sorted(r["id"] for r in report["rows"]) == sorted(x["id"] for x in rejected)
    assert len(clean) + len(rejected) == len(rows) and not set(clean) & {x["id"] for x in rejected}
    assert all(x["reason"].startswith("contaminated: ") and x["contamination"]["item_id"] for x in rejected)
    assert {f"copy-{i}" for i in range(0, 40, 4)} <= {x["id"] for x in rejected}

    store = tmp_path / "store"
    r = datagen("decontaminate", src, "--benchmark", "gsm8k", "--methods", "ngram", "--out", "clean", "--store", store)
    assert r.returncode == 0, r.stderr and r.stdout.strip() == "clean@v1"
    manifest = json.loads((store / "clean" / "v1" / "manifest.json").read_text())
    rep = manifest["contamination"]["decontaminate"]
    assert rep["methods"] == ["ngram"] and {x["id"] for x in rep["rows"]} >= {f"copy-{i}" for i in range(0, 40, 4)}
    card = (store / "clean" / "v1" / "README.md").read_text()
    assert "| gsm8k | 1319 |" in card and "contamination.decontaminate.rows" in card


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--benchmark", "nope"], "unknown benchmark 'nope'"),
        (["--benchmark", "gsm8k", "--methods", "ngram,fuzzy"], "--methods"),
        (["--benchmark", "gsm8k", "--set", "ngram=1"], "--ngram"),
        (["--benchmark", "gsm8k", "--report", "r.txt"], "--report"),
        (["--benchmark", "gsm8k", "--methods", "judge"], "needs a model"),
    ],
)
def test_cli_errors_exit_2_and_write_nothing(tmp_path, bench, args, needle):
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "question": "What is 2+2?", "answer": "4"}])
    r = datagen("decontaminate", src, "--out", tmp_path / "out.jsonl", *args)
    assert r.returncode == 2 and needle in r.stderr, r.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_domain_benchmarks_that_cannot_load_are_listed_not_fatal(bench, monkeypatch):
    import filters.benchmarks as registry
    from datagen.card import contamination_section

    monkeypatch.setitem(registry.DOMAINS, "math", ["gsm8k", "unreleased_bench"])
    flt = Decontaminate(DecontamStage(type="decontaminate", benchmarks=["math"], methods=["ngram"]))
    v = flt(pl.DataFrame([{"id": "a", "question": bench["gsm8k"][3]["question"], "answer": None}]))
    report = flt.report()
    assert v.keep == [False] and list(report["unavailable"]) == ["unreleased_bench"] and list(report["benchmarks"]) == ["gsm8k"]
    assert "Not checked (could not be loaded): unreleased_bench" in contamination_section({"decontaminate": report})
    with pytest.raises(UserError, match="unknown benchmark 'unreleased_bench'"):  # named explicitly: an error
        Decontaminate(DecontamStage(type="decontaminate", benchmarks=["unreleased_bench"])).describe()


def test_rows_not_in_english_go_to_the_multilingual_model(bench):
    """No multilingual model ships, so the offline default stands in for one: this checks the
    routing (which rows, which report fields), not cross-lingual quality."""
    from datagen.card import contamination_section
    from datagen.embeddings import default_model

    rows = [{"id": "en", "question": bench["gsm8k"][5]["question"], "answer": bench["gsm8k"][5]["answer"]},
            {"id": "fr", "question": "Combien de pommes Tom a-t-il s'il en achète trois de plus chez le marchand ?", "answer": "7"}]
    spec = DecontamStage(type="decontaminate", benchmarks=["gsm8k"], methods=["embedding"], multilingual_model=default_model())
    flt = Decontaminate(spec)
    assert flt.describe()["multilingual_model"] == default_model()
    flt(pl.DataFrame(rows))
    report = flt.report()
    assert report["non_english_rows"] == 1 and [r["id"] for r in report["rows"]] == ["en"]
    assert "no multilingual embedding model" not in contamination_section({"decontaminate": report})
    flt_off = Decontaminate(spec.model_copy(update={"multilingual_model": None}))
    flt_off(pl.DataFrame(rows))
    assert "1 rows are not English and no multilingual embedding model was set" in contamination_section({"d": flt_off.report()})
