"""Progress bars for long work (rich, on stderr): one bar per stage over its shards, and one
per batch of LLM requests. Quiet when stderr is not a terminal, unless forced."""

from __future__ import annotations

import os
import sys


class StageProgress:
    def __init__(self, enabled: bool | None = None):
        if enabled is None:
            enabled = sys.stderr.isatty() or os.environ.get("DATAGEN_PROGRESS") == "1"
        self.enabled = enabled
        self._progress = None

    def __enter__(self):
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                console=Console(stderr=True), transient=False,
            )
            self._progress.__enter__()
            _set_current(self)
        return self

    def __exit__(self, *exc):
        _set_current(None)
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def add_stage(self, label: str, total: int):
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


_current: StageProgress | None = None


def _set_current(p: StageProgress | None) -> None:
    global _current
    _current = p


def current() -> StageProgress | None:
    """The progress display of the running engine, if any (LLM backends add request bars to it)."""
    return _current
