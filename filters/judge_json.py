"""Judge verdicts as JSON: where the judge model's backend can constrain decoding (vLLM,
OpenAI-compatible; `datagen.llm.structured.CONSTRAINING_BACKENDS`) and the stage's
`structured` is on, a judge replies with one JSON object held to a schema instead of a final
`VERDICT:` line:

- `verdict_schema(scale, max_score, reasoning_chars)`: `{"reasoning": string, "verdict":
  "PASS"|"FAIL"}` (`scale: pass_fail`) or `{"reasoning": string, "score": integer 0..max_score}`
  (`scale: score`); the reasoning first, so the model reasons before it commits, and bounded
  (`maxLength`: a model that never closes its string stops there, not at max_tokens);
  `reasoning_chars` 0 drops it (a bare verdict). `reasoned(key, value, chars)` builds the same
  shape for other judges (`filters.decontam_judge`: SAME|DIFFERENT).
- `json_reply(spec, field, backend)`: a `JudgeStage`'s reply form, a `StructuredOutput` over
  the built-in schema or the stage's own `output_schema` (extra fields the user wants from the
  judge, e.g. `issues`; it must declare, and require, the verdict property), or None where the
  judge keeps its text form (`filters.judge.parse_verdict`: `structured: false`).
  An `output_schema` asks for JSON on any backend; decoding is constrained only where the
  backend can and `structured` (and the schema's `constrain`) are on, else the object is
  looked for in the reply.
- `read(reply, text, scale, max_score)` -> (value, fields): the value (1.0 PASS / 0.0 FAIL, or
  the score) of a reply that validates, else (None, None): a reply that does not validate, or
  whose verdict is not PASS/FAIL (a score outside 0..max_score), is unparseable and never
  passes. Whatever the reasoning says (a "VERDICT: PASS" quoted from the response included)
  does not count: only the verdict property is read.
- `instruction(reply, scale, max_score)`: the closing rules' last sentence, the object to write.

What it does not do: choose a judge's backend (the stage does, `backend_of`), or turn the
fields into a column (`datagen.json_columns`).
"""

from __future__ import annotations

from datagen.errors import UserError
from datagen.llm.structured import StructuredOutput, constrains

KEYS = {"pass_fail": "verdict", "score": "score"}
REASONING = "brief reasoning"


def reasoned(key: str, value: dict, reasoning_chars: int) -> dict:
    """An object schema `{"reasoning": string <= reasoning_chars, key: value}` (no reasoning at 0)."""
    props = {"reasoning": {"type": "string", "description": REASONING, "maxLength": reasoning_chars}} if reasoning_chars else {}
    props[key] = value
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}


def verdict_schema(scale: str, max_score: int, reasoning_chars: int) -> dict:
    value = {"type": "string", "enum": ["PASS", "FAIL"]} if scale == "pass_fail" else {"type": "integer", "minimum": 0, "maximum": max_score}
    return reasoned(KEYS[scale], value, reasoning_chars)


def json_reply(spec, field: str, backend: str) -> StructuredOutput | None:
    """A judge stage's JSON reply form, or None for its VERDICT line (see the module docstring)."""
    from schemas.generators import OutputSchema

    if spec.output_schema is None and not (spec.structured and constrains(backend)):
        return None
    out = spec.output_schema or OutputSchema(json=verdict_schema(spec.scale, spec.max_score, spec.reasoning_max_chars))
    if not spec.structured:
        out = out.model_copy(update={"constrain": False})
    reply = StructuredOutput(out, f"{field}.output_schema", backend, roles=())
    key, props = KEYS[spec.scale], reply.schema.get("properties") or {}
    if key not in props:
        raise UserError(f"{field}.output_schema: the judge's verdict property {key!r} is missing (scale: {spec.scale}; "
                        f"properties: {', '.join(props) or 'none'}); declare it, e.g. {verdict_schema(spec.scale, spec.max_score, 0)['properties']}")
    if key not in (reply.schema.get("required") or []):
        raise UserError(f"{field}.output_schema: the judge's verdict property {key!r} must be required (add it to `required`)")
    return reply


def verdict_value(fields: dict, scale: str, max_score: int) -> float | None:
    v = fields.get(KEYS[scale])
    if scale == "pass_fail":
        return {"PASS": 1.0, "FAIL": 0.0}.get(v.strip().upper()) if isinstance(v, str) else None
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v) if 0 <= v <= max_score else None


def read(reply: StructuredOutput, text: str, scale: str, max_score: int) -> tuple[float | None, dict | None]:
    """(value, fields) of one judge reply, or (None, None) when it is unparseable."""
    from filters.judge import strip_thinking

    body = text.strip()
    if body.startswith("<think>"):  # a reasoning model's thoughts before its object
        body = strip_thinking(body)
    fields, _ = reply.parse(body)
    value = verdict_value(fields, scale, max_score) if fields is not None else None
    return (value, fields) if value is not None else (None, None)


def instruction(reply: StructuredOutput, scale: str, max_score: int) -> str:
    """What to write: the object's properties in order, the verdict's values spelled out."""
    key = KEYS[scale]
    said = '"PASS" or "FAIL"' if scale == "pass_fail" else f"<an integer from 0 to {max_score}>"
    parts = []
    for name, prop in (reply.schema.get("properties") or {}).items():
        prop = prop if isinstance(prop, dict) else {}
        hint = "<" + (prop.get("description") or name) + ">"
        value = said if name == key else f'"{hint}"' if prop.get("type") == "string" else hint
        parts.append(f'"{name}": {value}')
    return "Reply with exactly one JSON object: {" + ", ".join(parts) + "}"
