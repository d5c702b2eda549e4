"""Carbon and cost of a training run: the study's Table 8 rates, or GPU TDP x grid intensity.

Two profiles:

- ``study``: flat rates per GPU-hour for each GPU type, derived from the rows
  of the study's Table 8 (Belmadani et al., TALN 2025, "Compute (Table 8)").
  Its "SFT stage after CPT" row (1 x H100/A100, 42-75 h, 1.07-1.92 kg, 63-70
  USD) is read as two runs, A100 75 h -> 1.92 kg / 63.22 USD and H100 42 h ->
  1.07 kg / 70.48 USD: the longer run on the GPU that costs half as much per
  hour is the one pairing that matches the USD per GPU-hour of the other rows
  (0.84 on A100, 1.68 on H100). Table 8 is not TDP x one carbon intensity:
  at board power its H100 rows imply 0.037 kgCO2e/kWh and its A40 row
  0.082, while per GPU-hour every GPU type has one rate (0.0247-0.0257
  kg/GPU-h; 0.42 USD/GPU-h on A40/L40, 0.84 on A100, 1.68 on H100).
- ``tdp``: GPU-hours x board power x the grid's carbon intensity, and
  GPU-hours x a price, both given by the user (what ``medfr_train.runcard``
  does when codecarbon did not measure).

How the study rates are derived (:func:`derive_rates`): for each GPU type and
each figure (kg, USD), the rate is the harmonic mean of the smallest and the
largest per-row rate, which makes the largest relative error over that type's
rows as small as it can be with one rate. :func:`residuals` shows every row
reproduced within 1 % (largest: 0.40 % on the H100 kgCO2e). The residuals are
not zero: the single-GPU SFT rows sit 0.8 % (H100) and 0.4 % (A100) below the
32-GPU CPT rows in kg per GPU-hour, and about 1 % below them in kg per USD,
more than the rounding of the published figures allows (it is at most 0.5 %
on 1.07 kg). One plausible cause is the rounding of the hours to whole hours
(+-0.5 h on 12 h is +-4 %), which moves kg and USD together; the kg/USD gap
suggests a small energy difference per job kind besides. With so few rows a
per-kind model would fit the rows exactly but not generalise: we ship one rate
per GPU type and state the residuals.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from medfr_train.errors import RecipeError
from medfr_train.recipe.source import COMMAND_LINE

SOURCE = (
    "Belmadani et al., TALN 2025, Table 8 (flat rates per GPU-hour derived from its rows; "
    "'SFT stage after CPT' read as an A100 run of 75 h and an H100 run of 42 h, the pairing "
    "that matches the other rows' USD per GPU-hour)"
)

#: board power (W) of the GPUs the study used: H100 SXM5, A100 SXM4 80GB, A40, L40.
TDP_WATTS: dict[str, float] = {"H100": 700.0, "A100": 400.0, "A40": 300.0, "L40": 300.0}


@dataclass(frozen=True)
class StudyRow:
    """One row of Table 8: a training job and its reported footprint."""

    model: str
    kind: Literal["cpt", "sft"]
    gpu: str
    gpus: int
    hours: float
    kgco2e: float
    usd: float

    @property
    def gpu_hours(self) -> float:
        return self.gpus * self.hours


TABLE8: tuple[StudyRow, ...] = (
    StudyRow("MedMistral-CPT-7B", "cpt", "H100", 32, 12, 9.86, 643.64),
    StudyRow("MedMistral-SFT-7B", "sft", "A40", 2, 53, 2.62, 44.57),
    StudyRow("MedMistralInstruct-CPT-7B", "cpt", "A100", 32, 40, 32.89, 1072.74),
    StudyRow("BioMistral-CPT-7B", "cpt", "H100", 32, 11, 9.04, 589.75),
    StudyRow("BioMistral-SFT-7B", "sft", "L40", 2, 52, 2.57, 43.53),
    StudyRow("SFT stage after CPT (A100)", "sft", "A100", 1, 75, 1.92, 63.22),
    StudyRow("SFT stage after CPT (H100)", "sft", "H100", 1, 42, 1.07, 70.48),
)


@dataclass(frozen=True)
class Rate:
    """Flat rates of one GPU type, per GPU-hour."""

    gpu: str
    kg_per_gpu_hour: float
    usd_per_gpu_hour: float
    rows: int


def _minimax(values: list[float]) -> float:
    lo, hi = min(values), max(values)
    return 2 * lo * hi / (lo + hi)


def derive_rates(rows: tuple[StudyRow, ...] = TABLE8) -> dict[str, Rate]:
    """One (kg, USD) rate per GPU type, with the smallest worst-case error over its rows."""
    out = {}
    for gpu in dict.fromkeys(r.gpu for r in rows):
        mine = [r for r in rows if r.gpu == gpu]
        out[gpu] = Rate(
            gpu,
            _minimax([r.kgco2e / r.gpu_hours for r in mine]),
            _minimax([r.usd / r.gpu_hours for r in mine]),
            len(mine),
        )
    return out


STUDY_RATES: dict[str, Rate] = derive_rates()


def gpu_type(name: str) -> str | None:
    """The GPU type among the study's in a device name ("NVIDIA H100 80GB HBM3" -> "H100").

    "L40S" is not an L40 and gets no type: its rates are not in Table 8."""
    for gpu in TDP_WATTS:
        if re.search(rf"(?<![A-Za-z0-9]){gpu}(?![A-Za-z0-9])", name, flags=re.IGNORECASE):
            return gpu
    return None


def _known_gpu(gpu: str, table: dict) -> str:
    found = gpu_type(gpu)
    if found is None or found not in table:
        raise RecipeError(f"unknown GPU {gpu!r}; known: {', '.join(table)}", field="--gpu")
    return found


def study_estimate(gpu: str, gpu_hours: float) -> dict[str, object]:
    """kgCO2e and USD of ``gpu_hours`` on ``gpu`` with the study's Table 8 rates."""
    rate = STUDY_RATES[_known_gpu(gpu, STUDY_RATES)]
    return {
        "profile": "study",
        "gpu": rate.gpu,
        "gpu_hours": gpu_hours,
        "energy_kwh": None,
        "kgco2e": gpu_hours * rate.kg_per_gpu_hour,
        "cost_usd": gpu_hours * rate.usd_per_gpu_hour,
        "kg_per_gpu_hour": rate.kg_per_gpu_hour,
        "price_per_gpu_hour": rate.usd_per_gpu_hour,
        "energy_method": f"study profile: flat rates per GPU-hour ({SOURCE})",
    }


def tdp_estimate(
    gpu: str,
    gpu_hours: float,
    carbon_intensity: float | None = None,
    price: float | None = None,
    tdp_watts: float | None = None,
) -> dict[str, object]:
    """Energy at board power, kgCO2e with the given grid intensity, cost with the given price."""
    watts = tdp_watts if tdp_watts is not None else TDP_WATTS[_known_gpu(gpu, TDP_WATTS)]
    energy = gpu_hours * watts / 1000.0
    return {
        "profile": "tdp",
        "gpu": gpu_type(gpu) or gpu,
        "gpu_hours": gpu_hours,
        "energy_kwh": energy,
        "kgco2e": energy * carbon_intensity if carbon_intensity is not None else None,
        "cost_usd": gpu_hours * price if price is not None else None,
        "carbon_intensity_kg_per_kwh": carbon_intensity,
        "price_per_gpu_hour": price,
        "energy_method": f"estimate: GPU-hours x TDP {watts:g} W",
    }


def estimate(
    gpu: str,
    gpus: int,
    hours: float,
    profile: Literal["study", "tdp"] = "study",
    **tdp_options: float | None,
) -> dict[str, object]:
    """The footprint of ``gpus`` GPUs for ``hours`` wall-clock hours, by profile.

    The function the run card calls: ``estimate(hardware["gpu_name"],
    hardware["num_gpus"], wall_time_s / 3600, profile)``."""
    if gpus < 1:
        raise RecipeError(f"expected at least 1 GPU, got {gpus}", field="--gpus")
    check_rate("--hours", hours, "hours")
    for name, value in tdp_options.items():
        check_rate(f"--{name.replace('_', '-')}", value)
    if profile == "study":
        given = [k for k, v in tdp_options.items() if v is not None]
        if given:
            raise RecipeError(
                "the study profile has its own rates; use --profile tdp to give "
                + ", ".join(given),
                field="--profile",
            )
        return study_estimate(gpu, gpus * hours)
    if profile == "tdp":
        return tdp_estimate(gpu, gpus * hours, **tdp_options)
    raise RecipeError(f"unknown profile {profile!r}; known: study, tdp", field="--profile")


def check_rate(flag: str, value: float | None, what: str = "a number") -> None:
    """Refuse a figure of the estimate that is negative or not finite (NaN, infinity).

    Why: a NaN or a negative price or intensity would print, or write into a
    run card, a footprint that means nothing (``nan kgCO2e``, a negative cost)."""
    if value is not None and not (math.isfinite(value) and value >= 0):
        raise RecipeError(
            f"expected {what} >= 0 (a finite number), got {value}", file=COMMAND_LINE, field=flag
        )


def residuals(rows: tuple[StudyRow, ...] = TABLE8) -> list[dict[str, object]]:
    """Each Table 8 row against the study profile: reported, estimated, relative error."""
    out = []
    for r in rows:
        est = study_estimate(r.gpu, r.gpu_hours)
        out.append(
            {
                "model": r.model,
                "gpu": f"{r.gpus} x {r.gpu}",
                "hours": r.hours,
                "kgco2e": r.kgco2e,
                "kgco2e_estimate": est["kgco2e"],
                "kgco2e_error": est["kgco2e"] / r.kgco2e - 1,
                "usd": r.usd,
                "usd_estimate": est["cost_usd"],
                "usd_error": est["cost_usd"] / r.usd - 1,
            }
        )
    return out


def card_costs(
    hardware: dict[str, object], wall_time_s: float, profile: str = "study"
) -> dict[str, object]:
    """The footprint keys of a run card stage (as ``runcard.costs`` returns them) from its hardware.

    ``rec.update(card_costs(hw, wall_time_s))`` when a recipe asks for the study
    profile (:func:`medfr_train.runcard.stage_costs`). Never raises after a run: a CPU run counts no GPU-hours, and a GPU without a
    Table 8 rate gets ``None`` figures and an ``energy_method`` saying why."""
    num_gpus = int(hardware.get("num_gpus") or 0)  # type: ignore[arg-type]
    gpu_hours = wall_time_s / 3600.0 * num_gpus
    base: dict[str, object] = {
        "gpu_hours": gpu_hours,
        "energy_kwh": None,
        "kgco2e": None,
        "cost_usd": None,
        "carbon_intensity_kg_per_kwh": None,
        "price_per_gpu_hour": None,
        "footprint_profile": profile,
    }
    if num_gpus == 0:
        return {**base, "energy_kwh": 0.0, "kgco2e": 0.0, "cost_usd": 0.0,
                "energy_method": "none: CPU run, no GPU-hours counted"}  # fmt: skip
    name = str(hardware.get("gpu_name") or "")
    if profile != "study" or gpu_type(name) not in STUDY_RATES:
        return {**base, "energy_method": f"{profile} profile: no Table 8 rate for GPU {name!r}"}
    est = study_estimate(name, gpu_hours)
    return {**base, **{k: est[k] for k in ("kgco2e", "cost_usd", "price_per_gpu_hour", "energy_method")},
            "kg_per_gpu_hour": est["kg_per_gpu_hour"]}  # fmt: skip
