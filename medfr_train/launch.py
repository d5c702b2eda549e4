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
from medfr_eval.core.errors import LaunchError
from medfr_eval.core.fileio import write_text_atomic
from medfr_eval.core.slurm import BatchScript, Step, Var, check_value, render_batch, sbatch_option

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
    from medfr_eval.core.resources import recipes_dir

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
    check_launch_values(recipe, config_file, recipe_args)
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


def check_launch_values(
    recipe: str | Path, config_file: str | Path, recipe_args: list[str] | None
) -> None:
    """Refuse, naming the argument, a value no shell script can hold (a line break).

    Checked first, before any error message would print the value (and its line
    break) as a file name."""
    check_value(recipe, "RECIPE")
    check_value(config_file, "--config-file")
    for arg in recipe_args or []:
        check_value(arg, "recipe arguments (after --)")


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
    main_process_ip: str | Var | None = None,
) -> list[str | Var]:
    """The ``accelerate launch`` argument list (after ``accelerate launch``).

    ``main_process_ip`` may be a :class:`~medfr_eval.core.slurm.Var`: the address is
    then the shell's to expand (``"$MAIN_PROCESS_IP"``).

    The recipe runs as ``-m medfr_train.cli recipe RECIPE``: a module works with
    every accelerate launcher (torchrun, DeepSpeed, single process), where a
    console script needs ``--no_python`` and is not found by all of them.
    """
    args: list[str | Var] = [
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


#: node 0's address in a SLURM job, found by the script itself (``scontrol show hostnames``).
MAIN_IP_VAR = Var("MAIN_PROCESS_IP")


def _header(plan: LaunchPlan) -> str:
    return (
        f"{plan.nodes} node(s) x {plan.gpus_per_node} GPU(s) = {plan.num_processes} process(es), "
        f"{plan.distributed_type} ({shlex.quote(plan.config_file)})"
    )


def command_script(plan: LaunchPlan, comments: list[str] | None = None) -> BatchScript:
    """The shell command(s) to type, as a script: one per node, each with its machine rank."""
    script = BatchScript(
        comments=[*(comments or []), _header(plan)],
        notes=list(plan.notes),
        env=dict(plan.env),
        shebang=False,
        strict=False,
    )
    if plan.nodes == 1:
        script.steps.append(Step(["accelerate", "launch", *accelerate_args(plan)]))
        return script
    ip: str | Var | None = plan.main_process_ip
    first = []
    if ip is None:
        first = ["first set MAIN_PROCESS_IP to the address of node 0, on every node"]
        ip = MAIN_IP_VAR
    for rank in range(plan.nodes):
        argv = accelerate_args(plan, machine_rank=rank, main_process_ip=ip)
        lines = [*first, f"node {rank}"] if rank == 0 else [f"node {rank}"]
        script.steps.append(Step(["accelerate", "launch", *argv], lines))
    return script


def render_commands(plan: LaunchPlan, comments: list[str] | None = None) -> str:
    """The shell command(s) to type: one per node, each with its machine rank."""
    return render_batch(command_script(plan, comments))


def _array_lines(words: list[str | Var]) -> list[list[str | Var]]:
    """Group ``--flag value`` pairs one a line, the module call on the last line."""
    lines: list[list[str | Var]] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word == "-m":
            lines.append(words[i:])
            break
        nxt = words[i + 1] if i + 1 < len(words) else None
        if (
            isinstance(word, str)
            and word.startswith("--")
            and nxt is not None
            and not (isinstance(nxt, str) and nxt.startswith("-"))
        ):
            lines.append([word, nxt])
            i += 2
        else:
            lines.append([word])
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


def sbatch_directives(plan: LaunchPlan, opts: SlurmOptions) -> list[str]:
    """The ``#SBATCH`` options of a plan, each checked with the flag it came from.

    sbatch reads these lines itself, with quoting rules of its own: a value is
    refused unless it is one token of plain characters, rather than quoted."""
    job = opts.job_name or default_job_name(plan.recipe)
    gpus = (
        f"--gres=gpu:{plan.gpus_per_node}"
        if opts.gpu_flag == "gres"
        else f"--gpus-per-node={plan.gpus_per_node}"
    )
    given = [
        ("--cpus-per-task", "cpus-per-task", opts.cpus_per_task),
        ("--mem", "mem", opts.mem),
        ("--time", "time", opts.time),
        ("--partition", "partition", opts.partition),
        ("--account", "account", opts.account),
        ("--log-dir", "output", f"{opts.log_dir}/%x-%j.out"),
    ]
    out = [
        str(sbatch_option(f"--job-name={job}", field="--job-name")),
        f"--nodes={plan.nodes}",
        "--ntasks-per-node=1",
        gpus,
    ]
    for flag, name, value in given:
        if value is not None:
            out.append(str(sbatch_option(f"--{name}={value}", field=flag)))
    return out + [str(sbatch_option(o, field="--sbatch")) for o in opts.extra]


def render_slurm(plan: LaunchPlan, opts: SlurmOptions | None = None) -> str:
    """A SLURM batch script: one task per node, each running ``accelerate launch`` for its GPUs."""
    opts = opts or SlurmOptions()
    check_value(opts.log_dir, "--log-dir")
    script = BatchScript(directives=sbatch_directives(plan, opts), notes=list(plan.notes))
    script.env = dict(plan.env)
    args = accelerate_args(plan, include_rank=False, main_process_ip=MAIN_IP_VAR)
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return render_batch(
        script,
        "accelerate.sbatch.j2",
        plan=plan,
        stamp=stamp,
        launch_args=_array_lines(args),
        log_dir=opts.log_dir,
    )


def write_atomic(path: Path, text: str, executable: bool = False) -> None:
    """Write ``text`` to ``path`` through ``path.tmp`` + ``os.replace``: never half-written."""
    if not path.parent.is_dir():
        raise LaunchError(f"folder {path.parent} does not exist", file=path)
    write_text_atomic(path, text, mode=0o755 if executable else None)
