"""What the pages show: labelled p-values, a stated overall, no empty columns, unmeasured footprints."""

from __future__ import annotations

import json
import re

from board_fixtures import BASE, CPT, build, run_card, signif_for, write_run

from medfr_eval.board.labels import OVERALL_DEFINITION
from medfr_eval.board.table import slugify
from medfr_eval.cli import board_main as main
from medfr_eval.core.sets import FAMILIES, SETS


def page_of(site, name: str) -> str:
    return (site / "models" / f"{slugify(name)}.html").read_text(encoding="utf-8")


def test_model_page_shows_the_adjusted_p_and_the_raw_p_each_labelled(runs):
    data = signif_for(CPT, BASE)
    for c in data["comparisons"]:
        c["p_value"], c["p_adjusted"] = 0.0006, 0.009  # Bonferroni over 15 sets
    runs["signif"].write_text(json.dumps(data))
    site = runs["tmp"] / "site"
    assert build(runs, site) == 0
    page = page_of(site, CPT)
    assert "<th>p, adjusted (bonferroni, m = 15)</th><th>p, unadjusted</th>" in page
    assert page.count('<td class="num">0.009</td><td class="num">&lt; 0.001</td>') == len(SETS)
    rows = json.loads((site / "data/leaderboard.json").read_text())["models"]
    cpt = next(r for r in rows if r["model_name"] == CPT)
    assert cpt["vs_base"]["correction"] == {"name": "bonferroni", "m": 15}
    assert {s["p_adjusted"] for s in cpt["vs_base"]["sets"]} == {0.009}


def test_a_missing_adjusted_p_is_shown_as_missing_not_as_the_raw_one(runs):
    site = runs["tmp"] / "site"
    assert build(runs, site) == 0  # the fixture's comparisons give p_value 0.001 only
    page = page_of(site, CPT)
    assert page.count('<td class="num">—</td><td class="num">0.001</td>') == len(SETS)


def test_overall_states_how_it_adds_accuracy_and_bertscore(runs):
    site = runs["tmp"] / "site"
    assert build(runs, site) == 0
    index = (site / "index.html").read_text(encoding="utf-8")
    stated = OVERALL_DEFINITION.replace("×", "×")
    assert f"100 × {FAMILIES['openqa']}" in stated and "not an accuracy" in stated
    assert index.count(stated) >= 2  # the lead above the table and the column's tooltip
    assert stated in page_of(site, CPT)
    data = json.loads((site / "data/leaderboard.json").read_text())
    assert data["overall_definition"] == OVERALL_DEFINITION
    cpt = next(r for r in data["models"] if r["model_name"] == CPT)
    fam = cpt["families"]
    by_definition = (fam["mcq_translated"] + fam["mcq_native"] + fam["openqa"]) / 3
    assert abs(cpt["overall"] - by_definition) < 1e-12


def heads(html: str) -> list[str]:
    thead = html.split('<table id="board"', 1)[1].split("</thead>", 1)[0]
    return re.findall(r'<th data-col="([^"]+)"', thead)


def test_columns_and_headings_no_run_has_are_left_out(runs, tmp_path):
    site = runs["tmp"] / "site"
    assert build(runs, site) == 0
    index = (site / "index.html").read_text(encoding="utf-8")
    shown = index.split('<script type="application/json"', 1)[0]  # what a reader sees
    for absent in ("English MCQ", "Public native"):
        assert absent not in shown
    sets_section = index.split('<section id="sets">', 1)[1].split("</section>", 1)[0]
    for block in sets_section.split("<h3>")[1:]:
        assert "<li>" in block  # no heading without sets under it
    assert "avg_mcq_english" not in heads(index) and "avg_public_native" not in heads(index)

    out = tmp_path / "mcq_only"
    write_run(out, BASE, 0.4, seed=1, sets={s.name for s in SETS if s.family != "openqa"})
    only = tmp_path / "site_mcq"
    assert main(["build", str(out), "--board", str(tmp_path / "e"), "-o", str(only)]) == 0
    html = (only / "index.html").read_text(encoding="utf-8")
    cols = heads(html)
    assert "avg_openqa" not in cols and not {"kqa", "frclinicalqa", "frmedqa"} & set(cols)
    assert "avg_mcq_translated" in cols and "frmedmcqa" in cols
    assert 'value="openqa"' not in html  # nor in the family filter
    assert (
        FAMILIES["openqa"]
        not in page_of(only, BASE).split("<h2>Scores</h2>", 1)[1].split("</table>", 1)[0]
    )


def test_unmeasured_footprint_reads_not_measured(tmp_path):
    out = tmp_path / "out"
    cards = tmp_path / "cards"
    measured, cpu = cards / "gpu", cards / "cpu"
    for folder in (measured, cpu):
        folder.mkdir(parents=True)
    gpu_card = run_card(CPT, BASE, "CPT", 2.0) | {
        "energy_method": "estimate: GPU-hours x TDP 700 W"
    }
    cpu_card = run_card("tiny-cpu", BASE, "SFT", 0.0) | {
        "energy_kwh": 0.0, "kgco2e": 0.0, "cost_usd": 0.0, "gpu_hours": 0.0,
        "energy_method": "none: CPU run, no GPU-hours counted"}  # fmt: skip
    (measured / "run_card.json").write_text(json.dumps(gpu_card))
    (cpu / "run_card.json").write_text(json.dumps(cpu_card))
    write_run(out, CPT, 0.5, seed=1, pretrained=str(measured))
    write_run(out, "tiny-cpu", 0.4, seed=2, pretrained=str(cpu))
    site = tmp_path / "site"
    assert main(["build", str(out), "--board", str(tmp_path / "e"), "-o", str(site)]) == 0
    page = page_of(site, "tiny-cpu")
    for label in ("Energy (kWh)", "Emissions (kg CO2e)", "Cost (USD)"):
        assert f'<th scope="row">{label}</th><td>not measured</td>' in page
    assert '<th scope="row">GPU-hours</th><td>0</td>' in page  # a count, not a measurement
    gpu = page_of(site, CPT)
    assert '<th scope="row">Energy (kWh)</th><td>1.4</td>' in gpu
    assert "not measured" not in gpu
