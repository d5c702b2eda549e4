"""``medfr demo``: the pipeline end to end (slow), and its orchestration on toy commands.

The end-to-end test runs the real commands (medfr-train, lm_eval, medfr-signif,
medfr-leaderboard) in the ``--fast`` setting and reads back what each step
wrote. The fast tests swap the plan for tiny Python commands to check what is
ours: skipping finished steps, rerunning stale ones, ``--force``, errors naming
the step and its log, and no torch at import.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from medfr_eval import demo
from medfr_eval.cli import main
from medfr_eval.core.sets import SETS
from medfr_eval.demo import plan as demo_plan

# --------------------------------------------------------------------------- toy plans


def _writer(path: Path, text: str = "ok", code: int = 0) -> list[str]:
    return [
        sys.executable,
        "-c",
        f"import pathlib, sys; print('écrit {path.name}'); "
        f"pathlib.Path({str(path)!r}).write_text({text!r}); sys.exit({code})",
    ]


def _exists(path: Path):
    def check() -> None:
        if not path.is_file():
            raise demo.DemoError(f"missing {path}")

    return check


@pytest.fixture()
def toy(tmp_path, monkeypatch):
    """A two-step plan (base -> cpt) of small Python commands, with one input file."""
    out = tmp_path / "demo"
    data = tmp_path / "input.txt"
    data.write_text("v1")
    settings = {"fail": False}

    def plan(root: Path, fast: bool = False) -> dict[str, demo.Step]:
        a, b = root / "a.txt", root / "b.txt"
        return {
            "base": demo.Step(
                "base", "A", (), [demo.Unit("a", _writer(a), _exists(a), inputs=[data])]
            ),
            "cpt": demo.Step(
                "cpt",
                "B",
                ("base",),
                [
                    demo.Unit(
                        "b", _writer(b, code=3 if settings["fail"] else 0), _exists(b), clean=[b]
                    )
                ],
            ),
        }

    monkeypatch.setattr(demo_plan, "build_plan", plan)
    return out, data, settings


def _finished(out: Path, step: str, unit: str) -> float:
    return json.loads((out / "state" / f"{step}__{unit}.json").read_text())["finished_at"]


def test_finished_steps_are_reused_and_stale_ones_rerun(toy):
    out, data, _ = toy
    demo.run_demo(out, steps="base,cpt")
    t_a, t_b = _finished(out, "base", "a"), _finished(out, "cpt", "b")
    assert (out / "logs" / "base__a.log").read_text().strip() == "écrit a.txt"

    demo.run_demo(out, steps="base,cpt")  # nothing changed: both reused
    assert (_finished(out, "base", "a"), _finished(out, "cpt", "b")) == (t_a, t_b)

    data.write_text("v2")  # an input of base changed: base reruns, and cpt below it
    demo.run_demo(out, steps="base,cpt")
    t_a2, t_b2 = _finished(out, "base", "a"), _finished(out, "cpt", "b")
    assert t_a2 > t_a and t_b2 > t_b

    demo.run_demo(out, steps="cpt", force=True)  # --force redoes only the named step
    assert _finished(out, "base", "a") == t_a2 and _finished(out, "cpt", "b") > t_b2

    (out / "b.txt").unlink()  # an output gone: the step is not done any more
    assert not demo.step_done(demo.Layout(out.resolve()), demo_plan.build_plan(out), "cpt")


def test_failed_step_names_step_and_log_and_leaves_no_marker(toy, capsys):
    out, _, settings = toy
    demo.run_demo(out, steps="base")
    settings["fail"] = True
    with pytest.raises(demo.DemoError) as exc:
        demo.run_demo(out, steps="cpt")
    msg = str(exc.value)
    assert "step cpt (b) failed with exit code 3" in msg
    assert str(out.resolve() / "logs" / "cpt__b.log") in msg
    assert not (out / "state" / "cpt__b.json").exists()


def test_missing_upstream_step_is_one_clear_error(toy, capsys):
    out, _, _ = toy
    assert main(["demo", "--out", str(out), "--steps", "cpt"]) == 2
    err = capsys.readouterr().err
    assert "step cpt needs step base" in err and "--steps base,cpt" in err
    assert not (out / "b.txt").exists()


def test_unknown_step_exits_2(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--steps", "eval,nope"]) == 2
    assert "unknown step 'nope'" in capsys.readouterr().err


def test_select_steps_keeps_the_demo_order():
    assert demo.select_steps("board,eval") == ["eval", "board"]
    assert demo.select_steps(None) == list(demo.STEP_NAMES)
    with pytest.raises(demo.DemoError):
        demo.select_steps(" , ")


def test_list_prints_the_real_commands(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--list"]) == 0
    text = capsys.readouterr().out
    for piece in (
        "medfr train recipe",
        "pretrain.yaml",
        "cpt_sft.yaml",
        "--tasks medfr_all --model hf",
        "--log_samples",
        "medfr signif",
        "--baseline",
        "medfr board build",
    ):
        assert piece in text, piece


LONG_TITLE = (
    "A step title well beyond eighty columns, which rich's Rule used to cut with an ellipsis"
)
LONG_LINE = "using the first tokenizer of the folder " + "and a message that goes on " * 4 + "END"


def test_messages_and_titles_are_never_cut_off_a_terminal(tmp_path, monkeypatch, capsys):
    """Piped output (80 columns for rich): titles and log lines come whole, in English."""
    done = tmp_path / "demo" / "x.txt"
    argv = [
        sys.executable,
        "-c",
        f"import pathlib; print({LONG_LINE!r}); pathlib.Path({str(done)!r}).write_text('x')",
    ]

    def plan(root: Path, fast: bool = False) -> dict[str, demo.Step]:
        return {"base": demo.Step("base", LONG_TITLE, (), [demo.Unit("x", argv, _exists(done))])}

    monkeypatch.setattr(demo_plan, "build_plan", plan)
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["demo", "--out", str(tmp_path / "demo"), "--steps", "base"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert any(LONG_TITLE in line for line in lines), out
    assert any(LONG_LINE in line for line in lines), out
    assert "…" not in out and "x: done in" in out
    for french in ("terminé", "déjà", "Dossier", "Durée"):
        assert french not in out


def test_demo_ends_with_next_steps_that_name_real_things(tmp_path, capsys):
    from medfr_eval.cli import load_command
    from medfr_eval.core.sets import GROUPS
    from medfr_eval.demo.next_steps import next_steps, print_next_steps
    from medfr_eval.demo.run import make_console

    lay = demo.Layout(tmp_path)
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("<html></html>")
    steps = next_steps(lay)
    assert str(tmp_path / "site" / "index.html") in steps[0].text
    commands = [c for step in steps for c in step.commands]
    assert any(c.startswith("MEDFR_DATA=sample MEDFR_BERTSCORE_MODEL=") for c in commands)
    assert any(c.startswith("medfr data fetch -o medfr-data/ && hf download ") for c in commands)
    for command in commands:
        for part in command.split(" && "):
            words = part.split()
            if "lm_eval" in words:
                assert words[words.index("--tasks") + 1] in GROUPS
                assert "--batch_size" in words, part
            elif words[0] == "medfr":  # each subcommand path exists
                group = load_command(words[1])
                if len(words) > 2 and not words[2].startswith("-") and hasattr(group, "commands"):
                    assert group.get_command(None, words[2]) is not None, part
    print_next_steps(make_console(), lay)
    printed = capsys.readouterr().out.splitlines()
    for step in steps:
        assert any(line.startswith(f"- {step.marker}") for line in printed), step.marker
        for command in step.commands:
            assert f"    {command}" in printed, command


def test_next_steps_offline_are_scored_like_the_demo_and_say_what_needs_the_hub(tmp_path):
    """The printed evaluation repeats the demo's scorer and answer length, so that the
    user's run compares with the demo's base; a step that needs the Hub says so."""
    from medfr_eval.demo.next_steps import next_steps

    lay = demo.Layout(tmp_path)
    for fast in (False, True):
        steps = next_steps(lay, fast)
        own, compare = steps[0], steps[1]
        assert not own.needs and not compare.needs
        gen = demo_plan.FAST_MAX_GEN_TOKS if fast else demo_plan.MAX_GEN_TOKS
        (command,) = own.commands
        assert f"MEDFR_BERTSCORE_MODEL={lay.bert} MEDFR_BERTSCORE_LAYER=2 lm_eval" in command
        assert f"--batch_size 16 --gen_kwargs max_gen_toks={gen} " in command
        base_run = str(lay.eval_dir(demo.BASE))
        assert f"medfr signif runs/sample/ {base_run} --baseline {base_run}" in compare.commands[0]
        later = steps[2:]
        assert later and all("Hub" in step.needs for step in later)
        assert all(step.marker.startswith("[needs: ") for step in later)


def test_fast_help_says_what_fast_does():
    """--fast shortens training and answers; the sample sets stay whole (no lm-eval --limit)."""
    from click.testing import CliRunner

    from medfr_eval.demo.cli import demo as demo_command

    help_text = " ".join(CliRunner().invoke(demo_command, ["--help"]).output.split())
    assert "a few items per set" not in help_text
    assert "the sample sets stay whole" in help_text
    for step in demo_plan.build_plan(Path("x"), fast=True).values():
        for unit in step.units:
            assert "--limit" not in unit.argv


def test_reported_model_is_read_from_medfr_train_output(tmp_path):
    log = tmp_path / "t.log"
    log.write_text("step 1\rstep 2\nmodel: outputs/x/sft\nrun card: outputs/x/sft/run_card.json\n")
    assert demo.reported_model(log, tmp_path) == str((tmp_path / "outputs/x/sft").resolve())
    log.write_text("no model line\n")
    assert demo.reported_model(log, tmp_path) is None


def test_family_scores_are_unweighted_means_of_the_sets(tmp_path):
    results = {}
    for i, s in enumerate(SETS):
        results[s.task] = {s.result_key: i / 100}
    path = tmp_path / "results_2026-01-01T00-00-00.000000.json"
    path.write_text(json.dumps({"results": results, "config": {"limit": None}}))
    got = demo.family_scores(tmp_path)
    for fam in ("mcq_translated", "mcq_native", "openqa"):
        vals = [i / 100 for i, s in enumerate(SETS) if s.family == fam]
        assert got["families"][fam] == pytest.approx(sum(vals) / len(vals))
    assert len(got["sets"]) == 15


def test_demo_modules_import_no_training_or_torch_stack():
    code = (
        "import sys, medfr_eval.demo, medfr_eval.demo.cli, medfr_eval.cli; "
        "bad = [m for m in ('torch', 'trl', 'peft', 'accelerate', 'lm_eval') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --------------------------------------------------------------------------- end to end


@pytest.mark.slow
def test_demo_end_to_end_fast(fast_demo, capsys):
    """Every step with the real commands (few training steps), outputs read back."""
    out, proc = fast_demo
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    text = " ".join(proc.stdout.split())
    lay = demo.Layout(out.resolve())

    # 1-2. Four trained models with run cards (the base is pre-trained, not random).
    cards = {}
    for name, strategy in demo.STRATEGY.items():
        folder = lay.model_dir(name)
        demo.check_model(folder)
        cards[name] = json.loads((folder / "run_card.json").read_text())
        assert cards[name]["strategy"] == ("CPT" if strategy == "base" else strategy)
    assert cards["tiny-cpt-sft"]["model_name"] == "tiny-cpt-sft"

    # 3. lm-eval results for the 15 sets, with sample logs, per model.
    for name in demo.STRATEGY:
        demo.check_eval(lay.eval_dir(name))
        res = json.loads(demo.results_file(lay.eval_dir(name)).read_text())
        assert res["config"]["model_args"]["pretrained"] == str(lay.model_dir(name))

    # 4. Significance: each adapted model against the base, on every set.
    sig = json.loads((lay.signif / "signif.json").read_text())
    # Named by the one naming rule (run card), as the board names them: not "sft".
    pairs = {(c["model_a"], c["model_b"]) for c in sig["comparisons"]}
    base = cards[demo.BASE]["model_name"]
    assert pairs == {(cards[n]["model_name"], base) for n in demo.ADAPTED.values()}
    assert len(sig["comparisons"]) == 3 * len(SETS)

    # 5. The site, and the final table computed from the results files.
    demo.check_site(lay.site)
    assert f"The leaderboard site: open {lay.site / 'index.html'} in a browser" in text
    scores = json.loads((out / "scores.json").read_text())
    assert [m["model"] for m in scores["models"]] == list(demo.STRATEGY)
    # every adapted model has its win/tie/loss against the base, the chained one too
    assert [m["model"] for m in scores["models"] if "vs_base" in m] == list(demo.ADAPTED.values())
    for m in scores["models"]:
        res = json.loads(Path(m["results"]).read_text())["results"]
        for s in SETS:
            assert m["sets"][s.name] == res[s.task][s.result_key]
    assert "tiny random BERT" in text and "Next steps" in text
    # piped output: each evaluation ends with lm-eval's tables, each with its header
    lines = [line.strip() for line in proc.stdout.splitlines()]
    for header in ("Tasks", "Groups"):
        heads = [ln for ln in lines if ln.startswith("|") and ln.strip("| ").startswith(header)]
        assert len(heads) == len(demo.STRATEGY), (header, heads)

    # 6. The miniature study: medfr study run finds the eval step's results done (same
    # settings), pairs, compares with the made-up paper table and builds its board.
    study_log = (lay.logs / "study__medfr-study-run.log").read_text()
    assert study_log.count("done, skipped (15 sets, same settings)") == len(demo.STRATEGY)
    assert (out / "study" / "site" / "paper.html").is_file()
    compared = json.loads((out / "study" / "compare" / "compare.json").read_text())
    assert {r["model"] for r in compared["rows"]} == set(demo.STRATEGY)
    assert "made-up" in compared["paper"]["source"]

    # Rerun: every step reused, nothing retrained or re-evaluated.
    before = sorted((p.name, p.read_text()) for p in lay.state.glob("*.json"))
    assert main(["demo", "--out", str(out), "--fast"]) == 0
    assert sorted((p.name, p.read_text()) for p in lay.state.glob("*.json")) == before
    assert capsys.readouterr().out.count("already done, reused") == sum(
        len(s.units) for s in demo.build_plan(out, fast=True).values()
    )


def test_the_interpreter_in_a_command_does_not_depend_on_how_the_demo_started(tmp_path):
    """``python`` and ``python3`` of one venv run the same step: one command, one fingerprint."""
    real = tmp_path / "python3.11"
    real.write_text("")
    for name in ("python", "python3"):
        (tmp_path / name).symlink_to(real.name)
    assert demo_plan._python(str(tmp_path / "python")) == str(tmp_path / "python3")
    assert demo_plan._python(str(tmp_path / "python3")) == str(tmp_path / "python3")
    other = tmp_path / "other"
    other.mkdir()
    (other / "python").write_text("")  # no python3 beside it: kept as given
    assert demo_plan._python(str(other / "python")) == str(other / "python")


def test_demo_models_follow_the_strategies_table():
    from medfr_eval.core import strategies

    assert list(demo.STRATEGY.values()) == list(strategies.KEYS)
    assert demo.BASE == "tiny-base"
    assert demo.ADAPTED == {"cpt": "tiny-cpt", "sft": "tiny-sft", "cpt_sft": "tiny-cpt-sft"}


def test_demo_modules_and_functions_stay_small():
    """One idea a file: no module over 500 lines, no function over 80."""
    import ast

    folder = Path(demo.__file__).parent
    for path in sorted(folder.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert text.count("\n") <= 500, path.name
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                assert length <= 80, f"{path.name}:{node.lineno} {node.name} ({length} lines)"
