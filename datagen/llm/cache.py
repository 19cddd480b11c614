"""The request cache: one sqlite file mapping a sample's key to its completion.

A key is the sha256 of the canonical JSON of (backend identity, sampling.cache_dict(),
sha256 of the messages, sample index, seed), so a re-run, a resumed run or a later stage
that asks for the same sample never generates it again. Each `put` commits at once (WAL journal), so a
`kill -9` loses at most the requests in flight. Failed completions are never stored, and
an identity that looks like it carries a secret is refused.

Replicas of a distributed run (the Ray executor) each write their own file beside the shared
one (`ReplicaCache`: reads fall back to the shared file, opened read-only) and the driver
folds those files into the shared one when the run ends, or when the next run starts after a
driver that died (`merge_replica_caches`); so no two processes write one sqlite file, which
network filesystems do not lock reliably, and a re-run finds what any replica generated.

What it does not do: decide which samples to draw (`CachedLLM`) or expire entries.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import threading
from pathlib import Path
from typing import Iterable, Mapping

from datagen.hashing import canonical_json
from datagen.llm.base import Completion, Conversation

_SECRET_NAME = re.compile(r"(api[_-]?key|token|secret|password|passwd|authorization|credential)", re.I)


def sha256_hex(obj) -> str:
    return hashlib.sha256(canonical_json(obj).encode()).hexdigest()


def check_no_secrets(identity: Mapping) -> None:
    """Refuse an identity with a secret-looking field name, or one that contains the value
    of a secret-looking environment variable (an API key pasted into a model name or URL)."""
    text = canonical_json(identity)
    for name in _walk_keys(identity):
        if _SECRET_NAME.search(name) and not name.endswith("_env"):
            raise ValueError(f"backend identity field {name!r} looks like a secret; identities are stored in the cache")
    for var, value in os.environ.items():
        if _SECRET_NAME.search(var) and len(value) >= 8 and value in text:
            raise ValueError(f"backend identity contains the value of ${var}; identities must never hold secrets")


def _walk_keys(obj) -> Iterable[str]:
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            yield str(k)
            yield from _walk_keys(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _walk_keys(v)


def messages_hash(messages: Conversation) -> str:
    """sha256 of a conversation's canonical JSON."""
    return sha256_hex(messages)


def request_key(identity: Mapping, sampling: Mapping, messages_sha: str, index: int, seed: int) -> str:
    """The cache key of sample `index` (drawn with `seed`) of the conversation hashing to `messages_sha`."""
    return sha256_hex({"backend": identity, "sampling": sampling, "messages": messages_sha, "index": index, "seed": seed})


class RequestCache:
    """sqlite-backed map from request key to Completion; safe to call from several threads
    of one process (one connection, one lock)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # isolation_level=None: autocommit, so every put is durable as soon as it returns.
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS completions (key TEXT PRIMARY KEY, value TEXT NOT NULL)")

    def get(self, key: str) -> Completion | None:
        return self.get_many([key]).get(key)

    def get_many(self, keys: Iterable[str]) -> dict[str, Completion]:
        keys = list(dict.fromkeys(keys))
        found: dict[str, Completion] = {}
        with self._lock:
            for start in range(0, len(keys), 500):  # stay under sqlite's bound-parameter limit
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for key, value in self._db.execute(f"SELECT key, value FROM completions WHERE key IN ({marks})", chunk):
                    found[key] = Completion.from_dict(json.loads(value))
        return found

    def put(self, key: str, completion: Completion) -> bool:
        """Store one completion; a failed one is not stored (returns False)."""
        return self.put_many([(key, completion)]) == 1

    def put_many(self, items: Iterable[tuple[str, Completion]]) -> int:
        """Store completions in one transaction, skipping failed ones; returns how many were stored."""
        rows = [(k, json.dumps(c.to_dict(), ensure_ascii=False)) for k, c in items if c.ok]
        if not rows:
            return 0
        with self._lock:
            with self._db:  # BEGIN ... COMMIT
                self._db.execute("BEGIN")
                self._db.executemany("INSERT OR REPLACE INTO completions (key, value) VALUES (?, ?)", rows)
        return len(rows)

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM completions").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> "RequestCache":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def replica_cache_path(shared: Path, replica: str) -> Path:
    """Where replica `replica` of a distributed run writes its completions."""
    return shared.with_name(f"{shared.stem}.replica-{replica}{shared.suffix}")


class ReplicaCache(RequestCache):
    """A replica's own cache file; a miss is looked up in the shared file (read-only)."""

    def __init__(self, shared: str | os.PathLike, replica: str):
        super().__init__(replica_cache_path(Path(shared), replica))
        self.shared = RequestCache(shared) if Path(shared).is_file() else None

    def get_many(self, keys: Iterable[str]) -> dict[str, Completion]:
        keys = list(dict.fromkeys(keys))
        found = self.shared.get_many(keys) if self.shared is not None else {}
        missing = [k for k in keys if k not in found]
        return {**found, **(super().get_many(missing) if missing else {})}

    def close(self) -> None:
        if self.shared is not None:
            self.shared.close()
        super().close()


def merge_replica_caches(shared: Path) -> int:
    """Fold every replica file beside `shared` into it and delete them; returns how many
    completions were added."""
    shared = Path(shared)
    parts = sorted(shared.parent.glob(f"{shared.stem}.replica-*{shared.suffix}"))
    if not parts:
        return 0
    main = RequestCache(shared)
    added = 0
    try:
        with main._lock:
            for part in parts:
                before = main._db.execute("SELECT COUNT(*) FROM completions").fetchone()[0]
                main._db.execute("ATTACH DATABASE ? AS part", (str(part),))
                try:
                    with main._db:
                        main._db.execute("BEGIN")
                        main._db.execute("INSERT OR IGNORE INTO completions (key, value) SELECT key, value FROM part.completions")
                finally:
                    main._db.execute("DETACH DATABASE part")
                added += main._db.execute("SELECT COUNT(*) FROM completions").fetchone()[0] - before
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{part}{suffix}").unlink(missing_ok=True)
    finally:
        main.close()
    return added
