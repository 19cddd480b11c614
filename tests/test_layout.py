"""The layout DESIGN.md and the README promise, checked: one dependency direction between
datagen/'s bottom, filters/, generators/ and datagen/'s top; the recipe's stage types equal
the registries; every registered stage meets the written stage contract (datagen/stage.py)."""

from __future__ import annotations

import ast
import typing
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# the bottom of datagen/: what filters and generators may use
BOTTOM = {"errors", "hashing", "verdict", "llm", "embeddings", "static_embeddings", "onnx_encoder", "stage", "stage_io", "paths", "progress", "file_io", "hub",
          "json_columns"}


def layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "datagen":
        return "bottom" if len(parts) > 1 and parts[1] in BOTTOM else "top"
    return parts[0] if parts[0] in ("filters", "generators", "schemas") else None


def imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text())
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out += [(node.lineno, node.module)] + [(node.lineno, f"{node.module}.{a.name}") for a in node.names if node.module in ("datagen", "filters", "generators")]
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
    return out


# lazy imports that cross the layering on purpose, each with its reason
EXEMPT = {
    ("datagen/llm/__init__.py", "datagen.tiny.build"),  # `model: null` is the embedded tiny model, built on first use
}

# who may import whom (by layer)
ALLOWED = {
    "schemas": {"schemas"},
    "bottom": {"bottom", "schemas"},
    "filters": {"bottom", "schemas", "filters"},
    "generators": {"bottom", "schemas", "filters", "generators"},
    "top": {"bottom", "schemas", "filters", "generators", "top"},
}


def test_dependencies_point_one_way():
    bad = []
    for pkg in ("datagen", "filters", "generators", "schemas"):
        for path in sorted((REPO / pkg).rglob("*.py")):
            rel = path.relative_to(REPO)
            if "sandbox/guest" in str(rel):
                continue  # runs in the sandbox, imports nothing of the project
            own = layer(".".join(rel.with_suffix("").parts))
            for line, mod in imports(path):
                other = layer(mod)
                if own and other and other not in ALLOWED[own] and (str(rel), mod) not in EXEMPT:
                    bad.append(f"{rel}:{line} ({own}) imports {mod} ({other})")
    assert not bad, "imports against the layering:\n" + "\n".join(bad)


def test_recipe_stage_types_equal_the_registries():
    from datagen.engine import stage_table
    from schemas.stages import StageSpec

    union = typing.get_args(typing.get_args(StageSpec)[0])
    types = {typing.get_args(m.model_fields["type"].annotation)[0] for m in union}
    assert types == set(stage_table())


@pytest.mark.parametrize("name", sorted(__import__("datagen.engine", fromlist=["stage_table"]).stage_table()))
def test_every_stage_meets_the_contract(name):
    cls = __import__("datagen.engine", fromlist=["stage_table"]).stage_table()[name]
    assert getattr(cls, "scope", None) in ("shard", "global"), f"{name}: scope"
    assert callable(getattr(cls, "describe", None)) and "__call__" in vars(cls) | {k: 1 for b in cls.__mro__[1:-1] for k in vars(b)}, name
    assert callable(getattr(cls, "report", None)), f"{name}: report() (None when it has nothing to say)"
