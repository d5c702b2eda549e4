"""Judged lm-eval output folders and label files written by hand, for ``medfr judge agreement``."""

from __future__ import annotations

import json

IDENT = {"model": "juge", "endpoint": "local", "template_sha256": "f" * 64}
DATE = "2026-11-25T10-00-00.000000"


def write_run(folder, model, verdicts, answers=None, ident=IDENT, task="medfr_kqa", date=DATE):
    """OUT/<model>/results_*.json + samples_<task>_*.jsonl, the lm-eval ``--output_path`` layout."""
    sub = folder / model.replace("/", "__")
    sub.mkdir(parents=True, exist_ok=True)
    results = {
        "model_name": model,
        "results": {task: {"bertscore_f1,bertscore": 0.5}},
        "n-samples": {task: {"effective": len(verdicts), "original": len(verdicts)}},
        "configs": {task: {"metadata": {"judge": ident}}},
    }
    (sub / f"results_{date}.json").write_text(json.dumps(results))
    lines = []
    for i, v in enumerate(verdicts):
        resp = {"answer": (answers or {}).get(i, "mot " * (i + 1)), "judge": v}
        resp |= {f"judge_{k}": x for k, x in (ident or {}).items()}
        sample = {"doc_id": i, "doc": {"id": f"kqa-{i:03d}"}, "filter": "bertscore"}
        lines.append(json.dumps(sample | {"filtered_resps": [resp], "bertscore_f1": 0.5}))
    (sub / f"samples_{task}_{date}.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def write_labels(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path
