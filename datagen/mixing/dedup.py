"""Cross-source dedup: a row whose text (the user turns, or the whole conversation) also
occurs in a source listed earlier is dropped — exactly (normalised text, the default) or by
embedding cosine (faiss, `filters/similarity.py`). Duplicates inside one source are left
alone: several responses to one prompt are what rejection sampling makes on purpose."""

from __future__ import annotations


def cross_source_duplicates(df, spec, progress=None):
    """For the union `df` (columns `_src`, `id`, the key column), a frame `id, _src,
    dup_of, dup_source, score` of the rows to drop."""
    import polars as pl

    key = "_key" if spec.key == "prompt" else "_conv_key"
    empty = pl.DataFrame(schema={"_src": pl.Int32, "id": pl.String, "dup_of": pl.String, "dup_src": pl.Int32, "score": pl.Float64})
    if spec.method == "none" or df.height == 0:
        return empty
    keyed = df.select("_src", "id", k=pl.col(key).fill_null(""))
    first = keyed.group_by("k").agg(first_src=pl.col("_src").min()).join(
        keyed.sort("_src").group_by("k", maintain_order=True).agg(first_id=pl.col("id").first()), on="k"
    )
    exact = (
        keyed.join(first, on="k").filter(pl.col("_src") > pl.col("first_src"))
        .select("_src", "id", dup_of=pl.col("first_id"), dup_src=pl.col("first_src"), score=pl.lit(1.0))
    )
    if spec.method == "exact":
        return exact.cast(empty.schema)
    # embedding: one vector per distinct text that survived exact dedup (texts are owned by one source now)
    import numpy as np

    from datagen.embeddings import embed
    from filters.similarity import similar_pairs

    texts = first.sort("first_src", "k")
    vectors = embed(texts.get_column("k").to_list(), spec.model)
    left, right, sim = similar_pairs(vectors, spec.threshold)
    src = texts.get_column("first_src").to_numpy()
    cross = src[left] != src[right]
    left, right, sim = left[cross], right[cross], sim[cross]
    later = np.where(src[left] > src[right], left, right)
    earlier = np.where(src[left] > src[right], right, left)
    pairs = pl.DataFrame({"i": later, "j": earlier, "score": sim}).sort("score", descending=True).unique("i", keep="first")
    k = texts.get_column("k")
    drop_texts = pl.DataFrame({
        "k": k.gather(pairs.get_column("i")),
        "dup_of": texts.get_column("first_id").gather(pairs.get_column("j")),
        "dup_src": pl.Series(src[pairs.get_column("j").to_numpy()]),
        "score": pairs.get_column("score"),
    })
    near = keyed.join(drop_texts, on="k").select("_src", "id", "dup_of", "dup_src", "score")
    return pl.concat([exact.cast(empty.schema), near.cast(empty.schema)]).unique(["_src", "id"], keep="first")
