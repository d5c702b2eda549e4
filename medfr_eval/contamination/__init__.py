"""Contamination check: n-gram overlap between training text and the evaluation sets.

The method is the one GPT-3 and lm-eval's decontamination use: an evaluation
item counts as contaminated when one of its n-grams (13 by default) of
normalised words also occurs in the training text. Modules:

- :mod:`.ngrams`: normalisation and the hashed n-gram index (the fast part);
- :mod:`.evalitems`: the text of every evaluation item (question, options,
  context, reference answer);
- :mod:`.readers`: training text streamed from ``.txt`` / ``.jsonl`` / ``.parquet``,
  and folders of them;
- :mod:`.textfile`: ``.txt`` documents in bounded chunks and pieces, decoded strictly;
- :mod:`.check`: the scan and its report (``contaminated.json``);
- :mod:`.exclude`: dropping the contaminated items when lm-eval loads a set;
- :mod:`.cli`: ``medfr-data contamination``.

Evaluation side: no trl / peft / accelerate, and no torch or lm-eval at import.
"""
