"""Shared pytest fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def pytest_configure(config):
    """Recipes decontaminate against math benchmarks; offline, tests read the local copies in
    `../shared/benchmarks` (unless DATAGEN_BENCHMARKS_DIR names others)."""
    bench = Path(os.environ.get("DATAGEN_SHARED", REPO.parent / "shared")) / "benchmarks"
    if bench.is_dir():
        os.environ.setdefault("DATAGEN_BENCHMARKS_DIR", str(bench))


@pytest.fixture(autouse=True)
def _restore_environment():
    """A command run in-process (typer's CliRunner, `configure_output`) sets variables such as
    DATAGEN_QUIET in os.environ; put the environment back so they cannot leak into a later
    test's subprocesses (a later `datagen -v` once ran quiet this way)."""
    saved = dict(os.environ)
    yield
    if os.environ != saved:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """`../shared` beside the checkout (benchmarks and seeds); tests skip when it is absent."""
    return Path(os.environ.get("DATAGEN_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def tiny_model() -> Path:
    """Directory of datagen's embedded tiny model: built into `$DATAGEN_CACHE` on first use
    (a few minutes on CPU), then reused across sessions. `DATAGEN_TEST_TINY_MODEL=DIR` pins
    another build (while the tiny model's training data is being changed, say)."""
    from datagen.tiny.build import ensure_tiny_model

    if os.environ.get("DATAGEN_TEST_TINY_MODEL"):
        return Path(os.environ["DATAGEN_TEST_TINY_MODEL"])
    return ensure_tiny_model()
