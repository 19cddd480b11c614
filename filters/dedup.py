"""Dedup across a whole dataset (a global stage): exact, MinHash LSH or embedding.

- exact: a hash of the normalised text (case-folded, whitespace collapsed);
- minhash: word n-gram shingles, datasketch LSH at a Jaccard threshold (`filters/minhash.py`);
- embedding: sentence-transformers vectors (the offline all-MiniLM-L6-v2 by default, torch or
  ONNX int8) and faiss pairs above a cosine threshold (`filters/similarity.py`); with
  `encode: cascade` (filters/cascade.py) static-embedding candidates first and the model only
  on the rows they touch.

Similar pairs whose texts differ where it matters (numbers and signs, negation, names,
opposites: filters/pair_veto.py) are dropped (`veto: false` keeps them); with `judge_model`,
pairs in the gray zone (`judge_similarity` <= cosine < threshold) are kept only when an LLM
calls the two the same request (filters/decontam_judge.py, through the request cache); the rest make
clusters of rows similar to each other (`cluster: representative`, the default: rows in keep
order each start a cluster that a row joins only when similar to every member, so neighbours
of neighbours do not chain) or, with
`cluster: components`, connected components. One row per cluster is kept by the `keep` policy
(first, longest, highest_score). Every row records its cluster as
`meta.dedup_cluster` (the kept row's id); rejected rows carry `dup_of` (the same id) and a
score, their similarity to the nearest cluster member.

What it does not do: dedup against other datasets (decontamination does that for benchmarks).
"""

from __future__ import annotations

import numpy as np

from datagen.verdict import Verdict
from filters.text import text_expr


def normalised(expr):
    return expr.str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()


def representatives(n: int, left, right, order: np.ndarray) -> np.ndarray:
    """Cluster label per row without chaining (complete linkage, greedy): rows in `order` (best
    to keep first) each start a cluster unless already taken, and a similar untaken row joins it
    only when it is similar to every member so far; so A~B and B~C never put C with A unless
    C~A, and a vetoed pair never shares a cluster."""
    label = np.full(n, -1, np.int64)
    if not len(left):
        return np.arange(n)
    rows = np.concatenate([left, right])
    cols = np.concatenate([right, left])
    sort = np.argsort(rows, kind="stable")
    rows, cols = rows[sort], cols[sort]
    starts = np.searchsorted(rows, np.arange(n + 1))
    for r in order:
        if label[r] >= 0:
            continue
        label[r] = r
        members = [r]
        for c in cols[starts[r] : starts[r + 1]]:
            if label[c] >= 0:
                continue
            near = set(cols[starts[c] : starts[c + 1]].tolist())
            if all(m in near for m in members[1:]):
                label[c] = r
                members.append(c)
    return label


def components(n: int, left, right) -> np.ndarray:
    """Cluster label per row from similar pairs (connected components)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def best_similarity(n: int, left, right, sim) -> np.ndarray:
    """Per row, its highest similarity to any other row (NaN for rows in no pair)."""
    out = np.full(n, -np.inf)
    np.maximum.at(out, left, sim)
    np.maximum.at(out, right, sim)
    return np.where(np.isinf(out), np.nan, out)


def keep_rank(df, policy: str):
    """A sort key per row; the smallest key in a cluster is kept (ties: the first row)."""
    import polars as pl

    if policy == "first":
        return pl.int_range(pl.len())
    if policy == "longest":
        return -pl.col("_text").str.len_chars().cast(pl.Int64).fill_null(0)
    meta = pl.col("meta")
    score = meta.struct.field("score").fill_null(meta.struct.field("verdicts").list.last().struct.field("score"))
    return -score.fill_null(float("-inf"))


class Dedup:
    scope = "global"

    def __init__(self, spec, ctx=None):
        self.spec = spec
        self.ctx = ctx
        self._report: dict | None = None
        self.field = getattr(ctx, "field", "stage")
        self.progress = getattr(ctx, "progress", None)
        self._cascade: dict | None = None  # rows and pairs per step of the embedding cascade

    def report(self) -> dict | None:
        return self._report

    def describe(self) -> dict:
        s = self.spec
        out = {"filter": f"{s.method}_dedup", "column": s.column, "keep": s.keep}
        if s.method != "exact":
            out.update(cluster=s.cluster, veto=s.veto)
        if s.judge_model:
            from datagen.errors import UserError
            from filters.decontam_judge import describe

            if s.method != "embedding":
                raise UserError(f"{self.field}.judge_model: the gray-zone judge needs method: embedding")
            if self.ctx is None or getattr(self.ctx, "pool", None) is None:
                raise UserError(f"{self.field}.judge_model: the judge needs a model (recipe.models.{s.judge_model})")
            try:
                out["judge"] = {**describe(self.ctx, s), "similarity": s.judge_similarity}
            except KeyError:
                raise UserError(f"{self.field}.judge_model: unknown model {s.judge_model!r}") from None
        if s.method == "minhash":
            out.update(threshold=s.similarity, num_perm=s.num_perm, ngram=s.ngram)
        elif s.method == "embedding":
            from datagen.embeddings import model_identity

            out.update(threshold=s.similarity, model=model_identity(s.model), encode=s.encode)
            if s.encode == "cascade":
                from datagen.static_embeddings import static_identity

                out.update(static_model=static_identity(s.static_model), static_similarity=s.static_similarity)
        return out

    def in_parts(self, inputs, work, mapper, parts: int):
        """Exact and MinHash dedup in parts (filters/dedup_parts.py); None for embedding."""
        if self.spec.method == "embedding":
            return None
        from filters.dedup_parts import run_in_parts

        return run_in_parts(self, inputs, work, mapper, parts)

    def pairs(self, texts):
        s = self.spec
        if s.method == "minhash":
            from filters.minhash import minhash_pairs

            return minhash_pairs(texts, s.similarity, num_perm=s.num_perm, ngram=s.ngram)
        threshold = min(s.similarity, s.judge_similarity) if s.judge_model else s.similarity
        if s.encode == "cascade":
            from filters.cascade import cascade_pairs

            left, right, sim, self._cascade = cascade_pairs(texts.fill_null("").to_list(), threshold, min(s.static_similarity, threshold),
                                                            s.model, s.static_model, s.batch_size)  # fmt: skip
            return left, right, sim
        from datagen.embeddings import embed
        from filters.similarity import similar_pairs

        vectors = embed(texts.fill_null("").to_list(), s.model, batch_size=s.batch_size, runtime=s.encode)
        return similar_pairs(vectors, threshold)

    def judged(self, texts: list[str], left, right, sim):
        """Pairs in the gray zone (judge_similarity <= cosine < threshold) kept only when the
        judge calls the two the same request; pairs at or above the threshold kept as they are."""
        from datagen.errors import DatagenError
        from filters.decontam_judge import judge_stage_pairs

        s = self.spec
        gray = np.flatnonzero(sim < s.similarity)
        verdicts, errors = judge_stage_pairs(self.ctx, s, [texts[i] for i in left[gray]], [texts[j] for j in right[gray]], kind="REQUEST")
        failed = [e for e in errors if e is not None]
        if failed and len(failed) == len(gray):
            raise DatagenError(f"{self.field}: all {len(gray)} judge requests failed, e.g. {failed[0]!r}; fix judge_model and run again")
        same = np.ones(len(left), bool)
        same[gray] = [v is True for v in verdicts]
        self._report.update(judge_asked=len(gray), judge_same=int(sum(v is True for v in verdicts)),
                            judge_unparseable=sum(v is None for v in verdicts), judge_failed=len(failed))
        return left[same], right[same], sim[same]

    def __call__(self, ds) -> Verdict:
        import polars as pl

        df = ds.to_polars() if hasattr(ds, "to_polars") else ds
        df = df.with_columns(_text=text_expr(df, self.spec.column, f"{self.field}.column"))
        n = len(df)
        if self.spec.method == "exact":
            key = normalised(pl.col("_text")).fill_null("").hash(seed=0)
            label = df.select(key.rank("dense")).to_series().to_numpy()
            sim = np.where(df.select(key.is_duplicated()).to_series().to_numpy(), 1.0, np.nan)
        else:
            left, right, pair_sim = self.pairs(df.get_column("_text"))
            self._report = {"similar_pairs": len(left), **({"cascade": self._cascade} if self._cascade else {})}
            if self.spec.veto and len(left):
                from filters.pair_veto import veto

                vetoed = veto(df.get_column("_text").fill_null("").to_list(), left, right)
                left, right, pair_sim = left[~vetoed], right[~vetoed], pair_sim[~vetoed]
                self._report["vetoed_pairs"] = int(vetoed.sum())
            if self.spec.judge_model and len(left):
                left, right, pair_sim = self.judged(df.get_column("_text").fill_null("").to_list(), left, right, pair_sim)
            if self.spec.cluster == "components":
                label = components(n, left, right)
            else:
                order = df.select(_r=keep_rank(df, self.spec.keep), _i=pl.int_range(pl.len())).with_row_index().sort("_r", "_i")
                label = representatives(n, left, right, order.get_column("index").to_numpy())
            sim = best_similarity(n, left, right, pair_sim)
        ranked = df.select(pl.col("id"), _c=pl.Series(label), _r=keep_rank(df, self.spec.keep), _i=pl.int_range(pl.len()))
        ranked = ranked.with_columns(cluster=pl.col("id").sort_by("_r", "_i").first().over("_c"))
        is_dup = pl.col("id") != pl.col("cluster")
        out = ranked.select(
            keep=~is_dup, reason=pl.when(is_dup).then(pl.lit("duplicate")), dup_of=pl.when(is_dup).then(pl.col("cluster"))
        )
        return Verdict(
            keep=out.get_column("keep"),
            reason=out.get_column("reason"),
            score=pl.Series(sim).fill_nan(None),
            name=f"{self.spec.method}_dedup",
            meta={"dedup_cluster": ranked.get_column("cluster")},
            columns={"dup_of": out.get_column("dup_of")},
        )
