"""`CachedLLM`: the public `generate(conversations, sampling)` over a backend and the cache.

Sample i of a conversation is drawn with a seed derived from (sampling.seed, hash of the
messages, i), so it is the same sample whatever `n`, batch or order it is asked in, and a
later round can ask for samples k..2k-1 with `first_index=k`. Cached samples are returned
as they are; only misses go to the backend, each completion is stored as soon as the
backend reports it, and failed ones are returned (with their reason) but never stored.

What it does not do: talk to a model (backends do), or retry failures (a backend reports a
request as failed only after its own retries).
"""

from __future__ import annotations

import hashlib
from typing import Callable, Sequence

from datagen.llm.base import Backend, Completion, Conversation, GenerateStats, Request
from datagen.llm.cache import RequestCache, check_no_secrets, messages_hash, request_key
from schemas.sampling import Sampling

Progress = Callable[[int, int], None]  # (samples done, samples asked) -> None


def sample_seed(base_seed: int, messages: Conversation | str, index: int) -> int:
    """The 31-bit seed of sample `index` of `messages` (or of the conversation with that
    `messages_hash`) under `base_seed`: a 30-bit hash of (base_seed, messages) plus `index`.
    Consecutive samples have consecutive seeds, which is exactly how vLLM seeds the children
    of an `n > 1` request, so a backend may send samples i..i+k-1 as one request with
    `n=k, seed=sample_seed(i)` and get the very same samples."""
    if not 0 <= index < 1 << 30:
        raise ValueError(f"sample index {index} out of range")
    sha = messages if isinstance(messages, str) else messages_hash(messages)
    digest = hashlib.sha256(f"{base_seed}:{sha}".encode()).digest()
    return (int.from_bytes(digest[:4], "big") & 0x3FFFFFFF) + index


class CachedLLM:
    """An LLM with the request cache in front: `generate` returns `n` completions per
    conversation (samples first_index .. first_index+n-1), generating only cache misses."""

    def __init__(self, backend: Backend, cache: RequestCache, progress: Progress | bool | None = None):
        check_no_secrets(backend.identity)
        self.backend = backend
        self.cache = cache
        self.progress = progress
        self.stats = GenerateStats()

    @property
    def identity(self) -> dict:
        return self.backend.identity

    def generate(self, conversations: Sequence[Conversation], sampling: Sampling, first_index: int = 0) -> list[list[Completion]]:
        conversations = [list(c) for c in conversations]
        n, sdict = sampling.n, sampling.cache_dict()
        # Every (conversation, sample) slot gets a key; identical prompts share keys and are drawn once.
        slot_keys: list[list[str]] = []
        requests: dict[str, Request] = {}
        for messages in conversations:
            sha, keys = messages_hash(messages), []
            for i in range(first_index, first_index + n):
                seed = sample_seed(sampling.seed, sha, i)
                key = request_key(self.identity, sdict, sha, i, seed)
                keys.append(key)
                requests.setdefault(key, Request(messages=messages, seed=seed))
            slot_keys.append(keys)

        done = self.cache.get_many(requests)
        total = len(conversations) * n
        hits = sum(key in done for keys in slot_keys for key in keys)
        self.stats.requests += total
        self.stats.cache_hits += hits
        misses = [key for key in requests if key not in done]
        report = self._progress_reporter(total)

        def on_done(j: int, completion: Completion) -> None:
            key = misses[j]
            if key in done:  # a backend must report each request once; keep the first
                return
            done[key] = completion
            if completion.ok:
                self.cache.put(key, completion)
                self.stats.generated += 1
                self.stats.prompt_tokens += completion.prompt_tokens
                self.stats.completion_tokens += completion.completion_tokens
                self.stats.cached_prompt_tokens += completion.cached_prompt_tokens
            else:
                self.stats.failed += 1
            report(1)

        try:
            report(hits)
            if misses:
                self.backend.run([requests[k] for k in misses], sampling, on_done)
        finally:
            report(None)
        for key in misses:  # never lose a request, even if a backend forgot to report it
            if key not in done:
                done[key] = Completion.failed("backend reported no result")
                self.stats.failed += 1
        return [[done[key] for key in keys] for keys in slot_keys]

    def _progress_reporter(self, total: int) -> Callable[[int | None], None]:
        """A function taking a count of newly done samples (None = finished)."""
        if not self.progress:
            return lambda k: None
        if callable(self.progress):
            count = 0

            def report(k: int | None) -> None:
                nonlocal count
                if k:
                    count += k
                    self.progress(count, total)

            return report
        from rich.progress import Progress as RichProgress

        bar = RichProgress(transient=True)
        task = bar.add_task(f"generating ({self.identity.get('model')})", total=total)
        bar.start()

        def report_rich(k: int | None) -> None:
            if k is None:
                bar.stop()
            elif k:
                bar.advance(task, k)

        return report_rich

    def close(self) -> None:
        self.backend.close()
