"""Fixtures for tests against real engines: a vLLM OpenAI-compatible server on localhost."""

from __future__ import annotations

import pytest

from tests.integration.vllm_server import run_vllm_server


@pytest.fixture(scope="session")
def vllm_server(tiny_model, tmp_path_factory) -> str:
    """Base URL (`http://127.0.0.1:PORT/v1`) of a vLLM server serving the tiny model under its path."""
    with run_vllm_server(str(tiny_model), tmp_path_factory.mktemp("vllm-server") / "server.log") as base_url:
        yield base_url
