"""Quality heuristics: cheap, vectorised (polars) checks on one response column, each with a
reject reason, in this order of precedence:

- `no_content`: empty, whitespace, punctuation, or nothing but openers and filler words
  ("Solution:", "Thought process:", "Let's solve this problem step by step.", "解", "Ответ:")
  — the "master keys" that fool LLM judges (Zhao et al., "One Token to Fool LLM-as-a-Judge").
  `content_free` is shared with the judge filter's pre-check.
- `truncated`: `meta.finish_reason == "length"`, an odd number of ``` fences, an unclosed
  `\\boxed{`, or a `<think>` without `</think>`.
- `refusal`: any of the spec's case-insensitive regexes ("I'm sorry, but I can't", ...).
- `too_short` / `too_long`: characters or whitespace-separated words outside the bounds.
- `repetitive`: more than a set fraction of the word n-grams (or of the non-blank lines)
  repeat an earlier one.

A string column is used as it is; a message-list column by its last message's content. No
per-row Python: everything is polars expressions, plus one explode for the n-gram check.

What it does not cover: language identification, toxicity, perplexity or model-based
quality scores (see `filters/judge.py` and the reward-model filter for model-based checks).
"""

from __future__ import annotations

from datagen.errors import UserError
from datagen.verdict import Verdict
from filters.text import text_expr

QUALITY_VERSION = "1"

# Words and phrases that carry no content on their own (regexes, matched case-insensitively, in
# any order, with any punctuation between; `'` matches a straight or curly apostrophe).
# Numbers, yes/no and single letters are content.
_FILLER_WORDS = r"""
    let's lets let me us we we'll i'll i'm i'd i\s+(?:will|shall|need|must|think|am|have|can|should|would|start|begin|solve|first)
    solve solving think thinking thought thoughts process reason reasoning analy[sz]e analy[sz]ing analysis explanation
    explain approach work working consider look see figure find compute calculate determine begin start starting going
    go get need needs must should can will would do try step(?:\s*\d+)? steps by through out down break carefully careful
    closely this that these the it its it's is are be to of for on in and with about at as from given following below
    problem problems question task query solution solutions answer answers final response result output conclusion
    summary part hint here here's so now first firstly next then okay ok sure alright well hmm+ um+ uh+ ah oh great good
    certainly absolutely indeed
    </?think> \\boxed\{\s*\} \\text\{\s*\} ```[a-z]*
    解答 答案 解析 分析 思路 思考 过程 步骤 第[一二三四五六七八九十\d]+步 首先 让我们 我们 一步一步 逐步 地 来 解决 这个 问题 最终 结果
    如下 好的 嗯 解 答 答え 解説 考え方 ステップ まず では 問題 を 解きます 一歩ずつ 풀이 정답 답 해설 단계 먼저 문제 단계별로
    решение ответ давайте решим шаг за шагом пошагово задача задачу итак solución solucion respuesta paso paso\s+a\s+paso
    vamos resolver pensemos problema solução resposta passo réponse reponse étape etape résolvons réfléchissons par
    problème d'abord lösung losung antwort schritt für schrittweise zuerst lassen uns denken lösen الحل الإجابة الجواب हल उत्तर
"""
FILLERS = [w.replace("'", "(?:'|’)") for w in _FILLER_WORDS.split()]


def content_free_pattern(extra: list[str] | tuple = ()) -> str:
    """A regex matching a whole text made only of filler words and non-alphanumerics."""
    words = "|".join(f"(?:{w})" for w in [*FILLERS, *extra])
    return rf"(?is)^(?:{words}|[^\p{{L}}\p{{N}}])*$"


def content_free(text, extra: list[str] | tuple = ()):
    """A boolean polars expression: the text (an expression) carries no content."""
    return text.fill_null("").str.contains(content_free_pattern(extra))


def check_patterns(patterns: list[str], field: str) -> None:
    """Raise a UserError naming `field[i]` for the first regex polars cannot compile."""
    import polars as pl

    for i, p in enumerate(patterns):
        try:
            pl.Series([""]).str.contains(p)
        except pl.exceptions.PolarsError as e:
            raise UserError(f"{field}.{i}: invalid regex {p!r} ({str(e).splitlines()[0]})") from None


def finish_reason(df):
    """`meta.finish_reason` as an expression (null when rows have no such field)."""
    import polars as pl

    meta = df.schema.get("meta")
    if isinstance(meta, pl.Struct) and "finish_reason" in {f.name for f in meta.fields}:
        return pl.col("meta").struct.field("finish_reason")
    return pl.lit(None, pl.String)


def truncated(text, finish):
    """Cut off by the token limit, or visibly unfinished: odd ``` count, unclosed \\boxed{ or <think>."""

    odd_fences = text.str.count_matches("```", literal=True) % 2 == 1
    tail = text.str.split("\\boxed{").list.last()  # what follows the last \boxed{
    open_boxed = text.str.contains("\\boxed{", literal=True) & (
        tail.str.count_matches("}", literal=True) <= tail.str.count_matches("{", literal=True)
    )
    open_think = text.str.count_matches("<think>", literal=True) > text.str.count_matches("</think>", literal=True)
    return (finish == "length").fill_null(False) | odd_fences | open_boxed | open_think


def repeated_ngram_ratio(df, text, n: int):
    """Per row, the fraction of word n-grams that repeat an earlier n-gram of the same row (0.0
    for rows with fewer than n words), as a Float64 Series: words are hashed, n-grams are
    combined hashes over one exploded column, counted per row."""
    import polars as pl

    words = df.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_r"), text.str.to_lowercase().str.extract_all(r"\w+").alias("_w")
    ).explode("_w", empty_as_null=True, keep_nulls=True)
    h = pl.col("_w").hash(seed=0)
    gram = h
    for k in range(1, n):  # u64 arithmetic wraps: a polynomial hash of the n word hashes
        gram = gram * 1000003 + h.shift(-k)
    valid = pl.col("_w").is_not_null() & (pl.col("_r").shift(-(n - 1)) == pl.col("_r") if n > 1 else pl.lit(True))
    grams = words.select("_r", pl.when(valid).then(gram).alias("_g"))
    counts = (
        grams.group_by("_r", maintain_order=True)
        .agg(total=pl.col("_g").count(), uniq=pl.col("_g").drop_nulls().n_unique())
        .sort("_r")
    )
    ratio = pl.when(pl.col("total") > 0).then(1.0 - pl.col("uniq") / pl.col("total")).otherwise(0.0)
    return counts.select(ratio.cast(pl.Float64).alias("_ngram_ratio")).to_series()


def repeated_line_ratio(text):
    """Fraction of the non-blank lines (with a letter or digit) that repeat an earlier line."""
    import polars as pl

    lines = text.str.split("\n").list.eval(
        pl.element().str.strip_chars().str.to_lowercase().filter(pl.element().str.contains(r"[\p{L}\p{N}]"))
    )
    total = lines.list.len()
    return pl.when(total > 1).then(1.0 - lines.list.n_unique() / total).otherwise(0.0)


def quality_reasons(df, spec, field: str = "stages.?"):
    """Per row, the first failed check's reason, or null: a polars String Series."""
    import polars as pl

    text = text_expr(df, spec.column, f"{field}.column").fill_null("")
    frame = df.select(text.alias("_t"), finish_reason(df).alias("_f"))
    t = pl.col("_t")
    checks: list[tuple[str, object]] = []
    if spec.no_content:
        checks.append(("no_content", content_free(t, spec.filler_patterns)))
    if spec.truncated:
        checks.append(("truncated", truncated(t, pl.col("_f"))))
    if spec.refusal and spec.refusal_patterns:
        checks.append(("refusal", t.str.contains("(?i)" + "|".join(f"(?:{p})" for p in spec.refusal_patterns))))
    n_words = t.str.count_matches(r"\S+")
    for reason, bound, size, too_far in (
        ("too_short", spec.min_chars, t.str.len_chars(), lambda s, b: s < b),
        ("too_short", spec.min_words, n_words, lambda s, b: s < b),
        ("too_long", spec.max_chars, t.str.len_chars(), lambda s, b: s > b),
        ("too_long", spec.max_words, n_words, lambda s, b: s > b),
    ):
        if bound is not None:
            checks.append((reason, too_far(size, bound)))
    if spec.max_repeated_ngram_ratio is not None:
        frame = frame.with_columns(repeated_ngram_ratio(frame, t, spec.ngram))
        checks.append(("repetitive", pl.col("_ngram_ratio") > spec.max_repeated_ngram_ratio))
    if spec.max_repeated_line_ratio is not None:
        checks.append(("repetitive", repeated_line_ratio(t) > spec.max_repeated_line_ratio))
    if not checks:
        return pl.Series("reason", [None] * df.height, dtype=pl.String)
    first = pl.coalesce([pl.when(cond).then(pl.lit(reason, pl.String)) for reason, cond in checks])
    return frame.select(first.alias("reason")).to_series()


class QualityFilter:
    """Filter stage `quality`: reject rows failing any enabled heuristic (see module docstring)."""

    scope = "shard"

    def __init__(self, spec, ctx=None):
        self.spec = spec
        self.field = getattr(ctx, "field", "stage")
        check_patterns(spec.refusal_patterns, f"{self.field}.refusal_patterns")
        check_patterns(spec.filler_patterns, f"{self.field}.filler_patterns")

    def report(self) -> None:
        return None

    def describe(self) -> dict:
        from datagen.hashing import digest

        return {"filter": "quality", "version": QUALITY_VERSION, "fillers": digest(FILLERS)}

    def __call__(self, ds) -> Verdict:
        df = ds.to_polars() if hasattr(ds, "to_polars") else ds
        reasons = quality_reasons(df, self.spec, self.field)
        return Verdict(keep=reasons.is_null(), reason=reasons, name="quality", version=QUALITY_VERSION)
