"""The Hub unreachable (not declared offline): benchmarks, Hub sources and models fail or fall
back to the caches at once, naming the Hub, instead of the libraries' retries (~20 s each,
with a log line per retry). The Hub here is a closed port on localhost."""

from __future__ import annotations

import os
import socket
import time

import pytest

import datagen.hub as hub
import filters.benchmarks as benchmarks
from datagen.errors import DatagenError, UserError


@pytest.fixture
def hub_down(monkeypatch):
    import datasets.config
    import huggingface_hub.constants as constants

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setattr(hub, "_ANSWER", {})
    monkeypatch.setattr(benchmarks, "_UNREACHABLE", [])
    return port


def test_probe_says_why(hub_down):
    assert not hub.hub_reachable()
    assert f"127.0.0.1:{hub_down}" in hub.unreachable_reason()


def test_probe_answers_when_something_listens(monkeypatch):
    import huggingface_hub.constants as constants

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{s.getsockname()[1]}")
        monkeypatch.setattr(hub, "_ANSWER", {})
        for var in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(var, raising=False)
        assert hub.hub_reachable()


def test_benchmark_fails_fast_and_names_the_fix(hub_down, monkeypatch):
    monkeypatch.delenv("DATAGEN_BENCHMARKS_DIR", raising=False)
    t = time.monotonic()
    with pytest.raises(UserError, match=r"cannot load 'minerva_math': the Hub is unreachable .*DATAGEN_BENCHMARKS_DIR"):
        benchmarks.load_hub("minerva_math", benchmarks.REGISTRY["minerva_math"])
    with pytest.raises(UserError, match="unreachable earlier in this run"):  # the next one does not try again
        benchmarks.load_hub("amc23", benchmarks.REGISTRY["amc23"])
    assert time.monotonic() - t < 10  # the libraries' own retries take ~23 s per file


def test_hub_source_fails_fast(hub_down):
    from datagen.sources import load_source
    from schemas.recipe import Recipe

    source = Recipe.model_validate({"source": {"type": "hub", "id": "nobody/does-not-exist-datagen"}, "stages": [{"type": "dedup"}],
                                    "output": {"name": "x"}}).source
    with pytest.raises(UserError, match=r"source.id: cannot load Hub dataset .*the Hub is unreachable"):
        load_source(source)


def test_model_not_cached_is_one_line(hub_down):
    from datagen.llm.model_ref import check_model_ref

    with pytest.raises(DatagenError, match=r"models.m.model 'nobody/no-model-xyz' \(backend vllm\): the Hugging Face Hub is unreachable") as e:
        check_model_ref("nobody/no-model-xyz", "vllm", "models.m.model")
    assert e.value.exit_code == 1 and "hf download nobody/no-model-xyz" in str(e.value)


def test_cached_model_loads_offline(hub_down, tmp_path, monkeypatch):
    """A model in the Hugging Face cache: the run goes offline (the cache) instead of failing."""
    import huggingface_hub.constants as constants

    from datagen.llm.model_ref import check_model_ref

    snap = tmp_path / "models--someorg--cached-model" / "snapshots" / "abc123"
    snap.mkdir(parents=True)
    (snap / "config.json").write_text("{}")
    (tmp_path / "models--someorg--cached-model" / "refs").mkdir()
    (tmp_path / "models--someorg--cached-model" / "refs" / "main").write_text("abc123")
    check_model_ref("someorg/cached-model", "vllm", "models.m.model", cache_dir=str(tmp_path))
    assert constants.HF_HUB_OFFLINE and os.environ["HF_HUB_OFFLINE"] == "1"
