"""`make bench`: run every benchmark script in its own process and print one JSON line each.

python -m tests.benchmarks.run_all [NAME ...]     # e.g. bench_rejection_vllm
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    names = argv or sorted(p.stem for p in HERE.glob("bench_*.py"))
    failed = 0
    for name in names:
        print(f"== {name}", flush=True)
        r = subprocess.run([sys.executable, "-m", f"tests.benchmarks.{name}"], cwd=HERE.parent.parent)
        failed += r.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
