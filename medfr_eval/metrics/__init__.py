"""Scores computed per item and aggregated by lm-eval: MCQ accuracy, EMR, Hamming, BERTScore.

The MCQ decoding modes' own scores (calibration, option orders) are in
:mod:`medfr_eval.mcq`; the judge's verdicts in :mod:`medfr_eval.judge`.
"""
