"""The run card: what a training run was, what it cost, written next to the model.

Fields (DEVELOPERS.md, ``run_card.json``): ``model_name``, ``base_model``,
``strategy``, ``recipe`` (resolved), ``stages``, ``versions``, ``data`` (files
and sha256), ``tokens_seen``, ``wall_time_s``, ``gpu_hours``, ``hardware``,
``energy_kwh``, ``kgco2e``, ``cost_usd``, ``carbon_intensity_kg_per_kwh``,
``price_per_gpu_hour``; plus ``energy_method`` saying how energy was obtained.

Energy, as the study's Table 8 does it, from the measured or estimated GPU
energy and the grid's published carbon intensity:

1. codecarbon's measurement, when the package is installed and the recipe
   lists ``codecarbon`` in ``report_to`` (transformers wires in its
   ``CodeCarbonCallback``, which writes ``emissions.csv`` in the output folder);
2. else GPU-hours x the GPU board power (``run_card.gpu_tdp_watts``), an
   upper bound since GPUs rarely draw their full TDP;
3. else none: CPU runs count no GPU-hours, hence 0 kWh (``energy_method`` says so).

kgCO2e = kWh x ``carbon_intensity_kg_per_kwh``; cost = GPU-hours x
``price_per_gpu_hour`` (both ``null`` when the user gave no figure). With
``run_card.footprint_profile: study`` (the study recipes), kgCO2e and cost
come from the study's own Table 8 rates per GPU-hour instead
(:mod:`medfr_train.footprint`), so a run like the study's reproduces its row.
"""

from __future__ import annotations

import csv
import json
import math
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from medfr_eval.core.fileio import sha256_file, write_json_atomic
from medfr_eval.core.secret_keys import redact_secrets

RUN_CARD = "run_card.json"


def versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": sys.version.split()[0]}
    for pkg in ("torch", "transformers", "trl", "peft", "accelerate", "datasets", "medfr"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def data_record(stage) -> list[dict[str, Any]]:
    """Files and their sha256 (or the hub dataset id) of a stage."""
    d = stage.data
    if d.dataset_name:
        return [{"dataset_name": d.dataset_name, "config": d.dataset_config, "split": d.split}]
    return [{"file": str(p), "sha256": sha256_file(p), "bytes": p.stat().st_size} for p in d.files]


def hardware() -> dict[str, Any]:
    """The machine the run used; ``num_gpus`` counts every process's GPU."""
    import torch
    from accelerate import PartialState

    world = PartialState().num_processes
    if torch.cuda.is_available():
        return {
            "device": "cuda",
            "gpu_name": torch.cuda.get_device_name(0),
            "num_gpus": world,
            "num_processes": world,
        }
    return {
        "device": "cpu",
        "cpu": platform.processor() or platform.machine(),
        "num_gpus": 0,
        "num_processes": world,
    }


def codecarbon_kwh(output_dir: Path) -> float | None:
    """Energy measured by codecarbon's tracker, if it ran (``emissions.csv``)."""
    path = Path(output_dir) / "emissions.csv"
    if not path.is_file():
        return None
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or "energy_consumed" not in rows[-1]:
        return None
    try:
        return float(rows[-1]["energy_consumed"])
    except ValueError:
        return None


def costs(
    wall_time_s: float,
    num_gpus: int,
    opts: dict[str, Any],
    measured_kwh: float | None = None,
) -> dict[str, Any]:
    """GPU-hours, energy, kgCO2e and cost from the wall time and the user's figures."""
    gpu_hours = wall_time_s / 3600.0 * num_gpus
    if measured_kwh is not None:
        energy, method = measured_kwh, "codecarbon"
    elif gpu_hours > 0 and opts.get("gpu_tdp_watts"):
        energy = gpu_hours * float(opts["gpu_tdp_watts"]) / 1000.0
        method = f"estimate: GPU-hours x TDP {opts['gpu_tdp_watts']} W"
    elif num_gpus == 0:
        energy, method = 0.0, "none: CPU run, no GPU-hours counted"
    else:
        energy, method = None, "unknown: give run_card.gpu_tdp_watts or install codecarbon"
    intensity = opts.get("carbon_intensity_kg_per_kwh")
    price = opts.get("price_per_gpu_hour")
    return {
        "gpu_hours": gpu_hours,
        "energy_kwh": energy,
        "energy_method": method,
        "kgco2e": energy * intensity if energy is not None and intensity is not None else None,
        "cost_usd": gpu_hours * price if price is not None else None,
        "carbon_intensity_kg_per_kwh": intensity,
        "price_per_gpu_hour": price,
    }


def stage_record(stage, info: dict[str, Any], wall_time_s: float, opts: dict[str, Any]) -> dict:
    """One stage's entry of the run card."""
    hw = hardware()
    state = info["trainer"].state if "trainer" in info else None
    rec = {
        "stage": stage.name,
        "stage_hash": stage.hash,
        "output_dir": str(stage.output_dir),
        "model_name_or_path": str(stage.model.model_name_or_path),
        "tokens_seen": int(getattr(state, "num_input_tokens_seen", 0) or 0),
        "global_steps": int(getattr(state, "global_step", 0) or 0),
        "epochs": float(getattr(state, "epoch", 0) or 0),
        "train_loss": getattr(info.get("train_result"), "training_loss", None),
        "wall_time_s": wall_time_s,
        "hardware": hw,
        "data": data_record(stage),
        "resumed_from": info.get("resumed_from"),
    }
    if "packing" in info:
        rec["packing"] = info["packing"]
    if stage.name == "sft":
        rec["adapter"] = info.get("adapter", False)
        rec["merged"] = info.get("merged", False)
        rec["examples"] = info.get("examples")
    rec.update(stage_costs(hw, wall_time_s, opts, codecarbon_kwh(stage.output_dir)))
    return rec


def stage_costs(
    hw: dict[str, Any],
    wall_time_s: float,
    opts: dict[str, Any],
    measured_kwh: float | None = None,
) -> dict[str, Any]:
    """A stage's footprint by ``run_card.footprint_profile``.

    ``study``: the study's Table 8 rates per GPU-hour of the GPU type that ran
    (``medfr_train.footprint.card_costs``; the measured device name, else the
    recipe's ``gpu_name``), which is how Table 8's figures come back; ``tdp``
    (default): :func:`costs` with the user's intensity and price.
    """
    profile = opts.get("footprint_profile") or "tdp"
    if profile == "study":
        from medfr_train.footprint import card_costs, gpu_type

        named = dict(hw)
        if hw.get("num_gpus") and gpu_type(str(hw.get("gpu_name") or "")) is None:
            named["gpu_name"] = opts.get("gpu_name") or hw.get("gpu_name")
        out = card_costs(named, wall_time_s, "study")
        out["energy_kwh"] = measured_kwh if measured_kwh is not None else out["energy_kwh"]
        return out
    return {**costs(wall_time_s, hw["num_gpus"], opts, measured_kwh), "footprint_profile": "tdp"}


def _total(records: list[dict[str, Any]], key: str) -> float | None:
    values = [r.get(key) for r in records]
    return None if any(v is None for v in values) else float(sum(values))


def build_card(recipe, stage_records: list[dict[str, Any]], strategy: str) -> dict[str, Any]:
    """The run card of a model: the sum of the stages that made it.

    A stage reused from another recipe (``from_recipe``) keeps its own record
    (with ``reused_from``: recipe, output and stage hash); the totals count it,
    as the model's cost, and ``excluding_reused`` gives what this recipe itself
    spent (Table 8 counts a shared CPT once).
    """
    opts = recipe.run_card
    last = stage_records[-1]
    own = [r for r in stage_records if not r.get("reused_from")]
    return {
        "medfr_run_card_version": 1,
        "model_name": recipe.model_name
        if strategy == recipe.strategy
        else Path(last["output_dir"]).name,
        "base_model": recipe.base_model,
        "strategy": strategy,
        "recipe": recipe.resolved(),
        "recipe_file": str(recipe.path),
        "stage_hash": last["stage_hash"],
        "stages": stage_records,
        "reused": [r["reused_from"] for r in stage_records if r.get("reused_from")],
        "versions": versions(),
        "data": [d for r in stage_records for d in r["data"]],
        "tokens_seen": sum(r["tokens_seen"] for r in stage_records),
        "wall_time_s": sum(r["wall_time_s"] for r in stage_records),
        "gpu_hours": _total(stage_records, "gpu_hours"),
        "hardware": last["hardware"],
        "energy_kwh": _total(stage_records, "energy_kwh"),
        "energy_method": "; ".join(sorted({r["energy_method"] for r in stage_records})),
        "kgco2e": _total(stage_records, "kgco2e"),
        "cost_usd": _total(stage_records, "cost_usd"),
        "footprint_profile": opts.get("footprint_profile") or "tdp",
        "carbon_intensity_kg_per_kwh": opts.get("carbon_intensity_kg_per_kwh"),
        "price_per_gpu_hour": opts.get("price_per_gpu_hour"),
        "excluding_reused": {
            k: _total(own, k) for k in ("gpu_hours", "energy_kwh", "kgco2e", "cost_usd")
        },
    }


def finite_or_null(value: Any, path: str = "", found: list[str] | None = None) -> Any:
    """``value`` with NaN/Infinity turned into None, the JSON paths of those put in ``found``.

    Why on purpose: a diverged run has a NaN ``train_loss``, codecarbon can
    report NaN energy; these are measurements that are missing, and strict JSON
    (``allow_nan=False``) has no NaN. The card lists them in ``non_finite``."""
    found = [] if found is None else found
    if isinstance(value, float) and not math.isfinite(value):
        found.append(path or "$")
        return None
    if isinstance(value, dict):
        return {
            k: finite_or_null(v, f"{path}.{k}" if path else str(k), found) for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [finite_or_null(v, f"{path}[{i}]", found) for i, v in enumerate(value)]
    return value


def write_card(card: dict[str, Any], output_dir: str | Path) -> Path:
    """Write ``run_card.json`` atomically (temp file then ``os.replace``), as strict JSON.

    Secret-bearing fields (``hub_token``, any ``*_token`` / ``*key*`` / ``*password*`` /
    ``*secret*`` name: :func:`medfr_eval.core.secret_keys.is_secret_key`) are written as
    ``"<redacted>"``: a run card travels with the model, into shared folders and
    onto the board."""
    found: list[str] = []
    card = finite_or_null(redact_secrets(card), found=found)
    if found:
        card["non_finite"] = found  # e.g. ["stages[0].train_loss"]: NaN in the run, null here
    return write_json_atomic(Path(output_dir) / RUN_CARD, card, default=str)


def read_card(output_dir: str | Path) -> dict[str, Any] | None:
    path = Path(output_dir) / RUN_CARD
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return None
