"""The report's diversity section: distinct-n over the kept rows' texts, the spread of their
embeddings, and the largest duplicate clusters a dedup stage found, with examples.

Texts are the responses (completions, chosen answers) when the kept rows have them, else the
prompts. distinct-n (datagen/diversity.py) is over the first `MAX_TEXTS` kept rows by id
(it falls as a corpus grows, so compare versions of similar size). The embedding spread is
1 - mean pairwise cosine of static embeddings (datagen/static_embeddings.py, model2vec) of up
to `MAX_EMBED` kept texts; `embed="auto"` uses the static model only when it is already built
(what publishing does: building it takes ~30 s once), `"always"` builds it, `"never"` skips.
Duplicate clusters are the rejected rows carrying `dup_of` (the kept row they duplicate),
grouped by that row: its size counts the kept row itself.

What it does not do: judge quality, or find duplicates the dedup stage did not.
"""

from __future__ import annotations

MAX_TEXTS = 5000
MAX_EMBED = 500
TOP_CLUSTERS = 5
EXAMPLES = 3


def kept_texts(rows, limit: int = MAX_TEXTS) -> tuple[str, list[str]]:
    """("responses" | "prompts", texts) of the first `limit` kept rows by id."""
    import polars as pl

    kept = rows.filter(pl.col("split") == "train").sort("id")
    col = "response" if kept.height and kept.get_column("response").is_not_null().any() else "prompt"
    texts = kept.get_column(col).drop_nulls().head(limit).to_list() if kept.height else []
    return ("responses" if col == "response" else "prompts"), texts


def embedding_spread(texts: list[str], embed: str = "auto") -> dict:
    """{"value", "model", "texts"} or {"value": None, "why": ...}."""
    if embed == "never":
        return {"value": None, "why": "not computed (embeddings turned off)"}
    if len(texts) < 2:
        return {"value": None, "why": "fewer than two kept texts"}
    try:
        from datagen.paths import cache_dir
        from datagen.static_embeddings import embed_static, static_identity, static_model

        built = (cache_dir() / "static" / static_identity(None) / "model.safetensors").is_file()
        if embed == "auto" and not built:
            return {"value": None, "why": "not computed: the static embedding model is not built yet "
                    "(`datagen report REF --embeddings` builds it once, ~30 s, and computes it)"}
        from datagen.diversity import mean_pairwise_distance

        sample = texts[:MAX_EMBED]
        value = mean_pairwise_distance(embed_static(sample, static_model(None)))
    except Exception as e:  # noqa: BLE001 - model2vec missing or a broken cache: the rest of the report still stands
        return {"value": None, "why": f"not computed: {type(e).__name__}: {str(e)[:200]}"}
    return {"value": round(value, 4), "model": static_identity(None), "texts": len(sample)}


def duplicate_clusters(rows, top: int = TOP_CLUSTERS) -> dict:
    """{"duplicates": rejected rows with `dup_of`, "clusters": how many kept rows have any,
    "largest": [{"kept_id", "size", "kept", "examples": [texts]}], "by_stage": {stage: rows}}."""
    import polars as pl

    dups = rows.filter(pl.col("dup_of").is_not_null())
    if not dups.height:
        return {"duplicates": 0, "clusters": 0, "largest": [], "by_stage": {}}
    by_stage = {k: int(v) for k, v in dups.group_by("rejected_by").len().sort("rejected_by").iter_rows()}
    sizes = dups.group_by("dup_of").agg(pl.len().alias("n"), pl.col("response").head(EXAMPLES), pl.col("prompt").head(EXAMPLES))
    sizes = sizes.sort(["n", "dup_of"], descending=[True, False])
    text_of = dict(rows.filter(pl.col("id").is_in(sizes.head(top).get_column("dup_of").implode()))
                   .select("id", pl.coalesce("response", "prompt")).iter_rows())
    largest = []
    for kept_id, n, responses, prompts in sizes.head(top).iter_rows():
        examples = [r if r is not None else p for r, p in zip(responses, prompts, strict=True)]
        largest.append({"kept_id": kept_id, "size": int(n) + 1, "kept": text_of.get(kept_id), "examples": examples})
    return {"duplicates": dups.height, "clusters": sizes.height, "largest": largest, "by_stage": by_stage}


def diversity(rows, embed: str = "auto") -> dict:
    from datagen.diversity import distinct_n

    what, texts = kept_texts(rows)
    return {
        "texts": what,
        "rows": len(texts),
        "distinct": {n: round(distinct_n(texts, n), 4) for n in (1, 2, 3)} if texts else {},
        "embedding": embedding_spread(texts, embed),
        "duplicates": duplicate_clusters(rows),
    }
