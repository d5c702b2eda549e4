"""Shipped accelerate configs and the `medfr-train launch` renderer (command + SLURM script)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from unittest import mock

import pytest
import yaml

from medfr_eval.cli import train_main
from medfr_eval.core.errors import LaunchError
from medfr_eval.core.resources import recipes_dir
from medfr_train.launch import (
    plan_launch,
    render_commands,
    render_slurm,
)

CONFIG_DIR = recipes_dir() / "accelerate_configs"
CONFIGS = sorted(CONFIG_DIR.glob("*.yaml"))


def _recipe(tmp_path: Path, name: str = "cpt.yaml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# recette de test\nstrategy: CPT\nmodel_name_or_path: tiny\n"
        "dataset_files: [corpus.txt]\nblock_size: 32\noutput_dir: out\n",
        encoding="utf-8",
    )
    return path


def _accelerate_args(words: list[str]):
    """Parse words after `accelerate launch` with accelerate's own parser and config merge."""
    from accelerate.commands.launch import _validate_launch_command, launch_command_parser

    args = launch_command_parser().parse_args(words)
    args, _, _ = _validate_launch_command(args)
    return args


# ------------------------------------------------------------------ shipped configs


def test_the_expected_configs_are_shipped():
    names = {p.stem for p in CONFIGS}
    assert {"fsdp", "fsdp2", "deepspeed_zero3", "ddp", "single_gpu", "ddp_cpu"} <= names


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_config_loads_with_accelerate_and_round_trips(path, tmp_path):
    from accelerate.commands.config.config_args import ClusterConfig, load_config_from_file

    text = path.read_text(encoding="utf-8")
    assert text.startswith("# "), "a config opens with a comment saying what it is for"
    header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
    assert f"--config_file recipes/accelerate_configs/{path.name}" in header
    assert "accelerate launch" in header
    shown = re.findall(r"recipe (recipes/\S+\.yaml)", header)
    assert shown, "the header shows a command with a shipped recipe"
    for recipe in shown:  # the commands shown must work
        assert (recipes_dir() / recipe.removeprefix("recipes/")).is_file(), recipe
    cfg = load_config_from_file(str(path))
    assert isinstance(cfg, ClusterConfig)
    again = tmp_path / path.name
    cfg.to_yaml_file(str(again))
    reloaded = ClusterConfig.from_yaml_file(str(again))
    assert reloaded.to_dict() == ClusterConfig.from_yaml_file(str(path)).to_dict()
    # every key is one accelerate knows (from_yaml_file refuses unknown keys)
    assert set(yaml.safe_load(text)) <= set(ClusterConfig.__dataclass_fields__)


def test_mistral_decoder_layer_is_the_wrap_unit():
    from transformers import MistralForCausalLM
    from transformers.models.mistral import modeling_mistral

    assert hasattr(modeling_mistral, "MistralDecoderLayer")
    assert "MistralDecoderLayer" in MistralForCausalLM._no_split_modules
    for name in ("fsdp.yaml", "fsdp2.yaml"):
        fsdp = yaml.safe_load((CONFIG_DIR / name).read_text(encoding="utf-8"))["fsdp_config"]
        assert fsdp["fsdp_transformer_layer_cls_to_wrap"] == "MistralDecoderLayer"


@pytest.mark.parametrize(("name", "version"), [("fsdp.yaml", 1), ("fsdp2.yaml", 2)])
def test_fsdp_configs_give_accelerate_a_full_shard_plugin(name, version, tmp_path):
    """Go through accelerate's own launcher plumbing: config -> launch args -> env -> FSDP plugin."""
    from accelerate.utils import FullyShardedDataParallelPlugin
    from accelerate.utils.launch import prepare_multi_gpu_env

    args = _accelerate_args(
        [
            "--config_file",
            str(CONFIG_DIR / name),
            "--num_machines",
            "4",
            "--num_processes",
            "32",
            "--machine_rank",
            "1",
            "--main_process_ip",
            "10.0.0.1",
            "-m",
            "medfr_train.cli",
            "recipe",
            "r.yaml",
        ]
    )
    env = prepare_multi_gpu_env(args)
    assert env["ACCELERATE_USE_FSDP"] == "true" and env["ACCELERATE_MIXED_PRECISION"] == "bf16"
    assert env["FSDP_SYNC_MODULE_STATES" if version == 1 else "FSDP_VERSION"] in ("true", "2")
    assert (
        env["FSDP_ACTIVATION_CHECKPOINTING"] == "false"
    )  # the recipe's gradient_checkpointing does it
    assert (args.nnodes, args.nproc_per_node, args.node_rank) == ("4", "8", 1)
    fenv = {k: v for k, v in env.items() if k.startswith(("FSDP_", "ACCELERATE_"))}
    # sync_module_states needs a GPU to build its init function; this machine has none.
    fenv.update(FSDP_SYNC_MODULE_STATES="false", FSDP_CPU_RAM_EFFICIENT_LOADING="false")
    with mock.patch.dict(os.environ, fenv):
        plugin = FullyShardedDataParallelPlugin()
    assert plugin.fsdp_version == version
    if version == 1:
        assert plugin.sharding_strategy.name == "FULL_SHARD"
        assert plugin.use_orig_params is True  # peft (DoRA) under FSDP1
    else:
        assert plugin.reshard_after_forward is True  # FSDP2's FULL_SHARD
    assert plugin.transformer_cls_names_to_wrap == ["MistralDecoderLayer"]
    assert plugin.state_dict_type.name == "FULL_STATE_DICT"
    assert plugin.auto_wrap_policy is not None


def test_deepspeed_zero3_config():
    args = _accelerate_args(
        ["--config_file", str(CONFIG_DIR / "deepspeed_zero3.yaml"), "--num_processes", "8", "x.py"]
    )
    assert args.use_deepspeed and args.zero_stage == 3
    assert args.deepspeed_multinode_launcher == "standard"
    assert args.zero3_save_16bit_model is True or args.zero3_save_16bit_model == "true"
    ds = yaml.safe_load((CONFIG_DIR / "deepspeed_zero3.yaml").read_text(encoding="utf-8"))
    # left to the recipe ("auto"), so the two cannot disagree
    assert "gradient_accumulation_steps" not in ds["deepspeed_config"]
    assert "gradient_clipping" not in ds["deepspeed_config"]


# ------------------------------------------------------------------ plan and render


def test_single_node_command(tmp_path):
    recipe = _recipe(tmp_path)
    plan = plan_launch(recipe, "ddp", gpus_per_node=4, recipe_args=["--learning_rate", "1e-5"])
    assert plan.config_file == str(CONFIG_DIR / "ddp.yaml")
    text = render_commands(plan)
    cmd = [line for line in text.splitlines() if line.startswith("accelerate launch")]
    assert len(cmd) == 1
    words = shlex.split(cmd[0])
    args = _accelerate_args(words[2:])
    assert args.multi_gpu and args.num_processes == 4 and args.num_machines == 1
    assert args.module and args.training_script == "medfr_train.cli"
    assert args.training_script_args == ["recipe", str(recipe), "--learning_rate", "1e-5"]


def test_multi_node_commands_one_per_rank(tmp_path):
    recipe = _recipe(tmp_path / "mes recettes", "l'essai cpt.yaml")  # space and quote survive
    plan = plan_launch(
        recipe,
        CONFIG_DIR / "fsdp.yaml",
        nodes=4,
        gpus_per_node=8,
        main_process_ip="gpu-node-01",
        main_process_port=29600,
    )
    cmds = [line for line in render_commands(plan).splitlines() if line.startswith("accelerate")]
    assert len(cmds) == 4
    for rank, cmd in enumerate(cmds):
        args = _accelerate_args(shlex.split(cmd)[2:])
        assert args.use_fsdp and (args.num_machines, args.num_processes) == (4, 32)
        assert args.machine_rank == rank and args.main_process_ip == "gpu-node-01"
        assert args.main_process_port == 29600 and args.rdzv_backend == "static"
        assert args.training_script_args == ["recipe", str(recipe)]
    # without an address, the commands leave $MAIN_PROCESS_IP to the shell
    plan.main_process_ip = None
    text = render_commands(plan)
    assert text.count('--main_process_ip "$MAIN_PROCESS_IP"') == 4


def test_defaults_come_from_the_config(tmp_path):
    plan = plan_launch(_recipe(tmp_path), CONFIG_DIR / "fsdp.yaml")
    assert (plan.nodes, plan.gpus_per_node, plan.num_processes) == (1, 8, 8)
    assert plan.notes == []
    plan = plan_launch(_recipe(tmp_path), CONFIG_DIR / "fsdp.yaml", nodes=2, gpus_per_node=4)
    assert plan.notes and "passes 2 / 8" in plan.notes[0]


FAKE_SRUN = textwrap.dedent(
    """\
    #!/bin/bash
    # Fake srun: run the command once per node with that node's SLURM_NODEID.
    nodes=1
    while [[ "$1" == --* ]]; do
      case "$1" in --nodes=*) nodes="${1#--nodes=}";; esac
      shift
    done
    for ((i = 0; i < nodes; i++)); do SLURM_NODEID=$i "$@" || exit 1; done
    """
)
FAKE_SCONTROL = '#!/bin/bash\nprintf "gpu-node-07\\ngpu-node-08\\ngpu-node-09\\n"\n'
FAKE_ACCELERATE = '#!/bin/bash\nprintf "%s\\n" "$@" > "$FAKE_OUT/node_$SLURM_NODEID.args"\n'


def _run_slurm(script: Path, tmp_path: Path, nodelist: str, nodes: int):
    """Run a rendered SLURM script with the fakes of ``tmp_path/bin`` first on PATH, as
    SLURM would on an allocation of ``nodes`` nodes; accelerate's arguments land in ``out/``."""
    (tmp_path / "out").mkdir()
    env = {
        **os.environ,
        "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}",
        "FAKE_OUT": str(tmp_path / "out"),
        "SLURM_JOB_NODELIST": nodelist,
        "SLURM_JOB_NUM_NODES": str(nodes),
    }
    return subprocess.run(
        ["bash", str(script)], env=env, capture_output=True, text=True, cwd=tmp_path
    )


def _install_fakes(bindir: Path) -> None:
    bindir.mkdir()
    for name, body in (
        ("srun", FAKE_SRUN),
        ("scontrol", FAKE_SCONTROL),
        ("accelerate", FAKE_ACCELERATE),
    ):
        (bindir / name).write_text(body, encoding="utf-8")
        (bindir / name).chmod(0o755)


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is needed to run the SLURM script")
def test_slurm_script_runs_one_accelerate_per_node(tmp_path):
    recipe = _recipe(tmp_path / "mes recettes", "l'essai cpt.yaml")
    plan = plan_launch(
        recipe,
        CONFIG_DIR / "deepspeed_zero3.yaml",
        nodes=3,
        gpus_per_node=8,
        recipe_args=["--output_dir", "sorties/cpt 1"],
    )
    from medfr_train.launch import SlurmOptions

    script = render_slurm(
        plan,
        SlurmOptions(
            partition="gpu",
            time="24:00:00",
            cpus_per_task=64,
            log_dir=str(tmp_path / "logs"),
            extra=["--exclusive"],
        ),
    )
    assert script.startswith("#!/bin/bash\n")
    sbatch = [line for line in script.splitlines() if line.startswith("#SBATCH")]
    assert "#SBATCH --nodes=3" in sbatch and "#SBATCH --ntasks-per-node=1" in sbatch
    assert "#SBATCH --gpus-per-node=8" in sbatch and "#SBATCH --partition=gpu" in sbatch
    assert "#SBATCH --exclusive" in sbatch and "#SBATCH --job-name=medfr-l_essai_cpt" in sbatch
    path = tmp_path / "job.sbatch"
    path.write_text(script, encoding="utf-8")
    assert subprocess.run(["bash", "-n", str(path)], capture_output=True).returncode == 0
    _install_fakes(tmp_path / "bin")
    out = tmp_path / "out"
    run = _run_slurm(path, tmp_path, "gpu-node-[07-09]", 3)
    assert run.returncode == 0, run.stderr
    assert "main process: gpu-node-07:29500" in run.stdout
    for rank in range(3):
        words = (out / f"node_{rank}.args").read_text(encoding="utf-8").splitlines()
        assert words[:3] == ["launch", "--machine_rank", str(rank)]
        args = _accelerate_args(words[1:])
        assert args.machine_rank == rank and args.main_process_ip == "gpu-node-07"
        assert (args.num_machines, args.num_processes) == (3, 24) and args.use_deepspeed
        assert args.training_script_args == ["recipe", str(recipe), "--output_dir", "sorties/cpt 1"]
    assert (tmp_path / "logs").is_dir()


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is needed to run the SLURM script")
def test_a_long_host_list_does_not_kill_the_job_with_sigpipe(tmp_path):
    """``set -o pipefail`` + ``scontrol ... | head -n 1`` failed the job with exit 141
    whenever scontrol was still writing when head exited (long lists, loaded nodes)."""
    from medfr_train.launch import SlurmOptions

    plan = plan_launch(_recipe(tmp_path), "ddp", nodes=2, gpus_per_node=1)
    path = tmp_path / "job.sbatch"
    path.write_text(render_slurm(plan, SlurmOptions(log_dir=str(tmp_path / "logs"))), "utf-8")
    _install_fakes(tmp_path / "bin")
    # far more than a pipe buffer: the writer is certain to outlive an early reader
    (tmp_path / "bin" / "scontrol").write_text(
        '#!/bin/bash\nfor ((i = 1; i <= 200000; i++)); do echo "gpu-node-$i"; done\n', "utf-8"
    )
    run = _run_slurm(path, tmp_path, "gpu-node-[1-200000]", 2)
    assert run.returncode == 0, (run.returncode, run.stderr)
    assert "main process: gpu-node-1:" in run.stdout


def test_gres_flag(tmp_path):
    from medfr_train.launch import SlurmOptions

    plan = plan_launch(_recipe(tmp_path), "ddp", nodes=2, gpus_per_node=2)
    assert "#SBATCH --gres=gpu:2" in render_slurm(plan, SlurmOptions(gpu_flag="gres"))


# ------------------------------------------------------------------ bad input


def _write_cfg(tmp_path: Path, text: str, name: str = "acc.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_requests(tmp_path):
    recipe = _recipe(tmp_path)
    with pytest.raises(LaunchError, match=r"absent\.yaml: recipe file not found"):
        plan_launch(tmp_path / "absent.yaml", "fsdp")
    with pytest.raises(LaunchError, match=r"nulle_part\.yaml: accelerate config file not found"):
        plan_launch(recipe, tmp_path / "nulle_part.yaml")
    with pytest.raises(LaunchError, match=r"acc\.yaml: not a valid accelerate config.*fsdp_wrap"):
        plan_launch(recipe, _write_cfg(tmp_path, "distributed_type: FSDP\nfsdp_wrap: 1\n"))
    with pytest.raises(LaunchError, match=r"acc\.yaml:2: not valid YAML \(expected ',' or ']'"):
        plan_launch(recipe, _write_cfg(tmp_path, "distributed_type: [FSDP\n"))
    with pytest.raises(
        LaunchError, match=r"acc\.yaml: not a valid accelerate config.*distributed_type"
    ):
        plan_launch(recipe, _write_cfg(tmp_path, "num_processes: 2\n"))
    with pytest.raises(LaunchError, match=r"single_gpu\.yaml: distributed_type: is NO"):
        plan_launch(recipe, "single_gpu", nodes=2, gpus_per_node=1)
    with pytest.raises(
        LaunchError,
        match=r"ddp\.yaml: distributed_type: is MULTI_GPU, which needs at least 2",
    ):
        plan_launch(recipe, "ddp", gpus_per_node=1)
    with pytest.raises(LaunchError, match="--gpus-per-node: must be a positive integer"):
        plan_launch(recipe, "fsdp", gpus_per_node=0)
    ds = (CONFIG_DIR / "deepspeed_zero3.yaml").read_text(encoding="utf-8")
    pdsh = _write_cfg(
        tmp_path,
        ds.replace("deepspeed_multinode_launcher: standard", "deepspeed_multinode_launcher: pdsh"),
    )
    plan_launch(recipe, pdsh, nodes=1, gpus_per_node=8)  # one node: no ssh needed
    with pytest.raises(LaunchError, match=r"deepspeed_multinode_launcher: must be 'standard'"):
        plan_launch(recipe, pdsh, nodes=2, gpus_per_node=8)
    two_ids = _write_cfg(tmp_path, "distributed_type: MULTI_GPU\nnum_processes: 2\ngpu_ids: 0,1\n")
    with pytest.raises(LaunchError, match=r"gpu_ids: lists 2 GPU\(s\), fewer than the 4"):
        plan_launch(recipe, two_ids, gpus_per_node=4)
    no_procs = _write_cfg(tmp_path, "distributed_type: MULTI_GPU\n")
    with pytest.raises(LaunchError, match=r"num_processes: is not set"):
        plan_launch(recipe, no_procs)


def test_cli_writes_both_files_atomically(tmp_path, capsys):
    recipe = _recipe(tmp_path)
    cmd, job = tmp_path / "lancer.sh", tmp_path / "job.sbatch"
    rc = train_main(
        [
            "launch",
            str(recipe),
            "-c",
            "fsdp",
            "--nodes",
            "2",
            "--gpus-per-node",
            "8",
            "-o",
            str(cmd),
            "--slurm",
            str(job),
            "--time",
            "12:00:00",
            "--",
            "--num_train_epochs",
            "1",
        ]
    )
    assert rc == 0
    assert cmd.read_text(encoding="utf-8").startswith("#!/bin/bash\n# 2 node(s) x 8 GPU(s)")
    assert "--num_train_epochs 1" in cmd.read_text(encoding="utf-8")
    assert "#SBATCH --time=12:00:00" in job.read_text(encoding="utf-8")
    assert job.stat().st_mode & stat.S_IXUSR
    assert not list(tmp_path.glob("*.tmp"))
    assert "sbatch" in capsys.readouterr().err


def test_cli_prints_when_no_file_is_given(tmp_path, capsys):
    assert train_main(["launch", str(_recipe(tmp_path)), "-c", "single_gpu", "--slurm", "-"]) == 0
    out = capsys.readouterr().out
    assert out.count("accelerate launch --config_file") == 1  # the command, then the script
    assert "#!/bin/bash" in out and "exec accelerate launch --machine_rank" in out
    assert "#SBATCH --gpus-per-node=1" in out


def test_cli_bad_input_exit_2_and_nothing_written(tmp_path, capsys):
    recipe = _recipe(tmp_path)
    cmd, job = tmp_path / "lancer.sh", tmp_path / "job.sbatch"
    rc = train_main(
        [
            "launch",
            str(recipe),
            "-c",
            "single_gpu",
            "--nodes",
            "2",
            "-o",
            str(cmd),
            "--slurm",
            str(job),
        ]
    )
    assert rc == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: ") and ": distributed_type: is NO" in line
    rc = train_main(
        [
            "launch",
            str(recipe),
            "-c",
            "fsdp",
            "-o",
            str(cmd),
            "--slurm",
            str(tmp_path / "absent" / "job.sbatch"),
        ]
    )
    assert rc == 2
    assert "does not exist" in capsys.readouterr().err
    rc = train_main(
        ["launch", str(recipe), "-c", "fsdp", "--slurm", str(job), "--partition", "gpu; rm -rf /"]
    )
    assert rc == 2
    assert not cmd.exists() and not job.exists() and not list(tmp_path.glob("*.tmp"))


# ------------------------------------------------------------------ a real 2-rank launch


PROBE = textwrap.dedent(
    """\
    import sys
    import torch
    import torch.distributed as dist
    from accelerate import PartialState

    state = PartialState(cpu=True)
    value = torch.tensor([state.process_index + 1.0])
    dist.all_reduce(value)
    # one write per line: two ranks share the pipe, and print() writes the
    # newline separately, so lines could interleave
    sys.stdout.write(f"rank {state.process_index}/{state.num_processes} {state.backend} sum={value.item():g} args={sys.argv[1:]}\\n")
    sys.stdout.flush()
    # Leave the gloo group cleanly: without it a rank can abort at exit
    # ("terminate called without an active exception"), seen here under load.
    dist.barrier()
    dist.destroy_process_group()
    """
)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_ddp_cpu_config_starts_two_gloo_ranks(tmp_path):
    """`accelerate launch --config_file recipes/accelerate_configs/ddp_cpu.yaml` really starts 2 ranks here."""
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE, encoding="utf-8")
    env = {**os.environ, "ACCELERATE_USE_CPU": "true", "OMP_NUM_THREADS": "1"}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "accelerate.commands.launch",
            "--config_file",
            str(CONFIG_DIR / "ddp_cpu.yaml"),
            "--main_process_port",
            str(_free_port()),
            str(probe),
            "un",
            "deux mots",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    lines = sorted(line for line in run.stdout.splitlines() if line.startswith("rank "))
    assert lines == [
        "rank 0/2 gloo sum=3 args=['un', 'deux mots']",
        "rank 1/2 gloo sum=3 args=['un', 'deux mots']",
    ]


def test_cpu_config_exports_accelerate_use_cpu(tmp_path):
    plan = plan_launch(_recipe(tmp_path), "ddp_cpu")
    assert plan.env == {"ACCELERATE_USE_CPU": "true"}
    assert "export ACCELERATE_USE_CPU=true\naccelerate launch" in render_commands(plan)
    assert "export ACCELERATE_USE_CPU=true\n" in render_slurm(plan)
    assert plan_launch(_recipe(tmp_path), "fsdp").env == {}
