"""Backend for any OpenAI-compatible chat server (vLLM, SGLang, llama.cpp, hosted APIs).

Requests go out over one httpx connection pool from `max_concurrency` async workers, each
with a per-request timeout. 429, 408/409/425, 5xx, timeouts and connection errors are
retried up to `max_retries` times with exponential backoff and full jitter, waiting at
least what `Retry-After` / `retry-after-ms` asks (every wait is capped at `backoff_max_s`).
A 200 with an unreadable body is retried too; other 4xx fail at once. A request that
still fails is reported as `Completion.failed(reason)`; nothing raises.

A server that refuses connections (not started, or it died: then in-flight requests saw it
close the connection first) is named in the reason: `connection error (ConnectError):
server at URL unreachable (...) after N retries`, which is what the engine's "all requests
failed" check then reports. Once one request has spent its retries on a refused connection,
the others of the same run stop retrying blindly: each still tries (a server that is back
clears the state) but fails at its next refused connection instead of backing off again.

The API key is read from the environment variable named by `api_key_env`; it is sent as a
bearer token and nowhere else: not in the identity, not in logs, not in failure reasons.
The server's address is not part of the identity either: the same model served elsewhere
shares cache entries.

With `batch: true` the requests go through the OpenAI Batch API instead (half price on the
hosted API, results within a day; resumable): see datagen/llm/openai_batch.py.

What it does not do: streaming, tool calls, or `n > 1` per request (each sample is its
own request with its own seed, which is what makes samples cacheable one by one).
"""

from __future__ import annotations

import asyncio
import email.utils
import os
import random
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Sequence

from datagen.llm.base import Completion, OnDone, Request
from schemas.models import ModelSpec
from schemas.sampling import Sampling

RETRY_STATUS = {408, 409, 425, 429}


class OpenAIBackend:
    def __init__(self, spec: ModelSpec, model: str | None = None, identity: dict | None = None):
        if not spec.base_url:
            raise ValueError("backend 'openai' needs base_url (e.g. http://127.0.0.1:8000/v1)")
        self.spec = spec
        self.model = model or spec.model
        if not self.model:
            raise ValueError("backend 'openai' needs the served model name in `model`")
        self._api_key = None
        if spec.api_key_env:
            self._api_key = os.environ.get(spec.api_key_env)
            if not self._api_key:
                raise ValueError(f"environment variable {spec.api_key_env} (api_key_env) is not set")
        self.identity = {"backend": "openai", "model": self.model, "revision": spec.revision, **(identity or {})}
        self.retries = 0  # retries done so far (for tests and benchmarks)
        self.json_mode = "json_schema"  # `response_format` for a json_schema; "json_object" once a server refused json_schema

    # -- sync entry points ------------------------------------------------------------
    def run(self, requests: Sequence[Request], sampling: Sampling, on_done: OnDone) -> None:
        if self.spec.batch:  # through the Batch API; what it cannot batch comes back to run_direct
            from datagen.llm.openai_batch import BatchRunner

            BatchRunner(self).run(requests, sampling, on_done)
            return
        self.run_direct(requests, sampling, on_done)

    def run_direct(self, requests: Sequence[Request], sampling: Sampling, on_done: OnDone) -> None:
        """One chat-completions request per Request (never through the Batch API)."""
        work = self._run_all(requests, sampling, on_done)
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # the usual case: plain sync code, in any thread
            asyncio.run(work)
            return
        # Called from code that already runs an event loop here: run ours in a thread of its own.
        with ThreadPoolExecutor(1, thread_name_prefix="datagen-openai") as pool:
            pool.submit(asyncio.run, work).result()

    def close(self) -> None:
        pass

    # -- async internals --------------------------------------------------------------
    async def _run_all(self, requests: Sequence[Request], sampling: Sampling, on_done: OnDone) -> None:
        import httpx

        width = min(self.spec.max_concurrency, max(1, len(requests)))
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        limits = httpx.Limits(max_connections=width, max_keepalive_connections=width)
        base = self.spec.base_url.rstrip("/") + "/"
        async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=None) as client:
            pending = iter(enumerate(requests))
            down = _ServerState()

            async def worker() -> None:
                for j, request in pending:  # a shared iterator: each request is taken once
                    try:
                        completion = await self._one(client, request, sampling, down)
                    except Exception as e:  # a bug or odd reply must not sink the run
                        completion = Completion.failed(self._redact(f"{type(e).__name__}: {e}"))
                    on_done(j, completion)

            await asyncio.gather(*(worker() for _ in range(width)))

    def payload(self, request: Request, sampling: Sampling) -> dict:
        body = {
            "model": self.model,
            "messages": request.messages,
            "n": 1,
            "seed": request.seed,
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "max_tokens": sampling.max_tokens,
        }
        if sampling.stop:
            body["stop"] = list(sampling.stop)
        if sampling.logprobs is not None:
            body["logprobs"] = True
            body["top_logprobs"] = sampling.logprobs
        if self.spec.chat_template_kwargs:
            body["chat_template_kwargs"] = self.spec.chat_template_kwargs
        if sampling.json_schema is not None:  # structured output; the stage validates what comes back either way
            body["response_format"] = ({"type": "json_schema", "json_schema": {"name": "output", "schema": sampling.json_schema, "strict": True}}
                                       if self.json_mode == "json_schema" else {"type": "json_object"})
        return body

    async def _one(self, client, request: Request, sampling: Sampling, down: "_ServerState | None" = None) -> Completion:
        import httpx

        spec = self.spec
        down = down if down is not None else _ServerState()
        body = self.payload(request, sampling)
        reason = "no attempt made"
        closed = False  # did the server close a connection on this request?
        for attempt in range(spec.max_retries + 1):
            if attempt:
                self.retries += 1
            retry_after, refused = None, False
            try:
                response = await asyncio.wait_for(client.post("chat/completions", json=body), spec.timeout_s)
            except asyncio.TimeoutError:
                reason = f"timeout after {spec.timeout_s:g}s"
            except httpx.ConnectError as e:  # refused: nothing listens (any more) at base_url
                reason, refused = self._unreachable(e, closed), True
                if down.reason and attempt < spec.max_retries:  # another request already spent its retries on it
                    return Completion.failed(f"{reason} after {attempt} retries (stopped early: other requests to it "
                                             f"had already failed after {spec.max_retries} retries)")
            except httpx.TransportError as e:
                closed = closed or isinstance(e, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError))
                reason = f"connection error ({type(e).__name__})"
            else:
                down.reason = None  # the server answers
                status = response.status_code
                if status == 200:
                    try:
                        return parse_completion(response.json())
                    except (ValueError, KeyError, IndexError, TypeError) as e:  # truncated or odd body: retry
                        reason = f"bad response ({type(e).__name__})"
                else:
                    reason = f"http {status}"
                    if status == 400 and self._refuses_schema(body, response.text):  # JSON mode instead, then validation
                        self.json_mode = "json_object"
                        body = self.payload(request, sampling)
                        continue
                    if status not in RETRY_STATUS and status < 500:
                        return Completion.failed(self._redact(f"{reason}: {response.text[:300]}"))
                    retry_after = parse_retry_after(response.headers)
            if attempt < spec.max_retries:
                await asyncio.sleep(self._delay(attempt, retry_after))
        reason = f"{reason} after {spec.max_retries} retries"
        if refused:
            down.reason = reason
        return Completion.failed(reason)

    def _refuses_schema(self, body: dict, text: str) -> bool:
        """A 400 about `response_format` to a json_schema request: a server without structured outputs."""
        sent = (body.get("response_format") or {}).get("type")
        return sent == "json_schema" and ("response_format" in text or "json_schema" in text)

    def _unreachable(self, e: Exception, closed: bool) -> str:
        """The reason for a refused connection, naming the server (never the key)."""
        why = ("it closed the connection, then refused new ones: the server died or was stopped" if closed
               else "connection refused: the server is not running, died, or listens elsewhere")
        return self._redact(f"connection error ({type(e).__name__}): server at {self.spec.base_url} unreachable ({why})")

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        spec = self.spec
        backoff = random.uniform(0, min(spec.backoff_max_s, spec.backoff_base_s * 2**attempt))
        return min(spec.backoff_max_s, max(backoff, retry_after or 0.0))

    def _redact(self, text: str) -> str:
        return text.replace(self._api_key, "***") if self._api_key else text


class _ServerState:
    """Shared by the requests of one run: `reason` is set once a request has spent its retries
    on a refused connection, and cleared by any answer from the server."""

    def __init__(self) -> None:
        self.reason: str | None = None


def parse_retry_after(headers) -> float | None:
    """Seconds to wait from `retry-after-ms`, or `Retry-After` (seconds or an HTTP date)."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def parse_completion(data: dict) -> Completion:
    """A chat.completion response body -> Completion (first choice)."""
    choice = data["choices"][0]
    usage = data.get("usage") or {}
    logprobs = None
    content_lps = (choice.get("logprobs") or {}).get("content")
    if content_lps is not None:
        logprobs = [float(t["logprob"]) for t in content_lps]
    return Completion(
        text=(choice.get("message") or {}).get("content") or "",
        finish_reason=choice.get("finish_reason") or "stop",
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
        logprobs=logprobs,
        cached_prompt_tokens=int((usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0),
    )
