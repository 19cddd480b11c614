#!/usr/bin/env bash
# Set up (if needed) and run the quickstart recipe: the embedded tiny model, procedural
# math, fully offline. Prints the new version ref last.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export VLLM_CPU_KVCACHE_SPACE=${VLLM_CPU_KVCACHE_SPACE:-2}
.venv/bin/datagen run recipes/quickstart.yaml "$@"
