"""Every field that reaches a page is shown as text: markup, attribute breakers, script URLs
and bidi controls from entries, run cards, sample logs, judge metadata and signif warnings."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from board_fixtures import BASE, CPT, SFT, build, write_run

from medfr_eval.board.table import slugify
from medfr_eval.cli import board_main as main

SCRIPT = "<script>window.__pwned=1</script>"
BREAKER = '" onmouseover="window.__pwned=2" x="'
JS_URL = "javascript:window.__pwned=3"
BIDI = "\u202e"
PAYLOAD = f"{SCRIPT}{BREAKER}{JS_URL}{BIDI}tail"


def pages(site: Path) -> dict[str, str]:
    return {str(p.relative_to(site)): p.read_text(encoding="utf-8")
            for p in sorted(site.rglob("*")) if p.suffix in (".html", ".svg")}  # fmt: skip


def assert_inert(site: Path) -> None:
    """No page holds the payload as markup, an attribute, a link or a bidi control."""
    for rel, text in pages(site).items():
        assert SCRIPT not in text, rel
        assert 'onmouseover="window' not in text, rel
        assert BIDI not in text and "\u2066" not in text, rel
        for url in re.findall(r'(?:href|src)="([^"]*)"', text):
            # links only http(s) or relative; the one data: URL is the empty favicon
            assert url == "data:," or not re.match(r"^[a-z][a-z0-9+.-]*:", url, re.I) or \
                url.startswith(("http://", "https://")), (rel, url)  # fmt: skip


def edit_card(runs, change) -> None:
    path = runs["tmp"] / "models" / "cpt" / "run_card.json"
    card = json.loads(path.read_text())
    change(card)
    path.write_text(json.dumps(card))


def cpt_page(site: Path) -> str:
    return (site / "models" / f"{slugify(CPT)}.html").read_text(encoding="utf-8")


def test_entry_notes_and_link_titles_are_text(runs):
    (runs["entries"] / "sft.yaml").write_text(
        f"model: {SFT}\nname: {json.dumps(PAYLOAD)}\nnotes: {json.dumps(PAYLOAD)}\n"
        f"links:\n  {json.dumps(PAYLOAD)}: https://example.org/a\n",
        encoding="utf-8",
    )
    site = runs["tmp"] / "site"
    assert build(runs, site) == 0
    assert_inert(site)
    page = (site / "models" / f"{slugify(PAYLOAD.replace(BIDI, ''))}.html").read_text()
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    assert page.count("javascript:window.__pwned=3") >= 3  # name, notes, link title: as text


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "data:text/html,<b>x</b>", "vbscript:x", "//evil.example/x",
     "https://ok.example/\u202eexe.txt", "https://ok.example/ x", "https://ok.example/\nx"],
)  # fmt: skip
def test_entry_links_other_than_plain_http_urls_are_refused(runs, capsys, url):
    (runs["entries"] / "sft.yaml").write_text(
        f"model: {SFT}\nlinks:\n  code: {json.dumps(url)}\n", encoding="utf-8"
    )
    site = runs["tmp"] / "site"
    assert build(runs, site) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ") and "sft.yaml" in err[-1] and "links.code" in err[-1]
    assert not site.exists()


def test_an_attribute_breaker_in_a_link_stays_inside_the_href(runs):
    url = 'https://example.org/x?a="onclick="window.__pwned=4'
    (runs["entries"] / "sft.yaml").write_text(
        f"model: {SFT}\nlinks:\n  code: {json.dumps(url)}\n", encoding="utf-8"
    )
    site = runs["tmp"] / "site"
    assert build(runs, site) == 0
    text = "".join(pages(site).values())
    assert 'href="https://example.org/x?a=&#34;onclick=&#34;window.__pwned=4"' in text
    assert 'onclick="window' not in text


def test_run_card_values_keys_and_stages_are_text(runs):
    def change(card):
        card["recipe"] = {PAYLOAD: PAYLOAD, "hub_model_id": JS_URL, "nested": {"x": PAYLOAD}}
        card["hardware"] = {"gpu": PAYLOAD}
        card["stages"] = [{"stage": PAYLOAD, "global_steps": 3}, PAYLOAD]
        card["energy_method"] = PAYLOAD

    edit_card(runs, change)
    site = runs["tmp"] / "site"
    assert build(runs, site) == 0
    assert_inert(site)
    page = cpt_page(site)
    assert page.count("&lt;script&gt;") >= 6
    assert f"<td>{JS_URL}</td>" in page  # a script URL in a value: text, never a link


def test_run_card_model_and_base_names_are_text(runs):
    edit_card(runs, lambda c: c.update(model_name=PAYLOAD, base_model=PAYLOAD))
    site = runs["tmp"] / "site"
    assert build(runs, site) == 0
    assert_inert(site)
    data = json.loads((site / "data/leaderboard.json").read_text())
    names = {m["name"] for m in data["models"]}
    assert PAYLOAD.replace(BIDI, "") in names


def test_sample_text_on_the_task_page_is_text(tmp_path):
    out = tmp_path / "out"
    write_run(out, BASE, 0.4, seed=1, variant=PAYLOAD)  # the logged prompt carries it
    site = tmp_path / "site"
    assert main(["build", str(out), "--board", str(tmp_path / "e"), "-o", str(site)]) == 0
    assert_inert(site)
    task = (site / "tasks" / "medqa_4opt.html").read_text(encoding="utf-8")
    assert '<pre class="prompt" lang="fr">' in task and "&lt;script&gt;window" in task


def test_judge_metadata_in_results_never_reaches_a_page_as_markup(tmp_path):
    out = tmp_path / "out"
    folder = write_run(out, BASE, 0.4, seed=1)
    (results,) = folder.glob("results_*.json")
    data = json.loads(results.read_text())
    data["configs"]["medfr_kqa"]["metadata"]["medfr_judge"] = {"model": PAYLOAD,
                                                               "endpoint": JS_URL}  # fmt: skip
    results.write_text(json.dumps(data))
    site = tmp_path / "site"
    assert main(["build", str(out), "--board", str(tmp_path / "e"), "-o", str(site)]) == 0
    assert_inert(site)


def test_signif_warnings_are_text(runs):
    data = json.loads(runs["signif"].read_text())
    data["warnings"] = [{"kind": PAYLOAD, "message": PAYLOAD}]
    runs["signif"].write_text(json.dumps(data))
    site = runs["tmp"] / "site"
    assert build(runs, site) == 0
    assert_inert(site)
    assert "&lt;script&gt;" in (site / "index.html").read_text(encoding="utf-8")


def test_entries_files_linking_out_of_the_board_are_refused(tmp_path, capsys):
    board = tmp_path / "entries"
    folder = write_run(board, CPT, 0.6, seed=2)
    (samples,) = folder.glob("samples_medfr_kqa_*.jsonl")
    outside = tmp_path / "elsewhere.jsonl"
    samples.rename(outside)
    samples.symlink_to(outside)
    site = tmp_path / "site"
    assert main(["build", "--board", str(board), "-o", str(site)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert samples.name in err[-1] and "outside" in err[-1]
    assert not site.exists()
