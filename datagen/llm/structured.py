"""Structured outputs: a stage's `output_schema` (schemas.generators.OutputSchema) resolved to
a JSON Schema, handed to backends that can constrain decoding (`Sampling.json_schema`: vLLM
structured outputs, OpenAI `response_format`, xgrammar's token masks in the transformers
backend), and every completion validated against it.
Shared by the generators (`evolve`'s `output_schema`, the built-in shapes of
`generators.shapes`) and the judges (`filters.judge`, `filters.decontam_judge`).

`StructuredOutput(spec, field, backend)`: `.schema` (the JSON Schema), `.sampling(sampling)`
(with the constraint when the backend can honour it and `constrain` is on), `.parse(text)`
-> (fields, None) or (None, "schema_invalid: <the validator's message>"). A pydantic model
validates with pydantic (its messages), an inline schema with `jsonschema`. Without a
constraint the JSON object is looked for in the text (the first `{` to its matching `}`),
as a text parser would. `roles`: the spec's fields that must name properties
(`question_field`, `answer_field` for evolve; none for a judge).

`json_record(raw, validator)`: one reply read and validated; `backend_of(ctx, model)` and
`constrains(backend)`: whether a stage's model can be held to a schema.

What it does not do: type the
fields' column (`datagen.json_columns` maps the schema to an Arrow struct: evolve's
`structured`, a judge's `judge_fields`).
"""

from __future__ import annotations

import importlib
import json

from datagen.errors import UserError

CONSTRAINING_BACKENDS = ("vllm", "openai", "transformers")


def constrains(backend: str) -> bool:
    return backend in CONSTRAINING_BACKENDS


def backend_of(ctx, name: str) -> str:
    """The backend of recipe model `name` (from its spec; no engine is loaded)."""
    specs = getattr(ctx.pool, "specs", None)
    return specs[name].backend if specs and name in specs else str(ctx.model_identity(name).get("backend", ""))


class StructuredOutput:
    def __init__(self, spec, field: str, backend: str, roles: tuple[str, ...] = ("question_field", "answer_field")):
        self.spec, self.field, self.roles = spec, field, roles
        self.model = None
        if spec.python is not None:
            mod_name, _, name = spec.python.partition(":")
            try:
                self.model = getattr(importlib.import_module(mod_name), name)
                self.schema = self.model.model_json_schema()
            except (ImportError, AttributeError, ValueError) as e:
                raise UserError(f"{field}.python: cannot import a pydantic model {spec.python!r} (pkg.module:Model): {e}") from None
        else:
            self.schema = spec.json_
            self._validator = json_validator(self.schema, f"{field}.json")
        props = self.schema.get("properties") or {}
        for key in roles:
            name = getattr(spec, key)
            if name is not None and name not in props:
                raise UserError(f"{field}.{key}: {name!r} is not a property of the schema (properties: {', '.join(props) or 'none'})")
        self.constrained = spec.constrain and constrains(backend)

    def sampling(self, sampling):
        return sampling.model_copy(update={"json_schema": self.schema}) if self.constrained else sampling

    def describe(self) -> dict:
        return {"schema": self.schema, "constrained": self.constrained, **{k: getattr(self.spec, k) for k in self.roles}}

    def take(self, cand, answer: str | None) -> tuple[dict | None, str | None]:
        """A drawn candidate (generators.candidates.Candidate) read as a record: (fields, answer);
        its text becomes the record's question field, or its error `schema_invalid: ...`. The
        answer is the record's answer field where it has one, else `answer`."""
        if not cand.ok:
            return None, answer
        fields, cand.error = self.parse(cand.text)
        if fields is None:
            if cand.completion.finish_reason == "length":
                cand.error = "schema_invalid: cut off at max_tokens (raise sampling.max_tokens, or a maxLength in the schema)"
            return None, answer
        cand.text = str(fields.get(self.spec.question_field) or "")
        field = self.spec.answer_field
        return fields, str(fields[field]) if field and fields.get(field) is not None else answer

    def parse(self, text: str) -> tuple[dict | None, str | None]:
        raw = text.strip() if self.constrained else object_in(text)
        if raw is None:
            return None, "schema_invalid: no JSON object in the output"
        if self.model is None:
            return json_record(raw, self._validator)
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as e:
            return None, f"schema_invalid: not JSON ({e.msg} at char {e.pos})"
        from pydantic import ValidationError

        try:
            return self.model.model_validate(data).model_dump(mode="json"), None
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(x) for x in first["loc"]) or "(root)"
            return None, f"schema_invalid: {where}: {first['msg']}"


def json_record(raw: str, validator) -> tuple[dict | None, str | None]:
    """(the JSON object in `raw`, None) when it parses and `validator` (a jsonschema validator)
    accepts it, else (None, "schema_invalid: <why>")."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        return None, f"schema_invalid: not JSON ({e.msg} at char {e.pos})"
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
    if errors:
        where = ".".join(str(x) for x in errors[0].path) or "(root)"
        return None, f"schema_invalid: {where}: {errors[0].message[:200]}"
    return data, None


def json_validator(schema: dict, field: str):
    import jsonschema

    cls = jsonschema.validators.validator_for(schema)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as e:
        raise UserError(f"{field}: not a valid JSON Schema: {e.message}") from None
    if schema.get("type") != "object":
        raise UserError(f"{field}: the schema must describe an object (type: object, with properties)")
    return cls(schema)


def object_in(text: str) -> str | None:
    """The first balanced `{...}` in free text (strings respected), or None."""
    start = text.find("{")
    while start >= 0:
        depth, in_str, escaped = 0, False, False
        for j in range(start, len(text)):
            c = text[j]
            if in_str:
                escaped, in_str = (not escaped and c == "\\"), in_str and (escaped or c != '"')
                continue
            if c == '"':
                in_str = True
            elif c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    return text[start : j + 1]
        start = text.find("{", start + 1)
    return None
