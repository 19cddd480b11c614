"""Vector similarity search with faiss, over L2-normalised float32 vectors (cosine = inner
product): all pairs above a threshold within one set (dedup), and the top-k of a corpus for
each query (decontamination).

Exact search (`IndexFlatIP`) up to `EXACT_MAX` vectors; above that an inverted-file index
(`IndexIVFFlat`, about sqrt(n) lists, `nprobe` of them searched), so the cost stays close to
linear in n. Near-duplicates sit next to each other and land in the same or adjacent lists;
the recall this costs is measured by `tests/benchmarks/bench_ivf_recall.py` (1.000 at 50k
rows, 0.99997 at 100k, on static vectors at cosine 0.85).

What it does not do: embedding (datagen/embeddings.py) or clustering (filters/dedup.py).
"""

from __future__ import annotations

import numpy as np

EXACT_MAX = 20_000
NPROBE = 16


def _index(vectors: np.ndarray, exact_max: int = EXACT_MAX):
    import faiss

    n, dim = vectors.shape
    if n <= exact_max:
        index = faiss.IndexFlatIP(dim)
    else:
        nlist = int(4 * np.sqrt(n))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(0)
        sample = vectors[rng.choice(n, size=min(n, 64 * nlist), replace=False)]
        index.train(sample)
        index.nprobe = NPROBE
    index.add(vectors)
    return index


def similar_pairs(vectors: np.ndarray, threshold: float, exact_max: int = EXACT_MAX, chunk: int = 4096):
    """All pairs `(i, j, cosine)` with i < j and cosine >= threshold, as three numpy arrays."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64))
    if len(vectors) < 2:
        return empty
    index = _index(vectors, exact_max)
    left, right, sims = [], [], []
    for start in range(0, len(vectors), chunk):
        lims, dist, labels = index.range_search(vectors[start : start + chunk], float(threshold))
        rows = np.repeat(np.arange(start, start + len(lims) - 1), np.diff(lims).astype(np.int64))
        keep = labels > rows
        left.append(rows[keep])
        right.append(labels[keep].astype(np.int64))
        sims.append(dist[keep].astype(np.float64))
    if not left:
        return empty
    return np.concatenate(left), np.concatenate(right), np.concatenate(sims)


def nearest(queries: np.ndarray, corpus: np.ndarray, k: int = 1, exact_max: int = EXACT_MAX):
    """For each query, the k most similar corpus rows: (similarities, indices), each (nq, k);
    index -1 where the corpus has fewer than k rows."""
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    corpus = np.ascontiguousarray(corpus, dtype=np.float32)
    if len(corpus) == 0 or len(queries) == 0:
        return np.full((len(queries), k), -np.inf), np.full((len(queries), k), -1, dtype=np.int64)
    index = _index(corpus, exact_max)
    sims, idx = index.search(queries, k)
    return sims, idx
