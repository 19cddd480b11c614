"""The final answer of a math response: the last `\\boxed{}`, else an "answer is / Answer: /
Final answer:" phrase, else a short last line, else the result in the last sentence.

What it does not do: normalise or compare answers (filters/math_notation.py, math_grade.py).
"""

from __future__ import annotations

import re

from filters.math_notation import last_boxed, words_to_number

_ANCHOR = re.compile(
    r"(?:final\s+answer|the\s+answer|answer)\s*(?:is|:|=)?\s*(?:\*\*)?\s*[:=]?\s*(?P<a>[^\n]+)", re.IGNORECASE
)


def _trim(a: str) -> str:
    a = a.strip().strip("*").strip()
    a = re.sub(r"^\$+|\$+$", "", a.strip()) if a.count("$") in (0, 2) and a.startswith("$") and a.endswith("$") else a
    return a.strip().rstrip(".").strip()


def extract_answer(text: str) -> str | None:
    """The final answer of a response: the last \\boxed{}; else the last "answer is / Answer:"
    phrase (up to the end of its sentence); else the whole text or its last line when short;
    else None (math-verify's own extraction is the caller's fallback)."""
    boxed = last_boxed(text)
    if boxed is not None:
        return boxed
    text = text.replace("−", "-")
    found = list(_ANCHOR.finditer(text))
    if found:
        a = found[-1].group("a")
        a = re.split(r"\.\s|\.$|\s\(|;\s", a.strip(), maxsplit=1)[0]  # end of the sentence
        m = re.search(r"\$([^$]+)\$", a)
        return _trim(m.group(1) if m else a) or None
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    if not lines:
        return None
    if len(lines) == 1 and len(lines[0]) <= 60 and words_to_number(lines[0].rstrip(".")) != lines[0].rstrip("."):
        return lines[0].rstrip(".")  # "one thousand five hundred"
    remark = re.search(r"\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)[.\s]*$", lines[-1])
    prose_in = remark and len(re.findall(r"\b[a-zA-Z]{3,}\b", re.sub(r"\$[^$]*\$", " ", remark.group(1)))) >= 2
    last = lines[-1][: remark.start()] if prose_in and remark.start() > 0 else lines[-1]  # a remark after the answer
    prose = re.findall(r"\b[a-zA-Z]{2,}\b", re.sub(r"\$[^$]*\$|\\[a-zA-Z]+", " ", last))
    if len(prose) <= 2 and (len(last) <= 60 or len(lines) == 1):
        m = re.search(r"\$([^$]+)\$", last)
        return _trim(m.group(1) if m else last) or None
    sentence = re.split(r"(?<=[^\d\\])[.!?]\s+", last.rstrip(". "))[-1]
    spans = re.findall(r"(?<!\\)\$([^$]+)\$", sentence)
    listed = re.search(r"(\$[^$]+\$(?:\s*(?:,|and|or|, and|, or)\s*\$[^$]+\$)+)\W*$", sentence)
    if listed:  # "the solutions are $x = 5$ and $x = 3$"
        return ", ".join(_trim(x) for x in re.findall(r"\$([^$]+)\$", listed.group(1)))
    if spans:
        span = spans[-1]
        sides = re.split(r"(?<![<>!\\])=", span)
        worked = len(sides) > 1 and not re.search(r"[a-zA-Z]", re.sub(r"\\[a-zA-Z]+", "", sides[0]))
        return _trim(sides[-1] if worked else span) or None  # `3 \times 6 = 18`: the result; `y + 1 = 2(x - 1)`: the equation
    nums = re.findall(r"-?\d[\d,]*(?:\.\d+)?(?:/\d+)?%?(?![\d\-]*-[a-zA-Z])", sentence)  # not `120-page`
    return nums[-1].rstrip(",") if nums else None
