"""medfr_train: the study's adaptation recipes (CPT, DoRA SFT, CPT+SFT) on TRL, peft and accelerate.

Entry points: ``medfr-train`` (``medfr_train.cli``) and
``medfr_train.runner.run_recipe(path, overrides)``.
"""
