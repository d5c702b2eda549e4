"""Multiple-choice questions as the field now scores them.

Three decoding modes share the same items and prompt: restricted
log-likelihood (the 2025 study), free greedy generation with a strict parser
and letter-constrained greedy generation (the 2026 protocol). Modules:
:mod:`.parse` (the strict parser), :mod:`.probs` (letter probabilities),
:mod:`.calibration` (ECE, Brier, near-miss, reliability data),
:mod:`.results` (``process_results`` and the parsing filter of the
generation modes), :mod:`.constrained` (logits processors),
:mod:`.tokens` (letter, separator and end token ids under each constrained
rule), :mod:`.rules` (the ``medfr_constrained_rule`` setting),
:mod:`.model` (the ``medfr-hf`` / ``medfr-vllm`` lm-eval model classes),
:mod:`.permute` (option permutations), :mod:`.modes` (mode and
permutation checks before a model loads), :mod:`.reliability` (the diagram).
Nothing here imports torch at module level except :mod:`.constrained` and
:mod:`.model`.
"""
