"""The bundled trainer and eval on the embedded tiny model (CPU): SFT, DPO and GRPO through
TRL with datagen verifiers as rewards, LoRA, resume, the model card naming the data's
version and fingerprint, spec errors that name the field, and pass@k."""

import json

import pytest

from datagen.errors import UserError
from datagen.evaluate import ks_for, pass_at_k
from datagen.store import Store
from datagen.tiny.tasks import make_problems
from schemas.prompts import SOLVE
from schemas.train import TrainSpec
from tests.helpers import write_jsonl
from tests.test_cli import datagen


def user(text):
    return [{"role": "user", "content": text}]


def assistant(text):
    return [{"role": "assistant", "content": text}]


@pytest.fixture()
def problems():
    return make_problems(48, seed=3, split="train")


@pytest.fixture()
def sft_file(tmp_path, problems):
    return write_jsonl(tmp_path / "sft.jsonl", [
        {"prompt": user(SOLVE.format(question=p["question"])), "completion": assistant(p["solution"]), "answer": p["answer"]} for p in problems])


def spec(**kw):
    base = {"max_steps": 6, "batch_size": 4, "learning_rate": 1e-4, "save_steps": 3, "logging_steps": 1}
    return TrainSpec.model_validate(base | kw)


def test_sft_writes_model_card_and_resumes(sft_file, tmp_path):
    from datagen.train.run import train

    out = tmp_path / "m"
    first = train(spec(data=str(sft_file), out=str(out)), Store(tmp_path / "s"))
    assert first.metrics["steps"] == 6 and first.metrics["tokens"] > 0 and first.metrics["resumed_from"] is None
    assert first.metrics["losses"][-1] < first.metrics["losses"][0] * 1.5  # trains (loss is logged every step)
    card = (out / "README.md").read_text()
    info = json.loads((out / "datagen_train.json").read_text())
    assert info["data"]["ref"] == str(sft_file) and info["data"]["fingerprint"] in card and "- sft" in card
    from transformers import AutoModelForCausalLM

    AutoModelForCausalLM.from_pretrained(out)  # the saved model loads
    again = train(spec(data=str(sft_file), out=str(out), max_steps=9), Store(tmp_path / "s"))
    assert again.metrics["resumed_from"].endswith("checkpoint-6") and again.metrics["steps"] == 9


def test_sft_from_a_version_with_lora(sft_file, tmp_path):
    from datagen.train.run import train

    store = tmp_path / "s"
    r = datagen("verify", sft_file, "--verifier", "math_answer", "--out", "sols", "--store", store)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "lora"
    res = train(spec(data="sols@v1", out=str(out), lora={"r": 4, "alpha": 8}), Store(store))
    assert (out / "adapter" / "adapter_config.json").is_file() and (out / "model.safetensors").is_file()
    info = json.loads((out / "datagen_train.json").read_text())
    assert info["data"] == {"ref": "sols@v1", "fingerprint": Store(store).manifest("sols@v1")["fingerprint"], "split": "train"}
    assert res.metrics["steps"] == 6


def test_dpo_on_pairs(tmp_path, problems):
    from datagen.train.run import train

    rows = [{"prompt": user(SOLVE.format(question=p["question"])), "chosen": assistant(p["solution"]),
             "rejected": assistant("The answer is \\boxed{" + str(int(p["answer"]) + 1) + "}.")} for p in problems]
    data = write_jsonl(tmp_path / "pairs.jsonl", rows)
    res = train(spec(method="dpo", data=str(data), out=str(tmp_path / "dpo"), max_steps=3), Store(tmp_path / "s"))
    assert res.metrics["steps"] == 3 and all(loss == loss for loss in res.metrics["losses"])  # no NaN


def test_grpo_rewards_with_a_verifier(tmp_path, problems):
    from datagen.train.run import train

    rows = [{"prompt": user(SOLVE.format(question=p["question"])), "answer": p["answer"]} for p in problems[:8]]
    data = write_jsonl(tmp_path / "prompts.jsonl", rows)
    s = spec(method="grpo", data=str(data), out=str(tmp_path / "grpo"), max_steps=2, rewards=["math_answer"], num_generations=4,
             max_completion_length=48)
    res = train(s, Store(tmp_path / "s"))
    assert res.metrics["steps"] == 2 and len(res.metrics["rewards"]) == 2
    assert all(0.0 <= r <= 1.0 for r in res.metrics["rewards"])


def test_spec_and_data_errors_name_the_field(tmp_path, sft_file):
    from pydantic import ValidationError

    from datagen.train.config import trl_config
    from datagen.train.data import load_table, training_dataset

    with pytest.raises(ValidationError, match="GRPO needs at least one reward"):
        TrainSpec(method="grpo")
    with pytest.raises(UserError, match="trl.max_grad_nrom: not a field of trl.SFTConfig"):
        trl_config(spec(trl={"max_grad_nrom": 1.0}), str(tmp_path))
    with pytest.raises(UserError, match="precision: bf16 needs a CUDA GPU"):
        trl_config(spec(precision="bf16"), str(tmp_path))
    with pytest.raises(UserError, match="must be a multiple of num_generations"):
        trl_config(spec(method="grpo", rewards=["math_answer"], batch_size=3), str(tmp_path))
    table, _ = load_table(str(sft_file), "train", Store(tmp_path / "s"))
    with pytest.raises(UserError, match="dpo needs prompt/chosen/rejected columns; the data has answer, completion, prompt"):
        training_dataset(table, "dpo")
    r = datagen("train", "sft", "--data", tmp_path / "nope.jsonl", "--out", tmp_path / "o")
    assert r.returncode == 2 and "--data: file not found" in r.stderr
    r = datagen("train", "sft", "--data", sft_file, "--out", tmp_path / "o", "--set", "lora.rank=4")
    assert r.returncode == 2 and "lora.rank: unknown field" in r.stderr


def test_pass_at_k_estimator():
    assert pass_at_k(5, 2, 1) == pytest.approx(0.4)
    assert pass_at_k(5, 0, 3) == 0.0 and pass_at_k(5, 3, 3) == 1.0  # n - c < k: every k-subset has a correct one
    assert pass_at_k(10, 1, 5) == pytest.approx(0.5)
    assert ks_for(8, 8) == [1, 2, 4, 8] and ks_for(1, 1) == [1]


def test_eval_cli_on_procedural_and_a_file(tmp_path, problems):
    data = write_jsonl(tmp_path / "q.jsonl", [{"question": p["question"], "answer": p["answer"]} for p in problems[:6]]
                       + [{"question": "Say hi.", "answer": None}])
    out = tmp_path / "res.json"
    r = datagen("eval", "--data", data, "--k", "2", "--n", "3", "--backend", "transformers", "--dtype", "float32",
                "--max-tokens", "160", "--store", tmp_path / "s", "--out", out)
    assert r.returncode == 0, r.stderr
    res = json.loads(out.read_text())
    assert res["problems"] == 7 and res["judged"] == 6 and res["n"] == 3 and set(res) >= {"pass@1", "pass@2"}
    correct = [p["correct"] for p in res["per_problem"] if p["correct"] is not None]
    assert res["pass@1"] == pytest.approx(sum(correct) / (3 * 6), abs=1e-4)
    assert res["pass@2"] >= res["pass@1"]
    bad = datagen("eval", "--data", data, "--k", "4", "--n", "2", "--store", tmp_path / "s")
    assert bad.returncode == 2 and "pass@4 needs at least k samples" in bad.stderr


def test_eval_passes_a_benchmarks_test_columns_to_the_verifier(shared_dir, tmp_path):
    """HumanEval through `datagen eval`: `test` and `entry_point` reach code_tests, so the
    canonical solutions pass and the tiny model's (non-code) replies are judged, not skipped."""
    from datagen.evaluate import load_problems
    from filters.verify import get_verifier

    if not (shared_dir / "benchmarks" / "humaneval").is_dir():
        pytest.skip("../shared/benchmarks/humaneval is absent")
    p = load_problems("humaneval", Store(tmp_path / "s"), limit=4, seed=0, template="{question}")
    assert len(p.columns["test"]) == len(p.columns["entry_point"]) == len(p.ids) == 4
    canonical = ["```python\n" + c[0]["content"] + a + "\n```" for c, a in zip(p.conversations, p.columns["answer"], strict=True)]
    assert get_verifier("code_tests", "verifier")(p.conversations, canonical, **p.columns) == [1.0] * 4
    out = tmp_path / "he.json"
    r = datagen("eval", "--data", "humaneval", "--verifier", "code_tests", "--limit", "2", "--k", "1", "--template", "plain",
                "--backend", "transformers", "--dtype", "float32", "--max-tokens", "24", "--store", tmp_path / "s", "--out", out)
    assert r.returncode == 0, r.stderr
    res = json.loads(out.read_text())
    assert res["judged"] == 2 and res["pass@1"] == 0.0
