"""The embedded tiny model, built for real (session fixture `tiny_model`; minutes on first use)."""

from __future__ import annotations

import json

import pytest

from datagen.tiny import tasks
from datagen.tiny.build import METADATA_FILE, TinyConfig, ensure_tiny_model


@pytest.fixture(scope="module")
def loaded(tiny_model):
    from datagen.tiny import evaluate

    return evaluate.load(tiny_model)


def test_build_dir_is_complete(tiny_model):
    names = {p.name for p in tiny_model.iterdir()}
    assert {"config.json", "model.safetensors", "generation_config.json", "tokenizer.json",
            "tokenizer_config.json", METADATA_FILE} <= names
    meta = json.loads((tiny_model / METADATA_FILE).read_text())
    assert meta["build_hash"] == TinyConfig().build_hash() and tiny_model.name == f"tiny-{meta['build_hash']}"
    assert 2e6 < meta["parameters"] < 6e6
    assert 0.2 <= meta["heldout"]["pass@1"] <= 0.8
    assert "{% generation %}" not in json.loads((tiny_model / "tokenizer_config.json").read_text())["chat_template"]
    gen = json.loads((tiny_model / "generation_config.json").read_text())
    assert gen["eos_token_id"] == 4 and gen["pad_token_id"] == 0
    assert ensure_tiny_model() == tiny_model  # cached: no rebuild


def test_tokenizer_and_chat_template(loaded):
    _, tok = loaded
    text = "Natalia sold 48 clips — 日本語 🙂 \\boxed{72}"
    ids = tok(text, add_special_tokens=False)["input_ids"]
    assert tok.decode(ids) == text
    assert [tok.decode([i]) for i in tok("1234", add_special_tokens=False)["input_ids"]] == list("1234")
    conv = [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}]
    assert tok.apply_chat_template(conv, tokenize=False, add_generation_prompt=True) == \
        "<|system|>S<|end|><|user|>U<|end|><|assistant|>"
    assert tok.eos_token == "<|end|>" and tok.pad_token == "<|pad|>"


def test_generates_with_transformers(loaded):
    import torch

    model, tok = loaded
    p = tasks.make_problems(1, seed=11, split="test")[0]
    ids = tok.apply_chat_template([{"role": "user", "content": tasks.solve_prompt(p["question"])}],
                                  add_generation_prompt=True, return_tensors="pt", return_dict=True)
    with torch.inference_mode():
        out = model.generate(**ids, max_new_tokens=64, do_sample=False)
    text = tok.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=True)
    assert out[0, -1].item() == tok.eos_token_id  # stops on its own
    assert tasks.boxed_answer(text) is not None and tasks.parse_steps(text)


def test_heldout_pass_at_1_is_in_the_useful_range(loaded):
    from datagen.tiny import evaluate

    model, tok = loaded
    r = evaluate.solve_pass_at_1(model, tok, n=64, seed=1, temperature=0.8, max_tokens=256)
    assert 0.2 <= r["pass@1"] <= 0.8, r


def test_generator_tasks_give_sane_output(loaded):
    """Each generator prompt of `schemas.prompts` on 16 held-out problems (see `task_samples`).
    An untrained or garbling model scores 0 on all of it; the default build measured variant
    0.75 (answer kept), rewrite 0.5, deepen 0.94, broaden 1, verbalized 0.44 (m right) here."""
    from datagen.tiny import evaluate

    model, tok = loaded
    report = evaluate.task_samples(model, tok, seed=3, k=16)
    assert set(report) == {"variant", "rewrite", "deepen", "broaden", "verbalized"}
    variant, rewrite, verbalized = report["variant"], report["rewrite"], report["verbalized"]
    assert variant["well_formed"] >= 0.75 and variant["answer_kept"] >= 0.25, variant
    assert rewrite["formatted"] >= 0.75 and rewrite["sane"] >= 0.125, rewrite
    for kind in ("deepen", "broaden"):
        assert report[kind]["sane"] >= 0.75 and report[kind]["right_steps"] >= 0.3, report[kind]
    assert verbalized["parsed"] >= 0.75 and verbalized["sane"] >= 0.25, verbalized


def test_failed_build_leaves_nothing_behind(tmp_path, monkeypatch):
    from datagen.tiny import build

    def crash(out, **kw):
        (out / "model.safetensors").write_text("half")
        raise RuntimeError("boom")

    monkeypatch.setattr(build, "build_tiny_model", crash)
    with pytest.raises(RuntimeError, match="boom"):
        build.ensure_tiny_model(cache_dir=tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [f"tiny-{TinyConfig().build_hash()}.lock"]
