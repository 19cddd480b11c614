"""The dataset store: `ROOT/NAME/vN/` directories, version refs and atomic publishing.

A version directory holds `data/*.parquet` (kept rows), `test/*.parquet` (a mixture's eval
split), `rejected/*.parquet` (rejected rows with `rejected_by` and `reason`), `manifest.json`
and `README.md` (dataset card).
Publishing writes into a temporary directory and renames it into place under a lock, so
no half-written version is ever visible, and a fingerprint that already has a version
never makes a second one. Writing the files themselves is `datagen/publish.py`'s job.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from datagen.errors import UserError
from datagen.paths import store_dir

REF = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)@(?P<ver>v(?P<n>[0-9]+)|latest)$")


@dataclass(frozen=True, order=True)
class VersionRef:
    name: str
    version: int

    def __str__(self) -> str:
        return f"{self.name}@v{self.version}"


def is_ref(text: str) -> bool:
    return bool(REF.match(text))


class Store:
    def __init__(self, root: str | Path | None = None):
        self.root = store_dir(root)

    # ---- reading -------------------------------------------------------------------
    def versions(self, name: str) -> list[int]:
        d = self.root / name
        if not d.is_dir():
            return []
        return sorted(int(p.name[1:]) for p in d.iterdir() if re.fullmatch(r"v[0-9]+", p.name) and (p / "manifest.json").is_file())

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".") and self.versions(p.name))

    def resolve(self, ref: str | VersionRef) -> VersionRef:
        if isinstance(ref, VersionRef):
            return ref
        m = REF.match(ref.strip())
        if not m:
            raise UserError(f"not a dataset reference: {ref!r} (expected NAME@vN or NAME@latest)")
        name, have = m["name"], self.versions(m["name"])
        if not have:
            raise UserError(f"{ref}: no versions of {name!r} in store {self.root} (set --store or DATAGEN_HOME)")
        if m["ver"] == "latest":
            return VersionRef(name, have[-1])
        n = int(m["n"])
        if n not in have:
            raise UserError(f"{ref}: no such version; {name} has {', '.join(f'v{v}' for v in have)}")
        return VersionRef(name, n)

    def path(self, ref: str | VersionRef) -> Path:
        r = self.resolve(ref)
        return self.root / r.name / f"v{r.version}"

    def manifest(self, ref: str | VersionRef) -> dict:
        return json.loads((self.path(ref) / "manifest.json").read_text())

    def read_table(self, ref: str | VersionRef, split: str = "train"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        sub = {"train": "data", "test": "test", "rejected": "rejected"}.get(split)
        if sub is None:
            raise UserError(f"split: {split!r} is not a split of a datagen version (train, test, rejected)")
        files = sorted((self.path(ref) / sub).glob("*.parquet"))
        if not files:
            return pa.table({})
        return pa.concat_tables([pq.read_table(f) for f in files], promote_options="default")

    def find_fingerprint(self, name: str, fingerprint: str) -> VersionRef | None:
        for v in self.versions(name):
            m = json.loads((self.root / name / f"v{v}" / "manifest.json").read_text())
            if m.get("fingerprint") == fingerprint:
                return VersionRef(name, v)
        return None

    # ---- writing -------------------------------------------------------------------
    @contextlib.contextmanager
    def _lock(self, name: str):
        d = self.root / name
        d.mkdir(parents=True, exist_ok=True)
        with open(d / ".lock", "w") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def publish(self, name: str, fingerprint: str, write: Callable[[Path, VersionRef], None]) -> tuple[VersionRef, bool]:
        """Write a new version with `write(tmp_dir, ref)`, or return the one that already has
        this fingerprint. Returns (ref, created)."""
        with self._lock(name):
            existing = self.find_fingerprint(name, fingerprint)
            if existing:
                return existing, False
            for stale in (self.root / name).glob(".tmp-v*"):  # left by a killed publish
                shutil.rmtree(stale, ignore_errors=True)
            have = self.versions(name)
            ref = VersionRef(name, (have[-1] if have else 0) + 1)
            final = self.root / name / f"v{ref.version}"
            if final.exists():  # a stray directory without a manifest (never published): set aside
                shutil.rmtree(final)
            tmp = Path(tempfile.mkdtemp(prefix=f".tmp-v{ref.version}-", dir=self.root / name))
            try:
                write(tmp, ref)
                if not (tmp / "manifest.json").is_file():
                    raise RuntimeError("publish: writer produced no manifest.json")
                tmp.rename(final)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            return ref, True
