"""Check where a command will write before it does any work.

Every command that writes (run, verify, dedup, decontaminate, mix, train, eval) calls these
first, before it reads its input or loads a model, so an output it could not write fails in
a second with one line naming the option and the path, and nothing is written (not the kept
file, not a version). A path is writable when its nearest existing ancestor is a directory
in which a file can be created (checked by creating and removing a probe file: permission
bits say nothing about `/proc` or a read-only mount, least of all for root).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from datagen.errors import UserError


def _nearest_existing(p: Path) -> Path:
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def _probe(option: str, shown, directory: Path) -> None:
    try:
        fd, tmp = tempfile.mkstemp(prefix=".datagen-write-check-", dir=directory)
    except OSError as e:
        raise UserError(f"{option} {shown}: cannot write in {directory} ({e.strerror or e})") from None
    os.close(fd)
    os.unlink(tmp)


def _parent_dir(option: str, shown, p: Path) -> Path:
    """The directory the path will be created in (its nearest existing ancestor), which must be a directory."""
    anc = _nearest_existing(p)
    if not anc.is_dir():
        raise UserError(f"{option} {shown}: {anc} is a file, not a directory")
    return anc


def check_file(path, option: str) -> None:
    """`path` will be written as a file (atomically: a temp file in its directory, renamed)."""
    p = Path(path).expanduser().absolute()
    if p.is_dir():
        raise UserError(f"{option} {path}: is a directory; give a file path")
    _probe(option, path, _parent_dir(option, path, p.parent))


def check_dir(path, option: str) -> None:
    """`path` will be a directory that things are written into (created when missing)."""
    p = Path(path).expanduser().absolute()
    if p.exists() and not p.is_dir():
        raise UserError(f"{option} {path}: is a file, not a directory")
    _probe(option, path, p if p.is_dir() else _parent_dir(option, path, p))


def check_store(store) -> None:
    """The dataset store (`--store`, else $DATAGEN_HOME, else ./datagen-data) can be created and written."""
    from datagen.paths import store_dir

    if store:
        option = "--store"
    elif os.environ.get("DATAGEN_HOME"):
        option = "--store (from $DATAGEN_HOME)"
    else:
        option = "--store (default ./datagen-data)"
    check_dir(store_dir(store), option)


def check_distinct(paths: dict[str, str | None]) -> None:
    """Two outputs of one command must not be the same file."""
    seen: dict[Path, str] = {}
    for option, path in paths.items():
        if path is None:
            continue
        key = Path(path).expanduser().absolute()
        if key in seen:
            raise UserError(f"{option} {path}: the same file as {seen[key]}; give each output its own path")
        seen[key] = option
