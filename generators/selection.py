"""Choosing among a prompt's scored attempts: preference pairs (with optional RSO statistical
acceptance), best-of-n, and reward spread (eva's informativeness). Pure functions over
`generators.solving.Attempt` lists; deterministic (any randomness is seeded by the caller's key).
"""

from __future__ import annotations

import hashlib
import math
import random
import statistics


def _rng(key: str) -> random.Random:
    return random.Random(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))


def rso_accept(scores: list[float], beta: float, key: str) -> list[bool]:
    """RSO (Liu et al., 2023) statistical rejection sampling: accept sample j with probability
    exp((s_j - max s) / beta), so accepted samples follow pi(y|x) exp(r(x,y)/beta) for samples
    drawn from pi; the best sample is always accepted."""
    if not scores:
        return []
    top = max(scores)
    rng = _rng(key)
    return [rng.random() < math.exp((s - top) / beta) for s in scores]


def value(a, by: str = "verifier") -> float | None:
    """What an attempt is ranked by: its reward-model score (`by="reward"`) or verifier score."""
    return a.reward if by == "reward" else a.score


def pick_pairs(attempts, n_pairs: int, rso_beta: float | None = None, key: str = "", by: str = "verifier") -> list[tuple]:
    """Up to `n_pairs` (chosen, rejected) attempts, each attempt used once. `by="verifier"`:
    chosen verified correct, rejected answered but wrong, best-scored chosen and worst-scored
    rejected first. `by="reward"`: the highest reward-model scores against the lowest (strictly
    lower). With `rso_beta`, only attempts accepted by `rso_accept` take part."""
    scored = [a for a in attempts if a.counted and a.cand.ok and value(a, by) is not None]
    if rso_beta is not None:
        ok = rso_accept([value(a, by) for a in scored], rso_beta, key)
        scored = [a for a, keep in zip(scored, ok, strict=True) if keep]
    if by == "reward":
        ranked = sorted(scored, key=lambda a: (-value(a, by), a.cand.key))
        half = len(ranked) // 2
        pairs = [(ranked[i], ranked[-1 - i]) for i in range(half) if value(ranked[i], by) > value(ranked[-1 - i], by)]
        return pairs[:n_pairs]
    chosen = sorted((a for a in scored if a.correct), key=lambda a: (-value(a), a.cand.key))
    rejected = sorted((a for a in scored if not a.correct), key=lambda a: (value(a), a.cand.key))
    return list(zip(chosen, rejected, strict=False))[:n_pairs]


def no_pair_reason(attempts) -> str:
    counted = [a for a in attempts if a.counted]
    if not counted:
        failed = [a.reason for a in attempts if a.reason and a.reason.startswith("llm_error")]
        return failed[0] if failed else "no_scored_sample"
    if not any(a.correct for a in counted):
        return "no_pair: no correct sample"
    if all(a.correct for a in counted):
        return "no_pair: no incorrect sample"
    return "no_pair: not accepted by rso"


def best_of(attempts, by: str = "verifier"):
    """The attempt with the highest verifier score (or reward, `by="reward"`; ties: lowest
    sample key), or None if none was scored."""
    scored = [a for a in attempts if value(a, by) is not None]
    return min(scored, key=lambda a: (-value(a, by), a.cand.index, a.cand.slot or 0)) if scored else None


def spread(rewards: list[float], how: str = "max_minus_mean") -> float | None:
    """eva's informativeness of a prompt: max - mean of its samples' rewards (a regret proxy), or
    their standard deviation. None with no rewards."""
    if not rewards:
        return None
    if how == "std":
        return statistics.pstdev(rewards)
    return max(rewards) - statistics.fmean(rewards)
