"""Reward-model scores: a sequence-classification model (one logit) over prompt + completion.

`RewardModel(path)` loads any Hugging Face `AutoModelForSequenceClassification` with one
label (the usual reward-model head, e.g. Skywork-Reward, ArmoRM's scalar head) and scores
conversations rendered with the model's chat template, in batches, with TRL's reward
signature: `rm(prompts, completions) -> list[float]`. Generators use it for best-of-n and
preference pairs (with RSO acceptance). CUDA when available, else CPU.

`RewardModelFilter` (`type: reward_model`) is the filter stage: it scores each row's
(prompt, completion), keeps rows scoring >= `threshold` (`below_threshold`) and, with
`top_fraction`, only the best ceil(fraction x n) rows of each prompt (`not_top`; rows are
grouped by their prompt column, ties broken by row order).

What it does not do: train reward models, or multi-objective heads (the first logit is used).
"""

from __future__ import annotations


class RewardModel:
    version = "1"

    def __init__(self, path: str, batch_size: int = 16, max_length: int = 2048):
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.name = f"reward_model:{path}"
        self.path = path
        self.batch_size = batch_size
        self.max_length = max_length
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=1).to(self.device).eval()
        if self.model.config.pad_token_id is None:
            self.model.config.pad_token_id = self.tokenizer.pad_token_id

    def texts(self, prompts, completions) -> list[str]:
        from filters.verify import completion_text

        out = []
        for p, c in zip(prompts, completions, strict=True):
            conv = list(p) if isinstance(p, list) else [{"role": "user", "content": str(p)}]
            conv.append({"role": "assistant", "content": completion_text(c)})
            out.append(self.tokenizer.apply_chat_template(conv, tokenize=False))
        return out

    def __call__(self, prompts, completions, **_) -> list[float]:
        import torch

        texts = self.texts(prompts, completions)
        self.tokenizer.padding_side = "right"
        scores: list[float] = []
        with torch.inference_mode():
            for i in range(0, len(texts), self.batch_size):
                enc = self.tokenizer(
                    texts[i : i + self.batch_size],
                    return_tensors="pt",
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    add_special_tokens=False,
                ).to(self.device)
                logits = self.model(**enc).logits[:, 0]
                scores.extend(float(x) for x in logits.float().cpu())
        return scores


_LOADED: dict[str, RewardModel] = {}


def load_reward_model(path: str) -> RewardModel:
    """One loaded copy per path per process."""
    if path not in _LOADED:
        _LOADED[path] = RewardModel(path)
    return _LOADED[path]


def score_groups(path: str, convs: list, groups: list[list]) -> list[list[float | None]]:
    """Reward scores for groups of candidates (objects with `.ok` and `.text`), one group per
    conversation, in one batched pass; None for candidates that failed."""
    rm = load_reward_model(path)
    flat = [(j, i, c) for j, cs in enumerate(groups) for i, c in enumerate(cs) if c.ok]
    scores = rm([convs[j] for j, _, _ in flat], [c.text for _, _, c in flat]) if flat else []
    out: list[list[float | None]] = [[None] * len(cs) for cs in groups]
    for (j, i, _), s in zip(flat, scores, strict=True):
        out[j][i] = s
    return out


def _weights_fingerprint(path: str) -> str | None:
    """For a local model directory: a digest of its config and its files' names, sizes and
    modification times (so retrained weights change the stage key without hashing gigabytes;
    a copied directory recomputes once); None for a Hub id."""
    from pathlib import Path

    from datagen.hashing import digest

    root = Path(path)
    if not root.is_dir():
        return None
    files = sorted((str(f.relative_to(root)), f.stat().st_size, f.stat().st_mtime_ns) for f in root.rglob("*") if f.is_file())
    config = root / "config.json"
    return digest({"files": files, "config": config.read_text() if config.is_file() else None})


class RewardModelFilter:
    """Filter stage `reward_model`: see the module docstring."""

    scope = "shard"

    def __init__(self, spec, ctx=None):
        self.spec = spec
        self.field = getattr(ctx, "field", "stage")

    def report(self) -> None:
        return None

    def describe(self) -> dict:
        spec = self.spec
        return {
            "filter": "reward_model",
            "version": RewardModel.version,
            "reward_model": spec.reward_model,
            "weights": _weights_fingerprint(spec.reward_model),
        }

    def __call__(self, ds):
        import polars as pl

        from datagen.errors import UserError
        from datagen.verdict import Verdict

        spec = self.spec
        for name, col in (("column", spec.column), ("prompt_column", spec.prompt_column)):
            if col not in ds.column_names:
                raise UserError(f"{self.field}.{name}: no column {col!r} (columns: {', '.join(ds.column_names)})")
        df = ds.to_polars() if hasattr(ds, "to_polars") else ds
        scores: list[float] = []
        if len(ds):  # no model load for an empty shard
            rm = load_reward_model(spec.reward_model)
            scores = rm(ds[spec.prompt_column], ds[spec.column])
        frame = df.select(pl.col(spec.prompt_column).hash(seed=0).alias("_g")).with_columns(
            pl.Series("_s", scores, dtype=pl.Float64)
        )
        below = pl.lit(False) if spec.threshold is None else pl.col("_s") < spec.threshold
        not_top = pl.lit(False)
        if spec.top_fraction is not None:
            rank = pl.col("_s").rank("ordinal", descending=True).over("_g")
            quota = (pl.len().over("_g") * spec.top_fraction - 1e-9).ceil().clip(lower_bound=1)
            not_top = rank > quota
        reason = pl.coalesce(pl.when(below).then(pl.lit("below_threshold")), pl.when(not_top).then(pl.lit("not_top")))
        reasons = frame.select(reason.cast(pl.String).alias("reason")).to_series()
        return Verdict(
            keep=reasons.is_null(),
            reason=reasons,
            score=scores,
            name=f"reward_model:{spec.reward_model}",
            version=RewardModel.version,
        )
