"""The README's commands point at things that exist."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from pathlib import Path

import click
import yaml

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_first_lines_hold_the_two_commands():
    block = README.split("```bash", 1)[1].split("```", 1)[0]
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


class _TaskLoader(yaml.SafeLoader):
    """``yaml.safe_load``'s loader plus lm-eval's ``!function`` tag, kept as its text:
    nothing is imported or run (lm-eval's own loader would import tasks/utils.py)."""


_TaskLoader.add_constructor("!function", lambda loader, node: loader.construct_scalar(node))


def _load_task_yaml(path: Path) -> dict:
    """One task/group YAML with its ``include:`` chain merged, as lm-eval does.

    An include is resolved relative to the including file, recursively; the
    including file's keys win (a shallow update, lm-eval's rule).
    """
    doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_TaskLoader)  # noqa: S506
    if "include" in doc:
        base = _load_task_yaml((path.parent / doc["include"]).resolve())
        doc = {**base, **{k: v for k, v in doc.items() if k != "include"}}
    return doc


def _task_yamls() -> dict[str, tuple[Path, dict]]:
    """Every task and group YAML under ``tasks/`` (any depth), by task or group name."""
    found = {}
    for path in sorted((ROOT / "tasks").rglob("*.yaml")):
        doc = _load_task_yaml(path)
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
    """lm-eval's task-README form, kept in step with every YAML of ``tasks/`` (issue 9).

    A new group, base task, variant leaf, variant folder or ``metadata.version``
    fails this test until the README says what it is.
    """
    from medfr_eval.sets import ALL_SETS

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
    # the walk saw the whole tree: every set of medfr_eval.sets has its base task
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

    block = README.split("```bash", 1)[1].split("```", 1)[0]
    demo_line = next(line for line in block.splitlines() if line.endswith("medfr demo"))
    assert 'pip install -e ".[train]"' in demo_line and "[test]" not in demo_line
    assert "--index-url https://download.pytorch.org/whl/cpu" in README  # CPU-only torch
    assert "MEDFR_DATA=sample" in README
    claim = "about 4 CPU-minutes"
    assert claim in demo.help and claim in block
    assert "/usr/bin/time -v medfr demo" in README  # what was measured, and how
    for stale in ("~5 min", "under 10 minutes"):
        assert stale not in README and stale not in demo.help
