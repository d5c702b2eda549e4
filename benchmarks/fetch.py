"""Benchmark: peak memory of `medfr-data fetch` on a small and a large BioInstructQA archive.

The goal: fetch streams the 485 MB archive and converts the 10 sets
(and their English twins) with memory that does not grow with the archive's
size. This builds two archives in BioMistral/BioInstructQA's exact layout
(``data.zip`` -> ``langs_processed/French-full.json``, one JSON list; items
written by us, padded with random hex so the zip does not compress them away),
then converts each in a fresh Python process and reports:

- ``tracemalloc`` peak: the most memory Python objects held during the fetch
  (imports excluded: tracing starts right before the call);
- ``ru_maxrss``: the process's peak resident set (interpreter and libraries
  included);
- as the baseline, the same two numbers for ``json.load`` of the same member,
  which is what a non-streaming reader would do.

Run::

    python benchmarks/fetch.py                          # ~1 MB vs ~100 MB of JSON
    python benchmarks/fetch.py --small-mb 0.5 --large-mb 20 --json out.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECORD_PAD = 20_000  # characters of context per record

CHILD = r"""
import json, resource, sys, time, tracemalloc, zipfile
from pathlib import Path
mode, src, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
from medfr_eval.data.fetch import fetch
from medfr_eval.data.public_sources.bioinstructqa import MEMBER
from medfr_eval.core.sets import PUBLIC_SETS
sets = [s.name for s in PUBLIC_SETS if s.public_source == "bioinstructqa"]
tracemalloc.start()
t0 = time.perf_counter()
if mode == "fetch":
    manifest = fetch(sets, out, src)
    items = sum(e["items"] for e in manifest["sets"].values())
else:
    with zipfile.ZipFile(src / "data.zip") as zf, zf.open(MEMBER) as fh:
        items = len(json.load(fh))
seconds = time.perf_counter() - t0
peak = tracemalloc.get_traced_memory()[1]
rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"items": items, "seconds": seconds, "tracemalloc_peak_mb": peak / 2**20,
                  "maxrss_mb": rss_kb / 1024}))
"""


def build(folder: Path, json_mb: float, pad: int = RECORD_PAD) -> dict:
    """A data.zip whose French file holds about ``json_mb`` MB of JSON."""
    import zipfile

    sys.path.insert(0, str(ROOT))
    from medfr_eval.data.public_sources.bioinstructqa import MEMBER
    from medfr_eval.data.public_sources.synthetic import write_bioinstructqa_streaming

    n_records = max(20, int(json_mb * 2**20 / (2 * pad)))
    path = write_bioinstructqa_streaming(folder, n_records, pad)
    with zipfile.ZipFile(path) as zf:
        json_bytes = zf.getinfo(MEMBER).file_size
    return {
        "records": n_records,
        "zip_mb": path.stat().st_size / 2**20,
        "json_mb": json_bytes / 2**20,
    }


def measure(mode: str, src: Path, out: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(src), str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--small-mb", type=float, default=1.0, help="JSON size of the small archive"
    )
    parser.add_argument(
        "--large-mb", type=float, default=100.0, help="JSON size of the large archive"
    )
    parser.add_argument("--pad", type=int, default=RECORD_PAD, help="context characters per record")
    parser.add_argument("--json", help="also write the numbers to this file")
    args = parser.parse_args(argv)
    report: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, size in (("small", args.small_mb), ("large", args.large_mb)):
            src = Path(tmp) / label
            t0 = time.perf_counter()
            info = build(src, size, args.pad)
            info["build_s"] = time.perf_counter() - t0
            info["fetch"] = measure("fetch", src, Path(tmp) / f"out-{label}")
            info["json_load"] = measure("json_load", src, Path(tmp) / "unused")
            report[label] = info
    small, large = report["small"], report["large"]
    print(
        f"{'archive':8} {'zip MB':>8} {'JSON MB':>8} {'records':>8} | "
        f"{'fetch peak MB':>13} {'fetch RSS MB':>12} {'fetch s':>8} | "
        f"{'json.load peak MB':>17} {'json.load RSS MB':>16}"
    )
    for label, info in report.items():
        f, j = info["fetch"], info["json_load"]
        print(
            f"{label:8} {info['zip_mb']:8.1f} {info['json_mb']:8.1f} {info['records']:8d} | "
            f"{f['tracemalloc_peak_mb']:13.2f} {f['maxrss_mb']:12.1f} {f['seconds']:8.2f} | "
            f"{j['tracemalloc_peak_mb']:17.1f} {j['maxrss_mb']:16.1f}"
        )
    growth = large["json_mb"] / small["json_mb"]
    fetch_ratio = large["fetch"]["tracemalloc_peak_mb"] / small["fetch"]["tracemalloc_peak_mb"]
    load_ratio = (
        large["json_load"]["tracemalloc_peak_mb"] / small["json_load"]["tracemalloc_peak_mb"]
    )
    print(
        f"archive {growth:.0f}x larger: fetch peak x{fetch_ratio:.2f}, json.load peak x{load_ratio:.1f}"
    )
    report["ratios"] = {"json": growth, "fetch_peak": fetch_ratio, "json_load_peak": load_ratio}
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, allow_nan=False) + "\n")
    return report


if __name__ == "__main__":
    main()
