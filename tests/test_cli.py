"""The one ``medfr`` command tree: subcommands, old script names, exit statuses, help examples.

Some tests here load every area's click command (signif, board, train); on a
branch where an area has not been ported to click yet they fail until it is
merged, which is what they are for.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import click
import pytest

from medfr_eval import cli
from medfr_eval.core.errors import DataError, MedfrError

ROOT = Path(__file__).resolve().parents[1]
FIVE = ("data", "signif", "board", "train", "demo")
OLD_SCRIPTS = {
    "medfr-data": ("data", "data_main"),
    "medfr-signif": ("signif", "signif_main"),
    "medfr-leaderboard": ("board", "board_main"),
    "medfr-train": ("train", "train_main"),
}


def _raising(exc: BaseException) -> click.Command:
    @click.command()
    def boom() -> None:
        raise exc

    return boom


def test_root_help_lists_the_five_subcommands_and_an_example(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    block = out.split("Commands:")[1].split("Example:")[0]
    # a command's line starts at two spaces; its wrapped help is indented further
    listed = [line.split()[0] for line in block.splitlines() if line[2:3].strip()]
    # the five areas of the product first, in a user's order; later areas (judge) follow
    assert listed[: len(FIVE)] == list(FIVE)
    assert set(listed) == set(cli.SUBCOMMANDS)
    assert "Example: medfr " in out


def test_leaderboard_is_an_alias_of_board(capsys):
    assert cli.load_command("leaderboard") is cli.load_command("board")
    assert cli.main(["leaderboard", "--help"]) == 0
    assert "Example:" in capsys.readouterr().out


def test_misspelt_subcommand_exits_2_with_clicks_message(capsys):
    assert cli.main(["dmeo"]) == 2
    err = capsys.readouterr().err
    assert "Error: No such command 'dmeo'" in err and "Usage: medfr" in err


def test_usage_error_in_a_subcommand_exits_2(capsys):
    assert cli.data_main(["convert", "in.csv"]) == 2
    err = capsys.readouterr().err
    assert "Missing option '--set'" in err and "Usage: medfr-data convert" in err


@pytest.mark.parametrize("script", sorted(OLD_SCRIPTS))
def test_old_script_names_are_entry_points_to_the_same_command(script, capsys):
    subcommand, main_name = OLD_SCRIPTS[script]
    eps = {ep.name: ep for ep in entry_points(group="console_scripts") if ep.name in OLD_SCRIPTS}
    assert eps[script].value == f"medfr_eval.cli:{main_name}"
    assert eps[script].load() is getattr(cli, main_name)
    assert getattr(cli, main_name)(["--help"]) == 0
    out = capsys.readouterr().out
    assert f"Usage: {script} " in out and "Example:" in out
    # the very same click object that `medfr <subcommand>` runs
    root = click.Context(cli.medfr)
    assert cli.medfr.get_command(root, subcommand) is cli.load_command(subcommand)


def test_medfr_itself_is_an_entry_point():
    eps = {ep.name: ep.value for ep in entry_points(group="console_scripts")}
    assert eps["medfr"] == "medfr_eval.cli:main"


def test_a_medfr_error_is_one_line_and_exit_2(capsys):
    error = DataError("expected A-D, got 'F'", file="x.jsonl", line=3, field="answer")
    assert cli.run(_raising(error), [], "medfr-x") == 2
    captured = capsys.readouterr()
    assert captured.err == "error: x.jsonl:3: answer: expected A-D, got 'F'\n"
    assert captured.out == ""


def test_a_real_command_error_is_one_line(tmp_path, capsys):
    missing = tmp_path / "nope"
    assert cli.data_main(["validate", str(missing)]) == 2
    assert capsys.readouterr().err == f"error: {missing}: no such file or folder\n"


def test_every_error_class_is_a_medfr_error_with_exit_2():
    from medfr_eval.core import errors
    from medfr_train import errors as train_errors

    classes = [
        c
        for module in (errors, train_errors)
        for c in vars(module).values()
        if isinstance(c, type) and issubclass(c, Exception)
    ]
    assert len(classes) >= 10
    for c in classes:
        assert issubclass(c, MedfrError) and c("m").exit_code == 2


def test_ctrl_c_exits_130(capsys):
    assert cli.run(_raising(KeyboardInterrupt()), [], "medfr-x") == 130
    assert "interrupted" in capsys.readouterr().err


def test_an_unexpected_exception_keeps_its_traceback():
    with pytest.raises(ZeroDivisionError):
        cli.run(_raising(ZeroDivisionError("a bug")), [], "medfr-x")
    code = (
        "import click, sys\n"
        "from medfr_eval.cli import run\n"
        "@click.command()\n"
        "def boom():\n"
        "    raise ZeroDivisionError('a bug')\n"
        "sys.exit(run(boom, []))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert (
        "Traceback (most recent call last)" in proc.stderr
        and "ZeroDivisionError: a bug" in proc.stderr
    )


def _walk(command: click.Command, path: list[str]):
    """Every command under ``command``, with its full name."""
    yield path, command
    if isinstance(command, click.Group):
        ctx = click.Context(command, info_name=path[-1])
        for name in command.list_commands(ctx):
            yield from _walk(command.get_command(ctx, name), [*path, name])


@pytest.mark.parametrize("subcommand", list(cli.SUBCOMMANDS))
def test_help_of_every_command_shows_an_example(subcommand):
    for path, command in _walk(cli.load_command(subcommand), ["medfr", subcommand]):
        text = command.get_help(click.Context(command, info_name=" ".join(path)))
        assert "Example: medfr" in text, " ".join(path)


def test_no_argparse_in_the_package():
    """Every command is click (fails until every area's port is merged)."""
    found = []
    for pkg in ("medfr_eval", "medfr_train"):
        for path in sorted((ROOT / pkg).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom):
                    names = [node.module or ""]
                if any(n.split(".")[0] == "argparse" for n in names):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, found


def _groups() -> list[tuple[str, click.Group]]:
    """Every click group reachable from ``medfr``, with its command path."""
    found = [("medfr", cli.medfr)]
    for name in cli.SUBCOMMANDS:
        command = cli.load_command(name)
        if isinstance(command, click.Group):
            found.append((f"medfr {name}", command))
    return found


@pytest.mark.parametrize("path, group", _groups(), ids=lambda x: x if isinstance(x, str) else "")
def test_command_lists_are_never_cut_at_80_columns(path, group, monkeypatch):
    """click cuts a command's short help with "..." at the terminal width; ours wrap instead."""
    monkeypatch.setenv("COLUMNS", "80")
    ctx = click.Context(group, info_name=path, terminal_width=80, max_content_width=80)
    text = group.get_help(ctx)
    listing = text.split("Commands:", 1)[1]
    assert "..." not in listing, listing
    for name in group.list_commands(ctx):
        first = group.get_command(ctx, name).get_short_help_str(10_000)
        assert first in " ".join(listing.split()), (name, first)


def _all_commands():
    for path, group in _groups():
        ctx = click.Context(group)
        yield path, group
        for name in group.list_commands(ctx):
            yield f"{path} {name}", group.get_command(ctx, name)


def test_help_texts_show_no_raw_markdown_backticks():
    """``--help`` is plain text: backticks would show as they are."""
    for path, command in _all_commands():
        ctx = click.Context(command, info_name=path)
        assert "`" not in command.get_help(ctx), path
