"""Shaped generator replies as JSON held to a built-in schema: Verbalized Sampling lists and
new problems, where the backend can constrain decoding; the text forms elsewhere.

A shape (what `generators.candidates.draw` takes) says how to ask (`ask(conv)`), what to
sample with (`sampling(s)`: with `Sampling.json_schema`, so the schema is part of every
request's cache key) and how to read a completion back (`split(completion, index)` ->
`Candidate`s). The schemas are built from the stage's own settings:

- `JsonList(vs)`: `{"responses": [{"text", "probability"}]}` with exactly `vs.m` items
  (minItems = maxItems = m), asked for by `vs.json_template`; the probability lies in [0, 1]
  in hundredths (`multipleOf` bounds its digits: a small model otherwise writes digits until
  max_tokens; validation checks the range only, as 0.29 is no multiple of 0.01 in binary), a
  text has at most `vs.max_chars` characters when set. Empty texts are dropped, as the
  tagged parser drops them.
- `JsonProblem(with_answer, max_chars)`: `{"problem", "answer"}` (or `{"problem"}`), asked
  for by appending `prompts.PROBLEM_JSON` (`PROBLEM_ONLY_JSON`) to the prompt; the
  candidate's text is the problem, its `fields` the record (the answer the model states).
- `Record(structured)`: a response held to the stage's own `output_schema` (a rejection
  stage): the candidate's text is the reply (the JSON object, the row's completion), its
  `fields` the record, and what the verifier grades is the `answer_field` (the whole reply
  when null). The prompt names the properties, so a backend that cannot constrain still
  asks for them.

A reply that does not validate is one candidate with `schema_invalid: <where>: <message>`
(or `schema_invalid: cut off at max_tokens ...`), a rejected row later.

`verbalized_shape(vs, backend)` and `problem_shape(stage, backend, with_answer)` choose: the
JSON shape where the backend is one that constrains (`datagen.llm.structured.
CONSTRAINING_BACKENDS`; `backend_of` reads a stage model's backend) and the switch
(`structured`) is on; else the text form (the tagged list; None for a problem: the reply is
the problem).

What it does not do: judge
verdicts (`filters.judge` and `filters.decontam_judge` hold theirs to their own schemas).
"""

from __future__ import annotations

from datagen.llm.base import Completion
from datagen.llm.structured import constrains, json_record
from generators.candidates import Candidate, TaggedList, wrap_verbalized
from schemas import prompts

ANSWER_MAX_CHARS = 64  # a stated final answer; bounded so a small model cannot ramble in it


def verbalized_schema(m: int, max_chars: int | None = None, decoding: bool = True) -> dict:
    """The VS list's schema (`decoding`: with the digit bound on probabilities)."""
    text = {"type": "string"} | ({"maxLength": max_chars} if max_chars else {})
    prob = {"type": "number", "minimum": 0, "maximum": 1} | ({"multipleOf": 0.01} if decoding else {})
    item = {"type": "object", "properties": {"text": text, "probability": prob}, "required": ["text", "probability"],
            "additionalProperties": False}
    return {"type": "object", "properties": {"responses": {"type": "array", "items": item, "minItems": m, "maxItems": m}},
            "required": ["responses"], "additionalProperties": False}


def problem_schema(with_answer: bool = True, max_chars: int | None = None) -> dict:
    props = {"problem": {"type": "string"} | ({"maxLength": max_chars} if max_chars else {})}
    if with_answer:
        props["answer"] = {"type": "string", "maxLength": ANSWER_MAX_CHARS}
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}


class _Json:
    """What both JSON shapes share: the schema in the sampling, and validation."""

    schema: dict

    def _validate_against(self, check: dict) -> None:
        import jsonschema

        self._validator = jsonschema.Draft202012Validator(check)

    def sampling(self, sampling):
        return sampling.model_copy(update={"json_schema": self.schema})

    def read(self, c: Completion) -> tuple[dict | None, str | None]:
        data, why = json_record(c.text.strip(), self._validator)
        if data is None and c.finish_reason == "length" and why.startswith("schema_invalid: not JSON"):
            return None, "schema_invalid: cut off at max_tokens (raise the sampling's max_tokens, or set max_chars)"
        return data, why


class JsonList(_Json):
    def __init__(self, vs):
        self.vs = vs
        self.schema = verbalized_schema(vs.m, vs.max_chars)
        self._validate_against(verbalized_schema(vs.m, vs.max_chars, decoding=False))

    def ask(self, conv: list[dict]) -> list[dict]:
        return wrap_verbalized(conv, self.vs, self.vs.json_template)

    def describe(self) -> dict:
        return {"form": "json", "schema": self.schema}

    def split(self, c: Completion, index: int) -> list[Candidate]:
        data, why = self.read(c)
        if data is None:
            return [Candidate(c.text, c, index, slot=0, error=why)]
        items = [(r["text"].strip(), float(r["probability"])) for r in data["responses"] if r["text"].strip()]
        if not items:
            return [Candidate(c.text, c, index, slot=0, error="empty_output")]
        return [Candidate(t, c, index, slot=s, probability=p, fields={"text": t, "probability": p}) for s, (t, p) in enumerate(items)]


class JsonProblem(_Json):
    def __init__(self, with_answer: bool = True, max_chars: int | None = None):
        self.stated = "answer" if with_answer else None  # the field holding the answer the model states
        self.schema = problem_schema(with_answer, max_chars)
        self._validate_against(self.schema)
        self.instruction = prompts.PROBLEM_JSON if with_answer else prompts.PROBLEM_ONLY_JSON

    def ask(self, conv: list[dict]) -> list[dict]:
        last = conv[-1]
        return [*conv[:-1], {**last, "content": last["content"] + self.instruction}]

    def describe(self) -> dict:
        return {"form": "json", "schema": self.schema, "instruction": self.instruction}

    def split(self, c: Completion, index: int) -> list[Candidate]:
        data, why = self.read(c)
        if data is None:
            return [Candidate(c.text, c, index, error=why)]
        text = data["problem"].strip()
        return [Candidate(text, c, index, error=None if text else "empty_output", fields=data)]


def verbalized_shape(vs, backend: str):
    """The VS list's shape for a stage on `backend`, or None without Verbalized Sampling."""
    if vs is None:
        return None
    return JsonList(vs) if vs.structured and constrains(backend) else TaggedList(vs)


def problem_shape(stage, backend: str, with_answer: bool = True, field: str = "stage"):
    """A new problem's shape: the stage's own `output_schema` record, VS's list with
    `verbalized`, JSON where it can be held to the built-in schema, else None (the reply is
    the problem)."""
    if getattr(stage, "output_schema", None) is not None:
        from datagen.llm.structured import StructuredOutput

        return RecordProblem(StructuredOutput(stage.output_schema, f"{field}.output_schema", backend))
    if stage.verbalized is not None:
        return verbalized_shape(stage.verbalized, backend)
    return JsonProblem(with_answer, stage.problem_max_chars) if stage.structured and constrains(backend) else None



class Record:
    """A solver's response as the stage's `output_schema` record (see the module docstring)."""

    def __init__(self, structured):
        self.out = structured
        props = ", ".join(f'"{p}"' for p in (structured.schema.get("properties") or {}))
        self.instruction = f"\n\nReply with exactly one JSON object with the properties {props}{self.hint()}."

    def hint(self) -> str:
        field = self.out.spec.answer_field
        return f', the final answer alone in "{field}"' if field else ""

    def ask(self, conv: list[dict]) -> list[dict]:
        last = conv[-1]
        return [*conv[:-1], {**last, "content": last["content"] + self.instruction}]

    def sampling(self, sampling):
        return self.out.sampling(sampling)

    def describe(self) -> dict:
        return {"form": "record", **self.out.describe(), "instruction": self.instruction}

    def split(self, c: Completion, index: int) -> list[Candidate]:
        fields, why = self.out.parse(c.text)
        if fields is None:
            if c.finish_reason == "length":
                why = "schema_invalid: cut off at max_tokens (raise sampling.max_tokens, or a maxLength in the schema)"
            return [Candidate(c.text, c, index, error=why)]
        field = self.out.spec.answer_field
        graded = None if field is None else str(fields.get(field) if fields.get(field) is not None else "")
        return [Candidate(c.text.strip(), c, index, fields=fields, graded=graded)]


class RecordProblem(Record):
    """A new problem as the stage's own `output_schema` record (SvS variants, self-play's
    creator): the candidate's text is its `question_field`, `fields` the record, `stated` the
    `answer_field` (the answer the model states, when set)."""

    def __init__(self, structured):
        super().__init__(structured)
        self.stated = structured.spec.answer_field

    def hint(self) -> str:
        return f', the new problem in "{self.out.spec.question_field}"'

    def split(self, c: Completion, index: int) -> list[Candidate]:
        cand = super().split(c, index)[0]
        if cand.ok:
            cand.graded, cand.text = None, str(cand.fields.get(self.out.spec.question_field) or "").strip()
            cand.error = None if cand.text else "empty_output"
        return [cand]


def problem_column(shape):
    """The typed `structured` column of a record shape (`Record`, `RecordProblem`), or None."""
    from datagen.json_columns import JsonColumn

    return JsonColumn(shape.out.schema) if isinstance(shape, Record) else None


def record_shape(spec, ctx, field: str):
    """(shape, column) for a solver stage: its `output_schema` as a `Record` and the record's
    typed column, or its Verbalized Sampling shape (None without) and no column."""
    from datagen.llm.structured import StructuredOutput, backend_of

    backend = backend_of(ctx, spec.model)
    if spec.output_schema is None:
        return verbalized_shape(spec.verbalized, backend), None
    shape = Record(StructuredOutput(spec.output_schema, f"{field}.output_schema", backend, roles=("answer_field",)))
    return shape, problem_column(shape)


def with_column(schema, column):
    """An Arrow row schema with the record's `structured` column before `reject_reason`."""
    if column is None:
        return schema
    import pyarrow as pa

    return schema.insert(schema.get_field_index("reject_reason"), pa.field("structured", column.type))
