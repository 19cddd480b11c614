"""Backend on vLLM's offline engine (`vllm.LLM`), GPU or the CPU build.

Conversations are rendered with the model's chat template (as `LLM.chat` does) and
streamed into the engine (`LLMEngine.add_request` / `step`): at most `spec.batch_size`
samples in flight, topped up as requests finish, each finished request reported (and so
cached) at once — the engine never drains between batches, and a crash loses only what was
in flight. Consecutive samples of one conversation go as one `n=k` request (vLLM seeds its
children seed, seed+1, ..., exactly the seeds of the separate samples). A prompt the engine
refuses (longer than the context, say) fails alone.

On CPU: `dtype: auto` means float32, `VLLM_CPU_KVCACHE_SPACE` defaults to 2 (GiB), the
engine runs eager (no torch.compile warm-up) and chunked prefill is off (with per-request
seeds it crashes the CPU worker in vLLM 0.32), unless `engine_args` says otherwise.
On CPU with one worker (tensor parallel 1) the engine core runs in this process
(`VLLM_ENABLE_V1_MULTIPROCESSING=0` unless set): it starts in about 3 s instead of 30 (no
two more processes importing torch and vLLM), nothing is orphaned when datagen is stopped,
and the rows are the same (an engine on one CPU worker gains nothing from overlapping its
scheduler with the model). Elsewhere vLLM starts its engine in a spawned process, so a
script that uses this backend needs the usual `if __name__ == "__main__":` guard.

What it does not do: data parallelism in one process (vLLM refuses it offline; serve the
model with `vllm serve --data-parallel-size N` and use the openai backend instead).
"""

from __future__ import annotations

import contextlib
import itertools
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
            if spec.tensor_parallel_size == 1:
                os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
            kwargs["enforce_eager"] = True
            # vLLM 0.32 CPU: a seeded request whose prompt is split by chunked prefill
            # crashes the worker ("CPU Generator does not use offset"); prefill whole prompts.
            kwargs["enable_chunked_prefill"] = False
        from datagen.progress import verbose

        if not verbose():
            kwargs["use_tqdm_on_load"] = False  # "Loading safetensors checkpoint shards" bars; -v shows them
        # structured outputs (a stage's `output_schema`): llguidance, compact JSON (no free
        # whitespace between tokens: a small model otherwise pads with it until max_tokens)
        kwargs["structured_outputs_config"] = {"backend": "guidance", "disable_any_whitespace": True}
        kwargs.update(spec.engine_args)
        self.llm = LLM(**kwargs)
        self._ids = itertools.count()
        self.identity = {"backend": "vllm", "model": self.model_path, "revision": spec.revision, "dtype": self.dtype, **(identity or {})}

    def params(self, request: Request, sampling: Sampling, n: int = 1):
        from vllm import SamplingParams

        structured = None
        if sampling.json_schema is not None:  # constrained decoding (vLLM's structured outputs, its grammar backend)
            from vllm.sampling_params import StructuredOutputsParams

            structured = StructuredOutputsParams(json=sampling.json_schema)
        return SamplingParams(
            n=n,
            seed=request.seed,
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            max_tokens=sampling.max_tokens,
            stop=list(sampling.stop) or None,
            logprobs=sampling.logprobs,
            structured_outputs=structured,
        )

    def run(self, requests: Sequence[Request], sampling: Sampling, on_done: OnDone) -> None:
        """Stream requests through the engine: up to `batch_size` samples in flight, topped up
        as requests finish, and each finished request reported (so cached) at once."""
        from vllm.sampling_params import RequestOutputKind

        engine = self.llm.llm_engine
        groups = iter(_siblings(list(enumerate(requests))))
        pending: dict[str, list[tuple[int, Request]]] = {}
        internal: dict[str, str] = {}  # our id -> the engine's (for abort)
        in_flight = 0
        want = sampling.logprobs is not None

        def top_up() -> None:
            nonlocal in_flight
            while in_flight < self.spec.batch_size:
                group = next(groups, None)
                if group is None:
                    return
                try:
                    params = self.params(group[0][1], sampling, len(group))
                    params.output_kind = RequestOutputKind.FINAL_ONLY
                    rid = f"datagen-{next(self._ids)}"  # outputs come back under this (external) id
                    internal[rid] = engine.add_request(rid, {"prompt_token_ids": self._prompt_ids(group[0][1])}, params)
                except Exception as e:  # a prompt the engine refuses (too long, ...) fails alone
                    for j, _ in group:
                        on_done(j, Completion.failed(f"vllm: {type(e).__name__}: {e}"[:500]))
                    continue
                pending[rid] = group
                in_flight += len(group)

        try:
            top_up()
            while pending:
                if not engine.has_unfinished_requests():
                    raise RuntimeError(f"engine idle with {len(pending)} requests unreported")
                for output in engine.step():
                    group = pending.pop(output.request_id, None) if output.finished else None
                    if group is None:
                        continue
                    in_flight -= len(group)
                    for (j, _), sample in zip(group, sorted(output.outputs, key=lambda o: o.index), strict=True):
                        on_done(j, to_completion(output, sample, want))
                top_up()
        except Exception as e:  # the engine died: everything not reported fails, with the reason
            reason = f"vllm: {type(e).__name__}: {e}"[:500]
            if pending:
                with contextlib.suppress(Exception):
                    engine.abort_request([internal.get(r, r) for r in pending])
            for group in [*pending.values(), *groups]:
                for j, _ in group:
                    on_done(j, Completion.failed(reason))

    def _prompt_ids(self, request: Request) -> list[int]:
        """The chat template rendered and tokenized as `LLM.chat` does (no extra special tokens)."""
        tok = self.llm.get_tokenizer()
        text = tok.apply_chat_template(request.messages, tokenize=False, add_generation_prompt=True, **(self.spec.chat_template_kwargs or {}))
        return tok.encode(text, add_special_tokens=False)

    def close(self) -> None:
        llm, self.llm = getattr(self, "llm", None), None
        if llm is not None:
            engine_core = getattr(llm.llm_engine, "engine_core", None)
            if engine_core is not None:
                engine_core.shutdown()
            del llm


def _siblings(batch: list[tuple[int, Request]]) -> list[list[tuple[int, Request]]]:
    """Group consecutive requests for the same messages with consecutive seeds: vLLM draws
    child i of an `n=k, seed=s` request with seed s+i, so one such request gives exactly the
    samples the k separate requests would, with one prompt rendered and prefilled."""
    groups: list[list[tuple[int, Request]]] = []
    for j, r in batch:
        last = groups[-1][-1][1] if groups else None
        if last is not None and r.seed == last.seed + 1 and r.messages == last.messages:
            groups[-1].append((j, r))
        else:
            groups.append([(j, r)])
    return groups


def to_completion(output, sample, want_logprobs: bool) -> Completion:
    """One sample of a vLLM RequestOutput -> Completion, with the chosen tokens' logprobs if asked."""
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
