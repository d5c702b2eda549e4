"""An LLM judge for open QA, as in the authors' 2026 protocol.

A binary "medical equivalence" verdict (question + candidate + reference ->
1 or 0, temperature 0, one output token), asked of an OpenAI-compatible
endpoint (:mod:`.client`) or of a local transformers model (:mod:`.local`),
cached on disk (:mod:`.cache`), run over a whole task after generation by an
lm-eval filter (:mod:`.filter`), and checked against human labels
(:mod:`.agreement`, ``medfr judge agreement``).

Nothing heavy is imported here: the task YAML reads :mod:`.config` at load time.
"""

from __future__ import annotations

from medfr_eval.judge.config import JudgeConfig, judge_identity

__all__ = ["JudgeConfig", "judge_identity"]
