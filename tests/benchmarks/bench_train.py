"""Trainer throughput: `datagen train sft` vs plain TRL with the same config on the same data,
side by side in one run (alternating, each repeated), on the embedded tiny model (CPU).

Goal: datagen's tokens/s >= 0.97x plain TRL's (the wrapper adds nothing to the step).
Both count tokens the way TRL logs them (`num_tokens`: non-padding tokens trained on), and
both leave every field datagen's spec does not set at TRL's default (gradient checkpointing
included: TRL turns it on for SFT; `--checkpointing off` turns it off in both).

    python -m tests.benchmarks.bench_train [--rows 512] [--steps 200] [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path


def write_data(folder: Path, rows: int) -> Path:
    from datagen.tiny.tasks import make_problems
    from schemas.prompts import SOLVE
    from tests.helpers import write_jsonl

    probs = make_problems(rows, seed=5, split="train")
    return write_jsonl(folder / "sft.jsonl", [
        {"prompt": [{"role": "user", "content": SOLVE.format(question=p["question"])}],
         "completion": [{"role": "assistant", "content": p["solution"]}]} for p in probs])


CHECKPOINTING: bool | None = None  # None: TRL's default in both runs


def spec_for(data: Path, out: Path, steps: int):
    from schemas.train import TrainSpec

    return TrainSpec(method="sft", data=str(data), out=str(out), max_steps=steps, batch_size=8, learning_rate=1e-4,
                     save_steps=10_000, logging_steps=10, resume=False, max_length=512, gradient_checkpointing=CHECKPOINTING)


def run_datagen(data: Path, out: Path, steps: int) -> dict:
    from datagen.store import Store
    from datagen.train.run import train

    r = train(spec_for(data, out, steps), Store(out / "store"))
    return {"tokens": r.metrics["tokens"], "seconds": r.metrics["seconds"]}


def run_plain_trl(data: Path, out: Path, steps: int) -> dict:
    """The same job written directly against TRL, as a user would without datagen."""
    from datasets import load_dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    from datagen.tiny.build import ensure_tiny_model

    path = str(ensure_tiny_model())
    ds = load_dataset("json", data_files=str(data), split="train")
    args = SFTConfig(output_dir=str(out), seed=0, data_seed=0, max_steps=steps, per_device_train_batch_size=8, learning_rate=1e-4,
                     lr_scheduler_type="cosine", warmup_steps=0.03, max_length=512, save_strategy="no", logging_steps=10,
                     report_to="none", use_cpu=True, bf16=False, fp16=False, disable_tqdm=True, dataloader_num_workers=0,
                     **({} if CHECKPOINTING is None else {"gradient_checkpointing": CHECKPOINTING}))
    trainer = SFTTrainer(model=AutoModelForCausalLM.from_pretrained(path), args=args, train_dataset=ds,
                         processing_class=AutoTokenizer.from_pretrained(path))
    t = time.perf_counter()
    trainer.train()
    return {"tokens": trainer._total_train_tokens, "seconds": round(time.perf_counter() - t, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=512)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--checkpointing", choices=["default", "on", "off"], default="default")
    args = ap.parse_args()
    global CHECKPOINTING
    CHECKPOINTING = {"default": None, "on": True, "off": False}[args.checkpointing]
    import transformers

    transformers.logging.set_verbosity_error()
    runs: dict[str, list] = {"datagen": [], "trl": []}
    with tempfile.TemporaryDirectory(prefix="datagen-bench-train-") as d:
        folder = Path(d)
        data = write_data(folder, args.rows)
        for i in range(args.repeats):
            for name, fn in (("trl", run_plain_trl), ("datagen", run_datagen)) if i % 2 == 0 else (("datagen", run_datagen), ("trl", run_plain_trl)):
                r = fn(data, folder / f"{name}-{i}", args.steps)
                r["tokens_per_s"] = round(r["tokens"] / r["seconds"], 1)
                runs[name].append(r)
    import statistics

    best = {k: max(r["tokens_per_s"] for r in v) for k, v in runs.items()}
    median = {k: statistics.median(r["tokens_per_s"] for r in v) for k, v in runs.items()}
    same_tokens = len({r["tokens"] for v in runs.values() for r in v}) == 1
    print(json.dumps({"bench": "train", "rows": args.rows, "steps": args.steps, "runs": runs, "best_tokens_per_s": best,
                      "ratio": round(best["datagen"] / best["trl"], 3),
                      "median_tokens_per_s": median, "median_ratio": round(median["datagen"] / median["trl"], 3), "same_tokens": same_tokens, "checkpointing": args.checkpointing, "goal": ">= 0.97"}))


if __name__ == "__main__":
    main()
