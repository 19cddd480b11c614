"""A transformers callback that reports training progress on stderr: a rich bar with the
step, loss and (GRPO) reward, or one line per log when stderr is not a terminal; nothing
with `datagen --quiet`."""

from __future__ import annotations

import sys


def TrainProgress():  # noqa: N802 - a factory; the base class needs transformers (heavy)
    from transformers import TrainerCallback

    from datagen.progress import quiet

    class _Progress(TrainerCallback):
        def __init__(self):
            self.bar = self.task = None

        def on_train_begin(self, args, state, control, **kw):
            if quiet():
                return
            if sys.stderr.isatty():
                from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

                self.bar = Progress(TextColumn("train"), BarColumn(), TextColumn("{task.completed}/{task.total} {task.fields[info]}"),
                                    TimeRemainingColumn(), transient=True)
                self.bar.start()
                self.task = self.bar.add_task("train", total=state.max_steps, completed=state.global_step, info="")

        def on_log(self, args, state, control, logs=None, **kw):
            logs = logs or {}
            info = " ".join(f"{k} {logs[k]:.4g}" for k in ("loss", "reward", "eval_loss") if isinstance(logs.get(k), (int, float)))
            if self.bar is not None:
                self.bar.update(self.task, completed=state.global_step, info=info)
            elif info and not quiet():
                print(f"step {state.global_step}/{state.max_steps} {info}", file=sys.stderr, flush=True)

        def on_step_end(self, args, state, control, **kw):
            if self.bar is not None:
                self.bar.update(self.task, completed=state.global_step)

        def on_train_end(self, args, state, control, **kw):
            if self.bar is not None:
                self.bar.stop()

    return _Progress()
