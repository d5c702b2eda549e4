"""The study file's schema: each section checked and built, every error at its key's line.

:func:`build_study` turns the YAML data of a study file (command-line ``--set`` values
already merged in) into a :class:`~.spec.Study`; :class:`Source` knows where each key
came from, so an error names ``FILE:LINE: key`` or ``command line: --set key``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from medfr_eval.core import strategies
from medfr_eval.core.errors import MedfrError, StudyError
from medfr_eval.core.sets import BY_TASK
from medfr_eval.signif.pairs import Pair, load_pairs, preset_names, presets_dir

from . import taskindex
from .spec import (
    _BERTSCORE,
    _EVALUATION,
    _MODEL,
    _NAME,
    _PAPER,
    _SIGNIFICANCE,
    _TOP,
    _WTL,
    BACKENDS,
    COMMAND_LINE,
    CORRECTIONS,
    SCHEMA_VERSION,
    TESTS,
    VLLM_BACKENDS,
    WTL_FAMILIES,
    Evaluation,
    PaperRef,
    Significance,
    Study,
    StudyModel,
    WinTieLoss,
)  # fmt: skip
from .yamlpos import KeyPath, dotted, line_of


class Source:
    """The study file's data and lines, and where each error points (file or command line)."""

    def __init__(self, path: Path, lines: dict, overridden: set[KeyPath]) -> None:
        self.path, self.lines, self.overridden = path, lines, overridden

    def fail(self, keypath: KeyPath, message: str) -> StudyError:
        for cut in range(len(keypath), 0, -1):
            if keypath[:cut] in self.overridden:
                return StudyError(message, file=COMMAND_LINE, field=f"--set {dotted(keypath)}")
        return StudyError(
            message, file=self.path, line=line_of(self.lines, keypath), field=dotted(keypath)
        )

    def from_command_line(self, keypath: KeyPath) -> bool:
        return any(keypath[:cut] in self.overridden for cut in range(len(keypath), 0, -1))

    def mapping(self, value: Any, keypath: KeyPath, allowed: set[str]) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(keypath, f"expected a mapping, got {_kind(value)}")
        unknown = sorted(str(k) for k in value if k not in allowed)
        if unknown:
            raise self.fail(
                (*keypath, unknown[0]), f"unknown key; allowed: {', '.join(sorted(allowed))}"
            )
        return value

    def text(self, d: dict, key: str, keypath: KeyPath, required: bool = False) -> str | None:
        value = d.get(key)
        if value is None:
            if required:
                raise self.fail(keypath if key in d else keypath[:-1], f"{key}: required")
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(keypath, f"expected a non-empty string, got {_kind(value)}")
        return value.strip()

    def integer(self, d: dict, key: str, keypath: KeyPath, default: int, low: int) -> int:
        value = d.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise self.fail(keypath, f"expected an integer >= {low}, got {value!r}")
        return value

    def flag(self, d: dict, key: str, keypath: KeyPath, default: bool) -> bool:
        value = d.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(keypath, f"expected true or false, got {value!r}")
        return value

    def choice(self, d: dict, key: str, keypath: KeyPath, default: str, allowed) -> str:
        value = d.get(key, default)
        if value not in allowed:
            raise self.fail(keypath, f"expected one of {', '.join(allowed)}, got {value!r}")
        return value

    def resolve(self, value: str, keypath: KeyPath) -> Path:
        """A path from the file (relative to its folder) or the command line (to the cwd)."""
        p = Path(value).expanduser()
        if not p.is_absolute() and not self.from_command_line(keypath):
            p = self.path.parent / p
        return p.resolve()


def _kind(value: Any) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"


def check_name(src: Source, value: Any, keypath: KeyPath, what: str) -> str:
    """A model or study name: used in folder names, so letters, digits and ``._+-``."""
    if not isinstance(value, str) or not _NAME.match(value):
        raise src.fail(keypath, f"expected a {what} of letters, digits and . _ + - (got {value!r})")
    return value


def known_task(src: Source, value: Any, keypath: KeyPath) -> list[str]:
    """A task or group medfr ships whose leaves are sets signif and the board read."""
    tasks = taskindex.shipped_tasks()
    if not isinstance(value, str) or value not in tasks:
        raise src.fail(keypath, f"{value!r} is not a task or group medfr ships (medfr data list)")
    leaves = taskindex.leaves(value)
    unread = [t for t in leaves if t not in BY_TASK]
    if unread:
        raise src.fail(
            keypath,
            f"{value!r} holds tasks medfr signif and the board do not read ({', '.join(unread[:3])}); "
            "a study runs the sets' restricted tasks (medfr_<set>) and their groups",
        )
    return leaves


def pairs_from(
    src: Source, value: Any, keypath: KeyPath, names: list[str]
) -> tuple[tuple[Pair, ...], str | None]:
    """The study's pairs: a shipped preset (``study``) or a pairs file, every model known."""
    from .yamlpos import read_yaml_with_lines as read_lines

    if value is None:
        return (), None
    if not isinstance(value, str) or not value.strip():
        raise src.fail(keypath, "expected a preset name or a pairs file")
    if value in preset_names() and not src.resolve(value, keypath).is_file():
        path, label = presets_dir() / f"{value}.yaml", value
    else:
        path = src.resolve(value, keypath)
        label = str(path)
        if not path.is_file():
            raise src.fail(
                keypath, f"no such pairs file, and not a preset ({', '.join(preset_names())})"
            )
    try:
        pairs = load_pairs(path)
    except MedfrError as exc:
        raise StudyError(exc.message, file=exc.file, line=exc.line, field=exc.field) from None
    _, lines = read_lines(path, error=StudyError)
    for i, pair in enumerate(pairs):
        for side in ("model_a", "model_b"):
            name = getattr(pair, side)
            if name not in names:
                raise StudyError(
                    f"model {name!r} is not a model of the study ({', '.join(names)})",
                    file=path,
                    line=line_of(lines, ("pairs", i, side)),
                    field=f"pairs[{i}].{side}",
                )
    return tuple(pairs), label


# --------------------------------------------------------------------------- sections


def _scalars(src: Source, value: Any, keypath: KeyPath) -> dict:
    """``model_args`` / ``gen_kwargs``: flat key -> scalar, as lm-eval's ``k=v,k=v`` holds them.

    lm-eval splits those strings at ``,`` and ``=``, so a value holding either would be
    cut into other arguments: refused here rather than passed on mangled."""
    d = src.mapping(value, keypath, set(value) if isinstance(value, dict) else set())
    for key, item in d.items():
        if (
            not isinstance(item, str | int | float | bool)
            or isinstance(item, str)
            and ("," in item or "=" in item or not item)
        ):
            raise src.fail(
                (*keypath, str(key)), f"expected a plain value without ',' or '=', got {item!r}"
            )
        if not isinstance(key, str) or "," in key or "=" in key:
            raise src.fail((*keypath, str(key)), "expected a plain argument name")
    return dict(d)


def _evaluation(src: Source, raw: Any) -> Evaluation:
    kp: KeyPath = ("evaluation",)
    d = src.mapping(raw, kp, _EVALUATION)
    backend = src.choice(d, "backend", (*kp, "backend"), "hf", BACKENDS)
    batch = d.get("batch_size", 1)
    if isinstance(batch, bool) or not (
        isinstance(batch, int)
        and batch >= 1
        or isinstance(batch, str)
        and (batch == "auto" or batch.startswith("auto:") and batch[5:].isdigit())
    ):
        raise src.fail(
            (*kp, "batch_size"), f"expected a positive integer, auto or auto:N, got {batch!r}"
        )
    data = src.text(d, "data", (*kp, "data"))
    if data is not None and data != "sample" and data != "hub":
        data = str(src.resolve(data, (*kp, "data")))
    meta = src.mapping(d.get("metadata"), (*kp, "metadata"), set(d.get("metadata") or {}))
    if "medfr_data" in meta:
        raise src.fail((*kp, "metadata", "medfr_data"), "give the data folder as evaluation.data")
    bert = src.mapping(d.get("bertscore"), (*kp, "bertscore"), _BERTSCORE)
    bertscore: dict = {}
    if "model" in bert:
        model = src.text(bert, "model", (*kp, "bertscore", "model"))
        local = src.resolve(model, (*kp, "bertscore", "model"))
        bertscore["model"] = str(local) if local.exists() else model
    for key in ("layer", "batch_size"):
        if key in bert:
            bertscore[key] = src.integer(bert, key, (*kp, "bertscore", key), 1, 1)
    tp = src.integer(d, "tensor_parallel", (*kp, "tensor_parallel"), 1, 1)
    if tp > 1 and backend not in VLLM_BACKENDS:
        raise src.fail(
            (*kp, "tensor_parallel"),
            f"tensor parallelism needs a vLLM backend ({', '.join(VLLM_BACKENDS)})",
        )
    num_fewshot = src.integer(d, "num_fewshot", (*kp, "num_fewshot"), 0, 0)
    return Evaluation(
        backend=backend,
        model_args=_scalars(src, d.get("model_args"), (*kp, "model_args")),
        batch_size=str(batch),
        device=src.text(d, "device", (*kp, "device")),
        num_fewshot=num_fewshot,
        gen_kwargs=_scalars(src, d.get("gen_kwargs"), (*kp, "gen_kwargs")),
        data=data,
        metadata=dict(meta),
        bertscore=bertscore,
        tensor_parallel=tp,
        data_parallel=src.integer(d, "data_parallel", (*kp, "data_parallel"), 1, 1),
    )


def _significance(src: Source, raw: Any) -> Significance:
    kp: KeyPath = ("significance",)
    d = src.mapping(raw, kp, _SIGNIFICANCE)
    alpha = d.get("alpha", 0.05)
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise src.fail((*kp, "alpha"), f"expected a number in (0, 1), got {alpha!r}")
    return Significance(
        resamples=src.integer(d, "resamples", (*kp, "resamples"), 10_000, 1),
        alpha=float(alpha),
        correction=src.choice(d, "correction", (*kp, "correction"), "bonferroni", CORRECTIONS),
        test=src.choice(d, "test", (*kp, "test"), "bootstrap", TESTS),
        cluster=src.flag(d, "cluster", (*kp, "cluster"), True),
        seed=src.integer(d, "seed", (*kp, "seed"), 0, 0),
    )


def _hub_fields(src: Source, d: dict, kp: KeyPath) -> dict:
    """A Hub id must say whether it was confirmed, and where; an unconfirmed one, why."""
    confirmed = d.get("hub_id_confirmed")
    if not isinstance(confirmed, bool):
        raise src.fail((*kp, "hub_id_confirmed") if "hub_id_confirmed" in d else kp,
                       "hub_id_confirmed: required with hub_id (true, with confirmed_at; or false, "
                       "with a note saying what is not confirmed)")  # fmt: skip
    where = src.text(d, "confirmed_at", (*kp, "confirmed_at"), required=confirmed)
    note = src.text(d, "note", (*kp, "note"), required=not confirmed)
    return {"hub_id_confirmed": confirmed, "confirmed_at": where, "note": note}


def _model(src: Source, item: Any, i: int, paths: dict[str, str]) -> StudyModel:
    kp: KeyPath = ("models", i)
    d = src.mapping(item, kp, _MODEL)
    if "name" not in d:
        raise src.fail(kp, "name: required (the model's name as the paper writes it)")
    name = check_name(src, d["name"], (*kp, "name"), "model name")
    strategy = src.choice(d, "strategy", (*kp, "strategy"), None, strategies.KEYS)
    fields: dict = {"note": src.text(d, "note", (*kp, "note"))}
    where = [k for k in ("hub_id", "path") if d.get(k) is not None]
    if name in paths:
        fields["path"] = Path(paths.pop(name)).expanduser().resolve()
    elif len(where) != 1:
        raise src.fail(
            kp, "give exactly one of hub_id (a Hugging Face repo id) and path (a local folder)"
        )
    elif where == ["path"]:
        fields["path"] = src.resolve(src.text(d, "path", (*kp, "path")), (*kp, "path"))
    else:
        hub_id = src.text(d, "hub_id", (*kp, "hub_id"))
        if hub_id.count("/") != 1 or hub_id.startswith(("/", ".")):
            raise src.fail((*kp, "hub_id"), f"expected a Hub repo id owner/name, got {hub_id!r}")
        fields.update(hub_id=hub_id, **_hub_fields(src, d, kp))
    group = d.get("group")
    if group is not None and (isinstance(group, bool) or not isinstance(group, str | int)):
        raise src.fail((*kp, "group"), f"expected a group number or name, got {group!r}")
    return StudyModel(
        name=name,
        strategy=strategy,
        revision=src.text(d, "revision", (*kp, "revision")),
        base_model=src.text(d, "base_model", (*kp, "base_model")),
        group=str(group) if group is not None else None,
        chat_template=src.flag(d, "chat_template", (*kp, "chat_template"), False),
        model_args=_scalars(src, d.get("model_args"), (*kp, "model_args")),
        **fields,
    )


def _models(src: Source, raw: Any, paths: dict[str, str]) -> tuple[StudyModel, ...]:
    if not isinstance(raw, list) or not raw:
        raise src.fail(("models",), "expected a non-empty list of models")
    models: list[StudyModel] = []
    seen: dict[str, int] = {}
    slugs: dict[str, str] = {}
    for i, item in enumerate(raw):
        model = _model(src, item, i, paths)
        if model.name in seen:
            raise src.fail(
                ("models", i, "name"),
                f"model {model.name!r} listed twice (first as models[{seen[model.name]}])",
            )
        if model.slug in slugs:
            raise src.fail(("models", i, "name"), f"same folder name as {slugs[model.slug]!r}")
        seen[model.name], slugs[model.slug] = i, model.name
        models.append(model)
    if paths:
        raise StudyError(f"not a model of the study ({', '.join(seen)})", file=COMMAND_LINE,
                         field=f"--model-path {sorted(paths)[0]}")  # fmt: skip
    return tuple(models)


def _share(src: Source, d: dict, key: str, kp: KeyPath) -> float:
    value = d.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise src.fail((*kp, key), f"expected a share in [0, 1], got {value!r}")
    return float(value)


def _paper(src: Source, raw: Any, names: list[str]) -> PaperRef | None:
    if raw is None:
        return None
    kp: KeyPath = ("paper",)
    d = src.mapping(raw, kp, _PAPER)
    tables = src.resolve(src.text(d, "tables", (*kp, "tables"), required=True), (*kp, "tables"))
    if not tables.is_file():
        raise src.fail((*kp, "tables"), f"no such file: {tables}")
    rows = d.get("win_tie_loss") or []
    if not isinstance(rows, list):
        raise src.fail((*kp, "win_tie_loss"), "expected a list")
    wtl = []
    for i, row in enumerate(rows):
        rk: KeyPath = (*kp, "win_tie_loss", i)
        r = src.mapping(row, rk, _WTL)
        for side in ("model_a", "model_b"):
            if r.get(side) not in names:
                raise src.fail(
                    (*rk, side),
                    f"model {r.get(side)!r} is not a model of the study ({', '.join(names)})",
                )
        wtl.append(WinTieLoss(
            label=src.text(r, "label", (*rk, "label"), required=True), model_a=r["model_a"],
            model_b=r["model_b"], family=src.choice(r, "family", (*rk, "family"), "all", WTL_FAMILIES),
            win=_share(src, r, "win", rk), tie=_share(src, r, "tie", rk), loss=_share(src, r, "loss", rk),
            table=src.text(r, "table", (*rk, "table")), note=src.text(r, "note", (*rk, "note")),
        ))  # fmt: skip
    return PaperRef(tables, src.text(d, "source", (*kp, "source"), required=True), tuple(wtl))


def build_study(raw: dict, src: Source, paths: dict[str, str]) -> Study:
    """Every section of the file, checked (see :mod:`.spec`); the paper table too."""
    from .paper import load_paper_table

    src.mapping(raw, (), _TOP)
    if raw.get("medfr_study") != SCHEMA_VERSION:
        raise src.fail(
            ("medfr_study",),
            f"expected medfr_study: {SCHEMA_VERSION} (the schema version), got {raw.get('medfr_study')!r}",
        )
    name = check_name(src, raw.get("name"), ("name",), "study name")
    tasks = raw.get("tasks", ["medfr_all"])
    if not isinstance(tasks, list) or not tasks:
        raise src.fail(("tasks",), "expected a non-empty list of medfr tasks or groups")
    leaves: list[str] = []
    for i, task in enumerate(tasks):
        leaves += [t for t in known_task(src, task, ("tasks", i)) if t not in leaves]
    models = _models(src, raw.get("models"), paths)
    names = [m.name for m in models]
    pairs, pairs_source = pairs_from(src, raw.get("pairs"), ("pairs",), names)
    paper = _paper(src, raw.get("paper"), names)
    study = Study(
        path=src.path, sha256="", name=name, tasks=tuple(tasks), leaves=tuple(leaves),
        evaluation=_evaluation(src, raw.get("evaluation")),
        significance=_significance(src, raw.get("significance")),
        models=models, pairs=pairs, pairs_source=pairs_source, paper=paper,
        title=src.text(raw, "title", ("title",)), source=src.text(raw, "source", ("source",)),
    )  # fmt: skip
    if paper is not None:
        load_paper_table(paper.tables, study)
    return study
