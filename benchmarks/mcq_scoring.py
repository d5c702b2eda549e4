"""Benchmark: our MCQ path through lm-eval against a bare batched transformers loop.

The question: does scoring restricted-choice MCQ through lm-eval (our task
YAML, ``output_type: multiple_choice`` over " A" ... " E") cost much more
than the least a program could do with the same model on the same data: one
forward pass per question and an argmax over the letter logits at the last
position. Goals: ours / baseline <= 1.3 and exactly 1 forward pass per question.

Both paths share one model object (the ``HFLM``'s), so dtype, device and
weights are the same by construction. By default the model is the tiny
Mistral of :mod:`medfr_eval.demo.tiny` and the data a synthetic set in our JSONL
schema, made by recombining the questions and options of the samples we ship
(so sizes are meaningful without any download). Real users pass ``--model``
(a local folder or a Hub id) and ``--device cuda``; ``--data`` points at a
folder of ``<set>.jsonl`` files in our schema instead of the synthetic set.

With ``--modes`` it compares the decoding modes instead
(``benchmarks/mcq_modes.py``): goals constrained <= 1.2x free greedy 1-token
generation, K permutations = K+1 passes per question, letter probabilities
logged with no extra pass.

Run::

    python benchmarks/mcq_scoring.py --modes --n 200      # the modes, side by side
    python benchmarks/mcq_scoring.py                     # tiny model, 400 questions, CPU
    python benchmarks/mcq_scoring.py --model mistralai/Mistral-7B-v0.1 \\
        --device cuda --dtype bfloat16 --n 1273 --batch-size 32

Timings: ``time.perf_counter`` around each path, after one untimed warm-up
run of each; the two paths alternate, and the median of ``--repeats`` runs is
reported. Model loading is outside both timings; loading and rendering the
data is inside both (lm-eval builds its docs from our loader, the baseline
calls the same loader).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from medfr_eval.core.errors import MedfrError

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

RATIO_GOAL = 1.3
PASSES_GOAL = 1.0


# ---------------------------------------------------------------- data

# Offline model sizes (medfr_eval.demo.tiny.build_tiny_model overrides).
OFFLINE_SIZES: dict[str, dict[str, int]] = {
    "tiny": {},
    "small": {
        "hidden_size": 512,
        "intermediate_size": 1536,
        "num_hidden_layers": 6,
        "num_attention_heads": 8,
        "num_key_value_heads": 4,
    },
}


def synthetic_records(set_name: str, n: int, seed: int = 0) -> list[dict]:
    """``n`` MCQ items in our schema, recombined from the shipped samples of the same shape.

    Questions, option lists (shuffled) and, for sets with a context, contexts
    are drawn independently from every shipped single-answer set with the same
    number of options, so prompt lengths vary as in real data. The answers are
    random letters: the benchmark compares two ways of computing the same
    argmax, not accuracy.
    """
    from medfr_eval.core.sets import SETS, get_set
    from medfr_eval.data.load import load_records

    es = get_set(set_name)
    pool = [
        rec
        for other in SETS
        if other.kind == "mcq"
        and other.n_options == es.n_options
        and other.has_context == es.has_context
        for rec in load_records(other.name, "sample")
    ]
    rng = random.Random(seed)
    out = []
    for i in range(n):
        options = list(rng.choice(pool)["options"])
        rng.shuffle(options)
        rec = {
            "id": f"bench-{i:05d}",
            "question": rng.choice(pool)["question"],
            "options": options,
            "answer": rng.choice(es.letters),
        }
        if es.has_context:
            rec["context"] = rng.choice(pool)["context"]
        out.append(rec)
    return out


def write_jsonl(path: Path, records: Sequence[dict]) -> None:
    """Write records as JSONL through a temp file, so no half-written set is ever read."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


# ---------------------------------------------------------------- counting passes


@dataclass
class PassCounter:
    """Counts model calls and the rows (sequences) they carry, via a forward hook.

    A hook on the top-level model sees every forward, whoever calls it (lm-eval
    passes ``input_ids`` positionally, our baseline by keyword).
    """

    calls: int = 0
    rows: int = 0

    def hook(self, module, args, kwargs, output) -> None:
        ids = args[0] if args else kwargs.get("input_ids")
        self.calls += 1
        self.rows += int(ids.shape[0]) if ids is not None else 1

    def reset(self) -> None:
        self.calls = self.rows = 0


# ---------------------------------------------------------------- the two paths


def run_lm_eval(lm, task: str, task_manager) -> dict[str, int]:
    """Our path: ``lm_eval.simple_evaluate`` on our task, as a user runs it (with sample logs).

    Returns the predicted choice index per doc id, read from the sample log
    (argmax of the per-letter log-likelihoods, as lm-eval's ``acc`` does).
    """
    import lm_eval

    out = lm_eval.simple_evaluate(
        model=lm, tasks=[task], task_manager=task_manager, log_samples=True, verbosity="ERROR"
    )
    preds = {}
    for sample in out["samples"][task]:
        lls = [resp[0] for resp in sample["filtered_resps"]]
        preds[sample["doc"]["id"]] = max(range(len(lls)), key=lambda i: (lls[i], -i))
    return preds


def run_baseline(model, tokenizer, set_name: str, data: str, batch_size: int) -> dict[str, int]:
    """The least one can do: left-padded batches, one forward each, letter argmax at the end.

    Prompts come from the same loader and renderer as the task
    (``medfr_eval.data.load.build_docs``) and are tokenized as lm-eval's HF backend
    does (the tokenizer's default special tokens). Sorting by length (as
    lm-eval does) keeps padding low; explicit position ids keep left padding
    from shifting positions, so the logits match the unpadded ones.
    """
    import torch

    from medfr_eval.core.sets import get_set
    from medfr_eval.data.load import build_docs, load_records

    es = get_set(set_name)
    docs = build_docs(es, load_records(es.name, data))
    letter_ids = letter_token_ids(tokenizer, es.letters)
    encoded = tokenizer([d["prompt"] for d in docs])["input_ids"]
    order = sorted(range(len(docs)), key=lambda i: -len(encoded[i]))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    device = next(model.parameters()).device
    preds: dict[str, int] = {}
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            width = max(len(encoded[i]) for i in batch)
            ids = torch.full((len(batch), width), pad, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, i in enumerate(batch):
                seq = encoded[i]
                ids[row, width - len(seq) :] = torch.tensor(seq)
                mask[row, width - len(seq) :] = 1
            positions = (mask.cumsum(-1) - 1).clamp(min=0)
            logits = model(
                input_ids=ids.to(device),
                attention_mask=mask.to(device),
                position_ids=positions.to(device),
            ).logits[:, -1, :]
            picks = logits[:, letter_ids].argmax(-1).tolist()
            for i, pick in zip(batch, picks):
                preds[docs[i]["id"]] = int(pick)
    return preds


def letter_token_ids(tokenizer, letters: Sequence[str]) -> list[int]:
    """Token id of " A", " B", ...; each must be one token or a single pass cannot score it."""
    ids = []
    for letter in letters:
        toks = tokenizer(" " + letter, add_special_tokens=False)["input_ids"]
        if len(toks) != 1:
            raise MedfrError(
                f"the tokenizer splits ' {letter}' into {len(toks)} tokens; one forward pass "
                f"per question needs single-token answer letters"
            )
        ids.append(toks[0])
    return ids


# ---------------------------------------------------------------- report


@dataclass
class PathResult:
    name: str
    seconds: list[float] = field(default_factory=list)  # wall clock (perf_counter)
    cpu_seconds: list[float] = field(default_factory=list)  # this process (process_time)
    calls: int = 0
    rows: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu_seconds)

    def timed(self, fn, keep: bool, counter: PassCounter):
        """Run ``fn`` once, counting its forward passes; keep its times unless it is the warm-up."""
        counter.reset()
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        self.calls, self.rows = counter.calls, counter.rows
        if keep:
            self.seconds.append(wall)
            self.cpu_seconds.append(cpu)
        return out, wall


@dataclass
class Report:
    model: str
    task: str
    n_questions: int
    batch_size: int
    device: str
    dtype: str
    threads: int
    repeats: int
    ours: PathResult
    baseline: PathResult
    mismatches: int
    mismatch_ids: list[str]

    @property
    def ratio(self) -> float:
        return self.ours.median / self.baseline.median

    @property
    def cpu_ratio(self) -> float:
        return self.ours.cpu_median / self.baseline.cpu_median

    def passes_per_question(self, path: PathResult) -> float:
        return path.rows / self.n_questions

    @property
    def goals(self) -> dict[str, bool]:
        return {
            "ratio": self.ratio <= RATIO_GOAL,
            "passes": self.passes_per_question(self.ours) == PASSES_GOAL,
            "agree": self.mismatches == 0,
        }

    def to_json(self) -> dict:
        out = asdict(self)
        out.update(
            ratio=self.ratio,
            cpu_ratio=self.cpu_ratio,
            ours_median_s=self.ours.median,
            baseline_median_s=self.baseline.median,
            ours_passes_per_question=self.passes_per_question(self.ours),
            baseline_passes_per_question=self.passes_per_question(self.baseline),
            goals=self.goals,
        )
        return out


def print_report(rep: Report, console=None) -> None:
    """A rich table, side by side, with the goals."""
    from rich.console import Console
    from rich.table import Table

    def ok(flag: bool) -> str:
        return "[green]met[/green]" if flag else "[red]NOT met[/red]"

    table = Table(
        title=(
            f"MCQ scoring: {rep.task}, {rep.n_questions} questions, batch {rep.batch_size}, "
            f"{rep.device}/{rep.dtype}, {rep.threads} CPU thread(s), median of {rep.repeats}"
        )
    )
    columns = ("path", "wall s", "CPU s", "questions/s", "model calls", "passes/question", "ratio")
    for col in columns:
        table.add_column(col, justify="left" if col == "path" else "right", no_wrap=True)
    for path in (rep.ours, rep.baseline):
        table.add_row(
            path.name,
            f"{path.median:.3f}",
            f"{path.cpu_median:.3f}",
            f"{rep.n_questions / path.median:.1f}",
            str(path.calls),
            f"{rep.passes_per_question(path):.2f}",
            f"{path.median / rep.baseline.median:.2f}x",
        )
    console = console or Console(width=120)
    console.print(table)
    goals = rep.goals
    console.print(f"model: {rep.model}")
    console.print(
        f"ratio ours/baseline (wall) = {rep.ratio:.2f}, goal <= {RATIO_GOAL}: {ok(goals['ratio'])}"
        f"   (CPU-time ratio {rep.cpu_ratio:.2f}, steadier on a shared machine)"
    )
    console.print(
        f"forward passes per question (ours) = {rep.passes_per_question(rep.ours):.2f}, "
        f"goal exactly 1: {ok(goals['passes'])}"
    )
    console.print(
        f"predictions that differ between the paths: {rep.mismatches}"
        + (f" (ids: {', '.join(rep.mismatch_ids[:10])})" if rep.mismatches else "")
        + f", goal 0: {ok(goals['agree'])}"
    )


# ---------------------------------------------------------------- driver


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="lm-eval MCQ scoring vs a bare batched transformers loop (ratio, passes/question)."
    )
    p.add_argument("--model", help="model folder or Hub id (default: tiny Mistral built offline)")
    p.add_argument(
        "--offline-size",
        choices=sorted(OFFLINE_SIZES),
        default="tiny",
        help="size of the offline model when --model is not given: 'tiny' (2 layers, 64 wide: "
        "measures lm-eval's fixed per-question cost) or 'small' (6 layers, 512 wide: the "
        "forward pass starts to dominate, as with a real model)",
    )
    p.add_argument(
        "--task", default="medqa_4opt", help="single-answer MCQ set (default medqa_4opt)"
    )
    p.add_argument("--n", type=int, default=400, help="synthetic questions (default 400)")
    p.add_argument("--data", help="folder of <set>.jsonl in the medfr schema instead of synthetic")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--device", default="cpu")
    p.add_argument("--dtype", default="float32", help="torch dtype for the model (default float32)")
    p.add_argument("--repeats", type=int, default=3, help="timed runs per path (median reported)")
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads (default 1: on a small shared machine idle threads spinning "
        "under load make timings swing several-fold; 0 keeps torch's default)",
    )
    p.add_argument("--json", type=Path, help="also write the report as JSON to this file")
    p.add_argument(
        "--modes",
        action="store_true",
        help="compare the decoding modes instead: restricted, free greedy 1-token "
        "generation with plain hf and with medfr-hf, letter-constrained generation, and "
        "restricted with --permutations K; forward passes per question and time ratios",
    )
    p.add_argument(
        "--permutations", type=int, default=2, help="K for --modes (default 2: 3 orders)"
    )
    args = p.parse_args(argv)
    for name in ("n", "batch_size", "repeats"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1")
    if args.threads < 0:
        p.error("--threads must be >= 0")
    if args.permutations < 0:
        p.error("--permutations must be >= 0")
    return args


@contextmanager
def model_and_data(
    args: argparse.Namespace, set_name: str, prefix: str
) -> Iterator[tuple[str, str]]:
    """``(model path, data folder)`` for a benchmark run, lm-eval's logging quieted and
    ``--threads`` applied: ``--model`` / ``--data`` when given, else a tiny model of
    ``--offline-size`` and ``--n`` synthetic items, built in a temporary folder
    that is removed afterwards (the offline run needs no download)."""
    import logging

    logging.getLogger("lm_eval").setLevel(logging.ERROR)
    if args.threads > 0:
        import torch

        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        model_path = args.model
        if model_path is None:
            from medfr_eval.demo.tiny import build_tiny_model

            model_path = str(
                build_tiny_model(Path(tmp) / "tiny_mistral", **OFFLINE_SIZES[args.offline_size])
            )
        if args.data:
            data = str(Path(args.data).expanduser())
        else:
            data = str(Path(tmp) / "data")
            Path(data).mkdir()
            write_jsonl(Path(data) / f"{set_name}.jsonl", synthetic_records(set_name, args.n))
        yield model_path, data


def run(args: argparse.Namespace) -> Report:
    """Build model and data, warm both paths up, then time them alternately."""

    from lm_eval.models.huggingface import HFLM
    from rich.console import Console

    import medfr_eval
    from medfr_eval.core.sets import get_set
    from medfr_eval.data.load import load_records

    es = get_set(args.task)
    if es.kind != "mcq":
        raise MedfrError(
            f"--task {args.task!r} is a {es.kind} set; this benchmark covers the "
            f"single-answer MCQ sets (one forward pass per question)"
        )
    with model_and_data(args, es.name, prefix="medfr_bench_") as (model_path, data):
        n_questions = len(load_records(es.name, data))

        lm = HFLM(
            pretrained=model_path,
            device=args.device,
            batch_size=args.batch_size,
            dtype=args.dtype,
        )
        model, tokenizer = lm.model, lm.tokenizer
        model.eval()
        tm = medfr_eval.task_manager(include_defaults=False, metadata={"medfr_data": data})
        counter = PassCounter()
        handle = model.register_forward_hook(counter.hook, with_kwargs=True)
        ours = PathResult("ours (lm-eval)")
        base = PathResult("baseline (bare transformers)")
        console = Console(stderr=True)
        try:
            # The paths alternate so that drift in machine load hits both alike.
            for rep in range(args.repeats + 1):  # rep 0 is the untimed warm-up
                label = "warm-up" if rep == 0 else f"run {rep}/{args.repeats}"
                ours_preds, t_ours = ours.timed(
                    lambda: run_lm_eval(lm, es.task, tm), keep=rep > 0, counter=counter
                )
                base_preds, t_base = base.timed(
                    lambda: run_baseline(model, tokenizer, es.name, data, args.batch_size),
                    keep=rep > 0,
                    counter=counter,
                )
                console.print(
                    f"[bold]{label}[/bold]: ours {t_ours:.2f} s, baseline {t_base:.2f} s "
                    f"({t_ours / t_base:.2f}x)"
                )
        finally:
            handle.remove()

    if set(ours_preds) != set(base_preds):
        raise MedfrError("the two paths scored different sets of questions")
    mismatch_ids = sorted(k for k in ours_preds if ours_preds[k] != base_preds[k])
    return Report(
        model=args.model or f"{args.offline_size} Mistral (medfr_eval.demo.tiny, random weights)",
        task=es.task,
        n_questions=n_questions,
        batch_size=args.batch_size,
        device=args.device,
        dtype=args.dtype,
        threads=torch_threads(),
        repeats=args.repeats,
        ours=ours,
        baseline=base,
        mismatches=len(mismatch_ids),
        mismatch_ids=mismatch_ids,
    )


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.modes:
        from mcq_modes import run_modes_main  # benchmarks/ is a folder of scripts

        return run_modes_main(args, sys.modules[__name__])
    return report_main(lambda: run(args), print_report, Report.to_json, args.json)


def report_main(
    run_bench: Callable[[], Any],
    show: Callable[[Any], None],
    as_json: Callable[[Any], Any],
    json_path: Path | None,
) -> int:
    """Run a benchmark, print its report and write it as strict JSON (atomically) when asked.

    A bad input (a medfr error, or an unknown set name) is one ``error:`` line and
    exit status 2, as in the ``medfr`` commands."""
    from medfr_eval.core.fileio import write_text_atomic

    try:
        rep = run_bench()
    except (MedfrError, KeyError) as exc:
        print(f"error: {exc.args[0] if isinstance(exc, KeyError) else exc}", file=sys.stderr)
        return 2
    show(rep)
    if json_path:
        write_text_atomic(json_path, json.dumps(as_json(rep), indent=2, allow_nan=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
