"""Drawing candidate texts from an LLM, plain or in a shape (a Verbalized Sampling list, a
JSON record).

`draw(llm, convs, sampling, n, first_index, shape)` asks for samples `first_index ..
first_index+n-1` of every conversation and returns, per conversation, a list of `Candidate`s:
one per sample, or, with a shape, what the shape reads from each sample. A shape says how to
ask (`ask(conv)`), what to sample with (`sampling(s)`: a JSON shape adds the schema to
constrain decoding) and how to read a completion (`split(completion, index)`); the JSON ones
are in `generators.shapes`. Here is the text form of Verbalized Sampling, `TaggedList` (a
`schemas.generators.Verbalized` passed as the shape means it): up to `vs.m` candidates per
sample, parsed from the `<response><text>..</text><probability>..</probability></response>`
list the model wrote. A failed request, an empty text or an unparseable list is a candidate
with `error` set (a rejected row later), never an exception.

What it does not do: verify anything (`generators.solving`), or build rows (`generators.common`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from datagen.llm.base import Completion

_RESPONSE = re.compile(r"<response>(.*?)(?:</response>|(?=<response>)|\Z)", re.S)
_TEXT = re.compile(r"<text>(.*?)(?:</text>|(?=<probability>)|\Z)", re.S)
_PROB = re.compile(r"<probability>\s*([0-9]*\.?[0-9]+)\s*(%?)\s*(?:</probability>)?", re.S)


@dataclass
class Candidate:
    text: str
    completion: Completion  # the call it came from (tokens, finish reason)
    index: int  # sample index of that call
    slot: int | None = None  # position in a Verbalized Sampling list; None without VS
    probability: float | None = None  # the probability the VS list gave it
    error: str | None = None  # reject reason when the candidate is unusable
    fields: dict | None = None  # the JSON record it came from, with a JSON shape
    graded: str | None = None  # what a verifier grades, when not the text (a record's answer field)

    @property
    def checked(self) -> str:
        """The text a verifier grades."""
        return self.text if self.graded is None else self.graded

    @property
    def key(self) -> str:
        """Distinguishes candidates of one parent (part of the row id)."""
        return str(self.index) if self.slot is None else f"{self.index}.{self.slot}"

    @property
    def ok(self) -> bool:
        return self.error is None


def parse_verbalized(text: str, m: int) -> list[tuple[str, float | None]]:
    """(text, probability) pairs from a Verbalized Sampling reply, at most `m`, empty texts
    dropped; tolerant of a missing closing tag or probability. [] when nothing parses."""
    out = []
    for block in _RESPONSE.findall(text):
        t = _TEXT.search(block)
        body = (t.group(1) if t else "").strip()
        if not body:
            continue
        p = _PROB.search(block)
        prob = None
        if p:
            prob = float(p.group(1)) / (100.0 if p.group(2) else 1.0)
            prob = prob if 0.0 <= prob <= 1.0 else None
        out.append((body, prob))
        if len(out) == m:
            break
    return out


def wrap_verbalized(conv: list[dict], vs, template: str | None = None) -> list[dict]:
    """The conversation with its last user message wrapped in the VS instruction."""
    last = conv[-1]
    return [*conv[:-1], {**last, "content": (template or vs.template).format(m=vs.m, request=last["content"])}]


class TaggedList:
    """Verbalized Sampling as a tagged list, read by `parse_verbalized`."""

    def __init__(self, vs):
        self.vs = vs

    def ask(self, conv: list[dict]) -> list[dict]:
        return wrap_verbalized(conv, self.vs)

    def sampling(self, sampling):
        return sampling

    def describe(self) -> dict | None:
        return None  # all of it is in the stage's spec

    def split(self, c: Completion, index: int) -> list[Candidate]:
        parsed = parse_verbalized(c.text, self.vs.m)
        if not parsed:
            return [Candidate(c.text, c, index, slot=0, error="unparseable_verbalized_list")]
        return [Candidate(t, c, index, slot=s, probability=p) for s, (t, p) in enumerate(parsed)]


def as_shape(shape):
    """A shape, or None; a `Verbalized` spec stands for its tagged list."""
    return TaggedList(shape) if shape is not None and not hasattr(shape, "split") else shape


def draw(llm, convs: list[list[dict]], sampling, n: int, first_index: int = 0, shape=None) -> list[list[Candidate]]:
    if not convs or n <= 0:
        return [[] for _ in convs]
    shape = as_shape(shape)
    asked = [shape.ask(c) for c in convs] if shape is not None else convs
    sampling = shape.sampling(sampling) if shape is not None else sampling
    results = llm.generate(asked, sampling.model_copy(update={"n": n}), first_index=first_index)
    out = []
    for comps in results:
        cands: list[Candidate] = []
        for i, c in enumerate(comps, start=first_index):
            cands.extend(_split(c, i, shape))
        out.append(cands)
    return out


def _split(c: Completion, index: int, shape) -> list[Candidate]:
    if not c.ok:
        return [Candidate("", c, index, error=f"llm_error: {c.error}")]
    shape = as_shape(shape)
    if shape is None:
        text = c.text.strip()
        return [Candidate(text, c, index, error=None if text else "empty_output")]
    return shape.split(c, index)
