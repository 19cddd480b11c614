"""Mixture figures (`datagen mix`), side by side in one run:

1. mixing 1M rows from 5 sources: wall time (prepare vs publish, and the parts of prepare),
   rows/s and peak memory (RSS) of `prepare` + `publish_mixture`, in a fresh subprocess, next
   to the cost of just reading the same 5 files with polars in another fresh subprocess
   (`mix_vs_read` is the ratio of the two times). The sources are synthetic but shaped like
   real SFT data (math word problems with numbers, 1-3 sentence answers, some system prompts
   and second turns), in the five input shapes the normaliser accepts: jsonl `messages`,
   parquet `prompt`/`completion`, ShareGPT `conversations`, alpaca `instruction`/`input`/
   `output`, and `messages` with a numeric `pass_rate`; about 1% of rows are malformed and
   about 2% of prompts are shared across sources (cross-source duplicates). The mixture uses
   the tiny model's tokenizer, `weight`, `rows` and `tokens` amounts, `total_rows`,
   `stratify: difficulty` (binned `pass_rate` on one source), `where:`, a 1% eval split, and
   one `synthetic: true` source over the 20% guardrail (warn; the warning is silenced).
   Imports (transformers pulls in torch: seconds and ~0.5 GiB) are done before the clock
   starts and reported apart (`import_s`, `rss_after_imports_mib`); `prepare_parts_s` and
   `peak_rss_rise_by_part_mib` split prepare's time and peak memory by the function called.
2. token counting rows/s: datagen's batched `count_tokens` (with the template calibration)
   vs row by row `apply_chat_template(messages, tokenize=True)` (transformers 5 returns a
   BatchEncoding; its `input_ids` are counted; timed on a subsample and extrapolated) vs row
   by row plain `tokenizer(text)` of the joined contents; with the fraction of rows where the
   batched count equals the rendered template's exactly, and the time of the Rust encode
   alone (`encode_only_s`: the floor for any counting with this tokenizer).

No goal numbers are set: the issue asks for time and peak memory at 1M rows / 5 sources, and
token counting rows/s against row by row counting. Defaults take a few minutes on 2 cores.

    python -m tests.benchmarks.bench_mix [--rows 1000000] [--count-rows 100000] [--render-sample 5000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHAPES = ("messages_jsonl", "prompt_completion", "sharegpt", "alpaca", "messages_passrate")

NAMES = ["Ava", "Ben", "Chloe", "Diego", "Emma", "Farid", "Grace", "Hiro", "Isla", "Jamal", "Kira", "Liam", "Mei", "Noah",
         "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoe", "Aiko", "Bruno",
         "Carmen", "Dmitri", "Elena", "Felix"]
ITEMS = ["apples", "marbles", "stickers", "books", "pencils", "cookies", "stamps", "coins", "shells", "cards", "balloons",
         "cupcakes", "crayons", "tickets", "beads", "toy cars", "oranges", "notebooks", "eggs", "flowers"]
FILLERS = [
    "It is a sunny morning and the market is busy.",
    "The shop closes at {h} pm today.",
    "Each bag costs {p} dollars at the corner store.",
    "{name} is saving money for a new bike.",
    "Yesterday it rained for {h} hours, so everyone stayed inside.",
    "{name}'s teacher asked the class to show their work.",
    "There are {p} students in the class.",
    "The school fair starts in {h} days.",
]
SYSTEMS = ["You are a helpful math tutor.", "You are a careful assistant. Answer concisely and show the key step.",
           "Solve the problem. Give the final answer as a number at the end of your reply."]


# ---------------------------------------------------------------- synthetic sources (vectorised)
def conversations(n: int, seed: int):
    """`n` math-word-problem conversations: columns system (null for most), prompt, response,
    prompt2/response2 (a second turn for ~10%, else null), pass_rate."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    df = pl.DataFrame({
        "name": pl.Series(NAMES).gather(rng.integers(0, len(NAMES), n)),
        "item": pl.Series(ITEMS).gather(rng.integers(0, len(ITEMS), n)),
        "a": rng.integers(2, 1000, n), "b": rng.integers(2, 60, n), "h": rng.integers(2, 12, n), "p": rng.integers(3, 90, n),
        "op": rng.integers(0, 4, n), "k": rng.integers(0, 4, n), "f1": rng.integers(0, len(FILLERS), n),
        "f2": rng.integers(0, len(FILLERS), n), "f3": rng.integers(0, len(FILLERS), n), "long": rng.random(n) < 0.05,
        "len": rng.integers(1, 4, n), "sys": rng.integers(0, 4 * len(SYSTEMS), n), "multi": rng.random(n) < 0.10,
        "pass_rate": rng.beta(1.2, 1.2, n),
    })
    name, item, a, b = pl.col("name"), pl.col("item"), pl.col("a"), pl.col("b")
    op = pl.col("op")

    def branch(*exprs):
        e = pl.when(op == 0).then(exprs[0])
        for i, x in enumerate(exprs[1:], 1):
            e = e.when(op == i).then(x)
        return e

    question = branch(
        pl.format("{} has {} {}. {} buys {} more {}. How many {} does {} have now?", name, a, item, name, b, item, item, name),
        pl.format("{} had {} {} and gave away {} of them. How many {} are left?", name, a + b, item, b, item),
        pl.format("A box holds {} {}. {} fills {} boxes. How many {} are there in total?", a, item, name, b, item),
        pl.format("{} shares {} {} equally among {} friends. How many {} does each friend get?", name, a * b, item, b, item),
    )
    answer = branch(a + b, a, a * b, a)
    shown = branch(a, a + b, a, a * b)  # the first number in the question
    expr = branch(pl.format("{} + {}", a, b), pl.format("{} - {}", a + b, b), pl.format("{} x {}", a, b), pl.format("{} / {}", a * b, b))

    def filler(col):
        e = pl.when(pl.col(col) == 0).then(pl.lit(FILLERS[0]))
        for i, f in enumerate(FILLERS[1:], 1):
            parts = f.replace("{h}", "\0h\0").replace("{p}", "\0p\0").replace("{name}", "\0name\0").split("\0")
            e = e.when(pl.col(col) == i).then(pl.concat_str([pl.col(x) if j % 2 else pl.lit(x) for j, x in enumerate(parts)]))
        return e

    none = pl.lit("")
    context = pl.concat_str(
        pl.when(pl.col("k") >= 1).then(filler("f1") + " ").otherwise(none),
        pl.when(pl.col("k") >= 2).then(filler("f2") + " ").otherwise(none),
        pl.when(pl.col("k") >= 3).then(filler("f3") + " ").otherwise(none),
    )
    tail = pl.when(pl.col("long")).then(pl.lit(" Explain every step of your reasoning in detail, check the arithmetic twice, "
                                               "and state any assumption you make about the problem before giving the answer.")).otherwise(none)
    response = (
        pl.when(pl.col("len") == 1).then(pl.format("The answer is {}.", answer))
        .when(pl.col("len") == 2).then(pl.format("{} = {}. So the answer is {}.", expr, answer, answer))
        .otherwise(pl.format("The numbers in the problem are {} and {}. Working it out, {} = {}. So the answer is {} {}.",
                             shown, b, expr, answer, answer, item))
    )
    sys_msg = pl.col("sys")
    system = pl.when(sys_msg == 0).then(pl.lit(SYSTEMS[0])).when(sys_msg == 1).then(pl.lit(SYSTEMS[1])).when(sys_msg == 2).then(pl.lit(SYSTEMS[2]))
    return df.select(
        system=system,
        prompt=context + question + tail,
        response=response,
        prompt2=pl.when(pl.col("multi")).then(pl.format("What if {} had twice as many {} to start with?", name, item)),
        response2=pl.when(pl.col("multi")).then(pl.format("Then the answer would change: redo {} with {} in place of {}.", expr, shown * 2, shown)),
        pass_rate=pl.col("pass_rate"),
    )


def _source_rows(n: int, i: int, pool, dup_frac: float, bad_frac: float, seed: int):
    """Source i's base rows: a random `dup_frac` of its prompts drawn from the shared pool, and
    a `_bad` flag on a random `bad_frac` of rows."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed + 1000 * (i + 1))
    df = conversations(n, seed + i)
    n_dup = int(n * dup_frac)
    if n_dup:
        idx = rng.choice(n, n_dup, replace=False)
        take = pool[rng.integers(0, pool.height, n_dup)]
        df = df.with_columns(**{c: df.get_column(c).scatter(idx, take.get_column(c)) for c in ("prompt", "response")})
    bad = np.zeros(n, dtype=bool)
    bad[rng.choice(n, int(n * bad_frac), replace=False)] = True
    return df.with_columns(_bad=pl.Series(bad))


def _message_list(role_field: str, content_field: str, roles: dict, with_system: bool, bad):
    """A List(Struct) column of the turns (null turns left out); where `bad` holds, the last
    assistant reply is left out, so the conversation ends with the user."""
    import polars as pl

    def turn(role, content):
        return pl.struct(pl.lit(roles[role]).alias(role_field), content.alias(content_field))

    reply, reply2 = pl.col("response"), pl.col("response2")
    if bad is not None:
        reply = pl.when(~bad | pl.col("prompt2").is_not_null()).then(reply)
        reply2 = pl.when(~bad).then(reply2)
    parts = [turn("system", pl.col("system"))] if with_system else []
    parts += [turn("user", pl.col("prompt")), turn("assistant", reply), turn("user", pl.col("prompt2")), turn("assistant", reply2)]
    return pl.concat_list(parts).list.eval(pl.element().filter(pl.element().struct.field(content_field).is_not_null()))


def write_sources(rows: int, folder: Path, seed: int = 0) -> dict:
    """The five source files (rows/5 each); returns {shape: path}."""
    import polars as pl

    n = rows // len(SHAPES)
    pool = conversations(max(1, n // 50), seed + 99)
    bad = pl.col("_bad")
    paths = {}
    for i, shape in enumerate(SHAPES):
        df = _source_rows(n, i, pool, 0.02, 0.01, seed)
        if shape == "messages_jsonl":  # bad: ends with the user (the last reply dropped)
            out = df.select(messages=_message_list("role", "content", {"system": "system", "user": "user", "assistant": "assistant"}, True, bad))
            path = folder / "chat.jsonl"
            out.write_ndjson(path)
        elif shape == "prompt_completion":  # bad: an empty completion
            out = df.select(prompt="prompt", completion=pl.when(bad).then(pl.lit("  ")).otherwise(pl.col("response")))
        elif shape == "sharegpt":  # bad: ends with the human
            out = df.select(conversations=_message_list("from", "value", {"user": "human", "assistant": "gpt"}, False, bad))
        elif shape == "alpaca":  # bad: an empty output; ~30% carry the numbers in `input`
            split = pl.col("pass_rate") < 0.3
            out = df.select(
                instruction=pl.when(split).then(pl.lit("Solve this word problem.")).otherwise(pl.col("prompt")),
                input=pl.when(split).then(pl.col("prompt")).otherwise(pl.lit("")),
                output=pl.when(bad).then(pl.lit("")).otherwise(pl.col("response")),
            )
        else:  # messages + pass_rate; bad: two user messages in a row
            msgs = _message_list("role", "content", {"system": "system", "user": "user", "assistant": "assistant"}, True, None)
            twice = pl.concat_list(pl.struct(role=pl.lit("user"), content=pl.col("prompt")), msgs)
            out = df.select(messages=pl.when(bad).then(twice).otherwise(msgs), pass_rate="pass_rate")
        if shape != "messages_jsonl":
            path = folder / f"{shape}.parquet"
            out.write_parquet(path)
        paths[shape] = path
    return paths


def mixture_spec(paths: dict, rows: int, tokenizer: str, tokens_d: int) -> dict:
    """About 0.7 * rows train rows: rows/tokens fixed on two sources, the rest by weight."""
    n = rows // len(SHAPES)
    easy, medium = "easy", "medium"
    return {
        "name": "bench-mix",
        "seed": 0,
        "format": "sft",
        "tokenizer": tokenizer,
        "total_rows": int(rows * 0.7),
        "stratify": "difficulty",
        "eval": {"fraction": 0.01},
        "sources": [
            {"name": "chat", "source": str(paths["messages_jsonl"]), "weight": 2, "difficulty": easy},
            {"name": "pc", "source": str(paths["prompt_completion"]), "weight": 2, "difficulty": medium, "synthetic": True},
            {"name": "sharegpt", "source": str(paths["sharegpt"]), "rows": int(n * 0.75), "difficulty": easy},
            {"name": "alpaca", "source": str(paths["alpaca"]), "tokens": tokens_d, "difficulty": medium},
            {"name": "graded", "source": str(paths["messages_passrate"]), "weight": 1, "where": ["pass_rate > 0.05"],
             "difficulty": {"column": "pass_rate", "bins": [0.3, 0.7], "labels": ["hard", "medium", "easy"]}},
        ],
    }


def alpaca_tokens(path: Path, tokenizer: str, share: float) -> int:
    """A `tokens:` amount for the alpaca source: `share` of its rows at its mean count (from 2000 rows)."""
    import polars as pl

    from datagen.mixing.normalise import normalise
    from datagen.mixing.tokens import calibrate, count_tokens, load_tokenizer
    from schemas.mixture import Columns

    df = pl.read_parquet(path)
    tok = load_tokenizer(tokenizer)
    sample = normalise(df.head(2000), "sft", Columns(), "alpaca")
    mean = float(count_tokens(sample, "sft", tok, calibrate(tok)).mean())
    return int(df.height * share * mean)


# ---------------------------------------------------------------- subprocess workers
def _peak_mib() -> float:
    """This process's peak RSS. VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec, so a
    child started by a big parent would report the parent's size."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _instrument(timings: dict, rises: dict):
    """Wrap the functions prepare() calls (looked up at call time) to add up their seconds and
    how much each raised the peak RSS."""
    import datagen.mixing.build as B
    import datagen.mixing.dedup as D
    import datagen.mixing.normalise as N
    import datagen.mixing.read as R
    import datagen.mixing.sampling as S
    import datagen.mixing.tokens as T

    def wrap(mod, attr, label):
        fn = getattr(mod, attr)

        def timed(*a, **k):
            t, hwm = time.perf_counter(), _peak_mib()
            try:
                return fn(*a, **k)
            finally:
                timings[label] = timings.get(label, 0.0) + time.perf_counter() - t
                rises[label] = rises.get(label, 0.0) + _peak_mib() - hwm

        setattr(mod, attr, timed)

    for mod, attr, label in [
        (T, "load_tokenizer", "tokenizer"), (T, "calibrate", "tokenizer"), (R, "read_source", "read"),
        (N, "normalise", "normalise"), (T, "count_tokens", "count_tokens"), (D, "cross_source_duplicates", "dedup"),
        (T, "check_counts", "check_counts"), (S, "group_order", "group_order"), (S, "split_eval", "split_eval"),
        (S, "take", "take"), (B, "_finish", "finish_shuffle"), (B, "_rejected", "rejected"), (B, "_composition", "composition"),
    ]:
        wrap(mod, attr, label)


def worker_mix(workdir: Path, profile: bool) -> dict:
    import warnings

    import polars as pl  # noqa: F401 - imports are not the mix's time

    t = time.perf_counter()
    from transformers import AutoTokenizer  # noqa: F401 - imports torch: seconds, reported apart

    import_s = time.perf_counter() - t
    from datagen.mixing.build import SyntheticFractionWarning, prepare
    from datagen.mixing.publish import publish_mixture
    from datagen.store import Store
    from schemas.mixture import Mixture

    base_mib = _peak_mib()
    spec = Mixture.model_validate(json.loads((workdir / "mixture.json").read_text()))
    store = Store(workdir / "store")
    parts: dict = {}
    rises: dict = {}
    _instrument(parts, rises)
    prof = None
    if profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntheticFractionWarning)
        mixed = prepare(spec, store)
    t1 = time.perf_counter()
    prepare_mib = _peak_mib()
    ref, _created = publish_mixture(store, mixed, spec, "bench_mix")
    t2 = time.perf_counter()
    if prof is not None:
        import io
        import pstats

        prof.disable()
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats("cumulative").print_stats(40)
        print(s.getvalue(), file=sys.stderr)
    out_dir = store.path(ref)
    covered = sum(parts.values())
    return {
        "prepare_s": round(t1 - t0, 2),
        "publish_s": round(t2 - t1, 2),
        "total_s": round(t2 - t0, 2),
        "import_s": round(import_s, 2),
        "prepare_parts_s": {k: round(v, 2) for k, v in sorted(parts.items(), key=lambda kv: -kv[1])} | {"other": round(t1 - t0 - covered, 2)},
        "peak_rss_mib": round(_peak_mib()),
        "peak_rss_rise_by_part_mib": {k: round(v) for k, v in sorted(rises.items(), key=lambda kv: -kv[1]) if v >= 1},
        "peak_rss_after_prepare_mib": round(prepare_mib),
        "rss_after_imports_mib": round(base_mib),
        "train_rows": mixed.train.height,
        "eval_rows": mixed.eval.height,
        "rejected_rows": mixed.rejected.height,
        "train_tokens": mixed.summary["train_tokens"],
        "synthetic_fraction": mixed.summary["synthetic_fraction"],
        "guardrail_warned": bool(mixed.warnings),
        "token_count_check": mixed.token_check,
        "reject_reasons": dict(mixed.rejected.group_by("rejected_by").len().iter_rows()),
        "per_source": {c["name"]: {k: c[k] for k in ("rows_read", "filtered_out", "rejected", "duplicates", "eval_rows", "train_rows", "difficulty")}
                       for c in mixed.composition},
        "output_mib": round(sum(f.stat().st_size for f in out_dir.rglob("*") if f.is_file()) / 2**20, 1),
    }


def worker_read(workdir: Path) -> dict:
    import polars as pl

    base_mib = _peak_mib()
    paths = json.loads((workdir / "paths.json").read_text())
    t = time.perf_counter()
    frames = [pl.read_ndjson(p, infer_schema_length=None) if p.endswith(".jsonl") else pl.read_parquet(p) for p in paths.values()]
    secs = time.perf_counter() - t
    return {"read_s": round(secs, 2), "rows": sum(f.height for f in frames), "peak_rss_mib": round(_peak_mib()),
            "rss_after_imports_mib": round(base_mib), "in_memory_mib": round(sum(f.estimated_size() for f in frames) / 2**20)}


def run_worker(kind: str, workdir: Path, profile: bool = False) -> dict:
    cmd = [sys.executable, "-m", "tests.benchmarks.bench_mix", "--worker", kind, "--workdir", str(workdir)]
    if profile:
        cmd.append("--profile")
    r = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{kind} worker failed (exit {r.returncode})")
    return json.loads(r.stdout.strip().splitlines()[-1])


def mix_figures(rows: int, tokenizer: str, profile: bool, keep: Path | None) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="bench_mix_")) if keep is None else keep
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        t = time.perf_counter()
        paths = write_sources(rows, workdir)
        gen_s = time.perf_counter() - t
        tokens_d = alpaca_tokens(paths["alpaca"], tokenizer, 0.6)
        spec = mixture_spec(paths, rows, tokenizer, tokens_d)
        (workdir / "mixture.json").write_text(json.dumps(spec))
        (workdir / "paths.json").write_text(json.dumps({k: str(v) for k, v in paths.items()}))
        sizes = {k: round(p.stat().st_size / 2**20, 1) for k, p in paths.items()}
        print(f"sources written in {gen_s:.1f} s: {sizes} MiB", file=sys.stderr, flush=True)
        read = run_worker("read", workdir)
        print(f"read: {read}", file=sys.stderr, flush=True)
        mix = run_worker("mix", workdir, profile)
        print(f"mix: {json.dumps(mix)}", file=sys.stderr, flush=True)
        return {
            "rows_in": read["rows"],
            "input_mib": round(sum(sizes.values()), 1),
            "input_mib_per_file": sizes,
            "read_s": read["read_s"],
            "read_peak_rss_mib": read["peak_rss_mib"],
            "read_in_memory_mib": read["in_memory_mib"],
            **mix,
            "rows_per_s": round(read["rows"] / mix["total_s"]),
            "mix_vs_read": round(mix["total_s"] / max(read["read_s"], 1e-9), 1),
            "generate_sources_s": round(gen_s, 1),
        }
    finally:
        if keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


# ---------------------------------------------------------------- token counting
CHATML = (
    "{%- if messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{%- endif %}"
    "{%- for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{%- endfor %}"
    "{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%- endif %}"
)


def regex_bpe_tokenizer(folder: Path, n: int = 20000) -> str:
    """A Qwen/GPT-2-like tokenizer built offline: byte-level BPE over a regex pre-tokenizer
    (words split before merging, as in real LLM tokenizers), 8k vocabulary trained on the
    benchmark's own conversations, and a ChatML template with a default system prompt (the
    tiny model's tokenizer merges across words and has a bare template; this one has the
    shape of the tokenizers real targets use)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    convs = conversations(n, seed=11)
    texts = [t for col in ("system", "prompt", "response") for t in convs.get_column(col).drop_nulls().to_list()]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    special = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=8000, special_tokens=special,
                                                        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    fast.chat_template = CHATML
    fast.save_pretrained(folder)
    return str(folder)


def count_figures(n: int, tokenizer: str, render_sample: int, plain_sample: int) -> dict:
    import polars as pl
    import transformers

    from datagen.mixing.tokens import calibrate, count_tokens, load_tokenizer

    transformers.logging.set_verbosity_error()  # "longer than model_max_length" is irrelevant to counting
    base = conversations(n, seed=7).with_columns(_bad=pl.lit(False))
    df = base.select(messages=_message_list("role", "content", {"system": "system", "user": "user", "assistant": "assistant"}, True, None))
    t = time.perf_counter()
    tok = load_tokenizer(tokenizer)
    load_s = time.perf_counter() - t
    hf = tok.hf
    t = time.perf_counter()
    tpl = calibrate(tok)
    counts = count_tokens(df, "sft", tok, tpl)
    batched_s = time.perf_counter() - t

    step = max(1, n // render_sample)
    rows = df.get_column("messages").gather_every(step).head(render_sample).to_list()
    want = counts.gather_every(step).head(render_sample).to_list()
    contents = [m["content"] for msgs in df.get_column("messages").to_list() for m in msgs]
    t = time.perf_counter()
    tok.lengths(contents)
    encode_s = time.perf_counter() - t
    result = {"rows": n, "tokenizer": Path(tokenizer).name, "tokenizer_load_s": round(load_s, 2),
              "batched_s": round(batched_s, 2), "batched_rows_per_s": round(n / batched_s),
              "encode_only_s": round(encode_s, 2), "batched_vs_encode_only": round(batched_s / encode_s, 2)}
    if tok.chat_template:
        rendered = []
        t = time.perf_counter()
        for msgs in rows:
            out = hf.apply_chat_template(msgs, tokenize=True)
            ids = out["input_ids"] if isinstance(out, dict) or hasattr(out, "keys") else out
            rendered.append(len(ids))
        render_s = time.perf_counter() - t
        render_rps = len(rows) / render_s
        result |= {
            "apply_chat_template_returns": type(hf.apply_chat_template(rows[0], tokenize=True)).__name__,
            "render_sample": len(rows),
            "render_rows_per_s": round(render_rps),
            "render_extrapolated_s": round(n / render_rps, 1),
            "speedup_vs_render": round((n / batched_s) / render_rps, 1),
            "exact_match_vs_render": round(sum(a == b for a, b in zip(want, rendered, strict=True)) / len(rows), 4),
            "max_abs_diff_vs_render": max(abs(a - b) for a, b in zip(want, rendered, strict=True)),
        }
    texts = [" ".join(m["content"] for m in msgs) for msgs in df.get_column("messages").head(plain_sample).to_list()]
    t = time.perf_counter()
    for text in texts:
        len(hf(text)["input_ids"])
    plain_s = time.perf_counter() - t
    plain_rps = len(texts) / plain_s
    result |= {"plain_sample": len(texts), "plain_rows_per_s": round(plain_rps), "speedup_vs_plain": round((n / batched_s) / plain_rps, 1),
               "mean_tokens_per_row": round(float(counts.mean()), 1)}
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000, help="total rows over the 5 sources (figure 1)")
    ap.add_argument("--count-rows", type=int, default=100_000, help="conversations for the token counting figure")
    ap.add_argument("--render-sample", type=int, default=5000, help="rows timed with apply_chat_template (extrapolated)")
    ap.add_argument("--plain-sample", type=int, default=None, help="rows timed with plain tokenizer(text) (default: all)")
    ap.add_argument("--tokenizer", default=None, help="tokenizer dir or id (default: the tiny model's)")
    ap.add_argument("--skip-mix", action="store_true")
    ap.add_argument("--skip-count", action="store_true")
    ap.add_argument("--profile", action="store_true", help="cProfile prepare+publish in the mix worker (to stderr)")
    ap.add_argument("--keep", type=Path, default=None, help="write the sources and store here and keep them")
    ap.add_argument("--worker", choices=["mix", "read"], help=argparse.SUPPRESS)
    ap.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        out = worker_mix(args.workdir, args.profile) if args.worker == "mix" else worker_read(args.workdir)
        print(json.dumps(out))
        return
    tokenizer = args.tokenizer
    if tokenizer is None:
        from datagen.tiny.build import ensure_tiny_model

        tokenizer = str(ensure_tiny_model())
    import polars as pl

    result = {"cpus": os.cpu_count(), "polars_threads": pl.thread_pool_size()}
    if not args.skip_mix:
        result["mix"] = mix_figures(args.rows, tokenizer, args.profile, args.keep)
        print(json.dumps(result["mix"], indent=1), file=sys.stderr, flush=True)
    if not args.skip_count:
        plain = args.plain_sample or args.count_rows
        result["count"] = {"tiny": count_figures(args.count_rows, tokenizer, args.render_sample, plain)}
        with tempfile.TemporaryDirectory(prefix="datagen-bench-tok-") as d:
            result["count"]["regex_bpe_chatml"] = count_figures(args.count_rows, regex_bpe_tokenizer(Path(d)), args.render_sample, plain)
        print(json.dumps(result["count"], indent=1), file=sys.stderr, flush=True)
    print(json.dumps({"bench": "mix", **result}))


if __name__ == "__main__":
    main()
