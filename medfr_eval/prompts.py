"""Prompt templates: our French wording of the study's prompt structure.

Templates are Jinja files in ``tasks/prompts/`` (``mcq.j2``, ``mcq_multi.j2``,
``openqa.j2``, ``openqa_case.j2``). A user swaps one in without editing code by
pointing ``--metadata '{"medfr_prompts": DIR}'`` (or ``MEDFR_PROMPTS=DIR``) at a
folder holding files of the same names; missing ones fall back to ours. The
prompt is rendered into each doc at load time (lm-eval's ``doc_to_text`` cannot
see ``--metadata``), so the exact text is in every sample log and in its
``prompt_hash``.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import jinja2
import jinja2.sandbox

from medfr_eval.errors import DataError
from medfr_eval.resources import tasks_dir

TEMPLATE_FOR_KIND = {
    "mcq": "mcq.j2",
    "mcq_multi": "mcq_multi.j2",
    "openqa": "openqa.j2",
    "openqa_case": "openqa_case.j2",
    "mcq_en": "mcq_en.j2",  # English twins of the translated sets
}


def default_prompt_dir() -> Path:
    return tasks_dir() / "prompts"


#: The largest string or list a template may build with ``*``, and the largest ``**`` exponent.
MAX_REPEAT = 100_000
MAX_EXPONENT = 1_000


class PromptSandbox(jinja2.sandbox.SandboxedEnvironment):
    """Jinja's sandbox, plus limits on ``*`` and ``**``.

    Why: the sandbox blocks attribute tricks that reach Python (``__class__``,
    ``__subclasses__``) but lets ``{{ "x" * 10**10 }}`` or ``{{ 9**9**9 }}``
    eat all memory or CPU; a prompt template never needs either."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator, left, right):  # noqa: D102 - jinja API
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > MAX_EXPONENT:
            raise jinja2.sandbox.SecurityError(f"exponent {right} is above {MAX_EXPONENT}")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int):
                    if len(seq) * times > MAX_REPEAT:
                        raise jinja2.sandbox.SecurityError(
                            f"a repeated value longer than {MAX_REPEAT} items"
                        )
        return super().call_binop(context, operator, left, right)


@functools.lru_cache(maxsize=16)
def _environment(override: str | None) -> jinja2.Environment:
    search = [str(default_prompt_dir())]
    if override:
        if not Path(override).is_dir():
            raise DataError("prompt folder does not exist", file=override, field="medfr_prompts")
        search.insert(0, override)
    # Sandboxed: templates may come from the user's folder, and no code runs from data.
    return PromptSandbox(
        loader=jinja2.FileSystemLoader(search),
        undefined=jinja2.StrictUndefined,  # a typo in a user template fails loudly
        autoescape=False,
        keep_trailing_newline=False,
    )


def prompt_dir_from(medfr_prompts: str | None = None) -> str | None:
    """The user's template folder: explicit argument, else ``MEDFR_PROMPTS``, else none."""
    value = medfr_prompts or os.environ.get("MEDFR_PROMPTS") or None
    return str(Path(value).expanduser().resolve()) if value else None


def render(kind: str, variables: dict, prompt_dir: str | None = None) -> str:
    """Render the template for an item kind; errors name the template file (one line)."""
    name = TEMPLATE_FOR_KIND[kind]
    env = _environment(prompt_dir)
    where = name
    try:
        template = env.get_template(name)
        where = template.filename or name
        return template.render(**variables).rstrip()
    except jinja2.TemplateError as exc:  # SecurityError (the sandbox) included
        origin = getattr(exc, "filename", None) or where
        line = getattr(exc, "lineno", None)
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"prompt template error: {message}", file=origin, line=line) from None
    except RecursionError:  # e.g. a template that includes itself
        raise DataError(
            "prompt template error: includes or macros recurse without end", file=where
        ) from None
    except UnicodeDecodeError:
        raise DataError("prompt template is not UTF-8; re-save it as UTF-8", file=where) from None
