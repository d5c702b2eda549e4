"""What ``medfr-train check`` prints: one table row per stage, then the notes."""

from __future__ import annotations

from medfr_train.recipe import Recipe

COLUMNS = ("stage", "model", "data", "lr", "epochs", "batch x accum", "length", "peft", "output")


def print_check(recipe: Recipe) -> None:
    """The resolved settings of every stage, as a rich table (nothing is written)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{recipe.path.name}: {recipe.strategy} -> {recipe.model_name}")
    for col in COLUMNS:
        table.add_column(col)
    for s in recipe.stages:
        a, m = s.args, s.model
        data = s.data.dataset_name or ", ".join(p.name for p in s.data.files) or "(not checked)"
        peft = (
            f"{'DoRA' if m.use_dora else 'LoRA'} r={m.lora_r} a={m.lora_alpha}"
            if m.use_peft
            else "full"
        )
        length = s.block_size if s.name == "cpt" else a.max_length
        table.add_row(
            s.name,
            str(m.model_name_or_path),
            data,
            f"{a.learning_rate:g}",
            f"{a.num_train_epochs:g}",
            f"{a.per_device_train_batch_size} x {a.gradient_accumulation_steps}",
            str(length),
            peft,
            str(s.output_dir),
        )
    console = Console()
    console.print(table)
    for note in recipe.notes:
        console.print(f"note: {note}")
    for s in recipe.stages:
        if getattr(s.args, "trust_remote_code", False):
            from medfr_train.outputs import remote_code_warning

            console.print(
                remote_code_warning(s.name, str(s.model.model_name_or_path)),
                style="bold red",
                markup=False,
            )
    console.print("recipe OK")
