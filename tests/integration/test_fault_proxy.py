"""The OpenAI backend through a fault-injecting proxy in front of the real vLLM server.

The proxy (aiohttp, 127.0.0.1, own thread) answers a chosen share of requests with 429
(some with Retry-After), 500, a dropped connection, a truncated 200 or a hang past the
client's timeout, and forwards the rest. Every request must come back completed or failed with its reason; none
may be lost, retries must happen, and the completed samples must be exactly what the
server gives without faults (the seed makes a retried sample the same sample).
"""

from __future__ import annotations

import asyncio
import collections
import json
import random
import re
import threading
import time

import pytest

from datagen.llm import RequestCache, make_llm
from schemas.models import ModelSpec
from schemas.sampling import Sampling
from tests.integration.local_app import start_app

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

FAULTS = ("429", "429-retry-after", "500", "drop", "hang", "truncated")
REASON = re.compile(r"^(http (429|500)|timeout after [0-9.]+s|(connection error|bad response) \(\w+\)) after \d+ retries$")


class FaultProxy:
    """`choose(n, body) -> fault | None` picks what to do with the n-th request."""

    def __init__(self, upstream: str, choose, hang_s: float = 6.0, retry_after_s: int = 1):
        self.upstream, self.choose, self.hang_s, self.retry_after_s = upstream.rstrip("/"), choose, hang_s, retry_after_s
        self.log: list[tuple[float, int, str | None]] = []  # (time, seed, fault)
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> str:
        self._thread.start()
        assert self._ready.wait(30), "proxy did not start"
        return f"http://127.0.0.1:{self.port}/v1"

    def __exit__(self, *exc) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    def _serve(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        import aiohttp
        from aiohttp import web

        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._handle)
        runner, self.port = await start_app(app, handler_cancellation=True)
        async with aiohttp.ClientSession() as self._session:
            self._ready.set()
            await self._stop.wait()
            await runner.cleanup()

    async def _handle(self, request):
        from aiohttp import web

        body = await request.read()
        fault = self.choose(len(self.log), body)
        self.log.append((time.monotonic(), json.loads(body)["seed"], fault))
        if fault == "429":
            return web.Response(status=429, text="slow down")
        if fault == "429-retry-after":
            return web.Response(status=429, text="slow down", headers={"Retry-After": str(self.retry_after_s)})
        if fault == "500":
            return web.Response(status=500, text="boom")
        if fault == "400-no-json-schema":  # a server without structured outputs
            return web.Response(status=400, text='{"error": {"message": "response_format type json_schema is not supported"}}')
        if fault == "drop":
            request.transport.close()  # the client sees the connection die mid-request
            return web.Response(status=500)
        if fault == "truncated":  # a 200 whose body is cut short
            return web.Response(status=200, text='{"choices": [{"message": {"content": "par', content_type="application/json")
        if fault == "hang":
            await asyncio.sleep(self.hang_s)
            return web.Response(status=504)
        async with self._session.post(self.upstream + "/chat/completions", data=body,
                                      headers={"Content-Type": "application/json"}) as r:
            return web.Response(status=r.status, body=await r.read(), content_type="application/json")


def conversations(k: int) -> list[list[dict]]:
    return [[{"role": "user", "content": f"What is {i} + {i + 1}?"}] for i in range(k)]


def spec_for(base_url: str, model: str, **kw) -> ModelSpec:
    defaults = dict(max_concurrency=8, timeout_s=4.0, max_retries=4, backoff_base_s=0.05, backoff_max_s=2.0)
    return ModelSpec(backend="openai", model=model, base_url=base_url, **{**defaults, **kw})


def test_faults_are_retried_and_nothing_is_lost(vllm_server, tiny_model, tmp_path):
    rng = random.Random(1234)

    def choose(n, body):  # ~20 % faults, and each kind at least once early on
        if n < len(FAULTS):
            return FAULTS[n]
        return rng.choice(FAULTS) if rng.random() < 0.2 else None

    convs, sampling = conversations(20), Sampling(n=3, max_tokens=16, seed=7)
    proxy = FaultProxy(vllm_server, choose)
    with proxy as proxy_url:
        llm = make_llm(spec_for(proxy_url, str(tiny_model)), RequestCache(tmp_path / "faulty.sqlite"))
        start = time.monotonic()
        out = llm.generate(convs, sampling)
        elapsed = time.monotonic() - start

    flat = [c for o in out for c in o]
    assert len(out) == 20 and all(len(o) == 3 for o in out) and len(flat) == 60
    for c in flat:
        assert c.ok or REASON.match(c.error), c.error
    stats = llm.stats
    assert stats.generated + stats.failed == 60 and stats.generated >= 57

    # The proxy log: every fault was followed by a retry of the same seed (unless it was the last try).
    log = proxy.log
    faults = collections.Counter(f for _, _, f in log if f)
    assert set(faults) == set(FAULTS) and sum(faults.values()) >= 8
    assert llm.backend.retries == len(log) - 60 >= sum(faults.values()) - stats.failed
    by_seed = collections.defaultdict(list)
    for t, seed, fault in log:
        by_seed[seed].append((t, fault))
    assert len(by_seed) == 60  # every sample reached the server at least once
    for attempts in by_seed.values():
        for (t0, fault), (t1, _) in zip(attempts, attempts[1:], strict=False):
            assert fault is not None  # only a fault is ever retried
            if fault == "429-retry-after":
                assert t1 - t0 >= 0.95, "Retry-After was not honoured"
    assert elapsed < 60

    # Retried samples are the same samples: compare with a fault-free run on a fresh cache.
    clean = make_llm(spec_for(vllm_server, str(tiny_model)), RequestCache(tmp_path / "clean.sqlite")).generate(convs, sampling)
    for o_faulty, o_clean in zip(out, clean, strict=True):
        for a, b in zip(o_faulty, o_clean, strict=True):
            if a.ok:
                assert a.text == b.text


def test_everything_failing_reports_every_request_with_its_reason(vllm_server, tiny_model, tmp_path):
    kinds = ("429", "500", "hang", "drop", "truncated")
    with FaultProxy(vllm_server, lambda n, body: kinds[json.loads(body)["seed"] % 5], hang_s=1.0) as proxy_url:
        spec = spec_for(proxy_url, str(tiny_model), max_retries=2, timeout_s=0.3, backoff_base_s=0.01, max_concurrency=12)
        cache = RequestCache(tmp_path / "all-fail.sqlite")
        llm = make_llm(spec, cache)
        out = llm.generate(conversations(6), Sampling(n=2, max_tokens=8))
    flat = [c for o in out for c in o]
    assert len(flat) == 12 and not any(c.ok for c in flat)
    for c in flat:
        assert REASON.match(c.error) and c.error.endswith("after 2 retries") and c.finish_reason == "error", c.error
    assert {c.error.split(" after")[0].split(" (")[0] for c in flat} <= {"http 429", "http 500", "timeout", "connection error", "bad response"}
    assert llm.stats.failed == 12 and llm.backend.retries == 24 and len(cache) == 0
