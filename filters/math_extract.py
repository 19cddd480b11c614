"""The final answer of a math response: the last `\\boxed{}`, else an "answer is / Answer: /
Final answer:" phrase, else a short last line, else the result in the last sentence.

What it does not do: normalise or compare answers (filters/math_notation.py, math_grade.py).
"""

from __future__ import annotations

import re

from filters.math_notation import _TEXT, _UNIT_ALIASES, last_boxed, superscripts, words_to_number

_ANCHOR = re.compile(  # "answer" alone must be followed by is/:/= ("the number of answer sheets is" is no anchor)
    r"(?:final\s+answer\s*(?:is|:|=)?|answer\s*(?:\*\*)?\s*(?:is|:|=)|(?:correct|right)\s+(?:option|choice)\s+is|(?:ответ|réponse|respuesta|antwort|risposta|resposta)\s*(?:\*\*)?\s*(?::|es\b|é|est\b|ist\b|è)|答案?\s*[:：是])"
    r"\s*(?:\*\*)?\s*[:=]?\s*(?P<a>[^\n]+)",
    re.IGNORECASE,
)


def _trim(a: str) -> str:
    a = a.strip().strip("*").strip()
    a = re.sub(r"^\$+|\$+$", "", a.strip()) if a.count("$") in (0, 2) and a.startswith("$") and a.endswith("$") else a
    a = a.strip().rstrip(".").strip()
    while a.endswith("}") and a.count("}") > a.count("{"):  # the end of a wrapper the answer was inside, `\text{... is (A).}`
        a = a[:-1].rstrip().rstrip(".").strip()
    return a


def extract_answer(text: str) -> str | None:
    """The final answer of a response: the last \\boxed{}; else the last "answer is / Answer:"
    phrase (up to the end of its sentence); else the whole text or its last line when short;
    else None (math-verify's own extraction is the caller's fallback)."""
    boxed = last_boxed(text)
    if boxed is not None:
        return boxed
    text = re.sub(r"\s*(?:</s>|<\|(?:im_end|endoftext|eot_id|end)\|>|<eos>)\s*$", "", text.replace("−", "-"))  # an end-of-sequence token left in
    found = list(_ANCHOR.finditer(text))
    if found:
        a = found[-1].group("a")
        listed = re.match(r"\s*(?:\*\*)?\s*(?:either\s+)?(\$[^$]+\$(?:\s*,?\s*(?:or|and|,)\s*\$[^$]+\$)+)", a)
        if listed:  # "the answer is either $\frac{1}{4}$ or $\frac{1}{2}$": all of them (a hedge is no one answer)
            return _joined(listed.group(1))
        choice = re.fullmatch(r"\s*[^\W\d_]+\s+\(?([A-E])\)?\.?\s*", a)  # "вариант B", "option (C)"
        if choice:
            return choice.group(1)
        lead = re.match(r"\s*(?:\*\*)?\s*\$([^$]+)\$", a)  # `**Answer:** $x \in (-3, 4]$`: the math span whole
        if lead:
            return _trim(lead.group(1)) or None
        a = re.split(r"\.\s|\.$|\s\(|;\s", a.strip(), maxsplit=1)[0]  # end of the sentence
        m = re.search(r"\$([^$]+)\$", a)
        return _trim(m.group(1) if m else a) or None
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    if not lines:
        return None
    while len(lines) > 1 and _ASIDE.match(lines[-1]):  # a closing "Check: ..." line
        lines.pop()
    if len(lines) == 1 and len(lines[0]) <= 60 and words_to_number(lines[0].rstrip(".")) != lines[0].rstrip("."):
        return lines[0].rstrip(".")  # "one thousand five hundred"
    remark = re.search(r"\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)[.\s]*$", lines[-1])
    prose_in = remark and len(re.findall(r"\b[a-zA-Z]{3,}\b", re.sub(_NOT_PROSE, " ", remark.group(1)))) >= 2
    last = lines[-1][: remark.start()] if prose_in and remark.start() > 0 else lines[-1]  # a remark after the answer
    bare = last if "$" in last else _TEXT.sub(" ", last)  # `\text{all real numbers}` alone is an answer
    prose = re.findall(r"\b[a-zA-Z]{2,}\b", re.sub(_NOT_PROSE, " ", bare))
    if len(prose) <= 2 and (len(last) <= 60 or len(lines) == 1):
        m = re.search(r"\$([^$]+)\$", last)
        if not m and last.count("=") >= 2 and not re.search(r",|\bor\b|\band\b", last):  # `q = 2e = 3.2 × 10⁻¹⁹ C`: the result
            last = last.rsplit("=", 1)[1]
        return _trim(m.group(1) if m else last) or None
    sentences = re.split(r"(?<=[^\d\\])[.!?]\s+|(?<=\d)[.!?]\s+(?=[A-Z])", last.rstrip(". "))  # "is 36. Would you..."
    while len(sentences) > 1 and _ASIDE.match(sentences[-1]):  # "... is $\frac{7}{12}$. Note that ..."
        sentences.pop()
    sentence = _main_clause(sentences[-1])
    spans = re.findall(r"(?<!\\)\$([^$]+)\$", sentence)
    listed = re.search(r"(\$[^$]+\$(?:\s*(?:,|and|or|, and|, or)\s*\$[^$]+\$)+)\W*$", sentence)
    if listed:  # "the solutions are $x = 5$ and $x = 3$"
        return _joined(listed.group(1))
    if spans:
        span = spans[-1]
        sides = re.split(r"(?<![<>!\\])=", span)
        worked = len(sides) > 1 and not re.search(r"[a-zA-Z]", re.sub(r"\\[a-zA-Z]+", "", sides[0]))
        return _trim(sides[-1] if worked else span) or None  # `3 \times 6 = 18`: the result; `y + 1 = 2(x - 1)`: the equation
    clock = re.findall(r"\b\d{1,2}:\d{2}(?:\s*[AaPp]\.?[Mm]\b\.?)?", sentence)
    if clock:
        return clock[-1]
    sentence = superscripts(sentence)
    sci = list(_SCI_TEXT.finditer(sentence))
    if sci and not re.search(r"\d", sentence[sci[-1].end():]):  # `5.0 × 10⁻⁷ m`: the number in scientific notation
        return sci[-1].group(0)
    money = list(_MONEY_WORDS.finditer(sentence))  # "4 dollars and 50 cents"
    if money:
        m = money[-1]
        return f"{m.group(1)}.{int(m.group(3)):02d}" if m.group(2).lower().startswith(("dollar", "euro")) else f"{m.group(1)}.{int(m.group(3)):02d} {m.group(2)}"
    nums = re.findall(r"-?\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d,.])|-?\d[\d,]*(?:\.\d+)?(?:/\d+)?%?(?![\d\-]*-[a-zA-Z])", sentence)  # 1 000 000; not `120-page`
    if nums:
        unit = re.search(re.escape(nums[-1]) + r"\s*([a-zA-Z]+(?:\s+per\s+[a-zA-Z]+)?)\b(?!.*\d)", sentence)
        if unit and _is_unit(unit.group(1)):  # "travels 30 miles": the unit is part of the answer (30 km is another)
            return f"{nums[-1].rstrip(',')} {unit.group(1)}"
        return nums[-1].rstrip(",")
    spelled = _NUMBER_WORDS.findall(sentence)  # "there are seven such primes"
    if spelled:
        value = words_to_number(spelled[-1].strip())
        if value != spelled[-1].strip():
            return value
    word = _WORD_ANSWER.search(sentence)  # "the limit is infinity", "the equation has no solution"
    if word:
        return ("-" if word.group(1) else "") + ("\\infty" if word.group(2).lower().startswith("infinit") else word.group(2))
    return None


_SCI_TEXT = re.compile(r"-?\d+(?:\.\d+)?\s*(?:×|\\times|\\cdot|x|\*)\s*10\s*\^\s*\{?\s*[-+]?\d+\s*\}?")
_NOT_PROSE = re.compile(r"\$[^$]*\$|\\(?:begin|end)\{\w+\*?\}(?:\{[^{}]*\})?|\\[a-zA-Z]+")  # math, environments, commands
_ASIDE = re.compile(r"\s*(?:\*\*)?\(?(?:note|notice|as a check|check(?:ing)?|verification|verify|for comparison|by contrast|would you like|do you want|let me know|if you(?:'d| would) like)\b", re.IGNORECASE)
_CLAUSE = re.compile(r",\s*(?:and\s+)?(?:whose|that is|i\.e\.|when|its|(?:which is\s+|or\s+)?(?:about|approximately|roughly|around|close to))\b", re.IGNORECASE)
_WORD_ANSWER = re.compile(r"\b(negative |minus )?(infinity|infinite|no solutions?|all real numbers)\b", re.IGNORECASE)


_KNOWN_UNITS = {k for k in _UNIT_ALIASES if len(k) > 1} | {v for v in _UNIT_ALIASES.values() if v}  # built once
_MONEY_WORDS = re.compile(r"\b(\d+)\s+(dollars?|euros?|pounds?)\s+and\s+(\d{1,2})\s+(?:cents?|pence)\b", re.IGNORECASE)
_NUMBER = r"(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion)"
_NUMBER_WORDS = re.compile(rf"\b(?:minus\s+|negative\s+)?{_NUMBER}(?:[\s-]+(?:and\s+)?{_NUMBER})*\b", re.IGNORECASE)


def _is_unit(word: str) -> bool:
    """A unit of measure the grader knows (`miles`, `km`, `hours`), not any noun (`apples`)."""
    w, known = word.lower(), _KNOWN_UNITS
    return any(x in known for x in (w, w[:-1] if w.endswith("s") else w, w[:-2] if w.endswith("es") else w)) or " per " in w


def _joined(listed: str) -> str:
    """`$x < -2$ or $x > 4$` -> `x < -2 or x > 4` (a disjunction stays one; a list joins with commas)."""
    sep = " or " if re.search(r"\bor\b", re.sub(r"\$[^$]*\$", " ", listed)) else ", "
    return sep.join(_trim(x) for x in re.findall(r"\$([^$]+)\$", listed))


def _main_clause(sentence: str) -> str:
    """The sentence up to a clause that only describes the answer ("So $z = 2 - i$, and its
    modulus is $\\sqrt{5}$"; "\\$2.50 in change, that is, 250 cents"), when the answer is before it."""
    m = _CLAUSE.search(sentence)
    head = sentence[: m.start()] if m else sentence
    return head if m and re.search(r"\d|\$[^$]+\$", head) else sentence
