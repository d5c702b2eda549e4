"""lm-eval output written without a model, for the tests and the benchmarks of ``medfr study``.

:func:`write_model_run` writes one model's folder as ``lm_eval --output_path DIR
--log_samples`` lays it out (lm-eval 0.4.13: ``DIR/<model_name_sanitized>/results_<date>.json``
and one ``samples_<task>_<date>.jsonl`` per task, with the per-item fields and sha256
hashes lm-eval logs) and with the task configs the study's settings imply (task version,
few-shot count, generation settings, BERTScore scorer, data), so that the run folder
holds the model as done. The per-item values are the caller's: planted numbers test the
comparison, large files time it. The items are placeholder sentences written here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from medfr_eval.core.sets import BY_TASK

from . import taskindex
from .spec import Study, StudyModel

DATE = "2026-01-02T10-11-12.123456"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _config(study: Study, task: str, items: int) -> dict:
    spec = BY_TASK[task]
    ev = study.evaluation
    meta: dict = {"version": taskindex.version(task), "pretrained": "",
                  "medfr_loaded": {"source": "synthetic (medfr tests)", "items": items,
                                   "expected_items": spec.study_size, "order": "sha256(id)"}}  # fmt: skip
    if ev.data is not None:
        meta["medfr_data"] = ev.data
    config: dict = {"task": task, "num_fewshot": ev.num_fewshot, "metadata": meta}
    if spec.kind.startswith("openqa"):
        config["generation_kwargs"] = {"until": ["\n\n"], "do_sample": False, "max_gen_toks": 256,
                                       **ev.gen_kwargs}  # fmt: skip
        scorer = {"model": ev.bertscore.get("model", "bert-base-multilingual-cased"),
                  "num_layers": ev.bertscore.get("layer", 9)}  # fmt: skip
        meta["medfr_bertscore"] = scorer
    return config


def _lines(task: str, values: Sequence[float], case_size: int) -> list[str]:
    spec = BY_TASK[task]
    out = []
    for doc_id, value in enumerate(values):
        doc = {"id": f"{spec.name}-{doc_id}", "question": f"Question factice {doc_id} ?"}
        if task == "medfr_frclinicalqa":
            doc["case_id"] = f"cas-{doc_id // case_size}"
        prompt = f"Question : {doc['question']}\nRéponse :"
        rec = {"doc_id": doc_id, "doc": doc, "target": "A",
               "arguments": {"gen_args_0": {"arg_0": prompt, "arg_1": " A"}},
               "filter": spec.filter, "metrics": [spec.metric],
               "doc_hash": _sha(json.dumps(doc, ensure_ascii=False)), "prompt_hash": _sha(prompt),
               "target_hash": _sha("A"), spec.metric: float(value)}  # fmt: skip
        out.append(json.dumps(rec, ensure_ascii=False))
    return out


def write_model_run(folder: Path, study: Study, model: StudyModel,
                    values: dict[str, Sequence[float]], *, date: str = DATE,
                    case_size: int = 3) -> Path:  # fmt: skip
    """One model's lm-eval output under ``folder`` (module docstring); returns its model folder."""
    sanitized = model.pretrained.replace("/", "__")
    out = Path(folder) / sanitized
    out.mkdir(parents=True, exist_ok=True)
    results: dict = {"results": {}, "n-samples": {}, "configs": {}, "versions": {},
                     "config": {"model": study.evaluation.backend,
                                "model_args": {"pretrained": model.pretrained}, "limit": None},
                     "model_name": model.pretrained, "model_name_sanitized": sanitized,
                     "chat_template": None}  # fmt: skip
    for task, vals in values.items():
        spec = BY_TASK[task]
        results["results"][task] = {spec.result_key: sum(vals) / len(vals), "alias": task}
        results["n-samples"][task] = {"original": len(vals), "effective": len(vals)}
        results["configs"][task] = _config(study, task, len(vals))
        results["versions"][task] = taskindex.version(task)
        text = "\n".join(_lines(task, vals, case_size)) + "\n"
        (out / f"samples_{task}_{date}.jsonl").write_text(text, encoding="utf-8")
    (out / f"results_{date}.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    return out
