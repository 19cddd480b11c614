"""`datagen list recipes|verifiers|benchmarks|generators|filters`: what datagen ships, from
its registries (registered on the main typer app by `datagen/cli.py`). Imports stay inside
the command so `datagen --help` stays instant."""

from __future__ import annotations

from pathlib import Path

import typer

KINDS = ("recipes", "verifiers", "benchmarks", "generators", "filters")
RECIPES = Path(__file__).resolve().parent.parent / "recipes"


def _first_doc_line(obj, limit: int = 110) -> str:
    """The first sentence of a docstring, on one line, at most `limit` characters."""
    doc = " ".join((getattr(obj, "__doc__", None) or "").strip().split("\n\n")[0].split())
    end = doc.find(". ")
    doc = doc[: end + 1] if end >= 0 else doc
    return doc if len(doc) <= limit else doc[: limit - 1].rstrip() + "…"


def _first_comment(path: Path) -> str:
    """The recipe's first comment line (its description), without the `#`."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip()
        if line.strip():
            break
    return ""


def recipes() -> list[tuple[str, str]]:
    return [(str(p.relative_to(RECIPES.parent)), _first_comment(p)) for p in sorted(RECIPES.glob("*.yaml"))]


def verifiers() -> list[tuple[str, str]]:
    from filters.verify import VERIFIERS

    out = []
    for name, v in VERIFIERS.items():
        if isinstance(v, str):  # a module imported on first use: its docstring
            import importlib

            doc = _first_doc_line(importlib.import_module(v))
        else:
            doc = _first_doc_line(v)
        out.append((name, doc))
    return out


def benchmarks() -> list[tuple[str, str]]:
    from filters.benchmarks import DOMAINS, REGISTRY

    rows = [(name, f"{b.domain}: {b.repo}" + (f" ({b.config})" if b.config else "") + f", split {b.split}") for name, b in REGISTRY.items()]
    rows += [(domain, "domain: " + ", ".join(names)) for domain, names in DOMAINS.items()]
    return rows


def _stage_docs() -> dict[str, str]:
    """type -> the first paragraph of its spec's docstring (schemas/generators.py, schemas/filters.py)."""
    from typing import get_args

    from schemas.stages import StageSpec

    out = {}
    for spec in get_args(get_args(StageSpec)[0]):
        out[get_args(spec.model_fields["type"].annotation)[0]] = _first_doc_line(spec)
    return out


def stages(kind: str) -> list[tuple[str, str]]:
    import importlib

    registry = importlib.import_module(kind).REGISTRY
    docs = _stage_docs()
    return [(name, docs.get(name) or _first_doc_line(cls)) for name, cls in registry.items()]


def listing(kind: str) -> list[tuple[str, str]]:
    if kind == "recipes":
        return recipes()
    if kind == "verifiers":
        return verifiers()
    if kind == "benchmarks":
        return benchmarks()
    return stages(kind)


def register(app: typer.Typer) -> None:
    @app.command("list")
    def list_(what: str = typer.Argument(..., metavar="WHAT", help=" | ".join(KINDS))):
        """List what datagen ships: recipes, verifiers, benchmarks, generators or filters."""
        if what not in KINDS:
            typer.echo(f"error: WHAT: {what!r} is not one of {', '.join(KINDS)}", err=True)
            raise typer.Exit(2)
        rows = listing(what)
        width = max(len(name) for name, _ in rows)
        for name, doc in rows:
            typer.echo(f"{name.ljust(width)}  {doc}".rstrip())
