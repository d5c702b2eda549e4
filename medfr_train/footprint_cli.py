"""``medfr-train footprint --gpu H100 --gpus 32 --hours 12 [--profile study|tdp]``.

Prints the carbon and cost estimate of a run before (or without) running it,
with the study's Table 8 rates or with TDP x a grid intensity;
``--table8`` prints every Table 8 row beside what the study profile gives.
"""

from __future__ import annotations

import click

from medfr_train.footprint import SOURCE, STUDY_RATES, estimate, residuals


def _fmt(value: object, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def _print_table8() -> None:
    """Plain aligned text (not a rich table: it must stay readable when piped at 80 columns)."""
    click.echo("Table 8 against the study profile (reported / estimate / error)")
    for r in residuals():
        click.echo(
            f"{r['model']:<27} {r['gpu']:>9} {r['hours']:>4g} h  "
            f"kgCO2e {r['kgco2e']:6.2f} / {r['kgco2e_estimate']:6.2f} / {r['kgco2e_error']:+.2%}  "
            f"USD {r['usd']:9,.2f} / {r['usd_estimate']:9,.2f} / {r['usd_error']:+.2%}"
        )
    for rate in STUDY_RATES.values():
        click.echo(
            f"{rate.gpu}: {rate.kg_per_gpu_hour:.5f} kgCO2e and {rate.usd_per_gpu_hour:.4f} USD "
            f"per GPU-hour ({rate.rows} row(s))"
        )
    click.echo(f"source: {SOURCE}")


@click.command(
    "footprint",
    epilog="Example: medfr train footprint --gpu H100 --gpus 32 --hours 12",
)
@click.option("--gpu", help="GPU type or device name: H100, A100, A40, L40.")
@click.option("--gpus", type=int, default=1, show_default=True, help="Number of GPUs.")
@click.option("--hours", type=float, help="Wall-clock hours of the job.")
@click.option(
    "--profile",
    type=click.Choice(["study", "tdp"]),
    default="study",
    show_default=True,
    help="study: Table 8 flat rates per GPU-hour; tdp: board power x --carbon-intensity.",
)
@click.option("--carbon-intensity", type=float, help="kgCO2e per kWh of the grid (tdp profile).")
@click.option("--price", type=float, help="USD per GPU-hour (tdp profile).")
@click.option("--tdp-watts", type=float, help="Board power per GPU, W (tdp; default per GPU type).")
@click.option("--table8", is_flag=True, help="Print Table 8 against the study profile and exit.")
def footprint(
    gpu: str | None,
    gpus: int,
    hours: float | None,
    profile: str,
    carbon_intensity: float | None,
    price: float | None,
    tdp_watts: float | None,
    table8: bool,
) -> int:
    """Estimate kgCO2e and cost of a training job without running it."""
    if table8:
        _print_table8()
        return 0
    if gpu is None or hours is None:
        raise click.UsageError("give --gpu and --hours (or --table8)")
    options = {"carbon_intensity": carbon_intensity, "price": price, "tdp_watts": tdp_watts}
    est = estimate(gpu, gpus, hours, profile, **options)  # type: ignore[arg-type]
    click.echo(
        f"{gpus} x {est['gpu']} x {hours:g} h = {est['gpu_hours']:g} GPU-hours ({profile} profile)"
    )
    if est["energy_kwh"] is not None:
        click.echo(f"energy: {est['energy_kwh']:,.1f} kWh ({est['energy_method']})")
    click.echo(f"kgCO2e: {_fmt(est['kgco2e'], ',.2f')}")
    click.echo(f"cost:   {_fmt(est['cost_usd'], ',.2f')} USD")
    if profile == "tdp" and est["kgco2e"] is None:
        click.echo("(give --carbon-intensity for kgCO2e and --price for the cost)")
    if profile == "study":
        click.echo(
            f"rates: {est['kg_per_gpu_hour']:.5f} kgCO2e, {est['price_per_gpu_hour']:.4f} USD per GPU-hour"
        )
        click.echo(f"source: {SOURCE}")
    return 0
