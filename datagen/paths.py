"""Where datagen keeps things: the dataset store and the user cache.

Store: `--store`, else `$DATAGEN_HOME`, else `./datagen-data`. Cache (tiny model builds):
`$DATAGEN_CACHE`, else `~/.cache/datagen`. Nothing here creates directories.
"""

from __future__ import annotations

import os
from pathlib import Path


def store_dir(explicit: str | os.PathLike | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get("DATAGEN_HOME")
    return Path(env).expanduser().resolve() if env else Path("datagen-data").resolve()


def cache_dir() -> Path:
    env = os.environ.get("DATAGEN_CACHE")
    return Path(env).expanduser().resolve() if env else Path.home() / ".cache" / "datagen"
