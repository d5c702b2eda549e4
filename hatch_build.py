"""Hatch build hook: keep editable installs pointing at the repository.

A regular wheel copies ``tasks/``, ``recipes/`` and ``leaderboard/`` into the
packages (see ``force-include`` in pyproject.toml). An editable wheel must not:
the packages are imported from the checkout, where ``medfr_eval.core.resources``
finds those folders beside them, so edits to a task YAML take effect at once.
Only the lm-eval registration ``.pth`` file goes into an editable wheel.
"""

from __future__ import annotations

from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

PTH = "medfr_eval/medfr_lm_eval_tasks.pth"


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name == "wheel" and version == "editable":
            build_data["force_include_editable"] = {PTH: "medfr_lm_eval_tasks.pth"}
