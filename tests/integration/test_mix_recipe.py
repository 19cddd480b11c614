"""The shipped mixture, run as a user would: a real generated version (the quickstart on the
tiny model) mixed with real GSM8K solutions. Its synthetic flag comes from the manifest, the
guardrail caps it at 20%, and the result loads with `datasets` and renders with the tiny
model's chat template."""

from __future__ import annotations

import json

import pytest

from tests.integration.cli_runs import REPO, run_cli, run_recipe, version_dir

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def test_math_sft_mixture(tiny_model, tmp_path, shared_dir):
    seeds = shared_dir / "seeds" / "gsm8k_train" / "train.jsonl"
    if not seeds.is_file():
        pytest.skip(f"GSM8K train seeds not found at {seeds} (set DATAGEN_SHARED)")
    store = tmp_path / "s"
    quick = run_recipe(REPO / "recipes" / "quickstart.yaml", store, "source.n=24", "stages.2.benchmarks=[gsm8k]")
    r = run_cli("mix", REPO / "recipes" / "mixtures" / "math_sft.yaml", "--store", store,
                "--set", f"sources.0.source={seeds}", "--set", "sources.0.columns.completion=solution", "--set", f"tokenizer={tiny_model}", "--set", "eval.fraction=0.1")
    ref = r.stdout.strip().splitlines()[-1]
    assert ref == "math-sft@v1"
    man = json.loads((version_dir(store, ref) / "manifest.json").read_text())
    gsm, syn = man["mixture"]["composition"]
    assert syn["source"] == quick and syn["synthetic"] and syn["synthetic_from"] == "manifest"
    assert not gsm["synthetic"] and gsm["source"] == str(seeds)
    assert man["parents"] == [quick]
    assert syn["train_rows"] > 0 and man["mixture"]["summary"]["synthetic_fraction"] <= 0.2
    assert man["mixture"]["token_count_check"]["exact"] == man["mixture"]["token_count_check"]["rows"] > 0
    from datasets import load_dataset
    from transformers import AutoTokenizer

    ds = load_dataset(str(version_dir(store, ref)), cache_dir=str(tmp_path / "hf"))  # the card's configs; own cache (every version dir is "v1")
    assert ds["train"].num_rows == man["counts"]["train"] and ds["test"].num_rows == man["counts"]["test"] > 0
    tok = AutoTokenizer.from_pretrained(str(tiny_model))
    row = ds["train"][0]
    assert len(tok.apply_chat_template(row["messages"], tokenize=True)["input_ids"]) == row["num_tokens"]
    train_q = {r["messages"][0]["content"] for r in ds["train"]}
    assert not train_q & {r["messages"][0]["content"] for r in ds["test"]}
