"""Map a `TrainSpec` onto TRL's config class for its method (`SFTConfig`, `DPOConfig`,
`GRPOConfig`). Precision `auto` is bf16 on a CUDA device that supports it, else fp32; fp16
and bf16 on a CPU are refused (the CPU path is fp32). `trl:` fields are checked against the
config class, so a misspelt field is an error naming it, not a silently ignored key."""

from __future__ import annotations

import dataclasses

from datagen.errors import UserError

CLASSES = {"sft": "SFTConfig", "dpo": "DPOConfig", "grpo": "GRPOConfig"}


def config_class(method: str):
    import trl

    return getattr(trl, CLASSES[method])


def precision(spec) -> dict:
    import torch

    cuda = torch.cuda.is_available()
    want = spec.precision
    if want == "auto":
        want = "bf16" if cuda and torch.cuda.is_bf16_supported() else "fp32"
    if want in ("bf16", "fp16") and not cuda:
        raise UserError(f"precision: {want} needs a CUDA GPU; on a CPU use fp32 (or auto)")
    return {"bf16": want == "bf16", "fp16": want == "fp16", "use_cpu": not cuda, "_dtype": want}


def trl_config(spec, out_dir: str):
    """The TRL config object, and the precision chosen."""
    cls = config_class(spec.method)
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(spec.trl) - fields)
    if unknown:
        raise UserError(f"trl.{unknown[0]}: not a field of trl.{cls.__name__} (TRL {__import__('trl').__version__})")
    prec = precision(spec)
    dtype = prec.pop("_dtype")
    kw = dict(
        output_dir=out_dir, seed=spec.seed, data_seed=spec.seed, num_train_epochs=spec.epochs, max_steps=spec.max_steps,
        learning_rate=spec.learning_rate, lr_scheduler_type=spec.lr_scheduler, warmup_steps=spec.warmup_ratio,
        per_device_train_batch_size=spec.batch_size, gradient_accumulation_steps=spec.grad_accum,
        save_strategy="steps", save_steps=spec.save_steps,
        save_total_limit=spec.save_total_limit, logging_steps=spec.logging_steps, report_to="none",
        dataloader_num_workers=0, disable_tqdm=True, **prec,
    )
    if spec.gradient_checkpointing is not None:
        kw["gradient_checkpointing"] = spec.gradient_checkpointing
    if spec.eval_split:
        kw.update(eval_strategy="steps", eval_steps=spec.save_steps, per_device_eval_batch_size=spec.batch_size)
    if spec.method == "sft":
        kw.update(max_length=spec.max_length, packing=spec.packing)
        if spec.completion_only_loss is not None:
            kw["completion_only_loss"] = spec.completion_only_loss
    elif spec.method == "dpo":
        kw.update(max_length=spec.max_length, beta=spec.beta)
    else:
        kw.update(num_generations=spec.num_generations, max_completion_length=spec.max_completion_length,
                  temperature=spec.temperature, use_vllm=spec.use_vllm)
        if spec.use_vllm:
            kw["vllm_mode"] = "colocate"
        # a GRPO batch must hold whole groups of generations
        if (spec.batch_size * spec.grad_accum) % spec.num_generations:
            raise UserError(f"batch_size x grad_accum ({spec.batch_size} x {spec.grad_accum}) must be a multiple of "
                            f"num_generations ({spec.num_generations}) for GRPO")
    kw.update(spec.trl)
    try:
        return cls(**kw), dtype
    except (TypeError, ValueError) as e:
        raise UserError(f"train: TRL rejected the config: {e}") from None
