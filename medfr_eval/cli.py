"""``medfr``: one click command tree for the whole package, and the one error handler.

``medfr data|signif|board|train|demo|judge|study`` are subcommands that live next to
the code they drive (``medfr_eval/data/cli.py``, ``medfr_eval/signif/cli.py``,
``medfr_eval/board/cli.py``, ``medfr_train/cli.py``, ``medfr_eval/demo/cli.py``,
``medfr_eval/judge/cli.py``) and are imported only when named, so ``medfr --help`` stays instant and the
evaluation side never imports the training stack. The historical script names
(``medfr-data``, ``medfr-signif``, ``medfr-leaderboard``, ``medfr-train``) are
entry points to the very same click commands; messages name a command the way
the user typed it (:func:`command_path`).

Exit status, the same for every command: 0 success; 2 bad input (one line
``error: FILE:LINE: field: message`` on stderr) or bad usage (click's message);
130 interrupted. Any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

import click

from medfr_eval.core.errors import MedfrError

#: subcommand -> "module:attribute" of its click command; imported on first use.
SUBCOMMANDS: dict[str, str] = {
    "data": "medfr_eval.data.cli:data",
    "signif": "medfr_eval.signif.cli:signif",
    "board": "medfr_eval.board.cli:board",
    "train": "medfr_train.cli:train",
    "demo": "medfr_eval.demo.cli:demo",
    "judge": "medfr_eval.judge.cli:judge",
    "study": "medfr_eval.study.cli:study",
}
#: other names for the same subcommands (not listed in --help).
ALIASES: dict[str, str] = {"leaderboard": "board"}


def load_command(name: str) -> click.Command:
    """Import the click command registered as ``name`` (an alias works too)."""
    module, attr = SUBCOMMANDS[ALIASES.get(name, name)].split(":")
    return getattr(importlib.import_module(module), attr)


def command_path(group: str, *words: str) -> str:
    """A medfr command as the user reaches it, for messages that say what to type next.

    Why: ``medfr signif`` and ``medfr-signif`` run the same click command, so a hint
    names it the way this process was started: from click's ``ctx.command_path``
    when ``group`` is being run (``medfr-train recipe`` after ``medfr-train check``,
    ``medfr train recipe`` after ``medfr train check``), else the one documented form
    ``medfr GROUP ...`` (under ``lm_eval``, from Python, or from another group).
    The group's module is looked up, never imported: naming a command costs nothing.
    """
    module, attr = SUBCOMMANDS[ALIASES.get(group, group)].split(":")
    target = getattr(sys.modules.get(module), attr, None)
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if target is not None and ctx.command is target:
            return " ".join([ctx.command_path, *words])
        ctx = ctx.parent
    return " ".join(["medfr", group, *words])


class FullHelpGroup(click.Group):
    """A group whose command list shows each command's whole first sentence.

    Why: click cuts a command's short help at the terminal width with "..."
    ("List the study's 15 sets, check and convert data files, show..." in 80
    columns); a wrapped sentence still tells the user something, a cut one may not."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=10_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class LazyGroup(FullHelpGroup):
    """A group whose subcommands are imported only when listed or called.

    Why not plain ``add_command``: that would import every area (lm-eval,
    torch, trl) before ``--help`` could print."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if ALIASES.get(cmd_name, cmd_name) not in SUBCOMMANDS:
            return None
        return load_command(cmd_name)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Example: medfr demo --out medfr-demo",
)
@click.version_option(package_name="medfr", prog_name="medfr")
def medfr() -> None:
    """medfr: French medical LLM evaluation and adaptation (Belmadani et al., TALN 2025)."""


def run(command: click.Command, args: list[str] | None = None, prog_name: str | None = None) -> int:
    """Run a click command with medfr's exit-status contract; returns the status.

    Why not click's standalone mode: it would print a MedfrError with a
    traceback (it is not a ClickException) and turn Ctrl-C into exit 1."""
    try:
        rv = command.main(args=args, prog_name=prog_name, standalone_mode=False)
    except MedfrError as exc:
        click.echo(f"error: {exc}", err=True)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("interrupted", err=True)
        return 130
    return rv if isinstance(rv, int) else 0


def _entry(name: str | None, prog_name: str) -> Callable[[], None]:
    def main(argv: list[str] | None = None) -> int:
        command = medfr if name is None else load_command(name)
        status = run(command, argv, prog_name)
        if argv is None:  # called as a console script
            sys.exit(status)
        return status

    main.__doc__ = f"Console script ``{prog_name}``."
    return main


main = _entry(None, "medfr")
data_main = _entry("data", "medfr-data")
signif_main = _entry("signif", "medfr-signif")
board_main = _entry("board", "medfr-leaderboard")
train_main = _entry("train", "medfr-train")

if __name__ == "__main__":  # pragma: no cover
    main()
