"""The request cache and CachedLLM: keys, hits and misses, sample indices, failures, secrets.

The backend here only counts calls and echoes seeds: these tests are about caching; the
real backends are exercised against the tiny model in tests/integration.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from datagen.llm import CachedLLM, Completion, RequestCache, sample_seed
from datagen.llm.cache import check_no_secrets, messages_hash, request_key
from schemas.models import ModelSpec
from schemas.sampling import Sampling

pytestmark = pytest.mark.timeout(60)

CONVS = [[{"role": "user", "content": f"What is {i} + {i}?"}] for i in range(3)]


class CountingBackend:
    """Answers `seed=<seed>`; fails the seeds in `fail` (once each if `fail_once`)."""

    def __init__(self, fail=(), fail_once=True, skip_report=False, identity=None):
        self.identity = identity or {"backend": "counting", "model": "m", "revision": None}
        self.calls: list[list[int]] = []
        self.fail, self.fail_once, self.skip_report = set(fail), fail_once, skip_report

    def run(self, requests, sampling, on_done):
        self.calls.append([r.seed for r in requests])
        for j, r in enumerate(requests):
            if self.skip_report and j == 0:
                continue
            if r.seed in self.fail:
                if self.fail_once:
                    self.fail.discard(r.seed)
                on_done(j, Completion.failed("http 500 after 6 retries"))
            else:
                on_done(j, Completion(text=f"seed={r.seed}", finish_reason="stop", prompt_tokens=3, completion_tokens=2))

    def close(self):
        pass


@pytest.fixture
def cache(tmp_path):
    with RequestCache(tmp_path / "cache.sqlite") as c:
        yield c


def test_cache_roundtrip_reopen_and_wal(tmp_path):
    path = tmp_path / "c.sqlite"
    c = RequestCache(path)
    done = Completion(text="hi", finish_reason="stop", prompt_tokens=1, completion_tokens=1, logprobs=[-0.5])
    assert c.put("k1", done) is True
    assert c.put("k2", Completion.failed("timeout after 5s")) is False
    c.close()
    c = RequestCache(path)  # a new process would see the same
    assert c.get("k1") == done and c.get("k2") is None and len(c) == 1
    assert c.get_many(["k1", "k2", "k1"]) == {"k1": done}
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    c.close()


def test_key_is_canonical_and_covers_every_part():
    ident, samp = {"backend": "vllm", "model": "m"}, Sampling().cache_dict()
    msgs = messages_hash([{"role": "user", "content": "x"}])
    assert msgs == messages_hash([{"content": "x", "role": "user"}])
    base = request_key(ident, samp, msgs, 0, 7)
    assert base == request_key(dict(reversed(ident.items())), samp, msgs, 0, 7)
    others = [
        request_key({**ident, "model": "m2"}, samp, msgs, 0, 7),
        request_key(ident, Sampling(temperature=0.5).cache_dict(), msgs, 0, 7),
        request_key(ident, samp, messages_hash([{"role": "user", "content": "y"}]), 0, 7),
        request_key(ident, samp, msgs, 1, 7),
        request_key(ident, samp, msgs, 0, 8),
    ]
    assert len({base, *others}) == 6
    assert Sampling(n=1).cache_dict() == Sampling(n=8).cache_dict()


def test_sample_seeds_are_31_bit_deterministic_and_distinct():
    seeds = [sample_seed(0, CONVS[0], i) for i in range(100)]
    assert seeds == [sample_seed(0, CONVS[0], i) for i in range(100)]
    assert len(set(seeds)) == 100 and all(0 <= s < 2**31 for s in seeds)
    assert sample_seed(1, CONVS[0], 0) != seeds[0] and sample_seed(0, CONVS[1], 0) != seeds[0]
    assert sample_seed(0, messages_hash(CONVS[0]), 3) == seeds[3]


def test_hits_misses_and_stats(cache):
    backend = CountingBackend()
    llm = CachedLLM(backend, cache)
    s = Sampling(n=2, seed=5)
    first = llm.generate(CONVS, s)
    assert [len(o) for o in first] == [2, 2, 2] and len(backend.calls) == 1 and len(backend.calls[0]) == 6
    assert first[1][1].text == f"seed={sample_seed(5, CONVS[1], 1)}"
    again = llm.generate(CONVS, s)
    assert again == first and len(backend.calls) == 1  # all hits: the backend is not called
    st = llm.stats
    assert (st.requests, st.cache_hits, st.generated, st.failed) == (12, 6, 6, 0)
    assert (st.prompt_tokens, st.completion_tokens) == (18, 12)
    # Same prompts, new sampling: all misses; a fresh CachedLLM over the same file: all hits.
    llm.generate(CONVS, Sampling(n=2, seed=6))
    assert len(backend.calls) == 2
    other = CachedLLM(CountingBackend(), cache)
    assert other.generate(CONVS, s) == first and other.backend.calls == []


def test_first_index_draws_later_samples(cache):
    backend = CountingBackend()
    llm = CachedLLM(backend, cache)
    four = llm.generate(CONVS, Sampling(n=4))
    later = llm.generate(CONVS, Sampling(n=2), first_index=2)
    assert later == [o[2:] for o in four] and len(backend.calls) == 1
    more = llm.generate(CONVS[:1], Sampling(n=2), first_index=4)
    assert len(backend.calls) == 2 and len(backend.calls[1]) == 2
    assert more[0][0].text not in {c.text for c in four[0]}


def test_failed_completions_are_returned_but_never_cached(cache):
    bad = sample_seed(0, CONVS[0], 1)
    backend = CountingBackend(fail={bad})
    llm = CachedLLM(backend, cache)
    out = llm.generate(CONVS, Sampling(n=2))
    assert not out[0][1].ok and out[0][1].error == "http 500 after 6 retries" and out[0][1].finish_reason == "error"
    assert all(c.ok for o in out for c in o if c is not out[0][1])
    assert llm.stats.failed == 1 and llm.stats.generated == 5 and len(cache) == 5
    retry = llm.generate(CONVS, Sampling(n=2))  # only the failed sample is asked again
    assert backend.calls[1] == [bad] and retry[0][1].ok


def test_each_completion_is_stored_as_reported(cache):
    class CrashingBackend(CountingBackend):
        def run(self, requests, sampling, on_done):
            on_done(0, Completion(text="first", finish_reason="stop"))
            raise KeyboardInterrupt  # the run dies mid-batch

    with pytest.raises(KeyboardInterrupt):
        CachedLLM(CrashingBackend(), cache).generate(CONVS, Sampling())
    assert len(cache) == 1
    backend = CountingBackend()
    CachedLLM(backend, cache).generate(CONVS, Sampling())
    assert len(backend.calls[0]) == 2


def test_duplicates_are_drawn_once_and_unreported_requests_fail(cache):
    backend = CountingBackend()
    out = CachedLLM(backend, cache).generate([CONVS[0], CONVS[0]], Sampling(n=2))
    assert out[0] == out[1] and len(backend.calls[0]) == 2
    lazy = CountingBackend(skip_report=True)
    out = CachedLLM(lazy, cache).generate(CONVS[1:2], Sampling(n=2))
    assert out[0][0].error == "backend reported no result" and out[0][1].ok


def test_progress_callback_reaches_total(cache):
    seen = []
    llm = CachedLLM(CountingBackend(), cache, progress=lambda done, total: seen.append((done, total)))
    llm.generate(CONVS[:1], Sampling(n=2))
    llm.generate(CONVS, Sampling(n=2))
    assert seen[-1] == (6, 6) and (2, 6) in seen  # second call: 2 hits first, then 4 misses


def test_secrets_are_refused_in_identities(monkeypatch):
    with pytest.raises(ValueError, match="secret"):
        check_no_secrets({"backend": "openai", "api_key": "whatever"})
    monkeypatch.setenv("MY_PROVIDER_API_KEY", "sk-live-0123456789abcdef")
    with pytest.raises(ValueError, match="MY_PROVIDER_API_KEY"):
        check_no_secrets({"backend": "openai", "model": "x?key=sk-live-0123456789abcdef"})
    check_no_secrets({"backend": "openai", "model": "gpt", "api_key_env": "MY_PROVIDER_API_KEY"})


def test_openai_backend_keeps_its_key_out_of_identity_errors_and_cache(tmp_path, monkeypatch):
    from datagen.llm import make_llm

    secret = "sk-test-do-not-store-0123456789"
    monkeypatch.setenv("DATAGEN_TEST_KEY", secret)
    spec = ModelSpec(backend="openai", model="served", base_url="http://127.0.0.1:9/v1", api_key_env="DATAGEN_TEST_KEY",
                     max_retries=1, backoff_base_s=0.01, timeout_s=5)
    cache = RequestCache(tmp_path / "c.sqlite")
    llm = make_llm(spec, cache)
    assert secret not in repr(llm.identity)
    out = llm.generate(CONVS[:2], Sampling(n=2))  # nothing listens on port 9: all fail, none raise
    assert all(not c.ok and c.error.startswith("connection error") and c.error.endswith("after 1 retries")
               for o in out for c in o)
    assert secret not in repr(out)
    CachedLLM(CountingBackend(identity=llm.identity), cache).generate(CONVS, Sampling())
    cache.close()
    assert len(RequestCache(tmp_path / "c.sqlite")) == 3
    assert secret.encode() not in b"".join(p.read_bytes() for p in tmp_path.iterdir())
    monkeypatch.delenv("DATAGEN_TEST_KEY")
    with pytest.raises(ValueError, match="DATAGEN_TEST_KEY"):
        make_llm(spec, RequestCache(tmp_path / "d.sqlite"))


def test_importing_the_package_pulls_in_no_engine():
    code = "import sys, datagen.llm; bad = [m for m in ('torch', 'vllm', 'transformers') if m in sys.modules]; assert not bad, bad"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)


def test_retry_after_parsing_and_backoff_bounds():
    import email.utils
    import time

    from datagen.llm.openai_backend import OpenAIBackend, parse_retry_after

    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert parse_retry_after({}) is None and parse_retry_after({"retry-after": "soon"}) is None
    later = parse_retry_after({"retry-after": email.utils.formatdate(time.time() + 20, usegmt=True)})
    assert 17 < later <= 20
    backend = OpenAIBackend(ModelSpec(backend="openai", model="m", base_url="http://127.0.0.1:9/v1", backoff_base_s=0.5, backoff_max_s=4))
    assert all(0 <= backend._delay(a, None) <= min(4, 0.5 * 2**a) for a in range(8) for _ in range(20))
    assert backend._delay(0, 3.0) >= 3.0 and backend._delay(0, 60.0) == 4.0  # honoured, within backoff_max_s


KILL9_CHILD = r"""
import sys, time
from datagen.llm import CachedLLM, Completion, RequestCache
from schemas.sampling import Sampling

class Slow:
    identity = {"backend": "slow", "model": "m"}
    def run(self, requests, sampling, on_done):
        for j, r in enumerate(requests):
            on_done(j, Completion(text=str(r.seed), finish_reason="stop"))
            print("reported", j, flush=True)  # after on_done returned: the put has committed
            time.sleep(0.05)
    def close(self): pass

convs = [[{"role": "user", "content": str(i)}] for i in range(1000)]
CachedLLM(Slow(), RequestCache(sys.argv[1])).generate(convs, Sampling())
"""


def test_kill9_loses_only_what_was_in_flight(tmp_path):
    import signal

    path = tmp_path / "c.sqlite"
    child = subprocess.Popen([sys.executable, "-c", KILL9_CHILD, str(path)], stdout=subprocess.PIPE, text=True)
    reported = 0
    for line in child.stdout:
        reported += line.startswith("reported")
        if reported == 20:
            break
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    with RequestCache(path) as cache:
        assert 20 <= len(cache) <= 21


def test_replica_caches_merge_into_the_shared_one(tmp_path):
    """Each replica of a distributed run writes its own file and reads the shared one on a
    miss; merging folds them in (what any replica generated is found on a re-run) and removes them."""
    from datagen.llm.base import Completion
    from datagen.llm.cache import ReplicaCache, RequestCache, merge_replica_caches

    shared = tmp_path / "requests.sqlite"
    with RequestCache(shared) as main:
        main.put("old", Completion(text="from before", finish_reason="stop"))
    a, b = ReplicaCache(shared, "0-x"), ReplicaCache(shared, "1-y")
    a.put("k1", Completion(text="one", finish_reason="stop"))
    b.put("k2", Completion(text="two", finish_reason="stop"))
    assert a.get("old").text == "from before" and a.get("k2") is None  # shared on a miss; not the other replica's
    a.close()
    b.close()
    assert merge_replica_caches(shared) == 2
    assert not list(tmp_path.glob("requests.replica-*"))
    with RequestCache(shared) as main:
        assert {main.get(k).text for k in ("old", "k1", "k2")} == {"from before", "one", "two"}
    assert merge_replica_caches(shared) == 0
