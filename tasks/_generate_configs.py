"""Write tasks/gen/, tasks/constrained/ and tasks/perm/ from medfr's set table.

    python tasks/_generate_configs.py          # write the files (and remove stale ones)
    python tasks/_generate_configs.py --check  # exit 1 listing what differs, 0 otherwise

Which set gets which leaf and group is decided in ``medfr_eval/lmeval/task_configs.py`` from
``medfr_eval/core/sets.py``: edit the table, run this, commit its output.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

TASKS = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    """Write or check the three folders; the exit status says whether they follow the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 on any difference"
    )
    parser.add_argument(
        "--tasks-dir", type=Path, default=TASKS, help="default: this script's folder"
    )
    args = parser.parse_args(argv)
    checkout = TASKS.parent / "medfr_eval"
    if checkout.is_dir():
        sys.path.insert(0, str(TASKS.parent))  # the set table beside these tasks
    import medfr_eval

    here = Path(medfr_eval.__file__).resolve().parent
    if checkout.is_dir() and here != checkout:
        # medfr's .pth hook imports medfr_eval at start-up, from wherever it is installed
        print(
            f"medfr_eval comes from {here}, not from {checkout}; "
            f"run with PYTHONPATH={TASKS.parent}",
            file=sys.stderr,
        )
        return 2
    from medfr_eval.lmeval.task_configs import differences, write

    found = differences(args.tasks_dir) if args.check else write(args.tasks_dir)
    for line in found:
        print(line)
    if args.check and found:
        print(f"{len(found)} file(s) differ from the set table; run python {sys.argv[0]}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
