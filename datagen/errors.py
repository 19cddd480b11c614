"""Errors datagen raises on purpose, and the exit codes the CLI maps them to.

`UserError` means the input is wrong (recipe, seed file, reference, flag): exit code 2,
and the message names the field or line and says how to fix it. Anything else that
escapes is a failure of the run itself: exit code 1.
"""

from __future__ import annotations


class DatagenError(Exception):
    exit_code = 1


class UserError(DatagenError):
    """Bad input. The message must name the offending field/line/reference."""

    exit_code = 2
