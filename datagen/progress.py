"""Progress on stderr, and how much third-party libraries may log.

`StageProgress` is a recipe run's display (rich, on stderr): one bar per stage over its
shards, one per batch of LLM requests, and a row while an engine starts. Quiet when stderr
is not a terminal, unless forced. `task(label, total)` is a bar for any long step (encoding,
a filter command, an engine start-up): a row in the running display when there is one, else
its own transient bar on a terminal, else one line on stderr.

`configure_output(verbose, quiet)` (the CLI's global `-v/--verbose` and `-q/--quiet`, or
DATAGEN_VERBOSE=1 / DATAGEN_QUIET=1 in the environment) sets the
log levels: by default vLLM logs errors only and the other libraries (transformers, torch,
datasets, sentence-transformers, urllib3, httpx, ray, filelock, huggingface_hub) warnings
and up, through environment variables too, so the engine's own processes obey;
`--verbose` leaves every library at its own default; `--quiet` also turns off progress bars.
Third-party logs never go to stdout (`VLLM_LOGGING_STREAM`), and `stdout_to_stderr()`
sends whatever a library prints during a command's work to stderr: a command's stdout
carries only its result.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time

QUIET_LOGGERS = {
    "vllm": "ERROR",
    "transformers": "WARNING",
    "torch": "WARNING",
    "datasets": "WARNING",
    "sentence_transformers": "WARNING",
    "urllib3": "WARNING",
    "httpx": "WARNING",
    "httpcore": "WARNING",
    "ray": "WARNING",
    "filelock": "WARNING",
    "huggingface_hub": "WARNING",
}


def configure_output(verbose: bool = False, quiet: bool = False) -> None:
    """Log levels for third-party libraries and whether progress bars show (see module doc).
    Variables the user set stay as they are."""
    import logging

    if verbose and not quiet:  # the user's -v wins over a DATAGEN_QUIET inherited from a parent datagen
        os.environ.pop("DATAGEN_QUIET", None)
    verbose = verbose or os.environ.get("DATAGEN_VERBOSE") == "1"
    quiet = quiet or os.environ.get("DATAGEN_QUIET") == "1"
    os.environ.setdefault("VLLM_LOGGING_STREAM", "ext://sys.stderr")  # stdout carries only results
    quieted = [v for v in os.environ.get("DATAGEN_QUIETED", "").split(",") if v]  # set by an earlier datagen in this environment
    if verbose:
        os.environ["DATAGEN_VERBOSE"] = "1"
        for var in quieted:  # our own quiet defaults, inherited from a parent datagen: not the user's choice
            os.environ.pop(var, None)
        os.environ.pop("DATAGEN_QUIETED", None)
    else:
        # read when vllm / transformers / datasets / torch are imported, here and in vLLM's engine processes
        defaults = {
            "VLLM_LOGGING_LEVEL": QUIET_LOGGERS["vllm"],
            "TRANSFORMERS_VERBOSITY": QUIET_LOGGERS["transformers"].lower(),
            "DATASETS_VERBOSITY": QUIET_LOGGERS["datasets"].lower(),
            "TORCH_CPP_LOG_LEVEL": "ERROR",  # c10 warnings (NUMA binding, ...)
            # vLLM's engine processes: library deprecation notices (FutureWarning) are not the user's to fix
            "PYTHONWARNINGS": "ignore::FutureWarning,ignore::DeprecationWarning",
        }
        for var, value in defaults.items():
            if var not in os.environ:
                os.environ[var] = value
                quieted.append(var)
        os.environ["DATAGEN_QUIETED"] = ",".join(dict.fromkeys(quieted))
        for name, level in QUIET_LOGGERS.items():
            logging.getLogger(name).setLevel(level)
        import warnings

        warnings.filterwarnings("ignore", category=FutureWarning)
        warnings.filterwarnings("ignore", category=DeprecationWarning)
    if quiet:
        os.environ["DATAGEN_QUIET"] = "1"
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TQDM_DISABLE", "1")


def verbose() -> bool:
    return os.environ.get("DATAGEN_VERBOSE") == "1"


def quiet() -> bool:
    return os.environ.get("DATAGEN_QUIET") == "1"


@contextlib.contextmanager
def stdout_to_stderr():
    """While the block runs, file descriptor 1 (and `sys.stdout`) point at stderr, so logs and
    prints from libraries and the processes they start stay off stdout; restored after."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no stdout at all
        yield
        return
    old = sys.stdout
    try:
        os.dup2(2, 1)
        sys.stdout = sys.stderr
        yield
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        sys.stdout = old
        os.dup2(saved, 1)
        os.close(saved)


class StageProgress:
    def __init__(self, enabled: bool | None = None, transient: bool = False):
        if enabled is None:
            enabled = sys.stderr.isatty() or os.environ.get("DATAGEN_PROGRESS") == "1"
        self.enabled = enabled and not quiet()
        self.transient = transient
        self._progress = None
        self._outer = None

    def __enter__(self):
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                console=Console(stderr=True), transient=self.transient,
            )
            self._progress.__enter__()
        self._outer = current()
        _set_current(self)  # also when disabled: work inside a run adds no bars of its own
        return self

    def __exit__(self, *exc):
        _set_current(self._outer)
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def add_stage(self, label: str, total: int | None):
        if self._progress is None:
            return None
        return self._progress.add_task(label, total=total)

    def advance(self, task, n: int = 1):
        if self._progress is not None and task is not None:
            self._progress.advance(task, n)

    def llm_callback(self, name: str):
        """A `(done, total)` callback for a CachedLLM: one bar per model, per generate call."""
        if self._progress is None:
            return None
        task = self._progress.add_task(f"  {name}: samples", total=None, visible=False)

        def update(done: int, total: int) -> None:
            self._progress.update(task, completed=done, total=total, visible=True)

        return update

    def remove(self, task):
        if self._progress is not None and task is not None:
            self._progress.remove_task(task)


@contextlib.contextmanager
def task(label: str, total: int | None = None):
    """Yields `advance(n)` for a step of `total` units (None: a spinner-like row while it runs).
    Inside a display (a recipe run, another task): a row there, removed when done. Outside one:
    a transient bar of its own on a terminal, one line on stderr elsewhere; nothing with --quiet."""
    cur = current()
    if cur is not None:
        t = cur.add_stage(label, total)
        try:
            yield lambda n=1: cur.advance(t, n)
        finally:
            cur.remove(t)
        return
    if quiet():
        yield lambda n=1: None
        return
    if sys.stderr.isatty() or os.environ.get("DATAGEN_PROGRESS") == "1":
        with StageProgress(True, transient=True) as own:
            t = own.add_stage(label, total)
            yield lambda n=1: own.advance(t, n)
        return
    print(f"{label} ..." if total is None else f"{label}: {total} ...", file=sys.stderr, flush=True)
    yield lambda n=1: None


@contextlib.contextmanager
def starting(backend: str, model: str):
    """'starting vLLM (model M)' while an engine starts (vLLM takes tens of seconds on a CPU)."""
    from datagen.llm.model_ref import DISPLAY

    verb = "loading" if backend in ("transformers", "sentence-transformers") else "starting"
    t0 = time.perf_counter()
    with task(f"{verb} {DISPLAY.get(backend, backend)} (model {model})"):
        yield
    if verbose():
        print(f"{DISPLAY.get(backend, backend)} ready in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)


_current: StageProgress | None = None


def _set_current(p: StageProgress | None) -> None:
    global _current
    _current = p


def current() -> StageProgress | None:
    """The progress display of the running engine or command, if any (LLM backends and long
    steps add rows to it)."""
    return _current
