"""Run benchmark groups: `python tests/bench/run.py [group]`.

Each group is a module `tests/bench/bench_<group>.py` with a `run()` function that
prints one `figure_name: value unit` line per figure.
"""

import importlib
import pathlib
import sys

BENCH_DIR = pathlib.Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent.parent


def main(argv: list[str]) -> int:
    sys.path[:0] = [str(ROOT), str(BENCH_DIR)]
    groups = sorted(path.stem.removeprefix("bench_") for path in BENCH_DIR.glob("bench_*.py"))
    wanted = argv[1:] or groups
    unknown = [name for name in wanted if name not in groups]
    if unknown:
        print(f"unknown benchmark group(s): {', '.join(unknown)}; known: {', '.join(groups)}")
        return 2
    for name in wanted:
        print(f"# {name}", flush=True)
        importlib.import_module(f"bench_{name}").run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
