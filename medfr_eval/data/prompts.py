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
import re
from pathlib import Path

import jinja2
import jinja2.sandbox

from medfr_eval.core.errors import DataError
from medfr_eval.core.resources import tasks_dir

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
#: The longest text one template may render (a prompt with its clinical case is a few
#: thousand characters).
MAX_RENDERED = 1_000_000

#: String methods and filters whose integer argument is the width of their result.
_WIDTH_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})
_NUMBER = re.compile(r"\d+")


def _refuse(what: str) -> None:
    raise jinja2.sandbox.SecurityError(f"{what} (a prompt template stays under {MAX_REPEAT})")


def _check_widths(fmt: object) -> None:
    """A format string asking for a field wider than :data:`MAX_REPEAT` is refused."""
    if isinstance(fmt, str) and any(int(n) > MAX_REPEAT for n in _NUMBER.findall(fmt)):
        _refuse("a format width above the limit")


def _check_replace(text: object, old: object, new: object, count: object = None) -> None:
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
        hits = text.count(old) if old else len(text) + 1
        if isinstance(count, int) and count >= 0:
            hits = min(hits, count)
        if len(text) + hits * (len(new) - len(old)) > MAX_RENDERED:
            _refuse("a replace() result above the limit")


def _deep_size(value: object, budget: int = MAX_RENDERED) -> int:
    """Strings' lengths and items counted through nested lists, tuples and dicts, stopping
    once past ``budget``: a list holding one big list many times is big, however short."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if not isinstance(value, (list, tuple)):
        return 1
    total = 0
    for item in value:
        total += 1 + _deep_size(item, budget - total)
        if total > budget:
            break
    return total


def _finalize(value: object) -> object:
    """Every ``{{ ... }}`` value before it becomes text: a nested value too big to print is refused."""
    if isinstance(value, (list, tuple, dict)) and _deep_size(value) > MAX_RENDERED:
        raise jinja2.sandbox.SecurityError(f"a value longer than {MAX_RENDERED} characters")
    return value


def _capped_filter(func, check):
    """A jinja filter that runs ``check`` on its arguments first; also stops jinja's
    compile-time folding of constant filter calls, which would build the value unchecked."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        check(*args, **kwargs)
        return func(*args, **kwargs)

    return wrapper


def _width_arg(value, width=80, *rest, **kwargs) -> None:
    if isinstance(width, int) and width > MAX_REPEAT:
        _refuse("a width above the limit")


class PromptSandbox(jinja2.sandbox.SandboxedEnvironment):
    """Jinja's sandbox, plus limits on what a template can make the machine build.

    Why: the sandbox blocks attribute tricks that reach Python (``__class__``,
    ``__subclasses__``) but lets ``{{ "x" * 10**10 }}``, ``{{ 9**9**9 }}``,
    ``{{ "x".ljust(10**9) }}`` or a replace() that multiplies a text eat all
    memory or CPU; a prompt template never needs any of them. Every user
    template (the prompts, the judge rubric) is made by :func:`sandbox` and
    rendered by :func:`render_capped`, which also stops past
    :data:`MAX_RENDERED` characters (loops inside loops)."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.globals.pop("lipsum", None)  # builds up to any size of text on request
        for name, check in (
            ("center", _width_arg),
            ("indent", _width_arg),
            ("format", lambda value, *a, **k: _check_widths(value)),
            # jinja passes replace() its evaluation context first
            (
                "replace",
                lambda ctx, text, old, new, count=None: _check_replace(text, old, new, count),
            ),
        ):
            self.filters[name] = _capped_filter(self.filters[name], check)

    def call_binop(self, context, operator, left, right):  # noqa: D102 - jinja API
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > MAX_EXPONENT:
            raise jinja2.sandbox.SecurityError(f"exponent {right} is above {MAX_EXPONENT}")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int):
                    if _deep_size(seq, MAX_REPEAT) * times > MAX_REPEAT:
                        raise jinja2.sandbox.SecurityError(
                            f"a repeated value longer than {MAX_REPEAT} items"
                        )
        if operator == "%":
            _check_widths(left)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805, D102 - jinja API
        owner, name = getattr(__obj, "__self__", None), getattr(__obj, "__name__", "")
        if isinstance(owner, str):
            if name in _WIDTH_METHODS and any(
                isinstance(a, int) and a > MAX_REPEAT for a in (*args, *kwargs.values())
            ):
                _refuse(f"a {name}() width above the limit")
            if name == "replace":
                _check_replace(owner, *args, **kwargs)
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value):  # noqa: D102 - jinja API (3.1.5 and later)
        owner = getattr(value, "__self__", None)
        if isinstance(owner, str) and getattr(value, "__name__", "") in ("format", "format_map"):
            _check_widths(owner)
        return super().wrap_str_format(value)

    def format_string(self, s, args, kwargs, format_func=None):  # noqa: D102 - jinja < 3.1.5
        _check_widths(s)
        return super().format_string(s, args, kwargs, format_func)


def sandbox(loader: jinja2.BaseLoader | None = None) -> PromptSandbox:
    """The one environment every user template is compiled in (prompts and the judge rubric).

    ``StrictUndefined``: a typo in a user template fails loudly; no autoescape:
    prompts are plain text."""
    return PromptSandbox(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        finalize=_finalize,
    )


def render_capped(template: jinja2.Template, variables: dict) -> str:
    """``template.render(**variables)``, stopped once it passes :data:`MAX_RENDERED` characters."""
    parts, size = [], 0
    for part in template.generate(**variables):
        size += len(part)
        if size > MAX_RENDERED:
            raise jinja2.sandbox.SecurityError(f"renders more than {MAX_RENDERED} characters")
        parts.append(part)
    return "".join(parts)


def checked_prompt_dir(folder: str | Path, field: str) -> Path:
    """The user's template folder; one that does not exist is refused naming ``field``."""
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise DataError("prompt folder does not exist", file=folder, field=field)
    return path


@functools.lru_cache(maxsize=16)
def environment(override: str | None) -> jinja2.Environment:
    """The one prompt-folder lookup: templates from the user's folder if there, else ours.

    Sandboxed: templates may come from the user's folder, and no code runs from data."""
    search = [str(default_prompt_dir())]
    if override:
        search.insert(0, str(checked_prompt_dir(override, "medfr_prompts")))
    return sandbox(jinja2.FileSystemLoader(search))


def prompt_dir_from(medfr_prompts: str | None = None) -> str | None:
    """The user's template folder: explicit argument, else ``MEDFR_PROMPTS``, else none."""
    value = medfr_prompts or os.environ.get("MEDFR_PROMPTS") or None
    return str(Path(value).expanduser().resolve()) if value else None


def render(kind: str, variables: dict, prompt_dir: str | None = None) -> str:
    """Render the template for an item kind; errors name the template file (one line)."""
    name = TEMPLATE_FOR_KIND[kind]
    env = environment(prompt_dir)
    where = name
    try:
        template = env.get_template(name)
        where = template.filename or name
        return render_capped(template, variables).rstrip()
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
