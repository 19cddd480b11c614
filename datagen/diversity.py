"""Diversity of generated texts: distinct-n and mean pairwise embedding distance.

`distinct_n(texts, n)` is the share of word n-grams across `texts` that are unique
(Li et al., 2016); `mean_pairwise_distance(vectors)` is 1 - the mean cosine similarity over
all pairs of unit vectors (0 when every text is the same). Used to compare generators'
outputs (e.g. with and without Verbalized Sampling); they judge nothing about quality.
"""

from __future__ import annotations


def distinct_n(texts: list[str], n: int = 2) -> float:
    grams = [tuple(words[i:i + n]) for t in texts for words in [t.lower().split()] for i in range(len(words) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def mean_pairwise_distance(vectors) -> float | None:
    """1 - mean cosine over pairs i < j of L2-normalised rows; None with fewer than two."""
    import numpy as np

    v = np.asarray(vectors, dtype=np.float64)
    m = len(v)
    if m < 2:
        return None
    sims = v @ v.T
    return float(1.0 - (sims.sum() - np.trace(sims)) / (m * (m - 1)))
