"""medfr inside an lm-eval run: the data check before the model loads, and lm-eval's
advice that does not apply to our tasks kept quiet."""
