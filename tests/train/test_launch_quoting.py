"""`medfr-train launch` scripts hold hostile values as data: quoted, or refused in one line.

Each rendered script is run with stub ``scontrol``, ``srun``, ``sbatch`` and
``accelerate`` first on PATH; the stubs record the words they receive, and no
file that an injected command would create may appear.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from medfr_eval.cli import train_main
from medfr_eval.core.resources import recipes_dir

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="the scripts need bash")

#: what a careless or hostile user puts in a name: spaces, quotes, $(), backticks, ;, globs.
HOSTILE = "a b 'q' \"dq\" $(touch INJ_DOLLAR) `touch INJ_TICK` ; touch INJ_SEMI & * ~ #x"

STUBS = {
    "scontrol": 'printf "node-a\\nnode-b\\n"\n',
    # run the command once per node, as SLURM would, with that node's SLURM_NODEID
    "srun": textwrap.dedent(
        """\
        nodes=1
        while [[ "$1" == --* ]]; do
          case "$1" in --nodes=*) nodes="${1#--nodes=}";; esac
          shift
        done
        for ((i = 0; i < nodes; i++)); do SLURM_NODEID=$i "$@" || exit 1; done
        """
    ),
    # every word on its own NUL-terminated record, so a word holding anything comes back whole
    "accelerate": 'printf "%s\\0" "$@" > "$FAKE_OUT/accelerate.${SLURM_NODEID:-x}.$$"\n',
    "sbatch": 'n=$(ls "$FAKE_OUT" | grep -c "^sbatch" || true)\n'
    'printf "%s\\0" "$@" > "$FAKE_OUT/sbatch.$n"\necho $((1000 + n))\n',
}


def _stubs(tmp_path: Path) -> dict[str, str]:
    bindir, out = tmp_path / "bin", tmp_path / "fake_out"
    bindir.mkdir(exist_ok=True)
    out.mkdir(exist_ok=True)
    for name, body in STUBS.items():
        (bindir / name).write_text("#!/bin/bash\n" + body, encoding="utf-8")
        (bindir / name).chmod(0o755)
    return {
        **os.environ,
        "PATH": f"{bindir}:{os.environ['PATH']}",
        "FAKE_OUT": str(out),
        "SLURM_JOB_NODELIST": "node-[a-b]",
        "SLURM_JOB_NUM_NODES": "2",
        "MAIN_PROCESS_IP": "10.0.0.1",
    }


def _records(tmp_path: Path, prefix: str) -> list[list[str]]:
    files = sorted((tmp_path / "fake_out").glob(f"{prefix}.*"))
    return [f.read_bytes().decode().split("\0")[:-1] for f in files]


def _injected(root: Path) -> list[Path]:
    return [p for p in root.rglob("INJ_*")]


def _hostile_recipe(tmp_path: Path, chained: bool = False) -> Path:
    folder = tmp_path / f"recettes {HOSTILE}"
    folder.mkdir()
    body = (
        "strategy: CPT+SFT\noutput_dir: out\nstages:\n"
        "  cpt: {model_name_or_path: tiny, dataset_files: [corpus.txt], block_size: 32}\n"
        "  sft: {model_name_or_path: '${cpt.output_dir}', dataset_files: [sft.jsonl]}\n"
        if chained
        else "strategy: CPT\nmodel_name_or_path: tiny\ndataset_files: [corpus.txt]\nblock_size: 32\noutput_dir: out\n"
    )
    path = folder / f"r {HOSTILE}.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def _hostile_config(tmp_path: Path) -> Path:
    folder = tmp_path / f"configs {HOSTILE}"
    folder.mkdir()
    target = folder / "ddp $(touch INJ_CFG).yaml"
    shutil.copy(recipes_dir() / "accelerate_configs" / "ddp.yaml", target)
    return target


def _run(script: Path, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    syntax = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr
    return subprocess.run(
        ["bash", str(script)], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_a_newline_in_the_recipe_or_config_path_is_refused_and_nothing_is_written(
    tmp_path, capsys, monkeypatch
):
    """The case where both paths ended a `#` comment and the text after the newline ran."""
    monkeypatch.chdir(tmp_path)
    recipe = tmp_path / "evil\ntouch X\n.yaml"
    recipe.write_text(
        "strategy: CPT\nmodel_name_or_path: tiny\ndataset_files: [c.txt]\nblock_size: 32\noutput_dir: o\n"
    )
    config = tmp_path / "cfg\ntouch Y\n.yaml"
    shutil.copy(recipes_dir() / "accelerate_configs" / "ddp.yaml", config)
    for args, field in (
        ([str(recipe), "-c", "ddp"], "RECIPE"),
        ([str(tmp_path / "ok.yaml"), "-c", str(config)], "--config-file"),
        ([str(recipe), "-c", str(config)], "RECIPE"),
    ):
        (tmp_path / "ok.yaml").write_text(recipe.read_text())
        rc = train_main(
            ["launch", *args, "--nodes", "2", "--gpus-per-node", "2"]
            + ["--slurm", "job.sbatch", "-o", "cmds.sh"]
        )
        assert rc == 2
        (line,) = capsys.readouterr().err.strip().splitlines()
        assert line.startswith(f"error: {field}: ") and "line break" in line, line
    assert not (tmp_path / "job.sbatch").exists() and not (tmp_path / "cmds.sh").exists()
    assert not (tmp_path / "X").exists() and not (tmp_path / "Y").exists()


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("-o", "cmds\ntouch Z\n.sh"),
        ("--slurm", "job\ntouch Z\n.sbatch"),
        ("--log-dir", "logs\ntouch Z"),
        ("--job-name", "job\ntouch Z"),
    ],
)
def test_a_newline_in_an_output_path_or_slurm_value_is_refused(
    tmp_path, capsys, monkeypatch, flag, value
):
    monkeypatch.chdir(tmp_path)
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "strategy: CPT\nmodel_name_or_path: tiny\ndataset_files: [c.txt]\nblock_size: 32\noutput_dir: o\n"
    )
    slurm = [] if flag == "--slurm" else ["--slurm", "j.sbatch"]
    rc = train_main(
        ["launch", str(recipe), "-c", "ddp", "--gpus-per-node", "2", *slurm, flag, value]
    )
    assert rc == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"error: {flag}: "), line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.yaml"]


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--job-name", "my job"),
        ("--job-name", "j$(touch INJ_JOB)"),
        ("--partition", "gpu; rm -rf /"),
        ("--account", "`touch INJ_ACC`"),
        ("--time", "24:00:00 --x"),
        ("--mem", "'480G'"),
        ("--log-dir", "my logs"),
        ("--sbatch", "--constraint=h100 && touch INJ_SB"),
    ],
)
def test_sbatch_values_that_are_not_one_plain_token_are_refused(
    tmp_path, capsys, monkeypatch, flag, value
):
    """sbatch reads `#SBATCH` lines with its own rules: a value is one plain token or refused."""
    monkeypatch.chdir(tmp_path)
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "strategy: CPT\nmodel_name_or_path: tiny\ndataset_files: [c.txt]\nblock_size: 32\noutput_dir: o\n"
    )
    rc = train_main(
        ["launch", str(recipe), "-c", "ddp", "--gpus-per-node", "2", "--slurm", "j.sbatch"]
        + [f"{flag}={value}"]
    )
    assert rc == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"error: {flag}: ") and "cannot hold" in line, line
    assert not (tmp_path / "j.sbatch").exists() and not _injected(tmp_path)


def test_hostile_paths_and_arguments_arrive_intact_in_the_slurm_job(tmp_path):
    recipe, config = _hostile_recipe(tmp_path), _hostile_config(tmp_path)
    job = tmp_path / f"job {HOSTILE}.sbatch"
    rc = train_main(
        ["launch", str(recipe), "-c", str(config), "--nodes", "2", "--gpus-per-node", "2"]
        + ["--slurm", str(job), "--log-dir", str(tmp_path / "logs")]
        + ["--", "--output_dir", HOSTILE, "--run_card.gpu_name", HOSTILE]
    )
    assert rc == 0
    run = _run(job, _stubs(tmp_path), tmp_path)
    assert run.returncode == 0, run.stderr
    assert "main process: node-a:29500, nodes: 2" in run.stdout
    nodes = _records(tmp_path, "accelerate")
    assert len(nodes) == 2
    for words in nodes:
        assert words[:2] == ["launch", "--machine_rank"]
        assert words[words.index("--config_file") + 1] == str(config)
        assert words[words.index("--main_process_ip") + 1] == "node-a"
        tail = words[words.index("-m") :]
        assert tail == ["-m", "medfr_train.cli", "recipe", str(recipe)] + [
            "--output_dir",
            HOSTILE,
            "--run_card.gpu_name",
            HOSTILE,
        ]
    assert sorted(w[2] for w in nodes) == ["0", "1"]
    assert not _injected(tmp_path)


def test_hostile_values_arrive_intact_in_the_commands_file(tmp_path):
    recipe, config = _hostile_recipe(tmp_path), _hostile_config(tmp_path)
    commands = tmp_path / f"cmds {HOSTILE}.sh"
    args = ["launch", str(recipe), "-c", str(config), "--gpus-per-node", "2", "-o", str(commands)]
    assert train_main([*args, "--", "--output_dir", HOSTILE]) == 0
    run = _run(commands, _stubs(tmp_path), tmp_path)
    assert run.returncode == 0, run.stderr
    ((words),) = _records(tmp_path, "accelerate")
    assert words[words.index("--config_file") + 1] == str(config)
    assert words[-4:] == ["recipe", str(recipe), "--output_dir", HOSTILE]
    assert not _injected(tmp_path)


def test_the_submit_script_of_a_chained_recipe_submits_hostile_paths_intact(tmp_path):
    recipe = _hostile_recipe(tmp_path, chained=True)
    job = tmp_path / f"job {HOSTILE}.sbatch"
    rc = train_main(
        ["launch", str(recipe), "-c", "ddp", "--gpus-per-node", "2", "--slurm", str(job)]
        + ["--after", "41", "--log-dir", str(tmp_path / "logs")]
    )
    assert rc == 0
    run = _run(job, _stubs(tmp_path), tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["cpt: job 1000", "sft: job 1001"]
    cpt, sft = _records(tmp_path, "sbatch")
    assert cpt == [
        "--parsable",
        "--dependency=afterok:41",
        str(tmp_path / f"job {HOSTILE}.cpt.sbatch"),
    ]
    assert sft == [
        "--parsable",
        "--dependency=afterok:1000",
        str(tmp_path / f"job {HOSTILE}.sft.sbatch"),
    ]
    for stage in ("cpt", "sft"):
        script = tmp_path / f"job {HOSTILE}.{stage}.sbatch"
        assert _run(script, _stubs(tmp_path), tmp_path).returncode == 0
    assert not _injected(tmp_path)


def _render_all(tmp_path: Path, recipe: Path, config: Path, value: str) -> list[Path]:
    job, commands = tmp_path / "job.sbatch", tmp_path / "cmds.sh"
    rc = train_main(
        ["launch", str(recipe), "-c", str(config), "--nodes", "2", "--gpus-per-node", "2"]
        + ["--slurm", str(job), "-o", str(commands), "--after", "7", "--sbatch=--exclusive"]
        + ["--", "--run_name", value]
    )
    assert rc == 0
    return [job, commands, tmp_path / "job.cpt.sbatch", tmp_path / "job.sft.sbatch"]


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_rendered_scripts_pass_shellcheck(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    recipe = plain / "r.yaml"
    recipe.write_text(_hostile_recipe(tmp_path, chained=True).read_text(encoding="utf-8"))
    scripts = _render_all(plain, recipe, recipes_dir() / "accelerate_configs" / "ddp.yaml", "x")
    run = subprocess.run(
        ["shellcheck", "--shell=bash", *map(str, scripts)], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout
    # With hostile values, shellcheck only notes (SC2016) that `$(...)` inside single quotes
    # does not expand: that is the quoting at work, the value staying data.
    hostile = tmp_path / "hostile"
    hostile.mkdir()
    recipe, config = _hostile_recipe(hostile, chained=True), _hostile_config(hostile)
    scripts = _render_all(hostile, recipe, config, HOSTILE)
    run = subprocess.run(
        ["shellcheck", "--shell=bash", "--exclude=SC2016", *map(str, scripts)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout
