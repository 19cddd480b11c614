"""What a sandboxed run is given and what it returns: `Limits` (per-run resource limits, read
from DATAGEN_SANDBOX_* by `Limits.from_env`), `Job` (one program or candidate+tests for
`run_many`) and `Result` (status, detail, capped output, wall seconds).

Does NOT cover: applying the limits (rlimits are set inside the child by `guest/confine.py`;
the wall timeout and output caps are enforced by `launch`/`runner`) or the other layers'
switches (DATAGEN_SANDBOX_NETNS/_PRIVDROP, read by `host`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

STATUSES = ("passed", "failed", "timeout", "error")


@dataclass(frozen=True)
class Limits:
    """Per-run limits; `from_env()` reads DATAGEN_SANDBOX_TIMEOUT (wall s, default 10),
    _MEMORY_MB (address space per process, 1024), _OUTPUT_BYTES (most output per stream, 65536;
    more fails the run as `output_limit`), _FILE_MB (largest file written, 16), _NPROC
    (processes+threads of the run's uid, 1) and _NOFILE (open files, 64).
    DATAGEN_SANDBOX_NETNS=0 / _PRIVDROP=0 turn those layers off, _DIR sets where scratch dirs
    go, _UID_BASE the first uid of the per-run range, _WORKERS the default parallelism of
    `run_many` (2 x CPUs)."""

    timeout: float = 10.0
    memory_mb: int = 1024
    output_bytes: int = 65536
    file_mb: int = 16
    nproc: int = 1
    nofile: int = 64

    @classmethod
    def from_env(cls, **overrides) -> Limits:
        from dataclasses import fields

        kw = {}
        for f in fields(cls):
            key = f"DATAGEN_SANDBOX_{f.name.upper()}"
            raw = os.environ.get(key, "").strip()
            if raw:
                try:
                    kw[f.name] = type(f.default)(raw)
                except ValueError:
                    raise ValueError(f"{key}={raw!r}: expected a {type(f.default).__name__}") from None
        return cls(**{**kw, **overrides})

    def rlimits(self) -> list[tuple[int, int]]:
        import resource as r

        return [(r.RLIMIT_CPU, int(self.timeout) + 1), (r.RLIMIT_AS, self.memory_mb << 20), (r.RLIMIT_FSIZE, self.file_mb << 20),
                (r.RLIMIT_NPROC, self.nproc), (r.RLIMIT_NOFILE, self.nofile), (r.RLIMIT_CORE, 0)]  # fmt: skip


@dataclass
class Result:
    """One run. `detail`: why it did not pass, e.g. `tests_failed: ...`, `exited_early: ...`,
    `unsafe: socket.__new__`, `memory`, `error: NameError: ...`, `killed: SIGXFSZ`, `timeout`,
    `output_limit` (`output_limit: tests`: the tests' process)."""

    status: str
    detail: str | None = None
    exit_code: int | None = None  # of the (candidate) program; negative: killed by that signal
    stdout: str = ""
    stderr: str = ""
    wall_s: float = 0.0
    truncated: bool = False  # some stdout/stderr was over the cap and dropped
    violations: list[str] = field(default_factory=list)
    test_output: str = ""  # stdout+stderr of the tests' process

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass(frozen=True)
class Job:
    code: str
    test: str | None = None  # None: run the code as a program (passes when it exits 0)
    entry_point: str | None = None
