"""Small study files written by the tests: two models, two sets, a pairs file, a paper table."""

from __future__ import annotations

from pathlib import Path

STUDY = """\
medfr_study: 1
name: mini
tasks: [medfr_mmlu_anatomy, medfr_frmedqa]
evaluation:
  backend: hf
  model_args: {{dtype: float32}}
  device: cpu
  batch_size: 16
  data: sample
  gen_kwargs: {{max_gen_toks: 4}}
  bertscore: {{model: {bert}, layer: 2}}
significance: {{resamples: 200}}
pairs: pairs.yaml
paper:
  tables: paper.csv
  source: "figures written for the tests"
  win_tie_loss:
    - {{label: "b vs a", model_a: model-b, model_b: model-a, family: all, win: 0.5, tie: 0.5, loss: 0.0}}
models:
  - name: model-a
    path: {a}
    strategy: base
  - name: model-b
    path: {b}
    base_model: model-a
    strategy: CPT
"""

PAIRS = """\
pairs:
  - {model_a: model-b, model_b: model-a}
"""

PAPER = """\
# figures written for the tests
table,model,strategy,set,metric,value
T1,model-a,base,mmlu_anatomy,accuracy_pct,25.00
T1,model-b,CPT,mmlu_anatomy,accuracy_pct,25.00
T3,model-a,base,frmedqa,bertscore_f1,0.50
T3,model-b,CPT,frmedqa,bertscore_f1,0.50
"""


def write_study(folder: Path, *, a: str = "models/a", b: str = "models/b", bert: str = "bert",
                study: str | None = None, pairs: str = PAIRS, paper: str = PAPER) -> Path:  # fmt: skip
    """``study.yaml`` with its ``pairs.yaml`` and ``paper.csv`` in ``folder``; returns the study."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pairs.yaml").write_text(pairs, encoding="utf-8")
    (folder / "paper.csv").write_text(paper, encoding="utf-8")
    path = folder / "study.yaml"
    path.write_text(
        study if study is not None else STUDY.format(a=a, b=b, bert=bert), encoding="utf-8"
    )
    return path
