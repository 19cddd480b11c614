"""Normalise a source's rows to the chat format TRL expects, with a reason for every row
that cannot be.

Formats: `sft` -> `messages` (a list of {role, content}); `preference` -> `prompt`
(messages ending with a user turn), `chosen` and `rejected` (one assistant message each);
`prompt` -> `prompt` only (GRPO). Inputs: message lists with `role`/`content` or ShareGPT
`from`/`value` (human -> user, gpt -> assistant), or plain strings; columns found by their
usual names (`messages`, `conversations`, `prompt`/`completion`, `instruction`/`input`/`output`,
`question`, `prompt`/`chosen`/`rejected`) or named in the source's `columns:`.

Role checks (vectorised over the exploded turns): roles are system/user/assistant/tool, no
empty content, a system message only first, user and assistant alternate starting with the
user, a tool message follows an assistant (or tool) message, and the conversation ends with
the assistant (sft) or the user (a prompt). What it does not do: tool-call schemas or
multimodal content (a content that is not text is an error for the whole source).
"""

from __future__ import annotations

from datagen.errors import UserError

ROLES = ["system", "user", "assistant", "tool"]
SHAREGPT_ROLES = {"human": "user", "gpt": "assistant", "bot": "assistant", "observation": "tool", "function": "tool"}
MESSAGE_FIELDS = (("role", "content"), ("from", "value"))
OUTPUT_COLUMNS = {"sft": ["messages"], "preference": ["prompt", "chosen", "rejected"], "prompt": ["prompt"]}


def normalise(df, fmt: str, columns, field: str, conversation_key: bool = False):
    """`df` with the format's output columns, `answer`, `_key` (the user turns, normalised:
    what prompt dedup and the eval split compare), `_conv_key` (every turn; only when
    `conversation_key`) and `_reason` (null: the row is fine)."""
    import polars as pl

    schema = df.schema
    cols = _pick(schema, fmt, columns, field)
    if fmt == "sft":
        msgs = _conversation(schema, cols, field)
        out = df.select(messages=msgs)
        reasons = [_check_turns(out, "messages", "conversation")]
        user_text = "messages"
    elif fmt == "prompt":
        out = df.select(prompt=_with_system(schema, _messages(schema, cols["prompt"], "user", f"{field}.columns.prompt"), cols))
        reasons = [_check_turns(out, "prompt", "prompt")]
        user_text = "prompt"
    else:
        out = df.select(
            prompt=_with_system(schema, _messages(schema, cols["prompt"], "user", f"{field}.columns.prompt"), cols),
            chosen=_messages(schema, cols["chosen"], "assistant", f"{field}.columns.chosen"),
            rejected=_messages(schema, cols["rejected"], "assistant", f"{field}.columns.rejected"),
        )
        same = pl.when(pl.col("chosen") == pl.col("rejected")).then(pl.lit("chosen and rejected are the same"))
        reasons = [_check_turns(out, "prompt", "prompt"), _check_turns(out, "chosen", "response", "chosen"),
                   _check_turns(out, "rejected", "response", "rejected"), out.select(same).to_series()]
        user_text = "prompt"
    reason = pl.DataFrame([r.alias(str(i)) for i, r in enumerate(reasons)]).select(pl.coalesce(pl.all()).alias("_reason")).to_series() if len(reasons) > 1 else reasons[0].alias("_reason")
    answer = cols.get("answer")
    out = out.with_columns(
        answer=df.get_column(answer).cast(pl.String) if answer else pl.lit(None, dtype=pl.String),
        _reason=reason,
    )
    out = out.with_columns(_key=_text_key(user_text, "user"))
    if conversation_key:
        out = out.with_columns(_conv_key=_text_key(user_text, None) if fmt != "preference" else _pref_key())
    return out


def _pick(schema, fmt: str, c, field: str) -> dict:
    """The source columns holding each part, from `columns:` or the usual names."""
    have = set(schema)
    named = {k: v for k, v in c.model_dump().items() if v is not None}
    for k, v in named.items():
        if v not in have:
            raise UserError(f"{field}.columns.{k}: no column {v!r} (columns: {', '.join(schema)})")
    picked = dict(named)
    if "answer" not in picked and "answer" in have:
        picked["answer"] = "answer"
    if fmt == "sft":
        if "messages" in picked or ("prompt" in picked and "completion" in picked):
            return picked
        for guess in (("messages",), ("conversations",), ("prompt", "completion"), ("instruction", "output")):
            if all(g in have for g in guess):
                if guess == ("conversations",):
                    return {**picked, "messages": "conversations"}
                if guess == ("instruction", "output"):
                    return {**picked, "prompt": "instruction", "completion": "output", "input": "input" if "input" in have else None}
                return {**picked, **{g: g for g in guess}}
        raise UserError(f"{field}: cannot tell which columns hold the conversation (columns: {', '.join(schema)}); "
                        "set columns: {messages: COL} or columns: {prompt: COL, completion: COL}")
    need = ["prompt"] if fmt == "prompt" else ["prompt", "chosen", "rejected"]
    for k in need:
        if k not in picked:
            guesses = [k] + (["question", "instruction"] if k == "prompt" else [])
            found = next((g for g in guesses if g in have), None)
            if found is None:
                raise UserError(f"{field}: no {k!r} column for a {fmt} mixture (columns: {', '.join(schema)}); set columns: {{{k}: COL}}")
            picked[k] = found
    return picked


def _messages(schema, col: str, role: str, field: str):
    """A List(Struct{role, content}) expression from a string or message-list column."""
    import polars as pl

    dtype = schema[col]
    if dtype == pl.String:
        return pl.when(pl.col(col).is_not_null()).then(pl.concat_list(pl.struct(role=pl.lit(role), content=pl.col(col))))
    inner = dtype.inner if isinstance(dtype, pl.List) else None
    if not isinstance(inner, pl.Struct):
        raise UserError(f"{field}: column {col!r} is {dtype}; expected text or a list of messages ({{role, content}})")
    names = {f.name: f.dtype for f in inner.fields}
    for r, c in MESSAGE_FIELDS:
        if r in names and c in names:
            if names[c] != pl.String:
                raise UserError(f"{field}: column {col!r} has message content of type {names[c]}; only text content is supported")
            e = pl.element().struct
            role_e = e.field(r).str.to_lowercase().replace(SHAREGPT_ROLES) if r == "from" else e.field(r)
            return pl.col(col).list.eval(pl.struct(role=role_e, content=e.field(c)))
    raise UserError(f"{field}: messages in column {col!r} have fields {', '.join(names)}; expected role/content or from/value")


def _with_system(schema, msgs, cols: dict):
    import polars as pl

    sys_col = cols.get("system")
    if not sys_col:
        return msgs
    s = pl.col(sys_col).cast(pl.String)
    has = s.is_not_null() & (s.str.strip_chars() != "")
    return pl.when(has).then(pl.concat_list(pl.struct(role=pl.lit("system"), content=s), msgs)).otherwise(msgs)


def _conversation(schema, cols: dict, field: str):
    import polars as pl

    if "messages" in cols:
        return _with_system(schema, _messages(schema, cols["messages"], "user", f"{field}.columns.messages"), cols)
    prompt = cols["prompt"]
    if cols.get("input"):  # alpaca: instruction + optional input
        inp = pl.col(cols["input"]).cast(pl.String)
        text = pl.when(inp.is_not_null() & (inp.str.strip_chars() != "")).then(pl.col(prompt) + "\n\n" + inp).otherwise(pl.col(prompt))
        p = pl.concat_list(pl.struct(role=pl.lit("user"), content=text))
    else:
        p = _messages(schema, prompt, "user", f"{field}.columns.prompt")
    c = _messages(schema, cols["completion"], "assistant", f"{field}.columns.completion")
    return _with_system(schema, pl.when(p.is_not_null() & c.is_not_null()).then(pl.concat_list(p, c)), cols)


def _check_turns(df, col: str, mode: str, what: str | None = None):
    """Per row, the first thing wrong with its turns (null: fine). mode: conversation (ends
    with the assistant), prompt (ends with the user), response (assistant messages only)."""
    import polars as pl

    name = what or col
    nothing = {"conversation": "no messages", "prompt": f"no {name}", "response": f"no {name} response"}[mode]
    turns = (
        df.select(pl.col(col).alias("m")).with_row_index("_row").explode("m")
        .select("_row", role=pl.col("m").struct.field("role"), content=pl.col("m").struct.field("content"))
        .with_columns(pos=pl.int_range(pl.len()).over("_row"))
    )
    role, content = pl.col("role"), pl.col("content")
    speaking = role.is_in(["user", "assistant"])
    prev_speaker = pl.when(role.is_in(["user", "assistant", "tool"])).then(role).forward_fill().shift(1).over("_row")
    prev_role = role.shift(1).over("_row")
    if mode == "response":
        wrong = (pl.when(role.is_null() & (pl.col("pos") == 0)).then(pl.lit(nothing))
                 .when(role != "assistant").then(pl.format(f"{name} holds a {{}} message (responses are assistant messages)", role))
                 .when(content.is_null() | (content.str.strip_chars() == "")).then(pl.lit(f"empty {name} response")))
    else:
        wrong = (
            pl.when(role.is_null() & (pl.col("pos") == 0) & content.is_null()).then(pl.lit(nothing))
            .when(role.is_null() | ~role.is_in(ROLES)).then(pl.format("unknown role '{}'", role.fill_null("null")))
            .when(content.is_null() | (content.str.strip_chars() == "")).then(pl.format("empty {} message", role))
            .when((role == "system") & (pl.col("pos") > 0)).then(pl.lit("system message not first"))
            .when(speaking & (role == prev_speaker)).then(pl.format("two {} messages in a row", role))
            .when((role == "assistant") & prev_speaker.is_null()).then(pl.lit(f"{'prompt ' if mode == 'prompt' else ''}starts with an assistant message"))
            .when((role == "tool") & ~prev_role.is_in(["assistant", "tool"]).fill_null(False)).then(pl.lit("tool message without an assistant call before it"))
        )
    last_want = {"conversation": "assistant", "prompt": "user"}.get(mode)
    per_row = turns.with_columns(w=wrong).group_by("_row", maintain_order=True).agg(
        first=pl.col("w").drop_nulls().first(), last=pl.col("role").last()
    )
    end = pl.lit(None, dtype=pl.String)
    if last_want:
        end = pl.when(pl.col("last") != last_want).then(pl.lit(f"does not end with {'an' if last_want == 'assistant' else 'a'} {last_want} message"))
    rows = pl.DataFrame({"_row": pl.int_range(df.height, eager=True, dtype=pl.UInt32)})
    per_row = rows.join(per_row, on="_row", how="left", maintain_order="left")  # empty lists may explode to no row
    return per_row.select(pl.coalesce("first", pl.when(pl.col("last").is_null() & pl.col("first").is_null()).then(pl.lit(nothing)), end)).to_series()


def _text_key(col: str, role: str | None):
    """The normalised text dedup compares: the user turns (role='user') or every turn."""
    import polars as pl

    e = pl.element().struct
    content = e.field("content") if role is None else pl.when(e.field("role") == role).then(e.field("content"))
    joined = pl.col(col).list.eval(content.drop_nulls()).list.join("\n")
    return joined.str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()


def _pref_key():
    import polars as pl

    return pl.concat_str(_text_key("prompt", None), _text_key("chosen", None), _text_key("rejected", None), separator="\n", ignore_nulls=True)
