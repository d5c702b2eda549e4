"""What to do after the demo: where its site is, and how to evaluate your own model.

The commands are complete and runnable as printed (a user copies them): the
sample data through ``MEDFR_DATA=sample``, the public copies downloaded on first
use, ``medfr data fetch`` for a machine without internet, and the study's own
files in a folder. Names come from the sets table, so they stay true.
"""

from __future__ import annotations

from medfr_eval.demo.plan import Layout
from medfr_eval.sets import GROUPS, SETS

#: the model placeholder in the printed commands.
MODEL = "YOUR_MODEL"


def _lm_eval(tasks: str, env: str = "") -> str:
    return (
        f"{env}lm_eval --tasks {tasks} --model hf --model_args pretrained={MODEL} "
        "--log_samples --output_path runs/"
    )


def next_steps(lay: Layout) -> list[tuple[str, str | None]]:
    """(explanation, command or None) pairs, in the order a user goes on."""
    private = [s.title for s in SETS if not s.public_source]
    steps: list[tuple[str, str | None]] = []
    index = lay.site / "index.html"
    if index.is_file():
        steps.append(
            (f"The leaderboard site: open {index} in a browser (it works from file://).", None)
        )
    steps += [
        (
            f"Evaluate your own model ({MODEL}: a Hub id or a folder) on the same sample data "
            "(10-12 items a set, written for illustration, not the real sets):",
            _lm_eval("medfr_all", "MEDFR_DATA=sample "),
        ),
        (
            f"On real data: the {len(GROUPS['medfr_public'])} public sets download on first use "
            "(a connected machine; open QA also downloads the BERTScore model):",
            _lm_eval("medfr_public"),
        ),
        (
            "Without internet: fetch them on a connected machine, copy the folder, then run "
            "offline with MEDFR_DATA:",
            "medfr data fetch -o medfr-data/ && "
            + _lm_eval("medfr_public", "MEDFR_DATA=medfr-data/ "),
        ),
        (
            f"The study's 15 sets: {', '.join(private)} have no public copy; request them from "
            "the authors, put each <set>.jsonl in the same folder (medfr data convert helps), then:",
            _lm_eval("medfr_all", "MEDFR_DATA=medfr-data/ "),
        ),
        (
            "Compare and publish your runs:",
            "medfr signif runs/ --out signif/ && "
            "medfr board build runs/ --signif signif/signif.json -o site/",
        ),
    ]
    return steps


def print_next_steps(console, lay: Layout) -> None:
    """The steps above, commands on lines of their own (never wrapped: they are copied)."""
    from rich.markup import escape

    console.print("\n[bold]Next steps[/]")
    for text, command in next_steps(lay):
        console.print(f"- {escape(text)}")
        if command:
            console.print(f"    {escape(command)}", soft_wrap=True, highlight=False)
