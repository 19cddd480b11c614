"""Doctest examples of a coding task as (call arguments, expected output) pairs, for
decontamination: a rewritten task that renames the function and rewords the docstring usually
keeps its examples, and a look-alike task with other behaviour gives another output for the
same arguments.

`examples(texts)` reads every `>>> name(args)` line and the output line under it, with the
function name dropped and spacing and quotes normalised; `compare(a, b)` counts the argument
lists two tasks share with the same output and with a different one.

What it does not do: run code, or read examples written as prose ("for 3 it returns 6").
"""

from __future__ import annotations

import re

_EXAMPLE = re.compile(r">>>\s*[A-Za-z_][\w.]*\s*\((.*)\)\s*\n\s*([^\n>][^\n]*)")


def _norm(s: str) -> str:
    return re.sub(r"\s+", "", s).replace("'", '"')


def examples(texts: list[str]) -> list[dict[str, str]]:
    """Per text: {normalised arguments: normalised output}."""
    return [{_norm(a): _norm(o) for a, o in _EXAMPLE.findall(t or "")} for t in texts]


def compare(a: dict[str, str], b: dict[str, str]) -> tuple[int, int]:
    """(shared arguments with the same output, shared arguments with another output)."""
    shared = a.keys() & b.keys()
    same = sum(a[k] == b[k] for k in shared)
    return same, len(shared) - same
