"""The public leaderboard: lm-eval result folders in, a static website out.

Nothing here imports torch or lm-eval: building the board must stay cheap
enough for a CI job or a laptop without the evaluation stack.
"""
