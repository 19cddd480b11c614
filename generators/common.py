"""Helpers every generator shares: prompt rendering, model labels, and building output rows
with lineage (`meta`) from a parent row and a completion."""

from __future__ import annotations

from datagen.errors import UserError
from datagen.hashing import canonical_json, row_id


def render_prompts(rows: list[dict], template: str, system_prompt: str | None, field: str) -> list[list[dict]]:
    """One chat conversation per row: optional system message, then the template over the row."""
    convs = []
    for r in rows:
        try:
            text = template.format_map({k: v for k, v in r.items() if not isinstance(v, (dict, list))})
        except KeyError as e:
            cols = ", ".join(k for k, v in r.items() if not isinstance(v, (dict, list)))
            raise UserError(f"{field}: template names {{{e.args[0]}}} but rows have only: {cols}") from None
        except (ValueError, IndexError) as e:
            raise UserError(f"{field}: bad template ({e}); write literal braces as {{{{ and }}}}") from None
        conv = [{"role": "system", "content": system_prompt}] if system_prompt else []
        conv.append({"role": "user", "content": text})
        convs.append(conv)
    return convs


def model_label(identity: dict) -> str:
    label = f"{identity.get('backend')}:{identity.get('model')}"
    rev = identity.get("revision") or identity.get("build")
    return f"{label}@{rev}" if rev else label


def child_row(parent: dict, stage: str, index: int, prompt, completion, model: str, sampling, **meta) -> dict:
    """A new row made from `parent` by `stage` (sample `index`), with its lineage filled in."""
    c_meta = dict(parent["meta"])
    c_meta.update(
        parent_id=parent["id"],
        generator=stage,
        model=model,
        sampling=canonical_json(sampling.model_dump()),
        sample_index=index,
        round=meta.pop("round", 0),
        finish_reason=completion.finish_reason,
        prompt_tokens=completion.prompt_tokens,
        completion_tokens=completion.completion_tokens,
        verdicts=list(c_meta.get("verdicts") or []),
    )
    c_meta.update(meta)
    return {
        "id": row_id(parent["id"], stage, index),
        "question": parent["question"],
        "answer": parent["answer"],
        "prompt": prompt,
        "completion": [{"role": "assistant", "content": completion.text}],
        "meta": c_meta,
    }


def output_schema():
    """Schema of generator output rows: the seed columns plus chat columns and `reject_reason`."""
    import pyarrow as pa

    from schemas.rows import MESSAGES, SEED_SCHEMA

    return pa.schema(list(SEED_SCHEMA) + [pa.field("prompt", MESSAGES), pa.field("completion", MESSAGES), pa.field("reject_reason", pa.string())])
