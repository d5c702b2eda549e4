"""Speed of ``medfr study``: what the orchestration costs beside the evaluations, and ``compare``.

1. **Run**: a 3-model miniature study (tiny offline models, the shipped sample sets)
   through ``medfr study run --no-publish``, and the same three lm-eval calls by hand
   (the very commands ``medfr study plan`` prints: same options, a fresh response
   cache), side by side in one run, alternating which goes first. Prints both wall
   times and their ratio (goal <= 1.05), then ``medfr study publish`` (signif,
   comparison, board) beside ``medfr signif`` + ``medfr board build`` by hand.
2. **Compare**: ``medfr study compare`` of the shipped study's 11 models x 15 sets at
   the study's test sizes, 10,000 resamples, on synthetic sample logs (goal: well
   under 5 s for the whole command: reading every log, the bootstrap, every output).

    python benchmarks/study.py                      # both parts
    python benchmarks/study.py --part compare       # the comparison only (no model)
    python benchmarks/study.py --tasks medfr_all --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from medfr_eval.core.sets import BY_TASK
from medfr_eval.study import Layout, compare_run, load_paper_table, load_study, status
from medfr_eval.study.compare import compare_rows
from medfr_eval.study.plan import cache_prefix, lm_eval_argv, lm_eval_env
from medfr_eval.study.publish import covers_board
from medfr_eval.study.report import write_report
from medfr_eval.study.run import record_study
from medfr_eval.study.synthetic import write_model_run

OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false"}  # fmt: skip
MEDFR = [sys.executable, "-c", "from medfr_eval.cli import main; main()"]


def _study_text(models: dict[str, Path], bert: Path, tasks: str) -> str:
    lines = ["medfr_study: 1", "name: bench", f"tasks: [{tasks}]",
             "evaluation: {backend: hf, model_args: {dtype: float32}, device: cpu, batch_size: 16,",
             f"  data: sample, gen_kwargs: {{max_gen_toks: 8}}, bertscore: {{model: {json.dumps(str(bert))}, layer: 2}}}}",
             "significance: {resamples: 1000}", "models:"]  # fmt: skip
    for i, (name, path) in enumerate(models.items()):
        strategy = "base" if i == 0 else "CPT"
        lines.append(f"  - {{name: {name}, path: {json.dumps(str(path))}, strategy: {strategy}}}")
    return "\n".join(lines) + "\n"


def _timed(argv: list[str], env: dict[str, str], log: Path) -> float:
    start = time.perf_counter()
    with open(log, "a", encoding="utf-8") as fh:
        code = subprocess.run(
            argv, stdout=fh, stderr=subprocess.STDOUT, env={**os.environ, **env}
        ).returncode
    if code != 0:
        raise SystemExit(f"failed ({code}): {shlex.join(argv)}; see {log}")
    return time.perf_counter() - start


def _hand(study, root: Path, log: Path) -> tuple[float, list[Path]]:
    """The three lm-eval calls by hand: medfr study plan's commands, fresh output and cache."""
    lay = Layout(root)
    total, outs = 0.0, []
    for m in study.models:
        out = lay.model_dir(m)
        total += _timed(
            lm_eval_argv(study, m, out, cache_prefix(lay, study, m)),
            {**OFFLINE, **lm_eval_env(study)},
            log,
        )
        outs.append(next(out.iterdir()))
    return total, outs


def part_run(work: Path, tasks: str, repeats: int) -> dict:
    from medfr_eval.demo.tiny import build_tiny_bert, build_tiny_model

    base = build_tiny_model(work / "tiny")
    bert = build_tiny_bert(work / "bert")
    models = {}
    for name in ("bench-a", "bench-b", "bench-c"):
        models[name] = work / "models" / name
        shutil.copytree(base, models[name])
    spec = work / "study.yaml"
    spec.write_text(_study_text(models, bert, tasks), encoding="utf-8")
    study = load_study(spec)
    log = work / "bench.log"
    ours, hand, publish, hand_publish = [], [], [], []
    for rep in range(repeats):
        order = ("hand", "study") if rep % 2 == 0 else ("study", "hand")
        for who in order:
            if who == "hand":
                seconds, folders = _hand(study, work / f"hand-{rep}", log)
                hand.append(seconds)
                sig = work / f"hand-{rep}" / "signif"
                args = [str(f) for f in folders] + [
                    "--all-pairs",
                    "--resamples",
                    "1000",
                    "--out",
                    str(sig),
                ]
                t = _timed([*MEDFR, "signif", *args], OFFLINE, log)
                if covers_board(study):  # as medfr study publish: the board needs the 15 sets
                    t += _timed([*MEDFR, "board", "build", *map(str, folders), "--signif", str(sig / "signif.json"),
                                 "--board", str(work / f"hand-{rep}" / "entries"), "-o", str(work / f"hand-{rep}" / "site")],
                                OFFLINE, log)  # fmt: skip
                hand_publish.append(t)
            else:
                run = str(work / f"study-{rep}")
                ours.append(
                    _timed(
                        [*MEDFR, "study", "run", str(spec), "-o", run, "--no-publish"], OFFLINE, log
                    )
                )
                publish.append(
                    _timed([*MEDFR, "study", "publish", str(spec), "-o", run], OFFLINE, log)
                )
    med = {k: statistics.median(v) for k, v in
           {"study_run": ours, "hand": hand, "study_publish": publish, "hand_publish": hand_publish}.items()}  # fmt: skip
    med["ratio"] = med["study_run"] / med["hand"]
    med["publish_ratio"] = med["study_publish"] / med["hand_publish"]
    print(
        f"run, 3 models x {len(study.leaves)} sets, median of {repeats}: medfr study run "
        f"{med['study_run']:.1f} s, the three lm-eval calls by hand {med['hand']:.1f} s: "
        f"ratio {med['ratio']:.3f} (goal <= 1.05)"
    )
    print(
        f"publish: medfr study publish {med['study_publish']:.1f} s, medfr signif + medfr board build "
        f"by hand {med['hand_publish']:.1f} s: ratio {med['publish_ratio']:.3f}"
    )
    return med


def _values(rng: np.random.Generator, ability: float, n: int, task: str) -> list[float]:
    if BY_TASK[task].kind.startswith("openqa"):
        return list(np.clip(rng.normal(0.45 + ability / 4, 0.1, n), 0, 1))
    return list((rng.uniform(size=n) < ability).astype(float))


def part_compare(work: Path, scale: float, resamples: int, repeats: int) -> dict:
    study = load_study("belmadani2025")
    lay = Layout(work / "compare-run")
    record_study(study, lay)
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for m in study.models:
        ability = rng.uniform(0.3, 0.5)
        values = {
            t: _values(rng, ability, max(8, round(BY_TASK[t].study_size * scale)), t)
            for t in study.leaves
        }
        write_model_run(lay.model_dir(m), study, m, values)
    written = time.perf_counter() - start
    times = []
    for _ in range(repeats + 1):  # the first reads every log; the others find their scores saved
        t0 = time.perf_counter()
        result = compare_run(lay.root, resamples=resamples)
        write_report(result, lay.compare)
        times.append(time.perf_counter() - t0)
    cold, warm = times[0], min(times[1:])
    statuses = {m.name: status(study, lay, m) for m in study.models}
    t0 = time.perf_counter()
    compare_rows(study, load_paper_table(study.paper.tables, study), statuses, resamples, 0)
    boot = time.perf_counter() - t0
    rows = len(result.rows)
    print(
        f"compare: {len(study.models)} models x {len(study.leaves)} sets ({rows} published "
        f"figures), {resamples} resamples, logs at {scale:g} x the study's sizes: {warm:.2f} s "
        f"with the scores saved by an earlier read (best of {repeats}; goal well under 5 s); "
        f"{cold:.2f} s reading every sample log first ({written:.1f} s to write them); "
        f"the bootstraps and flags alone: {boot:.2f} s"
    )
    return {
        "compare_s": warm,
        "compare_cold_s": cold,
        "bootstrap_s": boot,
        "figures": rows,
        "resamples": resamples,
        "flags": sorted({r.flag for r in result.rows}),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=("all", "run", "compare"), default="all")
    ap.add_argument(
        "--tasks", default="medfr_mmlu_anatomy, medfr_frmedqa", help="the miniature study's tasks"
    )
    ap.add_argument("--repeats", type=int, default=1, help="run part: pairs of timings (median)")
    ap.add_argument("--scale", type=float, default=1.0, help="compare part: sizes x the study's")
    ap.add_argument("--resamples", type=int, default=10_000)
    ap.add_argument("--json", type=Path, help="write the numbers here")
    args = ap.parse_args(argv)
    report = {}
    with tempfile.TemporaryDirectory(prefix="medfr-bench-study-") as tmp:
        work = Path(tmp)
        if args.part in ("all", "compare"):
            report["compare"] = part_compare(work, args.scale, args.resamples, max(args.repeats, 1))
        if args.part in ("all", "run"):
            report["run"] = part_run(work, args.tasks, max(args.repeats, 1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
