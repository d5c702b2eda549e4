"""The MCQ decoding modes side by side (``python benchmarks/mcq_scoring.py --modes``).

One model object (a ``MedfrHFLM``; plain ``HFLM`` wraps the same weights) and
one synthetic set; each path is a real ``lm_eval.simple_evaluate`` of our
task as a user runs it. Forward passes are counted with the hook of
``mcq_scoring.PassCounter`` (rows = sequences through the model).

Goals: restricted = 1 pass per question; constrained single-answer
<= 1.2x the time of free greedy 1-token generation; K permutations = K+1
passes per question; logging letter probabilities (medfr-hf) adds no pass
over plain hf.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

CONSTRAINED_GOAL = 1.2


@dataclass
class ModeRun:
    name: str
    seconds: list
    rows: int = 0
    calls: int = 0


def _evaluate(lm, task, tm):
    import lm_eval

    return lm_eval.simple_evaluate(
        model=lm, tasks=[task], task_manager=tm, log_samples=True, verbosity="ERROR"
    )


def run_modes(args, bench) -> dict:
    """Time every mode (alternating, warm-up first, median of ``--repeats``) and count passes."""
    import statistics

    from lm_eval.models.huggingface import HFLM

    import medfr_eval
    from medfr_eval.core.errors import MedfrError
    from medfr_eval.core.sets import get_set
    from medfr_eval.data.load import load_records
    from medfr_eval.mcq.model import MedfrHFLM

    es = get_set(args.task)
    if es.kind != "mcq":
        raise MedfrError(f"--modes compares single-answer sets; {args.task!r} is {es.kind}")
    if args.permutations >= es.n_options:
        raise MedfrError(f"--permutations must be below the {es.n_options} options of {es.name}")
    with bench.model_and_data(args, es.name, prefix="medfr_modes_") as (model_path, data):
        n = len(load_records(es.name, data))
        ours = MedfrHFLM(
            pretrained=model_path, device=args.device, batch_size=args.batch_size, dtype=args.dtype
        )
        plain = HFLM(pretrained=ours.model, tokenizer=ours.tokenizer, batch_size=args.batch_size)
        tm = medfr_eval.task_manager(include_defaults=False, metadata={"medfr_data": data})
        tm_perm = medfr_eval.task_manager(
            include_defaults=False,
            metadata={"medfr_data": data, "medfr_permutations": args.permutations},
        )
        paths = {
            "restricted (hf log-likelihood)": (ours, es.task, tm),
            "free greedy 1 token (plain hf)": (plain, es.task + "_gen", tm),
            "free greedy 1 token (medfr-hf, letter probs)": (ours, es.task + "_gen", tm),
            "constrained (medfr-hf)": (ours, es.task + "_constrained", tm),
            f"restricted, K={args.permutations} permutations": (ours, es.task, tm_perm),
        }
        runs = {name: ModeRun(name, []) for name in paths}
        counter = bench.PassCounter()
        handle = ours.model.register_forward_hook(counter.hook, with_kwargs=True)
        try:
            for rep in range(args.repeats + 1):  # rep 0 is the warm-up
                for name, (lm, task, manager) in paths.items():
                    counter.reset()
                    t0 = time.perf_counter()
                    _evaluate(lm, task, manager)
                    wall = time.perf_counter() - t0
                    runs[name].rows, runs[name].calls = counter.rows, counter.calls
                    if rep:
                        runs[name].seconds.append(wall)
        finally:
            handle.remove()
    med = {name: statistics.median(r.seconds) for name, r in runs.items()}
    passes = {name: r.rows / n for name, r in runs.items()}
    restricted, free_plain, free_ours, constrained, perm = list(paths)
    ratio = med[constrained] / med[free_plain]
    goals = {
        "restricted_one_pass": passes[restricted] == 1.0,
        "constrained_vs_free": ratio <= CONSTRAINED_GOAL,
        "permutations_k_plus_1": passes[perm] == args.permutations + 1,
        "letter_probs_no_extra_pass": runs[free_ours].rows == runs[free_plain].rows,
    }
    return {
        "model": args.model
        or f"{args.offline_size} Mistral (medfr_eval.demo.tiny, random weights)",
        "task": es.task,
        "n_questions": n,
        "batch_size": args.batch_size,
        "device": args.device,
        "repeats": args.repeats,
        "permutations": args.permutations,
        "median_s": med,
        "passes_per_question": passes,
        "model_calls": {name: r.calls for name, r in runs.items()},
        "ratio_vs_free_plain": {name: med[name] / med[free_plain] for name in runs},
        "constrained_over_free": ratio,
        "goals": goals,
    }


def print_modes(rep: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"MCQ modes: {rep['task']}, {rep['n_questions']} questions, batch "
        f"{rep['batch_size']}, {rep['device']}, median of {rep['repeats']}"
    )
    for col in ("path", "wall s", "model calls", "passes/question", "x free (plain hf)"):
        table.add_column(col, justify="left" if col == "path" else "right", no_wrap=True)
    for name, sec in rep["median_s"].items():
        table.add_row(
            name,
            f"{sec:.3f}",
            str(rep["model_calls"][name]),
            f"{rep['passes_per_question'][name]:.2f}",
            f"{rep['ratio_vs_free_plain'][name]:.2f}x",
        )
    console = Console(width=130)
    console.print(table)
    ok = {True: "[green]met[/green]", False: "[red]NOT met[/red]"}
    g = rep["goals"]
    console.print(f"model: {rep['model']}")
    console.print(f"restricted: 1 forward pass per question: {ok[g['restricted_one_pass']]}")
    console.print(
        f"constrained / free greedy 1-token = {rep['constrained_over_free']:.2f}, "
        f"goal <= {CONSTRAINED_GOAL}: {ok[g['constrained_vs_free']]}"
    )
    console.print(
        f"K={rep['permutations']} permutations = K+1 passes per question: "
        f"{ok[g['permutations_k_plus_1']]}"
    )
    console.print(
        f"letter probabilities add no forward pass (medfr-hf vs plain hf): "
        f"{ok[g['letter_probs_no_extra_pass']]}"
    )


def run_modes_main(args, bench) -> int:
    return bench.report_main(lambda: run_modes(args, bench), print_modes, dict, args.json)
