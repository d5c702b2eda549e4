"""The global batch of each stage for a given launch, against the study's.

Why: a recipe states per-device batch and accumulation; the number of
processes comes from the launch. The study ran CPT on 32 GPUs (16 x 2 x 32 =
1,024 sequences of 2,048 tokens per optimizer step) and SFT on one GPU
(4 x 2 x 1 = 8), "32 + 1" in Table 8. Launching a chained recipe as one
32-GPU job would train its SFT stage with a global batch of 256, i.e. 32x
fewer optimizer steps: ``medfr-train check`` and ``medfr-train launch`` say
the global batch of every stage and warn when it differs from the study's.
"""

from __future__ import annotations

from medfr_train.errors import RecipeError

#: per-device batch, gradient accumulation, processes of the study's runs (Table 8).
STUDY_SHAPE: dict[str, tuple[int, int, int]] = {"cpt": (16, 2, 32), "sft": (4, 2, 1)}
STUDY_PROCESSES = {k: v[2] for k, v in STUDY_SHAPE.items()}


def study_global_batch(stage: str) -> int:
    b, a, p = STUDY_SHAPE[stage]
    return b * a * p


def global_batch(stage, processes: int) -> int:
    """Sequences per optimizer step: per-device batch x accumulation x processes."""
    return (
        stage.args.per_device_train_batch_size
        * stage.args.gradient_accumulation_steps
        * (processes)
    )


def batch_line(stage, processes: int) -> tuple[str, bool]:
    """``cpt: global batch 16 x 2 x 32 = 1,024 sequences (study: 1,024)`` and whether it differs."""
    a = stage.args
    got = global_batch(stage, processes)
    want = study_global_batch(stage.name)
    b, acc, p = STUDY_SHAPE[stage.name]
    line = (
        f"{stage.name}: global batch {a.per_device_train_batch_size} x "
        f"{a.gradient_accumulation_steps} x {processes} process(es) = {got:,} sequences "
        f"(study: {b} x {acc} x {p} = {want:,})"
    )
    if got != want:
        line = f"WARNING {line}: differs from the study's, so the optimizer takes {want / got:.3g}x the study's steps"
    return line, got != want


def parse_processes(values: tuple[str, ...] | list[str]) -> dict[str, int]:
    """``--processes cpt=32 --processes sft=1`` (or ``N`` for every stage) -> {stage: N}."""
    out = dict(STUDY_PROCESSES)
    for value in values:
        stage, _, n = value.rpartition("=")
        stages = [stage] if stage else list(out)
        if stage and stage not in out:
            raise RecipeError(f"unknown stage {stage!r}; expected cpt or sft", field="--processes")
        if not n.isdigit() or int(n) < 1:
            raise RecipeError(f"expected a positive integer, got {value!r}", field="--processes")
        for s in stages:
            out[s] = int(n)
    return out


def batch_notes(recipe, processes: dict[str, int]) -> list[str]:
    """One line per trained stage (a reused stage was trained, and checked, by its own recipe)."""
    lines = []
    for stage in recipe.stages:
        if stage.reused_from is not None:
            lines.append(f"{stage.name}: reused from {stage.reused_from['recipe']}")
            continue
        lines.append(batch_line(stage, processes.get(stage.name, 1))[0])
    return lines
