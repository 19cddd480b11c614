"""What a new user trips on, run as a user runs it (the real CLI in a subprocess, real files,
a real store): load snippets that load *this* version, outputs that cannot be written,
`validate` checking what `run` checks, file names that are not names, empty splits and
empty inputs, discoverability (`--version`, `-h`, `datagen list`), `push` offline, and a
`train dpo` hint that works."""

import os
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
import yaml

from tests.helpers import write_jsonl, write_recipe
from tests.test_cli import datagen

REPO = Path(__file__).resolve().parent.parent
ROWS = [
    {"prompt": "2+2?", "completion": "It is \\boxed{4}", "answer": "4"},
    {"prompt": "2+3?", "completion": "It is \\boxed{5}", "answer": "5"},
]
COMMANDS = ["run", "validate", "versions", "show", "push", "verify", "dedup", "decontaminate", "mix", "train", "eval", "list"]


def one_line_error(r, *needles):
    assert r.returncode == 2, (r.returncode, r.stderr)
    err = r.stderr.strip()
    assert "\n" not in err and "Traceback" not in err and err.startswith("error: "), err
    for n in needles:
        assert n in err, (n, err)


def card_python(card: str) -> str:
    return re.search(r"```python\n(.*?)```", card, re.S).group(1)


# -- 1. the card's load snippet ------------------------------------------------------------


def test_card_and_show_load_this_version_not_another_v1(tmp_path):
    store = tmp_path / "store"
    for name, rows in (("alpha", ROWS[:1]), ("beta", ROWS)):
        r = datagen("verify", write_jsonl(tmp_path / f"{name}.jsonl", rows), "--verifier", "math_answer", "--out", name, "--store", store)
        assert r.returncode == 0, r.stderr
    vdir = store / "beta" / "v1"
    code = card_python((vdir / "README.md").read_text())
    assert f'load_dataset("parquet", data_files="{vdir}/data/*.parquet", split="train")' in code
    assert f'load_dataset("parquet", data_files="{vdir}/rejected/*.parquet", split="train")' in code
    assert 'load_dataset("ORG/beta", revision="v1", split="train")' in code
    assert 'load_dataset("ORG/beta", "rejected", revision="v1", split="rejected")' in code
    assert "PATH_OR_REPO" not in code
    shown = datagen("show", "beta@v1", "--store", store)
    assert shown.returncode == 0 and f'data_files="{vdir}/data/*.parquet"' in shown.stdout
    # the snippets, run as written, one after the other in one cache: each loads its own v1
    local = [next(line for line in card_python((store / n / "v1" / "README.md").read_text()).splitlines()
                  if line.startswith('ds = load_dataset("parquet"')) for n in ("alpha", "beta")]
    prog = "\n".join(["from datasets import load_dataset", local[0], "a = ds", local[1], "print(a.num_rows, ds.num_rows)"])
    env = {**os.environ, "HF_DATASETS_CACHE": str(tmp_path / "hf")}
    out = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, env=env, timeout=300)
    assert out.stdout.split() == ["1", "2"], out.stderr


# -- 4. outputs that cannot be written -----------------------------------------------------


def test_unwritable_outputs_fail_first_with_one_line_and_write_nothing(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", ROWS)
    missing = tmp_path / "missing.jsonl"  # the output is checked before the input is read
    blocker = tmp_path / "file"
    blocker.write_text("a regular file\n")
    (tmp_path / "dir.jsonl").mkdir()
    store = tmp_path / "store"
    verify = ["verify", missing, "--verifier", "math_answer"]
    cases = [
        ([*verify, "--out", blocker / "o.jsonl"], "--out", f"{blocker} is a file"),
        ([*verify, "--out", "/proc/datagen/o.jsonl"], "--out", "/proc/datagen/o.jsonl"),
        ([*verify, "--out", tmp_path / "dir.jsonl"], "--out", "is a directory"),
        ([*verify, "--out", tmp_path / "o.jsonl", "--rejected", "/proc/datagen/r.jsonl"], "--rejected", "/proc/datagen/r.jsonl"),
        ([*verify, "--out", "scored", "--store", blocker / "s"], "--store", str(blocker)),
        (["dedup", missing, "--out", tmp_path / "o.jsonl", "--rejected", tmp_path / "o.jsonl"], "--rejected", "the same file"),
        (["decontaminate", missing, "--benchmark", "gsm8k", "--out", tmp_path / "o.jsonl", "--report", blocker / "r.json"], "--report", str(blocker)),
        (["run", tmp_path / "missing.yaml", "--store", blocker / "s"], "--store", str(blocker)),
        (["mix", tmp_path / "missing.yaml", "--store", "/proc/datagen-store"], "--store", "/proc/datagen-store"),
        (["train", "sft", "--data", missing, "--out", blocker / "run"], "--out", str(blocker)),
        (["eval", "--data", missing, "--out", "/proc/datagen/results.json", "--store", store], "--out", "/proc/datagen/results.json"),
        (["eval", "--data", missing, "--store", blocker / "s"], "--store", str(blocker)),
    ]
    for args, option, needle in cases:
        r = datagen(*args)
        one_line_error(r, f"error: {option}", needle)
    assert not (tmp_path / "o.jsonl").exists() and not store.exists()
    # a real input and an unwritable --rejected: the kept file and the version are not written either
    r = datagen("verify", src, "--verifier", "math_answer", "--out", tmp_path / "kept.jsonl", "--rejected", blocker / "r.jsonl")
    one_line_error(r, "--rejected")
    r = datagen("verify", src, "--verifier", "math_answer", "--out", "scored", "--store", store, "--rejected", "/proc/datagen/r.parquet")
    one_line_error(r, "--rejected")
    assert not (tmp_path / "kept.jsonl").exists() and not store.exists()


# -- 5. validate checks what run checks ----------------------------------------------------


def test_validate_rejects_what_run_rejects(tmp_path):
    seeds = write_jsonl(tmp_path / "s.jsonl", [{"question": f"q{i}", "answer": "1"} for i in range(3)])

    def recipe(name, source, stages, **extra):
        return write_recipe(tmp_path / f"{name}.yaml", {"source": source, "stages": stages, "output": {"name": "n"}, **extra})

    ok = recipe("ok", str(seeds), [{"type": "dedup", "column": "question"}])
    r = datagen("validate", ok)
    assert r.returncode == 0 and "3 rows" in r.stdout, r.stderr
    bad_verifier = recipe("v", str(seeds), [{"type": "dedup", "column": "question"}, {"type": "verify", "verifier": "nope"}])
    one_line_error(datagen("validate", bad_verifier), "stages.1.verifier", "nope", "math_answer")
    one_line_error(datagen("validate", recipe("m", str(tmp_path / "missing.jsonl"), [{"type": "dedup"}])), "source.path", "missing.jsonl")
    creator = recipe("c", {"type": "procedural", "n": 4}, [{"type": "variational", "creator_model": "big"}])
    r = datagen("validate", creator)
    assert r.returncode == 2 and "stages.0.creator_model: unknown model 'big'" in r.stderr
    # a dedup stage's `model` is an embedding model, not a recipe model
    emb = recipe("e", str(seeds), [{"type": "dedup", "method": "embedding", "model": "all-MiniLM-L6-v2"}])
    assert datagen("validate", emb).returncode == 0
    # NAME@vN sources resolve in --store or $DATAGEN_HOME
    store = tmp_path / "store"
    assert datagen("run", ok, "--store", store).returncode == 0
    versioned = recipe("ver", "n@v1", [{"type": "dedup", "column": "question"}])
    one_line_error(datagen("validate", versioned, "--store", tmp_path / "empty"), "n@v1", "no versions")
    assert datagen("validate", versioned, "--store", store).returncode == 0
    r = datagen("validate", versioned, env={**os.environ, "DATAGEN_HOME": str(store)})
    assert r.returncode == 0, r.stderr
    # run rejects the unknown verifier of stage 1 before stage 0 (or the source) runs
    r = datagen("run", bad_verifier, "--store", tmp_path / "s2")
    assert r.returncode == 2 and "stages.1.verifier" in r.stderr
    assert not (tmp_path / "s2" / ".runs").exists()


# -- 6. output names -----------------------------------------------------------------------


def test_out_with_an_unknown_extension_or_a_bad_name_is_an_error(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", ROWS)
    store = tmp_path / "store"
    for out, needle in [("x.csv", ".jsonl, .json, .parquet"), ("x.jsonl.gz", "unknown file extension"),
                        ("sub/name", "neither"), ("bad name!", "neither"), ("x@v2", "version number is assigned")]:
        one_line_error(datagen("dedup", src, "--out", out, "--store", store), "--out", needle)
    assert not store.exists()
    r = datagen("dedup", src, "--out", "Qwen2.5-math", "--store", store)  # a dotted name that is no extension
    assert r.returncode == 0 and r.stdout.strip() == "Qwen2.5-math@v1", r.stderr


# -- 7. empty splits -----------------------------------------------------------------------


def assert_empty_split(folder: Path, kept_columns: set[str]):
    files = sorted(folder.glob("*.parquet"))
    assert len(files) == 1
    df = pl.read_parquet(folder)
    assert df.height == 0 and kept_columns | {"reason"} <= set(df.columns), df.columns
    from datasets import load_dataset

    ds = load_dataset("parquet", data_files=str(folder / "*.parquet"), split="train", streaming=True)
    assert list(ds) == [] and "reason" in ds.features


def test_zero_rejected_rows_is_a_valid_empty_split_everywhere(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", ROWS)
    store = tmp_path / "store"
    r = datagen("verify", src, "--verifier", "math_answer", "--out", "all-good", "--store", store,
                "--rejected", tmp_path / "rej.parquet")
    assert r.returncode == 0, r.stderr
    vdir = store / "all-good" / "v1"
    kept = set(pl.read_parquet(vdir / "data").columns)
    assert_empty_split(vdir / "rejected", kept)
    assert pq.read_table(tmp_path / "rej.parquet").num_rows == 0 and "reason" in pq.read_schema(tmp_path / "rej.parquet").names
    assert "rejected: 0 rows" in (vdir / "README.md").read_text()  # the card says how to read an empty split
    # a recipe run with nothing rejected, and more shards than rows: no empty shard file in data/
    # (`datasets` cannot read a file whose row group has no rows, and would fail on the whole split)
    seeds = write_jsonl(tmp_path / "s.jsonl", [{"question": f"q{i}", "answer": "1"} for i in range(2)])
    rec = write_recipe(tmp_path / "r.yaml", {"source": str(seeds), "stages": [{"type": "dedup", "column": "question"}], "output": {"name": "n", "shards": 4}})
    assert datagen("run", rec, "--store", store).returncode == 0
    ndir = store / "n" / "v1"
    assert_empty_split(ndir / "rejected", set(pl.read_parquet(ndir / "data").columns))
    assert len(list((ndir / "data").glob("*.parquet"))) == 2
    from datasets import load_dataset

    ds = load_dataset("parquet", data_files=str(ndir / "data" / "*.parquet"), split="train", cache_dir=str(tmp_path / "hf"))
    assert sorted(ds["question"]) == ["q0", "q1"]
    # a mixture with nothing rejected
    mix = tmp_path / "mix.yaml"
    mix.write_text(yaml.safe_dump({"name": "mixed", "sources": [{"source": str(src)}]}))
    r = datagen("mix", mix, "--store", store)
    assert r.returncode == 0, r.stderr
    mdir = store / "mixed" / "v1"
    assert_empty_split(mdir / "rejected", set(pl.read_parquet(mdir / "data").columns))
    header = yaml.safe_load((mdir / "README.md").read_text().split("---")[1])
    assert header["size_categories"] == ["n<1K"]


# -- 9. empty inputs -----------------------------------------------------------------------


def test_empty_jsonl_says_so(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    one_line_error(datagen("verify", empty, "--verifier", "math_answer", "--out", tmp_path / "o.jsonl"), f"{empty} is empty (no rows)")
    rec = write_recipe(tmp_path / "r.yaml", {"source": str(empty), "stages": [{"type": "dedup"}], "output": {"name": "n"}})
    one_line_error(datagen("validate", rec), "is empty (no rows)")


# -- 10. discoverability -------------------------------------------------------------------


def test_version_short_help_and_clean_help_on_every_command():
    r = datagen("--version")
    assert r.returncode == 0 and re.fullmatch(r"datagen \d+\.\d+\.\d+\S*", r.stdout.strip()), r.stdout
    for cmd in COMMANDS:
        short, long = datagen(cmd, "-h"), datagen(cmd, "--help")
        assert short.returncode == 0 and short.stdout == long.stdout, cmd
        for internal in ("{input_}", "<list[str]>", "<bool>", "set_", "<NoneType>"):
            assert internal not in short.stdout, (cmd, internal, short.stdout)
    assert "{INPUT}" in datagen("verify", "-h").stdout


def test_list_prints_the_registries():
    out = {what: datagen("list", what) for what in ("recipes", "verifiers", "benchmarks", "generators", "filters")}
    assert all(r.returncode == 0 for r in out.values()), {k: r.stderr for k, r in out.items()}
    assert "recipes/quickstart.yaml" in out["recipes"].stdout and "Quickstart: rejection sampling" in out["recipes"].stdout
    names = {what: [line.split()[0] for line in r.stdout.splitlines()] for what, r in out.items()}
    from filters import REGISTRY as FILTERS
    from filters.benchmarks import DOMAINS
    from filters.benchmarks import REGISTRY as BENCHMARKS
    from filters.verify import VERIFIERS
    from generators import REGISTRY as GENERATORS

    assert names["verifiers"] == list(VERIFIERS) and names["generators"] == list(GENERATORS) and names["filters"] == list(FILTERS)
    assert names["benchmarks"] == [*BENCHMARKS, *DOMAINS]
    assert len(names["recipes"]) == len(list((REPO / "recipes").glob("*.yaml")))
    one_line_error(datagen("list", "models"), "recipes, verifiers")


def test_decontaminate_flag_reports_how_many_rows_it_flagged(tmp_path):
    q = "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether?"
    bench = write_jsonl(tmp_path / "bench.jsonl", [{"id": "b1", "question": q, "answer": "72"}])
    rows = write_jsonl(tmp_path / "rows.jsonl", [{"question": q, "answer": "72"},
                                                 {"question": "Name the capital of France and the river that runs through it.", "answer": "Paris"}])
    r = datagen("decontaminate", rows, "--benchmark", bench, "--methods", "ngram", "--action", "flag", "--out", tmp_path / "f.jsonl")
    assert r.returncode == 0, r.stderr
    assert "2 rows in, 2 kept, 0 rejected; 1 flagged" in r.stderr


def test_show_prints_tables_and_readme_has_the_recipe_reference(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", ROWS)
    store = tmp_path / "store"
    assert datagen("verify", src, "--verifier", "math_answer", "--out", "s", "--store", store).returncode == 0
    shown = datagen("show", "s@v1", "--store", store).stdout
    assert "{'prompt'" not in shown and "{'" not in shown
    lines = [line.split() for line in shown.splitlines()]
    assert ["tokens", "prompt", "completion", "total"] in lines and ["generated", "0", "0", "0"] in lines
    assert ["train", "2"] in lines and ["rejected", "0"] in lines
    # the error for an unknown recipe field names a README section that exists
    rec = write_recipe(tmp_path / "r.yaml", {"source": str(src), "stages": [{"type": "dedup"}], "output": {"name": "n"}, "extra": 1})
    r = datagen("validate", rec)
    section = re.search(r"README\.md, ([A-Za-z ]+)\)", r.stderr).group(1)
    assert re.search(rf"^#+ {section}$", (REPO / "README.md").read_text(), re.M), section


# -- 11. push offline ----------------------------------------------------------------------


@pytest.mark.parametrize("env", [{"HF_HUB_OFFLINE": "1"}, {"HF_HUB_OFFLINE": "0", "HF_ENDPOINT": "http://127.0.0.1:9"}])
def test_push_without_the_hub_is_one_line(tmp_path, env):
    store = tmp_path / "store"
    assert datagen("verify", write_jsonl(tmp_path / "in.jsonl", ROWS), "--verifier", "math_answer", "--out", "s", "--store", store).returncode == 0
    r = datagen("push", "s@v1", "--repo-id", "org/s", "--store", store, env={**os.environ, "HF_TOKEN": "hf_dummy", **env})
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot reach the Hugging Face Hub") and "HF_ENDPOINT" in lines[0], lines


# -- 12. train dpo on SFT data -------------------------------------------------------------


def test_train_dpo_on_sft_data_suggests_something_that_works(tmp_path):
    sft = write_jsonl(tmp_path / "sft.jsonl", ROWS)
    r = datagen("train", "dpo", "--data", sft, "--out", tmp_path / "run")
    one_line_error(r, "prompt/chosen/rejected", "recipes/preference_pairs.yaml", "output: pairs")
    assert "pairs: true" not in r.stderr and not (tmp_path / "run").exists()
    # what it suggests validates
    v = datagen("validate", REPO / "recipes" / "preference_pairs.yaml", "--set", "stages.0.output=pairs", cwd=tmp_path)
    assert v.returncode == 0, v.stderr


def test_run_limit_and_dry_run(tmp_path):
    """--limit takes the first N seed rows; --dry-run checks, prints the plan and which stages a
    re-run would reuse, and writes no version."""
    from tests.helpers import filter_recipe

    rows = [{"question": f"{i} + 1?", "answer": str(i + 1), "solution": f"\\boxed{{{i + 1}}}"} for i in range(20)]
    seeds = write_jsonl(tmp_path / "seeds.jsonl", rows)
    stages = [{"type": "verify", "verifier": "math_answer", "column": "solution"}, {"type": "dedup", "column": "question"}]
    recipe = write_recipe(tmp_path / "r.yaml", filter_recipe(seeds, name="lim", stages=stages))
    store = tmp_path / "store"
    plan = datagen("run", recipe, "--dry-run", "--limit", "5", "--store", store)
    assert plan.returncode == 0, plan.stderr
    assert "lim: 5 seed rows in 2 shards" in plan.stdout and plan.stdout.count("to run") == 2
    assert not (store / "lim").exists()
    r = datagen("run", recipe, "--limit", "5", "--store", store)
    assert r.returncode == 0 and r.stdout.strip().endswith("lim@v1"), r.stderr
    assert pl.read_parquet(store / "lim" / "v1" / "data").height == 5
    again = datagen("run", recipe, "--dry-run", "--limit", "5", "--store", store)
    assert again.stdout.count("reused 2/2 shards") == 2, again.stdout
    other = datagen("run", recipe, "--dry-run", "--store", store)  # all 20 rows: a new source, nothing reused
    assert "lim: 20 seed rows" in other.stdout and other.stdout.count("to run") == 2


def test_filter_errors_name_the_flags_and_flags_agree_across_commands(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"question": "What is 2 + 2?", "answer": "4"}])
    bad = datagen("decontaminate", src, "--benchmark", "gsm8k", "--methods", "ngram,bogus", "--out", tmp_path / "o.jsonl")
    assert bad.returncode == 2 and "--methods (item 2)" in bad.stderr and "option." not in bad.stderr
    bad = datagen("dedup", src, "--column", "nope", "--out", tmp_path / "o.jsonl")
    assert bad.returncode == 2 and "error: --column: no column 'nope'" in bad.stderr
    # --column and --method(s) mean the same on dedup and decontaminate
    ok = datagen("decontaminate", src, "--benchmark", "gsm8k", "--method", "ngram", "--column", "question", "--out", tmp_path / "d.jsonl")
    assert ok.returncode == 0, ok.stderr
    ok = datagen("dedup", src, "--methods", "exact", "--column", "question", "--out", tmp_path / "e.jsonl")
    assert ok.returncode == 0, ok.stderr
