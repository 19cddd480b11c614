"""The `answer` method of decontamination (filters/decontam.py): a row with the same final
answer as a benchmark item near it, and the same numbers.

Candidates: the `top_k` nearest items with cosine >= `answer_similarity` and the best skeleton
and n-gram items; the number sets must overlap by `answer_numbers` (a row with under
`answer_min_numbers` numbers: the nearest item, the same set, cosine >= `answer_few_similarity`).
And the nearest item alone at a lower cosine (`answer_nearest_similarity`; for a row that is not
English any of the top_k from `answer_foreign_similarity`: an English encoder places a
translation poorly), judged by `kept_numbers`:

A rephrasing keeps the item's quantities but may spell some otherwise ("half an hour" for 30
minutes, "triple", "the first two") or add a small count of its own ("the three foods"), so
the sets need not be equal. A pair keeps its numbers when none of the row's numbers above 10
is missing from the item (a changed quantity is a new problem) and it shares one number above
10, or three numbers, or at least two with every row number in the item. Where the answer
itself is a number from 0 to 10 (shared by hundreds of benchmark items) only the three shared
numbers count: "25 stamps among 5 friends" and "25 lollipops, 5 kept, the rest among four
friends" both give 5. A rare answer (held by at most `rare` benchmark items: 10080, 4e33,
448/15625) is evidence of its own: the pair matches unless both sides hold a number above 10
the other lacks.

What it does not do: read numbers (filters/ngrams.py `token_lists(..., "numbers")`, after
filters/number_words.py) or compare answers (filters/answer_match.py).
"""

from __future__ import annotations

import numpy as np

SMALL = [str(x) for x in range(11)]


def kept_numbers(row_numbers, item_numbers, r: np.ndarray, i: np.ndarray, small: np.ndarray, rare: np.ndarray) -> np.ndarray:
    """Per pair (row_numbers[r[k]], item_numbers[i[k]]), polars Series of number-token lists:
    True when the row keeps the item's quantities (see the module docstring); `small[k]` /
    `rare[k]`: the pair's shared answer is a number from 0 to 10 / held by few items."""
    import polars as pl

    if len(r) == 0:
        return np.zeros(0, bool)
    pairs = pl.DataFrame({"a": row_numbers.gather(r).list.unique(), "b": item_numbers.gather(i).list.unique()})

    def any_big(col):
        return col.list.eval(~pl.element().is_in(SMALL)).list.any()

    out = pairs.select(
        shared=pl.col("a").list.set_intersection("b"), row_only=pl.col("a").list.set_difference("b"),
        item_only=pl.col("b").list.set_difference("a"),
    ).select(
        n=pl.col("shared").list.len(), big=any_big(pl.col("shared")), whole=pl.col("row_only").list.len() == 0,
        row_big=any_big(pl.col("row_only")), item_big=any_big(pl.col("item_only")),
        small=pl.Series(small, dtype=pl.Boolean), rare=pl.Series(rare, dtype=pl.Boolean),
    )
    usual = ~pl.col("row_big") & pl.when(pl.col("small")).then(pl.col("n") >= 3).otherwise(
        pl.col("big") | (pl.col("n") >= 3) | ((pl.col("n") >= 2) & pl.col("whole"))
    )
    ok = usual | (pl.col("rare") & ~(pl.col("row_big") & pl.col("item_big")))
    return out.select(ok.fill_null(False)).to_series().to_numpy()


def answer_kinds(answers: list[str | None], reference: list[str | None], rare: int) -> tuple[np.ndarray, np.ndarray]:
    """(small, rare) per answer: a whole number from 0 to 10; held by at most `rare` of the
    `reference` answers (the benchmark items'), after wrappers and spacing are dropped."""
    import polars as pl

    from filters.answer_match import normalised

    def norm(values):
        return pl.Series(values, dtype=pl.String).to_frame("a").select(normalised(pl.col("a"))).to_series()

    ref = norm(reference).drop_nulls().value_counts(name="c")
    mine = norm(answers).to_frame("a").join(ref.rename({ref.columns[0]: "a"}), on="a", how="left", maintain_order="left")
    small = mine.get_column("a").is_in(SMALL).fill_null(False).to_numpy()
    rare_ = (mine.get_column("c").fill_null(0) <= rare).to_numpy() & ~small
    return small, rare_


def answer_match(s, answers, ref_answers, numbers, sims, idx, skeleton, ngram, foreign) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, items, scores) of the pairs the answer method matches (a row may repeat); `s` the
    stage spec, `numbers` (row, item) number-token lists, `sims`/`idx` the nearest items,
    `skeleton`/`ngram` (best item, score) per row, `foreign` the rows that are not English."""
    from filters.answer_match import same_answers
    from filters.ngrams import pair_overlap

    empty = np.zeros(0, np.int64)
    has = np.array([a is not None for a in answers], bool)
    k = idx.shape[1]
    near = (idx >= 0) & (sims >= s.answer_similarity)
    cand_r = [np.repeat(np.arange(len(answers)), k)[near.ravel()]]
    cand_i = [idx.ravel()[near.ravel()]]
    first = np.zeros(idx.shape, bool)
    first[:, 0] = True
    cand_c = [np.where(first, sims, 0.0).ravel()[near.ravel()]]  # the nearest item's cosine; 0 for the others
    for (best, score), low in ((skeleton, 0.5), (ngram, 0.2)):  # NaN scores compare False
        rows = np.flatnonzero((best >= 0) & (score >= low))
        cand_r.append(rows)
        cand_i.append(best[rows])
        # no cosine known: enough for a row with many numbers, or a translation (an English
        # encoder cannot place it; its numbers and formulas did)
        cand_c.append(np.where(foreign[rows], 1.0, 0.0))
    r, i, cos = np.concatenate(cand_r), np.concatenate(cand_i), np.concatenate(cand_c)
    r, i, cos = r[has[r]], i[has[r]], cos[has[r]]
    out_r, out_i, out_v = [empty], [empty], [np.zeros(0)]
    if len(r):
        same = same_answers([answers[j] for j in r], [ref_answers[x] for x in i]) == 1.0
        r, i, cos = r[same], i[same], cos[same]
        shared = np.nan_to_num(pair_overlap(*numbers, r, i, min_tokens=1), nan=0.0)
        # a short answer and a couple of small numbers coincide often: with fewer than
        # answer_min_numbers distinct numbers the sets must be equal and the texts close
        many = numbers[0].list.unique().list.len().to_numpy() >= s.answer_min_numbers
        ok = np.where(many[r], shared >= s.answer_numbers, (shared >= 1.0) & (cos >= s.answer_few_similarity))
        out_r.append(r[ok]), out_i.append(i[ok]), out_v.append(shared[ok])
    low = np.where(foreign, s.answer_foreign_similarity, s.answer_nearest_similarity)
    near = (idx >= 0) & (sims >= low[:, None]) & has[:, None]
    near[~foreign, 1:] = False
    nr, col = np.nonzero(near)
    ni = idx[nr, col]
    if len(nr):
        keep = same_answers([answers[j] for j in nr], [ref_answers[x] for x in ni]) == 1.0
        nr, ni = nr[keep], ni[keep]
        small, rare = answer_kinds([answers[j] for j in nr], ref_answers, s.answer_rare_items)
        keep = kept_numbers(*numbers, nr, ni, small, rare)
        out_r.append(nr[keep]), out_i.append(ni[keep]), out_v.append(np.ones(int(keep.sum())))
    return np.concatenate(out_r), np.concatenate(out_i), np.concatenate(out_v)
