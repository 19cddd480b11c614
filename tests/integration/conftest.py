"""Fixtures for tests against real engines: a vLLM OpenAI-compatible server on localhost."""

from __future__ import annotations

import pytest

from tests.integration.vllm_server import run_vllm_server


@pytest.fixture(scope="session")
def vllm_server(tiny_model, tmp_path_factory) -> str:
    """Base URL (`http://127.0.0.1:PORT/v1`) of a vLLM server serving the tiny model under its path;
    structured outputs as datagen's own vLLM backend makes them (llguidance, compact JSON)."""
    compact = ("--structured-outputs-config", '{"backend": "guidance", "disable_any_whitespace": true}')
    with run_vllm_server(str(tiny_model), tmp_path_factory.mktemp("vllm-server") / "server.log", extra_args=compact) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def reward_model_dir(tiny_model, tmp_path_factory):
    """A one-logit sequence-classification reward model made from the tiny model (random head)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    out = tmp_path_factory.mktemp("rm")
    torch.manual_seed(0)
    AutoModelForSequenceClassification.from_pretrained(tiny_model, num_labels=1).save_pretrained(out)
    AutoTokenizer.from_pretrained(tiny_model).save_pretrained(out)
    return out
