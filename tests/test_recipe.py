import pytest

from datagen.errors import UserError
from datagen.recipe_io import apply_overrides, load_recipe
from tests.helpers import write_recipe

BASE = {
    "source": {"type": "procedural", "n": 4},
    "stages": [{"type": "rejection", "k": 2}],
    "output": {"name": "demo"},
}


def test_shipped_recipes_validate():
    from pathlib import Path

    for p in sorted(Path("recipes").glob("*.yaml")):
        r = load_recipe(p)
        assert r.stages and r.output.name


def test_overrides_parse_yaml_values(tmp_path):
    path = write_recipe(tmp_path / "r.yaml", BASE)
    r = load_recipe(path, ["stages.0.k=8", "stages.0.sampling.temperature=0.3", "output.shards=3", "source={type: jsonl, path: x.jsonl}"])
    assert r.stages[0].k == 8 and r.stages[0].sampling.temperature == 0.3 and r.output.shards == 3
    assert r.source.type == "jsonl" and r.source.path == "x.jsonl"


@pytest.mark.parametrize(
    "override,needle",
    [
        ("stages.0.k=many", "stages.0.k"),
        ("stages.0.bogus=1", "stages.0.bogus: unknown field"),
        ("stages.0.type=nope", "unknown type 'nope'"),
        ("stages.0.model=other", "unknown model 'other'"),
        ("output.name=a/b", "output.name"),
        ("source.n=-1", "source.n"),
        ("stages.0.sampling.temperature=-1", "stages.0.sampling.temperature"),
    ],
)
def test_bad_fields_name_their_path(tmp_path, override, needle):
    path = write_recipe(tmp_path / "r.yaml", BASE)
    with pytest.raises(UserError) as e:
        load_recipe(path, [override])
    assert needle in str(e.value)


def test_bad_yaml_names_the_line(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text("source:\n  type: jsonl\n  path: [unclosed\nstages: []\n")
    with pytest.raises(UserError) as e:
        load_recipe(p)
    assert "r.yaml:" in str(e.value) and "invalid YAML" in str(e.value)


def test_override_errors():
    with pytest.raises(UserError, match="KEY=VALUE"):
        apply_overrides({}, ["novalue"])
    with pytest.raises(UserError, match="not an index"):
        apply_overrides({"stages": [{}]}, ["stages.5.k=1"])


def test_source_shorthand():
    from schemas.sources import infer_source

    assert infer_source("demo@v3") == {"type": "version", "ref": "demo@v3"}
    assert infer_source("x.parquet")["type"] == "parquet"
    assert infer_source("openai/gsm8k") == {"type": "hub", "id": "openai/gsm8k"}
