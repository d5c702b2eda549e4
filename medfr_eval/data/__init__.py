"""Evaluation data: the record schema, where a set comes from, fetching the public copies,
and the one loader every task uses (:mod:`medfr_eval.data.load`).

Importing the package imports nothing: each module is imported by what needs it,
so ``medfr data list`` does not pay for the fetch code, nor the loader for the CLI.
"""
