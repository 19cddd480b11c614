#!/usr/bin/env bash
# GPU readiness, one short script for a CUDA machine (run by hand or through the device tool):
# 1. the quickstart with the CUDA vLLM build, 2. the same under --executor ray with one replica
# per GPU (same rows), 3. `datagen train sft` in bf16 (Liger kernels where installed).
# Prints one line per figure; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
DATAGEN_GPU=1 bash scripts/setup.sh
. .venv/bin/activate
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1
out=${GPU_CHECK_OUT:-$(mktemp -d)}
gpus=$(python -c "import torch; print(torch.cuda.device_count())")
echo "gpu_check: $gpus GPU(s): $(python -c 'import torch; print(torch.cuda.get_device_name(0))')"
t0=$(date +%s)
datagen run recipes/quickstart.yaml --store "$out/local" --set models.default.dtype=bfloat16 >/dev/null
echo "gpu_check: quickstart (vllm CUDA) $(( $(date +%s) - t0 )) s"
t0=$(date +%s)
datagen run recipes/quickstart.yaml --store "$out/ray" --set models.default.dtype=bfloat16 --executor ray \
  --set executor.replicas="$gpus" --set executor.num_gpus=1 >/dev/null
echo "gpu_check: quickstart --executor ray ($gpus replicas) $(( $(date +%s) - t0 )) s"
python - "$out" <<'PY'
import sys, polars as pl
a, b = (pl.read_parquet(f"{sys.argv[1]}/{k}/quickstart/v1/data").drop("meta").sort("id") for k in ("local", "ray"))
print("gpu_check: same rows under local and ray:", a.equals(b), f"({a.height} rows)")
PY
t0=$(date +%s)
liger=$(python -c "import importlib.util; print(importlib.util.find_spec('liger_kernel') is not None)")
datagen train sft --data quickstart@v1 --store "$out/local" --out "$out/sft" --set precision=bf16 --set max_steps=50 \
  $( [ "$liger" = True ] && echo "--set trl.use_liger_kernel=true" ) >/dev/null
echo "gpu_check: train sft bf16 (50 steps) $(( $(date +%s) - t0 )) s"
