"""Every source kind loads into the seed schema, offline, from real files."""

import polars as pl
import pytest

from datagen.errors import UserError
from datagen.sources import load_source
from schemas.recipe import Recipe
from tests.helpers import write_jsonl

ROWS = [{"q": f"Question {i}?", "a": f"#### {i * 3}", "uid": f"u{i}"} for i in range(5)]


def spec(source: dict):
    return Recipe.model_validate({"source": source, "stages": [{"type": "dedup"}], "output": {"name": "x"}}).source


def _check(seed, n=5):
    t = seed.table
    assert t.column_names == ["id", "question", "answer", "solution", "meta"] and t.num_rows == n
    return t


def test_jsonl_with_pattern_and_id_column(tmp_path):
    p = write_jsonl(tmp_path / "s.jsonl", ROWS)
    t = _check(load_source(spec({"type": "jsonl", "path": str(p), "question_column": "q", "answer_column": "a", "answer_pattern": "####\\s*(.+)$", "id_column": "uid"})))
    assert t.column("answer").to_pylist() == ["0", "3", "6", "9", "12"]
    assert t.column("id").to_pylist()[0] == "u0"
    assert t.column("meta").to_pylist()[0]["source"] == str(p)


def test_solution_column_is_used_when_present_and_checked_when_named(tmp_path):
    p = write_jsonl(tmp_path / "s.jsonl", [{"question": "q?", "answer": "1", "solution": "1 + 0 = 1"}])
    assert _check(load_source(spec({"type": "jsonl", "path": str(p)})), 1).column("solution").to_pylist() == ["1 + 0 = 1"]
    p2 = write_jsonl(tmp_path / "s2.jsonl", [{"question": "q?", "answer": "1"}])
    assert _check(load_source(spec({"type": "jsonl", "path": str(p2)})), 1).column("solution").to_pylist() == [None]
    with pytest.raises(UserError, match="source.solution_column: column 'steps' not found"):
        load_source(spec({"type": "jsonl", "path": str(p2), "solution_column": "steps"}))


def test_parquet_and_limit(tmp_path):
    pl.DataFrame(ROWS).write_parquet(tmp_path / "s.parquet")
    _check(load_source(spec({"type": "parquet", "path": str(tmp_path / "s.parquet"), "question_column": "q", "answer_column": "a", "limit": 3})), 3)


def test_save_to_disk_dir(tmp_path):
    import datasets

    datasets.DatasetDict({"train": datasets.Dataset.from_list(ROWS)}).save_to_disk(str(tmp_path / "d"))
    _check(load_source(spec({"type": "disk", "path": str(tmp_path / "d"), "question_column": "q", "answer_column": "a"})))
    with pytest.raises(UserError, match="source.split"):
        load_source(spec({"type": "disk", "path": str(tmp_path / "d"), "split": "test", "question_column": "q"}))


def test_hub_path_through_load_dataset(tmp_path):
    # a dataset repo laid out as on the Hub (parquet under data/), read by datasets.load_dataset
    (tmp_path / "repo" / "data").mkdir(parents=True)
    pl.DataFrame(ROWS).write_parquet(tmp_path / "repo" / "data" / "train-00000-of-00001.parquet")
    seed = load_source(spec({"type": "hub", "id": str(tmp_path / "repo"), "question_column": "q", "answer_column": "a"}))
    _check(seed)
    assert seed.label.startswith("hf:")


def test_hub_unreachable_is_a_user_error(monkeypatch):
    import datasets.config
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(UserError, match="source.id"):
        load_source(spec({"type": "hub", "id": "nobody/does-not-exist-datagen"}))


def test_procedural_is_deterministic():
    a = load_source(spec({"type": "procedural", "n": 7, "seed": 3}))
    b = load_source(spec({"type": "procedural", "n": 7, "seed": 3}))
    assert a.table.equals(b.table) and a.table.num_rows == 7
    assert all(x is not None for x in a.table.column("answer").to_pylist())


def test_duplicate_questions_get_distinct_ids(tmp_path):
    p = write_jsonl(tmp_path / "s.jsonl", [{"question": "same", "answer": "1"}] * 3)
    ids = load_source(spec({"type": "jsonl", "path": str(p)})).table.column("id").to_pylist()
    assert len(set(ids)) == 3


def test_empty_question_names_the_row(tmp_path):
    p = write_jsonl(tmp_path / "s.jsonl", [{"question": "ok", "answer": "1"}, {"question": "  ", "answer": "2"}])
    with pytest.raises(UserError, match="row 2"):
        load_source(spec({"type": "jsonl", "path": str(p)}))


def test_gsm8k_seeds_load(shared_dir):
    path = shared_dir / "seeds" / "gsm8k_train" / "train.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} absent (shared/ seeds not checked out beside the repo)")
    t = load_source(spec({"type": "jsonl", "path": str(path), "id_column": "id", "limit": 50})).table
    assert t.num_rows == 50 and t.column("id").to_pylist()[0].startswith("gsm8k/train/")


@pytest.mark.parametrize("text", ["", "\n", "  \n\n"])
def test_empty_jsonl_is_named_not_a_polars_error(tmp_path, text):
    p = tmp_path / "empty.jsonl"
    p.write_text(text)
    with pytest.raises(UserError, match=r"empty\.jsonl is empty \(no rows\)$"):
        load_source(spec({"type": "jsonl", "path": str(p)}))
