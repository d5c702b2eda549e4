"""``medfr-train launch``: render the ``accelerate launch`` command and a SLURM script.

The study trained its CPT models with FSDP on 32 GPUs (4 nodes x 8). Training
itself goes through ``accelerate launch`` and our shipped accelerate configs
(``recipes/accelerate_configs/``); what people get wrong by hand is the
multi-node plumbing: ``--num_processes`` is the *total* number of GPUs, every
node needs its own ``--machine_rank``, all must agree on the main node's
address, and a DeepSpeed config must not try to ssh into the other nodes. This
command reads the accelerate config with accelerate's own loader, checks the
requested N nodes x G GPUs against it, and renders:

* the ``accelerate launch`` command line of each node, and
* a SLURM batch script: one ``srun`` task per node, each running
  ``accelerate launch`` for its G GPUs with ``--machine_rank $SLURM_NODEID``;
  the main process is the first host of ``scontrol show hostnames``.

It starts nothing itself: the output is text, printed or written atomically.
"""

from __future__ import annotations

import datetime as _dt
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from medfr_eval.cli import command_path
from medfr_eval.errors import LaunchError
from medfr_eval.fileio import write_text_atomic

DEFAULT_PORT = 29500

#: accelerate distributed types that run one process per GPU through torchrun.
_MULTI = {"MULTI_GPU", "FSDP", "DEEPSPEED", "MEGATRON_LM"}


@dataclass
class LaunchPlan:
    """A validated request: which recipe, which accelerate config, how many nodes and GPUs."""

    recipe: str
    config_file: str
    nodes: int
    gpus_per_node: int
    distributed_type: str
    main_process_port: int
    main_process_ip: str | None = None
    recipe_args: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)  # exported before accelerate launch

    @property
    def num_processes(self) -> int:
        return self.nodes * self.gpus_per_node


def _shipped_config(name: str) -> Path | None:
    """``fsdp`` or ``fsdp.yaml`` -> the shipped accelerate config of that name, if any."""
    from medfr_eval.resources import recipes_dir

    folder = recipes_dir() / "accelerate_configs"
    for candidate in (folder / name, folder / f"{name}.yaml"):
        if candidate.is_file():
            return candidate
    return None


def load_accelerate_config(path: str | Path):
    """Load with accelerate's own ``load_config_from_file`` (ClusterConfig); errors name the file."""
    import yaml
    from accelerate.commands.config.config_args import load_config_from_file

    p = Path(path)
    if not p.is_file():
        raise LaunchError("accelerate config file not found", file=p)
    if p.suffix not in (".yaml", ".yml", ".json"):
        raise LaunchError("accelerate config must be a .yaml or .json file", file=p)
    try:
        cfg = load_config_from_file(str(p))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or exc
        raise LaunchError(f"not valid YAML ({problem})", file=p, line=line) from None
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        # accelerate raises ValueError for unknown keys / missing distributed_type,
        # TypeError for a file that is not a mapping.
        raise LaunchError(f"not a valid accelerate config ({exc})", file=p) from None
    if cfg.compute_environment.value != "LOCAL_MACHINE":
        raise LaunchError(
            "must be LOCAL_MACHINE for a cluster launch", file=p, field="compute_environment"
        )
    return cfg


def plan_launch(
    recipe: str | Path,
    config_file: str | Path,
    *,
    nodes: int | None = None,
    gpus_per_node: int | None = None,
    main_process_ip: str | None = None,
    main_process_port: int | None = None,
    recipe_args: list[str] | None = None,
) -> LaunchPlan:
    """Check the recipe path and the accelerate config against N nodes x G GPUs.

    ``nodes`` and ``gpus_per_node`` default to the config's ``num_machines`` and
    ``num_processes / num_machines``; given, they override the config (the
    rendered command passes them explicitly).
    """
    rpath = Path(recipe)
    if not rpath.is_file():
        raise LaunchError("recipe file not found", file=rpath)
    cpath = Path(config_file)
    if not cpath.is_file() and (shipped := _shipped_config(str(config_file))) is not None:
        cpath = shipped
    cfg = load_accelerate_config(cpath)
    dtype = cfg.distributed_type.value
    notes: list[str] = []
    nodes, gpus_per_node = _cluster_shape(cfg, cpath, nodes, gpus_per_node, notes)
    _check_distributed(cfg, cpath, nodes, gpus_per_node, notes)
    env: dict[str, str] = {}
    if cfg.use_cpu and dtype != "NO":
        # accelerate's torchrun path does not pass use_cpu on to the ranks; without this
        # variable each CPU rank would train alone instead of joining a gloo group.
        env["ACCELERATE_USE_CPU"] = "true"
    port = main_process_port or cfg.main_process_port or DEFAULT_PORT
    if not 0 < int(port) < 65536:
        raise LaunchError(f"must be a TCP port, got {port!r}", field="--main-process-port")
    if main_process_ip is not None and not re.fullmatch(r"[A-Za-z0-9_.:\-]+", main_process_ip):
        raise LaunchError(
            f"{main_process_ip!r} is not a host name or address", field="--main-process-ip"
        )
    return LaunchPlan(
        recipe=str(rpath),
        config_file=str(cpath),
        nodes=nodes,
        gpus_per_node=gpus_per_node,
        distributed_type=dtype,
        main_process_port=int(port),
        main_process_ip=main_process_ip,
        recipe_args=list(recipe_args or []),
        notes=notes,
        env=env,
    )


def _cluster_shape(
    cfg, cpath: Path, nodes: int | None, gpus_per_node: int | None, notes: list[str]
) -> tuple[int, int]:
    """N nodes x G GPUs: the request, or the config's num_machines / num_processes."""
    cfg_machines = int(cfg.num_machines or 1)
    cfg_procs = int(cfg.num_processes) if cfg.num_processes not in (None, -1) else None
    if nodes is None:
        nodes = cfg_machines
    if gpus_per_node is None:
        if cfg_procs is None:
            raise LaunchError("is not set; give --gpus-per-node", file=cpath, field="num_processes")
        if cfg_procs % cfg_machines:
            raise LaunchError(
                f"({cfg_procs}) is not a multiple of 'num_machines' ({cfg_machines})",
                file=cpath,
                field="num_processes",
            )
        gpus_per_node = cfg_procs // cfg_machines
    for name, value in (("nodes", nodes), ("gpus_per_node", gpus_per_node)):
        if not isinstance(value, int) or value < 1:
            flag = f"--{name.replace('_', '-')}"
            raise LaunchError(f"must be a positive integer, got {value!r}", field=flag)
    if cfg_procs is not None and (nodes, nodes * gpus_per_node) != (cfg_machines, cfg_procs):
        notes.append(
            f"{cpath.name} says {cfg_machines} machine(s) / {cfg_procs} process(es); "
            f"the command passes {nodes} / {nodes * gpus_per_node} explicitly"
        )
    return nodes, gpus_per_node


def _check_distributed(cfg, cpath: Path, nodes: int, gpus_per_node: int, notes: list[str]) -> None:
    """Refuse a distributed type, GPU list or DeepSpeed launcher that cannot run N x G."""
    dtype = cfg.distributed_type.value
    total = nodes * gpus_per_node

    def bad(field: str, message: str) -> LaunchError:
        return LaunchError(message, file=cpath, field=field)

    if dtype == "NO" and total > 1:
        raise bad(
            "distributed_type",
            f"is NO (one process) but {nodes} node(s) x {gpus_per_node} GPU(s) were asked; "
            "use ddp.yaml, fsdp.yaml or deepspeed_zero3.yaml",
        )
    if dtype == "MULTI_GPU" and total < 2:
        raise bad(
            "distributed_type",
            "is MULTI_GPU, which needs at least 2 processes; use single_gpu.yaml for one GPU",
        )
    if dtype not in _MULTI | {"NO"}:
        raise bad(
            "distributed_type",
            f"{dtype} is not supported by {command_path('train', 'launch')} "
            f"(use one of {sorted(_MULTI | {'NO'})})",
        )
    gpu_ids = cfg.gpu_ids
    if gpu_ids not in (None, "all") and len(str(gpu_ids).split(",")) < gpus_per_node:
        raise bad(
            "gpu_ids",
            f"lists {len(str(gpu_ids).split(','))} GPU(s), "
            f"fewer than the {gpus_per_node} per node asked",
        )
    if dtype == "DEEPSPEED" and nodes > 1:
        launcher = (cfg.deepspeed_config or {}).get("deepspeed_multinode_launcher")
        if launcher != "standard":
            raise bad(
                "deepspeed_config.deepspeed_multinode_launcher",
                f"must be 'standard' for a per-node launch (SLURM srun), got {launcher!r}",
            )
    if dtype == "FSDP":
        fsdp = cfg.fsdp_config or {}
        if fsdp.get("fsdp_auto_wrap_policy") == "TRANSFORMER_BASED_WRAP" and not fsdp.get(
            "fsdp_transformer_layer_cls_to_wrap"
        ):
            notes.append(
                f"{cpath.name}: no fsdp_transformer_layer_cls_to_wrap, "
                "the model's _no_split_modules are used"
            )


def accelerate_args(
    plan: LaunchPlan,
    *,
    include_rank: bool = True,
    machine_rank: int = 0,
    main_process_ip: str | None = None,
) -> list[str]:
    """The ``accelerate launch`` argument list (after ``accelerate launch``).

    The recipe runs as ``-m medfr_train.cli recipe RECIPE``: a module works with
    every accelerate launcher (torchrun, DeepSpeed, single process), where a
    console script needs ``--no_python`` and is not found by all of them.
    """
    args = [
        "--config_file",
        plan.config_file,
        "--num_machines",
        str(plan.nodes),
        "--num_processes",
        str(plan.num_processes),
    ]
    if plan.nodes > 1:
        if include_rank:
            args += ["--machine_rank", str(machine_rank)]
        ip = main_process_ip or plan.main_process_ip
        if ip is not None:
            args += ["--main_process_ip", ip]
        args += ["--main_process_port", str(plan.main_process_port), "--rdzv_backend", "static"]
    elif plan.distributed_type != "NO":
        args += ["--main_process_port", str(plan.main_process_port)]
    args += ["-m", "medfr_train.cli", "recipe", plan.recipe, *plan.recipe_args]
    return args


_IP_PLACEHOLDER = "\0MAIN_PROCESS_IP\0"


def _shell_words(args: list[str]) -> list[str]:
    """Quote each argument for the shell, except the main-process address left for the shell to expand."""
    return ['"$MAIN_PROCESS_IP"' if a == _IP_PLACEHOLDER else shlex.quote(a) for a in args]


def render_commands(plan: LaunchPlan) -> str:
    """The shell command(s) to type: one per node, each with its machine rank."""
    lines = [
        f"# {plan.nodes} node(s) x {plan.gpus_per_node} GPU(s) = {plan.num_processes} process(es), "
        f"{plan.distributed_type} ({plan.config_file})",
    ]
    lines += [f"# note: {n}" for n in plan.notes]
    lines += [f"export {k}={shlex.quote(v)}" for k, v in plan.env.items()]
    if plan.nodes == 1:
        lines.append(" ".join(_shell_words(["accelerate", "launch", *accelerate_args(plan)])))
        return "\n".join(lines) + "\n"
    ip = plan.main_process_ip
    if ip is None:
        lines.append("# first set MAIN_PROCESS_IP to the address of node 0, on every node")
        ip = _IP_PLACEHOLDER
    for rank in range(plan.nodes):
        argv = accelerate_args(plan, machine_rank=rank, main_process_ip=ip)
        lines.append(f"# node {rank}")
        lines.append(" ".join(_shell_words(["accelerate", "launch", *argv])))
    return "\n".join(lines) + "\n"


def _array_lines(words: list[str]) -> list[str]:
    """Group ``--flag value`` pairs one a line, the module call on the last line."""
    lines: list[str] = []
    i = 0
    while i < len(words):
        if words[i] == "-m":
            lines.append(" ".join(words[i:]))
            break
        if words[i].startswith("--") and i + 1 < len(words) and not words[i + 1].startswith("-"):
            lines.append(f"{words[i]} {words[i + 1]}")
            i += 2
        else:
            lines.append(words[i])
            i += 1
    return lines


@dataclass
class SlurmOptions:
    """``#SBATCH`` settings; ``None`` leaves a setting to the cluster's defaults."""

    job_name: str | None = None
    partition: str | None = None
    account: str | None = None
    time: str | None = None
    cpus_per_task: int | None = None
    mem: str | None = None
    log_dir: str = "logs"
    gpu_flag: str = "gpus-per-node"  # or "gres" for clusters that want --gres=gpu:G
    extra: list[str] = field(default_factory=list)  # more "#SBATCH" lines, e.g. "--constraint=a100"


def default_job_name(recipe: str | Path) -> str:
    """``recipes/medmistral-cpt-7b/cpt/config_full.yaml`` -> ``medfr-medmistral-cpt-7b-cpt``."""
    p = Path(recipe)
    parts = [*p.parent.parts[-2:]] if p.stem.startswith("config") else [p.stem]
    name = "-".join(x for x in parts if x not in ("", ".", "recipes")) or p.stem
    return "medfr-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


_SBATCH_VALUE = re.compile(r"[A-Za-z0-9_.:,=/@%+\-]+")


def render_slurm(plan: LaunchPlan, opts: SlurmOptions | None = None) -> str:
    """A SLURM batch script: one task per node, each running ``accelerate launch`` for its GPUs."""
    opts = opts or SlurmOptions()
    job = opts.job_name or default_job_name(plan.recipe)
    sbatch = [
        f"--job-name={job}",
        f"--nodes={plan.nodes}",
        "--ntasks-per-node=1",
    ]
    sbatch.append(
        f"--gres=gpu:{plan.gpus_per_node}"
        if opts.gpu_flag == "gres"
        else f"--gpus-per-node={plan.gpus_per_node}"
    )
    for flag, value in (
        ("cpus-per-task", opts.cpus_per_task),
        ("mem", opts.mem),
        ("time", opts.time),
        ("partition", opts.partition),
        ("account", opts.account),
    ):
        if value is not None:
            sbatch.append(f"--{flag}={value}")
    sbatch.append(f"--output={opts.log_dir}/%x-%j.out")
    sbatch += list(opts.extra)
    for line in sbatch:
        if not _SBATCH_VALUE.fullmatch(line.lstrip("-")):
            raise LaunchError(
                f"{line!r} has characters a batch script cannot hold", field="SLURM option"
            )

    args = accelerate_args(plan, include_rank=False, main_process_ip=_IP_PLACEHOLDER)
    quoted = "\n  ".join(_array_lines(_shell_words(args)))
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    header = [
        "#!/bin/bash",
        f"# Rendered by `{command_path('train', 'launch')}` on {stamp}: {plan.recipe}",
        f"# {plan.nodes} node(s) x {plan.gpus_per_node} GPU(s) = {plan.num_processes} processes, "
        f"{plan.distributed_type} ({plan.config_file}).",
        "# Submit from the repository root: sbatch THIS_FILE",
        *[f"#SBATCH {line}" for line in sbatch],
        *[f"# note: {n}" for n in plan.notes],
    ]
    exports = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in plan.env.items())
    body = f"""
set -euo pipefail
mkdir -p {shlex.quote(opts.log_dir)}

# The main process runs on the first node of the allocation.
# sed reads the whole list: `head` would exit early and, under pipefail, the
# SIGPIPE of a long host list would fail the job (exit 141)
MAIN_PROCESS_IP=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | sed -n 1p)
export MAIN_PROCESS_IP
{exports}echo "main process: $MAIN_PROCESS_IP:{plan.main_process_port}, nodes: $SLURM_JOB_NUM_NODES"

# Everything but the node rank is fixed here; each srun task adds its own rank.
LAUNCH_ARGS=(
  {quoted}
)

# One task per node; each starts {plan.gpus_per_node} process(es) with its node rank.
# The single quotes keep $SLURM_NODEID for the task's shell, where it is the node's index.
srun --nodes={plan.nodes} --ntasks-per-node=1 --kill-on-bad-exit=1 \\
  bash -c 'exec accelerate launch --machine_rank "$SLURM_NODEID" "$@"' medfr-launch "${{LAUNCH_ARGS[@]}}"
"""
    return "\n".join(header) + "\n" + body


def write_atomic(path: Path, text: str, executable: bool = False) -> None:
    """Write ``text`` to ``path`` through ``path.tmp`` + ``os.replace``: never half-written."""
    if not path.parent.is_dir():
        raise LaunchError(f"folder {path.parent} does not exist", file=path)
    write_text_atomic(path, text, mode=0o755 if executable else None)
