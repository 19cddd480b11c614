"""Procedural arithmetic word problems: datagen's procedural source and the tiny model's curriculum.

Pure Python (`random.Random`), no heavy imports. What it covers:

- `make_problems(n, seed, split)`: deterministic, prefix-stable problems (the first k of
  `make_problems(n)` are `make_problems(k)`), 1 to 3 arithmetic steps, with a step-by-step
  `solution` (one `a op b = c` step per line, then `The answer is \\boxed{c}.`).
  `split="test"` questions are disjoint from `split="train"` ones: every question belongs
  to exactly one split by a hash of its text.
- `problem_with_answer(answer, rng)`: a problem constructed backwards so that its answer is
  exactly `answer` (any integer; negatives use a temperature template).
- The four prompt builders datagen's generators send to the tiny model (`solve_prompt`,
  `new_problem_prompt`, `rewrite_prompt`, `propose_prompt`) and `training_conversations`,
  the chat-format SFT mix that teaches them (`TASK_MIX`, mostly solve). `propose_prompt`
  takes an example question; its training target is a fresh problem from the same template.
  Numbers are kept small (operands up to 20, factors up to 6) so a tiny model partly learns.
- `boxed_answer` / `parse_steps`: small helpers to read a solution back.

The templates themselves live in `datagen.tiny.templates`. What it does not cover: natural-language variety beyond a dozen templates, non-integer
answers, and verification policy (that belongs to `filters/verify.py`).
"""

from __future__ import annotations

import hashlib
import random
import re

from datagen.tiny.templates import BY_DIFFICULTY, DIFFICULTY_WEIGHTS, TEMPLATES, Step, t_temperature

TASKS_VERSION = "1"  # bump whenever generated text changes (feeds the tiny model's build hash)

SOLVE_INSTRUCTION = "Solve step by step and put the final answer in \\boxed{}."
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


# --- prompts (the exact strings datagen's generators send) -------------------------------

def solve_prompt(question: str) -> str:
    return f"{SOLVE_INSTRUCTION}\n\n{question}"


def new_problem_prompt(answer: int | str) -> str:
    return f"Write a new math word problem whose answer is {answer}."


def rewrite_prompt(question: str, solution: str) -> str:
    return ("Rewrite the solution in your own words. Keep every step and put the final answer "
            f"in \\boxed{{}}.\n\nProblem: {question}\n\nSolution:\n{solution}")


def propose_prompt(question: str) -> str:
    """Propose a fresh problem of the same kind as `question` (the example is required)."""
    return f"Write a new problem similar to this one:\n\n{question}"


# --- SFT mix -----------------------------------------------------------------------------

TASK_MIX = {"solve": 0.8, "new_problem": 0.06, "rewrite": 0.07, "propose": 0.07}
SYSTEM_PROMPTS = ["You are a helpful assistant.", "You are a careful math tutor.",
                  "Answer the user's request."]
SYSTEM_RATE = 0.1


def _answer_target(rng: random.Random) -> int:
    return rng.randint(0, 30) if rng.random() < 0.7 else rng.randint(31, 120)


def training_conversations(n: int, seed: int = 0, mix: dict[str, float] | None = None) -> list[list[dict]]:
    """`n` chat conversations (optional system, user, assistant) mixing the four tasks.

    Only train-split questions appear, so `make_problems(split="test")` stays held out.
    """
    mix = mix or TASK_MIX
    kinds, weights = list(mix), list(mix.values())
    rng = _rng("conversations", seed)
    problems = iter(make_problems(n, seed=seed, split="train"))
    convs = []
    for _ in range(n):
        kind = rng.choices(kinds, weights=weights)[0]
        if kind == "new_problem":
            target = _answer_target(rng)
            user, reply = new_problem_prompt(target), problem_with_answer(target, rng)["question"]
        else:
            p = next(problems)
            steps = parse_steps(p["solution"])
            if kind == "solve":
                user, reply = solve_prompt(p["question"]), p["solution"]
            elif kind == "rewrite":
                given = p["solution"] if rng.random() < 0.5 else paraphrase_solution(steps, rng)
                user, reply = rewrite_prompt(p["question"], given), paraphrase_solution(steps, rng)
            else:  # propose: same template, fresh numbers and names
                while True:
                    q, _ = TEMPLATES[p["template"]](rng, None)
                    if q != p["question"] and question_split(q) == "train":
                        break
                user, reply = propose_prompt(p["question"]), q
        conv = [{"role": "user", "content": user}, {"role": "assistant", "content": reply}]
        if rng.random() < SYSTEM_RATE:
            conv.insert(0, {"role": "system", "content": rng.choice(SYSTEM_PROMPTS)})
        convs.append(conv)
    return convs
