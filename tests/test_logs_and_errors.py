"""What a new user sees: a model that cannot be loaded fails fast with one line naming the
model, the backend and the fix (exit 2 for a bad name, 1 for an unreachable Hub); `datagen
eval` prints only its result on stdout; `-v/--verbose` and `--quiet`; progress lines of the
filter commands; a quiet ONNX export."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from datagen.errors import DatagenError, UserError
from tests.helpers import write_jsonl

REPO = Path(__file__).resolve().parent.parent
QUICK = REPO / "recipes" / "quickstart.yaml"
VLLM_INFO = re.compile(r"\bINFO \d\d-\d\d \d\d:\d\d:\d\d \[")  # vLLM's log format


def offline_env(**extra) -> dict:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **extra}


def datagen(*args, env=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "datagen", *map(str, args)], capture_output=True, text=True, cwd=REPO,
                          env=env or offline_env(), timeout=timeout)


@pytest.mark.parametrize("backend", ["vllm", "transformers"])
@pytest.mark.parametrize(("model", "code", "fix"), [
    ("nonexistent/model-xyz", 1, "hf download nonexistent/model-xyz"),  # a valid id, the Hub offline
    ("/nonexistent/models/my-sft", 2, "no such file or directory"),  # a local path that does not exist
    ("not a model id!", 2, "nor a valid Hugging Face id"),
])
def test_a_model_that_cannot_be_loaded_is_one_line(tmp_path, backend, model, code, fix):
    r = datagen("run", QUICK, "--store", tmp_path / "s", "--set", f"models.default.backend={backend}",
                "--set", f"models.default.model={model}", "--set", "source.n=4")
    assert r.returncode == code, r.stderr[-3000:]
    errors = [line for line in r.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in r.stderr, r.stderr[-3000:]
    line = errors[0]
    assert f"'{model}'" in line and f"backend {backend}" in line and "models.default.model" in line and fix in line
    assert r.stdout == "" and not list((tmp_path / "s").glob("quickstart/v*"))


def test_a_missing_model_fails_before_any_engine_import(tmp_path):
    """The check runs before vllm / torch / transformers are imported: no engine start-up."""
    code = """
import sys
from datagen.errors import DatagenError
from datagen.llm import make_backend
from schemas.models import ModelSpec
out = []
for backend in ("vllm", "transformers"):
    for model in ("nonexistent/model-xyz", "/nonexistent/dir", "bad id!"):
        try:
            make_backend(ModelSpec(backend=backend, model=model), field="--model")
        except DatagenError as e:
            out.append(e.exit_code)
print(out, sorted(m for m in ("vllm", "torch", "transformers") if m in sys.modules))
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=offline_env(), timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[1, 2, 2, 1, 2, 2] []"


def test_a_directory_that_is_no_model_is_bad_input(tmp_path):
    from datagen.llm import make_backend
    from schemas.models import ModelSpec

    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match=r"models.m.model .*empty.* \(backend transformers\): the directory has no config.json"):
        make_backend(ModelSpec(backend="transformers", model=str(tmp_path / "empty")), field="models.m.model")


def test_load_errors_map_to_exit_codes():
    """What an engine raises while loading: not found on the Hub -> 2, no network -> 1, other -> unchanged."""
    import huggingface_hub.errors as hf

    from datagen.llm.model_ref import load_error

    def hub_error(cls, msg="x"):
        e = cls.__new__(cls)
        Exception.__init__(e, msg)
        return e

    def wrapped(inner):  # as vLLM raises them: another exception on top
        try:
            try:
                raise inner
            except Exception as e:
                raise ValueError("could not load the model") from e
        except ValueError as outer:
            return outer

    cases = [
        (hub_error(hf.RepositoryNotFoundError, "404"), 2, "no such model on the Hub"),
        (hub_error(hf.GatedRepoError, "403"), 2, "gated"),
        (wrapped(hf.LocalEntryNotFoundError("no cache")), 1, "could not be reached"),
        (wrapped(hf.OfflineModeIsEnabled("offline")), 1, "could not be reached"),
        (wrapped(ConnectionRefusedError(111, "Connection refused")), 1, "unreachable"),
        (OSError("org/x is not a local folder and is not a valid model identifier listed on 'https://huggingface.co/models'"), 2, "no such model"),
    ]
    for exc, code, text in cases:
        err = load_error(exc, "org/x", "vllm", "models.default.model")
        assert isinstance(err, DatagenError) and err.exit_code == code and text in str(err), (exc, err)
        assert "models.default.model 'org/x' (backend vllm)" in str(err) and "\n" not in str(err)
    assert load_error(RuntimeError("CUDA out of memory"), "org/x", "vllm") is None


def test_eval_with_a_missing_model_names_the_flag(tmp_path):
    r = datagen("eval", "--data", "procedural", "--limit", "2", "--model", "nonexistent/model-xyz", "--store", tmp_path / "s")
    assert r.returncode == 1 and r.stdout == ""
    assert "error: --model 'nonexistent/model-xyz' (backend vllm)" in r.stderr and "Traceback" not in r.stderr


def test_embedding_model_that_cannot_be_loaded_is_one_line(tmp_path):
    rows = write_jsonl(tmp_path / "r.jsonl", [{"completion": "a b c"}, {"completion": "a b c"}])
    r = datagen("dedup", rows, "--method", "embedding", "--model", "nonexistent/emb-xyz", "--out", tmp_path / "o.jsonl")
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr[-3000:]
    assert "error: embedding model 'nonexistent/emb-xyz' (sentence-transformers)" in r.stderr and "hf download" in r.stderr
    r = datagen("dedup", rows, "--method", "embedding", "--model", "./no/such/dir", "--out", tmp_path / "o.jsonl")
    assert r.returncode == 2 and "no such file or directory" in r.stderr


def test_global_options_and_filter_progress_lines(tmp_path):
    """`-v/--verbose` and `-q/--quiet` are global options; `verify` / `dedup` report on stderr
    what they are doing (one line each off a terminal), nothing with --quiet; stdout is the result."""
    help_ = datagen("--help")
    assert "--verbose" in help_.stdout and "--quiet" in help_.stdout
    rows = write_jsonl(tmp_path / "r.jsonl", [{"completion": "The answer is \\boxed{4}.", "answer": "4"},
                                               {"completion": "The answer is \\boxed{5}.", "answer": "4"}])
    r = datagen("verify", rows, "--verifier", "math_answer", "--out", tmp_path / "v.jsonl")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(tmp_path / "v.jsonl")
    assert "verify: 2 rows" in r.stderr, r.stderr
    q = datagen("--quiet", "dedup", rows, "--method", "embedding", "--column", "completion", "--out", tmp_path / "d.jsonl")
    assert q.returncode == 0, q.stderr
    assert "encoding" not in q.stderr and "rows ..." not in q.stderr
    d = datagen("dedup", rows, "--method", "embedding", "--column", "completion", "--out", tmp_path / "d.jsonl")
    assert d.returncode == 0 and "encoding (all-MiniLM-L6-v2, torch): 2" in d.stderr, d.stderr


def test_configure_output_sets_levels_and_keeps_user_settings(monkeypatch):
    import logging

    from datagen import progress

    for var in ("VLLM_LOGGING_LEVEL", "DATAGEN_VERBOSE", "DATAGEN_QUIET", "TRANSFORMERS_VERBOSITY", "PYTHONWARNINGS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("VLLM_LOGGING_STREAM", "ext://sys.stderr")
    saved = {n: logging.getLogger(n).level for n in progress.QUIET_LOGGERS}
    env = dict(os.environ)
    try:
        progress.configure_output()
        assert os.environ["VLLM_LOGGING_LEVEL"] == "ERROR" and not progress.verbose() and not progress.quiet()
        assert logging.getLogger("httpx").level == logging.WARNING and logging.getLogger("vllm").level == logging.ERROR
        monkeypatch.setenv("VLLM_LOGGING_LEVEL", "DEBUG")  # the user's choice stands
        progress.configure_output(quiet=True)
        assert os.environ["VLLM_LOGGING_LEVEL"] == "DEBUG" and progress.quiet()
        monkeypatch.delenv("VLLM_LOGGING_LEVEL")
        monkeypatch.delenv("DATAGEN_QUIET")
        progress.configure_output(verbose=True)
        assert progress.verbose() and "VLLM_LOGGING_LEVEL" not in os.environ
    finally:
        os.environ.clear()
        os.environ.update(env)
        for n, level in saved.items():
            logging.getLogger(n).setLevel(level)
        import warnings

        warnings.resetwarnings()


def test_stdout_to_stderr_covers_child_processes(capfd):
    from datagen.progress import stdout_to_stderr

    with stdout_to_stderr():
        print("from python")
        subprocess.run([sys.executable, "-c", "print('from a child')"], check=True)
    print("result")
    out, err = capfd.readouterr()
    assert out == "result\n" and "from python" in err and "from a child" in err


def test_onnx_export_is_quiet(tmp_path):
    """The first `onnx-int8` encode exports the model: no TracerWarnings or exporter notes."""
    code = "from datagen.embeddings import embed; print(embed(['one text', 'another text here'], runtime='onnx-int8').shape)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=600,
                       env=offline_env(DATAGEN_CACHE=str(tmp_path / "cache")))
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.strip() == "(2, 384)"
    assert "Warning" not in r.stderr and "WARNING" not in r.stderr, r.stderr[-3000:]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_eval_stdout_is_only_the_result(tiny_model, tmp_path):
    """`datagen -v eval` on vLLM: vLLM's INFO lines (on with -v) all go to stderr; stdout is the JSON result."""
    r = datagen("-v", "eval", "--model", tiny_model, "--data", "procedural", "--limit", "3", "--k", "1", "--max-tokens", "32",
                "--store", tmp_path / "s", timeout=800)
    assert r.returncode == 0, r.stderr[-3000:]
    lines = r.stdout.splitlines()
    assert len(lines) == 1, r.stdout[-3000:]
    res = json.loads(lines[0])
    assert res["backend"] == "vllm" and res["problems"] == 3 and "pass@1" in res
    # with -v the libraries' own output comes back on stderr: vLLM's weight-loading bar (off by
    # default). (vLLM's INFO lines also come back when nothing else in the environment turns
    # vLLM's logging down; the full suite once ran with them absent, cause not found.)
    assert "Loading safetensors checkpoint shards" in r.stderr, r.stderr[-3000:]
    assert f"starting vLLM (model {tiny_model})" in r.stderr


def test_verbose_undoes_quiet_defaults_inherited_from_an_earlier_datagen(monkeypatch):
    """A process that ran datagen quietly leaves its quiet defaults in the environment; a
    child `datagen -v` must not read them as the user's choice."""
    from datagen.progress import configure_output

    for var in ("VLLM_LOGGING_LEVEL", "DATAGEN_QUIETED", "DATAGEN_VERBOSE"):
        monkeypatch.delenv(var, raising=False)
    configure_output()
    assert os.environ["VLLM_LOGGING_LEVEL"] == "ERROR" and "VLLM_LOGGING_LEVEL" in os.environ["DATAGEN_QUIETED"]
    configure_output(verbose=True)
    assert "VLLM_LOGGING_LEVEL" not in os.environ and "DATAGEN_QUIETED" not in os.environ
    monkeypatch.setenv("VLLM_LOGGING_LEVEL", "WARNING")  # the user's own setting stays
    configure_output()
    configure_output(verbose=True)
    assert os.environ["VLLM_LOGGING_LEVEL"] == "WARNING"


def test_verbose_wins_over_an_inherited_quiet(monkeypatch):
    """`datagen --quiet` run in-process leaves DATAGEN_QUIET=1 behind; a child `datagen -v`
    shows its progress lines all the same."""
    from datagen.progress import configure_output, quiet

    monkeypatch.delenv("DATAGEN_QUIET", raising=False)
    configure_output(quiet=True)
    assert quiet()
    configure_output(verbose=True)
    assert not quiet()
