"""Solve-and-verify, the loop every generator that checks answers shares.

`solve` draws n candidates per conversation and verifies them against the rows' reference
answers in one verifier call; `solve_in_rounds` is DART-Math's sampler: rounds of
`round_size` samples for every prompt that still has fewer correct candidates than its
target and fewer than `max_trials` samples, so each round is one large batch for the
engine. Sample i of a prompt is the same whatever round draws it (`first_index`), so a
larger budget only adds samples. `pass_rate` and `prop2diff_targets` are pure helpers.

What it does not do: decide what to keep (the generators do).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from filters.verify import why_rejected
from generators.candidates import Candidate, draw


@dataclass
class Attempt:
    cand: Candidate
    score: float | None  # verifier score; None when not scored
    reason: str | None  # None: verified correct; else why not
    reward: float | None = None  # a reward model's score, when one is used

    @property
    def correct(self) -> bool:
        return self.reason is None

    @property
    def counted(self) -> bool:
        """Counts toward a pass rate: the model answered (not an LLM failure or an unverifiable row)."""
        return self.reason is None or not (self.reason.startswith("llm_error") or self.reason == "unverifiable")


def verify(verifier, convs, answers, cands: list[list[Candidate]]) -> list[list[Attempt]]:
    flat = [(r, c) for r, cs in enumerate(cands) for c in cs if c.ok]
    scores = verifier(
        prompts=[convs[r] for r, _ in flat],
        completions=[[{"role": "assistant", "content": c.checked}] for _, c in flat],
        answer=[answers[r] for r, _ in flat],
    ) if flat else []
    it = iter(scores)  # in the order of `flat`: the ok candidates, conversation by conversation

    def attempt(c: Candidate) -> Attempt:
        if not c.ok:
            return Attempt(c, None, c.error)
        s = next(it)
        return Attempt(c, s, why_rejected(s, c.checked))

    return [[attempt(c) for c in cs] for cs in cands]


def solve(llm, convs, answers, sampling, verifier, n: int, first_index: int = 0, shape=None) -> list[list[Attempt]]:
    return verify(verifier, convs, answers, draw(llm, convs, sampling, n, first_index, shape))


def solve_in_rounds(llm, convs, answers, sampling, verifier, targets: list[int], max_trials: int, round_size: int,
                    shape=None, start: list[list[Attempt]] | None = None) -> list[list[Attempt]]:
    """Sample each prompt until it has `targets[i]` correct candidates or `max_trials` samples,
    continuing from `start` (attempts already made, e.g. a probe round)."""
    attempts: list[list[Attempt]] = [list(a) for a in start] if start else [[] for _ in convs]
    drawn = [len({a.cand.index for a in att}) for att in attempts]
    active = [i for i, t in enumerate(targets) if n_correct(attempts[i]) < t and drawn[i] < max_trials]
    while active:
        groups: dict[tuple[int, int], list[int]] = {}
        for i in active:
            groups.setdefault((drawn[i], min(round_size, max_trials - drawn[i])), []).append(i)
        for (first, m), idx in groups.items():
            got = solve(llm, [convs[i] for i in idx], [answers[i] for i in idx], sampling, verifier, m, first, shape)
            for i, att in zip(idx, got, strict=True):
                attempts[i].extend(att)
                drawn[i] += m
        active = [i for i in active if n_correct(attempts[i]) < targets[i] and drawn[i] < max_trials]
    return attempts


def n_correct(attempts: list[Attempt]) -> int:
    return sum(a.correct for a in attempts)


def pass_rate(attempts: list[Attempt]) -> float | None:
    counted = [a for a in attempts if a.counted]
    return sum(a.correct for a in counted) / len(counted) if counted else None


def prop2diff_targets(pass_rates: list[float | None], k: int) -> list[int]:
    """DART-Math prop2diff: correct samples wanted in proportion to difficulty (1 - pass rate),
    k for the hardest, at least one for every prompt (None, no estimate: as hard as can be)."""
    return [max(1, math.ceil(k * (1.0 - (p if p is not None else 0.0)) - 1e-9)) for p in pass_rates]
