"""Example calls of a coding task, in whatever style its text writes them, as (arguments,
expected output) pairs of Python literals, for decontamination by behaviour
(filters/behaviour.py).

Styles read: doctest (`>>> f(1, 2)` with the output on the next line); a call followed on
the same line by an arrow or a verb and the output: `f(1, 2) -> 3`, `=> 3`, `➞ 3`, `→ 3`,
`== 3`, `= 3`, `returns 3`, `should return 3`, `gives 3`, `is 3`, `: 3` (in backticks or not);
and calls without the name: `Input: a = [1, 2], k = 3` / `Output: [1]`, and a bracketed or
quoted value followed by an arrow, `gives`, `becomes` or `returns` (`[1, 2, -4] gives True`,
`((1, 3), (2, 4)) -> 1`). Arguments and outputs must be Python literals (`ast.literal_eval`:
nothing is evaluated); `true`/`false`/`null` are read as True/False/None. A text's examples
are those of the function it calls most often (a helper's or another function's calls are
left out) and its unnamed ones; the name itself is dropped, since a rewrite renames it.

What it does not do: read examples in prose with bare values ("15 becomes 'db1111db'", "for 3
it returns 6"), keyword arguments of a named call, or outputs that are not literals (objects,
printed text).
"""

from __future__ import annotations

import ast
import re
from collections import Counter

_NAME = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\s*\(")
_SEP = re.compile(
    r"\s*(?:#\s*)?(?:->|-->|=>|➞|→|⟶|==|=|:|\bshould\s+(?:return|give|be|output)\b|\bwould\s+(?:return|give|be)\b"
    r"|\breturns?\b|\bgives?\b|\boutputs?\b|\bis\b|\byields?\b|\bevaluates\s+to\b)\s*",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"'(?:[^'\\\n]|\\.)*'" + r'|"(?:[^"\\\n]|\\.)*"')  # a one-line string literal
_OPENING = re.compile(r"""(?<![\w)\]}'"`])[(\['"]""")  # a bracket or quote not closing or following a name
_WORDS = {"true": "True", "false": "False", "null": "None", "none": "None"}
_KEYWORDS = {"if", "for", "while", "return", "print", "len", "range", "def", "and", "or", "not", "in", "sum", "max", "min",
             "sorted", "list", "int", "str", "float", "abs", "set", "dict", "tuple", "isinstance", "type"}  # fmt: skip


def _closing(text: str, start: int) -> int:
    """Index just past the bracket that closes the one at `start`, skipping string literals;
    -1 when unbalanced."""
    pairs, stack, i, quote = {"(": ")", "[": "]", "{": "}"}, [], start, None
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c in pairs:
            stack.append(pairs[c])
        elif c in ")]}":
            if not stack or stack.pop() != c:
                return -1
            if not stack:
                return i + 1
        elif c == "\n" and len(stack) > 3:
            return -1
        i += 1
    return -1


def _literal(src: str):
    src = src.strip()
    if not src:
        raise ValueError
    try:
        return ast.literal_eval(src)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        words = re.sub(r"\b(true|false|null|none)\b", lambda m: _WORDS[m.group(1).lower()], src, flags=re.IGNORECASE)
        if words == src:
            raise ValueError from None
        return ast.literal_eval(words)


def _output(rest: str):
    """The literal at the start of `rest` (a bracketed or quoted value, or one token), or
    raises ValueError."""
    rest = rest.lstrip()
    if not rest:
        raise ValueError
    rest = rest.lstrip("`*").lstrip()
    if not rest:
        raise ValueError
    if rest[0] in "([{":
        end = _closing(rest, 0)
        if end < 0:
            raise ValueError
        return _literal(rest[:end])
    if rest[0] in "'\"":
        m = _QUOTED.match(rest)
        if not m:
            raise ValueError
        return _literal(m.group(0))
    token = re.match(r"[^\s,;`]+", rest).group(0).rstrip(".")
    return _literal(token)


def _args(src: str, named: bool = False) -> tuple | None:
    """Positional literal arguments; with `named`, `a = 1, b = [2]` (an `Input:` line) gives
    the values in order."""
    try:
        call = ast.parse(f"f({src})", mode="eval").body
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    if not isinstance(call, ast.Call) or any(isinstance(a, ast.Starred) for a in call.args):
        return None
    if call.keywords and (not named or call.args or any(k.arg is None for k in call.keywords)):
        return None
    try:
        return tuple(ast.literal_eval(a) for a in (call.args or [k.value for k in call.keywords]))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


_INPUT = re.compile(r"\bInput\s*:\s*(.+?)\s*(?:\n\s*|[,;]\s*)Output\s*:\s*", re.IGNORECASE)
_ARROW = re.compile(
    r"\s*(?:->|-->|=>|➞|→|⟶|\bgives\b|\bbecomes\b|\bshould\s+(?:return|give|become)\b|\breturns\b)\s*", re.IGNORECASE
)


def _unnamed(text: str, found: dict[str, list]) -> None:
    """Calls written without the function's name: `Input: a = [1, 2], k = 3` with `Output: ...`
    after it, and a bracketed or quoted value followed by an arrow or `gives`/`becomes`/
    `returns` and the output (`[1, 2, -4] gives True`, `((1, 3), (2, 4)) -> 1`: a tuple in
    parentheses is the argument list, anything else one argument). Kept under the name ""."""
    for m in _INPUT.finditer(text):
        args = _args(m.group(1), named=True)
        if args is not None:
            try:
                found.setdefault("", []).append((args, _output(text[m.end() :].split("\n", 1)[0])))
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                pass
    for m in _OPENING.finditer(text):
        start = m.start()
        if text[start] in "'\"":
            q = _QUOTED.match(text, start)
            end = q.end() if q else -1
        else:
            end = _closing(text, start)
        if end < 0:
            continue
        arrow = _ARROW.match(text, end + (text[end : end + 1] == "`"))
        if not arrow or not arrow.group(0).strip():
            continue
        try:
            value = _literal(text[start:end])
            out = _output(text[arrow.end() :].split("\n", 1)[0])
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        args = value if text[start] == "(" and isinstance(value, tuple) else (value,)
        found.setdefault("", []).append((args, out))


def calls(text: str) -> list[tuple[tuple, object]]:
    """The text's example calls of its main function: [(arguments, expected output)]."""
    found: dict[str, list] = {}
    text = text or ""
    _unnamed(text, found)
    for m in _NAME.finditer(text):
        name = m.group(1)
        if name in _KEYWORDS:
            continue
        end = _closing(text, m.end() - 1)
        if end < 0:
            continue
        args = _args(text[m.end() : end - 1])
        if args is None:
            continue
        line_end = text.find("\n", end)
        rest = text[end : len(text) if line_end < 0 else line_end].lstrip("`*")
        doctest = text[max(0, m.start() - 8) : m.start()].rstrip().endswith(">>>")
        try:
            if doctest and not rest.strip():
                nxt = text[line_end + 1 :].split("\n", 1)[0] if line_end >= 0 else ""
                if nxt.lstrip().startswith(">>>"):
                    continue
                out = _literal(nxt)
            else:
                sep = _SEP.match(rest)
                if not sep or not sep.group(0).strip():
                    continue
                out = _output(rest[sep.end() :])
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        found.setdefault(name, []).append((args, out))
    if not found:
        return []
    named = Counter({n: len(v) for n, v in found.items() if n})
    chosen = found.get(named.most_common(1)[0][0], []) if named else []
    seen, out = set(), []
    for args, value in chosen + found.get("", []):
        key = repr(args)
        if key not in seen:
            seen.add(key)
            out.append((args, value))
    return out
