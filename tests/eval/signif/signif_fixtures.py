"""Sample logs and results files in lm-eval 0.4.13's layout, for the significance tests.

``write_run`` reproduces what ``EvaluationTracker`` writes (one folder per model,
``results_<date>.json`` + ``samples_<task>_<date>.jsonl``, the same per-line
fields and sha256 hashes). Items are sentences written for these tests.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from medfr_eval.lmeval_output import spec_for

DATE = "2026-01-02T10-11-12.123456"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_run(
    root: Path,
    model_name: str | None,
    scores: dict[str, list[float]],
    *,
    date: str = DATE,
    prompt_prefix: str = "Question",
    doc_ids: dict[str, list[int]] | None = None,
    case_size: int = 3,
    n_samples: dict[str, int] | None = None,
    model_args: dict | None = None,
    question: str = "Question inventée",
    configs: dict[str, dict] | None = None,
) -> Path:
    """One model's lm-eval output folder with the given per-item metric values."""
    sanitized = (model_name or "anonyme").replace("/", "__")
    folder = root / sanitized
    folder.mkdir(parents=True, exist_ok=True)
    results = {
        "results": {},
        "n-samples": {},
        "config": {"model": "hf", "model_args": model_args or {"pretrained": model_name}},
    }
    if model_name is not None:
        results["model_name"] = model_name
        results["model_name_sanitized"] = sanitized
    for task, values in scores.items():
        spec = spec_for(task)  # a medfr set or an English twin (medfr_en_<set>)
        ids = (doc_ids or {}).get(task, list(range(len(values))))
        lines = []
        for doc_id, value in zip(ids, values, strict=True):
            doc = {
                "id": f"{getattr(spec, 'twin_of', None) or spec.name}-{doc_id}",  # twins share ids
                "question": f"{question} numéro {doc_id} ?",
            }
            if task == "medfr_frclinicalqa":
                doc["case_id"] = f"cas-{doc_id // case_size}"
            prompt = f"{prompt_prefix} : {doc['question']}\nRéponse :"
            rec = {
                "doc_id": doc_id,
                "doc": doc,
                "target": "A",
                "arguments": {"gen_args_0": {"arg_0": prompt, "arg_1": " A"}},
                "resps": [[["-1.0", "False"]]],
                "filtered_resps": [["-1.0", "False"]],
                "filter": spec.filter,
                "metrics": [spec.metric],
                "doc_hash": sha(json.dumps(doc, indent=2, ensure_ascii=False)),
                "prompt_hash": sha(prompt),
                "target_hash": sha("A"),
                spec.metric: value,
            }
            lines.append(json.dumps(rec, ensure_ascii=False))
        (folder / f"samples_{task}_{date}.jsonl").write_text(
            "\n".join(lines) + "\n", encoding="utf-8"
        )
        n = (n_samples or {}).get(task, len(values))
        results["n-samples"][task] = {"original": n, "effective": n}
        results["results"][task] = {f"{spec.result_key}": float(np.mean(values))}
    if configs is not None:
        results["configs"] = configs
    (folder / f"results_{date}.json").write_text(json.dumps(results), encoding="utf-8")
    return folder


def binary(n: int, ones: int, offset: int = 0) -> list[float]:
    v = np.zeros(n)
    v[offset : offset + ones] = 1.0
    return v.tolist()


def edit_line(log: Path, index: int, edit) -> None:
    """Rewrite line ``index`` (from 0) of a JSONL log through ``edit(record)``."""
    lines = log.read_text(encoding="utf-8").splitlines()
    rec = json.loads(lines[index])
    edit(rec)
    lines[index] = json.dumps(rec, ensure_ascii=False)
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
