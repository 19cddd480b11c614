"""Run untrusted Python in a sandboxed child process, and run tests against it.

`run_program(code)` runs one program; `run_tests(code, test, entry_point)` runs a candidate and
its tests; `run_many(jobs)` runs many at once with bounded workers. Each returns a `Result`
(status `passed|failed|timeout|error`, a short `detail`, capped output, wall seconds).

Layers, each run (`layers()` says which are active on this machine):

- Process: the child (`python -I -S -B`: no site-packages, no PYTHON* env, no user dirs) leads
  its own session; at the wall timeout, and always at the end, the whole process group gets
  SIGKILL. stdin is /dev/null; the environment is scrubbed (PATH, LANG, HOME=TMPDIR=scratch);
  cwd is a fresh scratch dir, deleted afterwards.
- Network: a new network namespace (`unshare --net`, or `unshare --user --net` when not root):
  only a loopback that is down. Without namespaces the audit hook below still refuses sockets.
- Credentials (host runs as root, and the uids exist: not so in a small user namespace): the
  child drops to a fresh unprivileged uid/gid per run (from a per-host-process range of 128;
  no supplementary groups), so root-only files are unreadable, host processes cannot be
  signalled and RLIMIT_NPROC counts only this run (with the default 1 it can start no process
  or thread at all). The stdlib is reached through a directory fd opened before the drop
  (/proc/self/fd/N), as it may live under a 0700 /root.
- rlimits (soft = hard): CPU seconds, address space, file size, processes, open files, no core.
- Output: stdout/stderr are pipes read with a cap (`Limits.output_bytes` per stream). A
  program or candidate that writes more fails as `output_limit`: reading stops there and the
  run is killed at once, so a flood costs the host neither memory nor time. The tests'
  process (stdout+stderr) has the same cap and fails as `output_limit: tests`: the
  candidate's return values reach what it prints, and tests that print that much fail every
  candidate, which that reason makes visible. Report pipes keep 64 KiB and drop the rest.
- Audit hook (PEP 578, installed before any untrusted code): refuses process creation and
  signals (`os.system/exec/spawn/posix_spawn/fork/forkpty/kill`, `subprocess.Popen`), sockets
  and network modules' events, `ctypes`, importing `ctypes`/`_posixsubprocess`/test-C-API
  modules or code from outside the stdlib, new audit hooks, `code.__new__`, rlimit changes;
  writes (`open` for writing, remove/rename/mkdir/chmod/...) outside the scratch dir, and more
  than 64 of them (with RLIMIT_FSIZE, a bound on the disk a run fills); reads and listings
  outside the stdlib, the scratch dir and a few device/zoneinfo files (so the host user's
  secrets and /proc/<other pid> stay unreadable even without the uid drop); device nodes.
  Paths are resolved with C-level os functions bound before untrusted code runs; paths that
  are not str/bytes/fd (pathlib objects: their `__fspath__` could lie) are refused. A refusal
  raises PermissionError and is reported on a private pipe: the run then fails as `unsafe`.
- Tests (`run_tests`): two sandboxed processes. The candidate process runs the code and serves
  calls to its functions; the judge process runs the tests with proxies for those functions.
  Arguments and results cross a pipe in a small tagged encoding of exact builtin types only
  (int, float, complex, str, bytes, bool, None, list, tuple, dict, set, frozenset), decoded
  without eval, so objects with a lying `__eq__`, int/str subclasses and the like are refused
  (`unsafe: returned ...`), and nothing the candidate does to its own interpreter (patching
  builtins, `check`, AssertionError, `sys.exit`, unittest or math; frames, gc, signal
  handlers) reaches the judge; names that would shadow a builtin are not passed on. Success
  is a nonce the host gave only to the judge, written on the judge's report pipe after every
  test ran; a candidate that exits early (sys.exit, os._exit, SystemExit in a call) fails.

Does NOT cover: kernel exploits; CPU/memory side channels; a candidate that escapes the
interpreter (crafted bytecode via `marshal.loads`, which imports need, is not blocked) is
then held only by the OS layers, which without root are just rlimits and the namespaces; no
mount namespace, so with such a bypass a dropped uid can still write world-writable dirs
(/tmp), and `os.mkfifo`/`os.mknod` (not audited by CPython) can make a FIFO there even
without one; `os.open(..., dir_fd=)` writes are only caught for absolute paths. Without root
the RLIMIT_NPROC count is the user namespace's (or the host user's), and a process that
escapes the group is not swept. DATAGEN_SANDBOX_PRIVDROP=0 as root leaves the candidate root
with only the hook: for testing the hook, never for real use. Tests that rely on the
candidate mutating its arguments in place, or that use its classes, are not supported.
Environment overrides: see `Limits.from_env`.

Modules: `limits` (Limits, Job, Result), `host` (which OS layers this machine gives, uids,
scratch dirs), `launch` (starting, reading and killing one run's processes), `runner`
(run_program, run_tests, run_many and their verdicts), `guest/` (the code that runs inside
the child, shipped to it as compiled source).
"""

from __future__ import annotations

from .host import layers, scratch_root
from .limits import STATUSES, Job, Limits, Result
from .runner import run_many, run_program, run_tests

__all__ = ["STATUSES", "Job", "Limits", "Result", "layers", "run_many", "run_program", "run_tests", "scratch_root"]
