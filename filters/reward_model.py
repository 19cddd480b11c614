"""Reward-model scores: a sequence-classification model (one logit) over prompt + completion.

`RewardModel(path)` loads any Hugging Face `AutoModelForSequenceClassification` with one
label (the usual reward-model head, e.g. Skywork-Reward, ArmoRM's scalar head) and scores
conversations rendered with the model's chat template, in batches, with TRL's reward
signature: `rm(prompts, completions) -> list[float]`. Generators use it for best-of-n and
preference pairs (with RSO acceptance). CUDA when available, else CPU.

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
                enc = self.tokenizer(texts[i:i + self.batch_size], return_tensors="pt", padding=True, truncation=True,
                                     max_length=self.max_length, add_special_tokens=False).to(self.device)
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
