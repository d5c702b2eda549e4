"""What to do after the demo: where its site is, and how to evaluate your own model.

The commands are complete and runnable as printed (a user copies them). The first
two run offline, scored as the demo scores (its tiny BERT, its generation
length), so that the user's run sits beside the demo's base in ``medfr signif``
and on a site; each later one says what it needs beyond this machine
(``[needs: Hub]``: the Hugging Face Hub; the study's sets from its authors), the
marker the README uses too. Names come from the sets table, so they stay true.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from medfr_eval.core.sets import GROUPS, SETS
from medfr_eval.demo.plan import BASE, Layout, bertscore_env, scoring_args

#: the model placeholder in the printed commands.
MODEL = "YOUR_MODEL"
#: the BERTScore model bert-score picks for French, and its layer (a Hub download).
REAL_BERT, REAL_BERT_LAYER = "bert-base-multilingual-cased", "9"


@dataclass(frozen=True)
class NextStep:
    """One thing to do next: what it is, its commands (run in order), what it needs."""

    text: str
    commands: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()

    @property
    def marker(self) -> str:
        """``[needs: Hub]``, or nothing for a step that runs offline on this machine."""
        return f"[needs: {', '.join(self.needs)}]" if self.needs else ""


def _env(values: dict[str, str]) -> str:
    return "".join(f"{k}={shlex.quote(v)} " for k, v in values.items())


def _lm_eval(tasks: str, out: str, env: dict[str, str], extra: list[str]) -> str:
    return (
        f"{_env(env)}lm_eval --tasks {tasks} --model hf --model_args pretrained={MODEL} "
        f"{shlex.join(extra)} --log_samples --output_path {out}"
    )


def _own_model_steps(lay: Layout, fast: bool) -> list[NextStep]:
    """Your model on the sample sets, scored like the demo; then beside the demo's base."""
    base_run = shlex.quote(str(lay.eval_dir(BASE)))
    entries = shlex.quote(str(lay.root / "board_entries"))
    env = {"MEDFR_DATA": "sample", **bertscore_env(lay)}
    return [
        NextStep(
            f"Evaluate your own model on the same sample data (10-12 items a set, written for "
            f"illustration, not the real sets), scored as the demo scores (its tiny BERT for "
            f"BERTScore, its answer length), offline when {MODEL} is a local folder; a Hub id "
            f"downloads the model from the Hub once:",
            (_lm_eval("medfr_all", "runs/sample/", env, scoring_args(fast)),),
        ),
        NextStep(
            "Compare it with the demo's base (same sets, same settings) and put both on a site:",
            (
                f"medfr signif runs/sample/ {base_run} --baseline {base_run} --out signif/ && "
                f"medfr board build runs/sample/ {base_run} --board {entries} "
                f"--signif signif/signif.json -o site/",
            ),
        ),
    ]


def _real_data_steps() -> list[NextStep]:
    """The public copies (online, or fetched for an offline machine), then the study's sets."""
    private = [s.title for s in SETS if not s.public_source]
    real_bert = {"MEDFR_BERTSCORE_MODEL": f"{REAL_BERT}/", "MEDFR_BERTSCORE_LAYER": REAL_BERT_LAYER}
    batch = ["--batch_size", "16"]
    offline = _lm_eval(
        "medfr_public", "runs/public/", {"MEDFR_DATA": "medfr-data/", **real_bert}, batch
    )
    return [
        NextStep(
            f"On real data: the {len(GROUPS['medfr_public'])} public sets, and the BERTScore "
            f"model ({REAL_BERT}), download from the Hub on first use:",
            (_lm_eval("medfr_public", "runs/public/", {}, batch),),
            ("Hub",),
        ),
        NextStep(
            "For a machine without internet: fetch the sets and the BERTScore model on a "
            "connected machine, copy both folders over, then run offline:",
            (
                f"medfr data fetch -o medfr-data/ && hf download {REAL_BERT} --local-dir {REAL_BERT}/",
                offline,
            ),
            ("Hub",),
        ),
        NextStep(
            f"The study's 15 sets: {', '.join(private)} have no public copy; request them from "
            "the authors, put each <set>.jsonl in the same folder (medfr data convert helps), then:",
            (
                _lm_eval(
                    "medfr_all", "runs/study/", {"MEDFR_DATA": "medfr-data/", **real_bert}, batch
                ),
            ),
            ("study data", "Hub"),
        ),
    ]


def next_steps(lay: Layout, fast: bool = False) -> list[NextStep]:
    """The steps in the order a user goes on; ``fast`` as the demo ran (its answer length)."""
    steps: list[NextStep] = []
    index = lay.site / "index.html"
    if index.is_file():
        steps.append(
            NextStep(f"The leaderboard site: open {index} in a browser (it works from file://).")
        )
    return steps + _own_model_steps(lay, fast) + _real_data_steps()


def print_next_steps(console, lay: Layout, fast: bool = False) -> None:
    """The steps above, commands on lines of their own (never wrapped: they are copied)."""
    from rich.markup import escape

    console.print("\n[bold]Next steps[/]")
    for step in next_steps(lay, fast):
        head = f"{step.marker} {step.text}" if step.marker else step.text
        console.print(f"- {escape(head)}", highlight=False)
        for command in step.commands:
            console.print(f"    {escape(command)}", soft_wrap=True, highlight=False)
