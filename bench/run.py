"""Run every benchmark in bench/ (files named bench_*.py, each with a `main()`).

Each benchmark prints ratios against a baseline measured in the same run, never absolute
timings to compare across machines.
"""

import importlib
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def main() -> int:
    sys.path.insert(0, str(BENCH_DIR.parent))
    modules = sorted(BENCH_DIR.glob("bench_*.py"))
    if not modules:
        print("No benchmarks yet.")
        return 0
    for path in modules:
        print(f"== {path.stem}")
        importlib.import_module(f"bench.{path.stem}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
