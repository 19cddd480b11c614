"""Procedural arithmetic word problems: datagen's procedural source and the tiny model's curriculum.

Pure Python (`random.Random`), no heavy imports. What it covers:

- `make_problems(n, seed, split)`: deterministic, prefix-stable problems (the first k of
  `make_problems(n)` are `make_problems(k)`), 1 to 3 arithmetic steps, with a step-by-step
  `solution` (one `a op b = c` step per line, then `The answer is \\boxed{c}.`).
  `split="test"` questions are disjoint from `split="train"` ones: every question belongs
  to exactly one split by a hash of its text.
- `problem_with_answer(answer, rng)`: a problem constructed backwards so that its answer is
  exactly `answer` (any integer; negatives use a temperature template).
- `training_conversations`: the chat-format SFT mix (`TASK_MIX`) over the exact prompt
  templates of `schemas.prompts` that datagen's generators send: `solve` (SOLVE -> steps),
  `variant` (SvS VARIANT -> another problem with the same answer: mostly, `RETELL_RATE`, a
  one-step problem retelling the solution's last step, numbers a tiny model can copy; else
  `problem_with_answer`), `rewrite` (REWRITE -> `paraphrase_solution`, same steps), `deepen`
  / `broaden` (EVOLVE -> a problem of one more step with the same name and object / of
  another template, same difficulty) and `verbalized` (VERBALIZED around a variant or
  broaden request -> m distinct `<response>` lines, probabilities descending).
  EVOLVE's constrain, concretize and paraphrase are not trained: templates cannot express
  them truthfully. Every question in it, prompt or target, is from the "train" split.
  Numbers are kept small (operands up to 20, factors up to 6) so a tiny model partly learns.
- Readers for checking outputs: `boxed_answer`, `parse_steps`, `step_is_correct`
  (`datagen.tiny.evaluate` adds `well_formed` and `parse_verbalized`).

The templates themselves live in `datagen.tiny.templates`. What it does not cover:
natural-language variety beyond a dozen templates, non-integer answers, and verification
policy (that belongs to `filters/verify.py`).
"""

from __future__ import annotations

import hashlib
import random
import re

from datagen.tiny.templates import (
    BY_DIFFICULTY,
    DIFFICULTY_WEIGHTS,
    RETELL,
    TEMPLATES,
    Pinned,
    Step,
    name_and_object,
    t_temperature,
)
from schemas import prompts

TASKS_VERSION = "2"  # bump whenever generated text changes (feeds the tiny model's build hash)

TEST_BUCKETS = 8  # one hash bucket in TEST_BUCKETS holds the test split


# --- solutions ---------------------------------------------------------------------------

def format_step(step: Step) -> str:
    a, op, b, c = step
    return f"{a} {op} {b} = {c}"


def format_solution(steps: list[Step]) -> str:
    return "\n".join(format_step(s) for s in steps) + f"\nThe answer is \\boxed{{{steps[-1][3]}}}."


_PHRASES = {
    "+": ["Adding them: {e}.", "We add {b} to {a}: {e}.", "In total, {e}.", "Together that makes {e}."],
    "-": ["Taking away {b}: {e}.", "We subtract {b} from {a}: {e}.", "What is left is {e}.", "Removing {b} leaves {e}."],
    "*": ["{a} groups of {b} make {e}.", "We multiply: {e}.", "Multiplying gives {e}.", "That is {e}."],
    "/": ["Sharing equally: {e}.", "We divide {a} by {b}: {e}.", "Each one gets {e}.", "Splitting into {b} parts: {e}."],
}
_LEADS = ["First, ", "Next, ", "Then ", "After that, "]
_FINALS = ["So the answer is \\boxed{{{c}}}.", "Therefore the answer is \\boxed{{{c}}}.",
           "The final answer is \\boxed{{{c}}}.", "That gives \\boxed{{{c}}}."]


def paraphrase_solution(steps: list[Step], rng: random.Random) -> str:
    """The same steps in other words: every line still holds its `a op b = c`."""
    lines = []
    for i, (a, op, b, c) in enumerate(steps):
        phrase = rng.choice(_PHRASES[op]).format(a=a, b=b, e=format_step((a, op, b, c)))
        if len(steps) > 1 and rng.random() < 0.5:
            phrase = _LEADS[min(i, 3) if i else 0] + phrase[0].lower() + phrase[1:]
        lines.append(phrase)
    lines.append(rng.choice(_FINALS).format(c=steps[-1][3]))
    return "\n".join(lines)


_BOXED = re.compile(r"\\boxed\{([^{}]*)\}")
_STEP = re.compile(r"(-?\d+) ([-+*/]) (-?\d+) = (-?\d+)")


def boxed_answer(text: str) -> str | None:
    """Content of the last `\\boxed{...}` in `text`, stripped, or None."""
    found = _BOXED.findall(text)
    return found[-1].strip() if found else None


def parse_steps(text: str) -> list[Step]:
    """Every `a op b = c` in `text`, in order (whether or not the arithmetic is right)."""
    return [(int(a), op, int(b), int(c)) for a, op, b, c in _STEP.findall(text)]


def step_is_correct(step: Step) -> bool:
    a, op, b, c = step
    if op == "/":
        return b != 0 and a == b * c
    return {"+": a + b, "-": a - b, "*": a * b}[op] == c


# --- problems ----------------------------------------------------------------------------

def question_split(question: str) -> str:
    """The split a question belongs to ("train" or "test"), by a stable hash of its text."""
    h = int.from_bytes(hashlib.sha256(question.encode()).digest()[:8], "big")
    return "test" if h % TEST_BUCKETS == 0 else "train"


def _rng(*parts) -> random.Random:
    key = "/".join(str(p) for p in parts)
    return random.Random(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))


def _problem(pid: str, template: str, question: str, steps: list[Step]) -> dict:
    return {"id": pid, "question": question, "answer": str(steps[-1][3]),
            "solution": format_solution(steps), "difficulty": len(steps), "template": template}


def draw_problem(rng: random.Random, difficulty: int | None = None) -> tuple[str, str, list[Step]]:
    """One forward-drawn problem: (template name, question, steps)."""
    if difficulty is None:
        difficulty = rng.choices((1, 2, 3), weights=DIFFICULTY_WEIGHTS)[0]
    name = rng.choice(BY_DIFFICULTY[difficulty])
    question, steps = TEMPLATES[name](rng, None)
    return name, question, steps


def make_problems(n: int, seed: int = 0, split: str = "train", difficulty: int | None = None) -> list[dict]:
    """`n` distinct problems of `split` ("train" or "test"), deterministic in (seed, split).

    Dicts: id (`arith/{split}/{seed}/{i}`), question, answer (integer string), solution,
    difficulty (number of steps, 1-3), template. `difficulty` pins the step count.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    rng = _rng("arith", split, seed, difficulty)
    seen: set[str] = set()
    out: list[dict] = []
    while len(out) < n:
        name, q, steps = draw_problem(rng, difficulty)
        if q in seen or question_split(q) != split:
            continue
        seen.add(q)
        out.append(_problem(f"arith/{split}/{seed}/{len(out)}", name, q, steps))
    return out


def problem_with_answer(answer: int, rng: random.Random, split: str | None = "train") -> dict:
    """A problem constructed so its answer is exactly `answer` (any integer).

    With `split` set, the question is redrawn until it belongs to that split (None: any).
    """
    answer = int(answer)
    names = list(TEMPLATES) if answer >= 0 else ["temperature"]
    table = {**TEMPLATES, "temperature": t_temperature}
    for _ in range(200):
        name = rng.choice(names)
        made = table[name](rng, answer)
        if made is None or (split and question_split(made[0]) != split):
            continue
        q, steps = made
        assert steps[-1][3] == answer
        return _problem(f"arith/answer/{answer}", name, q, steps)
    q, steps = t_temperature(rng, answer)  # always constructible; split not guaranteed
    return _problem(f"arith/answer/{answer}", "temperature", q, steps)


# --- prompts (the exact strings of `schemas.prompts`) and their training targets ----------

def solve_prompt(question: str) -> str:
    return prompts.SOLVE.format(question=question)


def variant_prompt(p: dict, solution: str | None = None) -> str:
    return prompts.VARIANT.format(question=p["question"], solution=solution or p["solution"], answer=p["answer"])


def rewrite_prompt(p: dict, solution: str | None = None) -> str:
    return prompts.REWRITE.format(question=p["question"], solution=solution or p["solution"])


def evolve_prompt(op: str, p: dict) -> str:
    return prompts.EVOLVE[op].format(question=p["question"])


def verbalized_prompt(m: int, request: str) -> str:
    return prompts.VERBALIZED.format(m=m, request=request)


def _fresh(draw, rng: random.Random, avoid: set[str]) -> dict:
    """A train-split problem from `draw(rng)` whose question is not in `avoid` (which it joins)."""
    while True:
        p = draw(rng)
        if p["question"] not in avoid and question_split(p["question"]) == "train":
            avoid.add(p["question"])
            return p


def _drawn(name: str, rng: random.Random) -> dict:
    q, steps = TEMPLATES[name](rng, None)
    return _problem("arith/drawn", name, q, steps)


def variant_target(p: dict, rng: random.Random, avoid: set[str]) -> dict:
    """Another problem with `p`'s answer: `problem_with_answer`, or (RETELL_RATE) a one-step
    problem retelling the last step of `p`'s solution (numbers a tiny model can copy)."""
    if rng.random() < RETELL_RATE:
        a, op, b, _ = parse_steps(p["solution"])[-1]
        names, ints = RETELL[op]
        names = [n for n in names if n != p["template"]] or names
        return _fresh(lambda r: _drawn(r.choice(names), Pinned(r.getrandbits(64), ints=ints(a, b))), rng, avoid)
    return _fresh(lambda r: problem_with_answer(int(p["answer"]), r), rng, avoid)


def broaden_target(p: dict, rng: random.Random, avoid: set[str]) -> dict:
    """A problem of another template with `p`'s difficulty."""
    others = [t for t in BY_DIFFICULTY[p["difficulty"]] if t != p["template"]]
    return _fresh(lambda r: _drawn(r.choice(others), r), rng, avoid)


def deepen_target(p: dict, rng: random.Random, avoid: set[str]) -> dict:
    """One more step (at most 3), another template, same name and object where it has them."""
    name, obj = name_and_object(p["question"])
    others = [t for t in BY_DIFFICULTY[min(p["difficulty"] + 1, 3)] if t != p["template"]]
    return _fresh(lambda r: _drawn(r.choice(others), Pinned(r.getrandbits(64), name, obj)), rng, avoid)


def format_verbalized(texts: list[str], rng: random.Random) -> str:
    """One `<response>` line per text; probabilities descending, 2 decimals, summing to at most 0.97."""
    weights = sorted((rng.random() + 0.3 for _ in texts), reverse=True)
    total = rng.uniform(0.5, 0.97) / sum(weights)
    return "\n".join(f"<response><text>{t}</text><probability>{max(0.01, w * total):.2f}</probability></response>"
                     for t, w in zip(texts, weights, strict=True))


# --- SFT mix -----------------------------------------------------------------------------

RETELL_RATE = 0.8
TASK_MIX = {"solve": 0.45, "variant": 0.18, "rewrite": 0.15, "deepen": 0.05, "broaden": 0.04, "verbalized": 0.13}
SYSTEM_PROMPTS = ["You are a helpful assistant.", "You are a careful math tutor.",
                  "Answer the user's request."]
SYSTEM_RATE = 0.1


def task_example(kind: str, p: dict, rng: random.Random) -> tuple[str, str]:
    """(user prompt, assistant reply) of task `kind` on train problem `p`."""
    steps = parse_steps(p["solution"])
    given = p["solution"] if rng.random() < 0.6 else paraphrase_solution(steps, rng)
    avoid = {p["question"]}
    if kind == "solve":
        return solve_prompt(p["question"]), p["solution"]
    if kind == "variant":
        return variant_prompt(p, given), variant_target(p, rng, avoid)["question"]
    if kind == "rewrite":
        return rewrite_prompt(p, given), paraphrase_solution(steps, rng)
    if kind in ("deepen", "broaden"):
        return evolve_prompt(kind, p), (deepen_target if kind == "deepen" else broaden_target)(p, rng, avoid)["question"]
    if kind == "verbalized":
        m = rng.choice((2, 3, 4))
        wrapped = "variant" if rng.random() < 0.5 else "broaden"
        request = variant_prompt(p, given) if wrapped == "variant" else evolve_prompt("broaden", p)
        target = variant_target if wrapped == "variant" else broaden_target
        return verbalized_prompt(m, request), format_verbalized([target(p, rng, avoid)["question"] for _ in range(m)], rng)
    raise ValueError(f"unknown tiny task {kind!r}")


def training_conversations(n: int, seed: int = 0, mix: dict[str, float] | None = None) -> list[list[dict]]:
    """`n` chat conversations (optional system, user, assistant) mixing the tasks of `mix`.

    Only train-split questions appear, so `make_problems(split="test")` stays held out.
    """
    mix = mix or TASK_MIX
    kinds, weights = list(mix), list(mix.values())
    rng = _rng("conversations", seed)
    convs = []
    for p in make_problems(n, seed=seed, split="train"):
        user, reply = task_example(rng.choices(kinds, weights=weights)[0], p, rng)
        conv = [{"role": "user", "content": user}, {"role": "assistant", "content": reply}]
        if rng.random() < SYSTEM_RATE:
            conv.insert(0, {"role": "system", "content": rng.choice(SYSTEM_PROMPTS)})
        convs.append(conv)
    return convs
