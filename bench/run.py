"""Run every benchmark in bench/ (files named bench_*.py, each with a `main()`), or only
those named on the command line: `python bench/run.py storefront api`.

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
    wanted = {f"bench_{name.removeprefix('bench_')}" for name in sys.argv[1:]}
    if wanted:
        unknown = wanted - {path.stem for path in modules}
        if unknown:
            print(f"No such benchmark: {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        modules = [path for path in modules if path.stem in wanted]
    if not modules:
        print("No benchmarks yet.")
        return 0
    for path in modules:
        print(f"== {path.stem}")
        importlib.import_module(f"bench.{path.stem}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
