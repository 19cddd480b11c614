"""MinHash near-duplicate pairs (datasketch), built for whole datasets.

Shingles are word n-grams of the normalised text, hashed to 32 bits in one vectorised
polars pass; datasketch does the rest (`MinHash` with the affine32 scheme, `MinHashLSH` for
banding at a Jaccard threshold, `jaccard` for the estimate). A text with fewer than n words
is one shingle. Candidate pairs from the LSH are kept when the estimated Jaccard similarity
reaches the threshold.

What it does not do: clustering or choosing which row survives (`filters/dedup.py`).
"""

from __future__ import annotations

import numpy as np


def shingle_hashes(texts, ngram: int) -> list[np.ndarray]:
    """Per text, the uint32 hashes of its distinct word n-grams (lowercased, punctuation
    dropped). `texts` is a polars String Series (nulls count as empty)."""
    import polars as pl

    words = (
        texts.fill_null("")
        .str.to_lowercase()
        .str.replace_all(r"[^\w\s]", " ")
        .str.split(" ")
        .list.eval(pl.element().filter(pl.element() != ""))
    )
    long = pl.DataFrame({"w": words}).with_row_index("row").explode("w").drop_nulls("w")
    long = long.with_columns(n=pl.len().over("row"), pos=pl.int_range(pl.len()).over("row"))
    # the n-gram starting at each position (shifted copies of the word column); a text shorter
    # than ngram words is one shingle of all its words
    grams = pl.concat_str([pl.col("w").shift(-k).over("row") for k in range(ngram)], separator=" ", ignore_nulls=True)
    keep = (pl.col("pos") <= pl.col("n") - ngram) | ((pl.col("n") < ngram) & (pl.col("pos") == 0))
    sh = long.with_columns(h=grams.hash(seed=7) & 0xFFFFFFFF).filter(keep).select("row", "h").unique(maintain_order=True)
    counts = sh.group_by("row", maintain_order=True).len().sort("row")
    hashes = sh.get_column("h").cast(pl.UInt32).to_numpy()
    full = np.zeros(len(texts), dtype=np.int64)
    full[counts.get_column("row").to_numpy()] = counts.get_column("len").to_numpy()
    return np.split(hashes, np.cumsum(full)[:-1])


def minhash_pairs(texts, threshold: float, num_perm: int = 128, ngram: int = 3, seed: int = 1):
    """Near-duplicate pairs `(i, j, estimated_jaccard)` with i < j, as three numpy arrays."""
    from datasketch import LeanMinHash, MinHash, MinHashLSH

    per_row = shingle_hashes(texts, ngram)
    template = MinHash(num_perm=num_perm, seed=seed)
    perms = template.permutations
    # candidates are checked against the estimated Jaccard below, so the banding favours recall
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=(0.1, 0.9))
    sigs = []
    with lsh.insertion_session() as session:
        for i, hv in enumerate(per_row):
            m = MinHash(num_perm=num_perm, seed=seed, hashfunc=int, permutations=perms, scheme="affine32")
            if len(hv):
                m.update_batch(hv)
            lean = LeanMinHash(m)
            sigs.append(lean)
            session.insert(i, lean, check_duplication=False)
    left, right = [], []
    for i, m in enumerate(sigs):
        for j in lsh.query(m):
            if j > i:
                left.append(i)
                right.append(j)
    left_a, right_a = np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
    matrix = np.stack([m.hashvalues for m in sigs]) if sigs else np.zeros((0, num_perm), dtype=np.uint32)
    # the estimated Jaccard of every candidate pair at once (share of equal minhash values)
    sim = np.concatenate(
        [(matrix[left_a[k : k + 65536]] == matrix[right_a[k : k + 65536]]).mean(1) for k in range(0, len(left_a), 65536)]
        or [np.zeros(0)]
    )
    keep = sim >= threshold
    return left_a[keep], right_a[keep], sim[keep].astype(np.float64)
