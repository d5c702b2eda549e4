"""``medfr demo``: the whole study in miniature, offline, on two CPU cores.

The demo drives the very commands a user types (``medfr train recipe``,
``lm_eval``, ``medfr signif``, ``medfr board build``) in subprocesses,
printing each one first. That keeps this package free of torch / TRL / peft /
accelerate imports and proves, on every run, that the public commands work
end to end.

Steps (``STEP_NAMES``), each reusable alone with ``--steps``:

1. ``base``: train a BPE tokenizer and build a tiny random Mistral from the
   shipped French text, then pre-train it quickly (``recipes/demo/pretrain.yaml``);
2. ``cpt``, ``sft``, ``cpt_sft``: the three adaptations with the demo recipes;
3. ``eval``: ``lm_eval --tasks medfr_all --model hf`` on the shipped sample sets,
   with sample logs, for the base and the three adapted models;
4. ``signif``: ``medfr signif`` (every adapted model against the base);
5. ``board``: ``medfr board build`` into a static site;
6. ``study``: ``medfr study run`` of a miniature study file on the four models (the
   ``eval`` step's results reused), then ``medfr study compare --paper`` against a
   made-up "paper" table (:mod:`~medfr_eval.demo.study_step`).

Modules: :mod:`~medfr_eval.demo.plan` (steps, units, commands, layout),
:mod:`~medfr_eval.demo.state` (fingerprints, "done" markers),
:mod:`~medfr_eval.demo.run` (subprocesses, logs, the run loop),
:mod:`~medfr_eval.demo.checks` (what each step must leave),
:mod:`~medfr_eval.demo.results` (the one reader of lm-eval output here),
:mod:`~medfr_eval.demo.summary` (the score table),
:mod:`~medfr_eval.demo.cli` (the click command ``medfr demo``).
Every number printed at the end is read from lm-eval's results files.
"""

from __future__ import annotations

from medfr_eval.core.errors import DemoError
from medfr_eval.demo.checks import check_eval, check_model, check_signif, check_site
from medfr_eval.demo.plan import (
    ADAPTED,
    BASE,
    STEP_NAMES,
    STRATEGY,
    Layout,
    Step,
    Unit,
    build_plan,
    display,
)
from medfr_eval.demo.results import results_file
from medfr_eval.demo.run import reported_model, run_demo, select_steps
from medfr_eval.demo.state import step_done, unit_done
from medfr_eval.demo.summary import family_scores, summarize

__all__ = [
    "ADAPTED",
    "BASE",
    "STEP_NAMES",
    "STRATEGY",
    "DemoError",
    "Layout",
    "Step",
    "Unit",
    "build_plan",
    "check_eval",
    "check_model",
    "check_signif",
    "check_site",
    "display",
    "family_scores",
    "reported_model",
    "results_file",
    "run_demo",
    "select_steps",
    "step_done",
    "summarize",
    "unit_done",
]
