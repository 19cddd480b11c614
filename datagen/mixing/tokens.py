"""Token counts with the target model's tokenizer, batched: every message content of every
row is encoded in one `encode_batch_fast` call, and the chat template's own tokens are added
per role from a calibration of the template (rendered once on probe conversations), so a
row's count is what `apply_chat_template(messages, tokenize=True)` would give without
rendering a template per row. `check_counts` measures that on a sample of real rows and the
result goes into the manifest.

Counts: sft -> the conversation; prompt -> the prompt with the generation prompt;
preference -> prompt+chosen plus prompt+rejected (what a DPO step reads).
What it does not do: slow (Python) tokenizers — they are refused with the fix.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from datagen.errors import UserError

PROBES = [("What is 12 plus 7?", "12 plus 7 is 19."), ("Name a colour.", "Blue."), ("hello", "hi there")]


def load_tokenizer(name: str, field: str = "tokenizer"):
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(name)
    except Exception as e:  # noqa: BLE001 - offline, missing, gated: bad input
        raise UserError(f"{field}: cannot load tokenizer {name!r}: {e}") from None
    if not getattr(tok, "is_fast", False) or getattr(tok, "backend_tokenizer", None) is None:
        raise UserError(f"{field}: {name!r} has no fast (Rust) tokenizer; counting needs one (convert it with `tokenizers`)")
    return TargetTokenizer(tok, name)


class TargetTokenizer:
    """The HF tokenizer (for its chat template) and a copy of its Rust tokenizer with padding
    and truncation off (a tokenizer.json may pad every text to a fixed length)."""

    def __init__(self, hf, name: str):
        from tokenizers import Tokenizer

        self.hf, self.name = hf, name
        self.rust = Tokenizer.from_str(hf.backend_tokenizer.to_str())
        self.rust.no_padding()
        self.rust.no_truncation()
        self.chat_template = getattr(hf, "chat_template", None)

    def __len__(self) -> int:
        return len(self.hf)

    def content_len(self, text: str) -> int:
        return len(self.rust.encode(text, add_special_tokens=False).ids)

    def lengths(self, texts: list[str], chunk: int = 16384):
        """Token counts of `texts`, encoded in batches of `chunk` (an Encoding holds its tokens'
        strings and masks: a million at once would take gigabytes for a list of ints)."""
        import numpy as np

        out = np.empty(len(texts), dtype=np.int64)
        for start in range(0, len(texts), chunk):
            encs = self.rust.encode_batch_fast(texts[start:start + chunk], add_special_tokens=False)
            out[start:start + len(encs)] = [len(e) for e in encs]
        return out

    def rendered_len(self, messages: list[dict], generation: bool = False) -> int:
        text = self.hf.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation)
        return self.content_len(text)


@dataclass(frozen=True)
class Template:
    """Tokens the chat template adds: `base` per conversation, per message by role, and the generation prompt."""

    base: int
    role: dict
    system_first: int
    generation: int


def calibrate(tok) -> Template:
    """Measure the template's tokens from probe conversations (the most common value over probes)."""
    if not tok.chat_template:
        return Template(0, {r: 0 for r in ("user", "assistant", "system", "tool")}, 0, 0)

    def extra(msgs, generation=False):
        return tok.rendered_len(msgs, generation) - sum(tok.content_len(m["content"]) for m in msgs)

    found: dict[str, Counter] = {k: Counter() for k in ("user", "assistant", "tool", "system_first", "base", "generation")}
    for q, a in PROBES:
        u, asst = {"role": "user", "content": q}, {"role": "assistant", "content": a}
        c_u, c_ua, c_uau = extra([u]), extra([u, asst]), extra([u, asst, u])
        found["assistant"][c_ua - c_u] += 1
        found["user"][c_uau - c_ua] += 1
        found["base"][c_u - (c_uau - c_ua)] += 1
        found["system_first"][extra([{"role": "system", "content": a}, u]) - c_u] += 1
        found["generation"][extra([u], True) - c_u] += 1
        try:
            found["tool"][extra([u, asst, {"role": "tool", "content": a}]) - c_ua] += 1
        except Exception:  # noqa: BLE001 - many templates have no tool role
            pass
    top = {k: c.most_common(1)[0][0] if c else None for k, c in found.items()}
    role = {"user": top["user"], "assistant": top["assistant"], "tool": top["tool"] if top["tool"] is not None else top["user"], "system": top["user"]}
    return Template(top["base"], role, top["system_first"], top["generation"])


def message_counts(df, col: str, tok, tpl: Template, generation: bool = False):
    """Tokens of each row's message list `col` under the chat template (UInt32 Series)."""
    import polars as pl

    turns = (
        df.select(pl.col(col).alias("m")).with_row_index("_row").explode("m")
        .select("_row", role=pl.col("m").struct.field("role"), content=pl.col("m").struct.field("content"))
        .with_columns(pos=pl.int_range(pl.len()).over("_row"))
    )
    contents = turns.get_column("content").fill_null("").to_list()
    lengths = tok.lengths(contents)
    role_extra = pl.col("role").replace_strict(tpl.role, default=tpl.role["user"], return_dtype=pl.Int64)
    extra = pl.when((pl.col("role") == "system") & (pl.col("pos") == 0)).then(pl.lit(tpl.system_first)).otherwise(role_extra)
    per_turn = turns.with_columns(n=pl.Series(lengths) + pl.when(pl.col("role").is_null()).then(0).otherwise(extra))
    per_row = per_turn.group_by("_row").agg(pl.col("n").sum())
    rows = pl.DataFrame({"_row": pl.int_range(df.height, eager=True, dtype=pl.UInt32)})
    total = rows.join(per_row, on="_row", how="left").sort("_row").get_column("n").fill_null(0)
    return (total + tpl.base + (tpl.generation if generation else 0)).cast(pl.UInt32)


def count_tokens(df, fmt: str, tok, tpl: Template):
    if fmt == "sft":
        return message_counts(df, "messages", tok, tpl)
    if fmt == "prompt":
        return message_counts(df, "prompt", tok, tpl, generation=True)
    import polars as pl

    p, c, r = (message_counts(df, col, tok, tpl).cast(pl.Int64) for col in ("prompt", "chosen", "rejected"))
    return (2 * p + c + r - 2 * tpl.base).cast(pl.UInt32)  # (prompt+chosen) + (prompt+rejected)


def check_counts(df, fmt: str, tok, counts, n: int = 200) -> dict:
    """Compare the batched counts with a rendered template on up to `n` rows."""
    if not tok.chat_template or df.height == 0:
        return {"rows": 0, "exact": 0, "mean_abs_error": None, "note": "no chat template: content tokens only"}
    step = max(1, df.height // n)
    idx = list(range(0, df.height, step))[:n]
    errors = []
    for i in idx:
        row = df.row(i, named=True)
        try:
            if fmt == "sft":
                want = tok.rendered_len(row["messages"])
            elif fmt == "prompt":
                want = tok.rendered_len(row["prompt"], generation=True)
            else:
                want = tok.rendered_len(row["prompt"] + row["chosen"]) + tok.rendered_len(row["prompt"] + row["rejected"])
        except Exception:  # noqa: BLE001 - a template that refuses the row (e.g. a tool role)
            continue
        errors.append(abs(int(counts[i]) - want))
    if not errors:
        return {"rows": 0, "exact": 0, "mean_abs_error": None}
    return {"rows": len(errors), "exact": sum(e == 0 for e in errors), "mean_abs_error": round(sum(errors) / len(errors), 3)}


def tokenizer_identity(tok) -> dict:
    from datagen.hashing import digest

    return {"name": tok.name, "vocab_size": len(tok), "fingerprint": digest([tok.rust.to_str(), tok.chat_template])}
