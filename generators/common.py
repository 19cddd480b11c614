"""Helpers every generator shares: prompt rendering, model labels, row building with lineage
(`meta`), and the Arrow schemas of the three row shapes generators emit: SFT rows
(`prompt`/`completion`), prompt rows (`prompt`, for RL) and preference pairs
(`prompt`/`chosen`/`rejected`), each with `reject_reason` (null for kept rows)."""

from __future__ import annotations

from datagen.errors import UserError
from datagen.hashing import canonical_json, row_id


def scalar_columns(row: dict) -> dict:
    return {k: v for k, v in row.items() if not isinstance(v, (dict, list))}


def format_template(template: str, values: dict, field: str) -> str:
    try:
        return template.format_map(values)
    except KeyError as e:
        cols = ", ".join(k for k in values)
        raise UserError(f"{field}: template names {{{e.args[0]}}} but rows have only: {cols}") from None
    except (ValueError, IndexError) as e:
        raise UserError(f"{field}: bad template ({e}); write literal braces as {{{{ and }}}}") from None


def chat(text: str, system_prompt: str | None = None) -> list[dict]:
    conv = [{"role": "system", "content": system_prompt}] if system_prompt else []
    conv.append({"role": "user", "content": text})
    return conv


def render_prompt(row: dict, template: str, system_prompt: str | None, field: str, **values) -> list[dict]:
    """A chat conversation: optional system message, then the template over the row's scalar
    columns (`values` override or add columns, e.g. `question=new_text`)."""
    return chat(format_template(template, scalar_columns(row) | values, field), system_prompt)


def render_prompts(rows: list[dict], template: str, system_prompt: str | None, field: str, **extra) -> list[list[dict]]:
    """`render_prompt` for each row (`extra`: per-row value lists, e.g. `solution=[...]`)."""
    return [render_prompt(r, template, system_prompt, field, **{k: v[j] for k, v in extra.items()}) for j, r in enumerate(rows)]


def lineage(parent: dict, stage: str, model: str | None, sampling, cand=None, **meta) -> dict:
    """`meta` for a row made from `parent` by `stage` (from candidate `cand`, if any)."""
    m = dict(parent["meta"])
    m.update(
        parent_id=parent["id"],
        generator=stage,
        model=model,
        sampling=canonical_json(sampling.model_dump()) if sampling is not None else None,
        sample_index=None,
        round=meta.pop("round", 0),
        finish_reason=None,
        prompt_tokens=None,
        completion_tokens=None,
        verbalized_probability=None,
        verdicts=list(m.get("verdicts") or []),
    )
    if cand is not None:
        c = cand.completion
        m.update(sample_index=cand.index, finish_reason=c.finish_reason, prompt_tokens=c.prompt_tokens,
                 completion_tokens=c.completion_tokens, verbalized_probability=cand.probability)
    m.update(meta)
    return m


def child_row(parent: dict, stage: str, cand, prompt, model: str, sampling, **meta) -> dict:
    """An SFT row: `parent`'s prompt answered by candidate `cand`, with its lineage."""
    return {
        "id": row_id(parent["id"], stage, cand.key),
        "question": parent["question"],
        "answer": parent["answer"],
        "solution": parent.get("solution"),
        "prompt": prompt,
        "completion": [{"role": "assistant", "content": cand.text}],
        "meta": lineage(parent, stage, model, sampling, cand, **meta),
    }


def prompt_row(parent: dict, stage: str, key, question: str, answer: str | None, prompt, model, sampling, cand=None,
               solution: str | None = None, **meta) -> dict:
    """A prompt row (for RL or further generation): a question, its answer if known, its chat prompt."""
    return {
        "id": row_id(parent["id"], stage, key),
        "question": question,
        "answer": answer,
        "solution": solution,
        "prompt": prompt,
        "meta": lineage(parent, stage, model, sampling, cand, **meta),
    }


def problem_row(parent: dict, stage: str, key, cand, answer: str | None, solve_template: str, system_prompt: str | None,
                field: str, model, sampling, **meta) -> dict:
    """A prompt row from a model-written problem (candidate `cand`): tidied by `clean_problem`,
    its solve prompt rendered from `solve_template` over the new row's own columns, and
    `reject_reason` set when unusable."""
    text, why = clean_problem(cand.text, parent["question"]) if cand.ok else (cand.text, cand.error)
    row = prompt_row(parent, stage, key, text, answer, None, model, sampling, cand=cand, **meta)
    row["prompt"] = render_prompt(row, solve_template, system_prompt, field)
    row["reject_reason"] = why
    return row


def verdict(judge, score, passed: bool | None) -> dict:
    """A `meta.verdicts` entry from a verifier or reward model (anything with `name` and `version`)."""
    return {"name": judge.name, "version": judge.version, "score": score, "passed": passed}


def _schema(*extra):
    import pyarrow as pa

    from schemas.rows import SEED_SCHEMA

    return pa.schema(list(SEED_SCHEMA) + list(extra) + [pa.field("reject_reason", pa.string())])


def output_schema():
    """SFT rows: seed columns + `prompt` + `completion` + `reject_reason`."""
    from schemas.rows import MESSAGES

    return _schema(("prompt", MESSAGES), ("completion", MESSAGES))


def prompt_schema():
    """Prompt rows: seed columns + `prompt` + `reject_reason`."""
    from schemas.rows import MESSAGES

    return _schema(("prompt", MESSAGES))


def pair_schema():
    """Preference rows in TRL's conversational format: `prompt`/`chosen`/`rejected`."""
    from schemas.rows import MESSAGES

    return _schema(("prompt", MESSAGES), ("chosen", MESSAGES), ("rejected", MESSAGES))


def to_table(rows: list[dict], schema):
    import pyarrow as pa

    return pa.Table.from_pylist(rows, schema=schema)


_LABELS = ("new problem:", "problem:", "question:", "new question:")


def clean_problem(text: str, parent_question: str | None = None) -> tuple[str, str | None]:
    """A model-written problem, tidied (label prefixes like "Problem:" and wrapping quotes
    dropped), and why it is unusable (None if usable): empty, or a copy of its parent."""
    t = text.strip()
    low = t.lower()
    for label in _LABELS:
        if low.startswith(label):
            t = t[len(label):].strip()
            break
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "\"'":
        t = t[1:-1].strip()
    if not t:
        return t, "empty_output"
    if parent_question is not None and " ".join(t.lower().split()) == " ".join(parent_question.lower().split()):
        return t, "repeats_parent"
    return t, None

