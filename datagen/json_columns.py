"""Typed columns from JSON Schemas: the fields of a structured output (evolve's
`output_schema`, a judge's `output_schema`) stored as an Arrow struct column, one Arrow field
per property, rather than as one JSON string.

`arrow_type(schema)` maps a JSON Schema to an Arrow type:

- `string` (also a string `enum` / `const`, any `format`) -> string; `integer` -> int64;
  `number` -> float64; `boolean` -> bool;
- `array` with one `items` schema -> list of the item's type;
- `object` with `properties` -> struct of them, in the schema's order;
- a nullable form (`type: [T, "null"]`, `anyOf`/`oneOf` of T and `{type: null}`: pydantic's
  `Optional[T]`) -> T (every Arrow field is nullable); `allOf` of one schema -> that schema;
  `$ref` to `#/$defs/...` or `#/definitions/...` (pydantic's nested models) resolved;
- anything else (a union of types, an object without properties, an array without `items` or
  with `prefixItems`, a recursive reference, `null` alone) -> a string holding the value's JSON.

`JsonColumn(schema)`: `.type`, `.value(record)` (a validated record shaped for that type: JSON
text where the type is a string fallback, numbers as floats, missing properties null) and
`.array(records)` / `.series(name, records)` (an Arrow array / a polars Series of that type).

What it does not do: keep properties a schema does not declare (an open object keeps only its
declared ones), map `additionalProperties`-only objects to Arrow maps, or keep an integer
outside int64 or a number beyond a double (it is null).
"""

from __future__ import annotations

import json

_INT64 = (-(2**63), 2**63)


def arrow_type(schema: dict):
    """The Arrow type of values matching `schema` (see the module docstring)."""
    return JsonColumn(schema).type


class JsonColumn:
    def __init__(self, schema: dict):
        self.schema = schema
        self.type, self._convert = _compile(schema, schema, frozenset())

    def value(self, record):
        return self._convert(record)

    def array(self, records: list):
        import pyarrow as pa

        return pa.array([self._convert(r) for r in records], type=self.type)

    def series(self, name: str, records: list):
        import polars as pl

        return pl.from_arrow(self.array(records)).alias(name)


def _as_json(v):
    return json.dumps(v, ensure_ascii=False)


def _string(v):
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)


def _integer(v):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or (isinstance(v, float) and not v.is_integer()):
        return None
    v = int(v)
    return v if _INT64[0] <= v < _INT64[1] else None


def _number(v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    try:
        return float(v)
    except OverflowError:  # an integer beyond a double
        return None


def _boolean(v):
    return v if isinstance(v, bool) else None


def _scalars():
    import pyarrow as pa

    return {"string": (pa.string(), _string), "integer": (pa.int64(), _integer), "number": (pa.float64(), _number),
            "boolean": (pa.bool_(), _boolean)}


def _is_null(node) -> bool:
    return isinstance(node, dict) and (node.get("type") == "null" or node.get("const", 0) is None or node.get("enum") == [None])


def _pointer(root: dict, ref: str):
    target = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        target = target.get(part) if isinstance(target, dict) else None
    return target


def _resolve(node, root: dict, seen: frozenset):
    """The schema `node` stands for once references, one-schema `allOf`s and nullable
    wrappers are unwrapped; None when it cannot be (a union, a dangling or recursive ref)."""
    while isinstance(node, dict):
        if "$ref" in node:
            ref = node["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#/") or ref in seen:
                return None, seen
            seen = seen | {ref}
            node = _pointer(root, ref)
            continue
        for key in ("anyOf", "oneOf", "allOf"):
            options = node.get(key)
            if options is not None:
                rest = [o for o in options if not _is_null(o)] if key != "allOf" else options
                if len(rest) != 1:
                    return None, seen
                node = rest[0]
                break
        else:
            return node, seen
    return None, seen


def _kind(node: dict) -> str | None:
    t = node.get("type")
    if isinstance(t, list):
        rest = [x for x in t if x != "null"]
        t = rest[0] if len(rest) == 1 else None
        if t is None:
            return None
    if t is None:
        values = node["enum"] if isinstance(node.get("enum"), list) else [node["const"]] if "const" in node else None
        if values:
            for name, cls in (("boolean", bool), ("string", str), ("integer", int)):
                if all(isinstance(v, cls) and (cls is bool or not isinstance(v, bool)) for v in values):
                    return name
            return None
        t = "object" if "properties" in node else "array" if "items" in node else None
    if t == "object":
        return "object" if isinstance(node.get("properties"), dict) and node["properties"] else None
    if t == "array":
        return "array" if isinstance(node.get("items"), dict) and "prefixItems" not in node else None
    return t if t in ("string", "integer", "number", "boolean") else None


def _compile(node, root: dict, seen: frozenset):
    """(Arrow type, value converter) for one schema node."""
    import pyarrow as pa

    node, seen = _resolve(node, root, seen)
    kind = _kind(node) if node is not None else None
    if kind == "object":
        fields = [(name, *_compile(sub, root, seen)) for name, sub in node["properties"].items()]
        typ = pa.struct([pa.field(name, t) for name, t, _ in fields])

        def convert(v):
            return {name: f(v.get(name)) for name, _, f in fields} if isinstance(v, dict) else None
    elif kind == "array":
        item_type, item = _compile(node["items"], root, seen)
        typ = pa.list_(item_type)

        def convert(v):
            return [item(x) for x in v] if isinstance(v, list) else None
    elif kind is not None:
        typ, convert = _scalars()[kind]
    else:
        typ, convert = pa.string(), _as_json
    return typ, lambda v: None if v is None else convert(v)
