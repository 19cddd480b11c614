"""Is the Hugging Face Hub reachable from here? One quick probe per process.

`huggingface_hub` retries a failed request five times with back-off (about 23 s), logging
each retry, before `datasets` gives up; offline, a run that looks for several benchmarks
on the Hub would wait that long and print those lines. `hub_reachable()` opens one TCP
connection to the Hub's endpoint (`HF_ENDPOINT`, default huggingface.co:443) with a short
timeout and remembers the answer; `offline()` runs a block with `huggingface_hub` and
`datasets` in offline mode, so what their caches hold still loads and nothing else is tried.

What it does not do: decide for users who set `HF_HUB_OFFLINE` (that is honoured as it is),
or probe through a proxy: with `HTTPS_PROXY`/`ALL_PROXY` set the Hub is assumed reachable
and the libraries' own handling applies.
"""

from __future__ import annotations

import contextlib
import os
import socket
from urllib.parse import urlparse

PROBE_TIMEOUT_S = 3.0
_ANSWER: dict[str, str | None] = {}  # endpoint -> None (reachable) or why not


def unreachable_reason() -> str | None:
    """None when the Hub answers (or cannot be probed directly), else why it cannot be reached."""
    from huggingface_hub import constants

    endpoint = constants.ENDPOINT
    if endpoint not in _ANSWER:
        _ANSWER[endpoint] = _probe(endpoint)
    return _ANSWER[endpoint]


def hub_reachable() -> bool:
    return unreachable_reason() is None


def _probe(endpoint: str) -> str | None:
    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return None
    url = urlparse(endpoint)
    host, port = url.hostname or "", url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT_S):
            return None
    except OSError as e:
        return f"cannot connect to {host}:{port} ({e.strerror or type(e).__name__})"


@contextlib.contextmanager
def offline():
    """Run a block with the Hub libraries in offline mode (their caches only), then restore."""
    import datasets.config
    from huggingface_hub import constants

    saved = constants.HF_HUB_OFFLINE, datasets.config.HF_HUB_OFFLINE
    constants.HF_HUB_OFFLINE = datasets.config.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        constants.HF_HUB_OFFLINE, datasets.config.HF_HUB_OFFLINE = saved


def hub_access(repo: str) -> tuple[contextlib.AbstractContextManager, str | None]:
    """(context to load `repo` in, why the Hub is unreachable or None). A local directory, or a
    reachable Hub, loads as usual; otherwise the block runs offline (the caches only)."""
    from pathlib import Path

    down = None if Path(repo).expanduser().is_dir() else unreachable_reason()
    return (offline() if down else contextlib.nullcontext()), down
