"""Read one mixture source: its rows (every column), a label, the versions it comes from,
a fingerprint (a version's own, a file's path/size/mtime, a Hub dataset's revision and
content hash) and whether it is synthetic (model-generated)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class SourceRows:
    name: str
    frame: object  # polars DataFrame
    label: str
    parents: list[str]
    fingerprint: str
    synthetic: bool
    synthetic_from: str  # "set" | "manifest" | "default"
    revision: str | None = None
    extra: dict = field(default_factory=dict)


def default_name(loc, label: str) -> str:
    import re

    if loc.type == "version":
        base = label
    elif loc.type == "hub":
        base = loc.id.split("/")[-1]
    else:
        base = Path(loc.path).name.split(".")[0]
    return re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip("-") or "source"


def read_source(spec, index: int, store) -> SourceRows:
    from datagen.hashing import digest
    from datagen.sources import read_frame

    field = f"sources.{index}.source"
    loc = spec.location()
    df, label, parents = read_frame(loc, store.root, field)
    if loc.limit:
        df = df.head(loc.limit)
    if loc.type == "version":
        fingerprint = store.manifest(parents[0])["fingerprint"]
        synthetic, how = is_synthetic(store, parents[0]), "manifest"
    elif loc.type == "hub":
        fingerprint = digest([label, df.height, int(df.hash_rows(seed=0).sum())])
        synthetic, how = False, "default"
    else:
        path = Path(loc.path)
        st = path.stat() if path.is_file() else None
        fingerprint = digest([str(path.resolve()), st.st_size, st.st_mtime_ns] if st else [str(path.resolve()), df.height, int(df.hash_rows(seed=0).sum())])
        synthetic, how = False, "default"
    if spec.synthetic is not None:
        synthetic, how = spec.synthetic, "set"
    name = spec.name or default_name(loc, label)
    return SourceRows(name, df, label, parents, fingerprint, synthetic, how, getattr(loc, "revision", None))


def is_synthetic(store, ref: str, depth: int = 0) -> bool:
    """A version is synthetic when a generator stage made rows in it or in a version it
    was made from (a `datagen dedup` of generated data is still generated data)."""
    from generators import REGISTRY

    m = store.manifest(ref)
    if any(s.get("type") in REGISTRY for s in m.get("stages", [])) or m.get("mixture", {}).get("synthetic_rows"):
        return True
    if depth > 20:
        return False
    return any(is_synthetic(store, p, depth + 1) for p in m.get("parents", []) if _exists(store, p))


def _exists(store, ref: str) -> bool:
    try:
        store.resolve(ref)
        return True
    except Exception:  # noqa: BLE001 - a parent from another store
        return False
