"""What this machine gives the sandbox, on the host side: `layers()` (does `unshare` work, can
runs drop to their own uid), the per-host-process pool of run uids, the scratch root and
removal of scratch dirs, and the directories a run may read (stdlib, a few device files).

Does NOT cover: starting or killing processes (`launch`), or enforcing anything inside the
child (`guest/`): this module only decides and prepares what the guest is told.
"""

from __future__ import annotations

import os
import sys
import threading
from functools import cache
from pathlib import Path


def _flag(name: str) -> bool:
    return os.environ.get(f"DATAGEN_SANDBOX_{name}", "1").strip().lower() not in ("0", "false", "no", "off")


@cache
def _unshare(root: bool) -> tuple[str, ...]:
    import shutil
    import subprocess

    exe, true = shutil.which("unshare"), shutil.which("true") or "/bin/true"
    cmd = (exe, "--net") if root else (exe, "--user", "--net")
    try:
        ok = bool(exe) and subprocess.run([*cmd, "--", true], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    return (*cmd, "--") if ok else ()


@cache
def _uid_base() -> int:
    """First of the 128 uids this host process gives its runs (from the pid, or _UID_BASE)."""
    return int(os.environ.get("DATAGEN_SANDBOX_UID_BASE") or 2_000_000_000 + (os.getpid() % (1 << 20)) * 128)


@cache
def _uids_mapped(base: int) -> bool:
    """Whether base..base+127 exist here (a root inside a user namespace may have few uids)."""
    try:
        rows = [[int(x) for x in line.split()] for line in Path("/proc/self/uid_map").read_text().splitlines()]
    except (OSError, ValueError):
        return False
    return any(inside <= base and base + 128 <= inside + count for inside, _, count in rows)


def layers() -> dict:
    """Which OS layers this machine gives: `netns` (unshare works), `privdrop` (host is root
    and the per-run uids exist)."""
    root = os.geteuid() == 0
    prefix = _unshare(root) if _flag("NETNS") else ()
    privdrop = root and _flag("PRIVDROP") and _uids_mapped(_uid_base())
    return {"root": root, "privdrop": privdrop, "netns": bool(prefix), "prefix": prefix}


class _UidPool:
    """Unprivileged uids for runs: 128 per host process, from `_uid_base()`."""

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._free: list[int] | None = None

    def take(self) -> int:
        with self._cv:
            if self._free is None:
                base = _uid_base()
                self._free = list(range(base + 127, base - 1, -1))
            while not self._free:
                self._cv.wait()
            return self._free.pop()

    def give(self, uid: int) -> None:
        with self._cv:
            self._free.append(uid)  # type: ignore[union-attr]
            self._cv.notify()


_uids = _UidPool()
_root_lock = threading.Lock()
_root: str | None = None


def scratch_root() -> str:
    """The directory holding each run's scratch dir: made on first use (0711), removed at exit."""
    global _root
    with _root_lock:
        if _root is None or not os.path.isdir(_root):
            import atexit
            import tempfile

            _root = os.path.realpath(
                tempfile.mkdtemp(prefix="datagen-sandbox-", dir=os.environ.get("DATAGEN_SANDBOX_DIR") or None)
            )
            os.chmod(_root, 0o711)
            atexit.register(_rmtree, _root)
            up = os.path.dirname(_root)
            while layers()["privdrop"] and up != "/":
                if not os.stat(up).st_mode & 0o001:
                    raise RuntimeError(f"sandbox: {up} is not searchable by other users; set DATAGEN_SANDBOX_DIR elsewhere")
                up = os.path.dirname(up)
        return _root


def _chmod_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fchmod(fd, 0o700)
    finally:
        os.close(fd)


def _rmtree(path: str) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
    if os.path.lexists(path):  # without root: the run left directories we may not list
        _chmod_dir(path)
        for d, dirs, _ in os.walk(path):
            for name in dirs:
                _chmod_dir(os.path.join(d, name))
        shutil.rmtree(path, ignore_errors=True)


@cache
def _roots() -> tuple[tuple[str, ...], tuple[str, ...]]:
    lib = tuple(sorted({os.path.realpath(p) for p in (sys.base_prefix, sys.base_exec_prefix)}))
    dev = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random", "/dev/full", "/usr/share/zoneinfo", "/etc/localtime")
    return lib, lib + dev
