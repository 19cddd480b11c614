"""Load a recipe: YAML file -> `--set` overrides -> validated `schemas.recipe.Recipe`.

Every failure is a `UserError` that names the file and line (YAML) or the field path
(validation), so `datagen validate` and `datagen run` exit 2 with a useful message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from datagen.errors import UserError


def read_yaml(path: str | Path, what: str = "recipe", keys: str = "source:, models:, stages:, output:") -> dict:
    p = Path(path)
    if not p.is_file():
        hint = ""
        shipped = Path(__file__).resolve().parent.parent / "recipes" / p.name
        if shipped.is_file() and shipped != p.resolve():
            hint = f" (a shipped {what} exists: {shipped})"
        raise UserError(f"{what} not found: {path}{hint}")
    try:
        data = yaml.safe_load(p.read_text())
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(e, "problem", None) or str(e)
        raise UserError(f"{where}: invalid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: a {what} is a YAML mapping ({keys}), got {type(data).__name__}")
    return data


def apply_overrides(data: dict, overrides: list[str]) -> dict:
    """`a.b.0.c=value`: value parsed as YAML (so numbers, booleans, lists work)."""
    for item in overrides or []:
        if "=" not in item:
            raise UserError(f"--set {item!r}: expected KEY=VALUE, e.g. --set stages.0.k=8")
        key, raw = item.split("=", 1)
        try:
            value = yaml.safe_load(raw) if raw != "" else ""
        except yaml.YAMLError:
            value = raw
        parts = key.strip().split(".")
        node: Any = data
        for depth, part in enumerate(parts[:-1]):
            node = _child(node, part, parts[: depth + 1], create=True)
        last = parts[-1]
        if isinstance(node, list):
            idx = _index(node, last, parts)
            node[idx] = value
        elif isinstance(node, dict):
            node[last] = value
        else:
            raise UserError(f"--set {key}: '{'.'.join(parts[:-1])}' is a value, not a mapping or list")
    return data


def _index(node: list, part: str, path: list[str]) -> int:
    if not part.lstrip("-").isdigit() or not -len(node) <= int(part) < len(node):
        raise UserError(f"--set {'.'.join(path)}: '{part}' is not an index of a list of {len(node)}")
    return int(part)


def _child(node: Any, part: str, path: list[str], create: bool) -> Any:
    if isinstance(node, list):
        return node[_index(node, part, path)]
    if isinstance(node, dict):
        if part not in node or node[part] is None:
            if not create:
                raise UserError(f"--set: no field '{'.'.join(path)}'")
            node[part] = {}
        return node[part]
    raise UserError(f"--set {'.'.join(path)}: parent is a value, not a mapping or list")


# where each kind of spec is documented (README sections; `datagen list` prints the stage types)
REFERENCE = {"recipe": "README.md, Recipe reference", "mixture": "README.md, Mixtures",
             "train spec": "README.md, Trainer and eval", "options": "the command's --help"}


def format_validation_error(err, source: str, what: str = "recipe", prefix: str = "") -> str:
    """One line per error, each naming its field (`prefix` + the field path, e.g. `--`)."""
    lines = [f"{source}: invalid {what} ({err.error_count()} error{'s' if err.error_count() > 1 else ''}):"]
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"] if not _is_union_tag(x))
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = f"unknown field (check its spelling and indentation against {REFERENCE.get(what, 'README.md')})"
        elif e["type"] == "union_tag_invalid":
            tag = e["input"].get("type") if isinstance(e["input"], dict) else e["input"]
            msg = f"unknown type {tag!r}; expected one of {e['ctx']['expected_tags']}"
        lines.append(f"  {prefix + loc.replace('_', '-') if prefix and loc else loc or '(' + what + ')'}: {msg}")
    return "\n".join(lines)


def _is_union_tag(x) -> bool:
    # pydantic puts the discriminator value into loc ("stages.0.rejection.k"); drop it
    return isinstance(x, str) and x in _union_tags()


def _union_tags() -> set[str]:
    from typing import get_args

    from schemas.sources import SourceSpec
    from schemas.stages import StageSpec

    members = get_args(get_args(StageSpec)[0]) + get_args(get_args(SourceSpec)[0])
    return {get_args(m.model_fields["type"].annotation)[0] for m in members}


def load_recipe(path: str | Path, overrides: list[str] | None = None):
    from pydantic import ValidationError

    from schemas.recipe import Recipe

    data = apply_overrides(read_yaml(path), overrides or [])
    try:
        return Recipe.model_validate(data)
    except ValidationError as e:
        raise UserError(format_validation_error(e, str(path))) from None


def load_mixture(path: str | Path, overrides: list[str] | None = None):
    from pydantic import ValidationError

    from schemas.mixture import Mixture

    data = apply_overrides(read_yaml(path, "mixture", "name:, sources:, ..."), overrides or [])
    try:
        return Mixture.model_validate(data)
    except ValidationError as e:
        raise UserError(format_validation_error(e, str(path), "mixture")) from None


def verifier_references(recipe) -> list[tuple[str, str]]:
    """(field, verifier name) for every verifier a recipe names: stages' `verifier`/`audit`,
    the loop's GRPO `train.rewards` and `eval.verifier`."""
    out = []
    for i, stage in enumerate(recipe.stages):
        for attr in ("verifier", "audit"):
            name = getattr(stage, attr, None)
            if isinstance(name, str):
                out.append((f"stages.{i}.{attr}", name))
    if recipe.train is not None:
        out += [(f"train.rewards.{j}", name) for j, name in enumerate(recipe.train.rewards)]
    if recipe.eval is not None:
        out.append(("eval.verifier", recipe.eval.verifier))
    return out


def check_recipe(recipe, store, read_source: bool = True):
    """What `datagen run` rejects before it generates anything, beyond the schema (which
    `load_recipe` checks, with the model names the stages use): unknown verifiers in any
    stage, `type: python` callables that do not import, and, with `read_source`, a source
    that cannot be read: a missing or unreadable file, bad JSON lines, a missing question
    column, a `NAME@vN` that is not in the store. `run` checks the verifiers and callables
    with this before its first stage and reads its source with the same `load_source`;
    `validate` does all of it. Returns the seed table, or None when not read (a Hub source is
    never fetched here)."""
    from types import SimpleNamespace

    from filters.verify import get_verifier

    for field, name in verifier_references(recipe):
        get_verifier(name, field)
    for i, stage in enumerate(recipe.stages):
        if stage.type == "python":
            from datagen.python_stage import PythonStage

            PythonStage(stage, SimpleNamespace(index=i))
    if not read_source or recipe.source.type == "hub":
        return None
    from datagen.sources import load_source

    return load_source(recipe.source, store.root)
