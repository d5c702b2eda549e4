"""What every part of medfr reads: errors, safe file writing, JSONL, the set table, strategies.

Nothing here imports another room of medfr, nor anything heavy (torch, lm-eval,
datasets): the board builder and ``medfr signif`` import it at no cost.
"""
