"""Decontamination against benchmarks (a global stage, `type: decontaminate`).

Every row's text is compared with every item of the named benchmarks (filters/benchmarks.py,
concatenated into one reference set) by the chosen methods; a row is contaminated when any
method fires:

- `ngram`: overlap coefficient of hashed word n-gram sets >= `ngram_threshold`
  (filters/ngrams.py) - copies, near copies, a benchmark item inside a longer prompt;
- `embedding`: cosine to the nearest item >= `embedding_threshold` - paraphrases;
ngram and embedding matches are vetoed when the two are different problems however alike the
wording (the llm-decontaminator criterion): both have short final answers and they differ, or
both have numbers and share under `numbers_veto` of the smaller set (a problem with a
quantity changed is a new problem);
- `answer`: among the `top_k` nearest items with cosine >= `answer_similarity` (and the best
  n-gram and skeleton items), one with the same final answer (filters/answer_match.py) and
  the same numbers (overlap of the number sets >= `answer_numbers`) - rephrasings and
  translations that keep the numbers; its score is that number overlap. A row with under
  `answer_min_numbers` distinct numbers matches only its nearest item, with the same number
  set and cosine >= `answer_few_similarity`: a small answer and two small numbers coincide
  by chance. And the nearest item alone at a lower cosine, when the numbers agree and the
  answer is not a small number, or is rare among the items (filters/decontam_answer.py).
  Skipped, and named in the report, when the rows have no answer column;
- `numbers`: the same set of numbers (>= `numbers_min` distinct, not only 0-10 unless four or
  more, number words read as digits) as one of the `top_k` nearest items with cosine >=
  `numbers_similarity`, not vetoed - LLM rephrasings rename people and objects and reorder
  sentences but keep the numbers; needs no answer column;
- `examples`: a coding task among the nearest items whose examples agree with it: the same
  doctest calls with the same outputs, or (`examples_run`) its example calls, in any style,
  give the stated outputs when run against the item's reference solution in the sandbox
  (filters/decontam_examples.py) - a rewrite renames and rewords but keeps the behaviour; a
  match (by any method) whose examples give another output for the same call is vetoed
  (`examples_veto`): a look-alike task that behaves otherwise;
- `skeleton`: overlap of the numbers and LaTeX tokens (language-independent, so it survives
  translation) >= `skeleton_threshold`, both texts having at least `skeleton_min_grams`
  skeleton n-grams, same veto;
- `judge`: an LLM decides whether the row and its nearest item are the same problem
  (filters/decontam_judge.py); asked only for rows no cheaper method flagged, with cosine >=
  `judge_similarity`.

Rows that are not English (a stop-word test) are embedded with `multilingual_model` when one
is set; without one (offline: none ships) they are still checked by `skeleton` and `answer`,
and the report counts them as `non_english_rows`.

The report (`report()`, stored in the manifest and the card; `--report` on the CLI) has per
benchmark counts and, per flagged row, its id, benchmark, item id, method, score and every
method's score. Rejected rows (or, with `action: flag`, all rows) carry a `contamination`
struct column.

What it does not do: decontaminate completions against benchmark solutions; judge code by its
AST, or coding tasks without example calls by behaviour; tell a near copy with one
meaning-changing word from a copy with a harmless edit when neither has an answer (the judge,
or an answer column, does that).
"""

from __future__ import annotations

import logging

import numpy as np

from datagen.errors import DatagenError, UserError
from datagen.verdict import Verdict
from filters.decontam_report import ORDER, combine, contamination_column, flagged_rows, summary
from filters.text import text_expr

DECONTAM_VERSION = "3"
STOPWORDS = ["the", "of", "and", "a", "an", "is", "are", "in", "to", "what", "how", "many", "if", "for", "with", "that",
             "each", "has", "have", "find", "let", "be", "by", "on", "at", "from", "it", "this", "there", "which", "does", "much"]


def digits(texts: list[str]) -> list[str]:
    """Number words as digits ("forty-two eggs" -> "42 eggs", "three-fifths" -> "3/5";
    filters/number_words.py)."""
    from filters.number_words import as_digits

    return [as_digits(t) for t in texts]


def distinctive(numbers) -> np.ndarray:
    """Per token list: holds a number other than 0-10, or four distinct numbers (a few small
    numbers are shared by chance)."""
    import polars as pl

    small = [str(x) for x in range(11)]
    return numbers.to_frame("n").select(
        (pl.col("n").list.eval(~pl.element().is_in(small)).list.any()) | (pl.col("n").list.unique().list.len() >= 4)
    ).to_series().fill_null(False).to_numpy()


def non_english(texts) -> np.ndarray:
    """Per text: True when it has at least 5 words and under 8 % of them are common English
    words (so formulas and short texts count as English)."""
    import polars as pl

    words = pl.Series(texts, dtype=pl.String).fill_null("").str.to_lowercase().str.extract_all(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Thai}]|\p{L}{2,}")
    n = words.list.len()
    hits = words.list.eval(pl.element().is_in(STOPWORDS).sum()).list.first()
    return ((n >= 5) & (hits < 0.08 * n)).fill_null(False).to_numpy()


class Decontaminate:
    scope = "global"

    def __init__(self, spec, ctx=None):
        self.spec = spec
        self.ctx = ctx
        self.field = getattr(ctx, "field", "stage")
        self._bench = None
        self._report: dict | None = None
        self._judge_stats: dict | None = None
        self._cascade: dict | None = None  # rows per step of the embedding cascade
        self.unavailable: dict[str, str] = {}  # benchmarks implied by a domain that could not be loaded
        from filters.benchmarks import expand

        self.names = expand(spec.benchmarks, f"{self.field}.benchmarks")

    def in_parts(self, inputs, work, mapper, parts: int):
        """Rows are checked one by one against a fixed benchmark set, so any worker can check
        any shard: a small stage carrying the benchmarks this process loaded (workers never
        reach the Hub or the benchmark files themselves), which each worker builds once (their
        embeddings computed or read from the cache once per process) and runs per shard; the shards' reports are merged
        (filters/decontam_report.py, merge). None with the `judge` method (it needs the LLM
        pool, which stays with the run)."""
        if "judge" in self.spec.methods:
            return None
        from filters.decontam_shard import DecontamShard

        return DecontamShard(self.spec.model_dump(mode="json"), self.field, (self.benchmarks(), dict(self.unavailable)))

    # -- what the stage key hashes: the spec's methods and the benchmark contents
    def benchmarks(self):
        if self._bench is None:
            from filters.benchmarks import load_benchmark

            self._bench = []
            for name, explicit in self.names.items():
                try:
                    self._bench.append(load_benchmark(name, f"{self.field}.benchmarks"))
                except UserError as e:
                    if explicit:
                        raise
                    self.unavailable[name] = str(e)
                    logging.getLogger("datagen").warning("decontaminate: skipping %s: %s", name, e)
        return self._bench

    def describe(self) -> dict:
        from datagen.embeddings import model_identity
        from datagen.hashing import digest

        s = self.spec
        out = {
            "filter": "decontaminate",
            "version": DECONTAM_VERSION,
            "benchmarks": {b.name: {"source": b.source, "items": len(b), "digest": digest([b.ids, b.questions, b.answers])} for b in self.benchmarks()},
            "unavailable": sorted(self.unavailable),
            "methods": list(s.methods),
        }
        if {"embedding", "answer", "judge"} & set(s.methods):
            out.update(model=model_identity(s.model), multilingual_model=s.multilingual_model, encode=s.encode)
            if s.encode == "cascade":
                from datagen.static_embeddings import static_identity

                out.update(static_model=static_identity(s.static_model))
        if "judge" in s.methods:
            if self.ctx is None or getattr(self.ctx, "pool", None) is None:
                raise UserError(f"{self.field}.methods: 'judge' needs a model (recipe.models.{s.judge_model}, or --judge-model)")
            from filters.decontam_judge import describe

            try:
                out["judge"] = describe(self.ctx, s)
            except KeyError:
                raise UserError(f"{self.field}.judge_model: unknown model {s.judge_model!r}") from None
        return out

    def report(self) -> dict | None:
        return self._report

    # -- the methods
    def reference(self):
        names, ids, questions, answers = [], [], [], []
        for b in self.benchmarks():
            names += [b.name] * len(b)
            ids += b.ids
            questions += b.questions
            answers += b.answers
        return np.array(names, dtype=object), ids, questions, answers

    def neighbours(self, texts: list[str], questions: list[str], foreign: np.ndarray, worth=None, extra=None):
        """(sims, idx), each (rows, top_k): the nearest benchmark items by embedding. With
        `encode: cascade`, the model's nearest among the static model's candidates, for the
        rows `worth(rows, static_sims, static_idx)` says a method could flag (filters/cascade.py);
        other rows have none."""
        from datagen.embeddings import embed
        from filters.embedding_cache import embed_cached
        from filters.similarity import nearest

        s = self.spec
        k = min(s.top_k, len(questions))
        sims = np.full((len(texts), k), -1.0)
        idx = np.full((len(texts), k), -1, dtype=np.int64)
        groups = [(~foreign if s.multilingual_model else np.ones(len(texts), bool), s.model)]
        if s.multilingual_model:
            groups.append((foreign, s.multilingual_model))
        runtime = "torch" if s.encode == "cascade" else s.encode
        for g, (mask, model) in enumerate(groups):
            rows = np.flatnonzero(mask)
            if not len(rows):
                continue
            corpus = np.concatenate([embed_cached(b.questions, model, s.batch_size, runtime) for b in self.benchmarks()])
            if s.encode == "cascade" and g == 0:  # static candidates first (the static model is English)
                from filters.cascade import cascade_neighbours

                sims[rows], idx[rows], self._cascade = cascade_neighbours(
                    [texts[j] for j in rows], rows, questions, corpus, k, s, worth, None if extra is None else extra[rows])
                continue
            vecs = embed([texts[j] for j in rows], model, batch_size=s.batch_size, runtime=runtime)
            sims[rows], idx[rows] = nearest(vecs, corpus, k)
        return sims, idx

    def __call__(self, ds) -> Verdict:
        import polars as pl

        from filters.answer_match import same_answers
        from filters.ngrams import best_matches, gram_counts, pair_overlap, token_lists

        s = self.spec
        df = ds.to_polars() if hasattr(ds, "to_polars") else ds
        texts = df.select(text_expr(df, s.column, f"{self.field}.column").fill_null("")).to_series().to_list()
        answers: list[str | None] = [None] * len(df)
        skipped: dict[str, str] = {}
        if s.answer_column and s.answer_column in df.columns:
            answers = df.select(text_expr(df, s.answer_column, f"{self.field}.answer_column")).to_series().to_list()
        elif "answer" in s.methods:  # the default runs on any text: a method that cannot apply is skipped and named
            skipped["answer"] = f"no answer column {s.answer_column!r}" if s.answer_column else "answer_column is null"
            logging.getLogger("datagen").warning("decontaminate: 'answer' skipped: %s (columns: %s)", skipped["answer"], ", ".join(df.columns))
        if skipped and not set(s.methods) - set(skipped):
            raise UserError(f"{self.field}.answer_column: {skipped['answer']} (columns: {', '.join(df.columns)}), and no other method is on; set it, or add methods")
        bench, ids, questions, ref_answers = self.reference()
        n, methods = len(texts), set(s.methods) - set(skipped)
        item = {m: np.full(n, -1, np.int64) for m in ORDER}
        score = {m: np.full(n, np.nan) for m in ORDER}
        fired = {m: np.zeros(n, bool) for m in ORDER}
        foreign = non_english(texts)
        if not questions:  # every benchmark was only implied by a domain and none could be loaded
            methods = set()
        dtexts, dquestions = digits(texts), digits(questions)  # number words as digits, read once
        numbers = (token_lists(dtexts, "numbers"), token_lists(dquestions, "numbers"))

        from filters.cascade import number_candidates, worth_encoding

        examples = None
        if "examples" in methods or s.examples_veto:
            from filters.decontam_examples import ExampleEvidence

            examples = ExampleEvidence(texts, questions, self.benchmarks(), s)

        def differ(items: np.ndarray) -> np.ndarray:
            """A different problem, however alike the words: both sides have short final answers
            and they differ, or both have numbers and under `numbers_veto` of the smaller set is
            shared (default 1.0: a copy, a rephrasing and a translation keep every number, an
            appended solution or a terse core only adds or drops some; a changed quantity is a
            new problem)."""
            ok = np.flatnonzero(items >= 0)
            same = np.full(n, np.nan)
            same[ok] = same_answers([answers[j] for j in ok], [ref_answers[i] for i in items[ok]])
            out = same == 0.0
            if s.numbers_veto is not None and len(ok):
                shared = pair_overlap(*numbers, ok, items[ok], by="min", min_tokens=1)
                out[ok] |= np.nan_to_num(shared, nan=1.0) < s.numbers_veto
            if examples is not None and s.examples_veto and len(ok):  # a coding task that answers the same call otherwise
                out[ok] |= examples.differ(ok, items[ok])
            return out

        if "ngram" in methods:
            item["ngram"], score["ngram"], _ = best_matches(texts, questions, s.ngram, "words")
            fired["ngram"] = (score["ngram"] >= s.ngram_threshold) & ~differ(item["ngram"])
        if "skeleton" in methods or "answer" in methods:
            sk_item, sk_score, _ = best_matches(texts, questions, s.skeleton_ngram, "math")
            sk_item[sk_score <= 0] = -1
        if "skeleton" in methods:
            item["skeleton"], score["skeleton"] = sk_item, sk_score
            item_grams = gram_counts(questions, s.skeleton_ngram, "math")
            row_grams = gram_counts(texts, s.skeleton_ngram, "math")
            enough = np.minimum(row_grams, item_grams[np.maximum(sk_item, 0)]) >= s.skeleton_min_grams  # both sides specific enough
            fired["skeleton"] = (sk_score >= s.skeleton_threshold) & enough & ~differ(sk_item)
        sims = idx = None
        if methods & {"embedding", "answer", "numbers", "examples", "judge"}:
            extra = number_candidates(dtexts, dquestions) if s.encode == "cascade" else None
            sims, idx = self.neighbours(texts, questions, foreign, worth_encoding(s, numbers, examples, methods), extra)
        if "embedding" in methods:
            item["embedding"], score["embedding"] = idx[:, 0], sims[:, 0]
            fired["embedding"] = (sims[:, 0] >= s.embedding_threshold) & ~differ(idx[:, 0])
        if "examples" in methods:
            examples.match(sims, idx, item, score, fired)
        if "numbers" in methods:
            self._numbers_match(numbers, sims, idx, item, score, fired, differ)
        if "answer" in methods:
            from filters.decontam_answer import answer_match

            r, i, v = answer_match(s, answers, ref_answers, numbers, sims, idx, (sk_item, sk_score), (item["ngram"], score["ngram"]), foreign)
            for j, x, val in zip(r, i, v, strict=True):
                if not fired["answer"][j] or val > score["answer"][j]:
                    fired["answer"][j], item["answer"][j], score["answer"][j] = True, x, val
        if "judge" in methods:
            self._judge(texts, questions, sims, idx, item, score, fired)

        flagged, method, win_item, win_score = combine(fired, item, score)
        row_ids = df.get_column("id").cast(pl.String).to_list() if "id" in df.columns else [str(j) for j in range(n)]
        records = flagged_rows(row_ids, flagged, method, win_item, win_score, bench, ids, fired, score)
        self._report = summary(s, self.benchmarks(), self.unavailable, records, n, int(foreign.sum()), self._judge_stats, skipped)
        if self._cascade:
            self._report["cascade"] = self._cascade
        contamination = contamination_column(flagged, method, win_item, win_score, bench, ids)
        reject = flagged if s.action == "reject" else np.zeros(n, bool)
        reasons = [f"contaminated: {bench[i]}" if r else None for r, i in zip(reject, win_item, strict=True)]
        cols = {"contamination": contamination}
        return Verdict(
            keep=(~reject).tolist(),
            reason=reasons,
            score=pl.Series(np.where(flagged, win_score, np.nan)).fill_nan(None),
            name="decontaminate",
            version=DECONTAM_VERSION,
            columns=cols if s.action == "reject" else {},
            added=cols if s.action == "flag" else {},
        )

    def _numbers_match(self, numbers, sims, idx, item, score, fired, differ):
        """The same set of numbers (>= `numbers_min` distinct, number words read as digits) as
        one of the top_k nearest items with cosine >= `numbers_similarity`, and not a different
        problem by its answer: a rephrasing that renames people and objects keeps its numbers."""
        from filters.ngrams import pair_overlap

        s = self.spec
        n, k = idx.shape
        near = (idx >= 0) & (sims >= s.numbers_similarity)
        r = np.repeat(np.arange(n), k)[near.ravel()]
        i = idx.ravel()[near.ravel()]
        if not len(r):
            return
        same = (np.nan_to_num(pair_overlap(*numbers, r, i, by="max", min_tokens=s.numbers_min), nan=0.0) >= 1.0) & distinctive(numbers[0])[r]
        r, i, cos = r[same], i[same], sims.ravel()[near.ravel()][same]
        if not len(r):
            return
        order = np.lexsort((-cos, r))  # by row, closest item first
        first = order[np.r_[True, r[order][1:] != r[order][:-1]]]
        rows, cand, best = r[first], np.full(n, -1, np.int64), np.full(n, np.nan)
        cand[rows], best[rows] = i[first], cos[first]
        ok = rows[~differ(cand)[rows]]
        fired["numbers"][ok], item["numbers"][ok], score["numbers"][ok] = True, cand[ok], best[ok]

    def _judge(self, texts, questions, sims, idx, item, score, fired):
        from filters.decontam_judge import judge_stage_pairs

        s = self.spec
        done = np.zeros(len(texts), bool)
        for m in ORDER:
            done |= fired[m]
        todo = np.flatnonzero(~done & (idx[:, 0] >= 0) & (sims[:, 0] >= s.judge_similarity))
        verdicts, errors = judge_stage_pairs(self.ctx, s, [texts[j] for j in todo], [questions[idx[j, 0]] for j in todo])
        failed = [e for e in errors if e is not None]
        self._judge_stats = {"asked": len(todo), "unparseable": sum(v is None for v in verdicts), "failed": len(failed)}
        if failed and len(failed) == len(todo):
            raise DatagenError(f"{self.field}: all {len(todo)} judge requests failed, e.g. {failed[0]!r}; fix judge_model and run again")
        if failed:
            self._judge_stats["first_error"] = failed[0]
            logging.getLogger("datagen").warning("decontaminate: %d of %d judge requests failed (those rows were not judged), e.g. %s", len(failed), len(todo), failed[0])
        for j, v in zip(todo, verdicts, strict=False):
            if v:
                fired["judge"][j], item["judge"][j], score["judge"][j] = True, idx[j, 0], sims[j, 0]

