"""The README's and its docs pages' commands exist, and run as written (or say what they need
beyond this machine). The docs pages are read with the README, in the order its Documentation
table lists them: a reader who follows the table types their commands in that order."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from documented import NEEDS, Sandbox, copy_run, documented_commands, offline_env

from medfr_eval.study.taskindex import load_task_yaml

ROOT = Path(__file__).resolve().parents[1]
FRONT = (ROOT / "README.md").read_text(encoding="utf-8")
#: The README, then every ``docs/`` page in the order its Documentation table links them.
DOC_FILES = [ROOT / "README.md"] + [
    ROOT / link for link in dict.fromkeys(re.findall(r"\]\((docs/[\w.-]+\.md)\)", FRONT))
]
README = "\n".join(path.read_text(encoding="utf-8") for path in DOC_FILES)


def test_every_docs_page_is_linked_from_the_readme():
    pages = {p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md")}
    linked = {p.relative_to(ROOT).as_posix() for p in DOC_FILES[1:]}
    assert pages and linked == pages, sorted(pages ^ linked)
    for page in DOC_FILES[1:]:  # a page's own links to other pages resolve
        for target in re.findall(r"\]\(([\w./-]+\.md)(?:#[\w-]+)?\)", page.read_text("utf-8")):
            assert (page.parent / target).resolve().is_file(), (page.name, target)


def test_first_lines_hold_the_two_commands():
    block = FRONT.split("```bash", 1)[1].split("```", 1)[0]
    commands = [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
    assert len(commands) == 2
    assert commands[0].endswith("medfr demo") and commands[1].endswith("python -m pytest -q")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    install = commands[1].rsplit(" && ", 1)[0].replace("pip install ", "pip install -q ")
    assert install in ci and "\npython -m pytest -q\n" in ci


def test_every_file_the_readme_names_exists():
    paths = set(
        re.findall(r"(?:recipes|tasks|leaderboard|benchmarks)/[\w./-]+\.(?:yaml|py|j2|md)", README)
    )
    assert paths
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert not missing, missing


def test_console_scripts_named_in_the_readme_answer_help():
    for tool in ("medfr", "medfr-data", "medfr-train", "medfr-signif", "medfr-leaderboard"):
        assert f"`{tool}" in README or f"{tool} " in README
        exe = Path(sys.executable).with_name(tool)
        out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr


VARIANT_FOLDERS = ("gen", "constrained", "perm")  # decoding modes and option orders of a set


def _task_yamls() -> dict[str, tuple[Path, dict]]:
    """Every task and group YAML under ``tasks/`` (any depth), by task or group name."""
    found = {}
    for path in sorted((ROOT / "tasks").rglob("*.yaml")):
        doc = load_task_yaml(path)
        name = doc.get("group") or doc["task"]
        assert name not in found, (name, path)
        found[name] = (path.relative_to(ROOT / "tasks"), doc)
    return found


def _variant_table(text: str) -> dict[str, set[str]]:
    """The README's variant table (after "Which sets have which"): base task -> its leaves.

    Header cells are suffixes in backticks (``_perm{1,2}`` stands for
    ``_perm1`` and ``_perm2``); a row marks each variant its set has with a tick.
    """
    lines = text.split("Which sets have which", 1)[1].splitlines()[1:]
    lines = lines[next(i for i, line in enumerate(lines) if line.startswith("|")) :]
    rows = list(itertools.takewhile(lambda line: line.startswith("|"), lines))
    header = [cell.strip().strip("`") for cell in rows[0].strip("|").split("|")]
    table = {}
    for row in rows[2:]:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        base = cells[0].strip("`")
        leaves = set()
        for suffix, cell in zip(header[1:], cells[1:], strict=True):
            if cell:
                stem, _, braces = suffix.partition("{")
                digits = braces.rstrip("}").split(",") if braces else [""]
                leaves |= {f"{base}{stem}{d}" for d in digits}
        table[base] = leaves
    return table


def test_tasks_readme_lists_every_task_and_group_and_their_versions():
    """lm-eval's task-README form, kept in step with every YAML of ``tasks/``.

    A new group, base task, variant leaf, variant folder or ``metadata.version``
    fails this test until the README says what it is.
    """
    from medfr_eval.core.sets import ALL_SETS

    text = (ROOT / "tasks" / "README.md").read_text(encoding="utf-8")
    for heading in (
        "### Paper",
        "### Citation",
        "### Groups and Tasks",
        "### Changelog",
        "### Checklist",
    ):
        assert text.count(heading) == 1, heading
    changelog = text.split("### Changelog", 1)[1].split("### Checklist", 1)[0]
    yamls = _task_yamls()
    groups = {n for n, (_, doc) in yamls.items() if "group" in doc}
    leaves = {n: path for n, (path, doc) in yamls.items() if "group" not in doc}
    base = {n for n, path in leaves.items() if path.parts[0] not in VARIANT_FOLDERS}
    variants = {n for n in leaves if n not in base}
    # the walk saw the whole tree: every set of medfr_eval.core.sets has its base task
    assert {s.task for s in ALL_SETS} <= base
    assert groups and variants
    for name in sorted(groups | base):
        assert f"`{name}`" in text, name
    folders = {p.parent.relative_to(ROOT / "tasks") for p in (ROOT / "tasks").rglob("*.yaml")}
    for folder in sorted(str(f) for f in folders if str(f) != "."):
        assert f"`{folder}/`" in text, folder
    listed = set().union(*_variant_table(text).values())
    assert listed == variants, sorted(listed ^ variants)
    assert set(_variant_table(text)) <= base
    versions = {str(doc["metadata"]["version"]) for _, doc in yamls.values()}
    for version in sorted(versions):
        assert f"- v{version} " in changelog, version


def _readme_commands() -> list[list[str]]:
    """Command lines of the README's bash blocks that start with a medfr script."""
    import shlex

    lines = []
    for block in README.split("```bash")[1:]:
        text = block.split("```", 1)[0].replace("\\\n", " ")
        for line in text.splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] in {
                "medfr",
                "medfr-data",
                "medfr-train",
                "medfr-signif",
                "medfr-leaderboard",
            }:
                lines.append(words)
    return lines


def test_every_readme_medfr_command_names_real_subcommands():
    """`medfr data list`, `medfr train recipe ...`: each word before the options is a command."""
    from medfr_eval import cli

    commands = _readme_commands()
    assert len(commands) >= 15, len(commands)
    scripts = {"medfr-data": "data", "medfr-train": "train", "medfr-signif": "signif"}
    scripts["medfr-leaderboard"] = "board"
    for words in commands:
        command = cli.medfr if words[0] == "medfr" else cli.load_command(scripts[words[0]])
        for word in words[1:]:
            if not isinstance(command, click.Group) or word.startswith("-"):
                break
            ctx = click.Context(command)
            found = command.get_command(ctx, word)
            assert found is not None, (words, word)
            command = found


def _commands_in(text: str) -> list[list[str]]:
    """medfr command lines of a Markdown text's bash blocks (continuations joined)."""
    import shlex

    scripts = {"medfr", "medfr-data", "medfr-train", "medfr-signif", "medfr-leaderboard"}
    found = []
    for block in text.split("```bash")[1:]:
        for line in block.split("```", 1)[0].replace("\\\n", " ").splitlines():
            for part in line.split("&&"):
                words = shlex.split(part, comments=True)
                if words and words[0] in scripts:
                    found.append(words)
    return found


def test_options_in_the_readmes_exist():
    """`medfr-signif ... -o signif.json` (leaderboard/README.md) named an option that does not exist."""
    from medfr_eval import cli

    scripts = {"medfr-data": "data", "medfr-train": "train", "medfr-signif": "signif"}
    scripts["medfr-leaderboard"] = "board"
    texts = [README, (ROOT / "leaderboard" / "README.md").read_text(encoding="utf-8")]
    checked = 0
    for words in (w for text in texts for w in _commands_in(text)):
        command = cli.medfr if words[0] == "medfr" else cli.load_command(scripts[words[0]])
        rest = words[1:]
        while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
            command = command.get_command(click.Context(command), rest.pop(0))
            assert command is not None, words
        if command.context_settings.get("ignore_unknown_options"):
            continue  # TRL-style --key value overrides
        known = {o for p in command.params for o in (*p.opts, *p.secondary_opts)} | {"-h", "--help"}
        for word in rest:
            if word.startswith("-") and word != "-":
                assert word.split("=", 1)[0] in known, (words, word)
                checked += 1
    assert checked >= 10


def test_demo_line_installs_what_the_demo_needs_and_timings_agree():
    """The demo needs the train extra, not pytest/selenium; one timing statement everywhere."""
    from medfr_eval.demo.cli import demo

    block = FRONT.split("```bash", 1)[1].split("```", 1)[0]
    demo_line = next(line for line in block.splitlines() if line.endswith("medfr demo"))
    assert 'pip install -e ".[train]"' in demo_line and "[test]" not in demo_line
    assert "--index-url https://download.pytorch.org/whl/cpu" in README  # CPU-only torch
    assert "MEDFR_DATA=sample" in README
    claim = "about 5 CPU-minutes"
    assert claim in demo.help and claim in block
    assert "/usr/bin/time -v" in README and "medfr demo` (full run) used" in README
    assert README.count("idle-machine figures") == 1  # said once, where the numbers are
    for stale in ("~5 min", "under 10 minutes", "about 4 CPU-minutes", "about a minute"):
        assert stale not in README and stale not in demo.help


# --------------------------------------------------------------------------- documented commands

README_COMMANDS = [doc for path in DOC_FILES for doc in documented_commands(path)]
#: The README's first block: the set-up, which ``.ci/run`` runs verbatim
#: (test_first_lines_hold_the_two_commands) up to ``medfr demo``, run with the demo block.
SETUP_BLOCK = 1


def _is_setup(doc) -> bool:
    return doc.source == "README.md" and doc.block == SETUP_BLOCK


#: The words a command is run with here instead of the reader's own (see the sandbox).
STAND_INS = {"/data/medfr": "study-data"}  # the study's files: the samples, same schema
#: Options added here: the demo's test setting (fewer training steps, same commands).
TEST_SETTINGS = {"medfr demo": "--fast"}
#: The study's models, as lm-eval names their runs (what the marked GPU commands make).
STUDY_MODELS = (
    "mistralai/Mistral-7B-v0.1", "MedMistral-CPT-7B", "MedMistral-CPT-SFT-7B", "MedMistral-SFT-7B",
    "mistralai/Mistral-7B-Instruct-v0.1", "MedMistralInstruct-CPT-7B",
    "MedMistralInstruct-CPT-SFT-7B", "BioMistral/BioMistral-7B", "BioMistral-CPT-7B",
    "BioMistral-CPT-SFT-7B", "BioMistral-SFT-7B", "my-model",
)  # fmt: skip
#: Documented commands that fail for a reason in another part of medfr, with that reason:
#: each is expected to fail (strict), so the fix shows up as a test to update.
KNOWN_FAILURES: dict[str, str] = {}
_SLOW = ("medfr demo", "medfr train recipe", "lm_eval", "MEDFR_DATA=")


def _runnable() -> list:
    params = []
    for i, doc in enumerate(README_COMMANDS):
        if doc.needs or _is_setup(doc):
            continue
        marks = [pytest.mark.slow] if doc.command.startswith(_SLOW) else []
        if doc.command in KNOWN_FAILURES:
            marks.append(pytest.mark.xfail(reason=KNOWN_FAILURES[doc.command], strict=True))
        params.append(pytest.param(i, doc, id=doc.id, marks=marks))
    return params


def _csv_export(path: Path) -> None:
    """A spreadsheet export of MedMCQA-like rows, written for this test (answer: 0-based)."""
    rows = [
        "q,opa,opb,opc,opd,cop",
        '"Quel organe filtre le sang ?",le foie,le rein,la rate,le cœur,1',
        '"Quel os forme la cuisse ?",le fémur,le tibia,le radius,la clavicule,0',
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def readme_sandbox(tmp_path_factory, tiny_medfr_run):
    """A folder holding what a reader of the README has when they type its commands.

    ``recipes/`` of this checkout (as in a clone); the reader's own files, written
    here in the documented formats; ``runs/``: what the marked GPU commands would
    have written, one tiny-model lm-eval run copied under each of the study's names."""
    from medfr_eval.core.resources import recipes_dir, samples_dir
    from medfr_eval.data.public_sources import synthetic

    folder = tmp_path_factory.mktemp("reader")
    (folder / "recipes").symlink_to(recipes_dir())
    samples = samples_dir()
    shutil.copytree(samples, folder / "study-data")
    (folder / "my_data").mkdir()
    for name in ("medqa_4opt", "frmedmcqa", "kqa"):
        shutil.copy(samples / f"{name}.jsonl", folder / "my_data")
    _csv_export(folder / "medmcqa_fr.csv")
    corpus, sft = (
        recipes_dir() / "data" / "cpt_corpus.txt",
        recipes_dir() / "data" / "sft_sample.jsonl",
    )
    (folder / "raw_nachos").mkdir()
    shutil.copy(corpus, folder / "raw_nachos" / "corpus.txt")
    shutil.copy(corpus, folder / "nachos.txt")
    shutil.copy(sft, folder / "sft.jsonl")
    shutil.copy(sft, folder / "my_sft.jsonl")
    (folder / "data").mkdir()  # a folder of training text
    shutil.copy(corpus, folder / "data" / "notes.txt")
    synthetic.write_mirror(folder / "mirror", per_corpus=3)
    _, lm_eval_out = tiny_medfr_run
    (run,) = [p for p in lm_eval_out.iterdir() if p.is_dir()]
    for model in STUDY_MODELS:
        copy_run(run, folder / "runs", model)
    return Sandbox(
        folder, offline_env(MEDFR_CACHE=str(folder / ".cache")), STAND_INS, TEST_SETTINGS
    )


@pytest.mark.parametrize(("index", "doc"), _runnable())
def test_readme_command_runs_offline_as_written(index, doc, readme_sandbox, request):
    """Every unmarked README command, in README order in one folder, exits 0.

    The commands before it run first (once), as a reader types them top to
    bottom; slow ones are left out of a quick (``-m "not slow"``) run."""
    if doc.command.startswith("medfr demo"):
        demo_out, _ = request.getfixturevalue("fast_demo")
        link = readme_sandbox.folder / "medfr-demo"
        if not link.exists():
            link.symlink_to(demo_out)
    quick = not doc.command.startswith(_SLOW)
    for i, earlier in enumerate(README_COMMANDS[:index]):
        runnable = not earlier.needs and not _is_setup(earlier)
        if runnable and earlier.command not in KNOWN_FAILURES:
            if not (quick and earlier.command.startswith(_SLOW)):
                readme_sandbox.run(i, earlier.command)
    outcome = readme_sandbox.run(index, doc.command)
    assert outcome.returncode == 0, f"$ {outcome.command}\n{outcome.output[-3000:]}"


def test_every_readme_command_runs_here_or_says_what_it_needs():
    """A command either runs in the test above or carries a known ``[needs: ...]`` marker."""
    assert {"GPU", "Hub"} <= set(NEEDS)
    runnable = [d for d in README_COMMANDS if not d.needs and not _is_setup(d)]
    marked = [d for d in README_COMMANDS if d.needs]
    assert len(runnable) >= 15 and len(marked) >= 10, (len(runnable), len(marked))
    for doc in marked:  # a marker names only known needs (checked when parsed) and is visible
        assert f"[needs: {', '.join(doc.needs)}]" in README, doc.command
    setup = [d for d in README_COMMANDS if _is_setup(d)]
    assert [d.command.rsplit(" && ", 1)[-1] for d in setup] == ["medfr demo", "python -m pytest -q"]
    assert "medfr demo" in {d.command for d in runnable}  # the set-up's demo runs with its block
    for word in STAND_INS:
        assert any(word in d.command for d in runnable), word  # no stale stand-in
    for command in KNOWN_FAILURES:
        assert command in {d.command for d in runnable}, command


def _printed_next_steps(stdout: str) -> list[tuple[tuple[str, ...], list[str]]]:
    """The demo's printed next steps: (needs from the marker, commands), as printed."""
    from documented import needs_of

    steps: list[tuple[tuple[str, ...], list[str]]] = []
    for line in stdout.split("\nNext steps\n", 1)[1].splitlines():
        if line.startswith("- "):
            steps.append((needs_of(line), []))
        elif line.startswith("    ") and steps:
            steps[-1][1].append(line.strip())
    return steps


@pytest.mark.slow
def test_the_demos_next_steps_run_as_printed_or_say_what_they_need(fast_demo, tmp_path):
    """Evaluate your own model (a tiny one here) on the samples as printed, then compare it
    with the demo's base and build the site, as printed: all offline, all exit 0."""
    from medfr_eval import demo

    out, proc = fast_demo
    assert proc.returncode == 0, proc.stderr[-3000:]
    steps = _printed_next_steps(proc.stdout)
    runnable = [commands for needs, commands in steps if not needs and commands]
    marked = [commands for needs, commands in steps if needs and commands]
    assert len(runnable) == 2 and len(marked) >= 3, steps
    lay = demo.Layout(out.resolve())
    model = lay.model_dir(demo.ADAPTED["sft"])  # "your model": one of the demo's tiny models
    sandbox = Sandbox(tmp_path, offline_env(), {"YOUR_MODEL": str(model)})
    commands = [c for cs in runnable for c in cs]
    for i, command in enumerate(commands):
        outcome = sandbox.run(i, command)
        assert outcome.returncode == 0, f"$ {outcome.command}\n{outcome.output[-3000:]}"
    assert (tmp_path / "signif" / "signif.json").is_file()
    assert (tmp_path / "site" / "index.html").is_file()
