"""The LLM interface every backend implements, and the value types it moves.

`Backend.run` executes single-sample requests (each with its own seed) and reports each
completion as it finishes; `datagen.llm.cached.CachedLLM` turns that into the public
`generate(conversations, sampling) -> list[list[Completion]]`, with the request cache in
front. Backends never see the cache, and nothing here knows about datasets.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Callable, Protocol, Sequence

from schemas.sampling import Sampling

Message = dict  # {"role": "system"|"user"|"assistant", "content": str}
Conversation = list[Message]


@dataclass(frozen=True)
class Request:
    """One sample to draw: a conversation and the seed for this sample."""

    messages: Conversation
    seed: int


@dataclass
class Completion:
    """One sampled completion, or the reason it could not be produced (`error`)."""

    text: str
    finish_reason: str  # "stop" | "length" | "error" | backend-specific
    prompt_tokens: int = 0
    completion_tokens: int = 0
    logprobs: list[float] | None = None  # chosen-token logprobs, when asked for
    cached_prompt_tokens: int = 0  # prompt tokens the API read from its own prompt cache (billed at its cache-read price)
    error: str | None = None  # set when the request finally failed; never cached

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Completion":
        return cls(**d)

    @classmethod
    def failed(cls, reason: str) -> "Completion":
        return cls(text="", finish_reason="error", error=reason)


OnDone = Callable[[int, Completion], None]


class Backend(Protocol):
    """A model behind some engine. `identity` names it for the cache and for lineage
    (backend, model, revision); it must never contain a secret."""

    identity: dict

    def run(self, requests: Sequence[Request], sampling: Sampling, on_done: OnDone) -> None:
        """Draw one completion per request (sampling.n is ignored; the seed is the request's)
        and call `on_done(index_in_requests, completion)` as each one finishes. A request
        that finally fails is reported as `Completion.failed(reason)`, never raised."""
        ...

    def close(self) -> None: ...


@dataclass
class GenerateStats:
    """Counters a CachedLLM keeps across calls (for manifests and benchmarks)."""

    requests: int = 0
    cache_hits: int = 0
    generated: int = 0
    failed: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_prompt_tokens: int = 0
    extra: dict = field(default_factory=dict)


def model_label(identity: dict) -> str:
    """`backend:model@revision` for lineage and verdict names, from a pool identity."""
    label = f"{identity.get('backend')}:{identity.get('model')}"
    rev = identity.get("revision") or identity.get("build")
    return f"{label}@{rev}" if rev else label
