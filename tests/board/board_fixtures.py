"""lm-eval 0.4.13 result folders written by hand, in the exact on-disk format.

The layout and keys follow lm_eval/loggers/evaluation_tracker.py (results_<date>.json,
samples_<task>_<date>.jsonl in OUT/<sanitized model name>/) and lm_eval/evaluator.py
(per-sample doc_hash / prompt_hash / target_hash as sha256 hex). Items are French
sentences written for these tests, not taken from any data set.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np

from medfr_eval.core.sets import ENGLISH_TWINS, GROUPS, SETS
from medfr_eval.metrics.calibration import ece, item_calibration

HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">&amp;'
BASE = "medfr-test/Mistral-base"
CPT = "medfr-test/MedMistral-CPT"
SFT = "medfr-test/MedMistral-SFT"
DATE = "2025-06-01T10-00-00.000000"
N_ITEMS = 12  # items per set in these fixtures


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sanitize(name: str) -> str:
    """lm_eval.utils.sanitize_model_name, copied so the fixtures need no lm-eval import."""
    return re.sub(r"[\"<>:/|\\?*\[\]]+", "__", name)


def prompt(spec, i: int, variant: str = "") -> str:
    head = (
        "Répondez par une seule lettre." if spec.kind.startswith("mcq") else "Répondez brièvement."
    )
    return f"{head}{variant}\nQuestion {i} ({spec.title}) : quel organe fictif filtre la lymphe ?\nRéponse :"


def per_sample(spec, quality: float, rng: np.random.Generator) -> list[float]:
    if spec.kind.startswith("mcq"):
        return [float(v) for v in (rng.random(N_ITEMS) < quality)]
    return [round(float(v), 6) for v in np.clip(rng.normal(quality, 0.05, N_ITEMS), 0, 1)]


def letter_probs(spec, correct: float, rng: np.random.Generator) -> dict[str, float]:
    """Letter probabilities whose top letter is the gold "B" exactly when ``correct``."""
    letters = list(spec.letters)
    p = rng.dirichlet(np.ones(len(letters)))
    order = np.argsort(-p)
    gold = letters.index("B")
    top = int(order[0])
    if correct and top != gold or not correct and top == gold:
        swap = int(order[1]) if top == gold else top
        p[gold], p[swap] = p[swap], p[gold]
    return {k: float(v) for k, v in zip(letters, p, strict=True)}


def write_run(
    root: Path,
    model: str,
    quality: float,
    *,
    seed: int = 0,
    sets=None,
    version: float = 1.0,
    variant: str = "",
    samples: bool = True,
    limit=None,
    date: str = DATE,
    pretrained: str | None = None,
    score_shift: float = 0.0,
    twins: bool = False,
    en_shift: float = 0.15,
    calibration: bool = False,
    loaded_source: str | dict[str, str] | None = None,
) -> Path:
    """Write one model's lm-eval output folder; returns OUT/<sanitized>.

    ``twins`` adds the English twins of the translated sets (``medfr_en_<set>``: same
    doc ids and item ids, an English prompt, quality + ``en_shift``); ``calibration``
    logs each MCQ item's letter probabilities (``ece``) and the ``ece``, ``brier`` and
    ``near_miss`` metrics; ``loaded_source`` (one, or per set name) is recorded as
    ``metadata.medfr_loaded.source``, as medfr's loader does."""
    rng = np.random.default_rng(seed)
    cal_rng = np.random.default_rng(seed + 1000)  # apart: scores stay those without probabilities
    chosen = [s for s in SETS if sets is None or s.name in sets]
    if twins:
        chosen += [t for t in ENGLISH_TWINS if t.twin_of in {s.name for s in chosen}]
    folder = Path(root) / sanitize(model)
    folder.mkdir(parents=True, exist_ok=True)
    results, configs, versions, n_samples, hib, nshot, task_hashes = {}, {}, {}, {}, {}, {}, {}
    for spec in chosen:
        values = per_sample(spec, quality + (en_shift if spec.lang == "en" else 0.0), rng)
        calib = (
            [item_calibration(letter_probs(spec, v, cal_rng), "B") for v in values]
            if calibration and spec.kind.startswith("mcq")
            else None
        )
        mean = sum(values) / len(values)
        metrics = {spec.metric: mean + score_shift}
        if spec.metric == "acc":
            metrics_all = {"acc": None}
        elif spec.metric == "emr":
            metrics_all = {"emr": None, "hamming": None}
        else:
            metrics_all = {
                "bertscore_f1": None,
                "bertscore_precision": None,
                "bertscore_recall": None,
            }
        res = {"alias": spec.task}
        for m in metrics_all:
            res[f"{m},{spec.filter}"] = metrics.get(m, round(mean * 0.9, 6))
            res[f"{m}_stderr,{spec.filter}"] = "N/A"
        if calib:
            res["ece,none"] = ece([c["ece"] for c in calib])
            res["brier,none"] = sum(c["brier"] for c in calib) / len(calib)
            res["near_miss,none"] = sum(c["near_miss"] for c in calib) / len(calib)
            for m in ("ece", "brier", "near_miss"):
                res[f"{m}_stderr,none"] = "N/A"
        results[spec.task] = res
        configs[spec.task] = {
            "task": spec.task,
            "output_type": "generate_until",
            "metadata": {"version": version},
        }
        source = loaded_source.get(spec.name) if isinstance(loaded_source, dict) else loaded_source
        if source is not None:
            configs[spec.task]["metadata"]["medfr_loaded"] = {
                "source": source,
                "items": N_ITEMS,
                "expected_items": spec.study_size,
            }
        versions[spec.task] = version
        n_samples[spec.task] = {"original": N_ITEMS, "effective": N_ITEMS}
        hib[spec.task] = {m: True for m in metrics_all}
        nshot[spec.task] = 0
        lines, hashes = [], []
        for i, v in enumerate(values):
            p = prompt(spec, i, variant + (" (in English)" if spec.lang == "en" else ""))
            target = "B" if spec.kind.startswith("mcq") else "Le foie, organe fictif ici."
            doc = {"id": f"t{i}", "question": f"Question {i}"}
            if spec.kind == "openqa_case":
                doc["case_id"] = f"cas-{i // 3}"  # four cases of three questions
            sample = {
                "doc_id": i,
                "doc": doc,
                "target": target,
                "arguments": {"gen_args_0": {"arg_0": p, "arg_1": {"until": ["\n"]}}},
                "resps": [["B"]],
                "filtered_resps": ["B"],
                "filter": spec.filter,
                "metrics": list(metrics_all),
                "doc_hash": sha(json.dumps(doc, indent=2, ensure_ascii=False)),
                "prompt_hash": sha(p),
                "target_hash": sha(target),
            }
            for m in metrics_all:
                sample[m] = v if m == spec.metric else round(v * 0.9, 6)
            if calib:
                sample.update(calib[i])
            hashes.append(sample["doc_hash"] + sample["prompt_hash"] + sample["target_hash"])
            lines.append(json.dumps(sample, ensure_ascii=False))
        task_hashes[spec.task] = sha("".join(hashes))
        if samples:
            (folder / f"samples_{spec.task}_{date}.jsonl").write_text(
                "\n".join(lines) + "\n", encoding="utf-8"
            )
    groups = {
        g: {"alias": g} for g, members in GROUPS.items() if all(t in results for t in members)
    }
    data = {
        "results": results,
        "groups": groups,
        "group_subtasks": {g: list(GROUPS[g]) for g in groups},
        "configs": configs,
        "versions": versions,
        "n-shot": nshot,
        "higher_is_better": hib,
        "n-samples": n_samples,
        "config": {
            "model": "hf",
            "model_args": f"pretrained={pretrained or model},dtype=bfloat16",
            "model_num_parameters": 1234,
            "model_dtype": "torch.bfloat16",
            "batch_size": "1",
            "batch_sizes": [],
            "device": "cpu",
            "use_cache": None,
            "limit": limit,
            "bootstrap_iters": 0,
            "gen_kwargs": None,
            "random_seed": 0,
            "numpy_seed": 1234,
            "torch_seed": 1234,
            "fewshot_seed": 1234,
        },
        "git_hash": None,
        "date": 1748772000.0,
        "pretty_env_info": "n/a",
        "transformers_version": "5.24.0",
        "lm_eval_version": "0.4.13",
        "upper_git_hash": None,
        "tokenizer_pad_token": ["</s>", "2"],
        "tokenizer_eos_token": ["</s>", "2"],
        "tokenizer_bos_token": ["<s>", "1"],
        "eot_token_id": 2,
        "max_length": 2048,
        "task_hashes": task_hashes,
        "model_source": "hf",
        "model_name": model,
        "model_name_sanitized": sanitize(model),
        "system_instruction": None,
        "system_instruction_sha": None,
        "fewshot_as_multiturn": False,
        "chat_template": None,
        "chat_template_sha": None,
        "start_time": 1.0,
        "end_time": 2.0,
        "total_evaluation_time_seconds": "1.0",
    }
    (folder / f"results_{date}.json").write_text(
        json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    return folder


def run_card(model: str, base: str, strategy: str, gpu_hours: float) -> dict:
    return {
        "model_name": model,
        "base_model": base,
        "strategy": strategy,
        "recipe": {"stage": strategy, "learning_rate": 2e-5},
        "stages": [strategy],
        "versions": {"python": "3.11"},
        "data": [],
        "tokens_seen": 123456,
        "wall_time_s": gpu_hours * 3600,
        "gpu_hours": gpu_hours,
        "hardware": "1 x H100",
        "energy_kwh": gpu_hours * 0.7,
        "kgco2e": gpu_hours * 0.04,
        "cost_usd": gpu_hours * 2.5,
        "carbon_intensity_kg_per_kwh": 0.057,
        "price_per_gpu_hour": 2.5,
    }


def signif_for(a: str, b: str) -> dict:
    comps = []
    for i, spec in enumerate(SETS):
        decision = ["win", "tie", "loss"][i % 3] if i < 12 else "win"
        diff = {"win": 0.05, "tie": 0.0, "loss": -0.04}[decision]
        comps.append(
            {
                "model_a": a,
                "model_b": b,
                "task": spec.task,
                "set": spec.name,
                "family": spec.family,
                "metric": spec.metric,
                "n": N_ITEMS,
                "score_a": 0.5,
                "score_b": 0.5 - diff,
                "diff": diff,
                "ci_low": diff - 0.02,
                "ci_high": diff + 0.02,
                "level": 0.9997,
                "p_value": 0.001,
                "decision": decision,
                "bootstrap": "paired",
            }
        )
    wins = sum(c["decision"] == "win" for c in comps) / len(comps)
    losses = sum(c["decision"] == "loss" for c in comps) / len(comps)
    return {
        "medfr_signif_version": 1,
        "method": {
            "resamples": 10000,
            "alpha": 0.05,
            "correction": "bonferroni",
            "m": 15,
            "seed": 0,
        },
        "models": [a, b],
        "comparisons": comps,
        "win_rates": [
            {
                "model_a": a,
                "model_b": b,
                "family": "all",
                "win": wins,
                "tie": 1 - wins - losses,
                "loss": losses,
                "n_sets": 15,
            }
        ],
        "scores": [
            {"model": a, "task": "medfr_medqa_4opt", "score": 0.5, "ci_low": 0.11, "ci_high": 0.99}
        ],
    }


def make_runs(tmp_path: Path) -> dict:
    """Four models: a base, a CPT model with a run card, an SFT model, a hostile name."""
    out = tmp_path / "lm_eval_out"
    write_run(out, BASE, 0.3, seed=1)
    cpt_dir = tmp_path / "models" / "cpt"
    cpt_dir.mkdir(parents=True)
    (cpt_dir / "run_card.json").write_text(json.dumps(run_card(CPT, BASE, "CPT", 384.0)))
    write_run(out, CPT, 0.6, seed=2, pretrained=str(cpt_dir))
    write_run(out, SFT, 0.5, seed=3)
    write_run(out, HOSTILE, 0.45, seed=4)
    signif = tmp_path / "signif.json"
    signif.write_text(json.dumps(signif_for(CPT, BASE)))
    entries = tmp_path / "entries"
    entries.mkdir()
    (entries / "sft.yaml").write_text(
        f"model: {SFT}\nname: MedMistral-SFT (test)\nbase_model: {BASE}\nstrategy: SFT\n"
        "links:\n  code: https://example.org/medfr\nnotes: Modèle de test écrit pour le classement.\n",
        encoding="utf-8",
    )
    return {"out": out, "signif": signif, "entries": entries, "tmp": tmp_path}


def build(runs, out: Path, *extra: str) -> int:
    """``medfr-leaderboard build`` of the fixture runs, with their signif JSON and entries."""
    from medfr_eval.cli import board_main as main

    return main(
        [
            "build",
            str(runs["out"]),
            "--signif",
            str(runs["signif"]),
            "--board",
            str(runs["entries"]),
            "-o",
            str(out),
            *extra,
        ]
    )
