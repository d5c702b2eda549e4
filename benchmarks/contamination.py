"""Benchmark: the contamination check's training-side throughput against plain Python.

The goal: the check streams a CPT corpus (NACHOS is 7.4 GB) at least at
20 MB of training text per second per core, against a plain-Python baseline
in the same run. Both sides read the same ``.txt`` file with the same reader
and the same normalisation (:func:`medfr_eval.contamination.ngrams.words`);
they differ in the matching:

- baseline: a Python ``set`` of the evaluation n-grams as tuples of words, and
  ``tuple(words[i:i + n]) in ngrams`` at every position of every document;
- ours (:mod:`medfr_eval.contamination.check`, what ``medfr-data contamination``
  runs): word ids, numpy polynomial hashes of every window, a bitmap filter,
  then exact comparison of the few candidates.

Both must find exactly the same contaminated items (checked; the run fails
otherwise). Speed is MB of training text per second of this process's CPU time
(one core: nothing here is multi-threaded), with the wall-clock figure beside
it; the median of ``--repeats`` scans is printed. Building the index (the
evaluation side, once per run) is timed apart and printed in seconds.

Data, all written by us: the training text is ``--mb`` MB made by recombining
the sentences of the sample CPT corpus we ship (``recipes/data/cpt_corpus.txt``),
with the text of ``--plant`` evaluation items slipped into some documents; the
evaluation side is the shipped samples of the 15 sets plus ``--extra-items``
items of random words drawn from the corpus vocabulary (about the size of the
study's 11,800 test items), so that the index has a realistic size.

Run::

    python benchmarks/contamination.py                  # 16 MB, about a minute
    python benchmarks/contamination.py --corpus nachos.txt --mb 0   # a real corpus
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from medfr_eval.contamination.check import EvalIndex, scan_files  # noqa: E402
from medfr_eval.contamination.evalitems import EvalItem, load_items, resolve_sets  # noqa: E402
from medfr_eval.contamination.ngrams import words  # noqa: E402
from medfr_eval.contamination.readers import read_batches  # noqa: E402

GOAL_MB_S = 20.0


def sentences(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    out = [s.strip() + "." for s in text.replace("\n", " ").split(".") if len(s.split()) > 3]
    return out


def make_corpus(
    path: Path, mb: float, sents: list[str], planted: list[EvalItem], seed: int
) -> None:
    """About ``mb`` MB of blank-line-separated documents; ``planted`` items inside some."""
    rng = random.Random(seed)
    target = int(mb * 1e6)
    size = 0
    docs: list[str] = []
    plant_every = max(1, int(target / 4000 / max(len(planted), 1)))
    queue = list(planted)
    while size < target:
        doc = " ".join(rng.choice(sents) for _ in range(rng.randint(5, 40)))
        if queue and len(docs) % plant_every == 0:
            doc += " " + " ".join(queue.pop().segments) + " " + rng.choice(sents)
        docs.append(doc)
        size += len(doc.encode("utf-8")) + 2
    path.write_text("\n\n".join(docs) + "\n", encoding="utf-8")


def extra_items(n_items: int, sents: list[str], seed: int) -> list[EvalItem]:
    """Random-word items: they fill the index without matching the corpus by chance."""
    rng = random.Random(seed + 1)
    vocab = sorted({w for s in sents for w in s.split()})
    return [
        EvalItem(
            "extra", f"x{i}", (" ".join(rng.choice(vocab) for _ in range(rng.randint(60, 200))),)
        )
        for i in range(n_items)
    ]


def baseline_build(items: list[EvalItem], n: int) -> dict[tuple[bytes, ...], list[int]]:
    """Plain Python: every evaluation n-gram as a tuple of words, with its items."""
    owners: dict[tuple[bytes, ...], list[int]] = {}
    for i, item in enumerate(items):
        for seg in item.segments:
            w = words(seg)
            for k in range(len(w) - n + 1):
                owners.setdefault(tuple(w[k : k + n]), []).append(i)
    return owners


def baseline_scan(owners: dict, path: Path, n: int) -> set[int]:
    """Plain Python: probe the set at every position of every document."""
    hit: set[int] = set()
    for batch in read_batches(path):
        for text in batch.texts:
            w = words(text)
            for k in range(len(w) - n + 1):
                found = owners.get(tuple(w[k : k + n]))
                if found:
                    hit.update(found)
    return hit


def ours_build(items: list[EvalItem], n: int) -> EvalIndex:
    return EvalIndex.build(items, n)


def ours_scan(idx: EvalIndex, path: Path, n: int) -> set[int]:
    idx.seen[:] = False
    scan_files(idx, [path])
    return {
        i
        for i in range(len(idx.items))
        if idx.seen[idx.item_grams[idx.item_ptr[i] : idx.item_ptr[i + 1]]].any()
    }


def timed(fn, *args):
    c0, w0 = time.process_time(), time.perf_counter()
    result = fn(*args)
    return time.process_time() - c0, time.perf_counter() - w0, result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mb", type=float, default=16.0, help="MB of generated training text")
    p.add_argument("--corpus", type=Path, help="a .txt corpus to scan instead of generated text")
    p.add_argument("-n", type=int, default=13)
    p.add_argument("--extra-items", type=int, default=12000)
    p.add_argument("--plant", type=int, default=40)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    sents = sentences(ROOT / "recipes" / "data" / "cpt_corpus.txt")
    samples = load_items(resolve_sets(None), "sample")
    items = samples + extra_items(args.extra_items, sents, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.corpus or Path(tmp) / "corpus.txt"
        if args.corpus is None:
            planted = random.Random(args.seed).sample(samples, min(args.plant, len(samples)))
            make_corpus(path, args.mb, sents, planted, args.seed)
        mb = path.stat().st_size / 1e6
        print(f"training text: {mb:.1f} MB; evaluation items: {len(items)}; n = {args.n}")
        sides = {"baseline": (baseline_build, baseline_scan), "ours": (ours_build, ours_scan)}
        builds: dict[str, float] = {}
        runs: dict[str, list[tuple[float, float]]] = {"baseline": [], "ours": []}
        found: dict[str, set[int]] = {}
        for name, (build, _) in sides.items():
            builds[name], _, built = timed(build, items, args.n)
            sides[name] = (built, sides[name][1])
        for _ in range(args.repeats):
            for name, (built, scan) in sides.items():
                cpu, wall, found[name] = timed(scan, built, path, args.n)
                runs[name].append((cpu, wall))
    same = found["baseline"] == found["ours"]
    print(f"{'':10} {'index (s)':>10} {'MB/s (CPU)':>11} {'MB/s (wall)':>12} {'items found':>12}")
    rate = {}
    for name, rs in runs.items():
        cpu = statistics.median(r[0] for r in rs)
        wall = statistics.median(r[1] for r in rs)
        rate[name] = mb / cpu
        print(
            f"{name:10} {builds[name]:10.2f} {mb / cpu:11.1f} {mb / wall:12.1f} {len(found[name]):12d}"
        )
    print(f"speed-up of the scan (CPU): {rate['ours'] / rate['baseline']:.1f}x")
    print(f"same contaminated items: {'yes' if same else 'NO'}")
    met = rate["ours"] >= GOAL_MB_S
    print(
        f"goal >= {GOAL_MB_S:.0f} MB/s per core: {'met' if met else 'NOT met'} ({rate['ours']:.1f} MB/s)"
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
