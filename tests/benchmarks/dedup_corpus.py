"""A dedup benchmark corpus with known duplicates, built from the GSM8K seed file: each text
joins 2-4 random sentences of GSM8K questions and solutions; a share of rows are planted noisy
copies of earlier rows (a word dropped, case and spacing changed, punctuation added)."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "seeds" / "gsm8k_train" / "train.jsonl"


def sentences(path: Path = SEEDS) -> list[str]:
    if not path.is_file():
        raise SystemExit(f"needs the GSM8K seeds at {path}")
    out = []
    for line in path.open():
        row = json.loads(line)
        text = row["question"] + " " + re.sub(r"<<[^>]*>>|####.*", "", row.get("solution") or "")
        out += [s.strip() for s in re.split(r"(?<=[.?!])\s+", text) if len(s.split()) >= 4]
    return out


def noisy_copy(text: str, rng: random.Random) -> str:
    words = text.split()
    if len(words) > 8:
        del words[rng.randrange(len(words))]
    out = " ".join(words)
    return rng.choice([out.upper(), out.lower(), "  " + out + " !", out.replace(" ", "  ")])


def corpus(n: int, dup_share: float = 0.1, seed: int = 0) -> tuple[list[str], list[tuple[int, int]]]:
    """(texts, planted pairs (original index, copy index))."""
    rng = random.Random(seed)
    pool = sentences()
    texts: list[str] = []
    planted = []
    while len(texts) < n:
        if texts and rng.random() < dup_share:
            i = rng.randrange(len(texts))
            planted.append((i, len(texts)))
            texts.append(noisy_copy(texts[i], rng))
        else:
            texts.append(" ".join(rng.sample(pool, rng.randint(2, 4))))
    return texts, planted
