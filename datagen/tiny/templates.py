"""Word-problem templates of the procedural arithmetic task: each `t_*(rng, target)` draws a
question and its arithmetic steps, with small numbers or landing exactly on `target`.

Pure Python (`random.Random`). `TEMPLATES` names them; `BY_DIFFICULTY` groups them by the
number of steps; `Pinned` draws with a fixed name, object or numbers (for the tiny model's
"deepen" and variant targets, which keep some of a problem). Solutions, splits, prompts and
the training mix are `datagen.tiny.tasks`.
"""

from __future__ import annotations

import random
from collections.abc import Callable

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


class Pinned(random.Random):
    """A `random.Random` whose draws of a name or an object return the given ones, and whose
    first `randint` calls return `ints` (for rewriting a problem while keeping who and what it
    is about, or its numbers); other draws are random."""

    def __init__(self, seed: int, name: str | None = None, obj: str | None = None, ints: tuple = ()):
        super().__init__(seed)
        self.pins = {id(_NAMES): next((n for n in _NAMES if n[0] == name), None), id(_OBJECTS): obj}
        self.ints = list(ints)

    def choice(self, seq):
        return self.pins.get(id(seq)) or super().choice(seq)

    def randint(self, a, b):
        return self.ints.pop(0) if self.ints else super().randint(a, b)


def name_and_object(question: str) -> tuple[str | None, str | None]:
    """The leading name and the object asked about ("How many X"), where they are known words."""
    first = question.split(" ", 1)[0]
    obj = question.split("How many ", 1)[-1].split(" ", 1)[0]
    return (first if any(first == n for n, _ in _NAMES) else None), (obj if obj in _OBJECTS else None)


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
BY_DIFFICULTY = {1: ["buy", "together", "give", "lose", "groups", "share"],
                  2: ["buy_give", "groups_lose", "add_packs", "buy_share"],
                  3: ["packs_give", "bake_share", "two_groups"]}
DIFFICULTY_WEIGHTS = (0.6, 0.3, 0.1)
# one-step templates telling `a op b`, and their `randint` draws for it (Pinned ints)
RETELL = {"+": (["buy", "together"], lambda a, b: (a, b)), "-": (["give", "lose"], lambda a, b: (a, b)),
          "*": (["groups"], lambda a, b: (a, b)), "/": (["share"], lambda a, b: (b, a // b))}
