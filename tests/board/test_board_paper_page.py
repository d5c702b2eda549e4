"""The board's "Paper" page from a ``medfr study compare`` JSON: shown, escaped, paths cut, shape checked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from medfr_eval.board.build import build_site
from medfr_eval.core.errors import DataError
from medfr_eval.core.sets import SETS
from medfr_eval.study import Layout, compare_run, load_study
from medfr_eval.study.report import write_report
from medfr_eval.study.run import record_study
from medfr_eval.study.synthetic import write_model_run

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "eval" / "study"))
from studyfiles import STUDY, write_study  # noqa: E402


@pytest.fixture()
def compared(tmp_path):
    text = STUDY.replace("tasks: [medfr_mmlu_anatomy, medfr_frmedqa]", "tasks: [medfr_all]")
    study = load_study(
        write_study(tmp_path / "s", study=text.format(a="/m/a", b="/m/b", bert="bert"))
    )
    lay = Layout(tmp_path / "run")
    record_study(study, lay)
    rng = np.random.default_rng(3)
    folders = []
    for m in study.models:
        values = {s.task: list((rng.uniform(size=20) < 0.3).astype(float)) if s.kind.startswith("mcq")
                  else list(rng.uniform(0.3, 0.6, 20)) for s in SETS}  # fmt: skip
        folders.append(next(write_model_run(lay.model_dir(m), study, m, values).parent.iterdir()))
    write_report(compare_run(lay.root), lay.compare)
    return lay, folders


def test_the_paper_page_shows_every_figure_with_its_flag(compared, tmp_path):
    lay, folders = compared
    site = tmp_path / "site"
    build_site(folders, site, board=tmp_path / "entries", paper=lay.compare / "compare.json")
    page = (site / "paper.html").read_text()
    data = json.loads((lay.compare / "compare.json").read_text())
    assert page.count('<tr class="flag-') == len(data["rows"]) == 4
    for r in data["rows"]:
        assert f'<tr class="flag-{r["flag"]}">' in page
    assert "figures written for the tests" in page
    assert 'href="paper.html">Paper</a>' in (site / "index.html").read_text()


def test_text_from_the_comparison_is_escaped_and_local_paths_cut(compared, tmp_path):
    lay, folders = compared
    path = lay.compare / "compare.json"
    data = json.loads(path.read_text())
    data["rows"][0]["model"] = "<script>alert(1)</script>"
    data["sources"][0]["source"] = "/home/someone/private/medfr-data/kqa.jsonl"
    path.write_text(json.dumps(data))
    site = tmp_path / "site"
    build_site(folders, site, board=tmp_path / "entries", paper=path)
    page = (site / "paper.html").read_text()
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "/home/someone" not in page and "kqa.jsonl" in page


def test_a_comparison_of_the_wrong_shape_is_one_error_before_the_site(compared, tmp_path):
    lay, folders = compared
    path = lay.compare / "compare.json"
    data = json.loads(path.read_text())
    data["rows"][1]["flag"] = "maybe"
    path.write_text(json.dumps(data))
    with pytest.raises(DataError, match=r"rows\[1\]\.flag: expected one of reproduced"):
        build_site(folders, tmp_path / "site", board=tmp_path / "entries", paper=path)
    assert not (tmp_path / "site").exists()


def test_the_board_page_module_imports_no_torch():
    code = ("import sys, medfr_eval.board.paper_page, medfr_eval.board.build; "
            "sys.exit(1 if {'torch', 'lm_eval'} & set(sys.modules) else 0)")  # fmt: skip
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
