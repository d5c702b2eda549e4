"""The task YAML of the MCQ decoding modes and option orders, rendered from the set table.

``tasks/gen/``, ``tasks/constrained/`` and ``tasks/perm/`` hold one three-line leaf per
MCQ set and mode, one per option order of a single-answer set, and the mode groups that
mirror the study's restricted groups. Every line of them follows from
:mod:`medfr_eval.core.sets`, so they are written by ``tasks/_generate_configs.py`` (lm-eval's
convention, as its ``mmlu/_generate_configs.py``) and a test checks that the committed
files are exactly this module's output: a set added to the table gets its variants by
running the script, not by copying files.

The files are plain strings, not dumped YAML: the output is byte for byte what is
committed, comments and flow mappings included. Only the set table and the task-naming
rule (:func:`medfr_eval.mcq.modes.task_name`) are imported, so the script runs without
lm-eval or torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from medfr_eval.core.sets import ALL_SETS, FAMILIES, GROUPS, MEDIQAL, EvalSet
from medfr_eval.mcq.modes import SUFFIX, task_name


@dataclass(frozen=True)
class Mode:
    """A generation mode: its folder, its name in :mod:`medfr_eval.mcq.modes` (which makes
    its task names) and its names in the group files."""

    folder: str
    mode: str  # a key of medfr_eval.mcq.modes.MODES
    alias: str  # English, in ``group_alias``
    french: str  # as the group files' comments name it

    @property
    def suffix(self) -> str:
        """What the mode adds to a task or group name (``_gen``)."""
        return SUFFIX[self.mode]


MODES: tuple[Mode, ...] = (
    Mode("gen", "free", "free generation", "génération libre"),
    Mode("constrained", "constrained", "constrained generation", "génération contrainte"),
)
#: The option orders of a single-answer set besides its own: options shifted cyclically.
SHIFTS: tuple[int, ...] = (1, 2)
#: The folders this module writes whole: every YAML in them is its output.
FOLDERS: tuple[str, ...] = ("gen", "constrained", "perm")
#: Groups are at version 1.0 (tasks/README.md, changelog); a leaf takes its template's.
GROUP_VERSION = "1.0"
#: A group's word for each kind's score, where its members' metrics differ.
METRIC_WORDS: dict[str, str] = {"mcq": "accuracy", "mcq_multi": "EMR"}
#: Groups nested inside a family group and run as one of its members, with their aliases
#: (as ``tasks/_medfr_mmlu.yaml`` names its group): the six MMLU subjects are one line of
#: the study's tables.
SUBGROUPS: dict[str, str] = {"medfr_mmlu": "Medical MMLU (translated)"}
#: The answer budget of the ``_multi`` generation templates: 2 x 5 options.
MULTI_OPTIONS = 5


def is_mcq(s: EvalSet) -> bool:
    """Whether a set has the decoding modes (open QA has one protocol: greedy generation)."""
    return s.kind in ("mcq", "mcq_multi")


def is_permuted(s: EvalSet) -> bool:
    """Whether a set has shifted option orders: single-answer sets only, as in the protocol."""
    return s.kind == "mcq"


def _template(s: EvalSet, mode: Mode) -> str:
    """The template a set's leaf of ``mode`` includes.

    A single-answer set whose prompt names its clinical case ("Cas clinique": MediQAl
    MCQU) takes the templates with a version of their own, since that prompt differs from
    the one the shared template's version names. Multi-answer sets share the ``_multi``
    templates, whose prompt showed a clinical case from its first version.
    """
    if s.kind == "mcq_multi":
        if s.n_options != MULTI_OPTIONS:
            # the templates' max_gen_toks is 2 x 5; a leaf cannot override one key of
            # generation_kwargs (lm-eval replaces the whole mapping)
            raise ValueError(
                f"{s.name}: multi-answer sets with {s.n_options} options need _multi "
                f"templates of their own (those of tasks/ budget {2 * MULTI_OPTIONS} tokens)"
            )
        return f"_template_mcq_multi_{mode.folder}_yaml"
    if s.clinical_case:
        return f"_template_mediqal_mcq_{mode.folder}_yaml"
    return f"_template_mcq_{mode.folder}_yaml"


def restricted_leaf(s: EvalSet) -> str:
    """Where ``tasks/`` keeps a set's restricted leaf, relative to ``tasks/``.

    The English twins sit in ``en/``; MediQAl in ``mediqal/``, beside the ``utils.py`` its
    ``!function`` scorers are looked up in; every other set at the top.
    """
    if s.twin_of:
        return f"en/{s.name}.yaml"
    if s.public_source == MEDIQAL:
        return f"mediqal/{s.name}.yaml"
    return f"{s.name}.yaml"


def _leaf(include: str, task: str, kwargs: str) -> str:
    return f"include: {include}\ntask: {task}\ndataset_kwargs: {{{kwargs}}}\n"


def _leaves(sets: Sequence[EvalSet]) -> dict[str, str]:
    """Every leaf of the three folders, by path relative to ``tasks/``."""
    files: dict[str, str] = {}
    for s in filter(is_mcq, sets):
        for mode in MODES:
            files[f"{mode.folder}/{s.name}_{mode.folder}.yaml"] = _leaf(
                f"../{_template(s, mode)}", task_name(s.name, mode.mode), f"medfr_set: {s.name}"
            )
    for s in filter(is_permuted, sets):
        unshifted = [("restricted", restricted_leaf(s))]
        unshifted += [(m.mode, f"{m.folder}/{s.name}_{m.folder}.yaml") for m in MODES]
        for mode, include in unshifted:
            for shift in SHIFTS:
                task = task_name(s.name, mode, shift)
                files[f"perm/{task.removeprefix('medfr_')}.yaml"] = _leaf(
                    f"../{include}", task, f"medfr_set: {s.name}, medfr_shift: {shift}"
                )
    return files


def _group(
    name: str, alias: str, comment: Sequence[str], members: Sequence[str], scored: bool
) -> str:
    """One group file; a scored group reports the unweighted mean of its leaves' ``acc``."""
    lines = [f"# {line}" for line in comment]
    lines += [f"group: {name}", f"group_alias: {alias}", "task:"]
    lines += [f"  - {m}" for m in members]
    if scored:
        lines += [
            "aggregate_metric_list:",
            "  - metric: acc",
            "    filter_list: strict",
            "    aggregation: mean",
            "    weight_by_size: false",
        ]
    lines += ["metadata:", f"  version: {GROUP_VERSION}"]
    return "\n".join(lines) + "\n"


def _and(words: Sequence[str]) -> str:
    return " and ".join(filter(None, [", ".join(words[:-1]), words[-1]]))


def _summary(sets: Sequence[EvalSet]) -> str:
    """What a family group's score is: one metric says its count; mixed metrics are named."""
    if len({s.kind for s in sets}) == 1:
        return f"unweighted mean over its {len(sets)} sets"
    return "mean of " + _and([f"{s.title} {METRIC_WORDS[s.kind]}" for s in sets])


def _members(sets: Sequence[EvalSet], mode: Mode) -> list[str]:
    """A family group's members: its leaves, a subgroup's in one line where its first stood."""
    members: list[str] = []
    for s in sets:
        sub = next((g for g in SUBGROUPS if s.task in GROUPS[g]), None)
        member = f"{sub}{mode.suffix}" if sub else task_name(s.name, mode.mode)
        if member not in members:
            members.append(member)
    return members


def _mode_groups(sets: Sequence[EvalSet], mode: Mode) -> dict[str, str]:
    """The mode's groups: the study's MCQ groups with the mode's leaves as members.

    lm-eval refuses a task in two top-level groups, so ``medfr_all_<mode>`` holds the MCQ
    families only, leaving the open-QA family (one protocol) to its restricted group.
    """
    study = [s for s in sets if s.in_study and is_mcq(s)]
    folder, suffix, files = mode.folder, mode.suffix, {}
    for sub, alias in SUBGROUPS.items():
        members = [task_name(s.name, mode.mode) for s in study if s.task in GROUPS[sub]]
        files[sub] = _group(f"{sub}{suffix}", f"{alias}, {mode.alias}", (), members, True)
    families = [f for f in FAMILIES if any(s.family == f for s in study)]
    for family in families:
        in_family = [s for s in study if s.family == family]
        comment = [f"As medfr_{family}, in {mode.french}: {_summary(in_family)}."]
        alias = f"{FAMILIES[family]}, {mode.alias}"
        members = _members(in_family, mode)
        files[f"medfr_{family}"] = _group(f"medfr_{family}{suffix}", alias, comment, members, True)
    n, total = len(study), len([s for s in sets if s.in_study])
    rest = ",".join(f"medfr_{f}" for f in FAMILIES if f not in families)
    comment = [
        f"The {n} MCQ sets of medfr_all, in {mode.french}. Open QA has one protocol (greedy",
        "generation, BERTScore) and stays in medfr_openqa / medfr_all: lm-eval refuses a",
        "task in two top-level groups, so including it here would forbid",
        f"`--tasks medfr_all,medfr_all{suffix}`. Full {total} sets in this mode:",
        f"`--tasks medfr_all{suffix},{rest}`.",
    ]
    members = [f"medfr_{f}{suffix}" for f in families]
    alias = f"medfr ({n} MCQ sets), {mode.alias}"
    files["medfr_all"] = _group(f"medfr_all{suffix}", alias, comment, members, False)
    return {f"{folder}/_{base}_{folder}.yaml": text for base, text in files.items()}


def render(sets: Sequence[EvalSet] | None = None) -> dict[str, str]:
    """Every file of the three folders, by path relative to ``tasks/`` (default: the table)."""
    sets = ALL_SETS if sets is None else sets
    files = _leaves(sets)
    for mode in MODES:
        files.update(_mode_groups(sets, mode))
    return dict(sorted(files.items()))


def _present(tasks_dir: Path) -> set[str]:
    """The YAML files now in the three folders, relative to ``tasks/``."""
    return {
        path.relative_to(tasks_dir).as_posix()
        for folder in FOLDERS
        for path in (tasks_dir / folder).rglob("*.yaml")
    }


def differences(tasks_dir: Path, sets: Sequence[EvalSet] | None = None) -> list[str]:
    """What in ``tasks_dir`` is not the rendered output: ``differs``, ``missing``, ``extra``."""
    files, present = render(sets), _present(tasks_dir)
    found = [f"extra {rel}" for rel in sorted(present - set(files))]
    for rel, text in files.items():
        if rel not in present:
            found.append(f"missing {rel}")
        elif (tasks_dir / rel).read_bytes() != text.encode("utf-8"):
            found.append(f"differs {rel}")
    return sorted(found, key=lambda line: line.split(" ", 1)[1])


def write(tasks_dir: Path, sets: Sequence[EvalSet] | None = None) -> list[str]:
    """Write the rendered files into ``tasks_dir`` and remove YAML it no longer renders.

    The three folders are this module's output alone, so a set taken out of the table
    takes its leaves with it. Returns what changed, as :func:`differences` words it.
    """
    changed = differences(tasks_dir, sets)
    files = render(sets)
    for line in changed:
        rel = line.split(" ", 1)[1]
        path = tasks_dir / rel
        if rel in files:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(files[rel].encode("utf-8"))
        else:
            path.unlink()
    return changed
