"""Backend on a local Hugging Face `AutoModelForCausalLM` (CUDA if available, else CPU).

One request at a time, with a plain decode loop over the KV cache: the prompt is the
model's chat template, each token is drawn with a `torch.Generator` seeded by the
request's seed (so a seed always gives the same completion on the same device), with
temperature and top-p; generation ends at an end-of-sequence token (`stop`), a stop
string (`stop`, text cut before it), `max_tokens` or the context length (`length`).
Logprobs are those of the chosen tokens under the unmodified model distribution. A sampling
with `json_schema` (structured outputs) is held to it: xgrammar compiles the schema for the
tokenizer (compact JSON, once per schema), and at each step the tokens the grammar cannot take
are masked out before sampling, as vLLM's structured outputs do.

What it does not do: batching, speculative tricks or anything fast; use vLLM for volume.
"""

from __future__ import annotations

import contextlib
from typing import Sequence

from datagen.llm.base import Completion, OnDone, Request
from schemas.models import ModelSpec
from schemas.sampling import Sampling


class TransformersBackend:
    def __init__(self, spec: ModelSpec, model_path: str | None = None, identity: dict | None = None):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.spec = spec
        path = model_path or spec.model
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.dtype = "float32" if (self.device == "cpu" and spec.dtype == "auto") else spec.dtype
        kwargs = {"revision": spec.revision} if spec.revision else {}
        self.tokenizer = AutoTokenizer.from_pretrained(path, **kwargs)
        torch_dtype = self.dtype if self.dtype == "auto" else getattr(torch, self.dtype)
        with no_load_bars(path):
            self.model = AutoModelForCausalLM.from_pretrained(path, dtype=torch_dtype, **kwargs, **spec.engine_args)
        self.model.to(self.device).eval()
        eos = self.model.generation_config.eos_token_id
        eos = [] if eos is None else ([eos] if isinstance(eos, int) else list(eos))
        if self.tokenizer.eos_token_id is not None:
            eos.append(self.tokenizer.eos_token_id)
        self.eos_ids = set(eos)
        self.max_len = spec.max_model_len or getattr(self.model.config, "max_position_embeddings", None)
        self.identity = {"backend": "transformers", "model": path, "revision": spec.revision, "dtype": self.dtype, **(identity or {})}
        self._grammars: dict[str, object] = {}

    def _matcher(self, schema: dict | None, vocab: int):
        """An xgrammar matcher for one completion held to `schema` (None without one)."""
        if schema is None:
            return None
        import json

        import xgrammar as xgr

        key = json.dumps(schema, sort_keys=True)
        if key not in self._grammars:
            if not self._grammars:
                self._compiler = xgr.GrammarCompiler(xgr.TokenizerInfo.from_huggingface(self.tokenizer, vocab_size=vocab))
            self._grammars[key] = self._compiler.compile_json_schema(json.dumps(schema), any_whitespace=False)
        return xgr.GrammarMatcher(self._grammars[key])

    def run(self, requests: Sequence[Request], sampling: Sampling, on_done: OnDone) -> None:
        for j, request in enumerate(requests):
            try:
                completion = self.generate_one(request, sampling)
            except Exception as e:
                completion = Completion.failed(f"transformers: {type(e).__name__}: {e}"[:500])
            on_done(j, completion)

    def generate_one(self, request: Request, sampling: Sampling) -> Completion:
        import torch

        prompt = self.tokenizer.apply_chat_template(
            request.messages, add_generation_prompt=True, tokenize=True, return_dict=True, **self.spec.chat_template_kwargs
        )["input_ids"]
        budget = sampling.max_tokens
        if self.max_len:
            budget = min(budget, self.max_len - len(prompt))
            if budget <= 0:
                return Completion.failed(f"prompt of {len(prompt)} tokens does not fit the context ({self.max_len})")
        gen = torch.Generator(device=self.device).manual_seed(request.seed)
        tokens: list[int] = []  # the completion's text tokens (no end-of-sequence token)
        count = 0
        logprobs: list[float] = []
        finish, text = "length", None
        ids = torch.tensor([prompt], device=self.device)
        past = None
        matcher = mask = None
        with torch.inference_mode():
            for _ in range(budget):
                out = self.model(input_ids=ids, past_key_values=past, use_cache=True)
                past = out.past_key_values
                logits = out.logits[0, -1].float()
                raw = logits
                if sampling.json_schema is not None:
                    import xgrammar as xgr

                    if matcher is None:
                        matcher = self._matcher(sampling.json_schema, logits.shape[-1])
                        mask = xgr.allocate_token_bitmask(1, logits.shape[-1])
                    matcher.fill_next_token_bitmask(mask)
                    logits = logits.clone().unsqueeze(0)
                    xgr.apply_token_bitmask_inplace(logits, mask.to(logits.device))
                    logits = logits[0]
                token = sample_token(logits, sampling.temperature, sampling.top_p, gen)
                count += 1  # like vLLM, the end-of-sequence token counts (and has a logprob)
                if sampling.logprobs is not None:
                    logprobs.append(float(torch.log_softmax(raw, -1)[token]))
                if matcher is not None:
                    matcher.accept_token(token)
                if token in self.eos_ids or (matcher is not None and matcher.is_terminated()):
                    finish = "stop"
                    break
                tokens.append(token)
                if sampling.stop:
                    decoded = self.tokenizer.decode(tokens, skip_special_tokens=True)
                    cut = min((i for i in (decoded.find(s) for s in sampling.stop) if i >= 0), default=-1)
                    if cut >= 0:
                        finish, text = "stop", decoded[:cut]
                        break
                ids = torch.tensor([[token]], device=self.device)
        if text is None:
            text = self.tokenizer.decode(tokens, skip_special_tokens=True)
        return Completion(
            text=text,
            finish_reason=finish,
            prompt_tokens=len(prompt),
            completion_tokens=count,
            logprobs=logprobs if sampling.logprobs is not None else None,
        )

    def close(self) -> None:
        self.model = None


@contextlib.contextmanager
def no_load_bars(path: str):
    """transformers' "Loading weights" bar off while a model loads from a local directory
    (unless -v); from the Hub the download bars stay."""
    from pathlib import Path

    from transformers.utils import logging as tf_log

    from datagen.progress import verbose

    was = tf_log.is_progress_bar_enabled()
    if was and not verbose() and Path(path).is_dir():
        tf_log.disable_progress_bar()
    try:
        yield
    finally:
        if was and not tf_log.is_progress_bar_enabled():
            tf_log.enable_progress_bar()


def sample_token(logits, temperature: float, top_p: float, gen) -> int:
    """Greedy at temperature 0, else a draw from the temperature-scaled, top-p-truncated distribution."""
    import torch

    if temperature == 0:
        return int(torch.argmax(logits))
    probs = torch.softmax(logits / temperature, -1)
    if top_p < 1.0:
        sorted_probs, order = torch.sort(probs, descending=True)
        keep = torch.cumsum(sorted_probs, -1) - sorted_probs < top_p  # always keeps the top token
        probs = torch.zeros_like(probs).scatter(0, order[keep], sorted_probs[keep])
    return int(torch.multinomial(probs, 1, generator=gen))
