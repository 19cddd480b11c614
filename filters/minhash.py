"""MinHash near-duplicate pairs (datasketch), built for whole datasets.

Shingles are word n-grams of the normalised text, hashed to 32 bits in one vectorised
polars pass; datasketch makes the signatures (`MinHash`, affine32 scheme) and picks the LSH
banding for a Jaccard threshold (`MinHashLSH`'s bands and rows); the bands are hashed here and
grouped with polars, so the same candidates come out whether every row is in one process or
the rows are split across workers by band key (`filters/dedup_parts.py`). Candidate pairs are
kept when the estimated Jaccard similarity (share of equal minhash values) reaches the
threshold. A text with fewer than n words is one shingle.

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


def signatures(texts, num_perm: int = 128, ngram: int = 3, seed: int = 1) -> np.ndarray:
    """(rows, num_perm) uint32 MinHash signatures (datasketch, affine32) of the texts' shingles."""
    from datasketch import MinHash

    if not len(texts):
        return np.zeros((0, num_perm), dtype=np.uint32)
    per_row = shingle_hashes(texts, ngram)
    perms = MinHash(num_perm=num_perm, seed=seed).permutations
    out = np.empty((len(per_row), num_perm), dtype=np.uint32)
    for i, hv in enumerate(per_row):
        m = MinHash(num_perm=num_perm, seed=seed, hashfunc=int, permutations=perms, scheme="affine32")
        if len(hv):
            m.update_batch(hv)
        out[i] = m.hashvalues
    return out


def band_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band) datasketch's MinHashLSH picks for a Jaccard threshold; candidates
    are checked against the estimated Jaccard afterwards, so the banding favours recall."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=(0.1, 0.9))
    return lsh.b, lsh.r


_MULT = np.random.default_rng(20260101).integers(1, 2**63, size=1024, dtype=np.uint64) | np.uint64(1)


def band_keys(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, bands) uint64: one hash per band of each signature; two rows share a key in band k
    when (but for a 2^-64 collision, which the Jaccard check then catches) their band k is equal."""
    out = np.empty((len(sigs), bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(bands):
            part = sigs[:, k * rows : (k + 1) * rows].astype(np.uint64)
            out[:, k] = (part * _MULT[:rows]).sum(axis=1, dtype=np.uint64) ^ np.uint64(k)
    return out


def candidate_pairs(ids: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(left, right), left < right, sorted and unique: rows (named by `ids`) that share a key
    in any band (column of `keys`)."""
    import polars as pl

    found = []
    for k in range(keys.shape[1]):
        df = pl.DataFrame({"g": ids, "key": keys[:, k]})
        dup = df.filter(pl.col("key").is_duplicated())
        if dup.height:
            j = dup.join(dup, on="key", suffix="_r").filter(pl.col("g") < pl.col("g_r")).select("g", "g_r")
            found.append(j)
    if not found:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    pairs = pl.concat(found).unique().sort("g", "g_r")
    return pairs.get_column("g").to_numpy().astype(np.int64), pairs.get_column("g_r").to_numpy().astype(np.int64)


def estimated_jaccard(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Share of equal MinHash values, row by row of two (pairs, num_perm) signature arrays."""
    out = [(a[k : k + 65536] == b[k : k + 65536]).mean(1) for k in range(0, len(a), 65536)]
    return np.concatenate(out).astype(np.float64) if out else np.zeros(0)


def minhash_pairs(texts, threshold: float, num_perm: int = 128, ngram: int = 3, seed: int = 1):
    """Near-duplicate pairs `(i, j, estimated_jaccard)` with i < j, sorted, as three numpy
    arrays (the same banding and check as `filters/dedup_parts.py`, which runs it in parts)."""
    sigs = signatures(texts, num_perm, ngram, seed)
    left, right = candidate_pairs(np.arange(len(sigs), dtype=np.int64), band_keys(sigs, *band_params(threshold, num_perm)))
    sim = estimated_jaccard(sigs[left], sigs[right])
    keep = sim >= threshold
    return left[keep], right[keep], sim[keep]
