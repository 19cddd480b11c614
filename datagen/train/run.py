"""Run one training job: data -> model (+ LoRA) -> TRL trainer -> saved model with its card.

The output directory holds TRL's checkpoints while training (a re-run with the same `out`
resumes from the last one), then the final model and tokenizer (LoRA: merged into the base
weights, the adapter kept under `adapter/`), `README.md` (model card: base model, dataset
version and fingerprint, method, figures) and `datagen_train.json` (the spec, the data's
identity, losses, tokens, tokens/s, wall time, library versions).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from datagen.errors import UserError


@dataclass
class TrainResult:
    out: Path
    metrics: dict


def reward_functions(names: list[str]):
    """datagen verifiers as TRL reward functions (TRL names each by `__name__` in its logs)."""
    from filters.verify import get_verifier

    funcs = []
    for i, name in enumerate(names):
        fn = get_verifier(name, f"rewards.{i}")

        def reward(prompts, completions, _fn=fn, **columns):
            return _fn(prompts, completions, **columns)

        reward.__name__ = name
        funcs.append(reward)
    return funcs


def _model_path(spec) -> str:
    if spec.model:
        return spec.model
    from datagen.tiny.build import ensure_tiny_model

    return str(ensure_tiny_model())


def last_checkpoint(out: Path) -> str | None:
    from transformers.trainer_utils import get_last_checkpoint

    return get_last_checkpoint(str(out)) if out.is_dir() else None


def build_trainer(spec, train_ds, eval_ds, out: Path):
    """The TRL trainer for `spec` (also used by the benchmark against plain TRL)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from datagen.train.config import trl_config

    args, dtype = trl_config(spec, str(out))
    path = _model_path(spec)
    try:
        tok = AutoTokenizer.from_pretrained(path, revision=spec.revision)
        model = AutoModelForCausalLM.from_pretrained(
            path, revision=spec.revision, dtype={"bf16": torch.bfloat16, "fp16": torch.float16}.get(dtype, torch.float32))
    except OSError as e:
        raise UserError(f"model: cannot load {path!r}: {e}") from None
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    peft_config = None
    if spec.lora:
        from peft import LoraConfig

        peft_config = LoraConfig(r=spec.lora.r, lora_alpha=spec.lora.alpha, lora_dropout=spec.lora.dropout,
                                 target_modules=spec.lora.target_modules, task_type="CAUSAL_LM")
    common = dict(model=model, args=args, train_dataset=train_ds, eval_dataset=eval_ds, processing_class=tok, peft_config=peft_config)
    if spec.method == "sft":
        from trl import SFTTrainer

        trainer = SFTTrainer(**common)
    elif spec.method == "dpo":
        from trl import DPOTrainer

        trainer = DPOTrainer(**common)
    else:
        from trl import GRPOTrainer

        trainer = GRPOTrainer(reward_funcs=reward_functions(spec.rewards), **common)
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)  # raw log dicts on stdout; progress goes to stderr
    return trainer, tok, path


def train(spec, store, progress=None) -> TrainResult:
    from datagen.train.card import write_card
    from datagen.train.data import load_table, training_dataset

    if not spec.data:
        raise UserError("data: name the training data (NAME@vN or a .jsonl/.parquet file)")
    if not spec.out:
        raise UserError("out: name an output directory")
    out = Path(spec.out)
    table, identity = load_table(spec.data, spec.split, store)
    train_ds = training_dataset(table, spec.method)
    eval_ds = None
    if spec.eval_split:
        eval_table, _ = load_table(spec.data, spec.eval_split, store)
        eval_ds = training_dataset(eval_table, spec.method, f"eval_split {spec.eval_split}")
    trainer, tok, base = build_trainer(spec, train_ds, eval_ds, out)
    if progress is not None:
        trainer.add_callback(progress)
    resume = last_checkpoint(out) if spec.resume else None
    t0 = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=resume)
    seconds = time.perf_counter() - t0
    model = trainer.model
    if spec.lora:
        model.save_pretrained(out / "adapter")
        model = model.merge_and_unload()
    model.save_pretrained(out)
    tok.save_pretrained(out)
    metrics = train_metrics(trainer, result, seconds, resume)
    write_card(out, spec, identity, base, metrics)
    return TrainResult(out, metrics)


def train_metrics(trainer, result, seconds: float, resumed_from: str | None) -> dict:
    logs = trainer.state.log_history
    losses = [round(h["loss"], 4) for h in logs if "loss" in h]
    # TRL counts the tokens it trained on (SFT/DPO: `_total_train_tokens`; GRPO: the state's counter)
    tokens = getattr(trainer, "_total_train_tokens", 0) or trainer.state.num_input_tokens_seen or \
        max((h.get("num_tokens", 0) for h in logs), default=0)
    rewards = [round(h["reward"], 4) for h in logs if "reward" in h]
    out = {
        "steps": result.global_step,
        "train_loss": round(result.training_loss, 4) if result.training_loss is not None else None,
        "losses": losses,
        "tokens": int(tokens),
        "tokens_per_s": round(tokens / seconds, 1) if tokens and seconds else None,
        "seconds": round(seconds, 1),
        "resumed_from": resumed_from,
    }
    if rewards:
        out["rewards"] = rewards
    evals = [h for h in logs if "eval_loss" in h]
    if evals:
        out["eval_loss"] = round(evals[-1]["eval_loss"], 4)
    return out


def read_metrics(out: Path) -> dict:
    return json.loads((out / "datagen_train.json").read_text())
