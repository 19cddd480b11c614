"""Build (train) datagen's embedded tiny model, and find or build it in the cache.

`build_tiny_model(out_dir)` trains a small `LlamaForCausalLM` from scratch with TRL's
`SFTTrainer` on `datagen.tiny.tasks.training_conversations` (loss on every token, prompts
included: their problems and solutions teach it to write both), float32 on CPU with a
fixed seed, and writes a self-contained model directory: safetensors weights, tokenizer
with chat template, generation config and `datagen_tiny.json` (build config, hash,
version, train time, held-out pass@1, the generator tasks' sanity from `task_samples`).

`ensure_tiny_model()` returns `$DATAGEN_CACHE/tiny-<hash>` (default `~/.cache/datagen`),
building it on first use under an fcntl lock, in a temp dir renamed into place when
complete, so a crashed build never looks finished. The hash covers the build config,
`TINY_VERSION`, the tasks' and tokenizer's versions and a fingerprint of the generated
data, so any change to them gets a fresh build. It does not cover library versions: a
cached build is reused across torch/transformers upgrades.

CLI: `python -m datagen.tiny.build [--out DIR] [--seed N]`.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from datagen.paths import cache_dir as default_cache_dir
from datagen.tiny import tasks
from datagen.tiny import tokenizer as tiny_tok

TINY_VERSION = "1"  # bump when the training code changes what gets built
METADATA_FILE = "datagen_tiny.json"


@dataclass(frozen=True)
class TinyConfig:
    """Everything that determines a build (all of it goes into the hash)."""

    seed: int = 0
    n_train: int = 17000  # conversations (one epoch)
    task_mix: tuple = tuple(tasks.TASK_MIX.items())  # (task, weight) pairs
    vocab_size: int = 1000
    hidden_size: int = 256
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    head_dim: int = 64  # vLLM's CPU attention needs a supported head size (64)
    intermediate_size: int = 512
    max_position_embeddings: int = 512
    epochs: float = 1.0
    batch_size: int = 16  # examples per optimizer step
    micro_batch_size: int = 8  # examples per forward (padding-free attention cost grows with its square)
    learning_rate: float = 1.2e-3
    adam_beta2: float = 0.95
    warmup: float = 0.04  # ratio of steps
    weight_decay: float = 0.0
    lr_scheduler: str = "cosine_with_min_lr"
    min_lr_rate: float = 0.1
    # False: the prompts' problems and solutions are training text too; measured far better
    # than completion-only loss here (pass@1 0.49 vs 0.31, and saner problems, same budget)
    completion_only_loss: bool = False
    padding_free: bool = True  # flatten each batch into one sequence: no padding, same math
    eval_n: int = 128
    eval_temperature: float = 0.8

    def build_hash(self) -> str:
        return _build_hash(self)


@functools.cache
def _build_hash(cfg: TinyConfig) -> str:
    """Config + versions + a fingerprint of the data the build would train and evaluate on."""
    probe = tasks.training_conversations(300, seed=cfg.seed, mix=dict(cfg.task_mix)) + [
        [{"role": "user", "content": p["question"] + "=" + p["solution"]}]
        for p in tasks.make_problems(50, seed=cfg.seed, split="test")]
    key = {
        "tiny_version": TINY_VERSION,
        "tasks_version": tasks.TASKS_VERSION,
        "config": asdict(cfg),
        "chat_template": tiny_tok.CHAT_TEMPLATE,
        "special_tokens": tiny_tok.SPECIAL_TOKENS,
        "data": hashlib.sha256(json.dumps(probe, sort_keys=True).encode()).hexdigest(),
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]


def _console():
    from rich.console import Console

    return Console(stderr=True)


@contextlib.contextmanager
def _quiet_libraries():
    """No per-map / per-shard tqdm bars from datasets and transformers while building."""
    import datasets.utils.logging as ds_log
    import transformers.utils.logging as tf_log

    was = ds_log.is_progress_bar_enabled(), tf_log.is_progress_bar_enabled()
    ds_log.disable_progress_bar()
    tf_log.disable_progress_bar()
    try:
        yield
    finally:
        if was[0]:
            ds_log.enable_progress_bar()
        if was[1]:
            tf_log.enable_progress_bar()


def _progress_callback(console):
    """A rich progress bar on a terminal; elsewhere (CI logs) a line every tenth of the steps."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
    from transformers import TrainerCallback

    class RichProgress(TrainerCallback):
        loss = float("nan")

        def on_train_begin(self, args, state, control, **kw):
            self.bar = None
            if console.is_terminal:
                self.bar = Progress(TextColumn("[bold]tiny model[/] training"), BarColumn(),
                                    TextColumn("{task.completed}/{task.total} steps, loss {task.fields[loss]}"),
                                    TimeElapsedColumn(), TimeRemainingColumn(), console=console)
                self.task = self.bar.add_task("train", total=state.max_steps, loss="?")
                self.bar.start()

        def on_log(self, args, state, control, logs=None, **kw):
            self.loss = (logs or {}).get("loss", self.loss)

        def on_step_end(self, args, state, control, **kw):
            if self.bar:
                self.bar.update(self.task, completed=state.global_step, loss=f"{self.loss:.3f}")
            elif state.global_step % max(1, state.max_steps // 10) == 0:
                console.log(f"[bold]tiny model[/] step {state.global_step}/{state.max_steps}, loss {self.loss:.3f}")

        def on_train_end(self, args, state, control, **kw):
            if self.bar:
                self.bar.stop()

    return RichProgress()


def _save_tokenizer(tok, out: Path) -> None:
    """Save, then also write the chat template and a portable class name into tokenizer_config.json
    (transformers 5 keeps the template in chat_template.jinja; older loaders read the config)."""
    tok.save_pretrained(out)
    cfg_path = out / "tokenizer_config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg.update(chat_template=tiny_tok.CHAT_TEMPLATE, tokenizer_class="PreTrainedTokenizerFast")
    cfg_path.write_text(json.dumps(cfg, indent=2) + "\n")


def build_tiny_model(out_dir: str | Path, seed: int | None = None, config: TinyConfig | None = None,
                     progress: bool = True) -> dict:
    """Train the tiny model into `out_dir` (created; existing files overwritten). Returns the
    metadata also written to `out_dir/datagen_tiny.json` (written last). `seed` overrides
    `config.seed` (default config: `TinyConfig()`, seed 0)."""
    from datagen.tiny.evaluate import torch_threads

    cfg = config or TinyConfig()
    if seed is not None:
        cfg = replace(cfg, seed=seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with torch_threads(), _quiet_libraries():  # same thread count, same bits (see tiny_threads)
        return _build(cfg, out, progress)


def _build(cfg: TinyConfig, out: Path, progress: bool) -> dict:
    import torch
    from datasets import Dataset
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM
    from transformers.trainer_callback import PrinterCallback
    from trl import SFTConfig, SFTTrainer

    from datagen.tiny import evaluate

    console = _console()
    log = (lambda msg: console.log(f"[bold]tiny model[/] {msg}")) if progress else (lambda msg: None)
    t0 = time.time()
    threads = torch.get_num_threads()
    torch.manual_seed(cfg.seed)

    convs = tasks.training_conversations(cfg.n_train, seed=cfg.seed, mix=dict(cfg.task_mix))
    tok = tiny_tok.train_tokenizer(tiny_tok.corpus_texts(convs), vocab_size=cfg.vocab_size)
    lengths = [len(ids) for ids in tok([tok.apply_chat_template(c, tokenize=False) for c in convs],
                                       add_special_tokens=False)["input_ids"]]
    if max(lengths) > cfg.max_position_embeddings:
        raise ValueError(f"a training conversation has {max(lengths)} tokens, over {cfg.max_position_embeddings}")
    log(f"{len(convs)} conversations ({sum(lengths)} tokens, longest {max(lengths)}), tokenizer of {len(tok)} tokens")

    mconf = LlamaConfig(
        vocab_size=-(-len(tok) // 64) * 64, hidden_size=cfg.hidden_size, intermediate_size=cfg.intermediate_size,
        num_hidden_layers=cfg.num_hidden_layers, num_attention_heads=cfg.num_attention_heads,
        num_key_value_heads=cfg.num_attention_heads, head_dim=cfg.head_dim,
        max_position_embeddings=cfg.max_position_embeddings, tie_word_embeddings=True,
        bos_token_id=None, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
    )
    model = LlamaForCausalLM(mconf).to(torch.float32)
    # Without a KV cache, the SDPA mask builder detects the packed (padding-free) batch from
    # position_ids and masks across examples; with one, examples would attend to each other.
    model.config.use_cache = False
    n_params = sum(p.numel() for p in model.parameters())
    log(f"LlamaForCausalLM with {n_params / 1e6:.2f}M parameters, {threads} torch thread(s)")

    data = Dataset.from_list([{"prompt": c[:-1], "completion": c[-1:]} for c in convs])
    with tempfile.TemporaryDirectory(prefix="datagen-tiny-trainer-") as trainer_dir:
        args = SFTConfig(
            output_dir=trainer_dir, seed=cfg.seed, data_seed=cfg.seed, num_train_epochs=cfg.epochs,
            per_device_train_batch_size=cfg.micro_batch_size,
            gradient_accumulation_steps=max(1, cfg.batch_size // cfg.micro_batch_size), learning_rate=cfg.learning_rate,
            lr_scheduler_type=cfg.lr_scheduler, warmup_steps=cfg.warmup, weight_decay=cfg.weight_decay,
            lr_scheduler_kwargs={"min_lr_rate": cfg.min_lr_rate} if "min_lr" in cfg.lr_scheduler else None,
            adam_beta2=cfg.adam_beta2, max_grad_norm=1.0,
            padding_free=cfg.padding_free,
            max_length=None if cfg.padding_free else cfg.max_position_embeddings, completion_only_loss=cfg.completion_only_loss,
            bf16=False, fp16=False, use_cpu=True, gradient_checkpointing=False, save_strategy="no",
            report_to="none", logging_steps=10, disable_tqdm=True, dataloader_num_workers=0,
        )
        callbacks = [_progress_callback(console)] if progress else []
        trainer = SFTTrainer(model=model, args=args, train_dataset=data, processing_class=tok, callbacks=callbacks)
        trainer.remove_callback(PrinterCallback)  # raw log dicts on stdout; the rich bar shows the loss
        t_train = time.time()
        result = trainer.train()
        train_s = time.time() - t_train
    losses = [round(h["loss"], 4) for h in trainer.state.log_history if "loss" in h]

    model.generation_config = GenerationConfig(eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
                                               bos_token_id=None)
    model.config.use_cache = True
    model.save_pretrained(out)
    _save_tokenizer(tok, out)

    model.eval()
    log(f"trained {result.global_step} steps in {train_s:.0f}s (final loss {losses[-1] if losses else float('nan'):.3f}); evaluating")
    solve = evaluate.solve_pass_at_1(model, tok, n=cfg.eval_n, seed=cfg.seed, temperature=cfg.eval_temperature)
    others = evaluate.task_samples(model, tok, seed=cfg.seed)
    meta = {
        "name": "datagen-tiny",
        "tiny_version": TINY_VERSION,
        "tasks_version": tasks.TASKS_VERSION,
        "build_hash": cfg.build_hash(),
        "config": asdict(cfg),
        "parameters": n_params,
        "train_steps": result.global_step,
        "train_tokens": sum(lengths),
        "longest_example_tokens": max(lengths),
        "train_loss_every_50_steps": losses[::5],
        "train_seconds": round(train_s, 1),
        "build_seconds": round(time.time() - t0, 1),
        "torch_threads": threads,
        "heldout": solve,
        "task_samples": others,
        "library_versions": _versions(),
    }
    (out / METADATA_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    log("sane outputs: " + ", ".join(f"{kind} {r['sane']:.2f}" for kind, r in others.items()))
    log(f"held-out pass@1 {solve['pass@1']:.3f} on {solve['n']} problems; built in {meta['build_seconds']:.0f}s -> {out}")
    return meta


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for pkg in ("torch", "transformers", "trl", "tokenizers"):
        with contextlib.suppress(PackageNotFoundError):
            found[pkg] = version(pkg)
    return found


def ensure_tiny_model(config: TinyConfig | None = None, cache_dir: str | Path | None = None) -> Path:
    """The cached tiny model directory, built on first use (minutes) and reused afterwards."""
    cfg = config or TinyConfig()
    root = Path(cache_dir) if cache_dir else default_cache_dir()
    name = f"tiny-{cfg.build_hash()}"
    final = root / name
    if (final / METADATA_FILE).is_file():
        return final
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f"{name}.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _console().log(f"[bold]tiny model[/] another process is building {final}; waiting")
            fcntl.flock(lock, fcntl.LOCK_EX)
        if (final / METADATA_FILE).is_file():
            return final
        for stale in root.glob(f".{name}-tmp-*"):  # left by crashed builds (we hold the lock)
            shutil.rmtree(stale, ignore_errors=True)
        if final.exists():  # incomplete dir without metadata: never trust it
            shutil.rmtree(final)
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}-tmp-", dir=root))
        try:
            _console().log(f"[bold]tiny model[/] building {final} (first use; takes a few minutes)")
            build_tiny_model(tmp, seed=cfg.seed, config=cfg)
            tmp.chmod(0o755)  # mkdtemp makes it private
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return final


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m datagen.tiny.build", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", help="build into this directory (default: the cache, reused if present)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    cfg = TinyConfig(seed=a.seed)
    if a.out:
        build_tiny_model(a.out, seed=a.seed, config=cfg)
        print(a.out)
    else:
        print(ensure_tiny_model(cfg))
    return 0


if __name__ == "__main__":
    sys.exit(main())
