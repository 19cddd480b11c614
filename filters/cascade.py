"""Cheap first: similar pairs found with static embeddings (datagen/static_embeddings.py), the
full sentence encoder run only on the rows those pairs touch.

`cascade_pairs(texts, threshold, ...)`: every text is embedded statically (a lookup and a
mean); faiss finds the pairs whose static cosine is at least `static_similarity` (set low
enough that the pairs the full encoder would put at `threshold` are nearly all among them:
measured by tests/benchmarks/bench_cascade.py); the rows of those pairs, and only those, are
encoded by the full model, and a pair is kept when its full cosine reaches `threshold` - the
same decision as the full path, on far fewer rows. `stats` says how many rows and pairs
reached each step.

`cascade_neighbours` does the same for decontamination: the static model's nearest benchmark
items are the candidates, re-ranked by the full model for the rows `worth_encoding` says a
method could flag.

What it does not do: find a pair the static model puts under `static_similarity`, or a
benchmark item outside a row's static candidates (the cascade's approximations; `encode:
torch` is the exact path). Static vectors rank hard rephrasings poorly (a true item at rank
40-600 where MiniLM puts it first), which is why the cascade is not the default.
"""

from __future__ import annotations

import numpy as np


def centred(vectors: np.ndarray) -> np.ndarray:
    """Unit vectors less their mean direction: static vectors of texts from one domain share a
    large common component (the words every row uses), which lifts every cosine; without it
    only what a pair shares beyond the domain counts."""
    if len(vectors) < 2:
        return vectors
    out = vectors - vectors.mean(axis=0, keepdims=True)
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def cascade_pairs(texts: list[str], threshold: float, static_similarity: float, model: str | None = None, static_model: str | None = None,
                  batch_size: int = 128, runtime: str = "torch"):  # fmt: skip
    """(left, right, cosine, stats): the pairs whose full-encoder cosine is >= threshold among
    those whose static cosine is >= static_similarity."""
    from datagen.embeddings import embed
    from datagen.static_embeddings import embed_static
    from filters.similarity import similar_pairs

    n = len(texts)
    static = centred(embed_static(texts, static_model))
    left, right, _ = similar_pairs(static, static_similarity)
    del static
    rows = np.unique(np.concatenate([left, right])) if len(left) else np.zeros(0, np.int64)
    stats = {"rows": n, "static_pairs": len(left), "rows_encoded": len(rows)}
    if not len(rows):
        return left, right, np.zeros(0), {**stats, "pairs": 0}
    vectors = embed([texts[i] for i in rows], model, batch_size=batch_size, runtime=runtime)
    a, b = np.searchsorted(rows, left), np.searchsorted(rows, right)
    cos = np.einsum("ij,ij->i", vectors[a], vectors[b]).astype(np.float64)
    keep = cos >= threshold
    return left[keep], right[keep], cos[keep], {**stats, "pairs": int(keep.sum())}


_ITEMS: dict[str, np.ndarray] = {}  # per process: static vectors of a benchmark set, by content


def _static_items(questions: list[str], static_model: str | None) -> np.ndarray:
    import hashlib

    from datagen.static_embeddings import embed_static, static_identity

    key = hashlib.sha256("\x00".join([static_identity(static_model), *questions]).encode()).hexdigest()
    if key not in _ITEMS:
        _ITEMS[key] = embed_static(questions, static_model)
    return _ITEMS[key]


def cascade_neighbours(texts: list[str], rows: np.ndarray, questions: list[str], corpus: np.ndarray, k: int, spec, worth=None,
                       extra: np.ndarray | None = None):  # fmt: skip
    """Decontamination's nearest items, cheap first: the static model's `static_top_k` nearest
    items per text; the texts `worth(rows, static_sims, static_idx)` marks (default: static
    top-1 >= `static_similarity`) are encoded by the full model and given the model's `k`
    nearest among those candidates (`corpus`: the items' full vectors); the others get none
    (-1). Returns (sims, idx, stats)."""
    from datagen.embeddings import embed
    from datagen.static_embeddings import embed_static
    from filters.similarity import nearest

    n = len(texts)
    sims, idx = np.full((n, k), -1.0), np.full((n, k), -1, np.int64)
    wide = min(len(questions), max(spec.static_top_k, k))
    ssims, sidx = nearest(embed_static(texts, spec.static_model), _static_items(questions, spec.static_model), wide)
    if extra is not None:  # one more candidate per row from elsewhere (the item sharing its numbers), unless already there
        extra = np.where((sidx == extra[:, None]).any(axis=1), -1, extra)
        sidx = np.concatenate([sidx, extra[:, None]], axis=1)
        ssims = np.concatenate([ssims, np.where(extra >= 0, 1.0, -1.0)[:, None]], axis=1)
    need = worth(rows, ssims, sidx) if worth is not None else ssims[:, 0] >= spec.static_similarity
    todo = np.flatnonzero(need)
    stats = {"rows": n, "rows_encoded": len(todo)}
    if not len(todo):
        return sims, idx, stats
    vecs = embed([texts[j] for j in todo], spec.model, batch_size=spec.batch_size)
    cand = sidx[todo]
    cos = np.einsum("id,ikd->ik", vecs, corpus[np.maximum(cand, 0)])
    cos[cand < 0] = -np.inf
    order = np.argsort(-cos, axis=1, kind="stable")[:, :k]
    sims[todo] = np.take_along_axis(cos, order, axis=1)
    idx[todo] = np.take_along_axis(cand, order, axis=1)
    return sims, idx, stats


def number_candidates(texts: list[str], questions: list[str], floor: float = 0.5) -> np.ndarray:
    """Per text (number words already digits), the benchmark item sharing most of its
    distinctive numbers (overlap >= `floor`), or -1: one more candidate for the cascade."""
    from filters.ngrams import best_matches

    item, score, _ = best_matches(texts, questions, 1, "numbers")
    return np.where(score >= floor, item, -1)


def worth_encoding(spec, numbers, examples, methods: set):
    """For decontamination's cascade: `worth(rows, static_sims, static_idx)`, the rows a method
    that needs the model's neighbours could flag, judged on the static candidates - one close
    enough for `embedding` (or the judge), one whose numbers overlap the row's (`numbers`,
    `answer`: both need it), or the row has example calls (`examples`)."""
    from filters.ngrams import pair_overlap

    def worth(rows, ssims, sidx):
        need = ssims[:, 0] >= spec.static_similarity
        if methods & {"numbers", "answer"}:
            k = sidx.shape[1]
            r, i = np.repeat(rows, k), sidx.ravel()
            ok = i >= 0
            share = np.zeros(len(r))
            share[ok] = np.nan_to_num(pair_overlap(*numbers, r[ok], i[ok], by="max", min_tokens=1), nan=0.0)
            floor = min(spec.answer_numbers, 1.0) if "answer" in methods else 1.0
            need |= (share.reshape(len(rows), k) >= floor).any(axis=1)
        if examples is not None and "examples" in methods:
            need |= np.array([bool(examples.text[0][j]) or bool(examples.calls and examples.calls[j]) for j in rows], dtype=bool)
        return need

    return worth
