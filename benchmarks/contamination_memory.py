"""Benchmark: peak memory of ``medfr data contamination`` on a corpus without blank lines.

A ``.txt`` corpus holds one document per blank-line-separated block; a file with
no blank line is one document, and a file with no newline at all is one line.
The reader promises bounded memory whatever the layout: long documents are
scanned in bounded pieces and long lines read in bounded chunks. This builds
three files of the same size from the sample CPT corpus we ship
(``recipes/data/cpt_corpus.txt``):

- ``documents.txt``: blank-line-separated documents of a few sentences (the baseline);
- ``one_document.txt``: the same sentences, one per line, no blank line;
- ``one_line.txt``: the same sentences on a single line, no newline;

then runs the command on each in a fresh Python process (against the shipped
sample of PubMedQA) and prints each process's peak resident set
(``ru_maxrss``: interpreter and libraries included) and its ratio to the
baseline's. The files are written by another process, so that no measured
process inherits the memory that writing them took. ``--src DIR`` runs another medfr checkout's code the same way, side
by side (e.g. another branch), with the ratio of ours to it.

Run::

    python benchmarks/contamination_memory.py                 # 21 MB files, ~1 minute
    python benchmarks/contamination_memory.py --mb 140 --src ../medfr-main
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "recipes" / "data" / "cpt_corpus.txt"
#: goal: a corpus without blank lines costs at most this much more memory than one with them
GOAL_RATIO = 1.25
LAYOUTS = ("documents", "one_document", "one_line")

CHILD = r"""
import json, resource, sys, time
out, args = sys.argv[1], sys.argv[2:]
from medfr_eval.cli import run
from medfr_eval.contamination.cli import contamination
t0 = time.perf_counter()
rc = run(contamination, args)
seconds = time.perf_counter() - t0
rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with open(out, "w") as fh:
    json.dump({"rc": rc, "seconds": seconds, "maxrss_mb": rss_kb / 1024}, fh)
"""


def sentences() -> list[str]:
    text = CORPUS.read_text(encoding="utf-8")
    return [s.strip() + "." for s in text.replace("\n", " ").split(".") if len(s.split()) > 3]


def build(folder: Path, mb: float, seed: int = 0) -> dict[str, Path]:
    """The three layouts of the same ``mb`` MB of sentences."""
    rng = random.Random(seed)
    sents = sentences()
    target = int(mb * 1e6)
    chosen: list[str] = []
    size = 0
    while size < target:
        s = rng.choice(sents)
        chosen.append(s)
        size += len(s.encode("utf-8")) + 1
    docs = [" ".join(chosen[i : i + 8]) for i in range(0, len(chosen), 8)]
    paths = {name: folder / f"{name}.txt" for name in LAYOUTS}
    paths["documents"].write_text("\n\n".join(docs) + "\n", encoding="utf-8")
    paths["one_document"].write_text("\n".join(chosen) + "\n", encoding="utf-8")
    paths["one_line"].write_text(" ".join(chosen), encoding="utf-8")
    return paths


def build_apart(folder: Path, mb: float) -> dict[str, Path]:
    """:func:`build` in another process: Linux keeps a process's peak resident set
    across ``fork`` and ``exec``, so the measured children must be started from a
    parent that never held the corpus in memory."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import contamination_memory as m; "
        "m.build(__import__('pathlib').Path(sys.argv[2]), float(sys.argv[3]))"
    )
    here = str(Path(__file__).resolve().parent)
    subprocess.run([sys.executable, "-c", code, here, str(folder), str(mb)], check=True)
    return {name: folder / f"{name}.txt" for name in LAYOUTS}


def measure(src: Path, path: Path, folder: Path) -> dict:
    """One run of the command on ``path`` with the medfr code of ``src``, in a fresh process."""
    out = folder / f"{path.stem}.{abs(hash(str(src)))}.measure.json"
    args = [str(path), "--against", "pubmedqa", "--data", "sample", "-o", str(folder / "c.json")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(out), *args],
        env=env, cwd=folder, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0 or not out.exists():
        raise SystemExit(f"{src}: the run on {path.name} failed:\n{done.stderr[-2000:]}")
    return json.loads(out.read_text())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=float, default=21.0, help="size of each file (MB)")
    ap.add_argument("--src", type=Path, help="another medfr checkout to run side by side")
    ap.add_argument("--json", type=Path, help="write the numbers here too")
    args = ap.parse_args(argv)
    sources = {"ours": ROOT} | ({"other": args.src.resolve()} if args.src else {})
    results: dict[str, dict[str, dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        paths = build_apart(folder, args.mb)
        sizes = {k: p.stat().st_size / 1e6 for k, p in paths.items()}
        print(f"built 3 files of {sizes['documents']:.1f} MB in {time.perf_counter() - t0:.1f} s")
        for label, src in sources.items():
            results[label] = {k: measure(src, p, folder) for k, p in paths.items()}
    print(f"{'code':<6} {'layout':<13} {'MB':>6} {'peak RSS MB':>12} {'x baseline':>11} {'s':>6}"
          + ("  ours/other" if "other" in results else ""))  # fmt: skip
    worst = 0.0
    for label, rows in results.items():
        base = rows["documents"]["maxrss_mb"]
        for layout, r in rows.items():
            ratio = r["maxrss_mb"] / base
            if label == "ours":
                worst = max(worst, ratio)
            line = (f"{label:<6} {layout:<13} {sizes[layout]:6.1f} {r['maxrss_mb']:12.1f} "
                    f"{ratio:11.2f} {r['seconds']:6.1f}")  # fmt: skip
            if label == "ours" and "other" in results:
                line += f"  {r['maxrss_mb'] / results['other'][layout]['maxrss_mb']:10.2f}"
            print(line)
    print(f"goal: peak RSS without blank lines <= {GOAL_RATIO} x baseline: "
          f"{'met' if worst <= GOAL_RATIO else 'missed'} ({worst:.2f})")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps({"mb": sizes, "results": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
