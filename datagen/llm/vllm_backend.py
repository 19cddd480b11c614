"""Backend on vLLM's offline engine (`vllm.LLM`), GPU or the CPU build.

Conversations are formatted by `LLM.chat` with the model's chat template; every request
gets its own `SamplingParams(n=1, seed=request.seed)`. Requests go to the engine in
batches of `spec.batch_size` and each batch is reported (and so cached) as soon as it
finishes. If a batch is refused as a whole (a prompt longer than the context, say), its
requests are retried one by one so only the bad ones are reported failed.

On CPU: `dtype: auto` means float32, `VLLM_CPU_KVCACHE_SPACE` defaults to 2 (GiB), the
engine runs eager (no torch.compile warm-up) and chunked prefill is off (with per-request
seeds it crashes the CPU worker in vLLM 0.32), unless `engine_args` says otherwise.
vLLM starts its engine in a spawned process, so a script that uses this backend needs the
usual `if __name__ == "__main__":` guard.

What it does not do: data parallelism in one process (vLLM refuses it offline; serve the
model with `vllm serve --data-parallel-size N` and use the openai backend instead).
"""

from __future__ import annotations

import os
from typing import Sequence

from datagen.llm.base import Completion, OnDone, Request
from schemas.models import ModelSpec
from schemas.sampling import Sampling


class VLLMBackend:
    def __init__(self, spec: ModelSpec, model_path: str | None = None, identity: dict | None = None):
        os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "2")
        if spec.data_parallel_size > 1:
            raise ValueError(
                "vllm offline engine: data_parallel_size > 1 is not supported in one process; "
                "run `vllm serve MODEL --data-parallel-size N` and use backend: openai"
            )
        from vllm import LLM
        from vllm.platforms import current_platform

        self.spec = spec
        self.model_path = model_path or spec.model
        on_cpu = current_platform.is_cpu()
        self.dtype = "float32" if (on_cpu and spec.dtype == "auto") else spec.dtype
        kwargs = dict(
            model=self.model_path,
            dtype=self.dtype,
            tensor_parallel_size=spec.tensor_parallel_size,
            gpu_memory_utilization=spec.gpu_memory_utilization,
        )
        if spec.revision:
            kwargs["revision"] = spec.revision
        if spec.max_model_len:
            kwargs["max_model_len"] = spec.max_model_len
        if on_cpu:
            kwargs["enforce_eager"] = True
            # vLLM 0.32 CPU: a seeded request whose prompt is split by chunked prefill
            # crashes the worker ("CPU Generator does not use offset"); prefill whole prompts.
            kwargs["enable_chunked_prefill"] = False
        kwargs.update(spec.engine_args)
        self.llm = LLM(**kwargs)
        self.identity = {"backend": "vllm", "model": self.model_path, "revision": spec.revision, "dtype": self.dtype, **(identity or {})}

    def params(self, request: Request, sampling: Sampling):
        from vllm import SamplingParams

        return SamplingParams(
            n=1,
            seed=request.seed,
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            max_tokens=sampling.max_tokens,
            stop=list(sampling.stop) or None,
            logprobs=sampling.logprobs,
        )

    def run(self, requests: Sequence[Request], sampling: Sampling, on_done: OnDone) -> None:
        size = self.spec.batch_size
        for start in range(0, len(requests), size):
            batch = list(enumerate(requests[start : start + size], start))
            try:
                outputs = self._chat([r for _, r in batch], sampling)
            except Exception:  # refused as a whole: run one by one so only the bad ones fail
                for j, request in batch:
                    self._run_one(j, request, sampling, on_done)
                continue
            for (j, _), output in zip(batch, outputs, strict=False):
                on_done(j, to_completion(output, want_logprobs=sampling.logprobs is not None))

    def _run_one(self, j: int, request: Request, sampling: Sampling, on_done: OnDone) -> None:
        try:
            (output,) = self._chat([request], sampling)
            completion = to_completion(output, want_logprobs=sampling.logprobs is not None)
        except Exception as e:
            completion = Completion.failed(f"vllm: {type(e).__name__}: {e}"[:500])
        on_done(j, completion)

    def _chat(self, requests: Sequence[Request], sampling: Sampling):
        return self.llm.chat(
            [r.messages for r in requests],
            [self.params(r, sampling) for r in requests],
            use_tqdm=False,
            chat_template_kwargs=self.spec.chat_template_kwargs or None,
        )

    def close(self) -> None:
        llm, self.llm = getattr(self, "llm", None), None
        if llm is not None:
            engine_core = getattr(llm.llm_engine, "engine_core", None)
            if engine_core is not None:
                engine_core.shutdown()
            del llm


def to_completion(output, want_logprobs: bool) -> Completion:
    """A vLLM RequestOutput (n=1) -> Completion, with the chosen tokens' logprobs if asked."""
    sample = output.outputs[0]
    logprobs = None
    if want_logprobs and sample.logprobs is not None:
        logprobs = [float(step[token].logprob) for token, step in zip(sample.token_ids, sample.logprobs, strict=False)]
    return Completion(
        text=sample.text,
        finish_reason=sample.finish_reason or "stop",
        prompt_tokens=len(output.prompt_token_ids or []),
        completion_tokens=len(sample.token_ids),
        logprobs=logprobs,
    )
