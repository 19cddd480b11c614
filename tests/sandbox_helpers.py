"""Shared pieces of the hostile sandbox tests (`tests/test_sandbox_*.py`): limits, the test
code most cases run against, the `mode` fixture (`full` / `hook_only`), the autouse
`no_leftovers` fixture (no live sandbox processes, no scratch dirs after each test) and
`not_passed`. Test modules register the fixtures by binding them as module names.

Does NOT cover: any attack or assertion of its own; those live in the test modules.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from filters import sandbox as sb

LIM = sb.Limits(timeout=5, memory_mb=512, output_bytes=4096)
SHORT = sb.Limits(timeout=2, memory_mb=512, output_bytes=4096)
MARK = "datagen-hostile-marker"
CHECK = "def check(candidate):\n    assert candidate(1) == 2\n"


@pytest.fixture(params=["full", "hook_only"])
def mode(request, monkeypatch):
    if request.param == "hook_only":
        monkeypatch.setenv("DATAGEN_SANDBOX_NETNS", "0")
        monkeypatch.setenv("DATAGEN_SANDBOX_PRIVDROP", "0")
    return request.param


def leftovers() -> list[int]:
    """Live processes started by this session's sandboxes (their HOME is a scratch dir) or MARKed."""
    home, found = f"HOME={sb.scratch_root()}/".encode(), []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            env = Path(f"/proc/{pid}/environ").read_bytes()
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if home in env or MARK.encode() in cmd:
            found.append(int(pid))
    return found


@pytest.fixture(autouse=True)
def no_leftovers():
    yield
    assert leftovers() == []
    assert [d for d in os.listdir(sb.scratch_root()) if d.startswith("run-")] == []  # scratch dirs removed


def not_passed(r: sb.Result, status: str = "failed", detail: str = "") -> None:
    assert r.status == status and not r.passed, r
    assert (r.detail or "").startswith(detail), r
