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

What it does not cover: natural-language variety beyond a dozen templates, non-integer
answers, and verification policy (that belongs to `filters/verify.py`).
"""

from __future__ import annotations

import hashlib
import random
import re
from typing import Callable

TASKS_VERSION = "1"  # bump whenever generated text changes (feeds the tiny model's build hash)

SOLVE_INSTRUCTION = "Solve step by step and put the final answer in \\boxed{}."
TEST_BUCKETS = 8  # one hash bucket in TEST_BUCKETS holds the test split

Step = tuple[int, str, int, int]  # (a, op, b, result)

_NAMES = [("Tom", "he"), ("Ana", "she"), ("Sam", "he"), ("Lily", "she"), ("Ben", "he"),
          ("Mia", "she"), ("Leo", "he"), ("Zoe", "she"), ("Max", "he"), ("Emma", "she"),
          ("Omar", "he"), ("Nina", "she"), ("Ravi", "he"), ("Kate", "she"), ("Luis", "he"),
          ("Sara", "she"), ("Jack", "he"), ("Ella", "she"), ("Noah", "he"), ("Ivy", "she")]
_OBJECTS = ["apples", "pencils", "stickers", "marbles", "cookies", "books", "coins", "cards",
            "shells", "oranges", "stamps", "balloons", "candies", "toys", "eggs", "flowers"]
_BOXES = ["bags", "boxes", "packs", "baskets", "jars", "bowls"]
_LOSE = ["loses", "eats", "breaks", "drops", "sells", "uses"]
_GET = ["buys", "finds", "gets", "wins", "picks up"]


def _box_singular(box: str) -> str:
    return box[:-2] if box.endswith("xes") else box[:-1]


def _who(rng: random.Random):
    name, pron = rng.choice(_NAMES)
    other = rng.choice([n for n, _ in _NAMES if n != name])
    return name, pron.capitalize(), other


# --- templates -------------------------------------------------------------------------
# Each template is `f(rng, target) -> (question, steps) | None`. With `target=None` it draws
# small numbers; with an integer target it picks numbers whose final result is `target`,
# or returns None when the template cannot land on that number.

def _split_sum(rng, total):
    """a + b = total with a, b >= 2 where possible (>= 1 for totals under 4), or None."""
    lo = 2 if total >= 4 else 1
    if total < 2:
        return None
    a = rng.randint(lo, total - lo)
    return a, total - a


def _factor(rng, total, lo=2, hi=12):
    """a * b = total with lo <= a, b <= hi, or None."""
    pairs = [(a, total // a) for a in range(lo, hi + 1) if total % a == 0 and lo <= total // a <= hi]
    return rng.choice(pairs) if pairs else None


def t_buy(rng, target):
    name, pron, _ = _who(rng)
    obj, verb = rng.choice(_OBJECTS), rng.choice(_GET)
    ab = (rng.randint(2, 12), rng.randint(1, 9)) if target is None else _split_sum(rng, target)
    if ab is None:
        return None
    a, b = ab
    q = f"{name} has {a} {obj}. {pron} {verb} {b} more. How many {obj} does {name} have now?"
    return q, [(a, "+", b, a + b)]


def t_together(rng, target):
    name, _, other = _who(rng)
    obj = rng.choice(_OBJECTS)
    ab = (rng.randint(2, 12), rng.randint(2, 12)) if target is None else _split_sum(rng, target)
    if ab is None:
        return None
    a, b = ab
    q = f"{name} has {a} {obj} and {other} has {b} {obj}. How many {obj} do they have together?"
    return q, [(a, "+", b, a + b)]


def _minuend_subtrahend(rng, target):
    """a - b with a small b: drawn freely, or landing on `target` (None for negatives)."""
    if target is None:
        a = rng.randint(3, 20)
        return a, rng.randint(1, min(9, a - 1))
    if target < 0:
        return None
    b = rng.randint(1, 9)
    return target + b, b


def t_give(rng, target):
    name, pron, other = _who(rng)
    obj = rng.choice(_OBJECTS)
    ab = _minuend_subtrahend(rng, target)
    if ab is None:
        return None
    a, b = ab
    q = f"{name} has {a} {obj}. {pron} gives {b} to {other}. How many {obj} does {name} have left?"
    return q, [(a, "-", b, a - b)]


def t_lose(rng, target):
    name, pron, _ = _who(rng)
    obj, verb = rng.choice(_OBJECTS), rng.choice(_LOSE)
    ab = _minuend_subtrahend(rng, target)
    if ab is None:
        return None
    a, b = ab
    q = f"{name} had {a} {obj} and {verb} {b} of them. How many {obj} are left?"
    return q, [(a, "-", b, a - b)]


def t_groups(rng, target):
    name, _, _ = _who(rng)
    obj, box = rng.choice(_OBJECTS), rng.choice(_BOXES)
    ab = (rng.randint(2, 6), rng.randint(2, 6)) if target is None else _factor(rng, target)
    if ab is None:
        return None
    a, b = ab
    q = f"{name} has {a} {box} with {b} {obj} in each {_box_singular(box)}. How many {obj} does {name} have?"
    return q, [(a, "*", b, a * b)]


def t_share(rng, target):
    name, _, _ = _who(rng)
    obj = rng.choice(_OBJECTS)
    b = rng.randint(2, 5)
    c = rng.randint(1, 6) if target is None else target
    if c < 1:
        return None
    a = b * c
    q = f"{name} shares {a} {obj} equally among {b} friends. How many {obj} does each friend get?"
    return q, [(a, "/", b, c)]


def t_buy_give(rng, target):
    name, pron, other = _who(rng)
    obj, verb = rng.choice(_OBJECTS), rng.choice(_GET)
    if target is None:
        a, b = rng.randint(2, 10), rng.randint(2, 9)
        c = rng.randint(1, min(9, a + b - 1))
    else:
        if target < 0:
            return None
        c = rng.randint(1, 10)
        ab = _split_sum(rng, target + c)
        if ab is None:
            return None
        a, b = ab
    q = (f"{name} has {a} {obj}. {pron} {verb} {b} more and then gives {c} to {other}. "
         f"How many {obj} does {name} have now?")
    return q, [(a, "+", b, a + b), (a + b, "-", c, a + b - c)]


def t_groups_lose(rng, target):
    name, pron, _ = _who(rng)
    obj, box, verb = rng.choice(_OBJECTS), rng.choice(_BOXES), rng.choice(_LOSE)
    if target is None:
        a, b = rng.randint(2, 5), rng.randint(2, 5)
        c = rng.randint(1, min(9, a * b - 1))
    else:
        if target < 0:
            return None
        for _ in range(30):
            c = rng.randint(1, 10)
            ab = _factor(rng, target + c)
            if ab:
                break
        else:
            return None
        a, b = ab
    q = (f"{name} has {a} {box} with {b} {obj} in each {_box_singular(box)}. "
         f"{pron} {verb} {c} of them. How many {obj} are left?")
    return q, [(a, "*", b, a * b), (a * b, "-", c, a * b - c)]


def t_add_packs(rng, target):
    name, pron, _ = _who(rng)
    obj, box = rng.choice(_OBJECTS), rng.choice(_BOXES)
    if target is None:
        a, b, c = rng.randint(2, 10), rng.randint(2, 4), rng.randint(2, 5)
    else:
        if target < 5:
            return None
        b, c = rng.randint(2, 5), rng.randint(2, 6)
        if b * c >= target:
            b, c = 2, 2
        a = target - b * c
    q = (f"{name} has {a} {obj}. {pron} buys {b} {box} with {c} {obj} in each {_box_singular(box)}. "
         f"How many {obj} does {name} have now?")
    return q, [(b, "*", c, b * c), (a, "+", b * c, a + b * c)]


def t_buy_share(rng, target):
    name, _, _ = _who(rng)
    obj, verb = rng.choice(_OBJECTS), rng.choice(_GET)
    c = rng.randint(2, 4)
    total = c * rng.randint(1, 6) if target is None else c * target
    ab = _split_sum(rng, total)
    if ab is None:
        return None
    a, b = ab
    q = (f"{name} has {a} {obj} and {verb} {b} more. {name} shares them equally among {c} friends. "
         f"How many {obj} does each friend get?")
    return q, [(a, "+", b, total), (total, "/", c, total // c)]


def t_packs_give(rng, target):
    name, pron, other = _who(rng)
    obj, box = rng.choice(_OBJECTS), rng.choice(_BOXES)
    if target is None:
        a, b, c = rng.randint(2, 9), rng.randint(2, 3), rng.randint(2, 4)
        d = rng.randint(1, min(9, a + b * c - 1))
    else:
        if target < 4:
            return None
        d = rng.randint(1, 9)
        b, c = rng.randint(2, 4), rng.randint(2, 5)
        if b * c >= target + d:
            b, c = 2, 2
        a = target + d - b * c
    x = b * c
    q = (f"{name} has {a} {obj}. {pron} buys {b} {box} with {c} {obj} in each {_box_singular(box)}, "
         f"then gives {d} {obj} to {other}. How many {obj} does {name} have now?")
    return q, [(b, "*", c, x), (a, "+", x, a + x), (a + x, "-", d, a + x - d)]


def t_bake_share(rng, target):
    name, pron, _ = _who(rng)
    box = rng.choice(["trays", "plates", "rows"])
    d = rng.randint(2, 3)
    if target is None:
        target = rng.randint(1, 5)
    if target < 1:
        return None
    y = target * d
    for _ in range(30):
        c = rng.randint(1, 8)
        ab = _factor(rng, y + c, 2, 9)
        if ab:
            break
    else:
        return None
    a, b = ab
    q = (f"{name} bakes {a} {box} of cookies with {b} cookies on each. {pron} eats {c} cookies "
         f"and shares the rest equally among {d} friends. How many cookies does each friend get?")
    return q, [(a, "*", b, a * b), (a * b, "-", c, y), (y, "/", d, target)]


def t_two_groups(rng, target):
    name, pron, _ = _who(rng)
    o1, o2 = rng.sample(["red", "blue", "green", "yellow"], 2)
    box = rng.choice(_BOXES)
    if target is None:
        a, b, c, d = (rng.randint(2, 4) for _ in range(4))
    else:
        for _ in range(30):
            a, b = rng.randint(2, 6), rng.randint(2, 6)
            cd = _factor(rng, target - a * b, 2, 9) if target - a * b >= 4 else None
            if cd:
                c, d = cd
                break
        else:
            return None
    q = (f"{name} buys {a} {box} of {o1} beads with {b} beads in each and {c} {box} of {o2} beads "
         f"with {d} beads in each. How many beads does {name} buy?")
    return q, [(a, "*", b, a * b), (c, "*", d, c * d), (a * b, "+", c * d, a * b + c * d)]


def t_temperature(rng, target):
    """Only for constructing problems with a given (possibly negative) answer."""
    if target is None:
        target = rng.randint(-10, 10)
    b = rng.randint(1, 12)
    a = target + b
    place = rng.choice(["town", "city", "village"])
    q = (f"In the morning the temperature in the {place} is {a} degrees. By night it drops by {b} "
         f"degrees. What is the temperature at night?")
    return q, [(a, "-", b, target)]


TEMPLATES: dict[str, Callable] = {
    "buy": t_buy, "together": t_together, "give": t_give, "lose": t_lose, "groups": t_groups,
    "share": t_share, "buy_give": t_buy_give, "groups_lose": t_groups_lose,
    "add_packs": t_add_packs, "buy_share": t_buy_share, "packs_give": t_packs_give,
    "bake_share": t_bake_share, "two_groups": t_two_groups,
}
# difficulty (steps) -> templates; draw weights per difficulty
_BY_DIFFICULTY = {1: ["buy", "together", "give", "lose", "groups", "share"],
                  2: ["buy_give", "groups_lose", "add_packs", "buy_share"],
                  3: ["packs_give", "bake_share", "two_groups"]}
DIFFICULTY_WEIGHTS = (0.6, 0.3, 0.1)


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
    name = rng.choice(_BY_DIFFICULTY[difficulty])
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
