"""Starting and tearing down one run's sandboxed processes: `_Run` launches guests
(`python -I -S -B` under the unshare prefix, scrubbed env, own session, scratch cwd, the
compiled guest and its config on stdin), `_Sink`/`_pump` read their pipes with a cap until
EOF, a deadline or a limited pipe going over its cap, and `_Run.close()` kills each process
group, sweeps a run's uids and removes its pipes, scratch dirs and uids.

Does NOT cover: what a run's verdict is, or running tests (`runner`); what the child does
once started (`guest/`); which layers exist (`host`).
"""

from __future__ import annotations

import os
import sys
import time

from .guest import guest_code
from .host import _rmtree, _roots, _uids, layers, scratch_root
from .limits import Limits

_BOOT = "import marshal,sys;exec(marshal.load(sys.stdin.buffer))"  # the guest code, then its config


class _Sink:
    """One pipe; keeps at most `cap` bytes and drops the rest, or, with `limit` (the detail the
    run then fails with), is `over` once past the cap: `_pump` stops and the run is killed."""

    def __init__(self, fd: int, cap: int, required: bool = True, limit: str | None = None) -> None:
        self.fd, self.cap, self.required, self.limit = fd, cap, required, limit
        self.data, self.dropped, self.eof = bytearray(), 0, False

    @property
    def over(self) -> str | None:
        return self.limit if self.limit and self.dropped else None

    def feed(self, chunk: bytes) -> None:
        room = self.cap - len(self.data)
        self.data += chunk[: max(room, 0)]
        self.dropped += max(len(chunk) - max(room, 0), 0)

    def text(self) -> str:
        return self.data.decode("utf-8", "replace")


def _pump(sinks: list[_Sink], deadline: float) -> bool:
    """Read every sink until each required one is at EOF or one is `over` its cap; True if
    the deadline came first."""
    import selectors

    with selectors.DefaultSelector() as sel:
        for s in sinks:
            if not s.eof:
                sel.register(s.fd, selectors.EVENT_READ, s)
        while any(s.required and not s.eof for s in sinks) and not any(s.over for s in sinks):
            left = deadline - time.monotonic()
            if left <= 0:
                return True
            for key, _ in sel.select(left):
                chunk = os.read(key.fd, 1 << 16)
                if chunk:
                    key.data.feed(chunk)
                else:
                    key.data.eof = True
                    sel.unregister(key.fd)
    return False


class _Run:
    """The processes, pipes, uids and scratch dirs of one run; `close()` kills and removes them."""

    def __init__(self, limits: Limits) -> None:
        self.limits, self.lay = limits, layers()
        self.procs: list = []
        self.uids: list[int] = []
        self.dirs: list[str] = []
        self.fds: set[int] = set()

    def pipe(self) -> tuple[int, int]:
        r, w = os.pipe()
        self.fds.update((r, w))
        return r, w

    def close_fd(self, *fds: int) -> None:
        for fd in fds:
            self.fds.discard(fd)
            os.close(fd)

    def start(self, cfg: dict, child_fds: tuple[int, ...], merge_stderr: bool = False) -> tuple:
        """Start a guest with `cfg`; returns (process, its report pipe's read end)."""
        import marshal
        import subprocess
        import tempfile

        uid = _uids.take() if self.lay["privdrop"] else None
        if uid is not None:
            self.uids.append(uid)
        scratch = tempfile.mkdtemp(prefix="run-", dir=scratch_root())
        self.dirs.append(scratch)
        if uid is not None:
            os.chown(scratch, uid, uid)
        rep_r, rep_w = self.pipe()
        lib, readable = _roots()
        cfg = {**cfg, "rlimits": self.limits.rlimits(), "uid": uid, "scratch": scratch, "report": rep_w,
               "lib_roots": list(lib), "read_roots": list(readable)}  # fmt: skip
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": scratch, "TMPDIR": scratch}
        argv = [*self.lay["prefix"], sys.executable, "-I", "-S", "-B", "-c", _BOOT]
        err = subprocess.STDOUT if merge_stderr else subprocess.PIPE
        p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, cwd=scratch, env=env,
                             start_new_session=True, pass_fds=(*child_fds, rep_w))  # fmt: skip
        self.procs.append(p)
        self.close_fd(rep_w, *child_fds)
        try:
            p.stdin.write(guest_code() + marshal.dumps(cfg))
        except OSError:  # it died before reading (unshare failed, say): its stderr says why
            pass
        finally:
            try:
                p.stdin.close()
            except OSError:
                pass
        return p, rep_r

    def close(self) -> None:
        import signal

        for p in self.procs:  # the group first, while the leader is not reaped: its pgid is still ours
            for kill, arg in ((os.killpg, p.pid), (os.kill, p.pid)):
                try:
                    kill(arg, signal.SIGKILL)
                except OSError:
                    pass
        for p in self.procs:
            p.wait()
            for f in (p.stdout, p.stderr):
                if f is not None:
                    f.close()
        if self.uids and self.limits.nproc > 1:
            _sweep(set(self.uids))
        for fd in list(self.fds):
            self.close_fd(fd)
        for d in self.dirs:
            _rmtree(d)
        for uid in self.uids:
            _uids.give(uid)


def _sweep(uids: set[int]) -> None:
    """SIGKILL every process left with one of these uids (they may have left the group)."""
    import signal

    for _ in range(10):
        found = False
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/status") as f:
                    uid = next(int(line.split()[1]) for line in f if line.startswith("Uid:"))
                if uid in uids:
                    os.kill(int(pid), signal.SIGKILL)
                    found = True
            except (OSError, StopIteration, ValueError):
                continue
        if not found:
            return
