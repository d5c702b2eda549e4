"""The README's commands point at things that exist."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from pathlib import Path

import click

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


def _load_task_yaml(path: Path) -> dict:
    """One task/group YAML with its ``include:`` chain merged, as lm-eval does.

    An include is resolved relative to the including file, recursively; the
    including file's keys win (a shallow update, lm-eval's rule).
    """
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!function", lambda loader, node: loader.construct_scalar(node))
    doc = yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)  # noqa: S506 (safe subclass)
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
